"""Training under torchrun: two CPU processes (gloo) on this machine.

Real launcher, real processes, real job store: rank 0 alone prints, writes
the job's rows, samples and checkpoints; both ranks take every step; a run
killed after its first epoch resumes under torchrun from its checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.jobs.store import JobStore
from gan.training import distributed

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
            f"--master_port={_free_port()}", "main.py", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env  # POLYPHONY_HOME: the test's temporary home (conftest)


def _descendants(pid: int) -> list[int]:
    """Child processes, recursively (torchrun starts each rank in a session
    of its own, so killing torchrun's process group leaves them running)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_all(pid: int) -> None:
    for child in _descendants(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _assert_one_set_of_rows(store: JobStore, job_id: int, epochs: int, per_epoch: int) -> None:
    assert [e.epoch for e in store.epochs(job_id)] == list(range(1, epochs + 1))
    samples = store.samples(job_id)
    assert sorted((s.epoch for s in samples)) == sorted(
        e for e in range(1, epochs + 1) for _ in range(per_epoch))
    job = store.get(job_id)
    files = sorted(p.name for p in (Path(job.job_dir) / "samples").iterdir())
    assert files == sorted(f"epoch_{e:04d}_{i:02d}.mid" for e in range(1, epochs + 1)
                           for i in range(per_epoch))


def test_ranks_from_env_and_sharding(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.from_env() == distributed.Ranks()
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    ranks = distributed.from_env()
    assert (ranks.rank, ranks.world_size, ranks.is_main, ranks.distributed) == (2, 3, False, True)
    data = np.arange(10)
    shards = [distributed.shard(data, distributed.Ranks(r, 3)) for r in range(3)]
    assert sorted(np.concatenate(shards).tolist()) == list(range(10))  # disjoint, complete
    assert [len(s) for s in shards] == [4, 3, 3]
    with pytest.raises(ValueError, match="cannot be shared among 20 processes"):
        distributed.shard(np.arange(3), distributed.Ranks(5, 20))
    monkeypatch.setenv("RANK", "3")
    with pytest.raises(ValueError, match="RANK=3 and WORLD_SIZE=3"):
        distributed.from_env()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_torchrun_two_cpu_ranks_train_one_job_and_resume():
    # 1. A whole run: two ranks, one set of rows and files, world size 2.
    done = subprocess.run(_torchrun("train", "--preset", "smoke", "--genre", "chorale",
                                    "--epochs", "2", "--json"),
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    events = _events(done.stdout)
    started = [e for e in events if e["event"] == "RunStarted"]
    assert len(started) == 1, "only rank 0 prints"
    assert started[0]["world_size"] == 2
    assert started[0]["device"].startswith("2 ranks (gloo): 0: cpu")
    reports = [e for e in events if e["event"] == "EpochReport"]
    assert [r["epoch"] for r in reports] == [1, 2]
    # Both ranks took every step (3 per epoch in the smoke preset).
    assert [r["rank_steps"] for r in reports] == [[3, 3], [6, 6]]
    store = JobStore()
    job_id = started[0]["job_id"]
    job = store.get(job_id)
    assert (job.status, job.world_size, job.epoch) == ("completed", 2, 2)
    assert job.device == started[0]["device"]
    _assert_one_set_of_rows(store, job_id, epochs=2, per_epoch=2)
    assert sorted(p.name for p in (Path(job.job_dir) / "checkpoints").glob("epoch_*.pt")) == \
        ["epoch_0001.pt", "epoch_0002.pt"]

    # 2. Killed (torchrun and both ranks, SIGKILL) after epoch 1, then
    # `jobs resume` under torchrun continues from the epoch-1 checkpoint.
    proc = subprocess.Popen(_torchrun("train", "--preset", "smoke", "--genre", "chorale",
                                      "--epochs", "2", "--set", "steps_per_epoch=60", "--json"),
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    killed_job = None
    try:
        for line in proc.stdout:
            if line.startswith("{"):
                ev = json.loads(line)
                if ev["event"] == "EpochReport" and ev["epoch"] == 1:
                    killed_job = ev["job_id"]
                    _kill_all(proc.pid)
                    break
    finally:
        if proc.poll() is None:
            _kill_all(proc.pid)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert killed_job is not None, "the run never finished its first epoch"
    deadline = time.monotonic() + 10
    while store.get(killed_job).status == "running" and time.monotonic() < deadline:
        store.recover_orphans()  # the ranks may take a moment to die
        time.sleep(0.2)
    assert store.get(killed_job).status == "interrupted"

    resumed = subprocess.run(_torchrun("jobs", "resume", str(killed_job), "--json"),
                             cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    events = _events(resumed.stdout)
    started = [e for e in events if e["event"] == "RunStarted"]
    assert [(s["start_epoch"], s["start_step"], s["world_size"]) for s in started] == [(1, 60, 2)]
    reports = [e for e in events if e["event"] == "EpochReport"]
    assert [(r["epoch"], r["step"], r["rank_steps"]) for r in reports] == [(2, 120, [60, 60])]
    job = store.get(killed_job)
    assert (job.status, job.epoch, job.world_size) == ("completed", 2, 2)
    _assert_one_set_of_rows(store, killed_job, epochs=2, per_epoch=2)

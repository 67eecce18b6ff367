"""Training under torchrun: two CPU processes (gloo) on this machine.

Real launcher, real processes, real job store: rank 0 alone prints, writes
the job's rows, samples and checkpoints; both ranks take every step; a run
killed after its first epoch resumes under torchrun from its checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.jobs.store import JobStore
from gan.training import distributed

ROOT = Path(__file__).resolve().parents[1]


def _torchrun(*args: str) -> list[str]:
    # All on this machine: the store on the loopback address, at a port no
    # other socket is handed meanwhile (distributed.launch_port).
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
            "--master_addr=127.0.0.1", f"--master_port={distributed.launch_port()}",
            "main.py", *args]


def _env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    # torchrun leaves a torchelastic_* log folder in the temporary directory
    # at every launch: the test's own, not the machine's /tmp
    env["TMPDIR"] = str(scratch)
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
    assert sorted(s.epoch for s in samples) == sorted(
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


def test_more_ranks_than_gpus_is_refused_with_what_to_run_instead():
    two_here = distributed.Ranks(0, 2, 0, 2)
    for device in ("auto", "cuda", "cuda:0"):
        with pytest.raises(ValueError, match=r"2 processes on this machine, which has 1 CUDA GPU "
                           r".*--nproc_per_node=1 .*--set device=cpu to train on the CPU with gloo"):
            distributed.check_gpus(device, two_here, gpus=1)
    with pytest.raises(ValueError, match="which has no CUDA GPU .*Add --set device=cpu"):
        distributed.check_gpus("cuda", two_here, gpus=0)
    distributed.check_gpus("auto", two_here, gpus=2)  # one GPU each
    distributed.check_gpus("cpu", two_here, gpus=1)  # gloo on the CPU, as the message says
    distributed.check_gpus("auto", two_here, gpus=0)  # auto without a GPU: gloo on the CPU
    distributed.check_gpus("cuda", distributed.Ranks(1, 2, 0, 1), gpus=1)  # two machines, a GPU each
    distributed.check_gpus("cuda", distributed.Ranks(), gpus=0)  # one process: not this check's


def _as_rank(monkeypatch, rank: int, gpus: int) -> None:
    """This process as torchrun's rank ``rank`` of 2 on a machine with ``gpus`` GPUs."""
    import torch

    for name, value in {"RANK": rank, "WORLD_SIZE": 2, "LOCAL_RANK": rank,
                        "LOCAL_WORLD_SIZE": 2}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)  # what auto resolves to


def test_torchrun_on_one_gpu_is_refused_by_every_rank_before_the_store_is_touched(
        monkeypatch, capsys):
    from app.cli import main as cli_main

    for rank in (0, 1):  # rank 1 must not wait for a rank 0 that never comes
        _as_rank(monkeypatch, rank, gpus=1)
        assert cli_main(["train", "--preset", "smoke", "--genre", "chorale"]) == 2
        err = capsys.readouterr().err
        assert "error: torchrun started 2 processes on this machine, which has 1 CUDA GPU" in err
        assert "--set device=cpu" in err
    assert JobStore().list() == []  # no job row was written


def test_resuming_under_torchrun_on_one_gpu_is_refused_and_the_job_stays_resumable(
        monkeypatch, capsys):
    from app.cli import main as cli_main

    assert cli_main(["train", "--preset", "smoke", "--genre", "chorale", "--queue-only",
                     "--json"]) == 0
    job_id = _events(capsys.readouterr().out)[0]["job_id"]
    before = JobStore().get(job_id)
    for rank in (0, 1):
        _as_rank(monkeypatch, rank, gpus=1)
        assert cli_main(["jobs", "resume", str(job_id)]) == 2
        assert "which has 1 CUDA GPU" in capsys.readouterr().err
    after = JobStore().get(job_id)
    assert (after.status, after.epoch, after.device) == (before.status, before.epoch, before.device)
    assert [j.id for j in JobStore().list()] == [job_id]


def test_single_machine_gloo_uses_the_loopback_interface(monkeypatch):
    if distributed.loopback_interface() is None:
        pytest.skip("this system does not list its network interfaces")
    monkeypatch.delenv("GLOO_SOCKET_IFNAME", raising=False)
    distributed.use_loopback_for_gloo(distributed.Ranks(0, 2, 0, 2))
    assert os.environ["GLOO_SOCKET_IFNAME"] == distributed.loopback_interface()
    assert os.environ["GLOO_SOCKET_IFNAME"] in ("lo", "lo0")
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "eth7")  # the person's own choice wins
    distributed.use_loopback_for_gloo(distributed.Ranks(0, 2, 0, 2))
    assert os.environ["GLOO_SOCKET_IFNAME"] == "eth7"
    monkeypatch.delenv("GLOO_SOCKET_IFNAME")
    distributed.use_loopback_for_gloo(distributed.Ranks(0, 4, 0, 2))  # two machines
    assert "GLOO_SOCKET_IFNAME" not in os.environ


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_torchrun_two_cpu_ranks_train_one_job_and_resume(tmp_path):
    # 1. A whole run: two ranks, one set of rows and files, world size 2.
    # device=cpu: what the refusal below tells a one-GPU machine to add.
    done = subprocess.run(_torchrun("train", "--preset", "smoke", "--genre", "chorale",
                                    "--epochs", "2", "--set", "device=cpu", "--json"),
                          cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    # gloo talks over the loopback interface: it never needs the hostname.
    assert "Unable to resolve hostname" not in done.stderr
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
    # rank 0 alone wrote the checkpoints (how many are kept is the retention rule's business)
    assert "epoch_0002.pt" in [p.name for p in (Path(job.job_dir) / "checkpoints").glob("epoch_*.pt")]

    # 2. Killed (torchrun and both ranks, SIGKILL) after epoch 1, then
    # `jobs resume` under torchrun continues from the epoch-1 checkpoint.
    proc = subprocess.Popen(_torchrun("train", "--preset", "smoke", "--genre", "chorale",
                                      "--epochs", "2", "--set", "steps_per_epoch=60", "device=cpu",
                                      "--json"),
                            cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE,
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
                             cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    # Once in about 40 runs a rank has aborted here ("terminate called without
    # an active exception"): how far the job got tells where it died.
    assert resumed.returncode == 0, (resumed.stderr[-3000:], resumed.stdout[-1500:],
                                     store.get(killed_job).status)
    events = _events(resumed.stdout)
    started = [e for e in events if e["event"] == "RunStarted"]
    assert [(s["start_epoch"], s["start_step"], s["world_size"]) for s in started] == [(1, 60, 2)]
    reports = [e for e in events if e["event"] == "EpochReport"]
    assert [(r["epoch"], r["step"], r["rank_steps"]) for r in reports] == [(2, 120, [60, 60])]
    job = store.get(killed_job)
    assert (job.status, job.epoch, job.world_size) == ("completed", 2, 2)
    _assert_one_set_of_rows(store, killed_job, epochs=2, per_epoch=2)

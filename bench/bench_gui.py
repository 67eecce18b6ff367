"""GUI responsiveness and training throughput: window vs headless.

    .venv/bin/python bench/bench_gui.py [--steps 120] [--repeats 1] [--out docs/bench/gui.md]
    .venv/bin/python bench/bench_gui.py --first-minute [--mode process|thread] [--seconds 60]

``--first-minute`` is what a user lives through: a fresh process opens the
window, Start is pressed a second after it shows, and a 10 ms timer records
every event-loop stall from the window's first paint until ``--seconds``
after the first training step (the whole first epoch end included). It
prints the time to the window, the longest stalls with when they happened
(before Start, while starting, training), and the load average, as JSON.

Measures, each in a fresh process with a fresh data folder:

1. time from process start to the visible window (``python main.py``, offscreen);
2. the same training job run headless (``run_job``, the command-line path);
3. the job run from the window, training in a child process (the default);
4. the job run from the window, training in a QThread of the GUI process.

While the window trains, a 10 ms QTimer records how late each tick fires
(event-loop latency) with the charts on screen and fed live. Throughput is
generator steps per second measured from the step rows' timestamps inside
each epoch (epoch-end evaluation excluded), so every path is timed the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

T0 = time.perf_counter()  # process start, near enough (the interpreter's own start-up excluded)

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICK_MS = 10


def bench_config(steps: int):
    from gan.config import PRESETS

    return dataclasses.replace(PRESETS["quick"], epochs=2, steps_per_epoch=steps, log_every=5,
                               metric_samples=32, samples_per_epoch=2)


def steps_per_second(rows) -> float:
    """Steps / seconds inside epochs (gaps between epochs left out)."""
    by_epoch: dict[int, list] = {}
    for r in rows:
        by_epoch.setdefault(r.epoch, []).append(r)
    steps = seconds = 0.0
    for epoch_rows in by_epoch.values():
        epoch_rows.sort(key=lambda r: r.step)
        if len(epoch_rows) >= 2:
            steps += epoch_rows[-1].step - epoch_rows[0].step
            seconds += epoch_rows[-1].time - epoch_rows[0].time
    return steps / seconds if seconds > 0 else float("nan")


def new_job(steps: int) -> int:
    from app.jobs.store import JobStore

    store = JobStore()
    job_id = store.create("bench", bench_config(steps), ["genre=chorale"])
    store.close()
    return job_id


def run_headless(steps: int) -> dict:
    from app.jobs.runner import run_job
    from app.jobs.store import JobStore

    job_id = new_job(steps)
    t0 = time.perf_counter()
    status = run_job(job_id)
    wall = time.perf_counter() - t0
    store = JobStore()
    rate = steps_per_second(store.steps(job_id))
    store.close()
    return {"status": status, "steps_per_second": rate, "wall_s": wall}


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def run_window(steps: int, mode: str) -> dict:
    from PySide6.QtWidgets import QApplication

    import app.ui  # noqa: F401
    from app.ui import ui_settings

    qapp = QApplication.instance() or QApplication([])
    ui_settings.isolate_settings(Path(os.environ["POLYPHONY_HOME"]) / "settings")
    from app.ui.main_window import CLOSE_STOP, MainWindow

    job_id = new_job(steps)
    threads = int(os.environ.get("POLYPHONY_TORCH_THREADS", "0") or 0)
    window = MainWindow(training_mode=mode, torch_threads=threads)
    window.close_policy = CLOSE_STOP
    window.resize(1440, 860)
    window.show()
    window.job_list.select_job(job_id)
    lateness: list[float] = []
    state = {"last": None, "training": False}

    def tick() -> None:
        now = time.perf_counter()
        if state["last"] is not None and state["training"]:
            lateness.append((now - state["last"]) * 1000 - TICK_MS)
        state["last"] = now

    def watch() -> None:
        job = window.store.get(job_id)
        # Measure only while steps run (not child start-up, not the end).
        state["training"] = job.status == "running" and job.step > 0
        if job.status not in ("queued", "running") and not window.host.is_running():
            qapp.quit()

    timer, watcher = _start_timers(tick, watch)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    window.start_queue()  # in thread mode this imports torch on the GUI thread
    start_ms = (time.perf_counter() - t0) * 1000
    qapp.exec()
    wall = time.perf_counter() - t0
    gui_cpu = (time.process_time() - cpu0) / wall
    timer.stop()
    watcher.stop()
    rows = window.store.steps(job_id)
    status = window.store.get(job_id).status
    series = window.series(job_id)
    points = series.n_steps if series is not None else 0
    window.close()
    return {"status": status, "steps_per_second": steps_per_second(rows), "wall_s": wall,
            "ticks": len(lateness), "lat_p50_ms": percentile(lateness, 50),
            "lat_p99_ms": percentile(lateness, 99), "lat_max_ms": max(lateness, default=float("nan")),
            "chart_points": points, "gui_cpu_share": gui_cpu,
            "start_queue_ms": start_ms}


def chart_bench(n: int) -> dict:
    """Redraw cost of the charts holding ``n`` logged steps (a long run)."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    import app.ui  # noqa: F401
    from app.jobs.series import JobSeries
    from app.ui.charts import ChartsPanel

    qapp = QApplication.instance() or QApplication([])
    panel = ChartsPanel()
    panel.resize(1000, 700)
    panel.show()
    series = JobSeries(1, "long")
    rng = np.random.default_rng(0)
    noise = rng.normal(size=n)

    def rows(start, count):
        return [SimpleNamespace(step=i, epoch=1 + i // 1000, time=float(i) / 50,
                                critic_loss=float(noise[i % n]), generator_loss=-float(noise[i % n]),
                                wasserstein=float(noise[(i * 7) % n])) for i in range(start, start + count)]

    series.add_steps(rows(1, n))
    panel.set_series(series)

    def timed(action) -> float:
        t = time.perf_counter()
        action()
        panel.refresh_now()
        panel.training_view.grab()  # includes painting the downsampled curves
        qapp.processEvents()
        return (time.perf_counter() - t) * 1000

    first = timed(lambda: None)
    appends = [timed(lambda k=k: series.add_steps(rows(n + 1 + 10 * k, 10))) for k in range(10)]
    slider = timed(lambda: panel.set_smoothing(0.9))
    axis = timed(lambda: panel.set_x_axis("time"))
    panel.stop()
    panel.close()
    return {"points": n, "first_draw_ms": first, "append_redraw_ms_median": sorted(appends)[5],
            "slider_ms": slider, "x_axis_ms": axis}


class StallSpy:
    """A thread that notes where the GUI thread is when its timer is late
    (``--stacks``: to find which code stalls the window)."""

    def __init__(self, gui_thread: int, late_s: float = 0.06):
        self._gui, self._late, self._beat = gui_thread, late_s, time.perf_counter()
        self._seen: dict[float, list[str]] = {}
        threading.Thread(target=self._run, daemon=True, name="stall-spy").start()

    def beat(self, now: float) -> None:
        self._beat = now

    def _run(self) -> None:
        import traceback

        while True:
            time.sleep(0.02)
            beat = self._beat
            if time.perf_counter() - beat > self._late and beat not in self._seen:
                frame = sys._current_frames().get(self._gui)
                stack = traceback.extract_stack(frame) if frame is not None else []
                self._seen[beat] = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack
                                    if "site-packages" not in f.filename][-6:]

    def seen(self, beat: float) -> list[str]:
        return self._seen.get(beat, [])


def first_minute(mode: str, seconds: float, start_after: float = 1.0, stacks: bool = False) -> dict:
    """In this (fresh) process: the window from nothing, Start pressed after
    ``start_after`` s, event-loop stalls until ``seconds`` after the first step."""
    t0 = T0
    load_before = os.getloadavg()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import app.ui  # noqa: F401
    from app.ui import ui_settings

    qapp = QApplication.instance() or QApplication([])
    ui_settings.isolate_settings(Path(os.environ["POLYPHONY_HOME"]) / "settings")
    from gan.config import PRESETS

    from app.jobs.store import JobStore
    from app.ui.main_window import CLOSE_STOP, MainWindow

    store = JobStore()
    job_id = store.create("first minute", PRESETS["quick"], ["genre=chorale"])
    store.close()
    window = MainWindow(training_mode=mode)
    window.close_policy = CLOSE_STOP
    window.resize(1280, 720)
    window.show()
    window.select_job(job_id)
    shown = time.perf_counter()
    state = {"last": None, "cpu": 0.0, "phase": "before Start", "first_step": None, "pressed": None}
    gaps: list[float] = []
    stalls: list[dict] = []
    spy = StallSpy(threading.get_ident()) if stacks else None

    def tick() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if state["last"] is not None:
            gap = (now - state["last"]) * 1000
            gaps.append(gap - TICK_MS)
            if gap - TICK_MS > 100:
                # cpu_ms: the GUI thread's own work in the gap (the rest it waited:
                # for a core on a loaded machine, or for the GIL)
                stalls.append({"at_s": round(state["last"] - shown, 2), "ms": round(gap - TICK_MS),
                               "cpu_ms": round((cpu - state["cpu"]) * 1000), "phase": state["phase"],
                               **({"where": spy.seen(state["last"])} if spy else {})})
        state["last"], state["cpu"] = now, cpu
        if spy:
            spy.beat(now)

    def press_start() -> None:
        state["phase"] = "pressing Start"
        state["pressed"] = time.perf_counter()
        window.commands.start.trigger()
        state["phase"] = "starting (until the first step)"

    def watch() -> None:
        job = window.store.get(job_id)
        if state["pressed"] and state["first_step"] is None and job.step > 0:
            state["first_step"] = time.perf_counter()
            state["phase"] = "training"
        if state["first_step"] and (time.perf_counter() - state["first_step"] > seconds
                                    or job.status not in ("queued", "running")):
            state["phase"] = "stopping"
            qapp.quit()

    timer, watcher = _start_timers(tick, watch)
    QTimer.singleShot(int(start_after * 1000), press_start)
    qapp.exec()
    timer.stop()
    watcher.stop()
    job = window.store.get(job_id)
    rate = steps_per_second(window.store.steps(job_id))
    window.close()
    return {"mode": mode, "window_visible_s": round(shown - t0, 2),
            "start_to_first_step_s": round(state["first_step"] - state["pressed"], 2)
            if state["first_step"] else None,
            "trained_s": seconds, "epochs_done": job.epoch, "steps_done": job.step,
            "steps_per_second": rate,
            "ticks": len(gaps), "gap_p50_ms": percentile(gaps, 50), "gap_p99_ms": percentile(gaps, 99),
            "gap_max_ms": max(gaps, default=float("nan")), "stalls_over_100ms": stalls,
            "torch_in_gui_process": "torch" in sys.modules,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def time_to_window(repeats: int) -> list[float]:
    found = []
    for _ in range(repeats):
        env = dict(os.environ, POLYPHONY_TIMING="1", QT_QPA_PLATFORM="offscreen",
                   POLYPHONY_HOME=tempfile.mkdtemp(prefix="polyphony-bench-"))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env=env,
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        try:
            for line in proc.stderr:
                if line.startswith("window visible"):
                    found.append((time.perf_counter() - t0, line.strip()))
                    break
        finally:
            proc.terminate()
            proc.wait(10)
    return found


def child(kind: str, steps: int) -> dict:
    env = dict(os.environ, POLYPHONY_HOME=tempfile.mkdtemp(prefix="polyphony-bench-"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--steps", str(steps)],
                         env=env, capture_output=True, text=True, timeout=1800)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{kind} run printed no result:\n{out.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=120, help="steps per epoch (2 epochs)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", help="write the markdown fragment here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--chart-points", type=int, default=0,
                        help="only measure chart redraws holding this many logged steps")
    parser.add_argument("--first-minute", action="store_true",
                        help="event-loop stalls from the window's start through the first minute")
    parser.add_argument("--mode", default=None, help="training mode for --first-minute (default: the window's)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--stacks", action="store_true",
                        help="with --first-minute: where the GUI thread was during each stall")
    args = parser.parse_args()
    if args.first_minute:
        from app.ui.training_host import DEFAULT_MODE

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        if "POLYPHONY_HOME" not in os.environ:
            os.environ["POLYPHONY_HOME"] = tempfile.mkdtemp(prefix="polyphony-bench-")
        print(json.dumps(first_minute(args.mode or DEFAULT_MODE, args.seconds, stacks=args.stacks)))
        return 0
    if args.chart_points:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print(json.dumps(chart_bench(args.chart_points)))
        return 0
    if args.child:
        result = run_headless(args.steps) if args.child == "headless" else \
            run_window(args.steps, args.child.split("-", 1)[1])
        print(json.dumps(result))
        return 0

    windows = time_to_window(5)
    runs: dict[str, list[dict]] = {"headless": [], "window-process": [], "window-thread": []}
    for _ in range(args.repeats):
        for kind in runs:
            result = child(kind, args.steps)
            print(kind, result, flush=True)
            runs[kind].append(result)

    def mean(kind, key):
        vals = [r[key] for r in runs[kind]]
        return sum(vals) / len(vals)

    headless = mean("headless", "steps_per_second")
    lines = [
        "# GUI responsiveness and throughput",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{platform.machine()} Linux, {os.cpu_count()} cores, no GPU, shared with other "
        "work (load from parallel jobs makes single numbers noisy).",
        "",
        "Command: `.venv/bin/python bench/bench_gui.py "
        f"--steps {args.steps} --repeats {args.repeats}`",
        "",
        "Job: `quick` preset, 2 epochs x "
        f"{args.steps} steps, chorales; throughput from step-row timestamps within epochs.",
        "",
        "| path | steps/s | vs headless | event-loop lateness p50 / p99 / max (ms) | chart points "
        "| Start queue blocks GUI (ms) |",
        "|---|---|---|---|---|---|",
        f"| headless (`run_job`) | {headless:.2f} | 100 % | — | — | — |",
    ]
    for kind, label in (("window-process", "window, training in a child process (default)"),
                        ("window-thread", "window, training in a QThread (POLYPHONY_TRAINING=thread)")):
        rate = mean(kind, "steps_per_second")
        lines.append(f"| {label} | {rate:.2f} | {100 * rate / headless:.0f} % | "
                     f"{mean(kind, 'lat_p50_ms'):.1f} / {mean(kind, 'lat_p99_ms'):.1f} / "
                     f"{max(r['lat_max_ms'] for r in runs[kind]):.1f} | "
                     f"{runs[kind][-1]['chart_points']} | "
                     f"{mean(kind, 'start_queue_ms'):.0f} |")
    lines += ["", "Goals: p99 < 50 ms, throughput in the window >= 95 % of headless.", "",
              "Time from `python main.py` to the visible window (offscreen, 5 starts; "
              "torch not imported):", ""]
    for seconds, line in windows:
        lines.append(f"- {seconds:.2f} s wall ({line})")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return 0



def _start_timers(tick, watch):
    """The lateness probe (every TICK_MS) and the job watcher (every 100 ms)."""
    from PySide6.QtCore import QTimer

    timers = []
    for interval, slot in ((TICK_MS, tick), (100, watch)):
        t = QTimer()
        t.setInterval(interval)
        t.timeout.connect(slot)
        t.start()
        timers.append(t)
    return timers

if __name__ == "__main__":
    sys.exit(main())

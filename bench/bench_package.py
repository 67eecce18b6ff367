"""Time from launch to a visible window: the frozen app against `python main.py`.

    .venv/bin/python bench/bench_package.py [--runs 5] [--app dist/polyphony/polyphony]

With --in-root ROOT --display :N (packaging/test-bare.sh): the installed
.deb's `polyphony` inside a bare Debian root, launch → visible window and
the app's memory (RSS, PSS) 5 s later.

Linux only. Starts its own Xvfb server (a real X display, unlike the
offscreen platform, so "visible" means the X server mapped the window), then
for each program launches it RUNS times with a fresh data directory and
polls the X server until a top-level window of the new process is viewable.
The process is then terminated. Prints a markdown table (median, min, max)
for docs/bench/package.md; add the build time and folder size from
build/package-summary.txt (written by packaging/build.sh).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WINDOW_LINE = re.compile(r"^\s+(0x[0-9a-f]+) ")


def start_xvfb() -> tuple[subprocess.Popen, str]:
    # High numbers: other programs on a shared machine (xvfb-run, tests)
    # start at :99 or count up from :0.
    for number in range(173, 230):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            display = f":{number}"
            server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and server.poll() is None:
                if subprocess.run(["xwininfo", "-root", "-display", display],
                                  capture_output=True, check=False).returncode == 0:
                    return server, display
                time.sleep(0.05)
            server.kill()
            server.wait()
            continue  # lost a race for this display number: try the next
    raise RuntimeError("no free X display number")


def top_level_windows(display: str) -> set[str]:
    out = subprocess.run(["xwininfo", "-root", "-children", "-display", display],
                         capture_output=True, text=True, check=False).stdout
    return {m.group(1) for line in out.splitlines() if (m := WINDOW_LINE.match(line))}


def viewable(display: str, window: str) -> bool:
    out = subprocess.run(["xwininfo", "-id", window, "-display", display],
                         capture_output=True, text=True, check=False).stdout
    return "Map State: IsViewable" in out


def wait_for_quiet_display(display: str, baseline: set[str], timeout: float = 10) -> None:
    """Wait until the last program's windows are gone: the X server reuses
    client id ranges, so a leftover id could hide the next program's window."""
    deadline = time.monotonic() + timeout
    while top_level_windows(display) != baseline and time.monotonic() < deadline:
        time.sleep(0.05)


def time_to_window(command: list[str], display: str, timeout: float = 60) -> float:
    before = top_level_windows(display)
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", POLYPHONY_HOME=home)
        env.pop("WAYLAND_DISPLAY", None)
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while time.perf_counter() - start < timeout:
                for window in top_level_windows(display) - before:
                    if viewable(display, window):
                        return time.perf_counter() - start
                if proc.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited {proc.returncode} before showing a window: "
                                       + proc.stderr.read().decode(errors="replace")[-2000:])
                time.sleep(0.005)
            raise RuntimeError(f"no window from {command} within {timeout} s")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


BARE_ROOT_SCRIPT = REPO_ROOT / "scripts" / "bare-root.sh"


def descendants(pid: int) -> list[int]:
    """pid and every process below it (from /proc/PID/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def app_memory_mib(pid: int, name: str = "polyphony") -> tuple[float, float, int]:
    """(RSS, PSS, processes) summed over the processes named ``name`` under pid."""
    rss = pss = 0.0
    count = 0
    for child in descendants(pid):
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() != name:
                continue
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{child}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        rss += int(fields["Rss"].split()[0]) / 1024
        pss += int(fields["Pss"].split()[0]) / 1024
        count += 1
    return rss, pss, count


def stop_tree(proc: subprocess.Popen) -> None:
    """Terminate the launcher and everything it started (the app runs below
    bare-root.sh's unshare/chroot, not as the Popen process itself)."""
    pids = descendants(proc.pid)
    for pid in reversed(pids):
        try:
            os.kill(pid, 15)
        except OSError:
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        proc.wait()


def time_in_root(root: Path, user: str, display: str, run: int, settle_s: float = 5.0,
                 timeout: float = 90) -> tuple[float, tuple[float, float, int]]:
    """Launch the installed `polyphony` inside a root made by
    scripts/bare-root.sh, as ``user``, on ``display``. Returns (seconds from
    the moment the command starts inside the root to a viewable window, the
    app's memory ``settle_s`` after that). The start is stamped inside the
    root, so unshare/chroot's own start-up is not counted."""
    stamp = root / "tmp" / "polyphony-launch-t0"
    stamp.unlink(missing_ok=True)
    command = ["bash", str(BARE_ROOT_SCRIPT), "run", str(root), "--user", user, "--x11",
               "--env", f"DISPLAY={display}", "--env", "QT_QPA_PLATFORM=xcb",
               "--env", f"POLYPHONY_HOME=/tmp/bench-home-{user}-{run}",
               "--", "sh", "-c", "date +%s.%N > /tmp/polyphony-launch-t0 && exec polyphony"]
    before = top_level_windows(display)
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if any(viewable(display, w) for w in top_level_windows(display) - before):
                visible = time.time()
                break
            if proc.poll() is not None:
                raise RuntimeError(f"polyphony exited {proc.returncode} before showing a window: "
                                   + proc.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.005)
        else:
            raise RuntimeError(f"no window within {timeout} s")
        elapsed = visible - float(stamp.read_text())
        time.sleep(settle_s)
        return elapsed, app_memory_mib(proc.pid)
    finally:
        stop_tree(proc)
        wait_for_quiet_display(display, before)


def bench_in_root(root: Path, user: str, display: str, runs: int) -> int:
    """The installed .deb in a bare root (packaging/test-bare.sh)."""
    time_in_root(root, user, display, 0)  # untimed: first read from disk
    results = [time_in_root(root, user, display, run) for run in range(1, runs + 1)]
    seconds = [r[0] for r in results]
    print(f"| launch → visible window, installed .deb in the bare root ({runs} runs, warm disk cache) "
          "| median s | min s | max s |")
    print("|---|---|---|---|")
    print(f"| `polyphony` (Xvfb, xcb) | {statistics.median(seconds):.2f} | {min(seconds):.2f} "
          f"| {max(seconds):.2f} |")
    print()
    rss = statistics.median(r[1][0] for r in results)
    pss = statistics.median(r[1][1] for r in results)
    procs = max(r[1][2] for r in results)
    print(f"memory 5 s after the window appeared (median of {runs}): RSS {rss:.0f} MiB, "
          f"PSS {pss:.0f} MiB, in {procs} polyphony process(es)")
    print(f"1-minute load average: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, default=REPO_ROOT / "dist" / "polyphony" / "polyphony")
    parser.add_argument("--nice", type=int, default=None,
                        help="run the programs at this nice level (negative needs root): "
                             "less noise from other work on a shared machine")
    parser.add_argument("--in-root", type=Path, default=None,
                        help="time the installed .deb inside this bare root instead "
                             "(scripts/bare-root.sh; used by packaging/test-bare.sh)")
    parser.add_argument("--user", default="bob", help="with --in-root: the account to run as")
    parser.add_argument("--display", default=None,
                        help="with --in-root: an X display already running here (Xvfb)")
    args = parser.parse_args()
    if args.in_root is not None:
        if not args.display:
            parser.error("--in-root needs --display")
        return bench_in_root(args.in_root, args.user, args.display, args.runs)
    for tool in ("Xvfb", "xwininfo"):
        if not shutil.which(tool):
            print(f"bench_package: needs {tool} (Debian: xvfb, x11-utils)", file=sys.stderr)
            return 2
    programs = {"python main.py": [sys.executable, str(REPO_ROOT / "main.py")]}
    if args.app.exists():
        programs["frozen app"] = [str(args.app)]
    else:
        print(f"bench_package: no frozen app at {args.app}; run packaging/build.sh first",
              file=sys.stderr)
    load_before = os.getloadavg()[0]
    if args.nice is not None:
        programs = {name: ["nice", "-n", str(args.nice)] + command for name, command in programs.items()}
    server, display = start_xvfb()
    try:
        # One untimed run each: the first start reads everything from disk
        # (a cold cache is a property of the disk, not of the packaging).
        baseline = top_level_windows(display)
        for command in programs.values():
            time_to_window(command, display)
            wait_for_quiet_display(display, baseline)
        # Interleaved (A, B, A, B ...) so a burst of load from elsewhere on a
        # shared machine hits both programs alike.
        times: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name, command in programs.items():
                times[name].append(time_to_window(command, display))
                wait_for_quiet_display(display, baseline)
        rows = [(name, statistics.median(t), min(t), max(t)) for name, t in times.items()]
    finally:
        server.terminate()
        server.wait()
    print(f"| launch → visible window ({args.runs} runs each, interleaved, warm disk cache) "
          "| median s | min s | max s |")
    print("|---|---|---|---|")
    for name, med, low, high in rows:
        print(f"| {name} | {med:.2f} | {low:.2f} | {high:.2f} |")
    # These machines are shared: a busy one stretches every number.
    print(f"\n1-minute load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} cores)" + (f"; programs run at nice {args.nice}" if args.nice is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The command line: ``python main.py [--self-test] [COMMAND ...]``.

This face parses arguments and runs sub-commands; it never imports the
window (``app.launcher`` decides between the two: no command opens the
window). Each sub-command lives in its own module with a
``register(subparsers)`` function; they import heavy libraries (torch)
only when they run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys

from app.cli import compose_cmd, data_cmd, jobs_cmd, render_cmd, train_cmd
from app.cli.common import CommandError

__all__ = ["CommandError", "build_parser", "main", "parse_args", "run", "wants_window"]

COMMAND_MODULES = (data_cmd, train_cmd, jobs_cmd, render_cmd, compose_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polyphony",
        description="Polyphony: train music GANs on your own machine and listen to them learn.",
    )
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, run a smoke job through it, exit 0 when all works")
    parser.add_argument("--screenshot", metavar="FILE",
                        help="with --self-test: save a screenshot of the window")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _quiet_pyfluidsynth_import() -> None:
    """pyfluidsynth prints "'fluidsynth' was found at ..." to stdout when it
    is imported with the CI variable set, which would break ``--json`` output.
    Import it once here with stdout muted; a missing library is reported
    later by app.audio, where it is used."""
    if not os.environ.get("CI") or "fluidsynth" in sys.modules:
        return
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            import fluidsynth  # noqa: F401
        except (ImportError, OSError):
            pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_pyfluidsynth_import()
    return build_parser().parse_args(argv)


def wants_window(args: argparse.Namespace) -> bool:
    """No sub-command (and no --version): the window is wanted, not this face."""
    return args.command is None and not args.version


def run(args: argparse.Namespace) -> int:
    """Run the parsed sub-command (or --version); the exit code."""
    if args.version:
        import gan

        print(f"polyphony {gan.__version__}")
        return 0
    if args.command is None:
        print("no command given: `python main.py` alone opens the window; "
              "see `python main.py --help` for the commands", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command (``app.launcher.main`` also opens the window)."""
    return run(parse_args(argv))

"""The command line: ``python main.py [--self-test] [COMMAND ...]``.

No command opens the window. Each sub-command lives in its own module with a
``register(subparsers)`` function; they import heavy libraries (torch, Qt)
only when they run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys

from app.cli import compose_cmd, data_cmd, jobs_cmd, render_cmd, train_cmd

COMMAND_MODULES = (data_cmd, train_cmd, jobs_cmd, render_cmd, compose_cmd)


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback (exit 2)."""


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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_pyfluidsynth_import()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        import gan

        print(f"polyphony {gan.__version__}")
        return 0
    if args.command is None:
        from app.ui.launch import launch

        return launch(self_test=args.self_test, screenshot=args.screenshot)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

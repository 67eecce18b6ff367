"""``python main.py`` / ``polyphony``: the window, or a sub-command.

The one place that knows both faces: the command line (``app.cli``) parses
the arguments; with no sub-command the window (``app.ui.launch``) opens,
otherwise the command runs headless. ``app.ui`` and ``app.cli`` never
import each other.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from app import cli

    args = cli.parse_args(argv)
    if cli.wants_window(args):
        from app.ui.launch import launch

        return launch(self_test=args.self_test, screenshot=args.screenshot)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())

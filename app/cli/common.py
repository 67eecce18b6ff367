"""What every sub-command shares: its error, the store, JSON and numbers.

``CommandError`` is a problem the user can fix: ``main`` prints it without a
traceback and exits 2. Kept apart from ``app/cli/__init__.py`` so the
command modules import it directly (no import cycle, no wrapper).
"""

from __future__ import annotations

import json
from typing import Any

from gan.util.numbers import finite_or_none


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback (exit 2)."""


def open_store():
    """The job store for a command that changes something, with crashed
    runs marked interrupted; a damaged or unwritable store as a plain
    message (app.jobs.access)."""
    from app.jobs.access import open_for_writing
    from app.jobs.store import StoreError

    try:
        return open_for_writing()
    except (StoreError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None


def open_store_to_read():
    """The job store for a command that only looks: read-only on read-only
    media, still readable when damaged; its notes go to stderr."""
    import sys

    from app.jobs.access import open_for_reading
    from app.jobs.store import StoreError

    try:
        opened = open_for_reading()
    except (StoreError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    for note in opened.notes:
        print(note, file=sys.stderr)
    return opened.store


def print_json(obj: Any) -> None:
    """One strict-JSON line (NaN is not JSON: callers pass None), flushed;
    a closed pipe (``| head``) is not an error."""
    try:
        print(json.dumps(obj, allow_nan=False, default=str), flush=True)
    except BrokenPipeError:
        pass


def parse_tag(text: str, example: str = "genre=chorale") -> tuple[str, str]:
    """``"key=value"`` as (key, value), stripped; ``CommandError`` otherwise."""
    key, eq, value = text.partition("=")
    if not eq or not key.strip() or not value.strip():
        raise CommandError(f"tag {text!r} must look like key=value (for example {example})")
    return key.strip(), value.strip()


def num(value: float | None, fmt: str = ".3f", missing: str = "-") -> str:
    """``value`` formatted, or ``missing`` when it is None, NaN or infinite."""
    value = finite_or_none(value)
    return missing if value is None else format(value, fmt)

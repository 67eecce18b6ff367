"""Work around PySide6 6.12 dropping a reference to None on CPython 3.11.

Measured here (PySide6 6.12.0, Python 3.11.7): every call of a Qt method that
returns nothing (QLabel.setText, QWidget.update, QPainter.drawRect, ...)
lowers ``sys.getrefcount(None)`` by one. None starts near 16,000 references
(60,000 once torch is imported), so a piano roll repainting at 60 Hz
brought the process down in seconds with "Fatal Python error: none_dealloc".
From CPython 3.12 None is immortal and the bug is harmless, so this does
nothing there. On 3.11 it gives None a reference count that no run will
exhaust (None is never freed anyway). Idempotent; call before heavy Qt use.
"""

from __future__ import annotations

import ctypes
import sys

_GUARD = 1 << 40
_applied = False


def protect_none() -> bool:
    """Return True when the guard is in place (or not needed)."""
    global _applied
    if _applied or sys.version_info >= (3, 12):
        return True
    if sys.implementation.name != "cpython":
        return False
    # ob_refcnt is the first field of every object in a release build of CPython 3.11
    ctypes.c_ssize_t.from_address(id(None)).value += _GUARD
    _applied = True
    return True

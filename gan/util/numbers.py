"""NaN and None: the two spellings of "no value".

Training reports an undefined number (a metric of a silent voice, a loss
between log intervals) as NaN; SQLite and strict JSON hold it as null.
These two functions are the only place that converts between them.
"""

from __future__ import annotations

import math
from typing import Any

NAN = float("nan")


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or None for None, NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def nan_if_none(value: Any) -> float:
    """``value`` as a float, NaN where it is None (a stored null)."""
    return NAN if value is None else float(value)


def is_finite(value: Any) -> bool:
    """True for a real, finite number (False for None, NaN, infinities)."""
    return value is not None and math.isfinite(value)


def nan_div(num, den):
    """``num / den`` elementwise as floats, NaN where ``den`` is 0 (a rate
    of nothing: a voice with no notes has no repeated-note rate)."""
    import numpy as np

    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out

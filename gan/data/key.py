"""Key and mode of a piece from its note rows (Krumhansl-Kessler profiles).

Kept here, in numpy, so imported MIDI files get a key tag without music21.
"""

from __future__ import annotations

import numpy as np

PITCH_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(notes: np.ndarray) -> tuple[str, str]:
    """``(tonic, mode)`` such as ``("F#", "minor")``; ``("", "")`` without notes.

    Pitch classes are weighted by duration, then correlated with the 24
    rotated major/minor profiles; the best correlation wins.
    """
    notes = np.asarray(notes)
    if len(notes) == 0:
        return "", ""
    hist = np.bincount(notes[:, 3].astype(np.int64) % 12, weights=notes[:, 2].astype(float), minlength=12)
    if hist.sum() <= 0 or np.allclose(hist, hist[0]):
        return "", ""
    best = (-2.0, "", "")
    for tonic in range(12):
        for mode, profile in (("major", _MAJOR), ("minor", _MINOR)):
            r = np.corrcoef(hist, np.roll(profile, tonic))[0, 1]
            if r > best[0]:
                best = (r, PITCH_NAMES[tonic], mode)
    return best[1], best[2]

"""music21 score -> 4/4 pieces of exact note rows (build time only).

The rules, and why:

- **Bars, not offsets.** The grid is the first part's measures. A bar is
  kept when it is full (exactly 4 quarter notes long) and its metre is 4/4
  (or 2/2, the same bar on the same 16th grid). Pickup bars and a last
  partial bar are dropped; the two halves of a bar split across a repeat
  sign (3 + 1 beats in the chorales) are adjacent partial measures and are
  joined back into one bar. Bars in other metres are dropped. Each run of
  consecutive kept bars becomes one piece (a "phrase" when a file has
  several runs), so nothing is shifted off the bar lines.
- **Other metres.** A score with no 4/4 bar at all is skipped (``metre``);
  a multi-movement file keeps its 4/4 movements. The folk genre also takes
  2/4 songs, two 2/4 bars making one 4/4 bar.
- **Off the 16th grid.** Starts and ends are rounded to the nearest 16th
  and counted; a run of bars with more than ``MAX_OFF_GRID`` of its notes
  off the grid (triplet-heavy) is dropped, and a score that keeps no run
  for that reason is skipped (``off-grid notes``).
- **One line per voice.** Ties are merged first. A chord inside one part
  keeps its highest note, except in the bass (lowest). Notes that overlap in
  one part (divisi, double stops written as voices) are cut at the next
  onset, so each track is monophonic like the voice it stands for.
- Notes are rows ``(track, start, duration, pitch)`` (see ``gan.data.roll``),
  so repeated notes stay apart exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan.data.key import estimate_key
from gan.data.dataset_file import Piece

STEPS_PER_QUARTER = 4
BAR_QUARTERS = 4.0
ACCEPTED_METRES = ("4/4", "2/2")
# Renaissance polyphony is barred in 4/2: each bar is two 4/4 bars of music.
RENAISSANCE_METRES = ("4/4", "2/2", "4/2")
MAX_OFF_GRID = 0.10
MIN_BARS = 2


class SkipPiece(Exception):
    """This score cannot become a piece; ``reason`` is a short category."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class ConvertStats:
    notes: int = 0
    off_grid_notes: int = 0
    bars_kept: int = 0
    bars_dropped_partial: int = 0
    bars_dropped_metre: int = 0
    bars_dropped_off_grid: int = 0


def _kept_bar_runs(part, stats: ConvertStats, metres=ACCEPTED_METRES) -> list[tuple[float, int]]:
    """(start offset in quarters, number of bars) of each run of kept bars."""
    from music21 import meter

    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        raise SkipPiece("no bar lines", "the first part has no measures")
    first_ts = part.recurse().getElementsByClass(meter.TimeSignature).first()
    current = first_ts.ratioString if first_ts is not None else "4/4"
    runs: list[tuple[float, int]] = []
    run_start, run_len, expected = None, 0, None
    pending = None  # (offset, length) of partial bars that may add up to one

    def keep(bar_offset: float) -> None:
        """A kept 4/4 bar: extends the current run when it follows on."""
        nonlocal run_start, run_len, expected
        if run_start is not None and abs(bar_offset - expected) < 1e-6:
            run_len += 1
        else:
            if run_start is not None:
                runs.append((run_start, run_len))
            run_start, run_len = bar_offset, 1
        expected = bar_offset + BAR_QUARTERS

    any_accepted = False
    for m in measures:
        if m.timeSignature is not None:
            current = m.timeSignature.ratioString
        length = float(m.duration.quarterLength)
        offset = float(m.offset)
        metre_ok = current in metres
        any_accepted |= metre_ok
        if not metre_ok:
            stats.bars_dropped_metre += 1
            if pending is not None:
                stats.bars_dropped_partial += 1
                pending = None
            if run_start is not None:
                runs.append((run_start, run_len))
                run_start = None
            continue
        if current == "4/2" and pending is None and abs(length - 2 * BAR_QUARTERS) < 1e-6:
            # a full 4/2 bar (renaissance) is kept as two 4/4 bars
            keep(offset)
            keep(offset + BAR_QUARTERS)
            continue
        if abs(length - BAR_QUARTERS) >= 1e-6:
            # a bar split across a repeat sign (3 + 1 beats in the chorales)
            # is two adjacent partial measures: join them back into one bar
            if pending is not None and abs(pending[0] + pending[1] - offset) < 1e-6 \
                    and pending[1] + length <= BAR_QUARTERS + 1e-6:
                pending = (pending[0], pending[1] + length)
            else:
                if pending is not None:
                    stats.bars_dropped_partial += 1
                pending = (offset, length)
            if abs(pending[1] - BAR_QUARTERS) >= 1e-6:
                continue
            offset, pending = pending[0], None
        elif pending is not None:
            stats.bars_dropped_partial += 1
            pending = None
        keep(offset)
    if pending is not None:
        stats.bars_dropped_partial += 1
    if run_start is not None:
        runs.append((run_start, run_len))
    if not any_accepted:
        raise SkipPiece("metre", f"time signature {current} (4/4 only)")
    return runs


def _part_events(part, track: int, n_tracks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end) in quarters and one pitch per note/chord of one part."""
    from music21 import chord, note

    lowest = track == n_tracks - 1 and n_tracks > 1
    starts, ends, pitches = [], [], []
    for element in part.stripTies().flatten().notes:
        ql = float(element.duration.quarterLength)
        if ql <= 0:  # grace notes take no time on the grid
            continue
        if isinstance(element, chord.Chord):
            midis = [p.midi for p in element.pitches]
            if not midis:
                continue
            pitch = min(midis) if lowest else max(midis)
        elif isinstance(element, note.Note):
            pitch = element.pitch.midi
        else:  # unpitched percussion
            continue
        start = float(element.offset)
        starts.append(start)
        ends.append(start + ql)
        pitches.append(pitch)
    return np.array(starts, dtype=float), np.array(ends, dtype=float), np.array(pitches, dtype=np.int64)


def monophonic(notes: np.ndarray, lowest_wins: bool) -> np.ndarray:
    """One note at a time in one track: same onset -> highest (or lowest)
    pitch; a note still sounding at the next onset is cut there."""
    if len(notes) == 0:
        return notes
    key_pitch = notes[:, 3] if lowest_wins else -notes[:, 3]
    notes = notes[np.lexsort((key_pitch, notes[:, 1]))]
    first = np.ones(len(notes), dtype=bool)
    first[1:] = notes[1:, 1] != notes[:-1, 1]
    notes = notes[first].copy()
    ends = notes[:, 1] + notes[:, 2]
    next_start = np.append(notes[1:, 1], np.iinfo(np.int64).max)
    notes[:, 2] = np.minimum(ends, next_start) - notes[:, 1]
    return notes[notes[:, 2] > 0]


def _on_grid(q: np.ndarray) -> np.ndarray:
    steps = q * STEPS_PER_QUARTER
    return np.abs(steps - np.round(steps)) < 1e-6


def score_to_pieces(score, name: str, tags: dict[str, str], parts=None,
                    tempo: float | None = None, stats: ConvertStats | None = None,
                    min_bars: int = MIN_BARS, metres: tuple[str, ...] = ACCEPTED_METRES) -> list[Piece]:
    """Pieces (one per run of kept 4/4 bars) from a music21 score.

    ``parts`` are the score's parts in track order (top voice first); by
    default all parts that hold notes, which must be exactly four.
    ``metres``: accepted time signatures; with "2/4" (folk songs) two
    adjacent 2/4 bars are joined into one 4/4 bar like any partial bars.
    """
    stats = stats if stats is not None else ConvertStats()
    if parts is None:
        parts = [p for p in score.parts if len(p.recurse().notes)]
        if len(parts) != 4:
            raise SkipPiece("voices", f"{len(parts)} parts with notes (4 needed)")
    if not parts:
        raise SkipPiece("voices", "no part with notes")
    runs = _kept_bar_runs(parts[0], stats, metres)
    if tempo is None:
        tempo = _first_tempo(score)

    rows, total = [], 0
    for track, part in enumerate(parts):
        starts, ends, pitches = _part_events(part, track, len(parts))
        total += len(starts)
        off = ~(_on_grid(starts) & _on_grid(ends))
        s = np.round(starts * STEPS_PER_QUARTER).astype(np.int64)
        e = np.round(ends * STEPS_PER_QUARTER).astype(np.int64)
        e = np.maximum(e, s + 1)  # a rounded-away note still gets one step
        # a fifth column remembers which notes were rounded onto the grid
        rows.append(np.stack([np.full(len(s), track), s, e - s, pitches, off], axis=1).reshape(-1, 5))
    if total == 0:
        raise SkipPiece("empty", "no notes")
    lowest = len(parts) - 1 if len(parts) > 1 else -1
    all_notes = np.concatenate(
        [monophonic(r, lowest_wins=(t == lowest)) for t, r in enumerate(rows)]
    )

    pieces, off_grid_runs = [], []
    usable = [(a, n) for a, n in runs if n >= min_bars]
    for index, (start_q, n_bars) in enumerate(usable):
        lo = int(round(start_q * STEPS_PER_QUARTER))
        hi = lo + n_bars * 16
        inside = all_notes[(all_notes[:, 1] >= lo) & (all_notes[:, 1] < hi)].copy()
        if len(inside) == 0:
            continue
        # judged per run: a triplet-heavy movement goes, the 4/4 ones of the
        # same file stay
        off_grid = int(inside[:, 4].sum())
        if off_grid > MAX_OFF_GRID * len(inside):
            off_grid_runs.append(f"{off_grid} of {len(inside)} notes")
            stats.bars_dropped_off_grid += n_bars
            continue
        stats.notes += len(inside)
        stats.off_grid_notes += off_grid
        inside = inside[:, :4]
        inside[:, 1] -= lo
        inside[:, 2] = np.minimum(inside[:, 2], n_bars * 16 - inside[:, 1])
        inside = inside[np.lexsort((inside[:, 3], inside[:, 1], inside[:, 0]))].astype(np.int32)
        tonic, mode = estimate_key(inside)
        piece_tags = dict(tags)
        piece_tags.update({"key": tonic, "mode": mode})
        label = name if len(usable) == 1 else f"{name} [{index + 1}]"
        pieces.append(Piece(name=label, notes=inside, n_bars=n_bars, tags=piece_tags,
                            tempo=float(tempo), time_signature=(4, 4)))
        stats.bars_kept += n_bars
    if not pieces and off_grid_runs:
        raise SkipPiece("off-grid notes", "off the 16th grid: " + ", ".join(off_grid_runs))
    if not pieces:
        raise SkipPiece("too short", f"no run of {min_bars}+ full 4/4 bars")
    return pieces


def _first_tempo(score, default: float = 100.0) -> float:
    from music21 import tempo

    mark = score.recurse().getElementsByClass(tempo.MetronomeMark).first()
    if mark is None:
        return default
    try:
        bpm = float(mark.getQuarterBPM())
    except Exception:
        return default
    return bpm if 20 <= bpm <= 400 else default

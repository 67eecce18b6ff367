"""Rewriting clashes between voices, note by note, as the piece goes: the
mechanics behind gan.models.part_writing's parallels and crossings rules.

A clash (a parallel fifth or octave, a crossing of neighbouring voices) is
given way by one of its two voices taking, for its whole note, the
composer's likeliest other pitch that repeats no note, leaps no octave to
or from its neighbouring notes, crosses or meets in unison no neighbour,
and makes no parallel on the way in or out. A given
voice (the melody) never changes; the rhythm never changes, only pitches.
Where no such pitch exists the clash stays.
"""

from __future__ import annotations

import itertools

import numpy as np

from gan.evaluation.voice_leading import FIFTH, MAX_REST_STEPS, OCTAVE

# How many of the composer's likeliest pitches a note that gives way may
# take. 12 rather than 6 (2026-12-08): the critic-alone `lab` model's
# likeliest six so often all clash that its voices crossed 3.2 times as
# often as Bach's with 6 and 2.3 times with 12 (index 0.865 -> 0.869 on
# 1,880 unseen-melody pieces); `quick`'s index stays (0.9446 and 0.9360 on
# two checkpoints, a few notes changed in one).
CHOICES = 12


def pitch_lines(state: np.ndarray) -> np.ndarray:
    """(voices, steps) sounding pitch row, -1 for silence (monophonic voices)."""
    sounding = state > 0
    return np.where(sounding.any(-1), sounding.argmax(-1), -1)


def parallel_at(p: np.ndarray, a: int, b: int, t: int, intervals) -> bool:
    """Voices a (upper) and b, both sounding at step t, reach it by similar
    motion from their last sonority (a rest of at most MAX_REST_STEPS
    between) and stand an avoided interval class apart before and after:
    the parallels gan.evaluation.voice_leading counts, one step at a time
    (tests/test_part_writing.py checks that the two count alike)."""
    if p[a, t] < 0 or p[b, t] < 0:
        return False
    s = t - 1
    while s >= 0 and (p[a, s] < 0 or p[b, s] < 0):
        s -= 1
    if s < 0 or t - s - 1 > MAX_REST_STEPS:
        return False
    up, down = p[a, t] - p[a, s], p[b, t] - p[b, s]
    if up == 0 or np.sign(up) != np.sign(down):
        return False
    before, after = abs(p[a, s] - p[b, s]) % 12, abs(p[a, t] - p[b, t]) % 12
    return before == after and after in intervals  # a fifth into an octave is no parallel


def _candidates(p: np.ndarray, v: int, start: int, end: int, ranked) -> list[int]:
    """The pitches in ``ranked`` (best first) that voice v's note over steps
    start..end (inclusive) could take without repeating the note before or
    after it or leaping an octave to or from them, or crossing or meeting
    in unison a neighbouring voice (a voice lost to the ear) while it
    sounds; never its own pitch. (The octaves: the composer likes a
    note's pitch class in other octaves too, and the critic-alone `lab`
    model's inner voices, giving way often, leapt octaves 10 to 15 times
    as often as Bach's; without these, alto 0.139 -> 0.111 leaps of an
    octave or more a bar, index unchanged within 0.001.)"""
    voices, steps = p.shape
    span = slice(start, end + 1)
    above = p[v - 1, span] if v > 0 else ()
    below = p[v + 1, span] if v + 1 < voices else ()
    ceiling = min((x for x in above if x >= 0), default=np.inf)
    floor = max((x for x in below if x >= 0), default=-1)
    before = p[v, start - 1] if start > 0 else -1
    after = p[v, end + 1] if end + 1 < steps else -1
    taken = {p[v, start], before, after}
    # nor leaping an octave to or from them
    taken |= {x + d for x in (before, after) if x >= 0 for d in (-12, 12)}
    return [int(q) for q in ranked if floor < q < ceiling and q not in taken]


def _no_parallel(p: np.ndarray, v: int, start: int, end: int, q: int, intervals) -> bool:
    """Pitch q for voice v's note over steps start..end makes no parallel
    with any voice on the way in or out."""
    voices, steps = p.shape
    trial = p.copy()
    trial[v, start:end + 1] = q
    after = range(end + 1, min(steps, end + 2 + MAX_REST_STEPS))
    for other in range(voices):
        if other == v:
            continue
        # Inside the note v holds q, so a parallel can come only where the
        # pair's previous sonority lies before the note: at its first step,
        # and where ``other`` first sounds if it is silent there.
        inside = [start]
        if trial[other, start] < 0:
            sounds = np.flatnonzero(trial[other, start + 1:end + 1] >= 0)
            inside += [start + 1 + int(sounds[0])] if len(sounds) else []
        pair = (min(v, other), max(v, other))
        if any(parallel_at(trial, *pair, t, intervals) for t in (*inside, *after)):
            return False
    return True


def _note_starts(p: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(voices, steps): the step where the note (or rest) sounding at each
    step began."""
    steps = np.arange(p.shape[1])
    begins = onsets.copy()
    begins[:, 0] = True
    begins[:, 1:] |= p[:, 1:] != p[:, :-1]
    return np.maximum.accumulate(np.where(begins, steps, 0), axis=1)


def _give_way(p, starts, scores, fixed, a, b, t, intervals, choices, margin=np.inf) -> bool:
    """One of voices a and b takes, for its whole note sounding at step t
    (``starts``: ``_note_starts``), the composer's likeliest other pitch
    that makes no repeated note, crossing or parallel, and that the
    composer likes at most ``margin`` less (log probability over the note)
    than the note's own: True if one did."""
    voices, steps = p.shape
    # an inner voice first, then the bass, then the top voice; never a given
    # voice (the melody the accompaniment model was handed)
    order = sorted((v for v in (a, b) if v >= fixed),
                   key=lambda v: (2 if v == 0 else 1 if v == voices - 1 else 0, v))
    for v in order:
        # a parallel arrives where both notes start; a crossing may come mid-note
        start = end = starts[v, t]
        while end + 1 < steps and starts[v, end + 1] == start:
            end += 1
        likes = scores[v - fixed, start:end + 1].sum(0)
        ranked = np.argsort(-likes)[:choices]
        lowest = likes[p[v, start]] - margin
        for q in _candidates(p, v, start, end, ranked):
            if likes[q] < lowest:
                break  # ranked best first: the rest cost more still
            if _no_parallel(p, v, start, end, q, intervals):
                p[v, start:end + 1] = q
                return True
    return False


def avoid_parallels(state: np.ndarray, scores: np.ndarray, fixed: int = 1,
                    intervals: tuple[int, ...] = (FIFTH, OCTAVE), choices: int = CHOICES) -> np.ndarray:
    """A copy of ``state`` (n, voices, steps, pitches) note-state rolls of
    monophonic voices, top voice first, with parallels in ``intervals``
    rewritten where possible.

    ``scores`` (n, voices - fixed, steps, pitches): the composer's log
    probabilities for the generated voices (the first ``fixed`` voices are
    given and kept). Each replacement is one of the ``choices`` pitches the
    composer likes best over the whole note. Onsets (the rhythm) never
    change, only pitches.
    """
    if not intervals:
        return state
    from gan.evaluation.voice_leading import parallel_steps

    def found(p, a, b):
        steps = parallel_steps(p[a], p[b])
        return np.logical_or.reduce([steps[i] for i in intervals])

    pairs = list(itertools.combinations(range(state.shape[1]), 2))
    return _rewrite(state, scores, fixed, intervals, choices, pairs, found,
                    lambda p, a, b, t: parallel_at(p, a, b, t, intervals))


def avoid_crossings(state: np.ndarray, scores: np.ndarray, fixed: int, intervals: tuple[int, ...],
                    margins, choices: int = CHOICES) -> np.ndarray:
    """A copy of ``state`` (as ``avoid_parallels``) where each neighbouring
    pair (u, u + 1) has the crossings (the lower voice above the upper)
    rewritten that can be by a note the composer likes at most
    ``margins[u]`` less than the crossing one (log probability over the
    note; 0: none, ``np.inf``: any), and that makes no parallel in
    ``intervals`` either."""
    pairs = [(u, u + 1) for u, margin in enumerate(margins) if margin > 0]
    if not pairs:
        return state
    return _rewrite(state, scores, fixed, intervals, choices, pairs,
                    lambda p, a, b: (p[a] >= 0) & (p[b] > p[a]),
                    lambda p, a, b, t: p[a, t] >= 0 and p[b, t] > p[a, t],
                    [margins[a] for a, _ in pairs])


def _rewrite(state, scores, fixed, intervals, choices, pairs, found, clash,
             margins=None) -> np.ndarray:
    """``state`` with every clash (``clash(lines, a, b, t)``, for the voice
    pairs in ``pairs``, step by step as the piece goes) given way where the
    composer offers a note that fits. ``found(lines, a, b)``: the steps of
    every clash of a pair at once, bool (steps,). A note given way makes
    no new clash (``_candidates``, ``_no_parallel``), so only the clashes
    found at the start are visited, each checked again first: an earlier
    change may have undone it. ``margins``: one per pair (``_give_way``;
    none: any cost)."""
    out = state.copy()
    for i in range(len(out)):
        p = pitch_lines(out[i])
        onsets = (out[i] == 2).any(-1)
        starts = _note_starts(p, onsets)
        changed = False
        # A clash between the same two notes that could not be undone cannot
        # be at a later step either, until some note changes: a crossing
        # lasts as long as its notes overlap, and trying again at every step
        # made a judging of `lab` take seconds.
        stuck: set[tuple[int, int, int, int]] = set()
        clashes = sorted((int(t), k) for k, (a, b) in enumerate(pairs)
                         for t in np.flatnonzero(found(p, a, b)))
        for t, k in clashes:
            a, b = pairs[k]
            notes = (a, b, starts[a, t], starts[b, t])
            if notes in stuck or not clash(p, a, b, t):
                continue
            margin = np.inf if margins is None else margins[k]
            if _give_way(p, starts, scores[i], fixed, a, b, t, intervals, choices, margin):
                changed = True
                stuck.clear()
                starts = _note_starts(p, onsets)
            else:
                stuck.add(notes)
        if changed:
            rows = np.arange(out.shape[-1])
            sounding = (p[..., None] == rows) & (p[..., None] >= 0)
            out[i] = sounding.astype(np.int8) + (sounding & onsets[..., None]).astype(np.int8)
    return out

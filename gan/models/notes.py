"""From a generator's raw output to notes, the same way for both families.

A generator writes, for each voice it composes, three maps over
(steps, pitches) of logits:

- ``PITCH``: which pitch sounds;
- ``ONSET``: whether a note starts at this step (rather than the note of
  the step before going on), which is what keeps repeated notes apart and
  a sixteenth one step long;
- ``REST`` (single-line voices only): whether the voice is silent.

For single-line (monophonic) voices, as in every built-in genre, each step
is one choice among the pitches plus a rest (a softmax over ``P + 1``), so a
voice can never sound two pitches at once, and the onset logit is one per
step (the maps are averaged over pitch). Otherwise every pitch is its own
yes/no (sigmoids) with an onset per cell.

``decide`` turns probabilities into notes (what is saved and heard);
``straight_through`` gives the critic those same hard notes while letting
gradients flow through the probabilities (as in BinaryMuseGAN: otherwise
the critic only has to spot "soft" rolls). ``reconstruction_loss`` is the
pix2pix-style pull towards real voices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

MAPS = 3
PITCH, ONSET, REST = 0, 1, 2


@dataclass
class NoteProbs:
    frames: torch.Tensor  # (n, v, T, P): probability that each pitch sounds
    onsets: torch.Tensor  # (n, v, T, P) (monophonic: (n, v, T, 1)): a note starts here
    rest: torch.Tensor | None  # (n, v, T): the voice is silent (monophonic only)
    pitch_logits: torch.Tensor  # (n, v, T, P + 1) with the rest first (monophonic), else (n, v, T, P)
    onset_logits: torch.Tensor  # like ``onsets``


def probabilities(maps: torch.Tensor, monophonic: bool) -> NoteProbs:
    """``maps``: (n, voices, MAPS, T, P) logits."""
    maps = maps.float()
    pitch = maps[:, :, PITCH]
    if monophonic:
        rest = maps[:, :, REST].mean(-1, keepdim=True)
        logits = torch.cat([rest, pitch], -1)
        p = torch.softmax(logits, -1)
        onset_logits = maps[:, :, ONSET].mean(-1, keepdim=True)
        return NoteProbs(p[..., 1:], torch.sigmoid(onset_logits), p[..., 0], logits, onset_logits)
    onset_logits = maps[:, :, ONSET]
    return NoteProbs(torch.sigmoid(pitch), torch.sigmoid(onset_logits), None, pitch, onset_logits)


def _shift_time(x: torch.Tensor, fill) -> torch.Tensor:
    """x[..., t, :] -> x[..., t - 1, :] along the step axis (-2), ``fill`` first."""
    out = torch.full_like(x, fill)
    out[..., 1:, :] = x[..., :-1, :]
    return out


@torch.no_grad()
def decide(probs: NoteProbs, monophonic: bool, restrike: Sequence[float] = (),
           onset_shift: Sequence[float] = (), octave: Sequence[float] = ()
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """(sounding, onsets), bool (n, v, T, P): the notes the probabilities mean.

    Monophonic: a step sounds when a rest is less likely than not; a note
    starts after a rest or where an onset is likely, and takes the pitch
    that is most likely over all its steps. So note boundaries come from the
    onset alone: picking pitches step by step would let a held note flicker
    between neighbours into a run of sixteenths.

    ``restrike``, one strength in [0, 1] per voice (monophonic only; empty:
    none): a note struck straight after another takes the pitch likeliest
    *given that a new note starts there* (``_pitch_given_onset``) rather
    than over all outcomes, at 1 fully, at 0 not at all. The strengths
    are fitted to the genre (gan.models.part_writing): how well the maps
    are calibrated differs by model.

    ``octave``, one strength in [0, 1] per voice (with ``restrike`` only;
    empty: none): the share taken off a re-struck note's held pitch comes
    off that pitch an octave up and down too, at this strength, so the
    note does not merely sound again in another register (the composer's
    bass leapt octaves half as often again as Bach's once re-struck
    notes took their pitch given the onset); fitted to the genre
    (gan.models.part_writing.fit_octaves).

    ``onset_shift``, one logit per voice (monophonic only; empty: none):
    taken off each voice's onset logits first, so that a voice strikes
    fewer notes (positive) or more (negative) than at even odds; fitted so
    that each voice strikes as many notes per bar as the genre's real music
    (gan.models.part_writing.fit_onsets).
    """
    frames = probs.frames
    if not monophonic:
        sounding = frames > 0.5
        starts = sounding & ((probs.onsets > 0.5) | ~_shift_time(sounding, False))
        return sounding, starts
    onsets = probs.onsets  # (n, v, T, 1)
    if len(onset_shift):
        shift = torch.as_tensor(onset_shift, dtype=onsets.dtype, device=onsets.device).view(-1, 1, 1)
        onsets = torch.sigmoid(torch.logit(onsets, eps=1e-6) - shift)
    sounding = (probs.rest < 0.5).unsqueeze(-1)  # (n, v, T, 1)
    after_note = _shift_time(sounding, False)
    starts = sounding & (~after_note | (onsets > 0.5))
    restruck = starts & after_note  # a note struck straight after another
    starts, sounding, restruck = starts.squeeze(-1), sounding.squeeze(-1), restruck.squeeze(-1)
    run = torch.cumsum(starts.long(), -1) * sounding.long()  # note number of each step, 0 = rest
    steps = frames.shape[-2]
    member = F.one_hot(run, steps + 1).to(frames.dtype)  # (n, v, T, notes + 1)
    note_sums = member.transpose(-1, -2) @ frames  # (n, v, notes + 1, P)
    note_pitch = note_sums.argmax(-1)  # (n, v, notes + 1)
    if len(restrike):
        strength = torch.as_tensor(restrike, dtype=frames.dtype, device=frames.device).view(-1, 1)
        octaves = (torch.as_tensor(octave, dtype=frames.dtype, device=frames.device)
                   if len(octave) else None)
        note_pitch = _pitch_given_onset(frames, onsets.squeeze(-1), starts, restruck, run,
                                        note_sums, note_pitch, strength, octaves)
    pitch = torch.gather(note_pitch, -1, run)
    hard = F.one_hot(pitch, frames.shape[-1]).bool() & sounding.unsqueeze(-1)
    return hard, hard & starts.unsqueeze(-1)


def _pitch_given_onset(frames: torch.Tensor, onset_p: torch.Tensor, starts: torch.Tensor,
                       restruck: torch.Tensor, run: torch.Tensor, note_sums: torch.Tensor,
                       note_pitch: torch.Tensor, strength: torch.Tensor,
                       octave: torch.Tensor | None = None) -> torch.Tensor:
    """Each re-struck note's pitch, with the chance that the voice merely
    holds on taken off the pitch it held.

    A step's pitch probabilities are over every outcome: where the composer
    is unsure whether the voice moves up, moves down or holds, the held
    pitch gathers the holding share as well as its own, and wins, and the
    onset that was likely then re-strikes it. The share that the voice is
    still holding at step s of a note struck at t is about
    prod_{u=t..s}(1 - onset_u); what stays on the held pitch is the chance
    of a genuine repeat. Without this the accompaniment model re-struck
    its notes 1.6 times (the bass 5 times) as often as Bach
    (docs/bench/gan.md). Notes go in order, as each needs the pitch of the
    one before: ``frames`` (n, v, T, P); ``onset_p``, ``starts`` (every
    note's first step), ``restruck`` (those straight after another note)
    and ``run`` (n, v, T), ``note_sums`` (n, v, notes + 1, P) the summed
    probabilities per note and ``note_pitch`` (n, v, notes + 1) their
    argmax; ``strength`` (v, 1): the share of the holding chance taken off.
    A model is not perfectly calibrated, and how much of its holding share
    sits on the decided pitch differs by genre (taking all of it off left
    string-quartet voices a seventh of their real repeats), hence the
    strengths. ``octave`` (v,): the share of what comes off the held pitch
    that comes off its octaves too (``decide``).
    """
    steps = frames.shape[-2]
    log_hold = torch.log1p(-onset_p.clamp(max=1 - 1e-6))
    total = torch.cumsum(log_hold, -1)
    at = torch.arange(steps, device=run.device).expand_as(run)
    start = torch.cummax(torch.where(starts, at, 0), -1).values  # the first step of each step's note
    since_start = total - torch.gather(total, -1, start) + torch.gather(log_hold, -1, start)
    holding = torch.exp(since_start) * torch.gather(restruck, -1, start) * strength  # 0 outside re-struck notes
    out = note_pitch.clone()
    struck = torch.zeros_like(note_pitch, dtype=torch.bool).scatter_(-1, run * restruck, restruck)
    for j in range(2, int(run.max()) + 1):  # the first note is never re-struck
        if not struck[..., j].any():
            continue
        held = out[..., j - 1]
        in_note = (run == j).to(frames.dtype)
        p_held = torch.gather(frames, -1, held[..., None, None].expand(*held.shape, steps, 1))[..., 0]
        taken = (torch.minimum(p_held, holding) * in_note).sum(-1)
        sums = note_sums[..., j, :].scatter_add(-1, held[..., None], -taken[..., None])
        if octave is not None:
            pitches = sums.shape[-1]
            for other in (held + 12, held - 12):
                there = ((other >= 0) & (other < pitches)).to(frames.dtype)
                sums = sums.scatter_add(-1, other.clamp(0, pitches - 1)[..., None],
                                        -(octave * taken * there)[..., None])
        out[..., j] = torch.where(struck[..., j], sums.argmax(-1), out[..., j])
    return out


def to_state(sounding: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """Note-state roll (int8: 0 silent, 1 held, 2 onset; see gan.data.roll)."""
    return sounding.to(torch.int8) + (starts & sounding).to(torch.int8)


def from_state(state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sounding, onsets) as floats from a note-state roll tensor."""
    return (state > 0).float(), (state == 2).float()


def straight_through(probs: NoteProbs, monophonic: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Hard (sounding, onsets) as floats, with the probabilities' gradients."""
    sounding, starts = decide(probs, monophonic)
    soft_onsets = probs.onsets * probs.frames
    frames_st = sounding.to(probs.frames.dtype) + probs.frames - probs.frames.detach()
    onsets_st = starts.to(probs.frames.dtype) + soft_onsets - soft_onsets.detach()
    return frames_st, onsets_st


def reconstruction_loss(probs: NoteProbs, real_frames: torch.Tensor, real_onsets: torch.Tensor,
                        monophonic: bool) -> torch.Tensor:
    """How far the voices are from the real ones under the same melody.

    Monophonic: cross-entropy of each step's choice (rest or pitch) plus the
    onset's binary cross-entropy on the steps where the real voice sounds.
    Otherwise: binary cross-entropy per cell of pitches and of onsets (the
    latter where the real voice sounds). Both are means per step, so the
    weight means the same whichever the width of the pitch window.
    """
    if monophonic:
        sounds = real_frames.amax(-1)  # (n, v, T)
        target = torch.where(sounds > 0, real_frames.argmax(-1) + 1, 0)
        choice = F.cross_entropy(probs.pitch_logits.flatten(0, -2), target.flatten())
        onset_target = real_onsets.amax(-1, keepdim=True)
        mask = sounds.unsqueeze(-1)
    else:
        choice = F.binary_cross_entropy_with_logits(probs.pitch_logits, real_frames,
                                                    reduction="none").sum(-1).mean()
        onset_target, mask = real_onsets, real_frames
    onset = F.binary_cross_entropy_with_logits(probs.onset_logits, onset_target, reduction="none")
    onset = (onset * mask).sum() / mask.sum().clamp(min=1.0)
    return choice + onset

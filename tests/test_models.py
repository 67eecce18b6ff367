"""Model shapes, sizes and generation helpers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from gan.config import preset
from gan.models import build_models, count_parameters
from gan.data.roll import frames, roll_to_notes
from gan.models import notes
from gan.training.sampling import generate


def small(arch: str, **kw):
    return dataclasses.replace(preset("smoke", arch), **kw)


@pytest.mark.parametrize("arch", ["unet", "musegan"])
@pytest.mark.parametrize("bars,pitches", [(1, 84), (2, 60), (4, 50), (3, 84)])
@pytest.mark.parametrize("monophonic", [True, False])
def test_models_fit_the_chosen_bars_and_pitch_range(arch, bars, pitches, monophonic):
    cfg = small(arch, bars_per_sample=bars)
    G, D = build_models(cfg, bars * 16, pitches, monophonic)
    torch.manual_seed(0)
    n, steps = 3, bars * 16
    if arch == "unet":
        melody = (torch.rand(n, steps, pitches) < 0.1).float()
        inputs = (melody, melody, torch.randn(n, cfg.latent_size))
    else:
        inputs = (torch.randn(n, *G.latent_shape()),)
    maps = G(*inputs)
    assert maps.shape == (n, len(G.voices), notes.MAPS, steps, pitches)
    probs = G.probabilities(*inputs)
    assert probs.frames.shape == (n, len(G.voices), steps, pitches)
    assert probs.frames.min() >= 0 and probs.frames.max() <= 1
    if monophonic:  # one choice per step: the pitches and the rest share one unit of probability
        total = probs.frames.sum(-1) + probs.rest
        assert torch.allclose(total, torch.ones_like(total), atol=1e-5)
    frames, starts = notes.straight_through(probs, monophonic)
    if arch == "unet":
        frames, starts = torch.cat([melody[:, None], frames], 1), torch.cat([melody[:, None], starts], 1)
    scores = D(torch.cat([frames, starts], 1))
    assert scores.shape == (n,)
    scores.sum().backward()  # critic and generator are differentiable end to end
    assert next(G.parameters()).grad is not None


def test_lab_unet_matches_the_hosted_console_size():
    G, D = build_models(preset("lab", "unet"), 64, 84)
    assert count_parameters(G) == pytest.approx(8.3e6, rel=0.06)
    # the piano-roll critic is the console's size; listening between the voices adds little
    assert count_parameters(D) - count_parameters(D.intervals) == pytest.approx(2.8e6, rel=0.06)
    assert count_parameters(D.intervals) < 0.1 * count_parameters(D)


def test_musegan_voices_differ_per_track():
    cfg = small("musegan")
    G, _ = build_models(cfg, 32, 84)
    torch.manual_seed(1)
    out = G(torch.randn(2, *G.latent_shape()))
    assert not torch.allclose(out[:, 0, notes.PITCH], out[:, 1, notes.PITCH])  # per-track generators


def test_generate_is_repeatable_and_validates_the_melody():
    cfg = small("unet")
    torch.manual_seed(0)
    G, _ = build_models(cfg, 32, 84)
    melody = np.zeros((2, 32, 84), dtype=bool)
    melody[:, :8, 48] = True
    a = generate(G, melody=melody, seed=3)
    b = generate(G, melody=melody, seed=3)
    assert a.dtype == np.int8 and a.shape == (2, 4, 32, 84)
    assert np.array_equal(a, b)
    assert np.array_equal(frames(a[:, 0]), melody)
    assert G.training  # restored after generating
    with pytest.raises(ValueError, match="melody must be"):
        generate(G, melody=np.zeros((2, 16, 84), dtype=bool))
    with pytest.raises(ValueError, match="needs a melody"):
        generate(G, n=2)


def test_unknown_architecture_and_partial_bars_are_refused():
    with pytest.raises(ValueError, match="whole 4/4 bars"):
        build_models(small("unet"), 30, 84)
    bogus = dataclasses.replace(small("unet"), architecture="transformer")
    with pytest.raises(ValueError, match="unknown architecture"):
        build_models(bogus, 32, 84)


def _probs(frames, rest=None, onsets=None):
    """NoteProbs for hand-made probabilities (1 piece, 1 voice)."""
    frames = frames[None, None]
    rest = None if rest is None else rest[None, None]
    if onsets is None:
        onsets = torch.zeros((*frames.shape[:-1], 1 if rest is not None else frames.shape[-1]))
    else:
        onsets = onsets[None, None]
    return notes.NoteProbs(frames, onsets, rest, frames, onsets)


def test_monophonic_notes_hold_one_pitch_and_start_where_asked():
    T, P = 8, 5
    p = torch.zeros(T, P)
    rest = torch.ones(T)
    p[0:3, 1], rest[0:3] = 0.9, 0.1  # a three-step note, mostly pitch 1 ...
    p[1, 1], p[1, 2] = 0.4, 0.5  # ... whose middle step slightly prefers pitch 2
    p[4:6, 3], rest[4:6] = 0.8, 0.2  # two steps of pitch 3 ...
    onsets = torch.zeros(T, 1)
    onsets[5] = 0.9  # ... repeated: a new note starts at step 5
    rest[7], p[7, 0] = 0.6, 0.4  # a rest is likelier: silent
    sounding, starts = notes.decide(_probs(p, rest, onsets), monophonic=True)
    state = notes.to_state(sounding, starts)[0, 0]
    expected = torch.zeros(T, P, dtype=torch.int8)
    expected[0:3, 1] = torch.tensor([2, 1, 1], dtype=torch.int8)  # the step's flicker does not split it
    expected[4:6, 3] = torch.tensor([2, 2], dtype=torch.int8)  # two notes, not one held
    assert torch.equal(state, expected)
    assert roll_to_notes(state[None].numpy()).tolist() == [[0, 0, 3, 25], [0, 4, 1, 27], [0, 5, 1, 27]]


def test_a_restruck_note_takes_the_pitch_likeliest_given_its_onset():
    """Steps 0-3 of pitch 2; at step 4 a new note is likely (0.7), and the
    pitch of steps 4-7 is 0.5 the held pitch 2, 0.45 a step up (3). Over all
    outcomes 2 wins (it holds the 0.3 chance of no new note too), so the
    plain decision re-strikes 2; given that a note starts, 3 is likelier."""
    T, P = 8, 5
    p = torch.zeros(T, P)
    p[0:4, 2] = 0.95
    p[4:8, 2], p[4:8, 3] = 0.5, 0.45
    rest = torch.full((T,), 0.05)
    onsets = torch.full((T, 1), 0.05)
    onsets[0], onsets[4] = 0.9, 0.7
    probs = _probs(p, rest, onsets)

    def pitches(given_onset):
        sounding, starts = notes.decide(probs, monophonic=True, restrike=(1.0,) if given_onset else ())
        return sounding[0, 0].int().argmax(-1).tolist(), starts[0, 0].any(-1).nonzero().flatten().tolist()

    assert pitches(False) == ([2] * 8, [0, 4])  # a repeated note
    assert pitches(True) == ([2] * 4 + [3] * 4, [0, 4])  # the voice moves; the rhythm is the same
    p[4:8, 2], p[4:8, 3] = 0.9, 0.05  # sure of the repeat: it stays
    probs = _probs(p, rest, onsets)
    assert pitches(True) == ([2] * 8, [0, 4])
    rest[3] = 0.9  # after a rest nothing was held: the plain choice
    p[4:8, 2], p[4:8, 3] = 0.5, 0.45
    probs = _probs(p, rest, onsets)
    assert notes.decide(probs, True, (1.0,))[0][0, 0, 4:].int().argmax(-1).tolist() == [2] * 4


def test_an_octave_strength_keeps_a_restruck_note_off_its_held_pitchs_octave():
    """Steps 0-3 of pitch 2; at step 4 a new note is likely (0.7), and the
    pitch of steps 4-7 is 0.4 the held pitch 2, 0.35 its octave (14) and
    0.2 a step up (3). Given the onset the held pitch loses its holding
    share (about 1.1 of its 1.6 over the note) and the octave wins: the same note sounds again an octave up. With
    the octave strength at 1 the octave loses that share too, and the voice
    moves a step; a voice without the strength, or with re-strikes off,
    keeps its choice."""
    T, P = 8, 16
    p = torch.zeros(T, P)
    p[0:4, 2] = 0.95
    p[4:8, 2], p[4:8, 14], p[4:8, 3] = 0.4, 0.35, 0.2
    rest = torch.full((T,), 0.05)
    onsets = torch.full((T, 1), 0.05)
    onsets[0], onsets[4] = 0.9, 0.7
    probs = _probs(p, rest, onsets)

    def second_note(restrike, octave):
        sounding, _ = notes.decide(probs, True, restrike=restrike, octave=octave)
        return sounding[0, 0, 4:].int().argmax(-1).tolist()

    assert second_note((1.0,), ()) == second_note((1.0,), (0.0,)) == [14] * 4
    assert second_note((1.0,), (1.0,)) == [3] * 4
    assert second_note((), (1.0,)) == second_note((0.0,), (1.0,)) == [2] * 4  # no re-strike: no change


def test_an_onset_shift_moves_each_voices_notes_and_their_pitches_follow():
    """One held note of 8 steps whose pitch drifts from 2 to 4 halfway, an
    onset of 0.4 at step 4. At even odds no note starts there: one note
    whose likeliest pitch over all 8 steps is 2. Shifted by -1 logit (0.4
    becomes 0.64) a note starts at step 4 and takes its own steps' pitch, 4.
    Shifted by +1, the first note still starts (nothing sounds before it)."""
    T, P = 8, 5
    p = torch.zeros(T, P)
    p[0:4, 2], p[4:8, 2], p[4:8, 4] = 0.9, 0.3, 0.6
    rest = torch.full((T,), 0.05)
    onsets = torch.full((T, 1), 0.05)
    onsets[0], onsets[4] = 0.9, 0.4
    probs = _probs(p, rest, onsets)

    def notes_of(shift):
        sounding, starts = notes.decide(probs, True, onset_shift=shift)
        return sounding[0, 0].int().argmax(-1).tolist(), starts[0, 0].any(-1).nonzero().flatten().tolist()

    assert notes_of(()) == notes_of((0.0,)) == ([2] * 8, [0])
    assert notes_of((-1.0,)) == ([2] * 4 + [4] * 4, [0, 4])
    assert notes_of((1.0,)) == ([2] * 8, [0])
    onsets[0] = 0.3  # a note after silence starts whatever its onset says
    assert notes.decide(_probs(p, rest, onsets), True, onset_shift=(3.0,))[1][0, 0, 0].any()


def test_pitch_given_onset_matches_its_note_by_note_definition():
    """Random batches: the vectorised choice equals a plain loop over each
    voice's notes that takes strength * prod(1 - onset) since the note's
    start off the held pitch, with a strength of its own for each voice."""
    torch.manual_seed(3)
    n, v, T, P = 6, 3, 32, 7
    frames = torch.softmax(torch.randn(n, v, T, P + 1) * 2, -1)
    probs = notes.NoteProbs(frames[..., 1:], torch.rand(n, v, T, 1), frames[..., 0], frames, frames)
    strengths = (1.0, 0.5, 0.0)
    sounding, starts = notes.decide(probs, True, restrike=strengths)
    plain, _ = notes.decide(probs, True)
    assert not torch.equal(sounding[:, :2], plain[:, :2])  # the case is not trivial
    assert torch.equal(sounding[:, 2], plain[:, 2])  # strength 0: the plain choice
    for i in range(n):
        for k in range(v):
            line = sounding[i, k].int().argmax(-1)
            on = (probs.rest[i, k] < 0.5).tolist()
            st = starts[i, k].any(-1).tolist()
            held, t = -1, 0
            while t < T:
                if not on[t]:
                    t, held = t + 1, -1
                    continue
                end = t
                while end + 1 < T and on[end + 1] and not st[end + 1]:
                    end += 1
                sums = probs.frames[i, k, t:end + 1].clone()
                if held >= 0:
                    hold = strengths[k] * torch.cumprod(1 - probs.onsets[i, k, t:end + 1, 0], 0)
                    sums[:, held] = (sums[:, held] - hold).clamp(min=0)
                expected = int(sums.sum(0).argmax())
                assert line[t:end + 1].tolist() == [expected] * (end + 1 - t), (i, k, t)
                held, t = expected, end + 1


def test_polyphonic_notes_sound_every_likely_pitch():
    p = torch.zeros(4, 3)
    p[0:4, 0] = 0.9
    p[0:2, 2] = 0.7
    onsets = torch.zeros(4, 3)
    onsets[2, 0] = 0.8
    sounding, starts = notes.decide(_probs(p, None, onsets), monophonic=False)
    assert sounding[0, 0, :, 0].all() and sounding[0, 0, :2, 2].all() and not sounding[0, 0, 2:, 2].any()
    assert starts[0, 0, :, 0].tolist() == [True, False, True, False]


def test_the_critic_hears_the_interval_classes_between_voices():
    from gan.models.critic import IntervalView

    view = IntervalView(n_steps=16, n_pitches=48, width=4)
    frames = torch.zeros(1, 4, 16, 48)
    frames[0, 0, :, 31] = 1  # soprano
    frames[0, 1, :, 24] = 1  # alto a fifth below (7 rows)
    frames[0, 3, :, 7] = 1  # bass two octaves below the soprano (24 rows)
    chroma = frames @ view.chroma
    lower = (chroma[:, view.lower] @ view.circulant).unflatten(-1, (12, 12))
    classes = (chroma[:, view.upper].unsqueeze(-2) @ lower).squeeze(-2)[0, :, 0]  # (pairs, 12)
    pair = {p: i for i, p in enumerate(view.pairs)}
    assert classes[pair[(0, 1)]].argmax() == 7 and classes[pair[(0, 1)]].sum() == 1
    assert classes[pair[(0, 3)]].argmax() == 0  # octaves are interval class 0
    assert classes[pair[(1, 3)]].argmax() == 5  # alto over bass: a fourth (17 rows)
    assert classes[pair[(0, 2)]].sum() == 0  # the tenor is silent: no interval

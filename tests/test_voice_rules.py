"""The composer's parallel-motion term counts what the voice-leading metric counts."""

import numpy as np
import torch

from gan.evaluation.voice_leading import voice_leading_metrics
from gan.models.voice_rules import parallels_per_bar
from tests.training_helpers import one_torch_thread, trained_trainer


def _lines_to_roll(lines: np.ndarray, pitches: int) -> np.ndarray:
    """(n, voices, steps) pitch rows -> bool roll (n, voices, steps, pitches)."""
    return np.eye(pitches, dtype=bool)[lines]


def test_hand_made_parallels_are_counted():
    # soprano C5 D5 E5 E5 over alto F4 G4 A4 G4: two parallel fifths (C/F->D/G->E/A),
    # then oblique motion; tenor holds, bass moves in octaves with the soprano once
    steps = 16
    lines = np.zeros((1, 4, steps), dtype=int)
    lines[0, 0] = [24, 26, 28, 28] + [28] * 12
    lines[0, 1] = [17, 19, 21, 19] + [19] * 12
    lines[0, 2] = [10] * 16
    lines[0, 3] = [0, 2] + [2] * 14  # C->D with the soprano's C->D: one parallel octave
    roll = torch.from_numpy(_lines_to_roll(lines, 36)).float()
    assert parallels_per_bar(roll).item() == 3.0


def test_counts_match_the_metric_on_random_lines():
    rng = np.random.default_rng(0)
    n, steps, pitches = 64, 32, 60
    # separated bands (no crossings) and small steps, so "same interval class
    # before and after, similar motion" is the same interval moved by both
    starts = np.array([44, 30, 16, 2])
    own = rng.integers(-4, 5, size=(n, 4, steps)) * (rng.random((n, 4, steps)) < 0.5)
    shared = np.broadcast_to(rng.integers(-4, 5, size=(n, 1, steps)), own.shape)
    walk = np.where(rng.random((n, 4, steps)) < 0.4, shared, own)  # voices often move together
    walk[..., 0] = 0
    lowest, highest = np.array([44, 30, 16, 0])[:, None], np.array([59, 43, 29, 15])[:, None]
    lines = np.clip(starts[:, None] + np.cumsum(walk, -1), lowest, highest)
    roll = _lines_to_roll(lines, pitches)
    metric = voice_leading_metrics(roll)
    expected = sum(metric[k] for k in metric
                   if k.startswith(("parallel_fifths/", "parallel_octaves/")) and not k.endswith("/all"))
    got = parallels_per_bar(torch.from_numpy(roll).float()).numpy()
    assert expected.sum() > 20  # the lines do move in parallel now and then
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_gradient_points_away_from_a_parallel():
    lines = np.array([[[24, 26], [17, 19]]])  # a parallel fifth, two voices, two steps
    roll = torch.cat([torch.from_numpy(np.eye(36, dtype=np.float32)[lines]),
                      torch.zeros(1, 2, 14, 36)], 2).requires_grad_(True)
    loss = parallels_per_bar(roll).sum()
    loss.backward()
    assert loss.item() == 1.0
    assert roll.grad[0, 0, 1, 26] > 0  # less of the soprano's D after C removes it


def test_penalty_lowers_the_parallels_the_composer_writes():
    """The same steps from the same start write fewer parallels with the
    penalty than without it (one torch thread: see the reconstruction test)."""
    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.models import notes
    from gan.training.session import check_data
    from gan.training.wgan import Batch

    cfg = preset("smoke")
    data = Corpus.load(["chorale"], include_imports=False).segments(cfg.bars_per_sample)[:256]
    state = torch.as_tensor(check_data(data, cfg))

    def parallels_after_training(weight: float) -> float:
        trainer = trained_trainer(cfg, data, state, 25, parallel_penalty=weight)
        frames, onsets = notes.from_state(state)
        z = torch.randn((len(state), *trainer.latent_shape), generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            fake, _ = trainer.fake(Batch(frames, onsets, z))
            return float(parallels_per_bar(fake[:, :4]).mean())

    with one_torch_thread():
        with_penalty, without = parallels_after_training(20.0), parallels_after_training(0.0)
    assert with_penalty < 0.5 * without, (with_penalty, without)

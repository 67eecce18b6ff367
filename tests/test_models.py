"""Model shapes, sizes and generation helpers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from gan.config import preset
from gan.models import build_models, count_parameters
from gan.training.sampling import generate


def small(arch: str, **kw):
    return dataclasses.replace(preset("smoke", arch), **kw)


@pytest.mark.parametrize("arch", ["unet", "musegan"])
@pytest.mark.parametrize("bars,pitches", [(1, 84), (2, 60), (4, 50), (3, 84)])
def test_models_fit_the_chosen_bars_and_pitch_range(arch, bars, pitches):
    cfg = small(arch, bars_per_sample=bars)
    G, D = build_models(cfg, bars * 16, pitches)
    torch.manual_seed(0)
    if arch == "unet":
        melody = (torch.rand(3, bars * 16, pitches) < 0.1).float()
        out = G(melody, torch.randn(3, cfg.latent_size))
        assert torch.equal(out[:, 0], melody)  # the given melody stays on top
    else:
        out = G(torch.randn(3, *G.latent_shape()))
    assert out.shape == (3, 4, bars * 16, pitches)
    assert out.min() >= 0 and out.max() <= 1
    scores = D(out)
    assert scores.shape == (3,)
    scores.sum().backward()  # the critic is differentiable end to end


def test_lab_unet_matches_the_hosted_console_size():
    G, D = build_models(preset("lab", "unet"), 64, 84)
    assert count_parameters(G) == pytest.approx(8.3e6, rel=0.05)
    assert count_parameters(D) == pytest.approx(2.8e6, rel=0.05)


def test_musegan_voices_differ_per_track():
    cfg = small("musegan")
    G, _ = build_models(cfg, 32, 84)
    torch.manual_seed(1)
    out = G(torch.randn(2, *G.latent_shape()))
    assert not torch.allclose(out[:, 0], out[:, 1])  # per-track generators


def test_generate_is_repeatable_and_validates_the_melody():
    cfg = small("unet")
    torch.manual_seed(0)
    G, _ = build_models(cfg, 32, 84)
    melody = np.zeros((2, 32, 84), dtype=bool)
    melody[:, :8, 48] = True
    a = generate(G, melody=melody, seed=3)
    b = generate(G, melody=melody, seed=3)
    assert a.dtype == bool and a.shape == (2, 4, 32, 84)
    assert np.array_equal(a, b)
    assert np.array_equal(a[:, 0], melody)
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


def test_monophonic_binarize_holds_one_pitch_per_run():
    from gan.models.layers import binarize

    p = torch.zeros(1, 1, 8, 5)
    p[0, 0, 0:3, 1] = 0.9  # a three-step run, mostly pitch 1 ...
    p[0, 0, 1, 2] = 0.95  # ... whose middle step prefers pitch 2
    p[0, 0, 4:6, 3] = 0.7
    p[0, 0, 5, 4] = 0.6
    p[0, 0, 7, 0] = 0.3  # below the threshold: silent
    hard = binarize(p, 0.5, monophonic=True)[0, 0]
    expected = torch.zeros(8, 5, dtype=torch.bool)
    expected[0:3, 1] = True
    expected[4:6, 3] = True
    assert torch.equal(hard, expected)
    poly = binarize(p, 0.5, monophonic=False)[0, 0]
    assert poly[1, 1] and poly[1, 2] and poly[5, 4]  # every pitch above 0.5

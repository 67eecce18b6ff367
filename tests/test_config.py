"""Every config field refuses invalid values with a message naming the field,
the value and what is allowed."""

from __future__ import annotations

import pytest

from gan.config import (PRESETS, SPECS, ConfigError, TrainConfig, allowed_text,
                        preset)

# (field, a bad value, a good value) for every field.
CASES = {
    "architecture": ("transformer", "musegan"),
    "epochs": (0, 3),
    "batch_size": (5000, 16),
    "generator_lr": (0.0, 2e-4),
    "critic_lr": (-1e-3, 2e-4),
    "beta1": (1.0, 0.0),
    "beta2": (1.5, 0.99),
    "critic_updates": (0, 1),
    "gp_weight": (-1.0, 0.0),
    "reconstruction_weight": (-0.5, 100.0),
    "parallel_penalty": (-1.0, 5.0),
    "transpose": (13, 5),
    "lr_floor": (1.5, 0.1),
    "reconstruction_fade": (1.5, 0.5),
    "ema_decay": (1.0, 0.99),
    "eval_share": (0.6, 0.2),
    "judge_genre": (2, 0),
    "interval_critic": (-1, 1),
    "keep_every": (-1, 5),
    "latent_size": (0, 100),
    "width": (1, 8),
    "bars_per_sample": (17, 1),
    "seed": (-1, 2**31 - 1),
    "device": ("gpu", "cuda:1"),
    "steps_per_epoch": (-5, 0),
    "samples_per_epoch": (0, 8),
    "metric_samples": (2, 32),
    "log_every": (0, 50),
    "cuda_graph": (2, 0),
    "precision": ("fp16", "fp32"),
    "epoch_end": ("later", "background"),
    "part_writing": (2, 0),
}


def test_every_field_has_a_case():
    assert set(CASES) == set(SPECS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_value_refused_with_field_value_and_range(name):
    bad, good = CASES[name]
    with pytest.raises(ConfigError) as info:
        TrainConfig().with_overrides({name: bad})
    message = info.value.problems[name]
    assert name in message
    assert repr(bad) in message
    assert allowed_text(name) in message
    assert TrainConfig().with_overrides({name: good}).to_dict()[name] == good


def test_text_overrides_are_parsed_and_checked():
    cfg = TrainConfig().with_overrides(["epochs=7", "generator_lr=1e-4", "device=cpu"])
    assert (cfg.epochs, cfg.generator_lr, cfg.device) == (7, 1e-4, "cpu")
    with pytest.raises(ConfigError, match="epochs = 'seven' is not a whole number"):
        TrainConfig().with_overrides(["epochs=seven"])
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        TrainConfig().with_overrides(["colour=blue"])
    with pytest.raises(ConfigError, match="not of the form field=value"):
        TrainConfig().with_overrides(["epochs"])


def test_nan_and_bool_refused():
    assert "gp_weight" in TrainConfig(gp_weight=float("nan")).problems()
    assert "epochs" in TrainConfig(epochs=True).problems()
    assert "epochs" in TrainConfig(epochs=2.5).problems()


def test_presets_valid_and_round_trip():
    for name, cfg in PRESETS.items():
        assert cfg.problems() == {}, name
        assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    lab = preset("lab")
    assert (lab.width, lab.batch_size, lab.generator_lr, lab.beta1, lab.beta2,
            lab.critic_updates, lab.gp_weight) == (64, 64, 1e-3, 0.5, 0.9, 5, 10.0)
    assert preset("smoke", architecture="musegan").architecture == "musegan"
    with pytest.raises(ConfigError, match="preset = 'huge'"):
        preset("huge")

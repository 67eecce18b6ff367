"""What changes over a run: the reconstruction term's fade and the learning rates."""

from __future__ import annotations

import pytest
import torch

from gan.config import preset
from gan.training.loop import reconstruction_scale
from gan.training.session import learning_rate_scale, set_learning_rates


def test_reconstruction_fades_linearly_then_stays_off():
    cfg = preset("quick").with_overrides({"epochs": 40, "reconstruction_fade": 0.5})
    assert [reconstruction_scale(cfg, e) for e in (0, 10, 20, 39)] == [1.0, 0.5, 0.0, 0.0]
    assert reconstruction_scale(cfg.with_overrides({"reconstruction_fade": 0.0}), 39) == 1.0


def test_learning_rates_fall_to_the_floor_by_the_last_epoch():
    cfg = preset("quick").with_overrides({"epochs": 11, "lr_floor": 0.1})
    assert learning_rate_scale(cfg, 0) == 1.0
    assert learning_rate_scale(cfg, 5) == pytest.approx(0.55)
    assert learning_rate_scale(cfg, 10) == pytest.approx(0.1)
    assert learning_rate_scale(cfg.with_overrides({"lr_floor": 1.0}), 10) == 1.0


def test_the_schedule_reaches_both_optimisers_float_or_tensor_rates():
    class Session:
        config = preset("quick").with_overrides({"epochs": 11, "lr_floor": 0.1,
                                                 "generator_lr": 1e-3, "critic_lr": 4e-3})
        opt_g = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)
        opt_d = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=torch.tensor(4e-3),
                                 capturable=True)  # what a CUDA graph run uses

    set_learning_rates(Session, 10)
    assert Session.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert float(Session.opt_d.param_groups[0]["lr"]) == pytest.approx(4e-4)

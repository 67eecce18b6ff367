"""Device selection: the rule ``auto`` follows (checked with the machine's
GPUs stated, not found: conftest keeps every unmarked test on the CPU) and
clear refusals of devices that are not there."""

from __future__ import annotations

import pytest
import torch

from gan.training.device import (
    cpu_threads,
    describe_devices,
    device_label,
    resolve_device,
)


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, torch.device("cuda", 0)),  # NVIDIA first
    (False, True, torch.device("mps")),  # then Apple
    (False, False, torch.device("cpu")),
])
def test_auto_picks_cuda_then_mps_then_the_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert resolve_device("auto") == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_tests_train_on_the_cpu_unless_marked_gpu():
    import os

    assert resolve_device("auto") == torch.device("cpu")
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""  # for the programs tests start


def test_missing_gpu_is_an_error_naming_it():  # unmarked tests see no GPU (conftest)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        resolve_device("cuda:0")


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")


def test_describe_devices_lists_the_cpu_last():
    found = describe_devices()
    assert found[-1]["kind"] == "cpu" and found[-1]["name"] == "cpu"
    assert str(cpu_threads()) in found[-1]["label"]
    assert all({"name", "kind", "label", "memory_gb"} <= set(d) for d in found)
    assert device_label(torch.device("cpu")) == "cpu"


def test_gan_package_import_does_not_load_torch():
    import subprocess
    import sys

    code = ("import sys, gan, gan.config, gan.training.events, gan.training.device, gan.evaluation.metrics, gan.evaluation.similarity; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_asking_for_a_precision_changes_nothing_process_wide(monkeypatch):
    """compute_dtype only answers; TF32 is switched on by use_precision, for
    a run in fp32 on an NVIDIA GPU, and never on the CPU."""
    from gan.training.device import compute_dtype, use_precision

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    cuda = torch.device("cuda")
    before = torch.backends.cuda.matmul.allow_tf32  # a property of torch's, not an attribute
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        assert compute_dtype("auto", cuda) is torch.bfloat16
        assert compute_dtype("fp32", cuda) is None
        assert use_precision("fp32", torch.device("cpu")) is None
        assert torch.backends.cuda.matmul.allow_tf32 is False
        assert use_precision("fp32", cuda) is None
        assert torch.backends.cuda.matmul.allow_tf32 is True
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before

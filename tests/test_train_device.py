"""Device selection (this machine has no GPU: CPU paths and clear refusals)."""

from __future__ import annotations

import pytest
import torch

from gan.training.device import cpu_threads, describe_devices, device_label, resolve_device


def test_auto_picks_the_best_available_device():
    dev = resolve_device("auto")
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif torch.backends.mps.is_available():
        assert dev.type == "mps"
    else:
        assert dev == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_missing_gpu_is_an_error_naming_it():
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

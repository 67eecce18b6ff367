"""Which device trains: ``auto`` = NVIDIA (CUDA), then Apple (MPS), then CPU.

torch is imported inside the functions so the window can import this module
early without paying for torch.
"""

from __future__ import annotations

import os


def resolve_device(name: str = "auto"):
    """``auto``/``cpu``/``cuda``/``cuda:N``/``mps`` -> ``torch.device``.

    Asking for a device that is not there is an error naming it (a run that
    silently fell back to the CPU would take hours instead of minutes).
    """
    import torch

    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but no CUDA GPU is available here "
                             "(use device=auto or device=cpu)")
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} asked for, but only {torch.cuda.device_count()} "
                             "CUDA GPU(s) are present")
        return dev
    if name == "mps":
        if not _mps_available():
            raise ValueError("device 'mps' asked for, but no Apple GPU (MPS) is available here")
        return torch.device("mps")
    raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps")


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def device_label(device) -> str:
    """``cpu``, ``cuda:0 (NVIDIA H100 80GB HBM3)``, ``mps``: for logs and RunStarted."""
    import torch

    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def cpu_threads() -> int:
    """CPU cores this process may use (respects affinity masks and containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cpu_threads_for(generator_params: int, cores: int) -> int:
    """Torch threads for training on the CPU: from the model's size and the
    cores alone, never from how busy the machine is, because the thread
    count changes the order of floating-point sums and so the numbers: with
    it fixed, a seeded run on this machine is the same run every time.

    Tiny models (under 200,000 generator parameters) use one thread: their
    convolutions are too small to split, and OpenMP threads spin while they
    wait for each other (measured on 2 cores with other work running: 8x
    slower for ``smoke``). A larger model uses every core; on a machine
    already busy with other work that costs speed (measured the same way:
    2x slower for ``quick``), and then ``POLYPHONY_TORCH_THREADS=1`` is
    faster, and reproducible with itself. ``POLYPHONY_TORCH_THREADS``
    overrides the choice.
    """
    override = os.environ.get("POLYPHONY_TORCH_THREADS", "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    if generator_params < 200_000 or cores <= 1:
        return 1
    return cores


def describe_devices() -> list[dict]:
    """What can train here, for the window's device picker.

    Each entry: ``{"name": "cuda:0", "kind": "cuda", "label": ..., "memory_gb": ...}``;
    the CPU is always listed, last.
    """
    import torch

    found: list[dict] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            found.append({"name": f"cuda:{i}", "kind": "cuda",
                          "label": f"cuda:{i} ({props.name})",
                          "memory_gb": round(props.total_memory / 2**30, 1)})
    if _mps_available():
        found.append({"name": "mps", "kind": "mps", "label": "mps (Apple GPU)", "memory_gb": None})
    found.append({"name": "cpu", "kind": "cpu", "label": f"cpu ({cpu_threads()} cores)", "memory_gb": None})
    return found


# What ``precision = auto`` means on an NVIDIA GPU (docs/bench/gpu.md has the
# measurement behind it).
AUTO_PRECISION = "bf16"


def compute_dtype(precision: str, device):
    """The autocast dtype for ``precision`` on ``device`` (None: plain fp32).

    Only NVIDIA GPUs change anything: ``bf16`` (where the GPU supports it)
    autocasts the models to brain floats; ``fp32`` keeps 32-bit floats and
    lets matrix products use TF32 (cuDNN's convolutions do by default).
    The CPU and Apple GPUs compute in fp32 whatever the setting. Nothing
    global changes here: ``use_precision`` switches TF32 on for a run."""
    import torch

    if getattr(device, "type", str(device)) != "cuda":
        return None
    chosen = AUTO_PRECISION if precision == "auto" else precision
    if chosen == "bf16" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def use_precision(precision: str, device):
    """``compute_dtype`` for a run that starts now: where that is plain
    fp32 on an NVIDIA GPU, matrix products may use TF32 (torch's switch is
    process-wide, so only a training run, never a query, sets it)."""
    import torch

    dtype = compute_dtype(precision, device)
    if dtype is None and getattr(device, "type", str(device)) == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    return dtype

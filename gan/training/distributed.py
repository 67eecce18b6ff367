"""Multi-process training under PyTorch's launcher (``torchrun``).

torchrun starts one process per rank and tells each who it is through the
environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``). Without those variables everything here
answers "one process, rank 0" and starts nothing, so single-process training
is untouched.

Every collective here is called by all ranks in the same order: a rank that
skipped one would leave the others waiting forever.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} must be a whole number "
                         "(it is set by torchrun)") from None


def from_env() -> Ranks:
    """This process's place in the job, from torchrun's variables."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} and WORLD_SIZE={world} do not fit together")
    local_rank = _env_int("LOCAL_RANK", 0)
    return Ranks(rank, world, local_rank, max(1, _env_int("LOCAL_WORLD_SIZE", 1)))


def current() -> Ranks:
    """The initialised process group's ranks, or one process when there is none."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return Ranks()
    env = from_env()
    return Ranks(dist.get_rank(), dist.get_world_size(), env.local_rank, env.local_world_size)


def backend_for(device_type: str) -> str:
    # NCCL only moves CUDA tensors; gloo does the CPU (and works everywhere).
    return "nccl" if device_type == "cuda" else "gloo"


def gpu_count() -> int:
    """CUDA GPUs this process can use (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_gpus(device_name: str, ranks: Ranks, gpus: int | None = None) -> None:
    """Refuse (ValueError, with what to run instead) a torchrun job that
    would put more than one rank on a GPU: NCCL aborts it ("Duplicate GPU
    detected"). Called before the job store is touched, by every rank, so
    nothing is written and no rank waits for another. ``gpus``: the GPUs
    here (default: ask torch)."""
    if not ranks.distributed:
        return
    name = (device_name or "auto").strip().lower()
    if not (name.startswith("cuda") or name == "auto"):
        return  # cpu (gloo) or mps
    gpus = gpu_count() if gpus is None else int(gpus)
    if name == "auto" and gpus == 0:
        return  # auto trains on the CPU with gloo
    if ranks.local_world_size <= gpus:
        return
    have = "no CUDA GPU" if gpus == 0 else f"{gpus} CUDA GPU{'s' if gpus > 1 else ''}"
    on_cpu = "--set device=cpu to train on the CPU with gloo"
    instead = (f"Run torchrun --nproc_per_node={gpus} (one process per GPU), or add {on_cpu}"
               if gpus else f"Add {on_cpu}")
    raise ValueError(
        f"torchrun started {ranks.local_world_size} processes on this machine, which has {have} "
        f"(device = {name}): each process needs a GPU of its own. {instead}.")


def use_loopback_for_gloo(ranks: Ranks) -> None:
    """All ranks on this machine: gloo talks over the loopback interface.

    Left alone, gloo binds the address this machine's hostname resolves
    to; where the hostname does not resolve (a minimal container or
    chroot) it warns "Unable to resolve hostname" and falls back to the
    loopback address. Naming the loopback interface skips the lookup and
    gives every rank the same, always reachable address. A person's own
    ``GLOO_SOCKET_IFNAME`` wins; several machines need a real interface.
    """
    if ranks.local_world_size != ranks.world_size or os.environ.get("GLOO_SOCKET_IFNAME"):
        return
    name = loopback_interface()
    if name:
        os.environ["GLOO_SOCKET_IFNAME"] = name


def loopback_interface() -> str | None:
    """The loopback network interface's name (``lo`` on Linux, ``lo0`` on
    macOS), or None where the system cannot list interfaces."""
    import socket

    try:
        names = [name for _, name in socket.if_nameindex()]
    except (AttributeError, OSError):  # Windows before Python 3.8, odd systems
        return None
    for name in ("lo", "lo0"):
        if name in names:
            return name
    return next((name for name in names if name.startswith("lo")), None)


def launch_port() -> int:
    """A port for torchrun's ``--master_port`` (for the tests and benchmarks
    that start torchrun): free now, and outside the range the system hands
    out to other sockets, so no connection takes it before torchrun binds
    it (a port the system just gave out, closed and reused, can be).
    Random within that range, so two launches at once rarely pick the same."""
    import random
    import socket

    low, high = _ephemeral_ports()
    choices = range(20000, low) if low > 20100 else range(high + 1, 65536)
    for port in random.sample(choices, k=min(64, len(choices))):
        with socket.socket() as probe:
            try:
                probe.bind(("", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found for torchrun")


def _ephemeral_ports() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = f.read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535  # the IANA range macOS and Windows use


def setup(device_name: str = "auto") -> Ranks:
    """Join the process group when torchrun started us (idempotent);
    one process: nothing happens. ``device_name`` picks nccl vs gloo."""
    import torch
    import torch.distributed as dist

    ranks = from_env()
    if not ranks.distributed or dist.is_initialized():
        return current() if ranks.distributed else ranks
    check_gpus(device_name, ranks)
    wants_cuda = (device_name or "auto").startswith("cuda") or \
        ((device_name or "auto") == "auto" and torch.cuda.is_available())
    if wants_cuda and torch.cuda.is_available():
        torch.cuda.set_device(ranks.local_rank % torch.cuda.device_count())
        backend = "nccl"
    else:
        backend = "gloo"
        use_loopback_for_gloo(ranks)
    dist.init_process_group(backend=backend)
    return ranks


def teardown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def backend() -> str:
    import torch.distributed as dist

    return dist.get_backend() if dist.is_available() and dist.is_initialized() else "none"


def rank_device(device, ranks: Ranks):
    """Each rank on a node trains on its own GPU (``cuda:LOCAL_RANK``)."""
    import torch

    if ranks.distributed and device.type == "cuda":
        return torch.device("cuda", ranks.local_rank % torch.cuda.device_count())
    return device


def broadcast(obj: Any, ranks: Ranks) -> Any:
    """Rank 0's ``obj`` on every rank (pickled; for small things and
    checkpoints, not per step)."""
    if not ranks.distributed:
        return obj
    import torch.distributed as dist

    box = [obj if ranks.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(obj: Any, ranks: Ranks) -> list:
    """Every rank's ``obj``, in rank order, on every rank."""
    if not ranks.distributed:
        return [obj]
    import torch.distributed as dist

    out: list = [None] * ranks.world_size
    dist.all_gather_object(out, obj)
    return out


def any_rank(flags: list[bool], ranks: Ranks, device) -> list[bool]:
    """Element-wise "true on some rank" for a few flags, in one small
    all-reduce: every rank then stops (or fails) at the same step."""
    if not ranks.distributed:
        return list(flags)
    import torch
    import torch.distributed as dist

    t = torch.tensor([1 if f else 0 for f in flags], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def shard(data: np.ndarray, ranks: Ranks) -> np.ndarray:
    """This rank's segments: every world_size-th one from its rank on, so the
    shards are disjoint, cover the data and differ in size by at most one."""
    if not ranks.distributed:
        return data
    part = data[ranks.rank::ranks.world_size]
    if len(part) == 0:
        raise ValueError(f"{len(data)} training segments cannot be shared among "
                         f"{ranks.world_size} processes: use fewer processes or more music")
    return part


def wrap(module, device, ranks: Ranks):
    """DistributedDataParallel around ``module`` (which keeps its own
    weights, so checkpoints hold plain state dicts that a single process
    resumes). Buffers are not synchronised at each forward pass: each rank's
    copy is only used by itself, and it saves a collective per pass."""
    if not ranks.distributed:
        return module
    import inspect

    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [device.index] if device.type == "cuda" else None
    # Newer torch renamed the switch (and warns about the old name).
    no_sync = {"forward_sync_buffers": False} \
        if "forward_sync_buffers" in inspect.signature(DDP).parameters else {"broadcast_buffers": False}
    return DDP(module, device_ids=ids, **no_sync)


def unwrap(module):
    from torch.nn.parallel import DistributedDataParallel as DDP

    return module.module if isinstance(module, DDP) else module


def weights_checksum(modules) -> float:
    """A float that differs when the ranks' weights drifted apart."""
    import torch

    with torch.no_grad():  # one host sync, not one per parameter
        total = sum(p.double().sum() + p.double().abs().sum()
                    for m in modules for p in m.parameters())
        return float(total)

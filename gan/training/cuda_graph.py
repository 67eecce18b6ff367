"""On an NVIDIA GPU: the whole training iteration replayed as one CUDA graph.

A ``lab`` iteration (5 critic + 1 generator updates at batch 64) is about
0.93 TFLOP, yet eager it took 77-87 ms on an H100: the GPU waits for Python
to launch hundreds of small kernels. Captured once and replayed as a single
CUDA graph it took 24-25 ms (2.5-2.6x; docs/bench/gpu.md,
``../shared/probes/cuda_graph_probe.py``).

What ``GraphIterations`` does, without knowing the trainer's insides (it
runs whatever ``EagerIterations`` runs):

- The first ``WARMUP`` iterations run eagerly on a side stream: cuDNN and
  cuBLAS pick their kernels and workspaces, the optimisers create their
  state. They are real training iterations (their losses count).
- The next iteration is captured. Batch sampling happens inside the graph,
  from the run's own ``torch.Generator`` registered with the graph: each
  replay draws fresh batches and noise, a seeded run is reproducible, and
  the generator's state (which checkpoints save) advances exactly as it
  would eagerly. Batches, activations and gradients live at fixed
  addresses in the graph's private memory pool (the static buffers).
  The optimisers must be ``capturable`` (their step counts stay on the
  GPU); autocast runs without its weight cache (a cached cast made during
  capture would be stale at the next replay).
- Every later iteration is one replay, and the losses are copied out
  of the graph's output (the loop keeps them past the next replay).

A resumed run builds a new runner, so it warms up and captures again.
When the graph cannot be used (switched off, torchrun, a torch without
generator registration, a capture that fails for any reason, or a graph
that turns out slower than eager), training goes on eagerly and
``notice`` says why: never a crash, never silently slower.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable

from gan.training.steps import Cancelled

WARMUP = 3  # eager iterations before the capture (the last ones are timed)
TIMED_REPLAYS = 20  # replays timed before the graph is judged against eager


def refusal(config, device) -> str:
    """Why this run cannot use a CUDA graph ('' when it can try)."""
    import torch

    if device.type != "cuda":
        return f"CUDA graphs need an NVIDIA GPU; this run trains on {device}"
    if not int(getattr(config, "cuda_graph", 1)):
        return "CUDA graph switched off (cuda_graph = 0): training eagerly"
    from gan.training import distributed

    if distributed.current().distributed:
        return ("CUDA graph not used under torchrun (DistributedDataParallel's "
                "all-reduce is not captured): training eagerly")
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return (f"torch {torch.__version__} cannot register the run's random generator with a "
                "CUDA graph (needs a newer torch): training eagerly")
    return ""


def optimizer_state_for_run(optimizer_state: dict, capturable: bool, fused: bool = False,
                   device=None) -> dict:
    """A copy of an optimiser's ``state_dict`` whose parameter groups say
    ``capturable`` and ``fused`` as this run needs, with the learning rate
    as this run keeps it (a tensor on ``device`` when fused, else a float).
    ``load_state_dict`` restores what the checkpoint saved, and places
    Adam's step counts by the flags (on the GPU when capturable): a
    checkpoint of a GPU run resumed on the CPU, or a CPU one resumed as a
    CUDA graph, must not keep the old flags, nor a learning rate the graph
    cannot read."""
    import torch

    def adapted(group: dict) -> dict:
        group = dict(group)
        for key, value in (("capturable", capturable), ("fused", fused or None)):
            if key in group:
                group[key] = value
        lr = float(group["lr"])
        group["lr"] = torch.tensor(lr, device=device) if fused else lr
        return group

    return dict(optimizer_state, param_groups=[adapted(g) for g in optimizer_state["param_groups"]])


def _generators(trainer) -> list:
    """The CUDA random generators the trainer draws from (they must be
    registered with the graph before capture)."""
    import torch

    found = [v for v in vars(trainer).values()
             if isinstance(v, torch.Generator) and v.device.type == "cuda"]
    return list({id(g): g for g in found}.values())


def _not_capturable(trainer) -> str:
    import torch

    for name, value in vars(trainer).items():
        if isinstance(value, torch.optim.Optimizer) and \
                not all(g.get("capturable", False) for g in value.param_groups):
            return f"the optimiser {name} was not made capturable"
    return ""


class GraphIterations:
    """Eager warm-up, one capture, then replays; eager again (with a
    notice) when anything goes wrong. Same call as ``EagerIterations``."""

    def __init__(self, eager, device, notice: Callable[[str, str], None], warmup: int = WARMUP):
        self.eager, self.device, self.notice = eager, device, notice
        self.warmup = max(1, int(warmup))
        self.name = "cuda graph (warming up)"
        self._done_warmup = 0
        self._eager_ms: list[float] = []
        self._graph = None
        self._output = None
        self._replay_events: list = []
        self._stream = None

    # -- the call the loop makes -------------------------------------------
    def __call__(self, should_stop: Callable[[], bool]):
        if self._graph is not None:
            return self._replay(should_stop)
        if self.name == "eager":
            return self.eager(should_stop)
        if self._done_warmup < self.warmup:
            return self._warm_up(should_stop)
        return self._capture_and_run(should_stop)

    # -- phases ------------------------------------------------------------
    def _warm_up(self, should_stop):
        """One eager iteration on a side stream (as capture needs), timed
        on the GPU from the second one on (the first pays for autotuning).
        Off CUDA (tests) it is a plain eager iteration."""
        import torch

        self._done_warmup += 1
        if self.device.type != "cuda":
            return self.eager(should_stop)
        if self._stream is None:
            self._stream = torch.cuda.Stream(device=self.device)
        caller = torch.cuda.current_stream(self.device)
        self._stream.wait_stream(caller)
        start, end = _event(), _event()
        with torch.cuda.stream(self._stream):
            start.record()
            out = self.eager(should_stop)
            end.record()
        caller.wait_stream(self._stream)
        if self._done_warmup > 1 or self.warmup == 1:
            end.synchronize()
            self._eager_ms.append(start.elapsed_time(end))
        return out

    def _capture_and_run(self, should_stop):
        import torch

        if should_stop():
            raise Cancelled
        problem = _not_capturable(self.eager.trainer)
        if problem:
            return self._give_up(problem, should_stop)
        try:
            graph = torch.cuda.CUDAGraph()
            for generator in _generators(self.eager.trainer):
                graph.register_generator_state(generator)
            cache = torch.is_autocast_cache_enabled()
            torch.set_autocast_cache_enabled(False)
            try:
                with torch.cuda.device(self.device), \
                        torch.cuda.graph(graph, capture_error_mode="thread_local"):
                    output = self.eager(lambda: False)
            finally:
                torch.set_autocast_cache_enabled(cache)
        except Exception as exc:  # noqa: BLE001 -- anything: the run goes on eagerly
            _drop_partial_gradients(self.eager.trainer)
            return self._give_up(f"capture failed ({_short(exc)})", should_stop)
        self._graph, self._output = graph, output
        self.name = "cuda graph"
        return self._replay(lambda: False)  # the capture itself computed nothing

    def _replay(self, should_stop):
        if should_stop():
            raise Cancelled
        timing = len(self._replay_events) < TIMED_REPLAYS
        if timing:
            start, end = _event(), _event()
            start.record()
        self._graph.replay()
        if timing:
            end.record()
            self._replay_events.append((start, end))
            if len(self._replay_events) == TIMED_REPLAYS:
                out = self._output.clone()
                self._judge()
                return out
        return self._output.clone()

    # -- outcomes ----------------------------------------------------------
    def _judge(self) -> None:
        """After the first replays: keep the graph only if it is faster."""
        end = self._replay_events[-1][1]
        end.synchronize()
        graph_ms = statistics.median(s.elapsed_time(e) for s, e in self._replay_events)
        eager_ms = statistics.median(self._eager_ms) if self._eager_ms else float("nan")
        if graph_ms > eager_ms:
            self._graph, self._output = None, None
            self.name = "eager"
            self.notice(f"CUDA graph slower than eager ({graph_ms:.1f} vs {eager_ms:.1f} ms "
                        "an iteration): training eagerly", "warning")
            return
        self.notice(f"training replays each iteration as one CUDA graph: {graph_ms:.1f} ms "
                    f"an iteration (eager {eager_ms:.1f} ms)", "info")

    def _give_up(self, why: str, should_stop):
        self.name = "eager"
        self.notice(f"CUDA graph not used: {why}; training eagerly", "warning")
        return self.eager(should_stop)


def _event():
    import torch

    return torch.cuda.Event(enable_timing=True)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _drop_partial_gradients(trainer) -> None:
    """A failed capture may leave gradients that were never computed;
    the eager updates set them anew (``zero_grad``), this makes sure."""
    import torch

    for value in vars(trainer).values():
        if isinstance(value, torch.optim.Optimizer):
            with contextlib.suppress(Exception):
                value.zero_grad(set_to_none=True)

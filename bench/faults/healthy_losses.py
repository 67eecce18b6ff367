"""How large a healthy run's losses get: the evidence behind the divergence
limits in gan/training/guards.py. Trains on the chorales with every step
read (log_every=1) and prints the largest magnitude of each loss per run.

    .venv/bin/python bench/faults/healthy_losses.py [--runs smoke,quick,lab]

Slow on a CPU (``lab`` took about 20 minutes for 30 steps on 2 busy cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

RUNS = {
    "smoke": [("smoke unet", "smoke", None, dict(epochs=10)),
              ("smoke musegan", "smoke", "musegan", dict(epochs=10))],
    "quick": [("quick unet", "quick", None, dict(epochs=3)),
              ("quick unet, critic alone", "quick", None, dict(epochs=3, reconstruction_weight=0.0)),
              ("quick musegan", "quick", "musegan", dict(epochs=2))],
    "lab": [("lab unet", "lab", None, dict(epochs=2, steps_per_epoch=15, metric_samples=16)),
            ("lab musegan", "lab", "musegan", dict(epochs=2, steps_per_epoch=15, metric_samples=16))],
}
NAMES = ("critic", "generator", "wasserstein", "penalty")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="smoke,quick,lab")
    args = parser.parse_args()
    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.training.events import StepStats
    from gan.training.loop import train

    corpus = Corpus.load(["chorale"])
    for group in args.runs.split(","):
        for label, name, arch, changes in RUNS[group]:
            config = dataclasses.replace(preset(name, arch), log_every=1, device="cpu",
                                         judge_genre=0, **changes)
            largest = dict.fromkeys(NAMES, 0.0)

            def seen(event, largest=largest):
                if isinstance(event, StepStats) and math.isfinite(event.critic_loss):
                    values = (event.critic_loss, event.generator_loss, event.wasserstein,
                              event.gradient_penalty)
                    for key, value in zip(NAMES, values):
                        largest[key] = max(largest[key], abs(value))

            started = time.monotonic()
            result = train(config, corpus.segments(config.bars_per_sample), seen,
                           run_dir=tempfile.mkdtemp())
            print(json.dumps({"run": label, "status": result.status,
                              "seconds": round(time.monotonic() - started),
                              "largest": {k: round(v, 3) for k, v in largest.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

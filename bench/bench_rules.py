"""One trained model, scored as an epoch end scores it, with each generation
of part-writing rules (gan.models.part_writing): paired evidence for what
the writing-out alone changes, since the training is the same.

    .venv/bin/python bench/bench_rules.py RUN/checkpoints/epoch_0010.pt [more.pt ...] \
        [--genre chorale]

Ways: the parallels rewritten only (2026-11-27), with re-struck notes'
pitches given their onsets (2026-11-28; the accompaniment model only then),
and today's: onsets at the genre's rate, re-strikes for every model
(2026-12-07), crossings undone down to the genre's rate where a pair
crosses more (2026-12-08; on 2026-12-07 a pair crossing over 1.5 times as
often had all of them undone), re-struck notes kept off their held pitch's
octaves as often as the genre's music leaps octaves (2026-12-08); and
today's without that last rule. Each is fitted on the training melodies and
scored on the unseen ones exactly as ``EpochEvaluator.evaluate`` does
(bench_convergence.py's split). Prints the index on unseen and training
melodies, what the judging took (the median of ``--repeat`` evaluations:
the epoch end's judging part) and the fitted rules per way.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=1, help="evaluations per way, for the timing")
    args = parser.parse_args()

    from gan.data.corpus import Corpus
    from gan.models.part_writing import PartWriting
    from gan.training.evaluation import INDEX_TRAINING, INDEX_UNSEEN, EpochEvaluator
    from gan.training.inference import load_generator

    corpus, held = Corpus.load([args.genre], include_imports=False).split(args.holdout)
    for path in args.checkpoints:
        model, config = load_generator(path)
        data, unseen = corpus.segments(config.bars_per_sample), held.segments(config.bars_per_sample)
        evaluator = EpochEvaluator(model, data, config, eval_data=unseen)
        v = len(model.voices)
        base = PartWriting.for_music(data)
        accompaniment = model.conditional and config.reconstruction_weight > 0
        ways = {"parallels only": base,
                "parallels, re-strikes (2026-11-28)": dataclasses.replace(
                    base, restrike=(1.0,) * v if accompaniment else ()),
                "today's without octaves": dataclasses.replace(base.to_fit(v), octave=()),
                "today's": base.to_fit(v)}
        print(f"{path}:")
        for way, rules in ways.items():
            seconds = []
            for _ in range(max(1, args.repeat)):
                model.part_writing = rules
                started = time.perf_counter()
                metrics = evaluator.evaluate(model).metrics
                seconds.append(time.perf_counter() - started)
            print(f"  {way:42s} unseen {metrics.get(INDEX_UNSEEN, float('nan')):.4f}  "
                  f"training {metrics[INDEX_TRAINING]:.4f}  {statistics.median(seconds):.2f} s  "
                  f"{model.part_writing}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

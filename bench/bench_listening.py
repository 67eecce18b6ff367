"""Listening to what part writing changes (gan.models.part_writing).

Takes a trained accompaniment model, lets it harmonise melodies it never
saw (the held-out split) and 256 training melodies four ways: the
composer's likeliest notes as they are, with only the parallels rewritten,
with the onsets shifted to the genre's notes per bar too, and written out
by all the model's rules (re-struck notes' pitches given their onsets and
excess crossings undone too). Prints
a table of the similarity index and the voice-leading measures (as
bench_convergence.py reports them) for each, how many notes changed, and
draws the pieces that changed most as piano rolls (the changed notes
outlined) and renders them with FluidSynth to WAV files for listening.

    .venv/bin/python bench/bench_listening.py --checkpoint RUN/checkpoints/latest.pt \
        --png docs/bench/part_writing_rolls.png --wav-dir /tmp/listening
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def count(rolls: np.ndarray, prefix: str) -> np.ndarray:
    from gan.evaluation.voice_leading import voice_leading_metrics

    metrics = voice_leading_metrics(rolls)
    return sum(np.nan_to_num(v) for k, v in metrics.items() if k.startswith(prefix))


def table_rows(model, melodies: dict[str, np.ndarray], training: np.ndarray,
               ways: dict[str, object]) -> list[str]:
    """Markdown rows: index and voice-leading means, for each way of writing
    the notes out (``ways``: label -> PartWriting, or None for the
    composer's likeliest notes)."""
    from gan.data.roll import VOICE_NAMES
    from gan.evaluation.similarity import feature_keys, features, similarity_index
    from gan.evaluation.voice_leading import (
        METRICS,
        metric_means,
        voice_leading_metrics,
    )
    from gan.training.sampling import generate

    reference, keys = features(training), feature_keys("unet", VOICE_NAMES)
    rows = [f"| | index | {' | '.join(METRICS)} |", "|---" * (len(METRICS) + 2) + "|"]

    def means(rolls):
        return list(metric_means(voice_leading_metrics(rolls)).values())

    kept = model.part_writing
    try:
        for name, melody in melodies.items():
            for way, rules in ways.items():
                model.part_writing = rules
                rolls = generate(model, melody=melody, seed=0, write_out=rules is not None)
                index = similarity_index(features(rolls), reference, keys)[0]
                rows.append(f"| {len(melody)} {name} melodies, {way} | {index:.3f} | "
                            + " | ".join(f"{v:.3f}" for v in means(rolls)) + " |")
    finally:
        model.part_writing = kept
    rows.append("| real (training) | | " + " | ".join(f"{v:.3f}" for v in means(training)) + " |")
    return rows


def draw(pairs, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = ["black", "tab:red", "tab:green", "tab:blue"]
    fig, axes = plt.subplots(len(pairs), 2, figsize=(12, 2.6 * len(pairs)), squeeze=False)
    for row, (raw, written) in enumerate(pairs):
        rows = np.nonzero((raw > 0).any((0, 1)) | (written > 0).any((0, 1)))[0]
        lo, hi = rows.min() - 1, rows.max() + 2
        for col, (roll, title) in enumerate(((raw, "the composer's likeliest notes"),
                                             (written, "written out (part_writing = 1)"))):
            ax = axes[row, col]
            for v in range(roll.shape[0]):
                t, p = np.nonzero(roll[v] > 0)
                ax.scatter(t, p, s=10, marker="s", color=colours[v], alpha=0.55)
                t, p = np.nonzero(roll[v] == 2)
                ax.scatter(t, p, s=14, marker="s", color=colours[v])
            if col == 1:
                t, p = np.nonzero(((written > 0) & ~(raw > 0)).any(0))
                ax.scatter(t, p, s=60, marker="s", facecolors="none", edgecolors="orange", linewidths=1.5)
            ax.set_ylim(lo, hi)
            ax.set_title(f"melody {row + 1}: {title}", fontsize=9)
            ax.set_xticks(range(0, roll.shape[1] + 1, 16))
            ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--pieces", type=int, default=3, help="pieces drawn and rendered")
    parser.add_argument("--png", default=None)
    parser.add_argument("--wav-dir", default=None)
    args = parser.parse_args()

    from gan.data.corpus import Corpus
    from gan.models.part_writing import PartWriting
    from gan.training.evaluation import EpochEvaluator
    from gan.training.inference import load_generator
    from gan.training.sampling import generate, save_midi

    corpus, held = Corpus.load([args.genre], include_imports=False).split(0.1)
    unseen = held.segments(4)
    model, config = load_generator(args.checkpoint)
    # the rules as this version derives them from the training music (a
    # checkpoint may predate them, or hold an earlier version's), fitted as
    # an epoch end fits them
    training = corpus.segments(4)
    picked = training[np.random.default_rng(1).choice(len(training), min(256, len(training)), replace=False)]
    model.part_writing = PartWriting.for_music(training).to_fit(len(model.voices))
    EpochEvaluator(model, training, config).fit_rules(model)
    rules = model.part_writing
    print(f"rules: {rules}")
    parallels = dataclasses.replace(rules, restrike=(), onset_shift=(), uncross=())
    ways = {"likeliest notes": None, "parallels only": parallels,
            "parallels, onsets shifted": dataclasses.replace(parallels, onset_shift=rules.onset_shift),
            "written out": rules}
    print("\n".join(table_rows(model, {"unseen": unseen[:, 0], "training": picked[:, 0]}, training, ways)))
    raw = generate(model, melody=unseen[:, 0], seed=0, write_out=False)
    written = generate(model, melody=unseen[:, 0], seed=0, write_out=True)
    changed = ((raw > 0) != (written > 0)).any(-1).sum((1, 2))  # voice-steps whose pitch moved
    notes = (written[:, 1:] == 2).sum((1, 2, 3))
    print(f"{len(raw)} unseen melodies; steps with a changed pitch per piece: mean {changed.mean():.1f} "
          f"of {raw.shape[2] * 3} voice-steps; notes per piece {notes.mean():.1f}")
    print("  mean per piece (parallels: per bar, summed over voice pairs; repeats: summed over voices):")
    for name, prefix in (("parallel fifths", "parallel_fifths/"), ("parallel octaves", "parallel_octaves/"),
                         ("repeated-note rate", "repeated_note_rate/")):
        print(f"  {name:38s} {count(raw, prefix).mean():.3f} -> {count(written, prefix).mean():.3f}")
    print(f"  {'real chorales, same measures':38s} fifths {count(training, 'parallel_fifths/').mean():.3f}, "
          f"octaves {count(training, 'parallel_octaves/').mean():.3f}, "
          f"repeated {count(training, 'repeated_note_rate/').mean():.3f}")
    # the pieces that changed most are the ones worth hearing
    shown = np.argsort(-changed)[:args.pieces]
    if args.png:
        draw([(raw[i], written[i]) for i in shown], Path(args.png))
        print(f"piano rolls: {args.png} (pieces {shown.tolist()})")
    if args.wav_dir:
        from app.audio.render import render_file

        out = Path(args.wav_dir)
        out.mkdir(parents=True, exist_ok=True)
        for i in shown:
            for label, rolls in (("raw", raw), ("written", written)):
                midi = save_midi(rolls[i], out / f"piece{i}_{label}.mid", genre=args.genre)
                wav = render_file(midi, out / f"piece{i}_{label}.wav")
                print(f"rendered {wav} ({wav.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

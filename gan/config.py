"""One config dataclass for a training run, with validation and presets.

The config is stored with every job (as JSON) and inside every checkpoint.
Every field has a range; ``problems()`` lists every invalid value with a
message that names the field, the value and what is allowed, so the window
can show the message beside the field and the command line can refuse it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, fields
from typing import Any

ARCHITECTURES = ("unet", "musegan")
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class ConfigError(ValueError):
    """An invalid hyperparameter. ``problems`` maps field -> message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


@dataclass(frozen=True)
class FieldSpec:
    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself not allowed
    high_open: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""  # plain words for tooltips and --help
    label: str = ""  # the New Job form's name for it, used in messages


# Plain-words help is written for musicians: what the knob does to the music
# and to the time training takes.
SPECS: dict[str, FieldSpec] = {
    "architecture": FieldSpec(str, choices=ARCHITECTURES, label="Architecture", help=(
        "unet: writes three voices to go with a melody you give it "
        "(accompaniment). musegan: writes all four voices from nothing.")),
    "epochs": FieldSpec(int, 1, 100_000, label="Epochs", help=(
        "How many times training goes over the chosen music. More epochs: "
        "more time, usually better pieces, until it stops improving.")),
    "batch_size": FieldSpec(int, 1, 4096, label="Batch size", help=(
        "Pieces looked at together in one step. Larger batches give smoother "
        "learning and use more memory; on a CPU, 16-64 is sensible.")),
    "generator_lr": FieldSpec(float, 0.0, 1.0, low_open=True, label="Composer learning rate", help=(
        "How big a step the composer (generator) takes when it learns. Too high "
        "and the music turns to noise; too low and it learns slowly.")),
    "critic_lr": FieldSpec(float, 0.0, 1.0, low_open=True, label="Critic learning rate", help=(
        "How big a step the critic takes when it learns to tell real music "
        "from generated music.")),
    "lr_floor": FieldSpec(float, 0.0, 1.0, label="Final learning rate", help=(
        "The composer's and the critic's step sizes fall steadily to this share "
        "of their start by the last epoch, so late epochs polish instead of "
        "wandering. 1 = constant.")),
    "beta1": FieldSpec(float, 0.0, 1.0, high_open=True, label="Adam beta1", help=(
        "Adam momentum. 0.5 is the usual value for GANs; higher values make "
        "learning steadier but slower to react.")),
    "beta2": FieldSpec(float, 0.0, 1.0, high_open=True, label="Adam beta2", help=(
        "Adam's memory of gradient size. 0.9 is the usual value for WGAN-GP.")),
    "critic_updates": FieldSpec(int, 1, 50, label="Critic updates per step", help=(
        "Critic steps per composer step. 5 is the classic WGAN-GP value; "
        "each extra update makes a step slower.")),
    "gp_weight": FieldSpec(float, 0.0, 1000.0, label="Gradient-penalty weight", help=(
        "Gradient-penalty weight: keeps the critic smooth so training stays "
        "stable. 10 is the standard value.")),
    "reconstruction_weight": FieldSpec(float, 0.0, 10_000.0, label="Reconstruction weight", help=(
        "Accompaniment only: how strongly the composer is also pulled towards "
        "the real voices that go with each training melody (as in pix2pix). "
        "0 = critic alone. 100 makes a CPU run learn chorale style in minutes; "
        "higher values copy the training pieces more and vary less.")),
    "reconstruction_fade": FieldSpec(float, 0.0, 1.0, label="Reconstruction fade", help=(
        "Accompaniment only: the pull towards the real voices fades out over "
        "this share of the epochs (0.5: gone by half-way), after which the "
        "critic alone teaches, and the model copies less. 0 = never fades.")),
    "transpose": FieldSpec(int, 0, 12, label="Transpose", help=(
        "Moves each training piece up and down by up to this many semitones "
        "(only as far as every voice stays in its usual range), so the model "
        "learns how voices move rather than the pieces themselves. 0 = off.")),
    "ema_decay": FieldSpec(float, 0.0, 0.9999, label="Composer weight averaging (EMA decay)", help=(
        "Samples, scores and Compose use an average of the composer's recent "
        "weights, which writes steadier music. 0.99 averages over roughly the "
        "last 100 steps; 0 = use the latest weights.")),
    "latent_size": FieldSpec(int, 1, 1024, label="Latent size", help=(
        "Size of the random 'idea' each piece starts from. Larger gives more "
        "variety, and a bigger model.")),
    "width": FieldSpec(int, 2, 512, label="Model width", help=(
        "Model width (channels). Wider models can learn richer music but "
        "train more slowly: time grows roughly with the square of the width.")),
    "bars_per_sample": FieldSpec(int, 1, 16, label="Bars per piece", help=(
        "Length, in 4/4 bars, of the pieces the model learns from and writes. "
        "Longer pieces take more time per step.")),
    "seed": FieldSpec(int, 0, 2**31 - 1, label="Random seed", help=(
        "Starting point of the random numbers. On the CPU, the same seed and "
        "settings give the same run on the same machine and software (the "
        "thread count, fixed per machine, is part of it); on a GPU, runs "
        "with the same seed may differ slightly.")),
    "device": FieldSpec(str, label="Device", help=(
        "Where to train: auto picks an NVIDIA GPU (cuda), then an Apple GPU "
        "(mps), then the CPU.")),
    "steps_per_epoch": FieldSpec(int, 0, 1_000_000, label="Steps per epoch", help=(
        "Steps in one epoch; 0 means one full pass over the chosen music.")),
    "eval_share": FieldSpec(float, 0.0, 0.5, label="Pieces kept out to score", help=(
        "Share of the pieces kept out of training, so the model is also scored "
        "on melodies it has never seen (the honest score). 0 = train on all.")),
    "parallel_penalty": FieldSpec(float, 0.0, 1000.0, label="Parallel fifths penalty", help=(
        "How much the composer is penalised for each parallel perfect fifth or "
        "octave it writes (per bar). 0 = none: only the critic objects to them.")),
    "interval_critic": FieldSpec(int, 0, 1, label="Critic hears voice intervals", help=(
        "1: the critic also listens to the intervals between every two voices "
        "step by step, so it can hear parallel fifths and octaves and teach the "
        "composer to avoid them. 0: it sees only the piano roll.")),
    "judge_genre": FieldSpec(int, 0, 1, label="Judge genre fidelity", help=(
        "1: a genre classifier, trained once on the real music of every genre, "
        "says at each epoch how many pieces sound like the job's genre (genre "
        "fidelity). 0: skip it.")),
    "keep_every": FieldSpec(int, 0, 100_000, label="Keep a checkpoint every N epochs", help=(
        "Checkpoints kept on disk: the latest, the best so far, and one every "
        "this many epochs (1 = every epoch, 0 = only the latest and the best).")),
    "samples_per_epoch": FieldSpec(int, 1, 64, label="Pieces saved per epoch", help=(
        "Pieces saved as MIDI at each epoch for you to listen to.")),
    "metric_samples": FieldSpec(int, 4, 4096, label="Pieces measured per epoch", help=(
        "Pieces generated at each epoch to measure the music metrics and the "
        "similarity index. More: steadier numbers, slower epochs.")),
    "log_every": FieldSpec(int, 1, 100_000, label="Log losses every N steps", help=(
        "Steps between loss read-outs. Reading losses costs a little time "
        "on a GPU.")),
    "part_writing": FieldSpec(int, 0, 1, label="Write notes out by the genre's rules", help=(
        "1: each voice strikes about as many notes per bar as the genre's "
        "real music; where two voices would move in parallel fifths or "
        "octaves and the genre avoids them, or two neighbouring voices cross "
        "more often than the genre's (then only the crossings the composer is "
        "least sure of, down to the genre's rate), one voice takes the "
        "composer's next choice for that note (never the melody); a re-struck "
        "note takes the pitch likeliest given that a new note starts, so each "
        "voice repeats notes, and leaps to the octave, about as often as the "
        "genre's music does. All fitted every epoch on training melodies. "
        "Training is the same either way. 0: the composer's likeliest "
        "notes, as they are.")),
    "precision": FieldSpec(str, choices=("auto", "bf16", "fp32"), label="GPU number precision", help=(
        "NVIDIA GPUs only. bf16: the models compute in 16-bit brain floats "
        "(autocast); fp32: in 32-bit floats, with the GPU's TF32 matrix units. "
        "auto picks the faster one measured for these models "
        "(docs/bench/gpu.md). The CPU always computes in 32-bit floats.")),
    "cuda_graph": FieldSpec(int, 0, 1, label="Replay steps as a CUDA graph", help=(
        "NVIDIA GPUs only: 1 records a training step once and replays it "
        "(lab's steps ran 4 times faster on an H100: 27 instead of 117 ms); 0 runs "
        "every step the plain way (for comparisons, or if a GPU misbehaves).")),
    "epoch_end": FieldSpec(str, choices=("auto", "background", "inline"), label="Epoch ends run", help=(
        "background: the next epoch trains while the last one is judged and its "
        "MIDI files and checkpoint are written (its scores then arrive a few "
        "steps into the next epoch); inline: training waits for them. auto: "
        "background on an NVIDIA GPU, which would otherwise sit idle, inline on "
        "the CPU, where both would share the same cores. The results are the "
        "same either way.")),
}


@dataclass(frozen=True)
class TrainConfig:
    architecture: str = "unet"
    epochs: int = 20
    batch_size: int = 32
    generator_lr: float = 1e-3
    critic_lr: float = 1e-3
    lr_floor: float = 1.0
    beta1: float = 0.5
    beta2: float = 0.9
    critic_updates: int = 5
    gp_weight: float = 10.0
    reconstruction_weight: float = 0.0
    parallel_penalty: float = 0.0
    reconstruction_fade: float = 0.0
    transpose: int = 0
    ema_decay: float = 0.0
    latent_size: int = 32
    width: int = 16
    bars_per_sample: int = 4
    seed: int = 0
    device: str = "auto"
    steps_per_epoch: int = 0
    eval_share: float = 0.1
    interval_critic: int = 1
    judge_genre: int = 1
    keep_every: int = 10
    samples_per_epoch: int = 4
    metric_samples: int = 64
    log_every: int = 10
    cuda_graph: int = 1
    precision: str = "auto"
    epoch_end: str = "auto"
    part_writing: int = 1

    # -- validation -----------------------------------------------------
    def problems(self) -> dict[str, str]:
        """Field -> message for every invalid value (empty when valid)."""
        return {name: msg for name in SPECS
                if (msg := check_field(name, getattr(self, name)))}

    def validate(self) -> "TrainConfig":
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self

    # -- conversions ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        """Build and validate; unknown keys are refused by name."""
        unknown = sorted(set(values) - set(SPECS))
        if unknown:
            raise ConfigError({k: f"unknown setting {k!r} (known: "
                               f"{', '.join(SPECS)})" for k in unknown})
        return cls(**values).validate()

    def with_overrides(self, assignments: list[str] | dict[str, Any]) -> "TrainConfig":
        """Apply ``field=value`` strings (command line) or a dict; validate."""
        if isinstance(assignments, dict):
            changes = dict(assignments)
        else:
            changes = {}
            for text in assignments:
                if "=" not in text:
                    raise ConfigError({text: f"{text!r} is not of the form field=value"})
                key, raw = text.split("=", 1)
                changes[key.strip()] = raw.strip()
        problems: dict[str, str] = {}
        parsed: dict[str, Any] = {}
        for key, raw in changes.items():
            if key not in SPECS:
                problems[key] = f"unknown setting {key!r} (known: {', '.join(SPECS)})"
                continue
            try:
                parsed[key] = parse_value(key, raw)
            except ValueError as exc:
                problems[key] = str(exc)
        if problems:
            raise ConfigError(problems)
        return dataclasses.replace(self, **parsed).validate()


def label_of(name: str) -> str:
    """The form's name for a setting ("Batch size" for batch_size)."""
    spec = SPECS.get(name)
    return spec.label if spec is not None and spec.label else name.replace("_", " ").capitalize()


def parse_value(name: str, raw: Any) -> Any:
    """Turn text into the field's type, with a message naming the field."""
    spec = SPECS[name]
    if not isinstance(raw, str):
        return raw
    try:
        if spec.kind is int:
            return int(raw)
        if spec.kind is float:
            return float(raw)
    except ValueError:
        kind = "a whole number" if spec.kind is int else "a number"
        raise ValueError(f"{name} = {raw!r} is not {kind}: {label_of(name)} must be "
                         f"{allowed_text(name)}") from None
    return raw


def _number(value: float) -> str:
    """1e-05 stays short; 100000 reads 100,000."""
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"


def allowed_text(name: str) -> str:
    """What a setting may be, in plain words ("a whole number from 1 to 4,096")."""
    spec = SPECS[name]
    if spec.choices:
        return "one of " + ", ".join(spec.choices)
    if name == "device":
        return "auto, cpu, cuda, cuda:N or mps"
    kind = "a whole number" if spec.kind is int else "a number"
    low, high = _number(spec.low), _number(spec.high)
    if spec.low_open:
        return f"{kind} above {low}, at most {high}"
    if spec.high_open:
        return f"{kind} from {low} up to (not including) {high}"
    return f"{kind} from {low} to {high}"


def field_problem(name: str, value: Any) -> str:
    """'' when ``value`` is allowed for ``name``, else the reason in the
    form's words ("Batch size must be a whole number from 1 to 4,096")."""
    if _allowed(name, value):
        return ""
    return f"{label_of(name)} must be {allowed_text(name)}"


def check_field(name: str, value: Any) -> str:
    """'' when ``value`` is allowed for ``name``, else the reason naming the
    setting as the command line spells it (``batch_size = 0: Batch size
    must be ...``), for ``--set`` and the library's errors."""
    problem = field_problem(name, value)
    return f"{name} = {value!r}: {problem}" if problem else ""


def _allowed(name: str, value: Any) -> bool:
    spec = SPECS[name]
    if spec.kind is str:
        return (isinstance(value, str) and (not spec.choices or value in spec.choices)
                and (name != "device" or bool(_DEVICE_RE.match(value))))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if spec.kind is int and not float(value).is_integer():
        return False
    if value != value or value in (float("inf"), float("-inf")):
        return False
    if spec.low is not None and (value < spec.low or (spec.low_open and value == spec.low)):
        return False
    if spec.high is not None and (value > spec.high or (spec.high_open and value == spec.high)):
        return False
    return True


# Presets. ``quick`` is the CPU default; ``smoke`` is for tests (seconds);
# ``lab`` is the hosted console's lab defaults; ``full`` is GPU-sized.
PRESETS: dict[str, TrainConfig] = {
    "smoke": TrainConfig(epochs=2, batch_size=8, width=4, latent_size=8,
                         bars_per_sample=2, critic_updates=1, steps_per_epoch=3,
                         samples_per_epoch=2, metric_samples=16, log_every=1, judge_genre=0),
    # quick: the accompaniment model learns fast with the pix2pix-style
    # reconstruction term (weight 2 in today's per-step units: 3 copied more,
    # 41-43 % of Bach's note-steps on training melodies against 39-40 %);
    # transposition keeps it from copying (65 % -> 36-44 %), the weight
    # average and learning rates falling to a tenth steady the late epochs
    # (the index's std over the last 10 epochs 0.005-0.010, against
    # 0.008-0.017 falling to a fifth), and the parallel-motion penalty halves
    # the parallel fifths and thirds the octaves (index on unseen melodies
    # 0.847 -> 0.871; 10 lowered the index). See docs/bench/gan.md for what
    # each part measured.
    "quick": TrainConfig(epochs=40, batch_size=16, width=16, latent_size=32,
                         bars_per_sample=4, critic_updates=2, reconstruction_weight=2.0,
                         parallel_penalty=2.0, transpose=5, ema_decay=0.99, lr_floor=0.1,
                         metric_samples=128),
    # lab: the hosted console's lab hyperparameters (width, batch, Adam 1e-3
    # (0.5, 0.9), 5 critic updates, GP 10, the critic alone) with today's
    # model: note onsets and a rest per voice, the critic that hears the
    # intervals between voices, transposed pieces and the weight average.
    "lab": TrainConfig(epochs=100, batch_size=64, width=64, latent_size=64,
                       generator_lr=1e-3, critic_lr=1e-3, beta1=0.5, beta2=0.9,
                       critic_updates=5, gp_weight=10.0, bars_per_sample=4,
                       transpose=5, ema_decay=0.99, metric_samples=128),
    "full": TrainConfig(epochs=300, batch_size=128, width=128, latent_size=128,
                        bars_per_sample=4, critic_updates=5, metric_samples=256,
                        transpose=5, ema_decay=0.995, lr_floor=0.2),
}
DEFAULT_PRESET = "quick"


def epoch_steps(config: TrainConfig, n_segments: int, world_size: int = 1) -> int:
    """Generator steps in one epoch: ``steps_per_epoch``, or one pass over
    the segments by all ranks together (whole batches only)."""
    return config.steps_per_epoch or max(1, n_segments // (config.batch_size * world_size))


def preset(name: str, architecture: str | None = None) -> TrainConfig:
    if name not in PRESETS:
        raise ConfigError({"preset": f"preset = {name!r} is not allowed: must be "
                                     f"one of {', '.join(PRESETS)}"})
    cfg = PRESETS[name]
    if architecture is not None:
        cfg = dataclasses.replace(cfg, architecture=architecture)
    return cfg.validate()


FIELD_NAMES = tuple(f.name for f in fields(TrainConfig))
assert set(FIELD_NAMES) == set(SPECS), "every config field needs a spec"

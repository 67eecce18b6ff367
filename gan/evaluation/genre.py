"""Genre fidelity: a small CNN that tells the genres of the real music apart.

``load_or_train()`` returns a ``GenreClassifier`` trained on the real music
of every genre there is (built-in, built on demand and cached, and the
user's imports by their ``genre`` tag; see ``gan.data.corpus``), plus one
class of non-music (random notes and cells, near silence, ``NOISE``), so
that noise is not forced into some genre. ``fidelity(rolls, genre)`` is the
share of the pieces it labels as ``genre``.

Training. Four-bar segments of every genre, split by piece: ``HELD_OUT``
of each genre's pieces (at least one) are never trained on and give the
held-out accuracy (a genre of one piece is split by its segments instead).
Every epoch draws the same number of segments from each class (at most
``PER_CLASS``, drawn again each epoch; small genres repeat), so a large
genre cannot swamp a small one, and the reported ``accuracy`` is the
balanced accuracy (mean of the per-class recalls) on the held-out pieces.
Input: per voice, its sounding cells and its onsets (``gan.data.roll.frames``
/ ``onsets``) as 8 channels over (steps, pitches); three strided convolutions,
a mean over time (so any whole number of bars is read) and a linear layer.

Cache. The trained weights live in ``data_home()/models/genre_classifier.pt``
(``torch.load(weights_only=True)``: plain tensors, strings and numbers),
with the labels, the held-out accuracy and a fingerprint of the data: the
dataset files' names, sizes and content hashes, the roll format and this
module's ``MODEL_VERSION``. Any change to those retrains on the next load.

With music of only one genre there is nothing to tell apart: training
raises ``NotEnoughGenres`` (fidelity is undefined then, not 1.0).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.data import locations
from gan.data.roll import STEPS_PER_BAR, frames, onsets

MODEL_VERSION = 1
NOISE = "(noise)"  # the non-music class
TRAIN_BARS = 4
HELD_OUT = 0.2
PER_CLASS = 512  # segments per class per epoch
EPOCHS = 8
BATCH = 64
LEARNING_RATE = 1e-2  # 3e-3 needed twice the epochs for the same held-out accuracy
MAX_SEGMENTS = 3000  # per genre, kept in memory (a random subset of a larger genre)
CACHE_NAME = "genre_classifier.pt"

Progress = Callable[[int, int, str], None]


class NotEnoughGenres(ValueError):
    """Fewer than two genres of music: a genre classifier means nothing."""


class TrainingCancelled(RuntimeError):
    """``should_stop`` asked the training to stop; nothing was cached."""


# -- data --------------------------------------------------------------------
def dataset_files() -> list[Path]:
    """Every dataset file a genre can come from (see gan.data.corpus)."""
    from gan.data.corpus import COMMITTED_GENRES, ON_DEMAND_GENRES, imports_dir

    files = [locations.DATA_DIR / f"{g}.npz" for g in COMMITTED_GENRES]
    files += [locations.datasets_dir() / f"{g}.npz" for g in ON_DEMAND_GENRES]
    files += sorted(imports_dir().glob("*.npz"))
    return [f for f in files if f.exists()]


def _roll_format() -> str:
    """The dtype ``Corpus.segments`` produces: a new roll format retrains."""
    from gan.data.corpus import Corpus, Piece

    probe = Piece("probe", np.array([[0, 0, 2, 60]], dtype=np.int32), 1)
    return Corpus([probe]).segments(1).dtype.str


def data_fingerprint(files: Sequence[Path] | None = None) -> str:
    digest = hashlib.sha256(f"v{MODEL_VERSION} {_roll_format()} bars={TRAIN_BARS}".encode())
    for path in dataset_files() if files is None else files:
        content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        digest.update(f"|{Path(path).name}:{Path(path).stat().st_size}:{content}".encode())
    return digest.hexdigest()[:32]


def trainable_genres() -> list[str]:
    """Genres whose music is on this machine (built-in, cached or imported)."""
    from gan.data.corpus import available_genres

    return [g for g, status in available_genres().items() if status != "on demand"]


def _split_genre(genre: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) segments of one genre, split by piece."""
    from gan.data.corpus import Corpus

    corpus = Corpus.load([genre])
    segments = corpus.segments(TRAIN_BARS, balance=False)
    pieces = np.array([id(piece) for piece, _ in corpus.segment_sources(TRAIN_BARS, balance=False)])
    if len(segments) > MAX_SEGMENTS:
        keep = np.sort(rng.choice(len(segments), MAX_SEGMENTS, replace=False))
        segments, pieces = segments[keep], pieces[keep]
    distinct = np.unique(pieces)
    if len(distinct) >= 2:
        held_pieces = rng.choice(distinct, max(1, round(HELD_OUT * len(distinct))), replace=False)
        held = np.isin(pieces, held_pieces)
    else:  # one long piece: its last segments are held out
        held = np.arange(len(segments)) >= len(segments) - max(1, round(HELD_OUT * len(segments)))
    return segments[~held], segments[held]


def noise_rolls(n: int, steps: int, rng: np.random.Generator, pitches: int = 84) -> np.ndarray:
    """Bool (n, 4, steps, pitches) non-music: half random cells at densities
    from near silence to 10 %, half random notes (random lengths and pitches
    over a random span) in a random subset of the voices."""
    out = np.zeros((n, 4, steps, pitches), dtype=bool)
    cells = n // 2
    density = np.exp(rng.uniform(np.log(0.001), np.log(0.1), size=(cells, 1, 1, 1)))
    out[:cells] = rng.random((cells, 4, steps, pitches), dtype=np.float32) < density
    for i in range(cells, n):
        low = rng.integers(0, pitches - 12)
        high = rng.integers(low + 12, pitches + 1)
        for voice in np.flatnonzero(rng.random(4) < 0.75):
            step = 0
            while step < steps:
                length = int(rng.integers(1, 9))
                if rng.random() < 0.8:
                    out[i, voice, step:step + length, rng.integers(low, high)] = True
                step += length
    return out


def features(rolls: np.ndarray):
    """Float tensor (n, 8, steps, pitches): frames then onsets of each voice."""
    import torch

    rolls = np.asarray(rolls)
    if rolls.ndim == 3:
        rolls = rolls[None]
    if rolls.ndim != 4 or rolls.shape[1] != 4 or rolls.shape[2] % STEPS_PER_BAR or rolls.shape[2] == 0:
        raise ValueError(f"rolls must be (n, 4, whole bars of {STEPS_PER_BAR} steps, pitches); "
                         f"got shape {rolls.shape}")
    both = np.concatenate([frames(rolls), onsets(rolls)], axis=1)
    return torch.from_numpy(both.astype(np.float32))


# -- model -------------------------------------------------------------------
def build_net(n_labels: int):
    from torch import nn

    class MeanOverTime(nn.Module):
        def forward(self, x):
            return x.mean(2)

    return nn.Sequential(
        nn.Conv2d(8, 16, (4, 7), stride=2, padding=(1, 3)), nn.ReLU(),
        nn.Conv2d(16, 32, (4, 5), stride=2, padding=(1, 2)), nn.ReLU(),
        nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
        MeanOverTime(),  # (n, 32, pitch bins)
        nn.AdaptiveAvgPool1d(6), nn.Flatten(),
        nn.Dropout(0.2), nn.Linear(32 * 6, n_labels),
    )


@dataclass
class GenreClassifier:
    net: object  # torch.nn.Module, in eval mode
    labels: list[str]  # genres, then NOISE
    accuracy: float  # balanced accuracy on held-out pieces
    recall: dict[str, float]  # per label, on held-out pieces
    fingerprint: str
    trained_now: bool = False
    seconds: float = 0.0  # training time (0 when loaded from the cache)
    counts: dict[str, int] = field(default_factory=dict)  # training segments per genre

    @property
    def genres(self) -> list[str]:
        return [g for g in self.labels if g != NOISE]

    def predict(self, rolls: np.ndarray, batch: int = 256) -> np.ndarray:
        """(n,) index into ``labels`` of each piece's most likely label."""
        import torch

        rolls = np.asarray(rolls)
        if rolls.ndim == 3:
            rolls = rolls[None]
        out = []
        with torch.no_grad():
            for start in range(0, len(rolls), batch):
                out.append(self.net(features(rolls[start:start + batch])).argmax(1).numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def label_names(self, rolls: np.ndarray) -> list[str]:
        return [self.labels[i] for i in self.predict(rolls)]

    def fidelity(self, rolls: np.ndarray, genre: str) -> float:
        """Share of ``rolls`` labelled ``genre`` (NaN for no rolls)."""
        if genre not in self.genres:
            raise ValueError(f"the genre classifier knows {', '.join(self.genres)}; not {genre!r}")
        predicted = self.predict(rolls)
        return float(np.mean(predicted == self.labels.index(genre))) if len(predicted) else math.nan


# -- training ----------------------------------------------------------------
def _collect(genres: Sequence[str] | None, per_class: int, rng: np.random.Generator):
    """(labels, train sets, held-out sets), one of each per label. A genre
    with no training or no held-out segment (pieces shorter than TRAIN_BARS
    bars, or a single segment) is left out."""
    labels, train, held = [], [], []
    for genre in (trainable_genres() if genres is None else genres):
        a, b = _split_genre(genre, rng)
        if len(a) and len(b):
            labels.append(genre)
            train.append(a)
            held.append(b)
    if len(labels) < 2:
        have = ", ".join(repr(g) for g in labels) or "none"
        raise NotEnoughGenres(f"genre fidelity needs music of at least two genres (each with at least "
                              f"two {TRAIN_BARS}-bar segments); only {have} available "
                              "(build or import another genre)")
    steps = TRAIN_BARS * STEPS_PER_BAR
    train.append(noise_rolls(2 * per_class, steps, rng))
    held.append(noise_rolls(128, steps, rng))
    return labels + [NOISE], train, held


def _draw_epoch(train: list[np.ndarray], per_class: int, rng: np.random.Generator):
    """(class, row) pairs of one balanced epoch, shuffled."""
    pairs = []
    for label, rows in enumerate(train):
        if len(rows):
            pick = rng.choice(len(rows), per_class, replace=len(rows) < per_class)
            pairs += [(label, int(r)) for r in pick]
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def _recalls(net, held: list[np.ndarray], labels: list[str]) -> dict[str, float]:
    import torch

    out = {}
    with torch.no_grad():
        for label, rows in enumerate(held):
            guesses = [net(features(rows[s:s + 256])).argmax(1).numpy() for s in range(0, len(rows), 256)]
            out[labels[label]] = float(np.mean(np.concatenate(guesses) == label)) if guesses else math.nan
    return out


def train_classifier(genres: Sequence[str] | None = None, *, epochs: int = EPOCHS,
                     per_class: int = PER_CLASS, seed: int = 0, progress: Progress | None = None,
                     should_stop: Callable[[], bool] | None = None,
                     threads: int | None = 1) -> GenreClassifier:
    """Train on ``genres`` (default: every genre on this machine), on the CPU,
    without touching the caller's random state; see the module notes.

    ``threads``: torch CPU threads while training (restored afterwards;
    None leaves them as they are). One by default: beside a training job on
    two cores, two threads ran 5x slower than one (lock-step threads wait on
    each other when a core is taken)."""
    import torch

    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _train(genres, epochs, per_class, seed, progress, should_stop)
    finally:
        torch.set_num_threads(previous_threads)


def _train(genres, epochs, per_class, seed, progress, should_stop) -> GenreClassifier:
    import torch

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    fingerprint = data_fingerprint()
    labels, train, held = _collect(genres, per_class, rng)
    batches = math.ceil(per_class * len(labels) / BATCH)
    total = epochs * batches + 1
    report = progress or (lambda done, total, message: None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_net(len(labels))
        optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
        loss_fn = torch.nn.CrossEntropyLoss()
        for epoch in range(epochs):
            net.train()
            pairs = _draw_epoch(train, per_class, rng)
            for b in range(batches):
                if should_stop is not None and should_stop():
                    raise TrainingCancelled("genre classifier training was stopped")
                chunk = pairs[b * BATCH:(b + 1) * BATCH]
                x = features(np.stack([train[label][row] for label, row in chunk]))
                y = torch.tensor([label for label, _ in chunk])
                loss = loss_fn(net(x), y)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                report(epoch * batches + b + 1, total, f"genre classifier: epoch {epoch + 1}/{epochs}")
        net.eval()
        recall = _recalls(net, held, labels)
    report(total, total, "genre classifier: trained")
    finite = [r for r in recall.values() if not math.isnan(r)]
    return GenreClassifier(net, labels, float(np.mean(finite)), recall, fingerprint, trained_now=True,
                           seconds=time.perf_counter() - started,
                           counts={g: len(t) for g, t in zip(labels, train) if g != NOISE})


# -- cache -------------------------------------------------------------------
def cache_path() -> Path:
    return locations.data_home() / "models" / CACHE_NAME


def save(classifier: GenreClassifier, path: Path | None = None) -> Path:
    import torch

    from gan.util.atomic import atomic_path

    path = cache_path() if path is None else Path(path)
    record = {"version": MODEL_VERSION, "labels": list(classifier.labels),
              "fingerprint": classifier.fingerprint, "accuracy": float(classifier.accuracy),
              "recall": {k: float(v) for k, v in classifier.recall.items()},
              "counts": {k: int(v) for k, v in classifier.counts.items()},
              "state_dict": classifier.net.state_dict()}
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(record, tmp)
    return path


def load(path: Path | None = None) -> GenreClassifier | None:
    """The cached classifier, or None when missing, unreadable or of another version."""
    import torch

    path = cache_path() if path is None else Path(path)
    if not path.exists():
        return None
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
        if record.get("version") != MODEL_VERSION:
            return None
        net = build_net(len(record["labels"]))
        net.load_state_dict(record["state_dict"])
    except Exception:  # noqa: BLE001 - a damaged or foreign cache is retrained, never fatal
        return None
    net.eval()
    return GenreClassifier(net, list(record["labels"]), float(record["accuracy"]),
                           dict(record["recall"]), str(record["fingerprint"]),
                           counts=dict(record.get("counts", {})))


def load_or_train(progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
                  **train_options) -> GenreClassifier:
    """The cached classifier if it was trained on today's data, else a newly
    trained one (then cached). Raises NotEnoughGenres or TrainingCancelled."""
    cached = load()
    if cached is not None and cached.fingerprint == data_fingerprint():
        return cached
    classifier = train_classifier(progress=progress, should_stop=should_stop, **train_options)
    save(classifier)
    return classifier


def fidelity(rolls: np.ndarray, genre: str, classifier: GenreClassifier | None = None) -> float:
    """Share of ``rolls`` labelled ``genre`` (loads or trains the classifier if not given)."""
    return (classifier or load_or_train()).fidelity(rolls, genre)

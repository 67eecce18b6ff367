"""Which music a job's tags choose: loaded and selected in one place.

The command line checks a new job's tags against the music before it
creates the job, the runner cuts the training segments, the tag picker
counts them and Compose looks where the melodies lay: all through
``select_music``, so the recipe (load only the genres the tags need, then
filter by tag) is written once, and ``train`` reads the corpus once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MIN_SEGMENTS = 2  # one batch of real music for the critic, one held out at least


class MusicUnavailable(ValueError):
    """The tags choose too little music, or the music cannot be read."""


def genre_of(tags: list[str]) -> str | None:
    """The first ``genre=`` tag's value (it picks instruments and track names)."""
    for tag in tags:
        key, _, value = tag.partition("=")
        if key.strip() == "genre" and value.strip():
            return value.strip()
    return None


def genres_to_load(tags: list[str], mode: str) -> list[str] | None:
    """Which genre files to read for these tags (None: all of them). Only
    the named genres when the tags pin the genre, so a chorale job neither
    reads Palestrina nor fails because an unrelated genre is not built."""
    genres = [v.strip() for k, _, v in (t.partition("=") for t in tags) if k.strip() == "genre"]
    if not genres:
        return None
    if mode == "any" and len(genres) == len(tags):
        return genres
    if mode == "all" and len(genres) == 1:
        return genres
    return None


def select_music(tags: list[str], mode: str, corpus: Any = None) -> Any:
    """The pieces ``tags`` choose (any/all; all music when there is no tag),
    as a ``gan.data.corpus.Corpus``. From ``corpus`` when the caller holds
    one already (the tag picker), else only the genres the tags need are
    read. Raises what the corpus raises (``ValueError``, ``LookupError``,
    ``DatasetFileError``, ``OSError``)."""
    if corpus is None:
        from gan.data.corpus import Corpus

        corpus = Corpus.load(genres_to_load(tags, mode))
    return corpus.select(tags, mode) if tags else corpus


@dataclass(frozen=True)
class Selection:
    """Music checked for a job: enough segments at ``bars`` bars per piece."""

    tags: list[str]
    mode: str
    bars: int
    segment_count: int
    corpus: Any  # gan.data.corpus.Corpus of the chosen pieces

    def segments(self) -> "np.ndarray":
        return training_segments(self.tags, self.mode, self.bars, self.corpus)

    def loader(self):
        """A ``load_data`` for ``app.jobs.runner.run_job`` that reuses this
        selection instead of reading the corpus again."""
        return lambda job: training_music(self.tags, self.mode, self.bars,
                                          job.config.eval_share, self.corpus)


def check_music(tags: list[str], mode: str, bars: int) -> Selection:
    """The music for a new job; ``MusicUnavailable`` (no job is created)
    when it cannot be read or gives fewer than two segments."""
    from gan.data.dataset_file import DatasetFileError

    try:
        corpus = select_music(tags, mode)
    except (ValueError, LookupError, DatasetFileError) as exc:
        raise MusicUnavailable(str(exc).strip("'\"")) from None
    except OSError as exc:  # a read-only or missing data folder
        from app.jobs.errors import friendly

        raise MusicUnavailable(str(friendly(exc, exc.filename or "the data folder"))) from None
    count = corpus.segment_count(bars)
    if count < MIN_SEGMENTS:
        raise MusicUnavailable(f"the tags {', '.join(tags) or '(none)'} select {count} training "
                               f"segment(s) of {bars} bars; training needs at least {MIN_SEGMENTS}")
    return Selection(list(tags), mode, bars, count, corpus)


def training_segments(tags: list[str], mode: str, bars: int, corpus: Any = None) -> "np.ndarray":
    """The rolls of the music ``tags`` choose (from ``corpus`` when given);
    ``ValueError`` when the tags choose none."""
    data = select_music(tags, mode, corpus).segments(bars)
    if len(data) == 0:
        raise ValueError(f"no music matches the tags {', '.join(tags) or '(none)'} "
                         f"({mode}) at {bars} bars per sample")
    return data


@dataclass
class TrainingMusic:
    """What a job trains on and is judged with: its training segments, the
    segments of the pieces kept out of training (``eval_share``), and where
    each training segment comes from (for the copying measure)."""

    data: "np.ndarray"
    eval_data: "np.ndarray | None"
    sources: list

    def train_inputs(self) -> dict:
        return {"eval_data": self.eval_data, "sources": self.sources}


def training_music(tags: list[str], mode: str, bars: int, eval_share: float = 0.0,
                   corpus: Any = None) -> TrainingMusic:
    """The job's music split by piece (gan.data.corpus.Corpus.split). When
    the split would leave training fewer than ``MIN_SEGMENTS`` segments, or
    keeps no piece out, every piece trains and there is no unseen score."""
    chosen = select_music(tags, mode, corpus)
    train, held = chosen.split(eval_share) if eval_share > 0 else (chosen, None)
    if held is not None and (len(held) == 0 or train.segment_count(bars) < MIN_SEGMENTS):
        train, held = chosen, None
    data = training_segments(tags, mode, bars, train)
    eval_data = held.segments(bars) if held is not None else None
    return TrainingMusic(data, eval_data if eval_data is not None and len(eval_data) else None,
                         train.segment_sources(bars))


def segment_total(tags: list[str], mode: str, bars: int, corpus: Any = None) -> int:
    """Training segments the job would get (all music when no tag is picked)."""
    return int(select_music(tags, mode, corpus).segment_count(bars))


def top_voice_range(tags: list[str], mode: str) -> tuple[int, int] | None:
    """Lowest and highest pitch of the top voice in this music (where its
    melodies lay), or None when it cannot be read now. Remembered per data
    folder and tags: reading the music takes a moment, and Compose asks at
    every run."""
    from gan.data.locations import data_home

    return _top_voice_range(str(data_home()), tuple(tags), mode)


@functools.lru_cache(maxsize=32)
def _top_voice_range(_home: str, tags: tuple[str, ...], mode: str) -> tuple[int, int] | None:
    import numpy as np

    try:
        corpus = select_music(list(tags), mode)
    except Exception:  # a preference, not a requirement: callers go on without it
        return None
    tops = [p.notes[p.notes[:, 0] == 0, 3] for p in corpus.pieces if len(p.notes)]
    tops = [t for t in tops if len(t)]
    if not tops:
        return None
    pitches = np.concatenate(tops)
    return int(pitches.min()), int(pitches.max())

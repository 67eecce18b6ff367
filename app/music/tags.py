"""What the tag picker shows, read from the corpus (Qt-free).

Wraps ``gan.data.corpus.Corpus`` so the picker deals in simple rows: a tag as the
training code wants it, a label, a group heading and a segment count at the
chosen piece length. The picker's total comes from
``app.music.selection.segment_total``, the same selection training uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tag keys in the order the picker lists them; any other key follows.
KEY_ORDER = ("genre", "import", "collection", "composer", "mode")
KEY_TITLES = {"genre": "Genre", "import": "Your imports", "collection": "Collection",
              "composer": "Composer", "mode": "Key mode"}
SHOWN_KEYS = ("genre", "import", "composer")


@dataclass(frozen=True)
class TagRow:
    tag: str  # what goes into the job ("genre=chorale")
    label: str  # what the user reads ("chorale")
    group: str  # heading ("Genre")
    count: int  # segments at the chosen bars per piece


class CorpusUnavailable(RuntimeError):
    """The corpus module or its data file is missing."""


def load_corpus() -> Any:
    try:
        from gan.data.corpus import Corpus
    except ImportError as exc:
        raise CorpusUnavailable(f"the music library module is not available ({exc})") from exc
    try:
        return Corpus.load()
    except (OSError, ValueError) as exc:
        raise CorpusUnavailable(f"the music library could not be read: {exc}") from exc


def _split(tag: str) -> tuple[str, str]:
    if "=" in tag:
        key, value = tag.split("=", 1)
        return key, value
    return "genre", tag


def tag_rows(corpus: Any, bars: int) -> list[TagRow]:
    """Rows for every shown tag key, ordered by key then by count."""
    available = corpus.available_tags()
    if isinstance(available, dict):
        keys = list(available)
    else:
        keys = sorted({_split(str(t))[0] for t in available})
    keys = [k for k in KEY_ORDER if k in keys] + sorted(k for k in keys if k not in KEY_ORDER)
    rows: list[TagRow] = []
    for key in keys:
        if key not in SHOWN_KEYS:
            continue
        counts = corpus.tag_counts(key, bars)
        title = KEY_TITLES.get(key, key.capitalize())
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            value = str(value)
            tag = f"{key}={value}"
            rows.append(TagRow(tag=tag, label=_split(tag)[1], group=title, count=int(count)))
    return rows

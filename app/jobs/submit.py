"""Creating and submitting training jobs (both faces).

A ``JobRequest`` is what the New Job form or ``train``'s arguments ask for.
``submit`` puts it in the store: at the end of the queue, next in the queue
(``start_now``) or already claimed by the caller, who runs it at once
(``claim``). The command line first checks the tags against the music
(``check_music``, re-exported here) and trains on that selection, so the
corpus is read once per ``train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gan.config import TrainConfig

from app.music.selection import MusicUnavailable, Selection, check_music

__all__ = ["JobRequest", "MusicUnavailable", "Selection", "check_music", "submit"]


@dataclass(frozen=True)
class JobRequest:
    name: str
    config: TrainConfig
    tags: list[str]
    tag_mode: str
    start_now: bool = False


def submit(store: Any, request: JobRequest, *, claim: bool = False) -> int:
    """Create the job; returns its id. ``StoreError``/``ValueError`` as the
    store raises them (nothing is created then)."""
    job_id = store.create(request.name, request.config, request.tags, request.tag_mode,
                          claim=claim)
    if request.start_now and not claim:
        store.move(job_id, 0)
    return job_id


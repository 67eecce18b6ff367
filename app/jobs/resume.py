"""Where a run starts, and what it should hear about its data first.

``resume_point`` picks the newest checkpoint that loads: ``latest.pt`` and
``epoch_N.pt`` are hard links, so a truncated file damages both, and a
resume that always tried the newest one failed the same way forever. A
damaged file is skipped (kept on disk, never deleted) and the job's events
say which checkpoint was used. Half-written temporary files of a killed
run are removed first. ``load_music`` turns the data's warnings (music left
out to bound memory, a damaged import) into the job's events.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable

from gan.data.limits import DataLimitWarning
from gan.training.checkpoint import newest_loadable, remove_stale_temp_files


def resume_point(store, job) -> tuple[int, Path] | None:
    """(epoch, checkpoint) to resume ``job`` from, or None to start afresh;
    what was skipped or cleaned goes into the job's events."""
    removed = remove_stale_temp_files(job.job_dir / "checkpoints")
    if removed:
        store.add_event(job.id, f"Removed {len(removed)} half-written checkpoint file(s) left by "
                                f"a stopped run: {', '.join(p.name for p in removed)}")
    candidates = store.resume_candidates(job.id)
    if not candidates:
        return None
    found, skipped = newest_loadable(candidates)
    for path, reason in skipped:
        store.add_event(job.id, f"Checkpoint {path.name} cannot be read, so it is not used "
                                f"(kept on disk): {reason}", "warning")
    if found is None:
        store.add_event(job.id, "No checkpoint of this job can be read: training starts again "
                                "from the beginning", "warning")
    elif skipped:
        store.add_event(job.id, f"Resuming from {found[1].name} (epoch {found[0]}), the newest "
                                f"checkpoint that loads", "warning")
    return found


def load_music(store, job, loader: Callable[[Any], Any]) -> Any:
    """``loader(job)``, with each distinct ``DataLimitWarning`` it raised
    added to the job's events."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataLimitWarning)
        music = loader(job)
    notes = [str(w.message) for w in caught if issubclass(w.category, DataLimitWarning)]
    for note in dict.fromkeys(notes):
        store.add_event(job.id, note, "warning")
    return music

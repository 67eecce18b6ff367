"""Opening the job store for a command: to read, or to change something.

Commands that only look (``jobs list``, ``jobs show``, the window's browser)
open with ``open_for_reading``: on a read-only disk or folder the store is
opened read-only instead of refused, and a damaged file is still shown as far
as it can be read, with a warning. Commands that change something use
``open_for_writing``, which refuses a damaged file before anything is written.
Both mark runs whose process died as ``interrupted`` when they may write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app import paths

from app.jobs.adopt import orphan_folders
from app.jobs.errors import RECOVER_COMMAND, StoreDamaged, StoreError
from app.jobs.store import JobStore


@dataclass
class Opened:
    store: JobStore
    notes: list[str] = field(default_factory=list)  # lines for the user (stderr)


def open_for_reading(path: str | Path | None = None) -> Opened:
    """The store, writable when it can be (crashed runs then marked
    interrupted), else read-only; ``StoreError`` only when there is nothing
    to read at all."""
    path = Path(path) if path is not None else paths.database_path()
    try:
        store = JobStore(path)
    except StoreError as exc:
        if isinstance(exc, StoreDamaged) or not path.is_file():
            raise
        try:
            store = JobStore(path, read_only=True)
        except StoreError:
            raise exc from None
        store.db.read_only_reason = "on a disk or in a folder that cannot be written"
        return Opened(store, [f"note: {path} cannot be written here, so it is shown read-only "
                              f"(a run that crashed may still show as running)"])
    opened = Opened(store)
    if store.damage:
        opened.notes.append(f"warning: {StoreDamaged(path, store.damage)}")
        return opened
    store.recover_orphans()
    orphans = orphan_folders(store)
    if orphans:
        names = ", ".join(p.name for p in orphans[:5]) + (" ..." if len(orphans) > 5 else "")
        opened.notes.append(f"note: {len(orphans)} job folder(s) in {store.jobs_root} belong "
                            f"to no job here ({names}): `python main.py jobs adopt` adds them")
    return opened


def open_for_writing(path: str | Path | None = None) -> JobStore:
    """The store, with crashed runs marked interrupted; ``StoreDamaged``
    (saying how to recover) when the file is damaged."""
    store = JobStore(path)
    if store.damage:
        damage = store.damage
        store.close()
        raise StoreDamaged(store.path, damage)
    store.recover_orphans()
    return store


__all__ = ["Opened", "open_for_reading", "open_for_writing", "RECOVER_COMMAND"]

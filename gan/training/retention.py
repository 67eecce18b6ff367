"""Which epoch checkpoints a run keeps: the latest and the one before it
(to resume from, even when the latest is damaged), the best so far (for
Compose), and every Nth (to go back to). The rest are deleted as the run
goes, so a 40-epoch ``quick`` job keeps a handful of files instead of forty.
"""

from __future__ import annotations

import re
from pathlib import Path

_EPOCH_FILE = re.compile(r"^epoch_(\d+)\.pt$")


def epochs_to_keep(latest: int, best: int | None, keep_every: int) -> set[int]:
    keep = {latest, latest - 1}
    if best is not None:
        keep.add(best)
    if keep_every > 0:
        keep.update(range(keep_every, latest + 1, keep_every))
    return keep


def prune_checkpoints(ckpt_dir: str | Path, latest: int, best: int | None, keep_every: int) -> list[Path]:
    """Delete the epoch checkpoints this policy does not keep; returns them.
    Only ``epoch_NNNN.pt`` files are touched (never ``latest.pt`` or anything
    else in the folder)."""
    keep = epochs_to_keep(latest, best, keep_every)
    removed = []
    for path in sorted(Path(ckpt_dir).glob("epoch_*.pt")):
        match = _EPOCH_FILE.match(path.name)
        if match and int(match.group(1)) not in keep and int(match.group(1)) < latest:
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:
                pass
    return removed

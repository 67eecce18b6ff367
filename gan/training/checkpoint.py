"""Checkpoints: written atomically, read back without unpickling code.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts
(config, epoch, step, model and optimizer states, RNG states), so it loads
with ``torch.load(weights_only=True)``; a file that carries a pickled Python
object (a possible code-execution vector) is refused with a message.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path
from typing import Any

FORMAT = "polyphony-checkpoint"
VERSION = 1


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path``: a temporary file in the same folder, then
    ``os.replace``, so a reader never sees half a file (even after a crash)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def point_latest(target: str | os.PathLike, latest: str | os.PathLike) -> Path:
    """Make ``latest`` a hard link to ``target`` (a copy where links are not
    supported), replaced atomically."""
    target, latest = Path(target), Path(latest)
    tmp = latest.with_name(f".{latest.name}.tmp{os.getpid()}")
    if tmp.exists():
        tmp.unlink()
    try:
        os.link(target, tmp)
    except OSError:
        shutil.copyfile(target, tmp)
    os.replace(tmp, latest)
    return latest


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` with
    the reason for anything else that is not a Polyphony checkpoint.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message opens with advice to turn the check off; keep only
        # the line that names what was found.
        lines = [ln.strip() for ln in str(exc).splitlines() if "GLOBAL" in ln or "Unsupported" in ln]
        found = f" ({lines[0]})" if lines else ""
        raise ValueError(f"refusing to load {str(path)!r}: it carries a pickled Python object, "
                         f"not just weights, and loading it could run code{found}") from None
    except (RuntimeError, EOFError, OSError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable checkpoint: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a Polyphony checkpoint (no {FORMAT!r} marker)")
    if state.get("version") != VERSION:
        raise ValueError(f"{str(path)!r} has checkpoint version {state.get('version')!r}; "
                         f"this Polyphony reads version {VERSION}")
    return state

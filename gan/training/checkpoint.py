"""Checkpoints: written atomically, read back without unpickling code.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts
(config, epoch, step, model and optimizer states, RNG states), so it loads
with ``torch.load(weights_only=True)``; a file that carries a pickled Python
object (a possible code-execution vector) is refused with a message.

Nothing already saved is ever lost to a failed write: a checkpoint goes to a
temporary file first, and free space is checked before writing, so a full
disk ends the run with a message that says where and how much is needed
(``DiskFull``). Temporary files left by a killed process are removed by
``remove_stale_temp_files``; a damaged file is skipped by ``newest_loadable``.
"""

from __future__ import annotations

import errno
import os
import pickle
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

FORMAT = "polyphony-checkpoint"
# 2: note-state models (onsets, a rest per voice, 8-plane critic); a version-1
# model cannot be loaded into them.
VERSION = 2
# Room asked for beyond the tensors themselves: torch's zip container, the
# pickled structure, alignment padding (measured: 41-121 kB for every preset).
SPACE_MARGIN_BYTES = 256 * 1024
_TEMP_NAME = re.compile(r"^\..+\.tmp(\d+)$")


class DiskFull(OSError):
    """Not enough free space to write a checkpoint; nothing was replaced."""

    def __init__(self, path: Path, needed: int, free: int):
        super().__init__(errno.ENOSPC, (
            f"the disk is full: saving checkpoint {path.name} in {path.parent} needs about "
            f"{_mb(needed)} and {_mb(free)} is free there. Free some space on that disk, "
            f"then resume the job (the checkpoints saved so far are kept)"))
        self.path, self.needed, self.free = path, needed, free

    def __str__(self) -> str:
        return self.strerror


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def state_bytes(state: Any) -> int:
    """Bytes of the tensors in a (nested) checkpoint state."""
    import torch

    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, dict):
        return sum(state_bytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(state_bytes(v) for v in state)
    return 0


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def ensure_space(path: Path, needed: int) -> None:
    """``DiskFull`` when the folder of ``path`` has less than ``needed`` bytes free."""
    free = free_bytes(path.parent)
    if free < needed:
        raise DiskFull(path, needed, free)


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path``: a temporary file in the same folder, then
    ``os.replace``, so a reader never sees half a file (even after a crash).
    Checks free space first; a disk that fills up anyway gives ``DiskFull``."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    needed = state_bytes(state) + SPACE_MARGIN_BYTES
    ensure_space(path, needed)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
        os.replace(tmp, path)
    except (RuntimeError, OSError) as exc:
        # torch reports a full disk as "[enforce fail at inline_container.cc]
        # ... unexpected pos": say what it is when the space ran out (the
        # half-written file then fills the disk).
        written = tmp.stat().st_size if tmp.exists() else 0
        full = free_bytes(path.parent) < SPACE_MARGIN_BYTES
        tmp.unlink(missing_ok=True)
        if full or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path, max(needed, written + SPACE_MARGIN_BYTES),
                           free_bytes(path.parent)) from exc
        raise
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
        try:
            ensure_space(latest, target.stat().st_size + SPACE_MARGIN_BYTES)
            shutil.copyfile(target, tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, latest)
    return latest


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Delete ``.NAME.tmpPID`` files in ``folder`` whose writer (process PID)
    is gone: half-written checkpoints of a killed run, never read by anyone.
    Returns what was removed."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _TEMP_NAME.match(path.name)
        if not match or not path.is_file() or path.is_symlink():
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu",
                    *, mmap: bool = False) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``. ``mmap=True`` maps the
    tensors instead of reading them.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` with
    the reason for anything else that is not a Polyphony checkpoint this
    version can train on.
    """
    path = Path(path)
    state = _read(path, map_location, mmap)
    if state.get("version") == 1:
        raise ValueError(f"{str(path)!r} was written by an earlier Polyphony whose models did not "
                         "know note onsets; it cannot be loaded or resumed: train the job again "
                         "(Clone in the window, or `python main.py jobs clone ID`)")
    if state.get("version") != VERSION:
        raise ValueError(f"{str(path)!r} has checkpoint version {state.get('version')!r}; "
                         f"this Polyphony reads version {VERSION}")
    return state


def read_facts(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint of any version, its tensors mapped rather than read: for
    what it says about its run (config, epoch, step, similarity, metrics,
    genre), as when a job folder is adopted. Errors as ``load_checkpoint``."""
    return _read(Path(path), "cpu", True)


def _read(path: Path, map_location: Any, mmap: bool) -> dict[str, Any]:
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        # torch's message opens with advice to turn the check off; keep only
        # the line that names what was found.
        lines = [ln.strip() for ln in str(exc).splitlines() if "GLOBAL" in ln or "Unsupported" in ln]
        found = f" ({lines[0]})" if lines else ""
        raise ValueError(f"refusing to load {str(path)!r}: it carries a pickled Python object, "
                         f"not just weights, and loading it could run code{found}") from None
    except Exception as exc:  # noqa: BLE001 -- torch's reader fails on damaged bytes in many ways
        # (RuntimeError, EOFError, OSError, ValueError; and, from its pickle
        # reader on a damaged stream, IndexError or KeyError: seen in the
        # fault bench's random-bytes file): each means the same to the caller
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ValueError(f"{str(path)!r} is not a readable checkpoint: {detail}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a Polyphony checkpoint (no {FORMAT!r} marker)")
    return state


def newest_loadable(candidates: Iterable[tuple[int, str | os.PathLike]]
                    ) -> tuple[tuple[int, Path] | None, list[tuple[Path, str]]]:
    """The first ``(epoch, path)`` of ``candidates`` (newest first) whose file
    loads, and ``(path, reason)`` for each one skipped before it."""
    skipped: list[tuple[Path, str]] = []
    for epoch, path in candidates:
        path = Path(path)
        try:
            load_checkpoint(path)
        except (ValueError, FileNotFoundError) as exc:
            skipped.append((path, str(exc)))
            continue
        return (epoch, path), skipped
    return None, skipped

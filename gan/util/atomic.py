"""Write a file so that a reader never sees half of it.

The content goes to a temporary file in the same folder, which then
replaces the target with ``os.replace`` (atomic on one file system). A
crash or an exception leaves the old file as it was and no temporary file
behind. Used for checkpoints, MIDI, WAV, dataset files and manifests.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without
    an error it becomes ``path``. ``suffix`` ends the temporary name, for
    writers that insist on an extension (``numpy.savez`` adds ``.npz``
    otherwise). The folder is created when missing."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}",
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are not secrets
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)

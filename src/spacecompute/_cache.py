"""The user's cache folder for derived data that is costly to rebuild (the packed land mask,
ITU-R attenuation tables, GeoNames city tables), and atomic array writers for it.

Folder: ``$SPACECOMPUTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/spacecompute``, else
``~/.cache/spacecompute``. Every file's name carries a digest of everything it was derived
from, so a cached file is only ever read for the same inputs; a file that cannot be read is
rebuilt. Nothing here is downloaded.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def cache_dir() -> Path:
    """The folder where derived data is kept (see the module docstring)."""
    if os.environ.get("SPACECOMPUTE_CACHE_DIR"):
        return Path(os.environ["SPACECOMPUTE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spacecompute"


def write_array_atomically(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as ``.npy`` to ``path`` through a temporary file and a rename, so that
    a reader never sees half a file. Raises ``OSError`` where the folder is not writable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_arrays_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` to ``path`` (through a temporary file and a
    rename, as :func:`write_array_atomically`). Raises ``OSError`` where the folder is not
    writable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_arrays(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` of the ``.npz`` at ``path``, or ``None`` when it is missing,
    unreadable or lacks one of them."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in names}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None


def read_array(path: Path, *, mmap: bool = False) -> np.ndarray | None:
    """The array stored at ``path``, or ``None`` when it is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


__all__ = [
    "cache_dir",
    "read_array",
    "read_arrays",
    "write_array_atomically",
    "write_arrays_atomically",
]

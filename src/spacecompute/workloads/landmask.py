"""The land mask of ``global_land_mask``, bit-packed and memory-mapped.

Source: ``global_land_mask`` (Karin, 2020; GLOBE 1 km digital elevation data, NOAA NGDC), a
21,600 x 43,200 boolean ocean mask at 1/120 deg shipped as a 2.4 MB compressed ``.npz``. Its
own ``globe`` module decompresses the whole 890 MiB array into every process at import (about
3.6 s and the 1.1 GB memory floor of a small run). Here the same mask is streamed out of the
``.npz`` once, row block by row block (about 50 MB at a time), packed to one bit per cell
(111 MiB) and written atomically to the user's cache; later processes memory-map that file, so
a run reads only the pages its satellites fly over.

The cache file's name carries the SHA-256 of the source ``.npz`` and a format version, so a
different ``global_land_mask`` release never reuses a stale mask; its size is checked on open.
Cache folder: ``$SPACECOMPUTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/spacecompute``, else
``~/.cache/spacecompute``. Where none is writable, the packed mask is built in memory (111 MiB).

:func:`is_land` returns exactly what ``global_land_mask.globe.is_land`` returns (same cell
indexing, same clipping at the grid's last rows and columns; tested on random and edge points).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .._cache import cache_dir, read_array, write_array_atomically

_FORMAT = 1
_ROWS_PER_BLOCK = 1200  # 1,200 x 43,200 bool = 52 MB per block while building


@dataclass(frozen=True)
class PackedMask:
    """Ocean bits ``packed`` (rows x ceil(cols/8), MSB first) over the grid ``lat``/``lon``."""

    packed: np.ndarray
    lat0: float
    dlat: float
    lat_min: float
    lat_max: float
    lon0: float
    dlon: float
    lon_min: float
    lon_max: float


def _source_npz() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or spec.origin is None:
        raise ImportError("the land mask needs the package 'global_land_mask'")
    return Path(spec.origin).parent / "globe_combined_mask_compressed.npz"


def _stream_packed(npz: Path) -> np.ndarray:
    """Pack ``mask.npy`` of the ``.npz`` to bits without holding the whole boolean array."""
    with zipfile.ZipFile(npz) as archive, archive.open("mask.npy") as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        if fortran or dtype != np.dtype(bool) or len(shape) != 2:
            raise ValueError(f"unexpected land mask layout in {npz}: {shape} {dtype}")
        rows, cols = shape
        packed = np.empty((rows, (cols + 7) // 8), dtype=np.uint8)
        for start in range(0, rows, _ROWS_PER_BLOCK):
            n = min(_ROWS_PER_BLOCK, rows - start)
            block = np.frombuffer(fh.read(n * cols), dtype=np.uint8).reshape(n, cols)
            packed[start : start + n] = np.packbits(block, axis=1)
    return packed


def _packed_bits(npz: Path) -> np.ndarray:
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()[:16]
    path = cache_dir() / f"landmask-v{_FORMAT}-{digest}.npy"
    bits = read_array(path, mmap=True)
    if bits is not None and bits.dtype == np.uint8 and bits.ndim == 2:
        return bits
    packed = _stream_packed(npz)  # missing or damaged: (re)build
    try:
        write_array_atomically(path, packed)
    except OSError:
        return packed  # no writable cache: keep the packed mask in memory
    return np.load(path, mmap_mode="r")


@cache
def packed_mask() -> PackedMask:
    """The packed ocean mask and its grid, built or opened once per process."""
    npz = _source_npz()
    with np.load(npz) as data:
        lat, lon = data["lat"], data["lon"]
    packed = _packed_bits(npz)
    if packed.shape != (lat.size, (lon.size + 7) // 8):
        raise ValueError(f"land mask cache {packed.shape} does not match its grid")
    return PackedMask(
        packed=packed,
        lat0=float(lat[0]),
        dlat=float(lat[1] - lat[0]),
        lat_min=float(lat.min()),
        lat_max=float(lat.max()),
        lon0=float(lon[0]),
        dlon=float(lon[1] - lon[0]),
        lon_min=float(lon.min()),
        lon_max=float(lon.max()),
    )


def is_land(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """True where ``(lat, lon)`` (deg, lat in [-90, 90], lon in [-180, 180]) is land.

    Cell indexing as ``global_land_mask.globe``: coordinates are clipped to the grid's extreme
    centres, then ``int((x - x0) / dx)``; most lakes count as land, as in the source.
    """
    m = packed_mask()
    lat = np.clip(np.asarray(lat_deg, dtype=float), m.lat_min, m.lat_max)
    lon = np.clip(np.asarray(lon_deg, dtype=float), m.lon_min, m.lon_max)
    i = ((lat - m.lat0) / m.dlat).astype(np.intp)
    j = ((lon - m.lon0) / m.dlon).astype(np.intp)
    ocean = (m.packed[i, j >> 3] >> (7 - (j & 7))) & 1
    return ocean == 0


def kernel_args() -> tuple[np.ndarray, np.ndarray]:
    """``(bits, grid)`` for numba kernels that look up :func:`is_land`: the packed ocean bits as a read-only array (one
    numba type whether memory-mapped or in memory) and the grid ``(lat0, dlat, lat_min, lat_max,
    lon0, dlon, lon_min, lon_max)``."""
    m = packed_mask()
    bits = m.packed.view(np.ndarray)
    bits.flags.writeable = False
    grid = np.array([m.lat0, m.dlat, m.lat_min, m.lat_max, m.lon0, m.dlon, m.lon_min, m.lon_max])
    return bits, grid


__all__ = ["PackedMask", "is_land", "kernel_args", "packed_mask"]

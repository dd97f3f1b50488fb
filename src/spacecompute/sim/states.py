"""Per-satellite state series of a run, for the 3D view and the CZML scene (``states.parquet``).

Every step the engines hand the recorder what the fleet did (its public
:class:`~spacecompute.spacecraft.fleet.FleetStep` outputs), which satellites computed, their
queues and the job each worked on; it keeps one row per recorded satellite and step:

``step`` (int32), ``satellite`` (int32, index in the run), ``state`` (uint8, :data:`STATE_NAMES`),
``soc`` (float32, state of charge 0..1), ``temperature_k`` (float32), ``queue_ops`` (float32,
work waiting on board, operations) and ``job`` (int64, the job it computed, -1 none).

State of a satellite in a step, first that applies: ``browned-out`` (the bus browned out),
``faulted`` (a reboot or a radiation error, or down for the whole step), ``throttled``
(computing at less than full speed: thermal or power throttle below 1), ``computing``,
``sunlit``, ``eclipse`` (sunlit fraction below one half).

Large runs: at most :data:`MAX_SATELLITES` satellites are recorded; above it a deterministic
subset, satellites ``floor(j n / cap)`` for ``j = 0..cap-1`` (evenly spread over the
constellation's planes and shells). The file's metadata says so (``recorded``).

Memory is bounded: rows go to part files under ``.states/`` whenever the buffer holds
:data:`FLUSH_ROWS` rows and at every checkpoint, and :meth:`StateRecorder.finish` joins them
into ``states.parquet`` one part at a time. A resumed run drops the rows of steps after its
checkpoint (they are recorded again), so a resumed run's file equals an uninterrupted one's.
A second, optional table ``links.parquet`` (``step``, ``a``, ``b``) lists the laser links that
carried traffic in each step between recorded satellites.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

#: State codes of ``states.parquet`` (index = code).
STATE_NAMES: tuple[str, ...] = (
    "sunlit",
    "eclipse",
    "computing",
    "throttled",
    "faulted",
    "browned-out",
)
SUNLIT, ECLIPSE, COMPUTING, THROTTLED, FAULTED, BROWNED_OUT = range(6)
#: Most satellites recorded (and drawn by the view and the CZML scene).
MAX_SATELLITES = 10_000
#: Rows buffered before they are written to a part file (524,288 rows of 29 bytes: 15 MB, about
#: three times that while a part is converted and written; the joined file does not depend on
#: it, see :func:`_write_regrouped`).
FLUSH_ROWS = 1 << 19
#: Rows per row group of the joined files (pyarrow's default).
ROW_GROUP_ROWS = 1 << 20
PARTS_DIR = ".states"
STATES_FILE = "states.parquet"
LINKS_FILE = "links.parquet"


def recorded_satellites(n: int, cap: int = MAX_SATELLITES) -> np.ndarray:
    """Indices of the satellites recorded out of ``n``: all if ``n <= cap``, else
    ``floor(j n / cap)`` for ``j = 0..cap-1`` (sorted, distinct)."""
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    return (np.arange(cap, dtype=np.int64) * n) // cap


def state_codes(sunlit: np.ndarray, fleet_step: Any, computing: np.ndarray) -> np.ndarray:
    """(N,) uint8 state codes of one step (see the module docstring for the order)."""
    fs = fleet_step
    code = np.where(np.asarray(sunlit) >= 0.5, SUNLIT, ECLIPSE).astype(np.uint8)
    computing = np.asarray(computing, dtype=bool)
    code[computing] = COMPUTING
    slowed = computing & ((fs.thermal_throttle < 1.0 - 1e-9) | (fs.power_throttle < 1.0 - 1e-9))
    code[slowed] = THROTTLED
    faulted = (
        (fs.reboots > 0)
        | (fs.detected_errors > 0)
        | (fs.silent_errors > 0)
        | ~np.asarray(fs.available, dtype=bool)
    )
    code[faulted] = FAULTED
    code[np.asarray(fs.brownout, dtype=bool)] = BROWNED_OUT
    return code


class StateRecorder:
    """Streams the state series of a run into ``out_dir`` (see the module docstring).

    ``steps_done``: the step the run starts from (a resumed run); ``checkpoint``: the run's
    :class:`~spacecompute.sim.checkpoint.Checkpointer` (rows are flushed whenever it is due, so
    that what a checkpoint covers is on disk).
    """

    def __init__(
        self,
        out_dir: str | Path,
        n: int,
        *,
        steps_done: int = 0,
        checkpoint: Any = None,
        cap: int = MAX_SATELLITES,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.n = int(n)
        self.subset = recorded_satellites(self.n, cap)
        self.checkpoint = checkpoint
        self._pos = np.full(self.n, -1, np.int64)
        self._pos[self.subset] = np.arange(self.subset.size)
        self._buf: list[dict[str, np.ndarray]] = []
        self._links: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._rows = 0
        self.parts = self.out_dir / PARTS_DIR
        if steps_done <= 0:
            shutil.rmtree(self.parts, ignore_errors=True)
        else:
            self._truncate(int(steps_done))

    def _truncate(self, steps_done: int) -> None:
        """Drop the rows of steps >= ``steps_done`` (recorded after the checkpoint)."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from ..table import atomic_write

        for part in sorted(self.parts.glob("*.parquet")):
            table = pq.read_table(part)
            keep = table.filter(pc.less(table["step"], steps_done))
            if keep.num_rows == 0:
                part.unlink()
            elif keep.num_rows < table.num_rows:
                atomic_write(part, lambda tmp, keep=keep: pq.write_table(keep, tmp))

    def record(
        self,
        step: int,
        sunlit: np.ndarray,
        fleet_step: Any,
        computing: np.ndarray,
        queue_ops: np.ndarray,
        job: np.ndarray | None = None,
    ) -> None:
        """Record step ``step`` (0-based index in the run) of every recorded satellite: the
        last call of a step (call :meth:`record_links` before it), as it flushes the rows when
        the step ends at a checkpoint."""
        s = self.subset
        fs = fleet_step
        m = s.size
        self._buf.append(
            {
                "step": np.full(m, step, np.int32),
                "satellite": s.astype(np.int32),
                "state": state_codes(np.asarray(sunlit)[s], _take(fs, s), np.asarray(computing)[s]),
                "soc": np.asarray(fs.state_of_charge)[s].astype(np.float32),
                "temperature_k": np.asarray(fs.temperature_k)[s].astype(np.float32),
                "queue_ops": np.asarray(queue_ops)[s].astype(np.float32),
                "job": (
                    np.full(m, -1, np.int64) if job is None else np.asarray(job)[s].astype(np.int64)
                ),
            }
        )
        self._rows += m
        if self._rows >= FLUSH_ROWS or (
            self.checkpoint is not None and self.checkpoint.due(step + 1)
        ):
            self.flush()

    def record_links(self, step: int, a: np.ndarray, b: np.ndarray) -> None:
        """Laser links ``a[i]``-``b[i]`` (satellite indices) carried traffic in step ``step``."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        keep = (self._pos[a] >= 0) & (self._pos[b] >= 0) & (a != b)
        if keep.any():
            lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
            pairs = np.unique(np.stack([lo, hi], axis=1), axis=0)
            self._links.append(
                (
                    np.full(len(pairs), step, np.int32),
                    pairs[:, 0].astype(np.int32),
                    pairs[:, 1].astype(np.int32),
                )
            )

    def flush(self) -> None:
        """Write the buffered rows to a part file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..table import atomic_write

        if not self._buf and not self._links:
            return
        self.parts.mkdir(parents=True, exist_ok=True)
        if self._buf:
            cols = {k: np.concatenate([b[k] for b in self._buf]) for k in self._buf[0]}
            table = pa.table(cols)
            first = int(cols["step"][0])
            path = self.parts / f"states-{first:09d}.parquet"
            atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        if self._links:
            step, a, b = (np.concatenate(x) for x in zip(*self._links, strict=True))
            table = pa.table({"step": step, "a": a, "b": b})
            path = self.parts / f"links-{int(step[0]):09d}.parquet"
            atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        self._buf, self._links, self._rows = [], [], 0

    def finish(self) -> Path:
        """Join the parts into ``states.parquet`` (and ``links.parquet`` when links were
        recorded) and remove them; returns the states file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..table import atomic_write

        self.flush()
        meta = {
            b"spacecompute.states": (
                f"satellites={self.n};recorded={self.subset.size};"
                + (
                    "subset=all"
                    if self.subset.size == self.n
                    else f"subset=floor(j*{self.n}/{self.subset.size})"
                )
                + ";states="
                + ",".join(STATE_NAMES)
            ).encode()
        }
        out = self.out_dir / STATES_FILE
        for prefix, path, schema in (
            ("states", out, _STATES_SCHEMA),
            ("links", self.out_dir / LINKS_FILE, _LINKS_SCHEMA),
        ):
            parts = sorted(self.parts.glob(f"{prefix}-*.parquet"))
            if prefix == "links" and not parts:
                path.unlink(missing_ok=True)
                continue
            schema = schema.with_metadata(meta)

            def write(tmp: Any, parts: list[Path] = parts, schema: pa.Schema = schema) -> None:
                with pq.ParquetWriter(tmp, schema) as writer:
                    _write_regrouped(writer, parts, schema)

            atomic_write(path, write)
        shutil.rmtree(self.parts, ignore_errors=True)
        return out


def _write_regrouped(writer: Any, parts: list[Path], schema: Any) -> None:
    """Write the rows of ``parts`` in row groups of :data:`ROW_GROUP_ROWS`, whatever the parts
    (checkpoints flush parts): a resumed run's file is byte for byte an uninterrupted one's.
    Memory: one row group of a part plus a carried remainder of under ROW_GROUP_ROWS rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    held: list[Any] = []
    rows = 0
    for part in parts:
        file = pq.ParquetFile(part)
        for rg in range(file.metadata.num_row_groups):
            held.append(file.read_row_group(rg).cast(schema))
            rows += held[-1].num_rows
            if rows < ROW_GROUP_ROWS:
                continue
            table = pa.concat_tables(held)
            whole = rows - rows % ROW_GROUP_ROWS
            writer.write_table(table.slice(0, whole), ROW_GROUP_ROWS)
            rest = table.slice(whole)
            # a copy, so that the rows written are freed
            held = [pa.concat_tables([rest, schema.empty_table()]).combine_chunks()]
            rows -= whole
            del table, rest
            pa.default_memory_pool().release_unused()
    if rows:
        writer.write_table(pa.concat_tables(held), ROW_GROUP_ROWS)


class _Rows:
    """The FleetStep fields :func:`state_codes` reads, taken at the recorded satellites."""

    def __init__(self, fs: Any, index: np.ndarray) -> None:
        for name in (
            "thermal_throttle",
            "power_throttle",
            "reboots",
            "detected_errors",
            "silent_errors",
            "available",
            "brownout",
        ):
            setattr(self, name, np.asarray(getattr(fs, name))[index])


def _take(fs: Any, index: np.ndarray) -> _Rows:
    return _Rows(fs, index)


def _schemas() -> tuple[Any, Any]:
    import pyarrow as pa

    states = pa.schema(
        [
            ("step", pa.int32()),
            ("satellite", pa.int32()),
            ("state", pa.uint8()),
            ("soc", pa.float32()),
            ("temperature_k", pa.float32()),
            ("queue_ops", pa.float32()),
            ("job", pa.int64()),
        ]
    )
    links = pa.schema([("step", pa.int32()), ("a", pa.int32()), ("b", pa.int32())])
    return states, links


_STATES_SCHEMA, _LINKS_SCHEMA = _schemas()

__all__ = [
    "MAX_SATELLITES",
    "STATE_NAMES",
    "StateRecorder",
    "recorded_satellites",
    "state_codes",
]

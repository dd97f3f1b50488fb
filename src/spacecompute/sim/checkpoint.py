"""Checkpoints of a run: the whole engine state every N steps, so a killed run can resume.

A checkpoint is one ``.npz`` file (numpy arrays only, no pickle) written atomically (temp file,
then rename) in ``<run dir>/.checkpoint/``. It carries a *fingerprint* of the run's
configuration; resuming with a different configuration is refused with a clear error rather
than mixing two runs. Resuming restores the state saved after step ``k`` and continues at step
``k + 1``; since every model is deterministic (seeded, counter-based faults; results do not
depend on the time chunking), the resumed run ends with the same results as an uninterrupted
one (tested).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..fingerprint import differences, plain
from ..fingerprint import fingerprint as shared_fingerprint
from ..table import atomic_write

CHECKPOINT_DIR = ".checkpoint"
CHECKPOINT_FILE = "state.npz"
_META = "__meta__"


def fingerprint(config: Any) -> str:
    """A short stable hash of an engine configuration (its ``repr``), or of a mapping (then
    :func:`spacecompute.fingerprint.fingerprint`, the one used for resolved scenarios)."""
    if isinstance(config, Mapping):
        return shared_fingerprint(config)[:16]
    return hashlib.sha256(repr(config).encode()).hexdigest()[:16]


class Checkpointer:
    """Saves and loads the state of one run in ``run_dir/.checkpoint/state.npz``.

    ``every_steps``: save after every this many steps (0 disables saving). ``fingerprint``:
    identifies the configuration (see :func:`fingerprint`, or
    :func:`spacecompute.fingerprint.fingerprint` of a resolved scenario). ``document``: the
    resolved inputs, saved with the state so that a refused resume names the keys that differ.
    """

    def __init__(
        self,
        run_dir: str | os.PathLike,
        every_steps: int,
        fingerprint: str,
        document: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(every_steps, bool) or not isinstance(every_steps, int) or every_steps < 0:
            raise InputError(
                f"checkpoint_every = {every_steps!r}",
                field="checkpoint_every",
                expected="a whole number of steps >= 0",
            )
        self.path = Path(run_dir) / CHECKPOINT_DIR / CHECKPOINT_FILE
        self.every_steps = int(every_steps)
        self.fingerprint = str(fingerprint)
        self.document = None if document is None else dict(document)

    def due(self, steps_done: int) -> bool:
        """Whether to save after ``steps_done`` steps."""
        return self.every_steps > 0 and steps_done > 0 and steps_done % self.every_steps == 0

    def save(self, steps_done: int, state: Mapping[str, Any]) -> None:
        """Write ``state`` (name -> array or number) as the state after ``steps_done`` steps."""
        arrays = {k: np.asarray(v) for k, v in state.items()}
        for k, a in arrays.items():
            if a.dtype == object:
                raise TypeError(f"checkpoint entry {k!r} is an object array")
        meta = {"fingerprint": self.fingerprint, "steps_done": int(steps_done)}
        if self.document is not None:
            meta["document"] = plain(self.document)
        arrays[_META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the checkpoint directory ({exc.strerror or exc})",
                file=str(self.path.parent),
                expected="a writable directory",
            ) from None
        atomic_write(self.path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))

    def load(self) -> tuple[int, dict[str, np.ndarray]] | None:
        """``(steps_done, state)`` of the saved checkpoint, or None when there is none.

        A checkpoint of another configuration, or an unreadable one, is an :class:`InputError`.
        """
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                state = {k: data[k] for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(
                f"{self.path}: unreadable checkpoint ({exc})",
                field="--resume",
                expected="a checkpoint written by spacecompute (delete it to start over)",
            ) from None
        try:
            meta = json.loads(bytes(state.pop(_META)).decode())
        except (KeyError, ValueError):
            raise InputError(f"{self.path}: checkpoint has no metadata", field="--resume") from None
        if meta.get("fingerprint") != self.fingerprint:
            old = meta.get("document")
            diffs = (
                differences(old, self.document)
                if isinstance(old, dict) and self.document is not None
                else []
            )
            raise InputError(
                f"{self.path}: the checkpoint is of a different scenario or configuration"
                + (f" ({'; '.join(diffs)})" if diffs else ""),
                field="--resume",
                expected="the same scenario and options as the interrupted run "
                "(or a new --out directory)",
            )
        return int(meta["steps_done"]), state

    def clear(self) -> None:
        """Remove the checkpoint (after the run's results are written)."""
        try:
            self.path.unlink()
            self.path.parent.rmdir()
        except OSError:
            pass


__all__ = ["CHECKPOINT_DIR", "Checkpointer", "fingerprint"]

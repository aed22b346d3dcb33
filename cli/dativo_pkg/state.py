"""Incremental state: the cursor of the last committed run, kept in a file.

The protocol that gives exactly-once delivery with any writer:

1. before asking the writer to commit, the runtime records the new state and
   the commit id in ``<state>.pending`` (written atomically);
2. the writer commits;
3. the runtime replaces ``<state>`` with the new state and removes the pending
   file (atomically, in that order).

A run that dies before 2 leaves the old state, so the next run replays the
range (and the writer's commit id, the same on a replay, keeps it from
duplicating). A run that dies between 2 and 3 leaves a pending file; the next
run asks the writer (``Writer.recover``) whether that commit is durable and
promotes or drops the pending state accordingly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from dativo_pkg._internal.files import fsync_dir
from dativo_pkg.errors import StateError

__all__ = ["CursorState", "PendingCommit", "StateStore"]


# How cursor values of each Arrow type family are written to JSON and read back.
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": int,
    "uint": int,
    "float": float,
    "double": float,
    "bool": bool,
    "string": str,
    "large_string": str,
    "date32": dt.date.fromisoformat,
    "date64": dt.date.fromisoformat,
    "timestamp": dt.datetime.fromisoformat,
    "decimal": Decimal,
}


def _family(arrow_type: str) -> str:
    for prefix in sorted(_DECODERS, key=len, reverse=True):
        if arrow_type.startswith(prefix):
            return prefix
    return "string"


@dataclass(frozen=True)
class CursorState:
    """The largest cursor value a committed run delivered."""

    cursor_field: str
    value: Any
    arrow_type: str

    @classmethod
    def from_scalar(cls, cursor_field: str, scalar: pa.Scalar) -> CursorState:
        return cls(cursor_field, scalar.as_py(), str(scalar.type))

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        return {"cursor_field": self.cursor_field, "value": value, "arrow_type": self.arrow_type}

    @classmethod
    def from_json(cls, data: Any) -> CursorState:
        try:
            arrow_type = str(data["arrow_type"])
            value = _DECODERS[_family(arrow_type)](data["value"])
            return cls(str(data["cursor_field"]), value, arrow_type)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a cursor state: {exc}") from exc


@dataclass(frozen=True)
class PendingCommit:
    commit_id: str
    state: CursorState


class StateStore:
    """The state file of one job, and its pending-commit companion."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending_path = path.with_name(path.name + ".pending")

    def load(self) -> CursorState | None:
        data = self._read(self.path)
        return None if data is None else self._decode(self.path, data)

    def pending(self) -> PendingCommit | None:
        data = self._read(self.pending_path)
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("commit_id"), str):
            raise StateError(
                f"pending state {self.pending_path} is damaged",
                hint="delete it to replay the last range from the committed state",
            )
        return PendingCommit(data["commit_id"], self._decode(self.pending_path, data["state"]))

    def write_pending(self, commit_id: str, state: CursorState) -> None:
        self._write(self.pending_path, {"commit_id": commit_id, "state": state.to_json()})

    def promote(self, pending: PendingCommit) -> None:
        """Make the pending state the committed one."""
        self._write(self.path, pending.state.to_json())
        self.discard_pending()

    def discard_pending(self) -> None:
        if self.pending_path.exists():
            self.pending_path.unlink()
            fsync_dir(self.pending_path.parent)

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            raise StateError(
                f"cannot read state file {path}: {exc}",
                hint="restore it from a backup, or delete it to read everything again",
            ) from exc

    def _decode(self, path: Path, data: Any) -> CursorState:
        try:
            return CursorState.from_json(data)
        except ValueError as exc:
            raise StateError(
                f"state file {path} is damaged: {exc}",
                hint="restore it from a backup, or delete it to read everything again",
            ) from exc

    def _write(self, path: Path, data: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(temp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        fsync_dir(path.parent)

"""What a client remembers about each static index it has used: the key, the highest version.

One JSON file, ``$DATIVO_STATE_DIR/indexes.json`` (else
``$XDG_STATE_HOME/dativo/indexes.json``, default ``~/.local/state``)::

    {"state_version": 1,
     "indexes": {"https://mirror.example/dativo": {
         "keyid": "sha256:...", "public_key": "-----BEGIN PUBLIC KEY-----...",
         "version": 7, "expires": "2025-01-08T12:00:00Z", "checked": "2025-01-02T09:00:00Z"}}}

Keyed by the index's base URL (see :func:`.mirror.index_base`). Updates take
an exclusive ``flock`` on ``indexes.json.lock`` for the whole
read-verify-write, and the file is replaced atomically, so two clients never
lose each other's highest version. A file that cannot be read is refused
rather than ignored: forgetting it would forget the rollback protection.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.errors import ConfigError

__all__ = ["STATE_DIR_ENV", "IndexRecord", "IndexStateStore", "state_path"]

STATE_DIR_ENV = "DATIVO_STATE_DIR"
STATE_VERSION = 1


@dataclass(frozen=True)
class IndexRecord:
    """The trusted key and the highest version seen of one index URL."""

    keyid: str
    public_key: str
    version: int
    expires: str
    checked: str


def state_path() -> Path:
    """``$DATIVO_STATE_DIR/indexes.json``, else under ``$XDG_STATE_HOME`` (``~/.local/state``)."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV]) / "indexes.json"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dativo" / "indexes.json"


class IndexStateStore:
    """The state file; :meth:`transaction` reads, lets the caller change, writes back."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else state_path()

    def read(self) -> dict[str, IndexRecord]:
        """Every record (no lock: for display; use :meth:`transaction` to change them)."""
        return self._load()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, IndexRecord]]:
        """The records, locked; what the block leaves in the dict is written back on success."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "a+b")  # noqa: SIM115
        except OSError as exc:
            raise self._error(f"cannot open the index state {self.path}: {exc}") from exc
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            records = self._load()
            before = dict(records)
            yield records
            if records != before:
                self._save(records)

    def _load(self) -> dict[str, IndexRecord]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(f"cannot read the index state {self.path}: {exc}") from exc
        try:
            data = json.loads(text)
            if data.get("state_version") != STATE_VERSION:
                raise ValueError(f"unknown state_version {data.get('state_version')!r}")
            return {url: IndexRecord(**fields) for url, fields in data["indexes"].items()}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._error(f"the index state {self.path} is damaged: {exc}") from exc

    def _save(self, records: dict[str, IndexRecord]) -> None:
        data = {
            "state_version": STATE_VERSION,
            "indexes": {url: asdict(record) for url, record in sorted(records.items())},
        }
        try:
            write_atomically(self.path, (json.dumps(data, indent=2) + "\n").encode(), 0o644)
        except OSError as exc:
            raise self._error(f"cannot write the index state {self.path}: {exc}") from exc

    def _error(self, message: str) -> ConfigError:
        return ConfigError(
            message,
            hint="it records the index keys and versions seen (rollback protection); fix or "
            f"move it away knowingly (set {STATE_DIR_ENV} to use another directory)",
        )

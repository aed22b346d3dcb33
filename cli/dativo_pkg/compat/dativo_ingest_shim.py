"""Stand-ins for dativo-ingest's plugin base classes, so its plugins import unchanged.

A dativo-ingest plugin starts with ``from dativo_ingest.plugins import
BaseReader`` (or ``BaseWriter``), and its docs show ``from
dativo_ingest.validator import IncrementalStateManager`` for type hints. When
dativo-ingest itself is not installed, :func:`dativo_pkg.compat.legacy.install_shim`
registers this module under both names, so those imports work. When it *is*
installed, plugins keep its real classes and this module is not registered.

The classes mirror dativo-ingest's constructors and defaults: a reader gets
``source_config``; a writer gets ``asset_definition``, ``target_config`` and
``output_base`` (a string); each keeps them as attributes of the same names.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

__all__ = ["BaseReader", "BaseWriter", "ConnectionTestResult", "IncrementalStateManager"]

log = logging.getLogger(__name__)


class ConnectionTestResult:
    """What ``check_connection`` returns: success or failure, and why."""

    def __init__(
        self,
        success: bool,
        message: str,
        error_code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.success = success
        self.message = message
        self.error_code = error_code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"success": self.success, "message": self.message}
        if self.error_code:
            result["error_code"] = self.error_code
        if self.details:
            result["details"] = self.details
        return result


class BaseReader(ABC):
    """Base of dativo-ingest readers: ``extract`` yields lists of record dicts."""

    __version__ = "1.0.0"

    def __init__(self, source_config: Any) -> None:
        self.source_config = source_config

    def check_connection(self) -> ConnectionTestResult:
        return ConnectionTestResult(True, "Connection test not implemented")

    @abstractmethod
    def extract(self, state_manager: Any = None) -> Iterator[list[dict[str, Any]]]:
        """Yield batches of records, each a list of dicts."""

    def get_total_records_estimate(self) -> int | None:
        return None


class BaseWriter(ABC):
    """Base of dativo-ingest writers: ``write_batch`` writes records under ``output_base``."""

    __version__ = "1.0.0"

    def __init__(self, asset_definition: Any, target_config: Any, output_base: str) -> None:
        self.asset_definition = asset_definition
        self.target_config = target_config
        self.output_base = output_base

    def check_connection(self) -> ConnectionTestResult:
        return ConnectionTestResult(True, "Connection test not implemented")

    @abstractmethod
    def write_batch(self, records: list[dict[str, Any]], file_counter: int) -> list[dict[str, Any]]:
        """Write ``records``; return metadata of the files written (path, size_bytes, ...)."""

    def commit_files(self, file_metadata: list[dict[str, Any]]) -> dict[str, Any]:
        return {"status": "success", "files_added": len(file_metadata)}


class IncrementalStateManager:
    """The ``state_manager`` a legacy reader's ``extract`` receives on incremental runs.

    ``get_state()`` (or ``read_state()``) returns ``{"cursor_field": NAME,
    "after": VALUE}``: the reader may skip rows whose cursor is not greater
    than ``after`` (``None`` on the first run). Updates are accepted and
    ignored: the runtime derives the next state from the rows it delivered
    and records it only after the writer committed, which is what keeps a
    crash from losing or duplicating rows. A reader that saved its own state
    would break that.
    """

    def __init__(self, cursor_field: str, after: Any) -> None:
        self.cursor_field = cursor_field
        self.after = after

    def get_state(self, *_: Any) -> dict[str, Any]:
        return {"cursor_field": self.cursor_field, "after": self.after}

    read_state = get_state

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        log.debug("ignoring a legacy reader's state update: the runtime keeps the state")

    write_state = update_state

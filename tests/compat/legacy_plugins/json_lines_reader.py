# ruff: noqa: UP006, UP015, UP035, UP045 - dativo-ingest style, kept as written
"""A dativo-ingest custom reader, written exactly as dativo-ingest's docs show.

Configuration example:
    source:
      custom_reader: "legacy_plugins/json_lines_reader.py:JSONLinesReader"
      files:
        - path: "/data/orders.jsonl"
      engine:
        options:
          batch_size: 1000
"""

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from dativo_ingest.plugins import BaseReader, ConnectionTestResult
from dativo_ingest.validator import IncrementalStateManager


class JSONLinesReader(BaseReader):
    """Read records from JSON-lines files."""

    __version__ = "1.0.0"

    #: How often extract() ran, so tests can tell nothing is read twice.
    extract_calls = 0

    def __init__(self, source_config):
        super().__init__(source_config)
        self.paths = [Path(f["path"]) for f in (source_config.files or [])]
        self.batch_size = source_config.engine.get("options", {}).get("batch_size", 1000)

    def check_connection(self) -> ConnectionTestResult:
        missing = [str(p) for p in self.paths if not p.exists()]
        if missing:
            return ConnectionTestResult(
                success=False,
                message=f"File not found: {', '.join(missing)}",
                error_code="RESOURCE_NOT_FOUND",
            )
        return ConnectionTestResult(success=True, message="Files readable")

    def extract(
        self, state_manager: Optional[IncrementalStateManager] = None
    ) -> Iterator[List[Dict[str, Any]]]:
        type(self).extract_calls += 1
        cursor_field, after = None, None
        if state_manager:
            state = state_manager.get_state()
            cursor_field, after = state.get("cursor_field"), state.get("after")

        for path in self.paths:
            batch = []
            with open(path, "r") as f:
                for line in f:
                    record = json.loads(line)
                    if after is not None and record.get(cursor_field) <= after:
                        continue
                    batch.append(record)
                    if len(batch) >= self.batch_size:
                        yield batch
                        batch = []
            if batch:
                yield batch

    def get_total_records_estimate(self) -> Optional[int]:
        try:
            return sum(1 for p in self.paths for _ in open(p))
        except Exception:
            return None

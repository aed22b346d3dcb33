# ruff: noqa: UP006, UP028, UP035, UP045 - dativo-ingest style, kept as written
"""dativo-ingest custom readers whose batches come from the job, for the tests.

source:
  custom_reader: "legacy_plugins/scripted_readers.py:ScriptedReader"
  engine:
    options:
      batches: [[{"id": 1}], [], [{"id": 2, "name": null}]]
"""

from typing import Any, Dict, Iterator, List, Optional

from dativo_ingest.plugins import BaseReader


class ScriptedReader(BaseReader):
    """Yield the batches listed in engine.options.batches, and remember the state manager."""

    def __init__(self, source_config):
        super().__init__(source_config)
        self.batches = self.source_config.engine.get("options", {}).get("batches", [])
        self.seen_state_manager = "not called"

    def extract(self, state_manager=None) -> Iterator[List[Dict[str, Any]]]:
        self.seen_state_manager = state_manager
        for batch in self.batches:
            yield batch


class FlakyReader(ScriptedReader):
    """Fail after the first batch, as an API returning errors does."""

    def extract(self, state_manager=None) -> Iterator[List[Dict[str, Any]]]:
        yield self.batches[0]
        raise RuntimeError("upstream API returned 502")


class DictYieldingReader(BaseReader):
    """A mistake: yields one record at a time instead of lists of records."""

    def extract(self, state_manager=None):
        yield {"id": 1}


class SourceConfigEcho(BaseReader):
    """Yield one record describing what source_config looked like."""

    def extract(self, state_manager=None) -> Iterator[List[Dict[str, Any]]]:
        config = self.source_config
        yield [
            {
                "endpoint": config.connection.get("endpoint"),
                "api_key": config.credentials.get("api_key"),
                "page_size": config.engine.get("options", {}).get("page_size", 100),
                "objects": ",".join(config.objects or []),
                "tables": len(config.tables or []),
                "dsn": config.dsn,
            }
        ]

    def get_total_records_estimate(self) -> Optional[int]:
        return 1

# ruff: noqa: UP006, UP024, UP035 - dativo-ingest style, kept as written
"""A dativo-ingest custom writer, written exactly as dativo-ingest's docs show.

Configuration example:
    target:
      custom_writer: "legacy_plugins/json_file_writer.py:JSONFileWriter"
      output_base: "/data/out"
"""

import json
import os
from pathlib import Path
from typing import Any, Dict, List

from dativo_ingest.plugins import BaseWriter


class JSONFileWriter(BaseWriter):
    """Write each batch to a JSON-lines file under output_base."""

    __version__ = "1.0.0"

    def __init__(self, asset_definition, target_config, output_base):
        super().__init__(asset_definition, target_config, output_base)
        engine_opts = target_config.engine.get("options", {}) if target_config.engine else {}
        self.indent = engine_opts.get("indent", None)

    def write_batch(self, records: List[Dict[str, Any]], file_counter: int) -> List[Dict[str, Any]]:
        if not records:
            return []

        local_dir = Path(self.output_base)
        local_dir.mkdir(parents=True, exist_ok=True)
        local_path = local_dir / f"part-{file_counter:05d}.jsonl"
        with open(local_path, "w") as f:
            for record in records:
                f.write(json.dumps(record, default=str) + "\n")

        return [
            {
                "path": str(local_path),
                "size_bytes": os.path.getsize(local_path),
                "record_count": len(records),
            }
        ]

    def commit_files(self, file_metadata: List[Dict[str, Any]]) -> Dict[str, Any]:
        manifest = {
            "asset_name": self.asset_definition.name,
            "schema": self.asset_definition.schema,
            "files": [Path(fm["path"]).name for fm in file_metadata],
            "total_records": sum(fm.get("record_count", 0) for fm in file_metadata),
        }
        with open(Path(self.output_base) / "_manifest.json", "w") as f:
            json.dump(manifest, f, indent=self.indent)
        return {"status": "success", "files_added": len(file_metadata)}


class FailingWriter(JSONFileWriter):
    """Fail on the second batch, as a full disk would."""

    def write_batch(self, records: List[Dict[str, Any]], file_counter: int) -> List[Dict[str, Any]]:
        if file_counter == 1:
            raise IOError("No space left on device")
        return super().write_batch(records, file_counter)


class FailingCommitWriter(JSONFileWriter):
    """Fail while committing, as an unreachable catalog would."""

    def commit_files(self, file_metadata: List[Dict[str, Any]]) -> Dict[str, Any]:
        raise ConnectionError("catalog unreachable")

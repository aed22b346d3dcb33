"""The manifest of the built-in plugins, generated from their classes.

``cli/dativo_pkg/dativo-plugin.json`` is this module's output, committed so
that discovery reads it like any plugin's manifest; a test keeps the two
equal. Regenerate with ``python -m dativo_pkg.plugins._manifest``.
"""

from __future__ import annotations

import json
from pathlib import Path

from dativo_pkg.manifest import MANIFEST_FILENAME, Manifest, manifest_for
from dativo_pkg.plugins.csv_reader import CsvReader
from dativo_pkg.plugins.csv_writer import CsvWriter
from dativo_pkg.plugins.parquet_reader import ParquetReader
from dativo_pkg.plugins.parquet_writer import ParquetWriter
from dativo_pkg.plugins.postgres_reader import PostgresReader
from dativo_pkg.plugins.postgres_writer import PostgresWriter
from dativo_pkg.plugins.rest_reader import RestReader

MANIFEST_PATH = Path(__file__).parent.parent / MANIFEST_FILENAME


def builtin_manifest() -> Manifest:
    return manifest_for(
        readers={
            "csv": CsvReader,
            "parquet": ParquetReader,
            "postgres": PostgresReader,
            "rest": RestReader,
        },
        writers={"csv": CsvWriter, "parquet": ParquetWriter, "postgres": PostgresWriter},
    )


def render() -> str:
    return json.dumps(builtin_manifest().model_dump(mode="json"), indent=2) + "\n"


if __name__ == "__main__":
    MANIFEST_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {MANIFEST_PATH}")

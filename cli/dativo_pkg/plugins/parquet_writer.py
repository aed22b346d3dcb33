"""The built-in Parquet writer: one file, a directory, or hive-partitioned directories.

Each incoming batch goes straight to ``pq.ParquetWriter.write_batch`` with
``row_group_size=row_group_rows``: nothing is buffered or concatenated in
Python, so a row group holds at most one incoming batch (or partition slice
of one). Staging, commit-id part names, overwrite and recovery are shared
with the CSV writer (see ``_filewriter``).

Every file records the commit that wrote it in its key-value metadata
(``dativo.commit_id``), which is how ``recover`` answers for a single-file
target.

With ``partition_by``, each batch is split by its partition values with
vectorised Arrow kernels (dictionary-encode the keys, a stable sort, then
slices between value changes), and each slice goes to the part file of its
``col=value/`` directory, without the partition columns (they live in the
path, as hive readers expect). Null and empty values go to
``col=__HIVE_DEFAULT_PARTITION__``; values are percent-encoded. At most
``max_open_files`` partition files are open at once: when a new partition
arrives beyond that, the least recently written one is closed, and later
rows of it start a new part file. Data sorted or clustered by the partition
columns therefore gives one file per partition.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import Field, ValidationInfo, field_validator

from dativo_pkg.errors import ConfigError
from dativo_pkg.plugins._filewriter import FileTargetConfig, FileWriter, PartSink
from dativo_pkg.sdk import WriteContext

__all__ = [
    "COMMIT_ID_KEY",
    "ParquetWriter",
    "ParquetWriterConfig",
    "split_by_partition",
]

#: Parquet key-value metadata key holding the commit id that wrote the file.
COMMIT_ID_KEY = "dativo.commit_id"

#: The directory name hive uses for null partition values.
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

#: Column types that make sensible directory names.
_PARTITION_TYPES = (
    pa.types.is_integer,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_boolean,
    pa.types.is_date,
    pa.types.is_timestamp,
    pa.types.is_decimal,
)


class ParquetWriterConfig(FileTargetConfig):
    """Config of the ``parquet`` writer."""

    suffix: ClassVar[str] = ".parquet"

    partition_by: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Directories only: columns to partition by, written as hive "
        "directories `col=value/` (the columns move from the files into the path).",
    )
    compression: Literal["snappy", "zstd", "gzip", "brotli", "lz4", "none"] = Field(
        default="snappy", description="Parquet compression codec."
    )
    row_group_rows: int = Field(
        default=1_000_000,
        ge=1,
        description="Most rows per row group; a row group never spans incoming batches.",
    )
    max_open_files: int = Field(
        default=100,
        ge=1,
        description="With partition_by: most partition files open at once; beyond it "
        "the least recently written one is closed (its later rows start a new file).",
    )

    @field_validator("partition_by")
    @classmethod
    def _valid_partitions(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        if info.data.get("path", "").endswith(cls.suffix):
            raise ValueError("partitions need a directory path, not a .parquet file")
        if len(set(value)) != len(value):
            raise ValueError("a column is listed twice")
        if any(name.startswith((".", "_")) or "/" in name or "=" in name for name in value):
            # Readers skip directories starting with '.' or '_' (staging areas).
            raise ValueError(
                "columns whose names start with '.' or '_' or contain '/' or '=' "
                "cannot name visible hive directories"
            )
        return value


class _ParquetPart:
    """One Parquet part file, tagged with the commit id."""

    def __init__(
        self, path: Path, schema: pa.Schema, commit_id: str, config: ParquetWriterConfig
    ) -> None:
        self._writer = pq.ParquetWriter(str(path), schema, compression=config.compression)
        self._writer.add_key_value_metadata({COMMIT_ID_KEY: commit_id})
        self._row_group_rows = config.row_group_rows

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch, row_group_size=self._row_group_rows)

    def close(self) -> None:
        self._writer.close()


class ParquetWriter(FileWriter[ParquetWriterConfig]):
    """Writes Parquet: one file, or part files in a directory, optionally hive-partitioned."""

    config_model = ParquetWriterConfig
    capabilities = ("atomic-commit", "incremental", "idempotent-replay", "hive-partitions")

    def _open_part(self, path: Path, schema: pa.Schema, context: WriteContext) -> PartSink:
        return _ParquetPart(path, schema, context.commit_id, self.config)

    def _part_schema(self, schema: pa.Schema) -> pa.Schema:
        keys = self.config.partition_by or []
        if set(schema.names) <= set(keys):
            raise ConfigError(
                "invalid config for parquet writer: partition_by lists every column, "
                "leaving nothing to write in the files",
                hint="partition by fewer columns",
            )
        for name in keys:
            index = schema.get_field_index(name)
            if index < 0:
                raise ConfigError(
                    f"invalid config for parquet writer: partition_by names a column the "
                    f"data does not have: {name}",
                    hint=f"the columns are: {', '.join(schema.names)}",
                )
            if not any(is_type(schema.field(index).type) for is_type in _PARTITION_TYPES):
                raise ConfigError(
                    f"invalid config for parquet writer: partition_by column {name} has "
                    f"type {schema.field(index).type}, which cannot name a directory",
                    hint="partition by integer, string, bool, date, timestamp or decimal columns",
                )
        return pa.schema([f for f in schema if f.name not in keys], metadata=schema.metadata)

    def _route(self, batch: pa.RecordBatch) -> Iterator[tuple[str, pa.RecordBatch]]:
        keys = self.config.partition_by
        if not keys:
            yield "", batch
            return
        for part in split_by_partition(batch, keys):
            directory = "/".join(_hive_segment(name, part.column(name)[0]) for name in keys)
            yield directory, part.drop_columns(keys)

    def _max_open_parts(self) -> int:
        return self.config.max_open_files

    def _committed_file(self, commit_id: str) -> bool:
        try:
            metadata = pq.read_metadata(self.target).metadata or {}
        except (OSError, pa.ArrowException):
            return False  # unreadable: certainly not a finished commit of ours
        return bool(metadata.get(COMMIT_ID_KEY.encode()) == commit_id.encode())


def split_by_partition(batch: pa.RecordBatch, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Yield one slice of ``batch`` per distinct combination of values in ``columns``.

    Rows keep their order within a slice. Everything runs in Arrow kernels; the
    only Python loop is over the slices.
    """
    if batch.num_rows == 0:
        return
    codes = _partition_codes(batch, columns)
    low, high = pc.min_max(codes).values()
    if low == high:  # the common case for sorted or clustered input
        yield batch
        return
    order = pc.sort_indices(codes)  # stable: keeps row order within a partition
    codes = codes.take(order)
    batch = batch.take(order)
    changes = pc.not_equal(codes.slice(1), codes.slice(0, len(codes) - 1))
    starts = pc.add(pc.indices_nonzero(changes), 1).to_pylist()
    for start, end in pairwise([0, *starts, batch.num_rows]):
        yield batch.slice(start, end - start)


def _partition_codes(batch: pa.RecordBatch, columns: list[str]) -> pa.Array:
    """An int64 per row, equal for rows with equal partition values (nulls included)."""
    codes, _ = _value_codes(batch.column(columns[0]))
    for name in columns[1:]:
        indices, distinct = _value_codes(batch.column(name))
        combined = pc.add(pc.multiply(codes, distinct), indices)
        # Re-encode so codes stay below the row count and never overflow.
        codes, _ = _value_codes(combined)
    return codes


def _value_codes(values: pa.Array) -> tuple[pa.Array, int]:
    """Dictionary indices (int64) of ``values``, with null as a value, and how many distinct."""
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    return encoded.indices.cast(pa.int64()), len(encoded.dictionary)


def _hive_segment(name: str, value: pa.Scalar) -> str:
    """``name=value`` for a directory name, percent-encoded; null and "" become HIVE_NULL."""
    text = value.cast(pa.string()).as_py() if value.is_valid else None
    return f"{name}={quote(text, safe='') if text else HIVE_NULL}"

"""The built-in Parquet reader, on real files and directories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.plugins.parquet_reader import ParquetReader

TABLE = pa.table(
    {
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "price": pa.array([1.5, None, -2.25, 0.0], pa.float64()),
        "name": pa.array(["a", None, "c", "d"], pa.string()),
        "active": pa.array([True, False, None, True], pa.bool_()),
        "day": pa.array([dt.date(2024, 1, 1), None, dt.date(2024, 2, 29), None], pa.date32()),
        "at": pa.array([dt.datetime(2024, 1, 1, 12), None, None, None], pa.timestamp("us")),
        "amount": pa.array([Decimal("1.10"), None, Decimal("-3.00"), None], pa.decimal128(15, 2)),
    }
)


def read_all(config: dict[str, Any]) -> pa.Table:
    reader = ParquetReader.from_config(config)
    schema = reader.schema()
    batches = list(reader.read(None))
    reader.close()
    assert all(batch.schema.equals(schema, check_metadata=True) for batch in batches)
    return pa.Table.from_batches(batches, schema=schema)


def test_file_round_trip_keeps_types_and_nulls(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(TABLE.replace_schema_metadata({"owner": "someone"}), path)
    assert read_all({"path": str(path)}) == TABLE


def test_columns_and_batch_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(TABLE, path)
    reader = ParquetReader.from_config(
        {"path": str(path), "columns": ["name", "id"], "batch_rows": 3}
    )
    assert reader.schema().names == ["name", "id"]
    batches = list(reader.read())
    assert [b.num_rows for b in batches] == [3, 1]
    assert pa.Table.from_batches(batches).to_pydict() == {
        "name": ["a", None, "c", "d"],
        "id": [1, 2, 3, 4],
    }


def test_directory_with_hive_partitions(tmp_path: Path) -> None:
    root = tmp_path / "data"
    pq.write_to_dataset(
        TABLE.append_column("region", pa.array(["eu", "us", "eu", "us"])),
        root,
        partition_cols=["region"],
    )
    # What readers must ignore: a dativo staging area and a Spark-style marker.
    (root / ".dativo-staging-x").mkdir()
    (root / ".dativo-staging-x" / "part-x-00000.parquet").write_bytes(b"half written")
    (root / "_SUCCESS").write_bytes(b"")
    table = read_all({"path": str(root), "columns": ["id", "region"]}).sort_by("id")
    assert table.to_pydict() == {"id": [1, 2, 3, 4], "region": ["eu", "us", "eu", "us"]}


def test_directory_reads_all_files(tmp_path: Path) -> None:
    for n in range(3):
        pq.write_table(TABLE, tmp_path / f"part-{n}.parquet")
    table = read_all({"path": str(tmp_path)})
    assert table.num_rows == 3 * TABLE.num_rows
    assert table.schema == TABLE.schema


@pytest.mark.parametrize("layout", ["missing", "empty-dir", "only-hidden"])
def test_nothing_to_read_is_unreachable(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "data"
    if layout != "missing":
        path.mkdir()
    if layout == "only-hidden":
        (path / ".dativo-staging-1").mkdir()
        pq.write_table(TABLE, path / ".dativo-staging-1" / "part.parquet")
    reader = ParquetReader.from_config({"path": str(path)})
    for call in (reader.schema, reader.read, reader.check):
        with pytest.raises(SourceUnreachable, match="data"):
            call()


@pytest.mark.parametrize("where", ["file", "in-directory"])
@pytest.mark.parametrize("damage", ["not-parquet", "truncated"])
def test_corrupt_file_is_a_data_error_naming_it(tmp_path: Path, where: str, damage: str) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(TABLE, good)
    content = b"this is not parquet" if damage == "not-parquet" else good.read_bytes()[:-20]
    root = tmp_path / "dir"
    root.mkdir()
    bad = root / "zz-bad.parquet"
    bad.write_bytes(content)
    if where == "in-directory":
        pq.write_table(TABLE, root / "aa-good.parquet")
    path = bad if where == "file" else root
    with pytest.raises(DataError, match=r"zz-bad\.parquet"):
        read_all({"path": str(path)})


def test_unknown_column_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(TABLE, path)
    with pytest.raises(ConfigError, match=r"columns .*nope"):
        ParquetReader.from_config({"path": str(path), "columns": ["id", "nope"]}).schema()


def test_close_stops_an_unfinished_read(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(TABLE, path)
    reader = ParquetReader.from_config({"path": str(path), "batch_rows": 1})
    batches = reader.read()
    next(iter(batches))
    reader.close()
    assert list(batches) == []


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "path"),
        ({"path": "x", "batch_rows": 0}, "batch_rows"),
        ({"path": "x", "columns": []}, "columns"),
        ({"path": "x", "filter": "a > 1"}, "filter"),
    ],
)
def test_bad_config_names_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=f"{field}:"):
        ParquetReader.from_config(config)

"""The built-in CSV reader, on real files: types, options, bad rows and bad configs."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.plugins.csv_reader import CsvReader, parse_arrow_type

TYPED_CSV = """\
id,price,name,active,day,at,amount
1,1.5,alpha,true,2024-01-31,2024-01-31 10:00:00,12.34
2,,,false,,,
3,-2.25,"gamma, quoted",,2024-02-29,2024-02-29 23:59:59.123456,-0.01
"""

TYPES = {
    "id": "int64",
    "price": "float64",
    "name": "string",
    "active": "bool",
    "day": "date32",
    "at": "timestamp[us]",
    "amount": "decimal128(15,2)",
}


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_all(reader: CsvReader) -> pa.Table:
    schema = reader.schema()
    batches = list(reader.read(None))
    assert all(batch.schema.equals(schema, check_metadata=True) for batch in batches)
    return pa.Table.from_batches(batches, schema=schema)


def test_reads_every_type_with_nulls(tmp_path: Path) -> None:
    path = write(tmp_path, TYPED_CSV)
    reader = CsvReader.from_config({"path": str(path), "column_types": TYPES, "null_values": [""]})
    table = read_all(reader)
    assert table.schema == pa.schema({name: parse_arrow_type(t) for name, t in TYPES.items()})
    assert table.to_pylist() == [
        {
            "id": 1,
            "price": 1.5,
            "name": "alpha",
            "active": True,
            "day": dt.date(2024, 1, 31),
            "at": dt.datetime(2024, 1, 31, 10),
            "amount": Decimal("12.34"),
        },
        {k: (2 if k == "id" else False if k == "active" else None) for k in TYPES},
        {
            "id": 3,
            "price": -2.25,
            "name": "gamma, quoted",
            "active": None,
            "day": dt.date(2024, 2, 29),
            "at": dt.datetime(2024, 2, 29, 23, 59, 59, 123456),
            "amount": Decimal("-0.01"),
        },
    ]


def test_infers_types_without_column_types(tmp_path: Path) -> None:
    path = write(tmp_path, TYPED_CSV)
    schema = CsvReader.from_config({"path": str(path)}).schema()
    assert schema.field("id").type == pa.int64()
    assert schema.field("price").type == pa.float64()
    assert schema.field("active").type == pa.bool_()
    assert schema.field("day").type == pa.date32()
    assert pa.types.is_timestamp(schema.field("at").type)


@pytest.mark.parametrize(
    ("text", "config", "expected"),
    [
        ("a,b\n1,2\n", {}, {"a": [1], "b": [2]}),
        ("1,2\n3,4\n", {"header": False}, {"f0": [1, 3], "f1": [2, 4]}),
        ("1,2\n", {"header": False, "column_names": ["x", "y"]}, {"x": [1], "y": [2]}),
        ("a,b\n1,2\n", {"column_names": ["x", "y"]}, {"x": [1], "y": [2]}),
        ("a;b\n1;2\n", {"delimiter": ";"}, {"a": [1], "b": [2]}),
        ("a,b\nNA,x\n-,y\n", {"null_values": ["-", "NA"]}, {"a": [None, None], "b": ["x", "y"]}),
        ("a,b\n1,\n", {}, {"a": [1], "b": [None]}),
        ('a,b\n1,"two\nlines"\n', {"newlines_in_values": True}, {"a": [1], "b": ["two\nlines"]}),
    ],
    ids=[
        "header",
        "no-header",
        "no-header-names",
        "rename-header",
        "delimiter",
        "null-values",
        "empty-is-null",
        "newlines",
    ],
)
def test_options(
    tmp_path: Path, text: str, config: dict[str, Any], expected: dict[str, list[Any]]
) -> None:
    path = write(tmp_path, text)
    table = read_all(CsvReader.from_config({"path": str(path), **config}))
    assert table.to_pydict() == expected


def test_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "name\nZürich\n", encoding="latin-1")
    table = read_all(CsvReader.from_config({"path": str(path), "encoding": "latin-1"}))
    assert table.column("name").to_pylist() == ["Zürich"]


def test_streams_in_blocks(tmp_path: Path) -> None:
    rows = 200_000  # ~2.4 MB: several 1 MiB blocks
    path = write(tmp_path, "n,text\n" + "".join(f"{i},row{i}\n" for i in range(rows)))
    reader = CsvReader.from_config({"path": str(path), "block_size_mb": 1})
    batches = list(reader.read())
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == rows
    assert batches[-1].column("n")[-1].as_py() == rows - 1


BAD_ROWS = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n"


def test_malformed_row_fails_naming_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, BAD_ROWS)
    reader = CsvReader.from_config({"path": str(path)})
    with pytest.raises(DataError) as err:
        read_all(reader)
    assert "row 3" in err.value.message  # rows count from 1, the header is row 1
    assert "Expected 3 columns, got 2" in err.value.message
    assert str(path) in err.value.message
    assert err.value.hint is not None and "on_error" in err.value.hint


def test_malformed_rows_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, BAD_ROWS)
    reader = CsvReader.from_config({"path": str(path), "on_error": "skip"})
    with caplog.at_level(logging.WARNING, logger="dativo_pkg.plugins.csv_reader"):
        table = read_all(reader)
    assert table.column("a").to_pylist() == [1, 6, 13]
    assert reader.skipped_rows == 2
    assert "skipped 2 malformed rows" in caplog.text
    # A second read counts afresh.
    list(reader.read())
    assert reader.skipped_rows == 2


def test_row_number_found_deep_in_a_threaded_read(tmp_path: Path) -> None:
    # Far past the first block, where the threaded parser knows no row numbers.
    lines = [f"{i},{i}" for i in range(150_000)]
    lines[120_000] = "bad"
    path = write(tmp_path, "a,b\n" + "\n".join(lines) + "\n")
    reader = CsvReader.from_config({"path": str(path), "block_size_mb": 1})
    with pytest.raises(DataError, match=r"row 120002: Expected 2 columns, got 1"):
        list(reader.read())


@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_conversion_error_always_fails_naming_row_and_column(tmp_path: Path, on_error: str) -> None:
    path = write(tmp_path, "a,b\n1,x\n2,y\nabc,z\n")
    reader = CsvReader.from_config(
        {"path": str(path), "column_types": {"a": "int64"}, "on_error": on_error}
    )
    with pytest.raises(DataError) as err:
        read_all(reader)
    assert "row 4, column 'a'" in err.value.message
    assert "int64" in err.value.message


def test_late_type_change_points_to_column_types(tmp_path: Path) -> None:
    rows = 700_000  # the first 1 MiB block is all numbers
    path = write(tmp_path, "a\n" + "1\n" * rows + "x\n")
    reader = CsvReader.from_config({"path": str(path), "block_size_mb": 1})
    with pytest.raises(DataError) as err:
        list(reader.read())
    assert f"row {rows + 2}, column 'a'" in err.value.message
    assert err.value.hint is not None and "column_types" in err.value.hint
    fixed = CsvReader.from_config(
        {"path": str(path), "block_size_mb": 1, "column_types": {"a": "string"}}
    )
    assert sum(batch.num_rows for batch in fixed.read()) == rows + 1


def test_missing_file_is_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    reader = CsvReader.from_config({"path": str(path)})
    for call in (reader.schema, reader.read, reader.check):
        with pytest.raises(SourceUnreachable, match=r"nope\.csv"):
            call()


def test_empty_file_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(DataError, match="Empty CSV file"):
        CsvReader.from_config({"path": str(path)}).schema()


def test_column_types_for_unknown_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    reader = CsvReader.from_config({"path": str(path), "column_types": {"zz": "int64"}})
    with pytest.raises(ConfigError, match=r"column_types.*zz"):
        reader.schema()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "path"),
        ({"path": "x.csv", "delimiter": ";;"}, "delimiter"),
        ({"path": "x.csv", "block_size_mb": 0}, "block_size_mb"),
        ({"path": "x.csv", "on_error": "ignore"}, "on_error"),
        ({"path": "x.csv", "encoding": "secret-codec"}, "encoding"),
        ({"path": "x.csv", "column_types": {"a": "secret-type"}}, "column_types.a"),
        ({"path": "x.csv", "column_names": []}, "column_names"),
        ({"path": "x.csv", "secret_key": "v"}, "secret_key"),
    ],
)
def test_bad_config_names_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        CsvReader.from_config(config)
    assert f"{field}:" in err.value.message
    assert "secret-" not in err.value.message  # values are never echoed


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("int64", pa.int64()),
        ("string", pa.string()),
        ("bool", pa.bool_()),
        ("date32", pa.date32()),
        ("timestamp[ms]", pa.timestamp("ms")),
        ("timestamp[us, tz=UTC]", pa.timestamp("us", "UTC")),
        ("decimal128(15,2)", pa.decimal128(15, 2)),
        ("decimal(38, 9)", pa.decimal128(38, 9)),
        ("decimal256(50,3)", pa.decimal256(50, 3)),
    ],
)
def test_parse_arrow_type(name: str, expected: pa.DataType) -> None:
    assert parse_arrow_type(name) == expected


def test_reader_declares_runtime_filtering() -> None:
    assert CsvReader.filters_incremental is False
    assert (CsvReader.__doc__ or "").splitlines()[0]

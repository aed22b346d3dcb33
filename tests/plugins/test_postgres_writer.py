"""The postgres writer against a real PostgreSQL server (the ``pg_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.plugins.postgres_reader import PostgresReader
from dativo_pkg.plugins.postgres_writer import PostgresWriter
from dativo_pkg.sdk import WriteContext

pytestmark = pytest.mark.postgres

UTC = dt.UTC
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def query(url: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def table_exists(url: str, name: str) -> bool:
    return bool(query(url, f"SELECT to_regclass('{name}') IS NOT NULL")[0][0])


def numbers(values: list[int | None]) -> pa.RecordBatch:
    return pa.record_batch({"n": pa.array(values, pa.int64())})


def write(url: str, batches: list[pa.RecordBatch], commit_id: str = "c1", **config: Any) -> Any:
    writer = PostgresWriter.from_config({"url": url, "table": "t", **config})
    writer.open(batches[0].schema, WriteContext("job", commit_id))
    for batch in batches:
        writer.write(batch)
    result = writer.commit()
    writer.close()
    return result


# (column, values: a value then NULL, PostgreSQL column type, value read back by psycopg)
ROUND_TRIP: list[tuple[str, pa.Array, str, object]] = [
    ("b", pa.array([True, None]), "boolean", True),
    ("i8", pa.array([-128, None], pa.int8()), "smallint", -128),
    ("u8", pa.array([255, None], pa.uint8()), "smallint", 255),
    ("i16", pa.array([-32768, None], pa.int16()), "smallint", -32768),
    ("u16", pa.array([65535, None], pa.uint16()), "integer", 65535),
    ("i32", pa.array([-(2**31), None], pa.int32()), "integer", -(2**31)),
    ("u32", pa.array([2**32 - 1, None], pa.uint32()), "bigint", 2**32 - 1),
    ("i64", pa.array([-(2**63), None], pa.int64()), "bigint", -(2**63)),
    ("u64", pa.array([2**64 - 1, None], pa.uint64()), "numeric(20,0)", Decimal(2**64 - 1)),
    ("f16", pa.array([1.5, None], pa.float16()), "real", 1.5),
    ("f32", pa.array([1.1, None], pa.float32()), "real", 1.1),  # psycopg reads real as text
    ("f64", pa.array([0.1, None], pa.float64()), "double precision", 0.1),
    ("s", pa.array(['h\u00e9llo, "q"\n\\.', None]), "text", 'h\u00e9llo, "q"\n\\.'),
    ("empty", pa.array(["", None]), "text", ""),
    ("dot", pa.array(["\\.", None], pa.large_string()), "text", "\\."),
    ("view", pa.array(["v", None], pa.string_view()), "text", "v"),
    ("cat", pa.array(["x", None]).dictionary_encode(), "text", "x"),
    ("bin", pa.array([b"\x00\xff,\n", None]), "bytea", b"\x00\xff,\n"),
    ("empty_bin", pa.array([b"", None], pa.large_binary()), "bytea", b""),
    ("fixed", pa.array([b"abc", None], pa.binary(3)), "bytea", b"abc"),
    ("bin_view", pa.array([b"\x01", None], pa.binary_view()), "bytea", b"\x01"),
    ("d32", pa.array([dt.date(1, 1, 1), None], pa.date32()), "date", dt.date(1, 1, 1)),
    ("d64", pa.array([dt.date(9999, 12, 31), None], pa.date64()), "date", dt.date(9999, 12, 31)),
    (
        "t32",
        pa.array([dt.time(23, 59, 59), None], pa.time32("s")),
        "time without time zone",
        dt.time(23, 59, 59),
    ),
    (
        "t64",
        pa.array([dt.time(1, 2, 3, 4), None], pa.time64("us")),
        "time without time zone",
        dt.time(1, 2, 3, 4),
    ),
    (
        "ts",
        pa.array([dt.datetime(2024, 2, 29, 1, 2, 3, 456789), None], pa.timestamp("us")),
        "timestamp without time zone",
        dt.datetime(2024, 2, 29, 1, 2, 3, 456789),
    ),
    (
        "ts_ms",
        pa.array([dt.datetime(2024, 1, 1, 0, 0, 0, 5000), None], pa.timestamp("ms")),
        "timestamp without time zone",
        dt.datetime(2024, 1, 1, 0, 0, 0, 5000),
    ),
    (
        "ts_ns",
        pa.array([1_700_000_000_123_456_789, None], pa.timestamp("ns")),
        "timestamp without time zone",
        dt.datetime(2023, 11, 14, 22, 13, 20, 123457),  # the server rounds to microseconds
    ),
    (
        "tstz",
        pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
        "timestamp with time zone",
        dt.datetime(2024, 1, 1, 12, tzinfo=UTC),
    ),
    (
        "tstz_kolkata",
        pa.array(
            [dt.datetime(1900, 1, 1, 12, tzinfo=UTC), None], pa.timestamp("s", tz="Asia/Kolkata")
        ),
        "timestamp with time zone",
        dt.datetime(1900, 1, 1, 12, tzinfo=UTC),  # a historic zone offset, not whole minutes
    ),
    (
        "dec",
        pa.array([Decimal("-12345678.90"), None], pa.decimal128(10, 2)),
        "numeric(10,2)",
        Decimal("-12345678.90"),
    ),
    (
        "dec256",
        pa.array([Decimal("1" * 35 + ".12345"), None], pa.decimal256(40, 5)),
        "numeric(40,5)",
        Decimal("1" * 35 + ".12345"),
    ),
    (
        "dur",
        pa.array([dt.timedelta(days=2, microseconds=-1), None], pa.duration("us")),
        "interval",
        dt.timedelta(days=2, microseconds=-1),
    ),
    ("dur_s", pa.array([-90, None], pa.duration("s")), "interval", dt.timedelta(seconds=-90)),
    ("nothing", pa.array([None, None], pa.null()), "text", None),
]


def test_every_arrow_type_round_trips_with_its_nulls(pg_url: str) -> None:
    columns = {"row_no": pa.array([1, 2], pa.int32())}
    columns.update({name: values for name, values, *_ in ROUND_TRIP})
    batch = pa.record_batch(columns)

    result = write(pg_url, [batch])

    assert result.rows == 2 and result.bytes > 0
    assert result.files == ["postgresql table public.t"]
    types = dict(
        query(
            pg_url,
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 't'::regclass AND attnum > 0",
        )
    )
    with psycopg.connect(pg_url) as conn:
        cursor = conn.execute("SELECT * FROM t ORDER BY row_no")
        names = [c.name for c in cursor.description or []]
        first, second = (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    wrong = [
        f"{name}: {types[name]} {first[name]!r}"
        for name, _, pg_type, expected in ROUND_TRIP
        if types[name] != pg_type or first[name] != expected or second[name] is not None
    ]
    assert not wrong


def test_float_specials_and_intervals_round_trip(pg_url: str) -> None:
    interval = pa.MonthDayNano([14, -3, 1_500_000_000])
    batch = pa.record_batch(
        {
            "x": pa.array([float("nan"), float("inf"), float("-inf"), None]),
            "span": pa.array([interval, None, None, None], pa.month_day_nano_interval()),
        }
    )
    write(pg_url, [batch])

    with PostgresReader.from_config({"url": pg_url, "table": "t"}) as reader:
        table = pa.Table.from_batches(list(reader.read()))
    xs = table.column("x").to_pylist()
    assert xs[0] != xs[0] and xs[1:] == [float("inf"), float("-inf"), None]
    assert table.column("span").to_pylist() == [interval, None, None, None]


def test_commit_records_the_commit_and_recover_finds_it(pg_url: str) -> None:
    writer = PostgresWriter.from_config({"url": pg_url, "table": "t"})
    assert writer.recover("c1") is False  # no commit table yet

    result = write(pg_url, [numbers([1, 2]), numbers([3])], commit_id="c1")

    assert (result.rows, result.files) == (3, ["postgresql table public.t"])
    assert query(pg_url, "SELECT commit_id, job_name, rows FROM _dativo_commits") == [
        ("c1", "job", 3)
    ]
    assert writer.recover("c1") is True
    assert writer.recover("c2") is False


def test_a_replayed_commit_writes_nothing_again(pg_url: str) -> None:
    write(pg_url, [numbers([1, 2, 3])], commit_id="c1")

    for mode in ("append", "replace"):
        replay = write(pg_url, [numbers([1, 2, 3])], commit_id="c1", mode=mode)
        assert (replay.rows, replay.bytes) == (0, 0)
    assert query(pg_url, "SELECT n FROM t ORDER BY n") == [(1,), (2,), (3,)]


def test_append_adds_and_replace_replaces(pg_url: str) -> None:
    write(pg_url, [numbers([1, 2])], commit_id="c1")
    write(pg_url, [numbers([3])], commit_id="c2", mode="append")
    assert query(pg_url, "SELECT n FROM t ORDER BY n") == [(1,), (2,), (3,)]

    query(pg_url, "CREATE VIEW big AS SELECT n FROM t WHERE n > 5")
    result = write(pg_url, [numbers([7]), numbers([8, None])], commit_id="c3", mode="replace")

    assert result.rows == 3
    assert query(pg_url, "SELECT n FROM t ORDER BY n") == [(7,), (8,), (None,)]
    assert query(pg_url, "SELECT n FROM big ORDER BY n") == [
        (7,),
        (8,),
    ]  # the table kept its identity


def test_abort_leaves_nothing_and_is_safe_twice(pg_url: str) -> None:
    write(pg_url, [numbers([1])], commit_id="c1")
    for table, mode in (("t", "replace"), ("fresh", "append")):
        writer = PostgresWriter.from_config({"url": pg_url, "table": table, "mode": mode})
        writer.open(numbers([1]).schema, WriteContext("job", "c2"))
        writer.write(numbers([5, 6]))
        writer.abort()
        writer.abort()
        writer.close()
        assert writer.recover("c2") is False
    assert query(pg_url, "SELECT n FROM t") == [(1,)]
    assert not table_exists(pg_url, "fresh")


CHILD = """
import sys, time
import pyarrow as pa
from dativo_pkg.plugins.postgres_writer import PostgresWriter
from dativo_pkg.sdk import WriteContext

url, mode = sys.argv[1], sys.argv[2]
writer = PostgresWriter.from_config({"url": url, "table": "t", "mode": mode})
batch = pa.record_batch({"n": pa.array(range(1000), pa.int64())})
writer.open(batch.schema, WriteContext("job", "killed"))
for _ in range(5):
    writer.write(batch)
print("written", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(("mode", "before"), [("append", None), ("replace", [(1,), (2,)])])
def test_a_killed_writer_leaves_nothing(
    pg_url: str, tmp_path: Path, mode: str, before: list[tuple[int]] | None
) -> None:
    if before is not None:
        write(pg_url, [numbers([n for (n,) in before])], commit_id="first")
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD), encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, str(script), pg_url, mode], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "written"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '20s'")  # replace holds its lock until the server notices
        if before is None:
            assert not table_exists(pg_url, "t")
        else:
            assert conn.execute("SELECT n FROM t ORDER BY n").fetchall() == before
    assert PostgresWriter.from_config({"url": pg_url, "table": "t"}).recover("killed") is False


def test_a_bad_value_is_a_data_error_naming_its_row(pg_url: str) -> None:
    query(pg_url, "CREATE TABLE t (n int)")
    writer = PostgresWriter.from_config({"url": pg_url, "table": "t", "create_table": False})
    schema = pa.schema([("n", pa.string())])
    writer.open(schema, WriteContext("job", "c1"))
    writer.write(pa.record_batch({"n": ["1", "2", "3"]}))
    with pytest.raises(DataError, match="row 5 of this run"):
        writer.write(pa.record_batch({"n": ["4", "x"]}))
    writer.abort()
    assert query(pg_url, "SELECT count(*) FROM t") == [(0,)]


def test_table_names_are_schema_qualified_and_literal(pg_url: str) -> None:
    query(pg_url, 'CREATE SCHEMA "Sales"')
    result = write(pg_url, [numbers([1])], table="Sales.Orders", commit_table="Sales.commits")
    assert result.files == ["postgresql table Sales.Orders"]
    assert query(pg_url, 'SELECT n FROM "Sales"."Orders"') == [(1,)]
    assert query(pg_url, 'SELECT commit_id FROM "Sales".commits') == [("c1",)]


@pytest.mark.parametrize(
    ("setup", "config", "words"),
    [
        (None, {"create_table": False}, "does not exist"),
        ("CREATE TABLE t (other int)", {}, "no columns \\['n'\\]"),
        (None, {"table": "no_schema.t"}, "no_schema"),
    ],
)
def test_a_target_that_does_not_fit_is_a_config_error(
    pg_url: str, setup: str | None, config: dict[str, Any], words: str
) -> None:
    if setup:
        query(pg_url, setup)
    writer = PostgresWriter.from_config({"url": pg_url, "table": "t", **config})
    with pytest.raises(ConfigError, match=words):
        writer.open(numbers([1]).schema, WriteContext("job", "c1"))
    writer.abort()
    assert writer.recover("c1") is False


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unmapped_arrow_types_are_refused_before_any_io() -> None:
    url = f"postgresql://u:s3cret-pw@127.0.0.1:{closed_port()}/db"
    writer = PostgresWriter.from_config({"url": url, "table": "t"})
    schema = pa.schema([("ok", pa.int64()), ("tags", pa.list_(pa.string()))])
    with pytest.raises(ConfigError, match=r"tags \(list<item: string>\)"):
        writer.open(schema, WriteContext("job", "c1"))


def test_an_unreachable_server_keeps_the_password_secret() -> None:
    url = f"postgresql://u:s3cret-pw@127.0.0.1:{closed_port()}/db"
    writer = PostgresWriter.from_config({"url": url, "table": "t"})
    for attempt in (
        lambda: writer.open(numbers([1]).schema, WriteContext("job", "c1")),
        lambda: writer.recover("c1"),
    ):
        with pytest.raises(SourceUnreachable, match="refused") as caught:
            attempt()
        assert "s3cret-pw" not in str(caught.value)
        assert caught.value.__cause__ is None  # psycopg's message names host and user


@pytest.mark.parametrize(
    "config",
    [
        {"table": "a.b.c"},
        {"table": "t", "mode": "upsert"},
        {"table": "t", "commit_table": ".x"},
        {"table": "t", "url": "not a url"},
    ],
)
def test_bad_configs_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        PostgresWriter.from_config({"url": "postgresql://u:pw@localhost/db", **config})

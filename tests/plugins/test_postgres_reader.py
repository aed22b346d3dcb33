"""The postgres reader against a real PostgreSQL server (the ``pg_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import socket
import struct
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.plugins.postgres_reader import PostgresReader
from dativo_pkg.sdk import Incremental

pytestmark = pytest.mark.postgres

UTC = dt.UTC


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def read_all(config: dict[str, Any], incremental: Incremental | None = None) -> pa.Table:
    with PostgresReader.from_config(config) as reader:
        schema = reader.schema()
        batches = list(reader.read(incremental))
        assert all(batch.schema == schema for batch in batches)
        return pa.Table.from_batches(batches, schema=schema)


def float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# (column, PostgreSQL type, SQL value, Arrow type, value as Python)
TYPE_CASES: list[tuple[str, str, str, pa.DataType, object]] = [
    ("i2", "int2", "-32768", pa.int16(), -32768),
    ("i4", "int4", "2147483647", pa.int32(), 2147483647),
    ("i8", "int8", "-9223372036854775808", pa.int64(), -9223372036854775808),
    ("big_oid", "oid", "4000000000", pa.uint32(), 4000000000),
    ("f4", "float4", "1.1", pa.float32(), float32(1.1)),
    ("f8", "float8", "0.1", pa.float64(), 0.1),
    ("f8_inf", "float8", "'-Infinity'", pa.float64(), float("-inf")),
    ("yes", "bool", "true", pa.bool_(), True),
    ("no", "bool", "false", pa.bool_(), False),
    (
        "txt",
        "text",
        "E'h\\u00e9llo, \"world\"\\n2nd line'",
        pa.string(),
        'héllo, "world"\n2nd line',
    ),
    ("empty_txt", "text", "''", pa.string(), ""),
    ("vc", "varchar(5)", "'abc'", pa.string(), "abc"),
    ("bpc", "char(4)", "'ab'", pa.string(), "ab  "),
    ("nm", "name", "'a_name'", pa.string(), "a_name"),
    ("bin", "bytea", "'\\x00ff10'::bytea", pa.binary(), b"\x00\xff\x10"),
    ("empty_bin", "bytea", "''::bytea", pa.binary(), b""),
    ("day", "date", "'2024-02-29'", pa.date32(), dt.date(2024, 2, 29)),
    ("old_day", "date", "'0001-01-01'", pa.date32(), dt.date(1, 1, 1)),
    ("tod", "time", "'23:59:59.999999'", pa.time64("us"), dt.time(23, 59, 59, 999999)),
    (
        "ts",
        "timestamp",
        "'2024-01-02 03:04:05.678901'",
        pa.timestamp("us"),
        dt.datetime(2024, 1, 2, 3, 4, 5, 678901),
    ),
    (
        "tstz",
        "timestamptz",
        "'2024-01-02 03:04:05.678901+02'",
        pa.timestamp("us", tz="UTC"),
        dt.datetime(2024, 1, 2, 1, 4, 5, 678901, tzinfo=UTC),
    ),
    ("money2", "numeric(10,2)", "-12345678.9", pa.decimal128(10, 2), Decimal("-12345678.90")),
    ("wide", "numeric(38,0)", "9" * 38, pa.decimal128(38, 0), Decimal("9" * 38)),
    ("free_num", "numeric", "123.4560", pa.string(), "123.4560"),
    ("nan_num", "numeric", "'NaN'", pa.string(), "NaN"),
    ("huge_num", "numeric(40,2)", "1.5", pa.string(), "1.50"),
    (
        "id",
        "uuid",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
        pa.string(),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    ),
    ("js", "json", '\'{"b": 1,  "a": [1, 2]}\'', pa.string(), '{"b": 1,  "a": [1, 2]}'),
    ("jsb", "jsonb", '\'{"b": 1,  "a": [1, 2]}\'', pa.string(), '{"a": [1, 2], "b": 1}'),
    (
        "span",
        "interval",
        "'1 year 2 mons 3 days 04:05:06.789'",
        pa.month_day_nano_interval(),
        pa.MonthDayNano([14, 3, 14_706_789_000_000]),
    ),
    (
        "neg_span",
        "interval",
        "'-1 mons -2 days -00:00:01.5'",
        pa.month_day_nano_interval(),
        pa.MonthDayNano([-1, -2, -1_500_000_000]),
    ),
    ("ints", "int[]", "'{1,NULL,3}'", pa.string(), "{1,NULL,3}"),
    ("addr", "inet", "'192.168.0.1/24'", pa.string(), "192.168.0.1/24"),
    ("feeling", "mood", "'happy'", pa.string(), "happy"),
    ("rng", "int4range", "'[1,5)'", pa.string(), "[1,5)"),
    ("pair", "pair", "ROW(1, 'x')", pa.string(), "(1,x)"),
    ("tz_time", "timetz", "'12:00:00+02'", pa.string(), "12:00:00+02"),
    ("positive", "positive", "7", pa.int32(), 7),
]


@pytest.fixture
def all_types(pg_url: str) -> str:
    """A table with one column per case: a row of values, then a row of NULLs."""
    columns = ", ".join(f"{name} {pg_type}" for name, pg_type, *_ in TYPE_CASES)
    values = ", ".join(f"({value})::{pg_type}" for _, pg_type, value, *_ in TYPE_CASES)
    run_sql(
        pg_url,
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "CREATE TYPE pair AS (n int, s text)",
        "CREATE DOMAIN positive AS int4 CHECK (VALUE > 0)",
        f"CREATE TABLE all_types (row_no int, {columns}, cash money)",
        f"INSERT INTO all_types VALUES (1, {values}, 12.34)",
        "INSERT INTO all_types (row_no) VALUES (2)",
    )
    return pg_url


def test_every_mapped_type_and_its_nulls(all_types: str) -> None:
    table = read_all({"url": all_types, "query": "SELECT * FROM all_types ORDER BY row_no"})

    mismatches = []
    for name, pg_type, _, arrow_type, expected in TYPE_CASES:
        column = table.column(name)
        got = column[0].as_py()
        if column.type != arrow_type or got != expected:
            mismatches.append(f"{name} ({pg_type}): {column.type} {got!r}")
        if column[1].as_py() is not None:
            mismatches.append(f"{name} ({pg_type}): NULL read as {column[1]!r}")
    assert not mismatches
    assert table.column("cash").type == pa.string()
    assert "12.34" in table.column("cash")[0].as_py()


def test_float_specials_survive(pg_url: str) -> None:
    run_sql(
        pg_url,
        "CREATE TABLE f (x float8, y float4)",
        "INSERT INTO f VALUES ('NaN', 'Infinity'), (1e308, 3.4028235e38), (5e-324, 1e-45)",
    )
    table = read_all({"url": pg_url, "table": "f"})
    xs, ys = table.column("x").to_pylist(), table.column("y").to_pylist()
    assert xs[0] != xs[0] and ys[0] == float("inf")  # NaN is NaN, not NULL
    assert xs[1:] == [1e308, 5e-324]
    assert ys[1:] == [float32(3.4028235e38), float32(1e-45)]


def test_a_lone_text_column_keeps_null_and_empty_rows_apart(pg_url: str) -> None:
    run_sql(
        pg_url,
        "CREATE TABLE one (s text)",
        "INSERT INTO one VALUES (NULL), (''), ('x'), (NULL)",
    )
    table = read_all({"url": pg_url, "table": "one"})
    assert table.column("s").to_pylist() == [None, "", "x", None]


@pytest.fixture
def items(pg_url: str) -> str:
    run_sql(
        pg_url,
        'CREATE SCHEMA "Shop"',
        'CREATE SEQUENCE "Shop".seq',
        'CREATE TABLE "Shop".items (id int PRIMARY KEY, name text, "Created" timestamptz)',
        "INSERT INTO \"Shop\".items SELECT g, 'item ' || g, "
        "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day' "
        "FROM generate_series(10, 1, -1) g",
    )
    return pg_url


@pytest.mark.parametrize(
    ("batch_rows", "sizes"),
    [(1, [1] * 10), (3, [3, 3, 3, 1]), (5, [5, 5]), (10, [10]), (50_000, [10])],
)
def test_batches_hold_batch_rows_rows(items: str, batch_rows: int, sizes: list[int]) -> None:
    config = {"url": items, "table": "Shop.items", "batch_rows": batch_rows}
    with PostgresReader.from_config(config) as reader:
        batches = list(reader.read())
        assert [b.num_rows for b in batches] == sizes
        assert all(b.schema == reader.schema() for b in batches)


def test_columns_pick_and_order(items: str) -> None:
    table = read_all({"url": items, "table": "Shop.items", "columns": ["name", "id"]})
    assert table.schema.names == ["name", "id"]
    assert sorted(table.column("id").to_pylist()) == list(range(1, 11))


SELECT_EVEN = 'SELECT id, name, "Created" FROM "Shop".items WHERE id % 2 = 0 -- even only\n;'


@pytest.mark.parametrize(
    ("source", "cursor", "after", "ids"),
    [
        ({"table": "Shop.items"}, "id", None, list(range(1, 11))),
        ({"table": "Shop.items"}, "id", 7, [8, 9, 10]),
        ({"table": "Shop.items"}, "id", 10, []),
        (
            {"table": "Shop.items"},
            "Created",
            dt.datetime(2024, 1, 9, tzinfo=UTC),
            [9, 10],
        ),
        ({"table": "Shop.items"}, "name", "item 7", [8, 9]),  # text order
        ({"query": SELECT_EVEN}, "id", None, [2, 4, 6, 8, 10]),
        ({"query": SELECT_EVEN}, "id", 4, [6, 8, 10]),
        ({"query": "SELECT * FROM \"Shop\".items WHERE name LIKE 'item 1%'"}, "id", 1, [10]),
    ],
)
def test_incremental_is_pushed_down_and_ordered(
    items: str, source: dict[str, str], cursor: str, after: object, ids: list[int]
) -> None:
    assert PostgresReader.filters_incremental
    table = read_all({"url": items, **source}, Incremental(cursor, after))
    assert table.column("id").to_pylist() == ids


def test_a_cursor_outside_the_columns_is_a_config_error(items: str) -> None:
    config = {"url": items, "table": "Shop.items", "columns": ["name"]}
    with PostgresReader.from_config(config) as reader, pytest.raises(ConfigError, match="'id'"):
        reader.read(Incremental("id", 3))


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"table": "t", "query": "SELECT 1"}, "exactly one"),
        ({}, "exactly one"),
        ({"query": "SELECT 1", "columns": ["a"]}, "columns"),
        ({"table": "a.b.c"}, "table"),
        ({"table": "a."}, "table"),
        ({"table": "t", "batch_rows": 0}, "batch_rows"),
        ({"table": "t", "columns": []}, "columns"),
        ({"table": "t", "cursor_field": "id"}, "cursor_field"),
    ],
)
def test_bad_configs_are_refused_before_any_io(config: dict[str, Any], field: str) -> None:
    url = "postgresql://u:s3cret-pw@127.0.0.1:1/db"
    with pytest.raises(ConfigError, match=field) as caught:
        PostgresReader.from_config({"url": url, **config})
    assert "s3cret-pw" not in str(caught.value)


def test_a_malformed_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="url") as caught:
        PostgresReader.from_config({"url": "s3cret-pw", "table": "t"})
    assert "s3cret-pw" not in str(caught.value)


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def test_a_closed_port_is_unreachable_and_the_password_stays_secret() -> None:
    url = f"postgresql://dativo:s3cret-pw@127.0.0.1:{closed_port()}/db?connect_timeout=3"
    reader = PostgresReader.from_config({"url": url, "table": "t"})
    with pytest.raises(SourceUnreachable, match="refused") as caught:
        reader.check()
    assert all("s3cret-pw" not in str(exc) for exc in chain(caught.value))
    assert caught.value.hint
    reader.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [("database", "database does not exist"), ("user", "authentication failed")],
)
def test_a_missing_database_or_user_is_unreachable(pg_url: str, change: str, reason: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(pg_url)
    info["dbname" if change == "database" else "user"] = "no_such_thing"
    info["password"] = "s3cret-pw"
    url = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    reader = PostgresReader.from_config({"url": url, "table": "t"})
    with reader, pytest.raises(SourceUnreachable, match=reason) as caught:
        reader.schema()
    assert all("s3cret-pw" not in str(exc) for exc in chain(caught.value))


@pytest.mark.parametrize(
    ("source", "error", "words"),
    [
        ({"table": "public.missing"}, ConfigError, "table public.missing"),
        ({"table": "Shop.items", "columns": ["id", "nope"]}, ConfigError, "nope"),
        ({"query": "SELEC 1"}, ConfigError, "syntax"),
        ({"query": "SELECT 1 AS a, 2 AS a"}, ConfigError, "more than once"),
        ({"query": "SELECT nextval('\"Shop\".seq')"}, ConfigError, "read-only"),
        (
            {"query": 'WITH x AS (DELETE FROM "Shop".items RETURNING id) SELECT * FROM x'},
            ConfigError,
            "does not support",
        ),
    ],
)
def test_bad_sources_are_named(
    items: str, source: dict[str, Any], error: type[Exception], words: str
) -> None:
    reader = PostgresReader.from_config({"url": items, **source})
    with reader, pytest.raises(error, match=words):
        list(reader.read())


@pytest.mark.parametrize(
    ("pg_type", "value"),
    [("timestamp", "'infinity'"), ("numeric(5,2)", "'NaN'"), ("date", "'infinity'")],
)
def test_values_without_an_arrow_form_are_data_errors(
    pg_url: str, pg_type: str, value: str
) -> None:
    run_sql(pg_url, f"CREATE TABLE odd (x {pg_type})", f"INSERT INTO odd VALUES ({value})")
    reader = PostgresReader.from_config({"url": pg_url, "table": "odd"})
    with reader, pytest.raises(DataError, match="odd"):
        list(reader.read())


def test_stopping_early_and_closing_is_clean(pg_url: str) -> None:
    run_sql(pg_url, "CREATE TABLE many AS SELECT g AS n FROM generate_series(1, 20000) g")
    reader = PostgresReader.from_config({"url": pg_url, "table": "many", "batch_rows": 100})
    batches = iter(reader.read())
    assert next(batches).num_rows == 100
    reader.close()
    assert reader_sessions(pg_url) == 0


def reader_sessions(url: str) -> int:
    """Sessions of the plugins in this database, once closed ones have gone (up to 10 s)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'dativo'"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(100):
            count = conn.execute(query).fetchone()
            if count == (0,):
                return 0
            time.sleep(0.1)
    return int(count[0]) if count else -1


def test_a_table_read_is_one_snapshot(pg_url: str) -> None:
    run_sql(pg_url, "CREATE TABLE snap AS SELECT g AS n FROM generate_series(1, 10) g")
    with PostgresReader.from_config({"url": pg_url, "table": "snap"}) as reader:
        reader.check()  # the snapshot is taken here
        run_sql(pg_url, "INSERT INTO snap VALUES (11)")
        assert sum(b.num_rows for b in reader.read()) == 10

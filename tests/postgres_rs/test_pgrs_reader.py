"""The postgres_rs reader (plugins/postgres-rs) through Python, from its built wheel.

Every test gets a fresh database (``pg_url``) and the wheel built once per
session (``postgres_rs_site`` / ``postgres_rs_module`` in conftest.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dativo_pkg.errors import ConfigError, DataError, PluginError, SourceUnreachable
from dativo_pkg.manifest import manifest_for
from dativo_pkg.sdk import Incremental

pytestmark = pytest.mark.postgres

SECRET = "s3cret-pw"


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def reader(module: ModuleType, url: str, **config: Any) -> Any:
    return module.PostgresRsReader.from_config({"url": url, **config})


def read_table(module: ModuleType, url: str, **config: Any) -> pa.Table:
    with reader(module, url, **config) as plugin:
        schema = plugin.schema()
        batches = list(plugin.read())
    assert all(batch.schema.equals(schema) for batch in batches)
    return pa.Table.from_batches(batches, schema=schema)


def rows(table: pa.Table) -> Counter[tuple[Any, ...]]:
    """The table as a multiset of rows."""
    return Counter(tuple(row.values()) for row in table.to_pylist())


def sessions(url: str) -> int:
    """Sessions on this test's database, once closed ones have gone (waits up to 10 s)."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    query += " AND pid <> pg_backend_pid()"
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(100):
            found = conn.execute(query).fetchone()
            if found == (0,):
                return 0
            time.sleep(0.1)
    return int(found[0]) if found else -1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


EVERY_TYPE = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN pos AS int4 CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE every (
  b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8, t text, vc varchar(9),
  bp char(4), nm name, by bytea, d date, tm time, ts timestamp, tz timestamptz, iv interval,
  n152 numeric(15,2), n3810 numeric(38,10), n505 numeric(50,5), nu numeric, m money, u uuid,
  j json, jb jsonb, e mood, a int4[], ta text[], a2 int4[][], ip inet, cd cidr, dom pos,
  r int4range, c pair, ttz timetz, tv tsvector, pt point);
INSERT INTO every VALUES (true, -32768, 2147483647, -9223372036854775808, 4000000000, 'NaN',
  '-Infinity', 'hé "q"', 'abc', 'ab', 'nm', '\\x00ff', '2024-02-29', '23:59:59.999999',
  '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02', '1 mon -2 days 00:00:03.5',
  -1234567890123.45, 1234567890123456789012345678.1234567891, -1.5, 'Infinity', '-12.34',
  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"a": 1}', '{"b": [2]}', 'ok', '{1,NULL,3}',
  '{"x",NULL}', '{{1,2},{NULL,4}}', '10.0.0.1', '10.0.0.0/8', 7, '[1,5)', '(1,"x y")',
  '04:05:06+02', 'a fat cat', '(1,2)');
INSERT INTO every DEFAULT VALUES;
"""


def lst(item: pa.DataType) -> pa.DataType:
    return pa.list_(pa.field("item", item))


EXPECTED_TYPES = {
    "b": pa.bool_(),
    "i2": pa.int16(),
    "i4": pa.int32(),
    "i8": pa.int64(),
    "o": pa.uint32(),
    "f4": pa.float32(),
    "f8": pa.float64(),
    **dict.fromkeys(["t", "vc", "bp", "nm", "nu", "u", "ip", "cd", "r", "c", "ttz"], pa.string()),
    **dict.fromkeys(["tv", "pt"], pa.string()),
    "by": pa.binary(),
    "d": pa.date32(),
    "tm": pa.time64("us"),
    "ts": pa.timestamp("us"),
    "tz": pa.timestamp("us", tz="UTC"),
    "iv": pa.month_day_nano_interval(),
    "n152": pa.decimal128(15, 2),
    "n3810": pa.decimal128(38, 10),
    "n505": pa.decimal256(50, 5),
    "m": pa.decimal128(19, 2),
    "j": pa.json_(pa.string()),
    "jb": pa.json_(pa.string()),
    "e": pa.dictionary(pa.int32(), pa.string()),
    "a": lst(pa.int32()),
    "ta": lst(pa.string()),
    "a2": lst(lst(pa.int32())),
    "dom": pa.int32(),
}


def test_every_type_has_the_type_of_the_map(pg_url: str, postgres_rs_module: ModuleType) -> None:
    run_sql(pg_url, EVERY_TYPE)
    table = read_table(postgres_rs_module, pg_url, table="every")
    assert {f.name: f.type for f in table.schema} == EXPECTED_TYPES
    order = "b i2 i4 i8 o f4 f8 t vc bp nm by d tm ts tz iv n152 n3810 n505 nu m u j jb e a ta a2"
    assert table.schema.names == [*order.split(), *["ip", "cd", "dom", "r", "c", "ttz", "tv", "pt"]]
    values, nulls = table.slice(0, 1).to_pylist()[0], table.slice(1, 1).to_pylist()[0]
    assert all(value is None for value in nulls.values())
    assert values["o"] == 4_000_000_000
    assert values["bp"] == "ab  "
    assert values["n3810"] == Decimal("1234567890123456789012345678.1234567891")
    assert values["nu"] == "Infinity"
    assert values["m"] == Decimal("-12.34")
    assert values["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert values["e"] == "ok"
    assert values["a2"] == [[1, 2], [None, 4]]
    assert values["ta"] == ["x", None]
    assert values["ip"] == "10.0.0.1"  # the output form, as psql prints it
    assert values["iv"] == pa.MonthDayNano([1, -2, 3_500_000_000])
    with psycopg.connect(pg_url) as conn:
        server = conn.execute("SELECT ttz::text, c::text, pt::text FROM every LIMIT 1").fetchone()
    assert (values["ttz"], values["c"], values["pt"]) == server


def test_numeric_nan_is_null_and_infinite_values_are_data_errors(
    pg_url: str, postgres_rs_module: ModuleType
) -> None:
    run_sql(
        pg_url,
        "CREATE TABLE n (x numeric(5,2))",
        "INSERT INTO n VALUES (1.5), ('NaN')",
        "CREATE TABLE inf (id int, ts timestamp)",
        "INSERT INTO inf SELECT g, '2024-01-01' FROM generate_series(1, 5) g",
        "INSERT INTO inf VALUES (6, 'infinity')",
    )
    assert read_table(postgres_rs_module, pg_url, table="n").column("x").to_pylist() == [
        Decimal("1.50"),
        None,
    ]
    with pytest.raises(DataError, match=r"rows 1-6: column 'ts'") as caught:
        read_table(postgres_rs_module, pg_url, table="inf")
    assert caught.value.hint and "query" in caught.value.hint


def test_a_2d_value_in_a_1d_array_column_is_a_data_error(
    pg_url: str, postgres_rs_module: ModuleType
) -> None:
    run_sql(pg_url, "CREATE TABLE arr (a int4[])", "INSERT INTO arr VALUES ('{1}'), ('{{1},{2}}')")
    with pytest.raises(DataError, match=r"column 'a'.*2-dimensional") as caught:
        read_table(postgres_rs_module, pg_url, table="arr")
    assert caught.value.hint and "int4[][]" in caught.value.hint


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"table": "t", "partitions": 0}, "partitions"),
        ({"table": "t", "partitions": 65}, "partitions"),
        ({"query": "SELECT 1", "partitions": 2}, "partition_column"),
        ({"table": "t", "partition_column": ""}, "partition_column"),
        ({"table": "t", "query": "SELECT 1"}, "table"),
        ({"table": "t", "batch_rows": 0}, "batch_rows"),
        ({"table": "t", "cursor_field": "id"}, "cursor_field"),
    ],
)
def test_bad_configs_name_the_field(
    postgres_rs_module: ModuleType, config: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=field) as caught:
        reader(postgres_rs_module, f"postgresql://u:{SECRET}@127.0.0.1:1/db", **config)
    assert SECRET not in str(caught.value)


def test_an_unreachable_server_never_shows_the_url(postgres_rs_module: ModuleType) -> None:
    url = f"postgresql://someone:{SECRET}@127.0.0.1:{closed_port()}/secretdb?connect_timeout=3"
    plugin = reader(postgres_rs_module, url, table="t")
    with plugin, pytest.raises(SourceUnreachable, match="refused") as caught:
        plugin.check()
    for word in (SECRET, "someone", "secretdb"):
        assert word not in str(caught.value)
    assert caught.value.hint


def test_tls_modes_are_refused_clearly(postgres_rs_module: ModuleType) -> None:
    plugin = reader(postgres_rs_module, "postgresql://u@127.0.0.1/db?sslmode=require", table="t")
    with plugin, pytest.raises(ConfigError, match="TLS"):
        plugin.check()


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ({"table": "public.missing"}, "table public.missing"),
        ({"table": "items", "columns": ["id", "nope"]}, "nope"),
        ({"query": "SELEC 1"}, "syntax"),
        ({"table": "items", "partitions": 2, "partition_column": "payload"}, "partition_column"),
    ],
)
def test_bad_sources_are_config_errors(
    pg_url: str, postgres_rs_module: ModuleType, source: dict[str, Any], words: str
) -> None:
    run_sql(pg_url, "CREATE TABLE items (id int8, payload text)")
    plugin = reader(postgres_rs_module, pg_url, **source)
    with plugin, pytest.raises(ConfigError, match=words):
        list(plugin.read())


PARTITIONED = """
CREATE TABLE p (id int8, payload text);
INSERT INTO p SELECT g, 'row ' || g FROM generate_series(1, 30000) g;
INSERT INTO p SELECT NULL, 'no id ' || g FROM generate_series(1, 9) g;
DELETE FROM p WHERE id % 7 = 0;
"""


@pytest.mark.parametrize("partition_column", ["id", None])
def test_partitions_equal_a_single_read(
    pg_url: str, postgres_rs_module: ModuleType, partition_column: str | None
) -> None:
    run_sql(pg_url, PARTITIONED)
    single = read_table(postgres_rs_module, pg_url, table="p", batch_rows=1000)
    extra = {"partition_column": partition_column} if partition_column else {}
    with reader(postgres_rs_module, pg_url, table="p", partitions=2, **extra) as plugin:
        plugin.check()  # the snapshot is taken here: later rows are not read
        run_sql(pg_url, "INSERT INTO p SELECT g, 'late' FROM generate_series(1, 50) g")
        split = pa.Table.from_batches(list(plugin.read()))
    assert split.num_rows == single.num_rows == 30009 - 30000 // 7
    assert rows(split) == rows(single)


def test_closing_mid_stream_leaves_no_connection(
    pg_url: str, postgres_rs_module: ModuleType
) -> None:
    run_sql(pg_url, "CREATE TABLE many AS SELECT g AS n FROM generate_series(1, 200000) g")
    for partitions in (1, 2):
        plugin = reader(
            postgres_rs_module, pg_url, table="many", batch_rows=100, partitions=partitions
        )
        batches = iter(plugin.read())
        assert next(batches).num_rows == 100
        plugin.close()
        assert sessions(pg_url) == 0


def test_the_arrow_stream_face_reads_the_same(pg_url: str, postgres_rs_module: ModuleType) -> None:
    run_sql(pg_url, "CREATE TABLE s AS SELECT g AS n, g::text AS t FROM generate_series(1, 999) g")
    with reader(postgres_rs_module, pg_url, table="s", batch_rows=100) as plugin:
        stream = plugin.read()
        table = pa.table(stream)
        with pytest.raises(Exception, match="once"):
            pa.table(stream)
    assert table.num_rows == 999
    assert table.equals(read_table(postgres_rs_module, pg_url, table="s"))


def test_incremental_reads_are_pushed_down(pg_url: str, postgres_rs_module: ModuleType) -> None:
    run_sql(pg_url, "CREATE TABLE inc AS SELECT g AS id FROM generate_series(10, 1, -1) g")
    with reader(postgres_rs_module, pg_url, table="inc") as plugin:
        assert plugin.filters_incremental
        table = pa.Table.from_batches(list(plugin.read(Incremental("id", 7))))
        with pytest.raises(ConfigError, match="nope"):
            plugin.read(Incremental("nope", 1))
    assert table.column("id").to_pylist() == [8, 9, 10]


def test_a_panic_is_a_plugin_error_not_a_crash(pg_url: str, postgres_rs_module: ModuleType) -> None:
    run_sql(pg_url, "CREATE TABLE x AS SELECT 1 AS id")
    native = postgres_rs_module._native
    for hook in ("worker", "next"):
        stream = postgres_rs_module.PostgresRsBatches(
            native.open_postgres(pg_url, table="x", debug_panic=hook)
        )
        with pytest.raises(PluginError, match="internal error in the PostgreSQL reader"):
            list(stream)
        exported = native.open_postgres(pg_url, table="x", debug_panic=hook)
        with pytest.raises(pa.ArrowException, match="internal error"):
            pa.table(exported)  # through the C stream: an Arrow error, not an abort
    assert sessions(pg_url) == 0


def test_the_manifest_matches_the_plugin(postgres_rs_module: ModuleType) -> None:
    path = Path(str(postgres_rs_module.__file__)).parent / "dativo-plugin.json"
    committed = json.loads(path.read_text(encoding="utf-8"))
    built = manifest_for({"postgres_rs": postgres_rs_module.PostgresRsReader}, {})
    assert committed == built.model_dump(mode="json")


def test_a_job_switches_with_one_line_and_runs_incrementally(
    pg_url: str, postgres_rs_site: Path, tmp_path: Path
) -> None:
    run_sql(
        pg_url,
        "CREATE TABLE orders (id int8, doc jsonb, price numeric(12,2))",
        "INSERT INTO orders SELECT g, '{}', g / 4.0 FROM generate_series(1, 2500) g",
    )
    job = tmp_path / "orders.yaml"
    out = tmp_path / "out"
    job.write_text(
        "source:\n  plugin: postgres_rs\n"
        f"  config: {{url: '{pg_url}', table: orders, batch_rows: 700, partitions: 2}}\n"
        "  incremental: {cursor_field: id}\n"
        f"target:\n  plugin: parquet\n  config: {{path: '{out}'}}\n"
        f"state: {{path: '{tmp_path / 'state.json'}'}}\n"
    )
    env = {**os.environ, "DATIVO_PLUGIN_PATH": str(postgres_rs_site)}

    def run() -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "-m", "dativo_pkg", "run", str(job), "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        summary: dict[str, Any] = json.loads(proc.stdout)
        return summary

    assert run()["rows"] == 2500
    run_sql(pg_url, "INSERT INTO orders SELECT g, '[]', 1 FROM generate_series(2501, 2600) g")
    assert run()["rows"] == 100
    ids = pq.read_table(out).column("id").to_pylist()
    assert sorted(ids) == list(range(1, 2601))  # no duplicates, no gaps

"""Random tables: the Rust PostgreSQL reader against the Python default reader.

Each test builds one table from a seeded random schema (a pool of types plus random
numeric(p, s); random NULL density; 1-3000 rows loaded with psycopg's COPY; sometimes
rows deleted and updated, so the heap has holes and moved rows), then asserts:

* the Rust reader's columns have the type map's Arrow types and equal the Python
  reader's, value by value through the oracle's normalisers (pgrs_oracle_support);
* other ``batch_rows`` (1 included) change nothing;
* ``partitions: 2`` (ctid ranges) and 2-4 partitions on ``id`` or on a random integer
  column (NULLs included) read the same rows as one connection, as multisets;
* a projection (``columns`` in another order) and an incremental read (``id > after``,
  pushed down, in ``id`` order) equal the full read and the Python reader's.

The test id is the table's seed and every failure message names it with the schema,
so a failing table is reproduced by its id, e.g.
``pytest 'tests/postgres_rs/test_pgrs_random.py::test_random_table[6070]'``.
``DATIVO_PGRS_SEED`` (base seed, default 6061) draws other tables; ``DATIVO_PGRS_TABLES``
sets how many (default 16). The pool is spread over the tables, so every type is in one.
"""

from __future__ import annotations

import json
import os
import random
import struct
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from pgrs_oracle_support import (
    SAME,
    Compare,
    Read,
    array_of,
    boolean,
    canonical,
    each,
    f64,
    mismatches,
    money,
    read_python,
    read_rust,
    run_sql,
    rust_module,
    scratch_schema,
    text,
)
from psycopg import sql

from dativo_pkg.sdk import Incremental

pytestmark = pytest.mark.postgres

BASE_SEED = int(os.environ.get("DATIVO_PGRS_SEED", "6061"))
TABLES = int(os.environ.get("DATIVO_PGRS_TABLES", "16"))
MAX_ROWS = 3000

Gen = Callable[[random.Random], str]
LABELS = ("sad", "ok", "very happy", "ünï")
CHARS = "abcXYZ 019,;:{}[]()\"'\\\t\n\r-_.éß漢字😀\u00a0"


@dataclass(frozen=True)
class Pooled:
    """A column type of the random pool: DDL, the Rust Arrow type, values, the comparison."""

    ddl: str
    arrow: Any
    gen: Gen
    python: Compare = SAME


def _int(bits: int) -> Gen:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return lambda r: str(r.choice((low, high, 0, -1)) if r.random() < 0.1 else r.randint(low, high))


def _string(r: random.Random, most: int = 40) -> str:
    size = r.choice((0, 1, r.randint(0, most), r.randint(0, most)))
    return "".join(r.choice(CHARS) for _ in range(size))


def _float(r: random.Random) -> float:
    if r.random() < 0.2:
        return r.choice((float("nan"), float("inf"), float("-inf"), -0.0, 0.0))
    (value,) = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))
    return float(value)


def _float4(r: random.Random) -> str:
    (value,) = struct.unpack("<f", r.getrandbits(32).to_bytes(4, "little"))
    return repr(value) if r.random() < 0.9 else r.choice(("NaN", "Infinity", "-Infinity", "-0"))


def _date(r: random.Random) -> str:
    year = r.choice((r.randint(1, 9999), r.randint(1, 4712), r.randint(10000, 5874896)))
    era = " BC" if year <= 4712 and r.random() < 0.2 else ""
    return f"{year:04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}{era}"


def _time(r: random.Random) -> str:
    micros = r.choice((0, 86_399_999_999, r.randrange(86_400_000_000)))
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{fraction:06d}"


def _timestamp(r: random.Random, first: int = 1, last: int = 9999) -> str:
    """Years the Python reader parses (1-9999, also after a time zone shift to UTC)."""
    start, end = datetime(first, 1, 1), datetime(last, 12, 31, 23, 59, 59, 999_999)
    span = (end - start) // timedelta(microseconds=1)
    return (start + timedelta(microseconds=r.randint(0, span))).isoformat(sep=" ")


def _offset(r: random.Random) -> str:
    minutes = r.randint(-15 * 60, 15 * 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _timestamptz(r: random.Random) -> str:
    return _timestamp(r, 2, 9998) + _offset(r)


def _interval(r: random.Random) -> str:
    months, days = r.randint(-(10**6), 10**6), r.randint(-(10**6), 10**6)
    return f"{months} mons {days} days {r.randint(-(10**15), 10**15)} microseconds"


def _digits(r: random.Random, count: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(count))


def _numeric(precision: int, scale: int) -> Gen:
    def gen(r: random.Random) -> str:
        whole = _digits(r, r.randint(0, precision - scale)) or "0"
        sign = r.choice(("", "-"))
        return f"{sign}{whole}.{_digits(r, scale)}" if scale else f"{sign}{whole}"

    return gen


def _free_numeric(r: random.Random) -> str:
    if r.random() < 0.15:
        return r.choice(("NaN", "Infinity", "-Infinity"))
    whole, fraction = _digits(r, r.randint(1, 60)), _digits(r, r.randint(0, 40))
    return f"{r.choice(('', '-'))}{whole}{'.' if fraction else ''}{fraction}"


def _json(r: random.Random, depth: int = 0) -> Any:
    kind = r.randrange(7 if depth < 3 else 5)
    simple = (None, r.random() < 0.5, r.randint(-(10**20), 10**20), r.uniform(-1e300, 1e300))
    if kind < 4:
        return simple[kind]
    if kind == 4:
        return _string(r, 12)
    if kind == 5:
        return [_json(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {_string(r, 6): _json(r, depth + 1) for _ in range(r.randint(0, 4))}


def _json_text(r: random.Random) -> str:
    return json.dumps(_json(r), ensure_ascii=r.random() < 0.5)


def _array(element: Gen, quote: bool = False) -> Gen:
    def item(r: random.Random) -> str:
        if r.random() < 0.2:
            return "NULL"
        value = element(r)
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if quote else value

    return lambda r: "{" + ",".join(item(r) for _ in range(r.randint(0, 6))) + "}"


def _matrix(r: random.Random) -> str:
    rows, cols = r.randint(0, 4), r.randint(1, 4)
    items = [[r.choice(("NULL", _int(64)(r))) for _ in range(cols)] for _ in range(rows)]
    return "{" + ",".join("{" + ",".join(row) + "}" for row in items) + "}"


def _range(r: random.Random) -> str:
    low, high = sorted(r.sample(range(-1000, 1000), 2))
    return r.choice(("empty", f"[{low},{high})", f"({low},{high}]", f"[{low},)", f"(,{high})"))


def _money(r: random.Random) -> str:
    cents = r.randint(-(10**14), 10**14)
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


POOL: tuple[Pooled, ...] = (
    Pooled("int2", pa.int16(), _int(16)),
    Pooled("int4", pa.int32(), _int(32)),
    Pooled("int8", pa.int64(), _int(64)),
    Pooled("oid", pa.uint32(), lambda r: str(r.randrange(2**32))),
    Pooled("float4", pa.float32(), _float4),
    Pooled("float8", pa.float64(), lambda r: repr(_float(r))),
    Pooled("bool", pa.bool_(), lambda r: r.choice("tf")),
    Pooled("text", pa.string(), _string),
    Pooled("varchar(20)", pa.string(), lambda r: _string(r, 20)),
    Pooled("char(8)", pa.string(), lambda r: _string(r, 8)),
    Pooled("bytea", pa.binary(), lambda r: "\\x" + r.randbytes(r.randint(0, 50)).hex()),
    Pooled("date", pa.date32(), _date),
    Pooled("time", pa.time64("us"), _time),
    Pooled("timestamp", pa.timestamp("us"), _timestamp),
    Pooled("timestamptz", pa.timestamp("us", tz="UTC"), _timestamptz),
    Pooled("interval", pa.month_day_nano_interval(), _interval),
    Pooled("timetz", pa.string(), lambda r: _time(r) + _offset(r)),
    Pooled("numeric", pa.string(), _free_numeric),
    Pooled("uuid", pa.string(), lambda r: str(uuid.UUID(int=r.getrandbits(128)))),
    Pooled("json", pa.json_(pa.string()), _json_text),
    Pooled("jsonb", pa.json_(pa.string()), _json_text),
    Pooled("mood", pa.dictionary(pa.int32(), pa.string()), lambda r: r.choice(LABELS)),
    Pooled("int4[]", pa.list_(pa.int32()), _array(_int(32)), Compare(each(array_of(int)))),
    Pooled("text[]", pa.list_(pa.string()), _array(_string, True), Compare(each(array_of(text)))),
    Pooled("float8[]", pa.list_(pa.float64()), _array(lambda r: repr(_float(r))),
           Compare(each(array_of(f64)))),
    Pooled("bool[]", pa.list_(pa.bool_()), _array(lambda r: r.choice("tf")),
           Compare(each(array_of(boolean)))),
    Pooled("int8[][]", pa.list_(pa.list_(pa.int64())), _matrix, Compare(each(array_of(int)))),
    Pooled("inet", pa.string(), lambda r: ".".join(str(r.randrange(256)) for _ in range(4))),
    Pooled("int4range", pa.string(), _range),
    Pooled("money", pa.decimal128(19, 2), _money, Compare(each(money))),
)  # fmt: skip


def _pick_numeric(r: random.Random) -> Pooled:
    precision = r.choice((r.randint(1, 38), r.randint(39, 76)))
    scale = r.randint(0, precision)
    arrow = pa.decimal128 if precision <= 38 else pa.decimal256
    return Pooled(
        f"numeric({precision},{scale})", arrow(precision, scale), _numeric(precision, scale)
    )


@dataclass(frozen=True)
class RandomTable:
    seed: int
    table: str
    rows: int
    columns: dict[str, Pooled]

    def __str__(self) -> str:
        types = ", ".join(f"{n} {p.ddl}" for n, p in self.columns.items())
        return f"seed={self.seed} rows={self.rows} ({types})"


def _make_table(conn: psycopg.Connection[Any], schema: str, seed: int) -> RandomTable:
    """Table number ``seed - BASE_SEED`` has its share of the pool, so all tables hold all types."""
    r = random.Random(seed)
    index = seed - BASE_SEED
    pooled = [p for i, p in enumerate(POOL) if i % TABLES == index % TABLES]
    pooled += [
        r.choice(POOL) if r.random() < 0.8 else _pick_numeric(r)
        for _ in range(r.randint(0 if pooled else 1, 8))
    ]
    r.shuffle(pooled)
    columns = {f"c{i}_{p.ddl.split('(')[0].strip('[]')}": p for i, p in enumerate(pooled)}
    nulls = {name: r.choice((0.0, 0.05, 0.5, 0.95, 1.0)) for name in columns}
    rows = r.choice((1, r.randint(2, 50), r.randint(1, MAX_ROWS), r.randint(1, MAX_ROWS)))
    run_sql(conn, f'SET search_path TO "{schema}"')
    run_sql(conn, f"CREATE TYPE mood AS ENUM {LABELS!r}")
    ddl = ", ".join(f'"{name}" {p.ddl}' for name, p in columns.items())
    run_sql(conn, f"CREATE TABLE t (id int8 NOT NULL, {ddl})")
    names = ", ".join(f'"{name}"' for name in columns)
    copy_sql = sql.SQL(f"COPY t (id, {names}) FROM STDIN")
    with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in range(rows):
            copy.write_row(
                [str(row)]
                + [None if r.random() < nulls[n] else p.gen(r) for n, p in columns.items()]
            )
    if rows > 10 and r.random() < 0.5:  # holes in the heap and rows moved to its end
        run_sql(conn, f"DELETE FROM t WHERE id % {r.randint(2, 9)} = 0")
        run_sql(conn, f"UPDATE t SET id = -id WHERE id % {r.randint(2, 9)} = 1")
    (live,) = run_sql(conn, "SELECT count(*) FROM t")[0]
    return RandomTable(seed, f"{schema}.t", live, columns)


def _multiset(read: Read) -> Counter[tuple[Any, ...]]:
    def frozen(value: Any) -> Any:
        return tuple(frozen(v) for v in value) if isinstance(value, list) else value

    names = list(read.columns)
    rows = zip(*(read.columns[n] for n in names), strict=True)
    return Counter(tuple(frozen(v) for v in row) for row in rows)


@pytest.fixture(scope="module")
def pgrs(postgres_rs_site: Path) -> Iterator[ModuleType]:
    with rust_module(postgres_rs_site) as module:
        yield module


def _compare_with_python(rust: Read, python: Read, made: RandomTable) -> None:
    assert len(rust.columns["id"]) == len(python.columns["id"]), made
    for name in rust.columns.keys() - {"id"}:
        pooled = made.columns[name]
        assert rust.schema.field(name).type == pooled.arrow, f"{name}: {made}"
        ours = dict(zip(canonical(rust.raw["id"]), pooled.python.rust(rust.raw[name]), strict=True))
        theirs = dict(
            zip(canonical(python.raw["id"]), pooled.python.peer(python.raw[name]), strict=True)
        )
        ids = sorted(theirs)
        diffs = mismatches([theirs[i] for i in ids], [ours.get(i) for i in ids], ids)
        assert not diffs, f"{name} {pooled.ddl}, {made}: " + "; ".join(diffs[:5])


def _partitionings(r: random.Random, made: RandomTable) -> list[dict[str, Any]]:
    """ctid ranges, and ranges of ``id`` or of a random integer column (with its NULLs)."""
    ints = [n for n, p in made.columns.items() if p.ddl in ("int2", "int4", "int8")]
    column = r.choice([*ints, "id"])
    return [{"partitions": 2}, {"partitions": r.randint(2, 4), "partition_column": column}]


@pytest.mark.parametrize("seed", [BASE_SEED + i for i in range(TABLES)])
def test_random_table(pg_server_url: str, pgrs: ModuleType, seed: int) -> None:
    print(f"random table seed={seed} (DATIVO_PGRS_SEED={BASE_SEED})")
    url, r = pg_server_url, random.Random(seed)
    with scratch_schema(url, "pgrs_random") as schema:
        with psycopg.connect(url, autocommit=True) as conn:
            made = _make_table(conn, schema, seed)
        source: dict[str, Any] = {"url": url, "table": made.table}
        rust = read_rust(pgrs, **source)
        assert len(rust.columns["id"]) == made.rows, made
        _compare_with_python(rust, read_python(**source), made)
        for batch_rows in (1, r.randint(2, 700), 50_000):
            again = read_rust(pgrs, batch_rows=batch_rows, **source)
            assert again.columns == rust.columns, f"batch_rows={batch_rows}: {made}"
            assert max(again.batch_sizes, default=0) <= batch_rows
        whole = _multiset(rust)
        for options in _partitionings(r, made):
            split = read_rust(pgrs, order_by=None, **options, **source)
            assert _multiset(split) == whole, f"{options}: {made}"
        # a projection in another order, and an incremental read (pushed down, ordered by id)
        names = [*r.sample(list(made.columns), r.randint(1, len(made.columns))), "id"]
        projected = read_rust(pgrs, columns=names, **source)
        assert projected.schema.names == names
        assert projected.columns == {name: rust.columns[name] for name in names}, made
        after = Incremental("id", r.choice(rust.columns["id"]))
        newer = read_rust(pgrs, order_by=None, incremental=after, **source)
        assert newer.columns["id"] == sorted(i for i in rust.columns["id"] if i > after.after)
        _compare_with_python(newer, read_python(incremental=after, **source), made)

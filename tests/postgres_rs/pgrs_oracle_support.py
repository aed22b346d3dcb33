"""The oracle's machinery: canonical values, PostgreSQL text parsers, the readers.

Every reader's column becomes a list of *canonical* Python values, so readers whose
Arrow types legitimately differ compare value by value: floats as ``float.hex()``
(NaN, infinities and -0.0 stay distinct), decimals as fixed-point text at their scale,
date32 as days since 1970 (BC and far-future dates fit), time64/timestamp as raw µs,
month_day_nano as ``(months, days, ns)``, dictionaries decoded, lists as nested Python
lists, extension types (arrow.json, ADBC's opaque and uuid) as their storage, the rest
as ``as_py()``.

A *parser* turns a PostgreSQL text form (its type's output function, as ``psql`` and
COPY show it) into the same canonical value, so the server's text (read through
libpq's raw text results, in the Python reader's session settings) and the Python
reader's text columns (arrays, money...) compare with the Rust reader's columns.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import struct
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from dativo_pkg.plugins.postgres_reader import PostgresReader, PostgresReaderConfig
from dativo_pkg.sdk import Incremental, iter_batches

Norm = Callable[[Any], list[Any]]  # an Arrow column -> canonical values
Parse = Callable[[str], Any]  # a PostgreSQL text form -> a canonical value

#: The Python reader's session settings, and IntervalStyle postgres for ``interval``.
SESSION = "SET TimeZone = UTC; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = postgres; "
SESSION += "SET extra_float_digits = 3; "


def canonical(column: Any) -> list[Any]:
    """The canonical values of an Arrow array or chunked array (see the module docstring)."""
    if isinstance(column, pa.ChunkedArray):
        return [value for chunk in column.chunks for value in canonical(chunk)]
    kind = column.type
    if isinstance(column, pa.ExtensionArray):
        return canonical(column.storage)
    if pa.types.is_dictionary(kind):
        return canonical(column.dictionary_decode())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        flat = iter(canonical(column.flatten()))
        lengths = column.value_lengths().to_pylist()
        return [None if n is None else [next(flat) for _ in range(n)] for n in lengths]
    if pa.types.is_date32(kind):
        return list(column.cast(pa.int32()).to_pylist())
    if pa.types.is_time64(kind) or pa.types.is_timestamp(kind):
        return list(column.cast(pa.int64()).to_pylist())
    if pa.types.is_floating(kind):
        return [None if v is None else float(v).hex() for v in column.to_pylist()]
    if pa.types.is_decimal(kind):
        return [None if v is None else format(v, "f") for v in column.to_pylist()]
    if pa.types.is_interval(kind):
        return [None if v is None else tuple(v) for v in column.to_pylist()]
    return list(column.to_pylist())


def each(parse: Callable[[Any], Any]) -> Norm:
    """A normaliser applying ``parse`` to every non-null canonical value (list elements too)."""

    def inner(value: Any) -> Any:
        if isinstance(value, list):
            return [inner(v) for v in value]
        return None if value is None else parse(value)

    def norm(column: Any) -> list[Any]:
        return [inner(v) for v in canonical(column)]

    return norm


def flatten_lists(values: list[Any]) -> list[Any]:
    """Nested lists flattened to one level per row (how ADBC returns n-D arrays)."""

    def flat(value: list[Any]) -> list[Any]:
        return [x for item in value for x in (flat(item) if isinstance(item, list) else [item])]

    return [None if row is None else flat(row) for row in values]


def text(value: str) -> str:
    return value


def f64(value: str) -> str:
    return float(value).hex()


def f32(value: str) -> str:
    return float(struct.unpack("<f", struct.pack("<f", float(value)))[0]).hex()


def boolean(value: str) -> bool:
    return {"t": True, "true": True, "f": False, "false": False}[value]


def hex_bytes(value: str) -> bytes:
    """bytea hex output (``\\x0aff``)."""
    return bytes.fromhex(value.removeprefix("\\x"))


def money(value: str) -> str:
    """money text (``-$1,234.56`` with lc_monetary C/en_US) as fixed-point text."""
    return re.sub(r"[^0-9.-]", "", value)


_EPOCH = date(1970, 1, 1)


def iso_days(value: str) -> int:
    """An ISO date (years 1-9999) as days since 1970-01-01."""
    return (date.fromisoformat(value) - _EPOCH).days


def iso_micros(value: str) -> int:
    """An ISO timestamp, with or without an offset (years 1-9999), as µs since the epoch."""
    moment = datetime.fromisoformat(value)
    naive = moment.replace(tzinfo=None) - (moment.utcoffset() or timedelta(0))
    delta = naive - datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_INTERVAL_UNIT = re.compile(r"([+-]?\d+) (year|mon|day)s?")
_INTERVAL_TIME = re.compile(r"([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?")


def interval(value: str) -> tuple[int, int, int]:
    """IntervalStyle postgres text (``1 year 2 mons -3 days +04:05:06.7``) as (m, d, ns)."""
    units = {"year": 0, "mon": 0, "day": 0}
    for number, unit in _INTERVAL_UNIT.findall(value):
        units[unit] = int(number)
    micros = 0
    clock = _INTERVAL_TIME.search(value)
    if clock:
        sign, hours, minutes, seconds, fraction = clock.groups()
        micros = (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1_000_000
        micros += int((fraction or "").ljust(6, "0"))
        micros = -micros if sign == "-" else micros
    return units["year"] * 12 + units["mon"], units["day"], micros * 1000


def array_of(element: Parse, delimiter: str = ",") -> Parse:
    """A parser of PostgreSQL array text (any ndim, quoted elements, NULL) into nested lists.

    A lower-bound decoration (``[0:1]={...}``) is dropped: the Rust reader does not keep
    lower bounds (documented). ``delimiter`` is the element type's (``;`` for box).
    """

    def parse(value: str) -> list[Any]:
        if value.startswith("["):
            value = value[value.index("=") + 1 :]
        parsed, end = _array_items(value, 0, element, delimiter)
        assert end == len(value), f"trailing text in array {value!r}"
        return parsed

    return parse


def _array_items(value: str, pos: int, element: Parse, delimiter: str) -> tuple[list[Any], int]:
    assert value[pos] == "{", f"not an array at {pos}: {value!r}"
    pos += 1
    items: list[Any] = []
    if value[pos] == "}":
        return items, pos + 1
    while True:
        if value[pos] == "{":
            nested, pos = _array_items(value, pos, element, delimiter)
            items.append(nested)
        elif value[pos] == '"':
            chars, pos = [], pos + 1
            while value[pos] != '"':
                pos += value[pos] == "\\"
                chars.append(value[pos])
                pos += 1
            items.append(element("".join(chars)))
            pos += 1
        else:
            end = pos
            while value[end] not in delimiter + "}":
                end += 1
            token, pos = value[pos:end], end
            items.append(None if token.upper() == "NULL" else element(token))
        if value[pos] == "}":
            return items, pos + 1
        assert value[pos] == delimiter, f"bad array text at {pos}: {value!r}"
        pos += 1


def adbc_numeric(value: str) -> str:
    """ADBC's numeric strings spell the specials like C (nan, inf); PostgreSQL's way back."""
    return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(value, value)


def adbc_uuid(value: bytes) -> str:
    return str(uuid.UUID(bytes=value))


@dataclass(frozen=True)
class Skip:
    """This peer is not compared for this column, and why."""

    why: str


@dataclass(frozen=True)
class Compare:
    """Compare ``rust(rust column)`` with ``peer(peer column)``."""

    peer: Norm = canonical
    rust: Norm = canonical


SAME = Compare()
Peer = Compare | Skip


@dataclass(frozen=True)
class TypeCase:
    """One PostgreSQL type of the oracle: its values, its exact Rust Arrow type, the peers.

    ``values`` are SQL expressions (one per row; a NULL row is added). ``parse`` reads
    the server's text of ``server_sql`` (``{}`` is the column) into canonical values;
    ``python=None`` means the Python reader returns that text (parse it the same way).
    """

    name: str
    ddl: str
    values: tuple[str, ...]
    arrow: Any
    parse: Parse
    python: Peer | None = SAME
    adbc: Peer = SAME
    server_sql: str = "{}"

    @property
    def column(self) -> str:
        name = self.name.replace("[]", "_array").replace("-", "minus")
        return "c_" + re.sub(r"\W+", "_", name).strip("_")

    def python_peer(self) -> Compare | Skip:
        return Compare(peer=each(self.parse)) if self.python is None else self.python


@contextlib.contextmanager
def rust_module(site: Path) -> Iterator[ModuleType]:
    """``dativo_postgres_rs`` imported from the built wheel's site (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "path", [str(site), *sys.path])
        yield sys.modules.get("dativo_postgres_rs") or importlib.import_module("dativo_postgres_rs")


@contextlib.contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A fresh schema for one test (dropped with everything in it afterwards)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def run_sql(conn: psycopg.Connection[Any], statement: str) -> list[tuple[Any, ...]]:
    """Run test-built SQL (psycopg wants literal strings); return the rows, if any."""
    cursor = conn.execute(sql.SQL(statement))
    return cursor.fetchall() if cursor.description else []


def create_case_table(
    conn: psycopg.Connection[Any], schema: str, table: str, cases: Sequence[TypeCase]
) -> int:
    """A table ``id int4`` + one column per case; each column also gets a NULL row."""
    columns = ", ".join(f"{c.column} {c.ddl}" for c in cases)
    run_sql(conn, f'SET search_path TO "{schema}"')
    run_sql(conn, f"CREATE TABLE {table} (id int4 PRIMARY KEY, {columns})")
    rows = max(len(c.values) for c in cases) + 1
    for row in range(rows):
        values = ", ".join(c.values[row] if row < len(c.values) else "NULL" for c in cases)
        run_sql(conn, f"INSERT INTO {table} VALUES ({row}, {values})")
    return rows


@dataclass(frozen=True)
class Read:
    """What one reader returned: its schema and its columns in ``id`` order."""

    schema: Any
    columns: dict[str, list[Any]]  # canonical values
    raw: dict[str, Any]  # the Arrow columns, in read order
    batches: list[Any]

    @property
    def batch_sizes(self) -> list[int]:
        return [batch.num_rows for batch in self.batches]


def _read_result(schema: Any, batches: list[Any], order_by: str | None) -> Read:
    table = pa.Table.from_batches(batches, schema=schema)
    columns = {name: canonical(table[name]) for name in table.column_names}
    if order_by is not None:
        order = sorted(range(table.num_rows), key=lambda i: columns[order_by][i])
        columns = {name: [values[i] for i in order] for name, values in columns.items()}
    raw = {name: table[name] for name in table.column_names}
    return Read(schema, columns, raw, batches)


def read_rust(
    module: ModuleType,
    order_by: str | None = "id",
    c_stream: bool = False,
    incremental: Incremental | None = None,
    **config: Any,
) -> Read:
    """Read with the Rust reader: iterated as the runtime does, or through the C stream."""
    reader = module.PostgresRsReader(module.PostgresRsReaderConfig(**config))
    consume = pa.RecordBatchReader.from_stream if c_stream else iter_batches
    read = read_plugin(reader, order_by, consume, incremental)
    for batch in read.batches:
        assert batch.schema.equals(read.schema), f"batch schema {batch.schema} != {read.schema}"
    return read


def read_python(
    order_by: str | None = "id", incremental: Incremental | None = None, **config: Any
) -> Read:
    """Read with the Python default reader (``postgres``)."""
    reader = PostgresReader(PostgresReaderConfig(**config))
    return read_plugin(reader, order_by, iter_batches, incremental)


def read_plugin(reader: Any, order_by: str | None, consume: Any, incremental: Any) -> Read:
    try:
        schema = reader.schema()
        batches = list(consume(reader.read(incremental)))
    finally:
        reader.close()
    return _read_result(schema, batches, order_by)


def read_adbc(url: str, query: str, order_by: str | None = "id") -> Read:
    """Read with ADBC's PostgreSQL driver (``fetch_arrow_table``)."""
    with adbc.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(query)
        table = cursor.fetch_arrow_table()
    return _read_result(table.schema, table.to_batches(), order_by)


def read_server(url: str, query: str) -> list[tuple[str | None, ...]]:
    """The rows of ``query`` as the server's text forms (libpq text results, no parsing)."""
    with psycopg.connect(url, autocommit=True) as conn:
        result = conn.pgconn.exec_((SESSION + query).encode())  # the last result: the query
        assert result.error_message == b"", result.error_message.decode()
        return [
            tuple(
                None if (v := result.get_value(row, col)) is None else bytes(v).decode()
                for col in range(result.nfields)
            )
            for row in range(result.ntuples)
        ]


def mismatches(expected: list[Any], actual: list[Any], ids: list[Any]) -> list[str]:
    """Human-readable differences between two canonical columns (row ids named)."""
    if len(expected) != len(actual):
        return [f"{len(expected)} rows expected, {len(actual)} read"]
    return [
        f"id={row_id}: expected {want!r}, read {got!r}"
        for row_id, want, got in zip(ids, expected, actual, strict=True)
        if want != got
    ]

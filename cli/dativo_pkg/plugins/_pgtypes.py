"""What the PostgreSQL reader and writer share: the type maps (see _pgconn for the rest).

Both plugins move data with ``COPY ... (FORMAT csv)``: PostgreSQL writes and
reads every value in its text form, and pyarrow's C++ CSV reader and writer
turn that text into Arrow arrays and back. No Python runs per value, except
for the two rare interval types noted below.

Reading: PostgreSQL -> Arrow
============================

The reader describes its source first, picks a plan for each column from
the column's type OID (and its typmod, for ``numeric``), and builds the
``COPY (SELECT ...)`` from the plans. Only built-in types are matched, by
OID, so a user type that happens to be named ``int4`` cannot be mistaken for
it; a domain arrives as its base type (PostgreSQL reports it that way).

==========================  ==============================  ===============================
PostgreSQL                  Arrow                           how the value travels
==========================  ==============================  ===============================
int2, int4, int8            int16, int32, int64             text, parsed by pyarrow
oid                         uint32                          text (values above 2^31 stay
                                                            positive)
float4, float8              float32, float64                shortest exact text (NaN and
                                                            infinities included)
bool                        bool                            ``t`` / ``f``
text, varchar, bpchar,      string                          text (bpchar keeps its padding)
name, uuid, json, jsonb
bytea                       binary                          ``encode(col, 'hex')``, decoded
                                                            in one call per batch
date                        date32                          ``col - DATE '1970-01-01'`` (day
                                                            number: exact for every finite
                                                            date, BC included)
time                        time64[us]                      text
timestamp                   timestamp[us]                   ISO text
timestamptz                 timestamp[us, tz=UTC]           ISO text, session TimeZone=UTC
numeric(p, s), p <= 38,     decimal128(p, s)                text
0 <= s <= p
numeric without typmod,     string                          text form: it may hold NaN,
p > 38, or odd scale                                        Infinity or more digits than a
                                                            decimal128
interval                    month_day_nano_interval         ``"months days microseconds"``
                                                            computed with ``extract``, then
                                                            split in Python (rare type)
anything else: arrays,      string                          its text output form, as
enums, inet, money, ranges,                                 ``psql`` shows it
composites, timetz, xml...
==========================  ==============================  ===============================

Timestamps travel as text rather than as ``extract(epoch ...)`` because text
output costs the server half as much; the price is that ``infinity`` and
years outside 1..9999 cannot be parsed and fail the read with a DataError
naming the column (Python could not hold them either). Infinite dates fail
the same way, in the server's subtraction.

Writing: Arrow -> PostgreSQL
============================

=====================================  ==================  ==================================
Arrow                                  PostgreSQL          how the value travels
=====================================  ==================  ==================================
bool                                   boolean             ``true`` / ``false``
int8, uint8, int16                     smallint            text
uint16, int32                          integer             text
uint32, int64                          bigint              text
uint64                                 numeric(20, 0)      text
float16, float32                       real                shortest exact text
float64                                double precision    shortest exact text
string, large_string, string_view      text                quoted, so ``""`` is an empty
                                                           string and an unquoted empty
                                                           field is NULL
binary, large_binary, binary_view,     bytea               ``\\x`` + hex, built in one call per
fixed_size_binary                                          batch
date32, date64                         date                ISO text
time32, time64                         time                text
timestamp (no tz)                      timestamp           ISO text (ns rounded to us by the
                                                           server)
timestamp (any tz)                     timestamptz         converted to UTC, ISO text with
                                                           offset
decimal128/256(p, s), 0 <= s <= p      numeric(p, s)       text
decimal with another scale             numeric             text
duration                               interval            exact seconds text (Python per
                                                           value; rare type)
month_day_nano_interval                interval            ``m mons d days s seconds``
                                                           (Python per value; rare type)
null                                   text                always NULL
dictionary<values>                     as its values       decoded first
=====================================  ==================  ==================================

Lists, structs, maps and unions have no column type here: the writer refuses
them at ``open`` (cast them to a string, e.g. JSON, upstream).

Names, connections and errors
=============================

Table names are ``table`` or ``schema.table`` and are taken literally:
quoted, so case-sensitive, never folded to lower case. Connection URLs are
libpq URLs or ``key=value`` strings; they may hold a password, so no
message built here ever includes the URL or any part of it, and psycopg's
own connection messages (which name host and user) are replaced by a fixed
description of what went wrong.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql
from psycopg.postgres import types as builtin_types

__all__ = [
    "ColumnPlan",
    "PgColumnType",
    "csv_text_column",
    "pg_column_type",
    "plan_column",
]

ArrayFn = Callable[[pa.Array], pa.Array]

# --------------------------------------------------------------------------
# Reading: PostgreSQL -> Arrow
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """How one result column travels: SQL expression -> COPY CSV text -> Arrow array.

    ``expression`` is a SQL template in which ``{0}`` is the quoted column;
    pyarrow's CSV reader parses its text as ``csv_type``, and ``finish``
    turns that array into ``arrow_type`` (a plain cast when not given).
    """

    arrow_type: pa.DataType
    expression: str = "{0}"
    csv_type: pa.DataType | None = None
    finish: ArrayFn | None = None

    @property
    def parse_type(self) -> pa.DataType:
        """The type pyarrow's CSV reader converts the text to."""
        return self.csv_type or self.arrow_type

    def select(self, column: sql.Composable) -> sql.Composable:
        """The SELECT-list expression for ``column``."""
        return sql.SQL(self.expression).format(column)

    def to_arrow(self, parsed: pa.Array) -> pa.Array:
        """Turn the array pyarrow parsed into the column's Arrow type."""
        if self.finish is not None:
            return self.finish(parsed)
        if parsed.type != self.arrow_type:
            return parsed.cast(self.arrow_type)
        return parsed


def _binary_from_hex(hexes: pa.Array) -> pa.Array:
    """Decode an array of hex digits into binary, in one call for the whole array.

    The hex text of all values is contiguous in the array's data buffer, so
    it is decoded at once and every offset is halved.
    """
    hexes = hexes.cast(pa.large_binary())
    if hexes.offset:
        hexes = pa.concat_arrays([hexes])  # a fresh copy starts at offset 0
    validity, offsets_buf, data_buf = hexes.buffers()
    offsets = pa.Array.from_buffers(pa.int64(), len(hexes) + 1, [None, offsets_buf])
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    raw = binascii.unhexlify(memoryview(data_buf)[start:end]) if end > start else b""
    halved = pc.divide(pc.subtract(offsets, start), 2)
    return pa.Array.from_buffers(
        pa.large_binary(),
        len(hexes),
        [validity, halved.buffers()[1], pa.py_buffer(raw)],
        null_count=hexes.null_count,
    ).cast(pa.binary())


def _interval_from_parts(texts: pa.Array) -> pa.Array:
    """Parse ``"months days microseconds"`` strings into month_day_nano intervals."""

    def parse(text: str) -> tuple[int, int, int]:
        months, days, micros = text.split()
        return int(months), int(days), int(micros) * 1000

    return pa.array(
        [None if text is None else parse(text) for text in texts.to_pylist()],
        type=pa.month_day_nano_interval(),
    )


_TEXT = ColumnPlan(pa.string())

#: Built-in type name -> plan. ``numeric`` is planned from its typmod instead.
_PLANS: dict[str, ColumnPlan] = {
    "int2": ColumnPlan(pa.int16()),
    "int4": ColumnPlan(pa.int32()),
    "int8": ColumnPlan(pa.int64()),
    "oid": ColumnPlan(pa.uint32()),
    "float4": ColumnPlan(pa.float32()),
    "float8": ColumnPlan(pa.float64()),
    "bool": ColumnPlan(pa.bool_()),
    "text": _TEXT,
    "varchar": _TEXT,
    "bpchar": _TEXT,
    "name": _TEXT,
    "uuid": _TEXT,
    "json": _TEXT,
    "jsonb": _TEXT,
    "bytea": ColumnPlan(pa.binary(), "encode({0}, 'hex')", pa.binary(), _binary_from_hex),
    "date": ColumnPlan(pa.date32(), "({0} - DATE '1970-01-01')", pa.int32()),
    "time": ColumnPlan(pa.time64("us")),
    "timestamp": ColumnPlan(pa.timestamp("us")),
    "timestamptz": ColumnPlan(pa.timestamp("us", tz="UTC")),
    "interval": ColumnPlan(
        pa.month_day_nano_interval(),
        # The three fields PostgreSQL stores: months, days, and the time part.
        # date_trunc('day', i) keeps months and days, so i minus it is the time part.
        "(CAST(extract(year FROM {0}) * 12 + extract(month FROM {0}) AS int8)"
        " || ' ' || CAST(extract(day FROM {0}) AS int8)"
        " || ' ' || CAST(extract(epoch FROM {0} - date_trunc('day', {0})) * 1000000 AS int8))",
        pa.string(),
        _interval_from_parts,
    ),
}

#: decimal128 holds at most 38 digits.
_MAX_DECIMAL128_PRECISION = 38


def _numeric_plan(precision: int | None, scale: int | None) -> ColumnPlan:
    """numeric(p, s) fits decimal128(p, s); anything else is read as its exact text."""
    if (
        precision is not None
        and scale is not None
        and 1 <= precision <= _MAX_DECIMAL128_PRECISION
        and 0 <= scale <= precision
    ):
        return ColumnPlan(pa.decimal128(precision, scale))
    return _TEXT


def plan_column(type_oid: int, precision: int | None, scale: int | None) -> ColumnPlan:
    """The plan for a result column, from its type OID and (for numeric) typmod.

    ``precision`` and ``scale`` are psycopg's ``Column.precision`` and
    ``Column.scale``. Types that are not built-in, or built-in but not in the
    map, travel as their text form.
    """
    info = builtin_types.get(type_oid)
    if info is None or info.oid != type_oid:  # get() also answers for array OIDs
        return _TEXT
    if info.name == "numeric":
        return _numeric_plan(precision, scale)
    return _PLANS.get(info.name, _TEXT)


# --------------------------------------------------------------------------
# Writing: Arrow -> PostgreSQL
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PgColumnType:
    """The PostgreSQL column type for an Arrow type, and how its values become CSV text.

    ``to_csv`` prepares an array for ``pyarrow.csv.write_csv`` when its
    default rendering is not what ``COPY`` reads (None: written as is).
    """

    ddl: str
    to_csv: ArrayFn | None = None


def _bytea_hex(values: pa.Array) -> pa.Array:
    """Render binary values as bytea hex input (``\\x0102``), in one call for the array."""
    values = values.cast(pa.large_binary())
    if values.offset:
        values = pa.concat_arrays([values])
    validity, offsets_buf, data_buf = values.buffers()
    offsets = pa.Array.from_buffers(pa.int64(), len(values) + 1, [None, offsets_buf])
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    hexed = binascii.hexlify(memoryview(data_buf)[start:end]) if end > start else b""
    doubled = pc.multiply(pc.subtract(offsets, start), 2)
    hexes = pa.Array.from_buffers(
        pa.large_string(),
        len(values),
        [validity, doubled.buffers()[1], pa.py_buffer(hexed)],
        null_count=values.null_count,
    )
    prefix, nothing = pa.scalar("\\x", pa.large_string()), pa.scalar("", pa.large_string())
    return pc.binary_join_element_wise(prefix, hexes, nothing)


def _seconds_text(nanos: int) -> str:
    """Exact decimal seconds for PostgreSQL interval input (it rounds to microseconds)."""
    return f"{Decimal(nanos).scaleb(-9)} seconds"


def _duration_text(values: pa.Array) -> pa.Array:
    nanos = values.cast(pa.duration("ns")).cast(pa.int64())
    return pa.array(
        [None if n is None else _seconds_text(n) for n in nanos.to_pylist()], type=pa.string()
    )


def _month_day_nano_text(values: pa.Array) -> pa.Array:
    return pa.array(
        [
            None if v is None else f"{v.months} mons {v.days} days {_seconds_text(v.nanoseconds)}"
            for v in values.to_pylist()
        ],
        type=pa.string(),
    )


def _to_utc(values: pa.Array) -> pa.Array:
    # Same instants, rendered with a +00 offset: pyarrow would otherwise write the
    # local time with an offset rounded to minutes (wrong for historic zones).
    return values.cast(pa.timestamp(values.type.unit, tz="UTC"))


#: Arrow types with one fixed PostgreSQL type.
_FIXED_TYPES: dict[pa.DataType, PgColumnType] = {
    pa.bool_(): PgColumnType("boolean"),
    pa.int8(): PgColumnType("smallint"),
    pa.uint8(): PgColumnType("smallint"),
    pa.int16(): PgColumnType("smallint"),
    pa.uint16(): PgColumnType("integer"),
    pa.int32(): PgColumnType("integer"),
    pa.uint32(): PgColumnType("bigint"),
    pa.int64(): PgColumnType("bigint"),
    pa.uint64(): PgColumnType("numeric(20, 0)"),
    pa.float16(): PgColumnType("real", lambda a: a.cast(pa.float32())),
    pa.float32(): PgColumnType("real"),
    pa.float64(): PgColumnType("double precision"),
    pa.string(): PgColumnType("text"),
    pa.large_string(): PgColumnType("text"),
    pa.string_view(): PgColumnType("text", lambda a: a.cast(pa.string())),
    pa.binary(): PgColumnType("bytea", _bytea_hex),
    pa.large_binary(): PgColumnType("bytea", _bytea_hex),
    pa.binary_view(): PgColumnType("bytea", _bytea_hex),
    pa.date32(): PgColumnType("date"),
    pa.date64(): PgColumnType("date"),
    pa.month_day_nano_interval(): PgColumnType("interval", _month_day_nano_text),
    pa.null(): PgColumnType("text"),
}


def _decimal_type(arrow_type: pa.DataType) -> PgColumnType:
    precision, scale = arrow_type.precision, arrow_type.scale
    return PgColumnType(f"numeric({precision}, {scale})" if 0 <= scale <= precision else "numeric")


def _timestamp_type(arrow_type: pa.DataType) -> PgColumnType:
    return PgColumnType("timestamptz", _to_utc) if arrow_type.tz else PgColumnType("timestamp")


#: Parametrised Arrow types: (test, PostgreSQL type for the Arrow type).
_PARAMETRISED_TYPES: list[tuple[Callable[[pa.DataType], bool], Callable[[Any], PgColumnType]]] = [
    (pa.types.is_timestamp, _timestamp_type),
    (pa.types.is_decimal, _decimal_type),
    (pa.types.is_time, lambda _: PgColumnType("time")),
    (pa.types.is_fixed_size_binary, lambda _: PgColumnType("bytea", _bytea_hex)),
    (pa.types.is_duration, lambda _: PgColumnType("interval", _duration_text)),
]


def pg_column_type(arrow_type: pa.DataType) -> PgColumnType | None:
    """The PostgreSQL type for an Arrow type, or None when there is none (lists, structs...)."""
    if pa.types.is_dictionary(arrow_type):
        inner = pg_column_type(arrow_type.value_type)
        if inner is None:
            return None
        decode_then: ArrayFn = inner.to_csv or (lambda a: a)
        value_type = arrow_type.value_type
        return PgColumnType(inner.ddl, lambda a: decode_then(a.cast(value_type)))
    fixed = _FIXED_TYPES.get(arrow_type)
    if fixed is not None:
        return fixed
    for matches, build in _PARAMETRISED_TYPES:
        if matches(arrow_type):
            return build(arrow_type)
    return None


def csv_text_column(column_type: PgColumnType, values: pa.Array) -> pa.Array:
    """``values`` made ready for ``pyarrow.csv.write_csv`` and PostgreSQL's COPY."""
    return column_type.to_csv(values) if column_type.to_csv is not None else values

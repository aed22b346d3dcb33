"""What the PostgreSQL reader and writer share: type maps, names, connections, errors.

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
from typing import Any, NamedTuple

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.postgres import types as builtin_types

from dativo_pkg.errors import (
    ConfigError,
    DataError,
    DativoError,
    PluginError,
    SourceUnreachable,
)

__all__ = [
    "ColumnPlan",
    "PgColumnType",
    "TableName",
    "check_url",
    "connect",
    "csv_text_column",
    "pg_column_type",
    "plan_column",
    "sqlstate_error",
    "translate_error",
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


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


class TableName(NamedTuple):
    """A table name as written in a config: ``name`` or ``schema.name``, taken literally."""

    schema: str | None
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """Split ``schema.table``; raise ValueError (without the value) when malformed."""
        parts = text.split(".")
        if len(parts) > 2 or not all(parts):
            raise ValueError("expected 'table' or 'schema.table' (names may not contain '.')")
        return cls(None, parts[0]) if len(parts) == 1 else cls(parts[0], parts[1])

    @property
    def identifier(self) -> sql.Identifier:
        """The quoted SQL identifier."""
        parts = (self.name,) if self.schema is None else (self.schema, self.name)
        return sql.Identifier(*parts)

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


# --------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------

#: libpq settings the plugins choose unless the URL sets them.
_CONNECT_DEFAULTS = {"connect_timeout": "10", "application_name": "dativo"}

#: Fragments of libpq/psycopg connection messages -> (what went wrong, next step).
#: The messages themselves are never shown: they name the host and the user.
_CONNECT_FAILURES: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("connection refused",),
        "the server refused the connection",
        "check that PostgreSQL runs and that host and port in `url` are right",
    ),
    (
        ("resolve host", "translate host name", "name or service not known", "nodename nor"),
        "the host name does not resolve",
        "check the host in `url`",
    ),
    (
        ("timeout expired", "timed out"),
        "the connection timed out",
        "check host, port and firewalls; set connect_timeout in `url` to wait longer",
    ),
    (
        ("no route to host", "network is unreachable"),
        "there is no network route to the server",
        "check the host in `url` and the network",
    ),
    (
        ("password authentication failed", "no password supplied", "role", "pg_hba.conf"),
        "authentication failed",
        "check the user and password in `url` and the server's pg_hba.conf",
    ),
    (
        ("database",),
        "the database does not exist",
        "check the database name in `url`",
    ),
    (
        ("ssl", "certificate"),
        "the TLS handshake failed",
        "check sslmode and the certificates in `url`",
    ),
]


def check_url(url: str) -> str:
    """Validate a libpq connection string without connecting (for config validators)."""
    if not url.strip():
        raise ValueError("must not be empty")
    try:
        conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ValueError("not a valid libpq connection URL or key=value string") from exc
    return url


def _describe_connect_failure(exc: psycopg.Error) -> SourceUnreachable:
    text = str(exc).lower()
    for fragments, what, hint in _CONNECT_FAILURES:
        if any(fragment in text for fragment in fragments):
            return SourceUnreachable(f"cannot connect to PostgreSQL: {what}", hint=hint)
    return SourceUnreachable(
        "cannot connect to PostgreSQL",
        hint="check host, port, user, password and database in `url`",
    )


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Connect with UTF-8 client encoding; raise SourceUnreachable without the URL in it."""
    given = conninfo_to_dict(url)
    extra = {key: value for key, value in _CONNECT_DEFAULTS.items() if key not in given}
    conninfo = make_conninfo(url, client_encoding="UTF8", **extra)
    try:
        return psycopg.connect(conninfo, autocommit=autocommit)
    except psycopg.Error as exc:
        raise _describe_connect_failure(exc) from None  # the cause names host and user


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

#: SQLSTATE code or two-character class -> (error type, message template, hint).
#: Templates see ``subject`` (e.g. "table public.orders") and ``detail``, the
#: server's primary message (it names SQL objects and values, never the URL).
_SQLSTATE_ERRORS: dict[str, tuple[type[DativoError], str, str]] = {
    "42P01": (
        ConfigError,
        "{subject}: {detail}",
        "check the table name: 'schema.table', case-sensitive as stored",
    ),
    "3F000": (ConfigError, "{subject}: {detail}", "create the schema or fix the table name"),
    "42703": (ConfigError, "{subject}: {detail}", "check the column names"),
    "42501": (
        SourceUnreachable,
        "{subject}: {detail}",
        "grant the connecting user the privileges it needs",
    ),
    "25006": (
        ConfigError,
        "{subject} tries to write, but the reader runs read-only: {detail}",
        "read with a SELECT",
    ),
    "0A": (
        ConfigError,
        "{subject} uses what PostgreSQL does not support here: {detail}",
        "rewrite the SQL",
    ),
    "42": (ConfigError, "{subject} is not valid SQL here: {detail}", "fix the SQL"),
    "22": (DataError, "{subject}: a value failed: {detail}", "fix or filter the value"),
    "23": (DataError, "{subject}: a row breaks a constraint: {detail}", "fix or filter the row"),
    "08": (
        SourceUnreachable,
        "{subject}: the connection to PostgreSQL broke: {detail}",
        "check the server and the network, then run again",
    ),
    "57": (
        SourceUnreachable,
        "{subject}: the server stopped the statement: {detail}",
        "check the server (shutdown, statement_timeout), then run again",
    ),
    "53": (
        SourceUnreachable,
        "{subject}: the server ran out of resources: {detail}",
        "check disk space and memory on the server",
    ),
}


def translate_error(exc: psycopg.Error, *, subject: str) -> DativoError:
    """Turn a psycopg error into the package's error type, by SQLSTATE."""
    if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
        return SourceUnreachable(
            f"{subject}: the connection to PostgreSQL failed",
            hint="check the server and the network, then run again",
        )
    detail = exc.diag.message_primary or type(exc).__name__
    return sqlstate_error(exc.sqlstate or "", detail, subject=subject)


def sqlstate_error(sqlstate: str, detail: str, *, subject: str) -> DativoError:
    """The package's error for a server error with this SQLSTATE and primary message."""
    found = _SQLSTATE_ERRORS.get(sqlstate) or _SQLSTATE_ERRORS.get(sqlstate[:2])
    if found is None:
        return PluginError(f"{subject}: PostgreSQL error {sqlstate or '(no SQLSTATE)'}: {detail}")
    error_type, template, hint = found
    return error_type(template.format(subject=subject, detail=detail), hint=hint)

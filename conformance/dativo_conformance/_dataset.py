"""The standard dataset every plugin is tested and benchmarked on.

Columns (each but ``id`` has nulls, at different rows; no empty strings):

=========== ====================== ==============================================
id          int64                  unique, increasing: the incremental cursor
name        string                 ASCII, and every fifth row quotes, a comma and
                                   non-ASCII letters (CSV quoting is exercised)
amount      float64                always ``k + 0.25`` (exact in binary), some
                                   negative, never a whole number (so CSV type
                                   inference cannot take it for an integer)
active      bool
created_at  timestamp[us, UTC]     whole seconds
day         date32
=========== ====================== ==============================================

The typed fixtures (parquet, postgres) add ``price`` decimal128(12, 2) and
``payload`` binary. Values are a pure function of ``id``, so appending rows
(``start_id``) continues the same dataset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyarrow as pa

__all__ = ["STANDARD_SCHEMA", "TYPED_SCHEMA", "standard_table"]

STANDARD_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("active", pa.bool_()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("day", pa.date32()),
    ]
)
TYPED_SCHEMA = pa.schema(
    [*STANDARD_SCHEMA, pa.field("price", pa.decimal128(12, 2)), pa.field("payload", pa.binary())]
)

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_FIRST_DAY = dt.date(2024, 1, 1)


def _names(ids: range) -> list[str | None]:
    return [None if i % 11 == 5 else f'Zoë "{i}", Ltd' if i % 5 == 0 else f"name-{i}" for i in ids]


def _amounts(ids: range) -> list[float | None]:
    return [
        None if i % 7 == 3 else ((i * 7919) % 100_000 + 0.25) * (-1 if i % 3 == 0 else 1)
        for i in ids
    ]


def _actives(ids: range) -> list[bool | None]:
    return [None if i % 13 == 6 else i % 2 == 0 for i in ids]


def _created_ats(ids: range) -> pa.Array:
    # Whole seconds since 2024-01-01T00:00:00Z, built as integers and cast (fast).
    start = int(_EPOCH.timestamp())
    seconds = pa.array([None if i % 17 == 8 else start + i * 3607 for i in ids], pa.int64())
    return seconds.cast(pa.timestamp("s", tz="UTC")).cast(pa.timestamp("us", tz="UTC"))


def _days(ids: range) -> pa.Array:
    first = (_FIRST_DAY - dt.date(1970, 1, 1)).days
    days = pa.array([None if i % 19 == 9 else first + i % 366 for i in ids], pa.int32())
    return days.cast(pa.date32())


def _prices(ids: range) -> list[Decimal | None]:
    return [None if i % 23 == 4 else Decimal(i * 31 % 1_000_000) / 100 for i in ids]


def _payloads(ids: range) -> list[bytes | None]:
    return [None if i % 29 == 7 else i.to_bytes(4, "big") + b"\x00\xff" for i in ids]


_COLUMNS: dict[str, Callable[[range], Any]] = {
    "name": _names,
    "amount": _amounts,
    "active": _actives,
    "created_at": _created_ats,
    "day": _days,
    "price": _prices,
    "payload": _payloads,
}


def standard_table(rows: int, *, start_id: int = 1, typed: bool = False) -> pa.Table:
    """``rows`` rows of the standard dataset, ids from ``start_id`` on.

    ``typed`` adds the decimal and binary columns of the typed fixtures.
    """
    if rows < 0:
        raise ValueError("rows must not be negative")
    schema = TYPED_SCHEMA if typed else STANDARD_SCHEMA
    ids = range(start_id, start_id + rows)
    arrays = [pa.array(ids, pa.int64())]
    arrays += [pa.array(_COLUMNS[f.name](ids), f.type) for f in list(schema)[1:]]
    return pa.Table.from_arrays(arrays, schema=schema)

"""Compare what a plugin produced with the standard dataset: values, nulls and types.

Types are compared by family, since plugins legitimately choose widths and
units: any integer for an integer column, any float for a float, string or
large_string, date32 or date64, any timestamp. Timestamps are compared as
UTC instants whatever their unit or time zone (a zone-less timestamp is
taken as UTC), floats with a relative tolerance of 1e-9.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from dativo_conformance._check import CheckFailed

__all__ = ["TYPE_FAMILIES", "assert_same_data", "family_of"]

#: Family name -> predicate on an Arrow type.
TYPE_FAMILIES: dict[str, Callable[[pa.DataType], bool]] = {
    "integer": pa.types.is_integer,
    "float": pa.types.is_floating,
    "boolean": pa.types.is_boolean,
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    "timestamp": pa.types.is_timestamp,
    "date": lambda t: pa.types.is_date32(t) or pa.types.is_date64(t),
    "decimal": pa.types.is_decimal,
    "binary": lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t),
}

#: At most this many differences are named in a failure.
_SHOWN = 3


def family_of(arrow_type: pa.DataType) -> str:
    for name, matches in TYPE_FAMILIES.items():
        if matches(arrow_type):
            return name
    return str(arrow_type)


def _normalize(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    return value


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=1e-9)
    return bool(_normalize(expected) == _normalize(actual))


def assert_same_data(
    actual: pa.Table, expected: pa.Table, *, what: str, key: str = "id", ordered: bool = False
) -> None:
    """Raise CheckFailed naming the first differences between ``actual`` and ``expected``.

    Rows are matched by ``key`` (sorted by it first unless ``ordered``); extra
    columns in ``actual`` are allowed, missing ones are not.
    """
    missing = [n for n in expected.schema.names if n not in actual.schema.names]
    if missing:
        raise CheckFailed(
            f"{what} lacks column(s) {', '.join(missing)} (it has {', '.join(actual.schema.names)})"
        )
    wrong_types = [
        f"{f.name}: expected {family_of(f.type)} ({f.type}), got {actual.schema.field(f.name).type}"
        for f in expected.schema
        if not TYPE_FAMILIES[family_of(f.type)](actual.schema.field(f.name).type)
    ]
    if wrong_types:
        raise CheckFailed(f"{what} changed column types: {'; '.join(wrong_types)}")
    if actual.num_rows != expected.num_rows:
        raise CheckFailed(f"{what} has {actual.num_rows} rows, expected {expected.num_rows}")
    if not ordered:
        actual = actual.sort_by(key)
        expected = expected.sort_by(key)
    keys = expected.column(key).to_pylist()
    problems: list[str] = []
    for name in expected.schema.names:
        want = expected.column(name).to_pylist()
        got = actual.column(name).to_pylist()
        for row_key, w, g in zip(keys, want, got, strict=True):
            if (w is None) != (g is None):
                problems.append(
                    f"nulls not preserved: {name} at {key}={row_key}: expected "
                    f"{'null' if w is None else repr(w)}, got {'null' if g is None else repr(g)}"
                )
            elif w is not None and not _equal(w, g):
                problems.append(f"{name} at {key}={row_key}: expected {w!r}, got {g!r}")
            if len(problems) > _SHOWN:
                break
        if len(problems) > _SHOWN:
            break
    if problems:
        shown = "; ".join(problems[:_SHOWN])
        more = " (and more)" if len(problems) > _SHOWN else ""
        raise CheckFailed(f"{what} differs from the dataset: {shown}{more}")

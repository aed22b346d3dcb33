"""The state file: round trips of cursor values, atomic writes, damaged files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from dativo_pkg.errors import StateError
from dativo_pkg.state import CursorState, PendingCommit, StateStore

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "arrow_type"),
    [
        (42, pa.int64()),
        (7, pa.uint32()),
        (1.5, pa.float64()),
        ("2024-03-01 b", pa.string()),
        (dt.date(2024, 3, 1), pa.date32()),
        (dt.datetime(2024, 3, 1, 12, 30, 0, 123456), pa.timestamp("us")),
        (dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC), pa.timestamp("us", tz="UTC")),
        (Decimal("1234.56"), pa.decimal128(10, 2)),
    ],
)
def test_cursor_values_survive_the_file(
    tmp_path: Path, value: object, arrow_type: pa.DataType
) -> None:
    state = CursorState.from_scalar("c", pa.scalar(value, type=arrow_type))
    store = StateStore(tmp_path / "s.json")
    store.promote(PendingCommit("id", state))
    loaded = store.load()
    assert loaded == state
    assert loaded is not None and loaded.value == value


def test_pending_is_separate_until_promoted(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state" / "s.json")
    assert store.load() is None and store.pending() is None
    store.write_pending("abc", CursorState("c", 1, "int64"))
    assert store.load() is None
    pending = store.pending()
    assert pending == PendingCommit("abc", CursorState("c", 1, "int64"))
    store.promote(pending)
    assert store.load() == CursorState("c", 1, "int64")
    assert store.pending() is None
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"cursor_field": "c"}',
        '{"cursor_field": "c", "value": "x", "arrow_type": "int64"}',
    ],
)
def test_a_damaged_state_file_is_an_error_with_a_way_out(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(StateError, match="delete it to read everything again"):
        StateStore(path).load()

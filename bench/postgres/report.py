"""Results of a run: ratios, the issue's goals, rich tables for a terminal, JSON for machines.

Ratios, per table (each from medians of wall time, fresh process per run):

* ``to_server_floor``: tool seconds / server-floor seconds (1.0 = the floor);
* ``postgres_rs_speedup``: peer seconds / postgres_rs seconds, per peer
  (above 1: the Rust reader is faster);
* ``postgres_rs_vs_python_default``: Python default seconds / postgres_rs
  seconds (the design's "10x" claim);
* ``python_default_vs_psycopg``: psycopg cursor seconds / Python default
  seconds (the issue wants at least 1.0);
* ``partitions_2_speedup``: postgres_rs seconds / postgres_rs partitions=2 seconds.

The same with read time (``read_*``): what a Python tool timed itself after
importing its libraries, so interpreter and import start-up (about 0.5-0.9 s
for dativo_pkg, 0.2-0.5 s for the others) is left out; a floor's read time is
its wall time. The goals are judged on wall time, as the issue measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contenders import TOOLS
from measure import Summary
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["TableResult", "ToolResult", "goals", "payload", "print_report", "ratios"]

OURS, OURS_P2, DEFAULT, CURSOR, SERVER = (
    "postgres_rs",
    "postgres_rs_p2",
    "postgres",
    "psycopg",
    "server",
)


@dataclass
class ToolResult:
    key: str
    status: str  # "ok", "failed" or "not installed"
    reason: str | None = None
    summary: Summary | None = None
    read_s: float | None = None  # median of what the process timed itself
    rows: int | None = None
    schema: list[list[str]] | None = None
    version: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.summary is not None


@dataclass
class TableResult:
    key: str
    name: str
    rows: int
    copy_bytes: int
    typed_columns: tuple[str, ...]
    tools: dict[str, ToolResult] = field(default_factory=dict)

    def seconds(self, key: str) -> float | None:
        result = self.tools.get(key)
        return result.summary.seconds if result and result.ok and result.summary else None

    def read_seconds(self, key: str) -> float | None:
        """The tool's own read time; a floor's wall time."""
        result = self.tools.get(key)
        if result and result.ok and result.read_s is not None:
            return result.read_s
        return self.seconds(key)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 3)


def ratios(table: TableResult) -> dict[str, Any]:
    """Every ratio of the module docstring; None where a tool did not run."""
    s, read = table.seconds, table.read_seconds
    peers = [key for key in table.tools if key not in (OURS, OURS_P2)]
    return {
        "to_server_floor": {key: _ratio(s(key), s(SERVER)) for key in table.tools},
        "postgres_rs_speedup": {key: _ratio(s(key), s(OURS)) for key in peers},
        "postgres_rs_vs_python_default": _ratio(s(DEFAULT), s(OURS)),
        "python_default_vs_psycopg": _ratio(s(CURSOR), s(DEFAULT)),
        "partitions_2_speedup": _ratio(s(OURS), s(OURS_P2)),
        "read_to_server_floor": {key: _ratio(read(key), s(SERVER)) for key in table.tools},
        "read_postgres_rs_speedup": {key: _ratio(read(key), read(OURS)) for key in peers},
        "read_postgres_rs_vs_python_default": _ratio(read(DEFAULT), read(OURS)),
        "read_python_default_vs_psycopg": _ratio(read(CURSOR), read(DEFAULT)),
        "read_partitions_2_speedup": _ratio(read(OURS), read(OURS_P2)),
    }


def _types(table: TableResult, key: str) -> list[str] | None:
    result = table.tools.get(key)
    if result is None or result.schema is None or not table.typed_columns:
        return None
    found = dict((name, kind) for name, kind in result.schema)
    return [found.get(column, "missing") for column in table.typed_columns]


def goals(table: TableResult) -> list[dict[str, Any]]:
    """The issue's goals for this table, judged on wall time and, beside it, on read time."""
    r = ratios(table)
    lineitem = table.key == "lineitem"
    need = 1.4 if lineitem else 1.0
    # (goal, wall-time value, read-time value, check)
    items: list[tuple[str, float | None, float | None, Callable[[float], bool]]] = [
        (
            "postgres_rs within 1.3x of the server floor",
            r["to_server_floor"].get(OURS),
            r["read_to_server_floor"].get(OURS),
            lambda v: v <= 1.3,
        )
    ]
    for peer in ("adbc", "connectorx") if lineitem else ("adbc",):
        wall, read = r["postgres_rs_speedup"].get(peer), r["read_postgres_rs_speedup"].get(peer)
        text = f"postgres_rs >= {need}x faster than {peer}"
        items.append((text, wall, read, lambda v: v >= need))
    ours, adbc = table.tools.get(OURS), table.tools.get("adbc")
    rss = (
        _ratio(ours.summary.peak_rss_mb, adbc.summary.peak_rss_mb)
        if ours and adbc and ours.ok and adbc.ok and ours.summary and adbc.summary
        else None
    )
    items.append(("postgres_rs peak RSS <= ADBC's (ours / ADBC)", rss, rss, lambda v: v <= 1.0))
    items.append(
        (
            "Python default no slower than psycopg cursor",
            r["python_default_vs_psycopg"],
            r["read_python_default_vs_psycopg"],
            lambda v: v >= 1.0,
        )
    )
    out: list[dict[str, Any]] = [
        {
            "goal": text,
            "value": wall,
            "met": None if wall is None else check(wall),
            "read_value": read,
            "read_met": None if read is None else check(read),
        }
        for text, wall, read, check in items
    ]
    types = _types(table, OURS)
    if types is not None and lineitem:
        found = ", ".join(sorted(set(types)))
        exact = found == "decimal128(15, 2)"
        text = "postgres_rs numeric(15,2) -> decimal128(15, 2)"
        out.append(
            {"goal": text, "value": found, "met": exact, "read_value": found, "read_met": exact}
        )
    return out


def payload(tables: list[TableResult], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a run."""
    out: dict[str, Any] = {**meta, "tables": {}}
    for table in tables:
        tools: dict[str, Any] = {}
        for key, result in table.tools.items():
            entry: dict[str, Any] = {"label": TOOLS[key].label, "status": result.status}
            if result.reason and result.reason != result.status:
                entry["reason"] = result.reason
            if result.ok and result.summary:
                seconds = result.summary.seconds
                entry |= {
                    "seconds": round(seconds, 4),
                    "runs": result.summary.runs,
                    "read_seconds": None if result.read_s is None else round(result.read_s, 4),
                    "rows": result.rows,
                    "rows_per_s": round(table.rows / seconds),
                    "mb_per_s": round(table.copy_bytes / 1e6 / seconds, 2),
                    "peak_rss_mb": None if key == SERVER else round(result.summary.peak_rss_mb, 1),
                }
            if result.version:
                entry["version"] = result.version
            types = _types(table, key)
            if types is not None:
                entry["types"] = dict(zip(table.typed_columns, types, strict=True))
            tools[key] = entry
        out["tables"][table.key] = {
            "table": table.name,
            "rows": table.rows,
            "copy_bytes": table.copy_bytes,
            "tools": tools,
            "ratios": ratios(table),
            "goals": goals(table),
        }
    return out


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _tool_table(table: TableResult, repeat: int) -> Table:
    mb = table.copy_bytes / 1e6
    view = Table(
        title=f"{table.key}: {table.name}, {table.rows:,} rows, {mb:,.1f} MB binary COPY, "
        f"median of {repeat}",
        title_justify="left",
    )
    view.add_column("tool")
    columns = ("s", "read s", "rows/s", "MB/s", "peak RSS MB", "/ floor", "read / floor")
    for column in (*columns, "rs speed-up", "read speed-up"):
        view.add_column(column, justify="right")
    r = ratios(table)
    for key, result in table.tools.items():
        label = TOOLS[key].label
        if not result.ok or result.summary is None:
            view.add_row(label, result.status, *[""] * 8)
            continue
        seconds = result.summary.seconds
        view.add_row(
            label,
            f"{seconds:.2f}",
            "" if result.read_s is None else f"{result.read_s:.2f}",
            f"{table.rows / seconds:,.0f}",
            f"{mb / seconds:,.1f}",
            "n/a" if key == SERVER else f"{result.summary.peak_rss_mb:,.0f}",
            _x(r["to_server_floor"].get(key)),
            _x(r["read_to_server_floor"].get(key)),
            _x(r["postgres_rs_speedup"].get(key)),
            _x(r["read_postgres_rs_speedup"].get(key)),
        )
    return view


_YES_NO = {True: "yes", False: "NO", None: "-"}


def _shown(value: float | str | None) -> str:
    return f"{value:.2f}" if isinstance(value, float) else escape(str(value or "not run"))


def print_report(console: Console, tables: list[TableResult], repeat: int) -> None:
    """The rich tables: per tool, the headline ratios, the goals, the Arrow types."""
    for table in tables:
        console.print(_tool_table(table, repeat))
        for key, result in table.tools.items():
            if result.status == "failed":
                reason = escape(result.reason or "")
                console.print(f"  {escape(TOOLS[key].label)}: failed: {reason}")
    headline = Table(title="ratios (from median seconds)", title_justify="left")
    headline.add_column("ratio")
    for table in tables:
        headline.add_column(table.key, justify="right")
    rows = [
        ("postgres_rs vs Python default (default s / rs s)", "postgres_rs_vs_python_default"),
        ("Python default vs psycopg cursor (cursor s / default s)", "python_default_vs_psycopg"),
        ("postgres_rs partitions=2 speed-up (p1 s / p2 s)", "partitions_2_speedup"),
    ]
    all_ratios = [ratios(t) for t in tables]
    for text, key in rows:
        headline.add_row(text, *[_x(r[key]) for r in all_ratios])
    for text, key in rows:
        headline.add_row(f"{text}, read time", *[_x(r[f"read_{key}"]) for r in all_ratios])
    console.print(headline)
    view = Table(title="goals of issue 6", title_justify="left")
    for column in ("table", "goal", "wall time", "met", "read time", "met"):
        view.add_column(column)
    for table in tables:
        for goal in goals(table):
            view.add_row(
                table.key,
                goal["goal"],
                _shown(goal["value"]),
                _YES_NO[goal["met"]],
                _shown(goal["read_value"]),
                _YES_NO[goal["read_met"]],
            )
    console.print(view)
    for table in tables:
        if not table.typed_columns:
            continue
        types = Table(title=f"Arrow types produced for {table.key}", title_justify="left")
        types.add_column("tool")
        for column in table.typed_columns:
            types.add_column(column)
        for key in table.tools:
            found = _types(table, key)
            if found is not None:
                types.add_row(TOOLS[key].label, *map(escape, found))
        console.print(types)

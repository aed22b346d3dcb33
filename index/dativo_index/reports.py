"""Conformance reports and benchmark results, read from attachment bodies for display.

The bodies are the predicates ``dativo-pkg test`` and ``dativo-pkg bench``
write (``dativo_conformance``'s ``Report.to_json()`` and ``run_benchmark``).
An unsigned attachment may be any JSON object, so everything is read
defensively: a body that is not a report or a benchmark gives no checks or
no result, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BenchmarkResult", "Check", "Measurement", "benchmark_result", "conformance_checks"]

_MAX_CHECKS = 500


@dataclass(frozen=True)
class Check:
    """One check of a conformance report."""

    id: str
    title: str
    level: str
    #: passed, failed, not-applicable or error.
    status: str
    reason: str


@dataclass(frozen=True)
class Measurement:
    """One side of a benchmark: the plugin, or the built-in default it ran against."""

    label: str
    rows_per_second: float
    mb_per_second: float | None
    peak_rss_mb: float | None


@dataclass(frozen=True)
class BenchmarkResult:
    plugin: Measurement
    baseline: Measurement | None
    #: The plugin's rows/s over the default's (None without a default).
    ratio: float | None
    #: Rows in the benchmark's dataset, and the dataset's name.
    rows: int | None
    fixture: str | None


def conformance_checks(body: Any) -> list[Check]:
    """The checks of a conformance report body, in report order."""
    checks = body.get("checks") if isinstance(body, Mapping) else None
    if not isinstance(checks, list):
        return []
    found = []
    for item in checks[:_MAX_CHECKS]:
        if not isinstance(item, Mapping):
            continue
        check_id = _str(item.get("id"))
        found.append(
            Check(
                id=check_id,
                title=_str(item.get("title")) or check_id,
                level=_str(item.get("level")),
                status=_str(item.get("status")) or "unknown",
                reason=_str(item.get("reason")),
            )
        )
    return found


def benchmark_result(body: Any) -> BenchmarkResult | None:
    """The plugin and default measurements of a benchmark body; None if it has none."""
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, list):
        return None
    sides: dict[str, Measurement] = {}
    for item in results:
        if isinstance(item, Mapping) and (measured := _measurement(item)) is not None:
            sides.setdefault(_str(item.get("role")), measured)
    plugin = sides.get("plugin")
    if plugin is None:
        return None
    baseline = sides.get("baseline")
    assert isinstance(body, Mapping)
    ratios = body.get("ratios")
    ratio = _number(ratios.get("rows_per_second")) if isinstance(ratios, Mapping) else None
    if ratio is None and baseline is not None and baseline.rows_per_second > 0:
        ratio = plugin.rows_per_second / baseline.rows_per_second
    dataset = body.get("dataset")
    rows = _number(dataset.get("rows")) if isinstance(dataset, Mapping) else None
    fixture = _str(dataset.get("fixture")) if isinstance(dataset, Mapping) else ""
    return BenchmarkResult(
        plugin=plugin,
        baseline=baseline,
        ratio=ratio,
        rows=int(rows) if rows is not None else None,
        fixture=fixture or None,
    )


def _measurement(item: Mapping[str, Any]) -> Measurement | None:
    rate = _number(item.get("rows_per_second"))
    if rate is None or rate < 0:
        return None
    return Measurement(
        label=_str(item.get("plugin")),
        rows_per_second=rate,
        mb_per_second=_number(item.get("mb_per_second")),
        peak_rss_mb=_number(item.get("peak_rss_mb")),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _str(value: Any) -> str:
    return "" if value is None else str(value)[:2000]

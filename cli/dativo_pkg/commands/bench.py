"""``dativo-pkg bench``: rows/s, MB/s and peak RSS of a plugin against the built-in baseline.

With ``--dist`` the wheel is installed privately (as ``dativo-pkg test``
does) and the results are written next to it as ``DIST.benchmark.json``,
the predicate ``dativo-pkg sign --benchmark`` signs. Without it, the plugin
installed in the running environment is measured and nothing is written.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.errors import ConfigError

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["BenchOutcome", "BenchSettings", "render_bench", "run_bench"]


@dataclass(frozen=True)
class BenchSettings:
    project: Path = Path(".")
    dist: Path | None = None
    rows: int = 100_000
    repeats: int = 3
    postgres_url: str | None = None


@dataclass(frozen=True)
class BenchOutcome:
    results: dict[str, Any]
    path: Path | None

    def to_json(self) -> dict[str, Any]:
        return {**self.results, "results_path": str(self.path) if self.path else None}


def run_bench(settings: BenchSettings, say: Callable[[str], None] | None = None) -> BenchOutcome:
    """Benchmark the plugin of ``settings.project``; write the results next to a given dist."""
    from dativo_conformance import Target, load_project, run_benchmark
    from dativo_conformance._install import installed_wheel

    if settings.rows < 1 or settings.repeats < 1:
        raise ConfigError("--rows and the number of repeats must be at least 1")
    project = load_project(settings.project)
    target = Target(project=project, dist=settings.dist)
    installing = installed_wheel(settings.dist) if settings.dist else contextlib.nullcontext()
    with installing:
        results = run_benchmark(
            target,
            rows=settings.rows,
            repeats=settings.repeats,
            postgres_url=settings.postgres_url,
            say=say,
        )
    path = None
    if settings.dist is not None:
        path = settings.dist.with_name(f"{settings.dist.name}.benchmark.json")
        try:
            write_atomically(path, (json.dumps(results, indent=2) + "\n").encode())
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return BenchOutcome(results=results, path=path)


def render_bench(results: dict[str, Any]) -> Table:
    """Plugin and baseline side by side, with the plugin's ratio to the baseline."""
    from rich.table import Table

    dataset = results["dataset"]
    table = Table(
        "",
        "rows/s",
        "MB/s",
        "peak RSS (MiB)",
        "best of",
        title=f"{results['plugin']['kind']} {results['plugin']['connector']}: "
        f"{dataset['rows']:,} rows ({dataset['fixture']})",
    )
    for side in results["results"]:
        table.add_row(
            side["plugin"],
            f"{side['rows_per_second']:,.0f}",
            f"{side['mb_per_second']:,.1f}",
            f"{side['peak_rss_mb']:,.0f}",
            str(len(side["runs"])),
        )
    ratios = results["ratios"]

    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    table.add_row(
        "ratio", show(ratios["rows_per_second"]), show(ratios["mb_per_second"]),
        show(ratios["peak_rss"]), "",
    )  # fmt: skip
    return table

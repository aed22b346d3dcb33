"""What the CLI shows a person: a live progress line and the run summary."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dativo_pkg.runtime import RunSummary

__all__ = ["LiveProgress", "human_bytes", "render_summary"]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


class LiveProgress:
    """A rich progress line (rows, bytes, rate) on stderr, refreshed a few times a second."""

    def __init__(self, console: Console, description: str) -> None:
        self._rows = 0
        self._bytes = 0
        self._description = description
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TextColumn("{task.fields[size]:>10}"),
            TextColumn("{task.fields[rate]:>14}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=5,
        )
        self._task = self._progress.add_task(description, total=None, rows=0, size="", rate="")

    def advanced(self, rows: int, nbytes: int) -> None:
        self._rows += rows
        self._bytes += nbytes
        elapsed = self._progress.tasks[0].elapsed or 0.0
        rate = f"{self._rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        self._progress.update(self._task, rows=self._rows, size=human_bytes(self._bytes), rate=rate)

    def committing(self) -> None:
        """The writer is publishing its output (syncing, renaming, checksums)."""
        self._progress.update(self._task, description=f"{self._description}: committing")

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


MAX_FILES_SHOWN = 5


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def render_summary(summary: RunSummary) -> Table:
    table = Table(
        title=f"job {summary.job}: {summary.source} → {summary.target}", show_header=False
    )
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("rows", f"{summary.rows:,}")
    table.add_row("bytes (Arrow)", human_bytes(summary.bytes))
    table.add_row("seconds", f"{summary.seconds:.2f}")
    table.add_row("rows/s", f"{summary.rows_per_second:,.0f}")
    if summary.skipped_rows:
        table.add_row("skipped rows", f"{summary.skipped_rows:,} (the reader's error policy)")
    files = [_relative(path) for path in summary.files]
    if len(files) > MAX_FILES_SHOWN:
        table.add_row("output", f"{len(files)} files under {os.path.commonpath(files)}")
    else:
        for path in files:
            table.add_row("output", path)
    if summary.state:
        table.add_row("state", f"{summary.state['cursor_field']} = {summary.state['value']}")
    return table

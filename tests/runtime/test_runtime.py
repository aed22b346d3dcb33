"""The runtime: streaming, atomic failure, incremental state and its recovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dativo_pkg.errors import CompatibilityError, ConfigError, PluginCrashed, PluginError
from dativo_pkg.job import load_job
from dativo_pkg.runtime import run_job
from dativo_pkg.state import CursorState, PendingCommit, StateStore

pytestmark = pytest.mark.usefixtures("with_test_plugins")


def write_job(tmp_path: Path, source: dict[str, Any], target: dict[str, Any], **extra: Any) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump({"source": source, "target": target, **extra}))
    return path


def committed(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [i for entry in json.loads(log.read_text()) for i in entry["ids"]]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_streams_every_row_and_reports_them(tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    job = write_job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": 10, "batch_rows": 3}},
        {"plugin": "memory", "config": {"path": str(log)}},
    )
    seen: list[int] = []

    class Count:
        def advanced(self, rows: int, nbytes: int) -> None:
            seen.append(rows)

        def committing(self) -> None:
            seen.append(-1)

    summary = run_job(load_job(job), Count())
    assert committed(log) == list(range(1, 11))
    assert (summary.rows, summary.job, summary.files) == (10, "job", [str(log)])
    assert seen == [3, 3, 3, 1, -1]
    assert summary.bytes > 0 and summary.rows_per_second > 0


@pytest.mark.parametrize(
    ("source_config", "error", "message"),
    [
        ({"fail_at_batch": 2}, PluginError, "the source went away"),
        ({"crash_at_batch": 1}, PluginCrashed, "reader 'seq' failed: ZeroDivisionError"),
        ({"change_schema_at_batch": 1}, PluginError, "broke the plugin contract"),
    ],
)
def test_a_failing_reader_commits_nothing(
    tmp_path: Path, source_config: dict[str, Any], error: type[Exception], message: str
) -> None:
    log = tmp_path / "log.json"
    job = write_job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": 10, **source_config}},
        {"plugin": "memory", "config": {"path": str(log)}},
    )
    with pytest.raises(error, match=message):
        run_job(load_job(job))
    assert not log.exists()


@pytest.mark.parametrize("step", ["open", "write", "commit"])
def test_a_failing_writer_is_aborted(tmp_path: Path, step: str) -> None:
    import dativo_testplugins

    before = dativo_testplugins.FailingWriter.aborted
    job = write_job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": 5}},
        {"plugin": "failing", "config": {"fail_on": step}},
    )
    with pytest.raises(PluginError, match=f"{step} failed"):
        run_job(load_job(job))
    assert dativo_testplugins.FailingWriter.aborted == before + 1


def test_bad_config_is_refused_naming_the_field(tmp_path: Path) -> None:
    job = write_job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": "many"}},
        {"plugin": "memory", "config": {}},
    )
    with pytest.raises(ConfigError) as info:
        run_job(load_job(job))
    assert "rows:" in str(info.value)
    assert "many" not in str(info.value)


def test_an_incompatible_plugin_is_refused(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"plugin": "toonew"}, {"plugin": "memory", "config": {"path": "x"}})
    with pytest.raises(CompatibilityError, match="supports plugin API >=2"):
        run_job(load_job(job))


def incremental_job(tmp_path: Path, rows: int, **source_config: Any) -> Path:
    return write_job(
        tmp_path,
        {
            "plugin": "seq",
            "config": {"rows": rows, **source_config},
            "incremental": {"cursor_field": "updated"},
        },
        {"plugin": "memory", "config": {"path": str(tmp_path / "log.json")}},
        name="orders",
    )


def test_incremental_runs_deliver_each_row_once(tmp_path: Path) -> None:
    run_job(load_job(incremental_job(tmp_path, 5)))
    assert StateStore(Path(".dativo/state/orders.json")).load() == CursorState(
        "updated", 5, "int64"
    )
    summary = run_job(load_job(incremental_job(tmp_path, 9)))
    assert summary.rows == 4
    assert summary.state == {"cursor_field": "updated", "value": 9, "arrow_type": "int64"}
    run_job(load_job(incremental_job(tmp_path, 9)))
    assert committed(tmp_path / "log.json") == list(range(1, 10))


def test_a_failed_incremental_run_keeps_the_old_state(tmp_path: Path) -> None:
    run_job(load_job(incremental_job(tmp_path, 5)))
    with pytest.raises(PluginError):
        run_job(load_job(incremental_job(tmp_path, 12, fail_at_batch=3)))
    assert StateStore(Path(".dativo/state/orders.json")).load().value == 5  # type: ignore[union-attr]
    run_job(load_job(incremental_job(tmp_path, 12)))
    assert committed(tmp_path / "log.json") == list(range(1, 13))


@pytest.mark.parametrize("writer_committed", [True, False])
def test_a_pending_commit_is_resolved_by_asking_the_writer(
    tmp_path: Path, writer_committed: bool
) -> None:
    """The run died after the pending state was written, before or after the commit."""
    from dativo_pkg.runtime import _commit_id

    store = StateStore(Path(".dativo/state/orders.json"))
    commit_id = _commit_id("orders", None)
    store.write_pending(commit_id, CursorState("updated", 5, "int64"))
    if writer_committed:
        (tmp_path / "log.json").write_text(
            json.dumps([{"commit_id": commit_id, "ids": [1, 2, 3, 4, 5]}])
        )
    run_job(load_job(incremental_job(tmp_path, 7)))
    assert committed(tmp_path / "log.json") == list(range(1, 8))
    assert store.pending() is None


def test_a_changed_cursor_field_is_refused(tmp_path: Path) -> None:
    run_job(load_job(incremental_job(tmp_path, 3)))
    StateStore(Path(".dativo/state/orders.json")).promote(
        PendingCommit("x", CursorState("id", 3, "int64"))
    )
    with pytest.raises(ConfigError, match="tracks cursor 'id'"):
        run_job(load_job(incremental_job(tmp_path, 3)))


def test_an_unknown_cursor_field_is_refused(tmp_path: Path) -> None:
    job = write_job(
        tmp_path,
        {"plugin": "seq", "incremental": {"cursor_field": "nope"}},
        {"plugin": "memory", "config": {"path": str(tmp_path / "log.json")}},
    )
    with pytest.raises(ConfigError, match="'nope' is not a column"):
        run_job(load_job(job))

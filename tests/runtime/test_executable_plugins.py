"""Executable plugins: a real program speaking Arrow IPC on stdio, wrapped as Reader/Writer.

The program is ``exe_plugins/arrow_plugin.py``, copied with a shebang naming
this interpreter, so it runs as an ordinary executable (a separate process, as
a Go or C++ plugin would).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dativo_pkg._internal.executable import ExecutableReader, ExecutableWriter
from dativo_pkg.errors import (
    CompatibilityError,
    ConfigError,
    PluginCrashed,
    PluginError,
    SourceUnreachable,
)
from dativo_pkg.manifest import PluginSpec
from dativo_pkg.sdk import Incremental, WriteContext

PROGRAM = Path(__file__).parent / "exe_plugins" / "arrow_plugin.py"
SECRET = "s3cr3t-do-not-show"
SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])

COMMON = {
    "password": {"type": "string"},
    "probe": {"type": "string"},
    "stderr": {"type": "array", "items": {"type": "string"}},
    "fail": {"enum": ["exit", "signal", "hang", "truncate", "garbage"]},
    "fail_after": {"type": "integer", "minimum": 0},
}
READER_SPEC = PluginSpec(
    kind="reader",
    connector="exe-test",
    language="go",
    executable="plugin",
    config_schema={
        "type": "object",
        "properties": {
            **COMMON,
            "rows": {"type": "integer", "minimum": 0},
            "batch_size": {"type": "integer", "minimum": 1},
            "reachable": {"type": "boolean"},
            "stderr_flood": {"type": "integer"},
        },
        "required": ["rows"],
        "additionalProperties": False,
    },
)
WRITER_SPEC = PluginSpec(
    kind="writer",
    connector="exe-test",
    language="c++",
    executable="plugin",
    config_schema={
        "type": "object",
        "properties": {**COMMON, "out_dir": {"type": "string"}},
        "required": ["out_dir"],
        "additionalProperties": False,
    },
)


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """The test plugin as an executable file whose shebang is this interpreter."""
    path = tmp_path / "bin" / "plugin"
    path.parent.mkdir()
    path.write_text(f"#!{sys.executable}\n{PROGRAM.read_text()}")
    path.chmod(0o755)
    return path


def reader(program: Path, **config: Any) -> ExecutableReader:
    return ExecutableReader.create(program, READER_SPEC, {"rows": 5, **config})


def read_all(plugin: ExecutableReader, incremental: Incremental | None = None) -> list[int]:
    return [i for batch in plugin.read(incremental) for i in batch.column("id").to_pylist()]


def visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


# --- reader ------------------------------------------------------------------------------


def test_reader_reports_schema_and_streams_batches(program: Path) -> None:
    with reader(program, rows=5, batch_size=2) as plugin:
        assert plugin.schema() == SCHEMA
        batches = list(plugin.read())
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert all(b.schema == SCHEMA for b in batches)
    assert pa.Table.from_batches(batches).column("name")[4].as_py() == "row 5"


@pytest.mark.parametrize(
    ("incremental", "state", "ids"),
    [
        (None, None, [1, 2, 3, 4, 5]),
        (Incremental("id", None), {"cursor_field": "id", "after": None}, [1, 2, 3, 4, 5]),
        (Incremental("id", 3), {"cursor_field": "id", "after": 3}, [4, 5]),
    ],
)
def test_reader_passes_incremental_state_as_a_file(
    program: Path,
    tmp_path: Path,
    incremental: Incremental | None,
    state: dict[str, Any] | None,
    ids: list[int],
) -> None:
    probe = tmp_path / "probe.json"
    with reader(program, probe=str(probe)) as plugin:
        assert read_all(plugin, incremental) == ids
    assert json.loads(probe.read_text())["state"] == state


def test_check_maps_a_failing_check_to_source_unreachable(program: Path) -> None:
    reader(program).check()
    with pytest.raises(SourceUnreachable, match="exited with status 4") as caught:
        reader(program, reachable=False).check()
    assert "connection refused by upstream" in str(caught.value)


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"fail": "exit"}, PluginError, r"plugin exe-test exited with status 3"),
        ({"fail": "exit", "fail_after": 1}, PluginError, r"exited with status 3"),
        ({"fail": "signal"}, PluginCrashed, r"plugin exe-test was killed by signal SIGSEGV"),
        ({"fail": "signal", "fail_after": 2}, PluginCrashed, r"killed by signal SIGSEGV"),
        ({"fail": "truncate"}, PluginError, r"truncated or invalid Arrow IPC stream"),
        ({"fail": "garbage"}, PluginError, r"truncated or invalid Arrow IPC stream"),
    ],
)
def test_reader_failures_become_clear_errors(
    program: Path, config: dict[str, Any], error: type[Exception], message: str
) -> None:
    with reader(program, **config) as plugin, pytest.raises(error, match=message) as caught:
        read_all(plugin)
    if config["fail"] == "exit":
        assert "| ERROR: lost the connection to upstream" in str(caught.value)


def test_schema_failure_is_reported_with_the_exit_status(program: Path) -> None:
    # The schema command does not fail on its own; an exiting config makes every command fail.
    with pytest.raises(PluginError, match="exited with status 3"):
        reader(program, fail="exit").schema()


def test_stderr_goes_to_the_plugin_logger_at_the_level_it_names(
    program: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = ["WARNING: upstream is slow", "[error] one row skipped", "connected in 3 ms"]
    caplog.set_level(logging.DEBUG, logger="dativo.plugin.exe-test")
    with reader(program, stderr=lines) as plugin:
        read_all(plugin)
    records = [r for r in caplog.records if r.name == "dativo.plugin.exe-test"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "WARNING: upstream is slow"),
        (logging.ERROR, "[error] one row skipped"),
        (logging.INFO, "connected in 3 ms"),
    ]


def test_a_flood_on_stderr_does_not_deadlock_the_stream(program: Path) -> None:
    # Two megabytes of stderr before the first byte of stdout: far beyond a pipe's buffer.
    with reader(program, rows=3, stderr_flood=2_000_000) as plugin:
        assert read_all(plugin) == [1, 2, 3]


def test_stopping_early_terminates_and_reaps_the_program(program: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    plugin = reader(program, rows=10, probe=str(probe), fail="hang", fail_after=1)
    batches = plugin.read()
    first = next(iter(batches))  # arrives while the program is still running
    assert first.column("id").to_pylist() == [1, 2]
    pid = json.loads(probe.read_text())["pid"]
    plugin.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped: no zombie keeps the pid


def test_the_config_never_appears_on_a_command_line(program: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    with reader(program, password=SECRET, probe=str(probe)) as plugin:
        read_all(plugin)
    seen = json.loads(probe.read_text())
    assert not any(SECRET in arg for arg in seen["cmdline"])
    assert seen["cmdline"][-3:] == ["read", "--config", seen["config_path"]]
    assert seen["config_path"].startswith("/dev/fd/")  # an inherited, already deleted file
    assert (seen["config_mode"], seen["config_links"]) == (0o600, 0)


# --- config and program checks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "invalid config for reader 'exe-test': rows: 'rows' is a required property"),
        ({"rows": SECRET}, "rows: must be of type integer"),
        ({"rows": -1}, "rows: must be >= 0"),
        ({"rows": 1, "password": 7}, "password: must be of type string"),
        ({"rows": 1, "pasword": SECRET}, "pasword: is not an allowed property"),
        ({"rows": 1, "fail": SECRET}, "fail: must be one of 'exit', 'signal'"),
        ({"rows": 1, "stderr": [SECRET, 3]}, "stderr.1: must be of type string"),
    ],
)
def test_bad_config_is_refused_naming_the_field_not_the_value(
    program: Path, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ExecutableReader.create(program, READER_SPEC, config)
    assert message in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_missing_or_non_executable_program_is_refused(program: Path) -> None:
    with pytest.raises(CompatibilityError, match="is missing") as caught:
        ExecutableReader.create(program.with_name("nope"), READER_SPEC, {"rows": 1})
    assert "reinstall" in str(caught.value)
    program.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(CompatibilityError, match="is not executable"):
        ExecutableReader.create(program, READER_SPEC, {"rows": 1})


# --- writer ------------------------------------------------------------------------------


def batches(*ranges: range) -> list[pa.RecordBatch]:
    return [
        pa.record_batch([pa.array(list(r)), pa.array([f"n{i}" for i in r])], schema=SCHEMA)
        for r in ranges
    ]


def writer(program: Path, out: Path, **config: Any) -> ExecutableWriter:
    out.mkdir(exist_ok=True)
    return ExecutableWriter.create(program, WRITER_SPEC, {"out_dir": str(out), **config})


def test_writer_commits_atomically_and_reports_what_it_wrote(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    probe = tmp_path / "probe.json"
    with writer(program, out, password=SECRET, probe=str(probe)) as plugin:
        plugin.open(SCHEMA, WriteContext(job_name="orders", commit_id="c1"))
        for batch in batches(range(1, 4), range(4, 6)):
            plugin.write(batch)
        assert visible(out) == []  # staged, not visible before commit
        result = plugin.commit()
        seen = json.loads(probe.read_text())
        assert plugin.recover("c1") is True
        assert plugin.recover("c2") is False
    final = out / "c1.jsonl"
    assert visible(out) == ["c1.jsonl"]
    assert [json.loads(x)["id"] for x in final.read_text().splitlines()] == [1, 2, 3, 4, 5]
    assert (result.rows, result.bytes, result.files) == (5, final.stat().st_size, [str(final)])
    assert set(result.checksums) == {str(final)}
    assert seen["cmdline"][-4:] == ["--commit-id", "c1", "--job", "orders"]
    assert not any(SECRET in arg for arg in seen["cmdline"])


def test_writer_abort_leaves_nothing(
    program: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dativo.plugin.exe-test")
    out = tmp_path / "out"
    plugin = writer(program, out)
    plugin.open(SCHEMA, WriteContext(job_name="orders", commit_id="c1"))
    plugin.write(batches(range(1, 4))[0])
    plugin.abort()
    plugin.abort()  # safe twice
    plugin.close()
    assert list(out.iterdir()) == []
    assert "no commit trailer" in caplog.text  # the program saw the abort itself


RUNTIME_THAT_DIES = """
import os, signal, sys, time
from pathlib import Path
import pyarrow as pa
from dativo_pkg._internal.executable import ExecutableWriter
from dativo_pkg.manifest import PluginSpec
from dativo_pkg.sdk import WriteContext

spec = PluginSpec.model_validate_json(sys.argv[2])
config = {"out_dir": sys.argv[3], "probe": sys.argv[4]}
plugin = ExecutableWriter.create(Path(sys.argv[1]), spec, config)
schema = pa.schema([("id", pa.int64()), ("name", pa.string())])
plugin.open(schema, WriteContext(job_name="orders", commit_id="c1"))
plugin.write(pa.record_batch([pa.array([1]), pa.array(["a"])], schema=schema))
deadline = time.monotonic() + 60  # a hang guard, not a speed requirement
while not Path(sys.argv[4]).exists():  # the program has started and read its config
    if time.monotonic() > deadline:
        sys.exit("the plugin program never wrote its probe")
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_runtime_killed_before_commit_leaves_nothing(program: Path, tmp_path: Path) -> None:
    out, probe = tmp_path / "out", tmp_path / "probe.json"
    out.mkdir()
    argv = [program, WRITER_SPEC.model_dump_json(), out, probe]
    runtime = [sys.executable, "-c", RUNTIME_THAT_DIES, *map(str, argv)]
    died = subprocess.run(runtime, check=False, timeout=120)
    assert died.returncode == -signal.SIGKILL
    pid = json.loads(probe.read_text())["pid"]
    deadline = time.monotonic() + 60  # a hang guard, not a speed requirement
    while _running(pid):  # the orphaned program sees end of file without the trailer
        assert time.monotonic() < deadline, "the orphaned plugin program never exited"
        time.sleep(0.01)
    assert list(out.iterdir()) == []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_writer_that_is_closed_without_commit_leaves_nothing(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with writer(program, out) as plugin:
        plugin.open(SCHEMA, WriteContext(job_name="orders", commit_id="c1"))
        plugin.write(batches(range(1, 4))[0])
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"fail": "exit", "fail_after": 1}, PluginError, "exited with status 3"),
        ({"fail": "signal", "fail_after": 0}, PluginCrashed, "killed by signal SIGSEGV"),
        ({"fail": "exit"}, PluginError, "exited with status 3"),
    ],
)
def test_writer_failures_become_clear_errors_and_leave_nothing(
    program: Path, tmp_path: Path, config: dict[str, Any], error: type[Exception], message: str
) -> None:
    out = tmp_path / "out"
    with writer(program, out, **config) as plugin, pytest.raises(error, match=message):
        plugin.open(SCHEMA, WriteContext(job_name="orders", commit_id="c1"))
        for batch in batches(range(1, 3), range(3, 5), range(5, 7)):
            plugin.write(batch)
        plugin.commit()
    assert visible(out) == []

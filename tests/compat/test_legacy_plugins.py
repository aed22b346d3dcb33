"""dativo-ingest plugins (custom_reader / custom_writer) run unchanged through the adapters.

The plugins under ``legacy_plugins/`` are written the way dativo-ingest's docs
show; they import ``dativo_ingest.plugins``, which the adapter provides when
dativo-ingest itself is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from dativo_pkg.compat import dativo_ingest_shim
from dativo_pkg.compat.legacy import (
    LegacyReader,
    LegacyWriter,
    install_shim,
    load_legacy_reader,
    load_legacy_writer,
)
from dativo_pkg.errors import (
    ConfigError,
    DataError,
    PluginCrashed,
    PluginError,
    SourceUnreachable,
)
from dativo_pkg.job import load_job
from dativo_pkg.runtime import run_job
from dativo_pkg.sdk import Incremental, WriteContext

PLUGINS = Path(__file__).parent / "legacy_plugins"
SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


@pytest.fixture(autouse=True)
def fresh_imports() -> Iterator[None]:
    """Each test imports dativo_ingest and the plugin files from scratch."""

    def forget() -> None:
        for name in list(sys.modules):
            if name.split(".")[0] == "dativo_ingest" or name.startswith("dativo_legacy_"):
                del sys.modules[name]

    forget()
    yield
    forget()


def scripted(batches: list[Any], cls: str = "ScriptedReader", **source: Any) -> LegacyReader:
    section = {"engine": {"options": {"batches": batches}}, **source}
    reader = load_legacy_reader(f"scripted_readers.py:{cls}", section, PLUGINS)
    assert isinstance(reader, LegacyReader)
    return reader


def rows(reader: LegacyReader, incremental: Incremental | None = None) -> list[dict[str, Any]]:
    return [row for batch in reader.read(incremental) for row in batch.to_pylist()]


# --- readers -----------------------------------------------------------------------------


def test_lists_of_dicts_become_batches_of_the_first_batchs_schema(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = scripted(
        [
            [{"id": 1, "name": "a", "score": 1.5}, {"id": 2, "name": None, "score": None}],
            [],
            [{"id": 3, "color": "red"}, {"id": 4, "size": 9}],
            [{"score": 2, "id": 5, "name": "e", "color": "blue"}],
        ]
    )
    schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("score", pa.float64())])
    assert reader.schema() == schema
    batches = list(reader.read())
    assert [b.schema for b in batches] == [schema] * 3
    assert pa.Table.from_batches(batches).to_pylist() == [
        {"id": 1, "name": "a", "score": 1.5},
        {"id": 2, "name": None, "score": None},
        {"id": 3, "name": None, "score": None},
        {"id": 4, "name": None, "score": None},
        {"id": 5, "name": "e", "score": 2.0},
    ]
    dropped = [r for r in caplog.records if "not in the schema" in r.getMessage()]
    assert len(dropped) == 1 and "color, size" in dropped[0].getMessage()  # warned once


def test_schema_keys_come_from_every_record_of_the_first_batch() -> None:
    reader = scripted([[{"id": 1}, {"id": 2, "name": "b"}]])
    assert reader.schema() == SCHEMA
    assert rows(reader) == [{"id": 1, "name": None}, {"id": 2, "name": "b"}]


def test_a_declared_schema_wins_over_inference() -> None:
    declared = {"id": "int32", "amount": "number", "at": "timestamp[ms]", "day": "date"}
    reader = scripted(
        [[{"id": 1, "amount": 3, "at": dt.datetime(2024, 5, 1, 12), "day": dt.date(2024, 5, 1)}]],
        schema=declared,
    )
    expected = pa.schema(
        [
            ("id", pa.int32()),
            ("amount", pa.float64()),
            ("at", pa.timestamp("ms")),
            ("day", pa.date32()),
        ]
    )
    assert reader.schema() == expected
    assert [b.schema for b in reader.read()] == [expected]


def test_schema_before_read_does_not_run_extract_twice(tmp_path: Path) -> None:
    data = tmp_path / "orders.jsonl"
    data.write_text("".join(json.dumps({"id": i, "name": f"n{i}"}) + "\n" for i in range(1, 6)))
    source = {"files": [{"path": str(data)}], "engine": {"options": {"batch_size": 2}}}
    reader = load_legacy_reader("json_lines_reader.py:JSONLinesReader", source, PLUGINS)
    assert isinstance(reader, LegacyReader)
    reader.check()
    assert reader.estimated_rows() == 5
    assert reader.schema() == SCHEMA
    assert [r["id"] for r in rows(reader)] == [1, 2, 3, 4, 5]  # the first batch is not lost
    assert type(reader.plugin).extract_calls == 1


def test_the_state_manager_carries_the_incremental_state(tmp_path: Path) -> None:
    data = tmp_path / "orders.jsonl"
    data.write_text("".join(json.dumps({"id": i, "name": f"n{i}"}) + "\n" for i in range(1, 6)))
    source = {"files": [{"path": str(data)}], "schema": {"id": "int64", "name": "string"}}
    reader = load_legacy_reader("json_lines_reader.py:JSONLinesReader", source, PLUGINS)
    assert isinstance(reader, LegacyReader)
    assert [r["id"] for r in rows(reader, Incremental("id", 3))] == [4, 5]


@pytest.mark.parametrize(
    ("incremental", "state"),
    [
        (None, None),
        (Incremental("id", None), {"cursor_field": "id", "after": None}),
        (Incremental("id", 7), {"cursor_field": "id", "after": 7}),
    ],
)
def test_state_manager_is_none_on_a_full_read(
    incremental: Incremental | None, state: dict[str, Any] | None
) -> None:
    reader = scripted([[{"id": 1}]], schema={"id": "int64"})
    rows(reader, incremental)
    manager = reader.plugin.seen_state_manager
    assert (manager.get_state() if manager is not None else None) == state
    if manager is not None:
        manager.update_state({"cursor": 99})  # accepted and ignored
        assert manager.get_state() == state


def test_source_config_has_the_attributes_dativo_ingest_gave() -> None:
    section = {
        "connection": {"endpoint": "https://api.example.com"},
        "credentials": {"api_key": "k"},
        "object": "users",
        "tables": [{"name": "t"}],
    }
    reader = load_legacy_reader("scripted_readers.py:SourceConfigEcho", section, PLUGINS)
    assert rows(reader) == [
        {
            "endpoint": "https://api.example.com",
            "api_key": "k",
            "page_size": 100,  # engine absent: an empty mapping, not None
            "objects": "users",
            "tables": 1,
            "dsn": None,
        }
    ]


@pytest.mark.parametrize(
    ("batches", "message"),
    [
        (
            [[{"id": 1}], [{"id": 2}, {"id": "three"}]],
            "ScriptedReader.extract() batch 2, record 2: field 'id' does not convert to int64",
        ),
        ([[{"id": 1}, {"id": "two"}]], "batch 1, record 2: field 'id'"),
        ([[{"id": 1}], [], [{"id": 2}, ["not", "a", "dict"]]], "batch 3, record 2: a list"),
    ],
)
def test_unconvertible_records_are_data_errors_naming_batch_and_record(
    batches: list[Any], message: str
) -> None:
    with pytest.raises(DataError) as caught:
        rows(scripted(batches))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("cls", "error", "message"),
    [
        ("FlakyReader", PluginCrashed, "FlakyReader.extract() failed: RuntimeError: upstream API"),
        ("DictYieldingReader", PluginError, "yielded a dict as batch 1; it must yield lists"),
    ],
)
def test_a_failing_extract_names_the_class(cls: str, error: type[Exception], message: str) -> None:
    reader = scripted([[{"id": 1}], [{"id": 2}]], cls=cls)
    with pytest.raises(error) as caught:
        rows(reader)
    assert message in str(caught.value)


def test_check_connection_failure_is_source_unreachable(tmp_path: Path) -> None:
    source = {"files": [{"path": str(tmp_path / "missing.jsonl")}]}
    reader = load_legacy_reader("json_lines_reader.py:JSONLinesReader", source, PLUGINS)
    with pytest.raises(SourceUnreachable, match="File not found"):
        reader.check()


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("json_lines_reader.py", ConfigError, "'json_lines_reader.py' does not name a class"),
        ("json_lines_reader.py:", ConfigError, "does not name a class"),
        ("nope.py:Reader", ConfigError, "nope.py does not exist"),
        ("json_lines_reader.py:JsonLinesReader", ConfigError, "has no class 'JsonLinesReader'"),
        ("not_plugins.py:NOT_A_CLASS", ConfigError, "classes there: AbstractReader"),
        ("broken_import.py:BrokenReader", PluginCrashed, "ModuleNotFoundError"),
        ("not_plugins.py:Helper", PluginError, "Helper in"),
        ("not_plugins.py:AbstractReader", PluginError, "does not implement extract()"),
    ],
)
def test_bad_reader_specs_are_refused_clearly(
    spec: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        load_legacy_reader(spec, {}, PLUGINS)
    assert message in str(caught.value)


def test_a_reader_class_is_not_a_writer() -> None:
    with pytest.raises(PluginError, match=r"does not implement write_batch\(\)"):
        load_legacy_writer("json_lines_reader.py:JSONLinesReader", {"path": "out"}, PLUGINS)


def test_an_absolute_spec_path_is_used_as_is(tmp_path: Path) -> None:
    spec = f"{PLUGINS / 'scripted_readers.py'}:ScriptedReader"
    reader = load_legacy_reader(spec, {"engine": {"options": {"batches": [[{"id": 1}]]}}}, tmp_path)
    assert rows(reader) == [{"id": 1}]


def test_the_shim_stands_in_only_when_dativo_ingest_is_missing() -> None:
    assert install_shim() is True
    from dativo_ingest.plugins import BaseReader, BaseWriter

    assert (BaseReader, BaseWriter) == (
        dativo_ingest_shim.BaseReader,
        dativo_ingest_shim.BaseWriter,
    )
    assert install_shim() is False  # already there
    reader = scripted([[{"id": 1}]])
    assert isinstance(reader.plugin, dativo_ingest_shim.BaseReader)


def test_a_real_dativo_ingest_keeps_its_own_base_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "site" / "dativo_ingest"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text("")
    (real / "plugins.py").write_text("class BaseReader:\n    REAL = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    plugin_file = tmp_path / "reader.py"
    plugin_file.write_text(
        "from dativo_ingest.plugins import BaseReader\n\n"
        "class R(BaseReader):\n"
        "    def __init__(self, source_config):\n"
        "        self.source_config = source_config\n\n"
        "    def extract(self, state_manager=None):\n"
        "        yield [{'id': 1}]\n"
    )
    reader = load_legacy_reader("reader.py:R", {}, tmp_path)
    assert isinstance(reader, LegacyReader)
    assert type(reader.plugin).__mro__[1].REAL is True
    assert sys.modules["dativo_ingest.plugins"] is not dativo_ingest_shim
    assert rows(reader) == [{"id": 1}]


# --- writers -------------------------------------------------------------------------------


def batches(*ranges: range) -> list[pa.RecordBatch]:
    return [
        pa.record_batch([pa.array(list(r)), pa.array([f"n{i}" for i in r])], schema=SCHEMA)
        for r in ranges
    ]


def json_writer(out: Path, cls: str = "JSONFileWriter", **target: Any) -> LegacyWriter:
    writer = load_legacy_writer(
        f"json_file_writer.py:{cls}", {"output_base": str(out), **target}, PLUGINS
    )
    assert isinstance(writer, LegacyWriter)
    return writer


def everything_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_writer_files_appear_in_output_base_only_on_commit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = json_writer(out, asset="orders")
    writer.open(SCHEMA, WriteContext(job_name="job", commit_id="c1"))
    for batch in batches(range(1, 4), range(4, 6)):
        writer.write(batch)
    assert [p for p in everything_in(out) if not p.startswith(".")] == []
    result = writer.commit()
    writer.close()

    assert everything_in(out) == ["_manifest.json", "part-00000.jsonl", "part-00001.jsonl"]
    part = [json.loads(x) for x in (out / "part-00001.jsonl").read_text().splitlines()]
    assert part == [{"id": 4, "name": "n4"}, {"id": 5, "name": "n5"}]
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest == {
        "asset_name": "orders",
        "schema": [
            {"name": "id", "type": "integer", "required": False},
            {"name": "name", "type": "string", "required": False},
        ],
        "files": ["part-00000.jsonl", "part-00001.jsonl"],
        "total_records": 5,
    }
    files = [out / "_manifest.json", out / "part-00000.jsonl", out / "part-00001.jsonl"]
    assert result.rows == 5
    assert result.files == [str(f) for f in files]
    assert result.bytes == sum(f.stat().st_size for f in files)
    assert set(result.checksums) == set(result.files)


def test_big_batches_reach_write_batch_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dativo_pkg.compat.legacy.WRITE_CHUNK_ROWS", 2)
    out = tmp_path / "out"
    writer = json_writer(out)
    writer.open(SCHEMA, WriteContext(job_name="job", commit_id="c1"))
    writer.write(batches(range(1, 6))[0])
    writer.commit()
    assert everything_in(out) == ["_manifest.json", *(f"part-0000{i}.jsonl" for i in range(3))]


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        ("FailingWriter", "FailingWriter.write_batch() failed: OSError: No space left on device"),
        ("FailingCommitWriter", "FailingCommitWriter.commit_files() failed: ConnectionError"),
    ],
)
def test_a_failing_writer_leaves_nothing_in_output_base(
    tmp_path: Path, cls: str, message: str
) -> None:
    out = tmp_path / "out"
    (out / "earlier").mkdir(parents=True)
    (out / "earlier" / "part-00000.jsonl").write_text("kept\n")
    writer = json_writer(out, cls=cls)
    writer.open(SCHEMA, WriteContext(job_name="job", commit_id="c1"))
    with pytest.raises(PluginCrashed) as caught:
        for batch in batches(range(1, 3), range(3, 5), range(5, 7)):
            writer.write(batch)
        writer.commit()
    writer.abort()  # what the runtime does on any failure
    writer.close()
    assert message in str(caught.value)
    assert everything_in(out) == ["earlier", "earlier/part-00000.jsonl"]
    assert (out / "earlier" / "part-00000.jsonl").read_text() == "kept\n"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"output_base": "a", "connection": {"path": "b"}, "path": "c"}, "a"),
        ({"connection": {"path": "b"}, "path": "c"}, "b"),
        ({"path": "c"}, "c"),
    ],
)
def test_output_base_comes_from_the_target(
    tmp_path: Path, target: dict[str, Any], expected: str
) -> None:
    spec = f"{PLUGINS / 'json_file_writer.py'}:JSONFileWriter"
    writer = load_legacy_writer(spec, target, tmp_path)
    assert isinstance(writer, LegacyWriter)
    assert writer.output_base == tmp_path / expected


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({}, "needs a local output directory"),
        ({"output_base": "s3://key:secret@bucket/x"}, "target.output_base is a URL"),
    ],
)
def test_a_writer_without_a_local_output_base_is_refused(
    target: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_legacy_writer("json_file_writer.py:JSONFileWriter", target, PLUGINS)
    assert message in str(caught.value)
    assert "secret" not in str(caught.value)


def test_recover_rolls_an_interrupted_commit_forward(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = json_writer(out)
    writer.open(SCHEMA, WriteContext(job_name="job", commit_id="c1"))
    writer.write(batches(range(1, 3))[0])
    staging = next(out.glob(".dativo-staging-*"))
    (staging / "_COMMITTING").touch()  # died after deciding to commit, before moving files
    crashed_copy = tmp_path / "copy"
    shutil.copytree(staging, crashed_copy)
    writer.abort()
    shutil.copytree(crashed_copy, staging)
    assert writer.recover("c1") is True
    assert everything_in(out) == ["part-00000.jsonl"]
    assert writer.recover("c2") is False


# --- through the runtime -------------------------------------------------------------------


def test_a_dativo_ingest_job_runs_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(PLUGINS, tmp_path / "plugins")
    (tmp_path / "orders.jsonl").write_text(
        "".join(json.dumps({"id": i, "name": f"n{i}"}) + "\n" for i in range(1, 6))
    )
    job = {
        "tenant_id": "acme",
        "asset": "orders",
        "source": {
            "custom_reader": "plugins/json_lines_reader.py:JSONLinesReader",
            "files": [{"path": "orders.jsonl"}],
            "engine": {"options": {"batch_size": 2}},
        },
        "target": {
            "custom_writer": "plugins/json_file_writer.py:JSONFileWriter",
            "output_base": "out",
        },
    }
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.WARNING)
    summary = run_job(load_job(tmp_path / "job.yaml"))
    assert summary.rows == 5
    out = tmp_path / "out"
    assert everything_in(out) == ["_manifest.json", *(f"part-0000{i}.jsonl" for i in range(3))]
    assert "outside its output_base" not in caplog.text

"""The built-in Parquet and CSV writers, on real files: round trips, atomicity, crashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dativo_pkg.errors import ConfigError, PluginError
from dativo_pkg.plugins._filewriter import FileWriter
from dativo_pkg.plugins.csv_reader import CsvReader
from dativo_pkg.plugins.csv_writer import CsvWriter
from dativo_pkg.plugins.parquet_reader import ParquetReader
from dativo_pkg.plugins.parquet_writer import COMMIT_ID_KEY, ParquetWriter, split_by_partition
from dativo_pkg.sdk import PluginConfig, WriteContext

TABLE = pa.table(
    {
        "id": pa.array(range(1, 7), pa.int64()),
        "price": pa.array([1.5, None, -2.25, 0.0, 3.0, 4.5], pa.float64()),
        "name": pa.array(["a", None, "c, d", "e", "f", "g"], pa.string()),
        "active": pa.array([True, False, None, True, False, True], pa.bool_()),
        "day": pa.array([dt.date(2024, 1, 1), None, dt.date(2024, 2, 29)] * 2, pa.date32()),
        "at": pa.array([dt.datetime(2024, 1, 1, 12, 30, 1, 5), None] * 3, pa.timestamp("us")),
        "amount": pa.array([Decimal("1.10"), None, Decimal("-3.00")] * 2, pa.decimal128(15, 2)),
        "region": pa.array(["eu", "us", "eu", "apac", "us", "eu"], pa.string()),
    }
)
CSV_TYPES = {f.name: str(f.type) for f in TABLE.schema}
CSV_TYPES["day"] = "date32"
CSV_TYPES["amount"] = "decimal128(15,2)"

#: kind -> (writer class, config with the output path relative to tmp_path)
TARGETS: dict[str, tuple[type[FileWriter[Any]], dict[str, Any]]] = {
    "parquet-file": (ParquetWriter, {"path": "out.parquet"}),
    "parquet-dir": (ParquetWriter, {"path": "out"}),
    "parquet-partitioned": (ParquetWriter, {"path": "out", "partition_by": ["region"]}),
    "csv-file": (CsvWriter, {"path": "out.csv"}),
    "csv-dir": (CsvWriter, {"path": "out"}),
}
DIRECTORY_KINDS = [kind for kind, (_, cfg) in TARGETS.items() if "." not in cfg["path"]]


def make_writer(tmp_path: Path, kind: str, **extra: Any) -> FileWriter[Any]:
    cls, config = TARGETS[kind]
    return cls.from_config({**config, "path": str(tmp_path / config["path"]), **extra})


def write_run(writer: FileWriter[Any], table: pa.Table, commit_id: str = "c1") -> Any:
    writer.open(table.schema, WriteContext("job", commit_id))
    for batch in table.to_batches(max_chunksize=2):
        writer.write(batch)
    return writer.commit()


def read_back(tmp_path: Path, kind: str) -> pa.Table:
    """What a reader sees in the output, sorted by id, columns in TABLE's order."""
    path = tmp_path / TARGETS[kind][1]["path"]
    if kind.startswith("parquet"):
        table = pa.Table.from_batches(list(ParquetReader.from_config({"path": str(path)}).read()))
    else:
        files = [path] if path.is_file() else sorted(path.glob("part-*.csv"))
        config = {"column_types": CSV_TYPES, "null_values": [""]}
        table = pa.concat_tables(
            pa.Table.from_batches(list(CsvReader.from_config({"path": str(f), **config}).read()))
            for f in files
        )
    return table.select(TABLE.column_names).sort_by("id")


def visible_files(root: Path) -> list[Path]:
    """Files a reader would see: none of their path parts is hidden."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# -- round trips and what commit reports -------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
def test_round_trip_keeps_types_and_nulls(tmp_path: Path, kind: str) -> None:
    write_run(make_writer(tmp_path, kind), TABLE)
    assert read_back(tmp_path, kind) == TABLE
    assert all_files(tmp_path) == visible_files(tmp_path)  # no staging left behind


@pytest.mark.parametrize("kind", TARGETS)
def test_commit_result_describes_the_files(tmp_path: Path, kind: str) -> None:
    result = write_run(make_writer(tmp_path, kind), TABLE)
    assert result.rows == TABLE.num_rows
    assert sorted(map(Path, result.files)) == visible_files(tmp_path)
    assert result.bytes == sum(Path(f).stat().st_size for f in result.files)
    assert result.checksums == {
        f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in result.files
    }


def test_partitioned_layout_is_hive(tmp_path: Path) -> None:
    write_run(make_writer(tmp_path, "parquet-partitioned"), TABLE)
    names = [p.relative_to(tmp_path / "out").as_posix() for p in visible_files(tmp_path)]
    assert names == [
        "region=apac/part-c1-00002.parquet",
        "region=eu/part-c1-00000.parquet",
        "region=us/part-c1-00001.parquet",
    ]
    assert "region" not in pq.read_schema(tmp_path / "out" / "region=eu" / names[1][10:]).names


@pytest.mark.parametrize("kind", ["parquet-file", "parquet-dir", "parquet-partitioned"])
def test_parquet_files_record_the_commit_id(tmp_path: Path, kind: str) -> None:
    result = write_run(make_writer(tmp_path, kind), TABLE, commit_id="run-42")
    for name in result.files:
        assert pq.read_metadata(name).metadata[COMMIT_ID_KEY.encode()] == b"run-42"


def test_row_group_rows_is_passed_through(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, "parquet-file", row_group_rows=4)
    writer.open(TABLE.schema, WriteContext("job", "c1"))
    writer.write(TABLE.to_batches()[0])  # one batch of 6 rows -> row groups of 4 and 2
    writer.commit()
    meta = pq.read_metadata(tmp_path / "out.parquet")
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 2]


@pytest.mark.parametrize(("kind", "files"), [("parquet-file", 1), ("parquet-dir", 0)])
def test_run_without_rows(tmp_path: Path, kind: str, files: int) -> None:
    writer = make_writer(tmp_path, kind)
    writer.open(TABLE.schema, WriteContext("job", "c1"))
    assert writer.commit().rows == 0
    assert len(visible_files(tmp_path)) == files
    if files:  # a single file still carries the schema
        assert pq.read_schema(tmp_path / "out.parquet").names == TABLE.column_names


def test_csv_writer_options(tmp_path: Path) -> None:
    writer = CsvWriter.from_config(
        {"path": str(tmp_path / "o.csv"), "delimiter": ";", "header": False}
    )
    write_run(writer, TABLE.select(["id", "name"]).slice(0, 3))
    assert (tmp_path / "o.csv").read_text() == '1;"a"\n2;\n3;"c, d"\n'


def test_many_partitions_with_few_open_files(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, "parquet-partitioned", max_open_files=1)
    write_run(writer, TABLE)
    assert len(visible_files(tmp_path)) > 3  # partitions were reopened as new part files
    assert read_back(tmp_path, "parquet-partitioned") == TABLE


@pytest.mark.parametrize(
    ("keys", "columns", "expected"),
    [
        (["k"], {"k": [1, 1, 1]}, [[1, 1, 1]]),
        (["k"], {"k": ["b", "a", None, "b", None]}, [["b", "b"], ["a"], [None, None]]),
        (["k", "j"], {"k": [1, 1, 2, 1], "j": [1, 2, 1, 1]}, [[1, 1], [1], [2]]),
    ],
)
def test_split_by_partition(
    keys: list[str], columns: dict[str, list[Any]], expected: list[list[Any]]
) -> None:
    batch = pa.record_batch({**columns, "row": list(range(len(columns["k"])))})
    parts = list(split_by_partition(batch, keys))
    assert [p.column("k").to_pylist() for p in parts] == expected
    for part in parts:  # order within a partition is kept
        rows = part.column("row").to_pylist()
        assert rows == sorted(rows)


# -- atomicity: abort, crashes, replays ---------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
def test_abort_leaves_nothing(tmp_path: Path, kind: str) -> None:
    writer = make_writer(tmp_path, kind)
    writer.open(TABLE.schema, WriteContext("job", "c1"))
    writer.write(TABLE.to_batches()[0])
    writer.abort()
    writer.abort()  # safe twice
    assert list(tmp_path.iterdir()) == []


def test_batch_with_another_schema_is_refused(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, "parquet-dir")
    writer.open(TABLE.schema, WriteContext("job", "c1"))
    with pytest.raises(PluginError, match="schema"):
        writer.write(pa.record_batch({"other": [1]}))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


CRASHING_WRITER = """
import json, os, signal, sys
import pyarrow as pa
from dativo_pkg.plugins.csv_writer import CsvWriter
from dativo_pkg.plugins.parquet_writer import ParquetWriter
from dativo_pkg.sdk import WriteContext

cls = {"ParquetWriter": ParquetWriter, "CsvWriter": CsvWriter}[sys.argv[1]]
config, when = json.loads(sys.argv[2]), sys.argv[3]
table = pa.ipc.open_file(sys.argv[4]).read_all()
writer = cls.from_config(config)
writer.open(table.schema, WriteContext("job", "dead"))
for batch in table.to_batches(max_chunksize=2):
    writer.write(batch)
if when == "mid-commit":
    publish = os.replace
    def publish_one_then_die(src, dst):
        publish(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)
    os.replace = publish_one_then_die
    writer.commit()
os.kill(os.getpid(), signal.SIGKILL)
"""


def run_and_kill(tmp_path: Path, kind: str, when: str) -> None:
    """Run a writer in another process that SIGKILLs itself at ``when``."""
    cls, config = TARGETS[kind]
    data = tmp_path.parent / f"{tmp_path.name}-table.arrow"
    with pa.ipc.new_file(data, TABLE.schema) as sink:
        sink.write_table(TABLE)
    config = {**config, "path": str(tmp_path / config["path"])}
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, cls.__name__, json.dumps(config), when, str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


@pytest.mark.parametrize("kind", TARGETS)
def test_sigkill_before_commit_leaves_no_visible_output(tmp_path: Path, kind: str) -> None:
    run_and_kill(tmp_path, kind, "before-commit")
    assert visible_files(tmp_path) == []
    assert all_files(tmp_path) != []  # the dead writer's staging is there, hidden

    writer = make_writer(tmp_path, kind)
    writer.open(TABLE.schema, WriteContext("job", "next"))  # cleans up the dead run
    writer.abort()
    assert all_files(tmp_path) == []


@pytest.mark.parametrize("kind", TARGETS)
def test_recover_after_sigkill_before_commit(tmp_path: Path, kind: str) -> None:
    run_and_kill(tmp_path, kind, "before-commit")
    assert make_writer(tmp_path, kind).recover("dead") is False
    assert all_files(tmp_path) == []


@pytest.mark.parametrize(
    ("kind", "durable"),
    [
        ("parquet-file", True),
        ("parquet-dir", True),
        ("parquet-partitioned", True),
        ("csv-dir", True),
        ("csv-file", False),  # CSV cannot record its commit id: the runtime replays
    ],
)
def test_recover_after_sigkill_mid_commit(tmp_path: Path, kind: str, durable: bool) -> None:
    run_and_kill(tmp_path, kind, "mid-commit")
    assert make_writer(tmp_path, kind).recover("dead") is durable
    assert all_files(tmp_path) == visible_files(tmp_path)
    assert read_back(tmp_path, kind) == TABLE  # rolled forward: every row, once


@pytest.mark.parametrize(
    ("kind", "committed", "asked", "expected"),
    [
        ("parquet-file", "c1", "c1", True),
        ("parquet-file", "c1", "c2", False),
        ("parquet-file", None, "c1", False),
        ("csv-file", "c1", "c1", False),
        ("parquet-dir", "c1", "c1", True),
        ("parquet-dir", "c1", "c2", False),
        ("parquet-partitioned", "c1", "c1", True),
        ("parquet-partitioned", None, "c1", False),
        ("csv-dir", "c1", "c1", True),
        ("csv-dir", "c1", "c2", False),
    ],
)
def test_recover(
    tmp_path: Path, kind: str, committed: str | None, asked: str, expected: bool
) -> None:
    if committed:
        write_run(make_writer(tmp_path, kind), TABLE, commit_id=committed)
    assert make_writer(tmp_path, kind).recover(asked) is expected


@pytest.mark.parametrize("kind", DIRECTORY_KINDS)
def test_replay_of_a_commit_id_overwrites(tmp_path: Path, kind: str) -> None:
    write_run(make_writer(tmp_path, kind), TABLE, commit_id="c1")
    replay = TABLE.filter(pa.compute.equal(TABLE["region"], "eu"))
    write_run(make_writer(tmp_path, kind), replay, commit_id="c1")
    assert read_back(tmp_path, kind) == replay
    if kind == "parquet-partitioned":  # partitions of the first attempt are gone too
        assert [p.name for p in (tmp_path / "out").iterdir()] == ["region=eu"]


@pytest.mark.parametrize("kind", DIRECTORY_KINDS)
def test_append_then_overwrite(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "_README.txt").write_text("not ours: overwrite keeps it")
    first, second = TABLE.slice(0, 3), TABLE.slice(3)
    write_run(make_writer(tmp_path, kind), first, commit_id="c1")
    write_run(make_writer(tmp_path, kind), second, commit_id="c2")
    assert read_back(tmp_path, kind) == TABLE

    write_run(make_writer(tmp_path, kind, mode="overwrite"), first, commit_id="c3")
    assert read_back(tmp_path, kind) == first
    parts = [p for p in visible_files(tmp_path) if p.name != "_README.txt"]
    assert parts and all(p.name.startswith("part-c3-") for p in parts)
    assert (out / "_README.txt").exists()


# -- configuration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "config", "field"),
    [
        (ParquetWriter, {}, "path"),
        (ParquetWriter, {"path": "o.parquet", "mode": "append"}, "mode"),
        (ParquetWriter, {"path": "o.parquet", "partition_by": ["a"]}, "partition_by"),
        (ParquetWriter, {"path": "o", "partition_by": ["a", "a"]}, "partition_by"),
        (ParquetWriter, {"path": "o", "partition_by": ["_a"]}, "partition_by"),
        (ParquetWriter, {"path": "o", "partition_by": ["a/b"]}, "partition_by"),
        (ParquetWriter, {"path": "o", "mode": "replace"}, "mode"),
        (ParquetWriter, {"path": "o", "compression": "secret-codec"}, "compression"),
        (ParquetWriter, {"path": "o", "row_group_rows": 0}, "row_group_rows"),
        (ParquetWriter, {"path": "o", "max_open_files": 0}, "max_open_files"),
        (ParquetWriter, {"path": "o", "secret_key": "x"}, "secret_key"),
        (CsvWriter, {"path": "o.csv", "mode": "append"}, "mode"),
        (CsvWriter, {"path": "o", "delimiter": "::"}, "delimiter"),
        (CsvWriter, {"path": "o", "partition_by": ["a"]}, "partition_by"),
    ],
)
def test_bad_config_names_the_field(
    cls: type[FileWriter[Any]], config: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError) as err:
        cls.from_config(config)
    assert f"{field}:" in err.value.message
    assert "secret-" not in err.value.message


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"path": "out", "partition_by": ["nope"]}, "partition_by.*nope"),
        ({"path": "out", "partition_by": ["price"]}, "partition_by.*price.*double"),
        ({"path": "out", "partition_by": list(TABLE.column_names)}, "partition_by.*every"),
        ({"path": "dir.parquet"}, "path names a directory"),
    ],
)
def test_config_that_does_not_fit_the_data(
    tmp_path: Path, config: dict[str, Any], match: str
) -> None:
    (tmp_path / "dir.parquet").mkdir()
    writer = ParquetWriter.from_config({**config, "path": str(tmp_path / config["path"])})
    with pytest.raises(ConfigError, match=match):
        writer.open(TABLE.schema, WriteContext("job", "c1"))
    assert visible_files(tmp_path) == []


@pytest.mark.parametrize("cls", [CsvReader, ParquetReader, CsvWriter, ParquetWriter])
def test_plugin_metadata(cls: type[Any]) -> None:
    assert (cls.__doc__ or "").strip().splitlines()[0]
    assert cls.capabilities
    model: type[PluginConfig] = cls.config_model
    schema = model.model_json_schema()
    assert all(prop.get("description") for prop in schema["properties"].values())

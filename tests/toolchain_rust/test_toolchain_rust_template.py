"""The rust-reader template: renders, builds with maturin, passes its own cargo tests,
and runs a real job through `dativo-pkg run` from the installed wheel."""

from __future__ import annotations

import configparser
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from toolchain_rust_support import BuiltRust, dativo_pkg, ok, run_command

from dativo_conformance import materialize, standard_table


def test_wheel_carries_extension_manifest_and_entry_point(rust_built: BuiltRust) -> None:
    project = rust_built.project
    assert rust_built.wheel.name.endswith(".whl") and "abi3" in rust_built.wheel.name
    with zipfile.ZipFile(rust_built.wheel) as wheel:
        names = wheel.namelist()
        manifest = json.loads(wheel.read(f"{project.package}/dativo-plugin.json"))
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = wheel.read(entry_points).decode()
    assert any(n.startswith(f"{project.package}/_native") and n.endswith(".so") for n in names)
    assert f"{project.package}/_native.pyi" in names
    (spec,) = manifest["plugins"]
    assert (spec["kind"], spec["connector"], spec["language"]) == (
        "reader",
        project.connector,
        "rust",
    )
    parser = configparser.ConfigParser()
    parser.read_string(entry_text)
    assert parser["dativo.readers"][project.connector].startswith(f"{project.package}:")


def test_sdist_carries_both_crates(rust_built: BuiltRust) -> None:
    slug = rust_built.project.slug
    with tarfile.open(rust_built.sdist) as sdist:
        names = {Path(*Path(n).parts[1:]).as_posix() for n in sdist.getnames()}
    for expected in (
        "Cargo.toml",
        "pyproject.toml",
        f"crates/{slug}-core/src/lib.rs",
        f"crates/{slug}-py/src/lib.rs",
        f"python/{rust_built.project.package}/reader.py",
    ):
        assert expected in names, expected


def test_core_crate_unit_tests_pass(rust_built: BuiltRust) -> None:
    """`cargo test` of the pure-Rust crate (release: reuses the wheel build's artifacts)."""
    project = rust_built.project
    proc = run_command(
        ["cargo", "test", "--release", "-p", f"{project.slug}-core"], cwd=project.path
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "test result: ok" in proc.stdout
    assert "FAILED" not in proc.stdout


def _job(tmp_path: Path, connector: str, source: str) -> Path:
    job = {
        "name": "rust-template-job",
        "source": {
            "plugin": connector,
            "config": {"path": source, "batch_size": 500},
            "incremental": {"cursor_field": "id"},
        },
        "target": {"plugin": "parquet", "config": {"path": str(tmp_path / "out")}},
        "state": {"path": str(tmp_path / "state.json")},
    }
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job), encoding="utf-8")
    return path


def _read_output(out: Path) -> pa.Table:
    files = sorted(out.rglob("*.parquet"))
    assert files, f"no parquet files under {out}"
    return pa.concat_tables([pq.read_table(f) for f in files]).sort_by("id")


def test_job_csv_directory_to_parquet_incrementally(rust_built: BuiltRust, tmp_path: Path) -> None:
    """A real job: the standard dataset as CSV parts -> built-in parquet writer, twice."""
    first = standard_table(3000)
    source = materialize(first, "csv", tmp_path / "data")["source"]
    job = _job(tmp_path, rust_built.project.connector, source)
    env = {"DATIVO_PLUGIN_PATH": str(rust_built.site)}

    summary = json.loads(ok(dativo_pkg("run", job, "--json", env=env)).stdout)
    assert summary["rows"] == 3000
    assert summary["state"]["value"] == 3000

    # Rows appended to the source: the next run reads exactly those (pushed down in Rust).
    materialize(standard_table(700, start_id=3001), "csv", tmp_path / "data", append=True)
    summary = json.loads(ok(dativo_pkg("run", job, "--json", env=env)).stdout)
    assert summary["rows"] == 700
    assert summary["state"]["value"] == 3700

    written = _read_output(tmp_path / "out")
    expected = pa.concat_tables([first, standard_table(700, start_id=3001)])
    assert written.column("id").to_pylist() == list(range(1, 3701))
    for name in ("id", "name", "amount", "active", "day"):
        assert written.column(name).to_pylist() == expected.column(name).to_pylist(), name
    # Timestamps: the same UTC instants (the reader infers whole seconds, labelled UTC).
    created = written.column("created_at")
    assert pa.types.is_timestamp(created.type) and created.type.tz == "UTC"
    assert created.cast(pa.timestamp("us", tz="UTC")).to_pylist() == (
        expected.column("created_at").to_pylist()
    )


def test_job_on_a_missing_source_exits_unreachable(rust_built: BuiltRust, tmp_path: Path) -> None:
    job = _job(tmp_path, rust_built.project.connector, str(tmp_path / "missing"))
    proc = dativo_pkg("run", job, env={"DATIVO_PLUGIN_PATH": str(rust_built.site)})
    assert proc.returncode == 4, proc.stderr  # SourceUnreachable
    assert "missing" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_rendered_manifest_schema_matches_config_model(rust_built: BuiltRust) -> None:
    """The committed manifest equals the config model's JSON schema (as installed)."""
    script = (
        "import json, sys, importlib, pathlib\n"
        f"sys.path.insert(0, {str(rust_built.site)!r})\n"
        f"pkg = importlib.import_module({rust_built.project.package!r})\n"
        "cls = next(v for k, v in vars(pkg).items() if k.endswith('ReaderConfig'))\n"
        "manifest = json.loads((pathlib.Path(pkg.__file__).parent / 'dativo-plugin.json')"
        ".read_text())\n"
        "assert manifest['plugins'][0]['config_schema'] == cls.model_json_schema()\n"
        "print('same')\n"
    )
    proc = run_command([sys.executable, "-c", script], cwd=rust_built.site)
    assert proc.stdout.strip() == "same", proc.stderr


PUSHDOWN_SCRIPT = """
import datetime as dt, importlib, json, sys
sys.path.insert(0, SITE)
import pyarrow as pa
from dativo_pkg.errors import ConfigError
from dativo_pkg.sdk import Incremental, iter_batches
pkg = importlib.import_module(PACKAGE)
cls = next(v for k, v in vars(pkg).items() if k.endswith("Reader"))
reader = cls.from_config({"path": SOURCE, "batch_size": 100})
after = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=500 * 3607 + 1)
stream = reader.read(Incremental("created_at", after))
assert type(stream).__name__ == "CsvStream" and hasattr(stream, "__arrow_c_stream__")
table = pa.Table.from_batches(list(iter_batches(stream)), schema=reader.schema())
try:
    reader.read(Incremental("name", "x"))
    refused = None
except ConfigError as exc:
    refused = str(exc)
reader.close()
print(json.dumps({"ids": table.column("id").to_pylist(), "refused": refused,
                  "closed": stream.closed}))
"""


def test_timestamp_cursor_is_pushed_down_and_text_cursor_refused(
    rust_built: BuiltRust, tmp_path: Path
) -> None:
    source = materialize(standard_table(600), "csv", tmp_path / "data")["source"]
    script = (
        f"SITE = {str(rust_built.site)!r}\nPACKAGE = {rust_built.project.package!r}\n"
        f"SOURCE = {source!r}\n{PUSHDOWN_SCRIPT}"
    )
    proc = run_command([sys.executable, "-c", script], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # created_at = 2024-01-01 + id * 3607 s, null where id % 17 == 8 (dropped by the filter).
    assert result["ids"] == [i for i in range(501, 601) if i % 17 != 8]
    assert "'name'" in result["refused"] and "integer, date and timestamp" in result["refused"]
    assert result["closed"] is True

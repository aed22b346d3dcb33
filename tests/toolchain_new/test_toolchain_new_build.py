"""`dativo-pkg build` on the rendered python templates, and the built plugins running jobs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import Built, dativo_pkg, ok

from dativo_pkg.manifest import Manifest


def make_table(first_id: int, rows: int) -> pa.Table:
    """Rows like the standard dataset: every column but id has nulls."""
    ids = list(range(first_id, first_id + rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": [None if i % 5 == 0 else f"name-{i}" for i in ids],
            "amount": [None if i % 7 == 0 else i * 1.25 for i in ids],
            "active": [None if i % 3 == 0 else i % 2 == 0 for i in ids],
            "created_at": pa.array(
                [None if i % 11 == 0 else 1_704_164_645 + i * 60 for i in ids],
                pa.timestamp("s", tz="UTC"),
            ),
            "day": pa.array([None if i % 13 == 0 else 19_724 + i % 300 for i in ids], pa.date32()),
        }
    )


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV as the contract says: header, comma, empty field = null, ISO 8601 with Z."""
    columns = {
        name: pc.strftime(table[name], format="%Y-%m-%dT%H:%M:%SZ")
        if name == "created_at"
        else table[name]
        for name in table.column_names
    }
    options = pacsv.WriteOptions(quoting_style="none")
    pacsv.write_csv(pa.table(columns), path, write_options=options)


def write_job(path: Path, source: dict[str, object], target: dict[str, object]) -> Path:
    job = {
        "name": "tnew",
        "source": source,
        "target": target,
        "state": {"path": str(path.parent / "state.json")},
    }
    path.write_text(json.dumps(job))  # JSON is YAML
    return path


@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_wheel_carries_manifest_and_entry_point(built: dict[str, Built], kind: str) -> None:
    b = built[kind]
    assert b.wheel.name == f"{b.project.path.name.replace('-', '_')}-0.1.0-py3-none-any.whl"
    assert b.sdist.name == f"{b.project.path.name.replace('-', '_')}-0.1.0.tar.gz"
    with zipfile.ZipFile(b.wheel) as wheel:
        names = wheel.namelist()
        manifest = Manifest.model_validate_json(
            wheel.read(f"{b.project.package}/dativo-plugin.json")
        )
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        text = wheel.read(entry_points).decode()
    assert f"{b.project.package}/py.typed" in names
    (spec,) = manifest.plugins
    assert (spec.kind, spec.connector, spec.language) == (kind, b.project.connector, "python")
    assert f"[dativo.{kind}s]" in text
    assert f"{b.project.connector} = {b.project.package}:" in text


def test_built_reader_runs_an_incremental_job(
    built: dict[str, Built], plugin_site: Path, tmp_path: Path
) -> None:
    connector = built["reader"].project.connector
    source = tmp_path / "source"
    source.mkdir()
    first = make_table(1, 300)
    write_csv(first.slice(0, 120), source / "part-00000.csv")
    write_csv(first.slice(120), source / "part-00001.csv")
    out = tmp_path / "out"
    job = write_job(
        tmp_path / "job.yaml",
        {
            "plugin": connector,
            "config": {"path": str(source)},
            "incremental": {"cursor_field": "id"},
        },
        {"plugin": "parquet", "config": {"path": str(out)}},
    )
    env = {"DATIVO_PLUGIN_PATH": str(plugin_site)}
    summary = json.loads(ok(dativo_pkg("run", job, "--json", env=env)).stdout)
    assert summary["rows"] == 300
    assert summary["state"]["value"] == 300

    # New rows arrive in a new file: the second run delivers exactly those.
    write_csv(make_table(301, 50), source / "part-00002.csv")
    summary = json.loads(ok(dativo_pkg("run", job, "--json", env=env)).stdout)
    assert summary["rows"] == 50

    got = pq.read_table(out).sort_by("id")
    expected = make_table(1, 350)
    assert got["id"].to_pylist() == expected["id"].to_pylist()  # no gaps, no duplicates
    for name in ("name", "amount", "active", "day"):
        assert got[name].to_pylist() == expected[name].to_pylist(), name
    assert got["created_at"].cast(pa.timestamp("s", tz="UTC")).to_pylist() == (
        expected["created_at"].to_pylist()
    )


def test_built_writer_commits_one_file_per_run(
    built: dict[str, Built], plugin_site: Path, tmp_path: Path
) -> None:
    connector = built["writer"].project.connector
    data = make_table(1, 200)
    source = tmp_path / "orders.csv"
    write_csv(data, source)
    out = tmp_path / "out" / "orders"
    job = write_job(
        tmp_path / "job.yaml",
        {"plugin": "csv", "config": {"path": str(source)}},
        {"plugin": connector, "config": {"path": str(out)}},
    )
    summary = json.loads(
        ok(dativo_pkg("run", job, "--json", env={"DATIVO_PLUGIN_PATH": str(plugin_site)})).stdout
    )
    assert summary["rows"] == 200
    files = sorted(out.iterdir())
    assert [Path(f) for f in summary["files"]] == files  # nothing hidden left beside it
    (written,) = files
    assert written.suffix == ".csv"
    back = pacsv.read_csv(written, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    assert back["id"].to_pylist() == data["id"].to_pylist()
    assert back["name"].to_pylist() == data["name"].to_pylist()
    assert back["amount"].to_pylist() == data["amount"].to_pylist()


def test_rebuild_replaces_dists_and_drops_stale_side_files(
    built: dict[str, Built], tmp_path: Path
) -> None:
    """A dist replaced by different bytes takes its side files (reports, signatures) along."""
    b = built["reader"]
    out = tmp_path / "dist"
    out.mkdir()
    old_wheel = out / b.wheel.name
    old_wheel.write_bytes(b"the bytes of an earlier build")
    stale = [out / f"{b.wheel.name}.conformance.json", out / f"{b.wheel.name}.key.attestation"]
    for side in stale:
        side.write_text("{}")
    unrelated = out / "notes.txt"
    unrelated.write_text("kept")
    ok(dativo_pkg("build", b.project.path, "--out-dir", out))
    assert zipfile.is_zipfile(old_wheel)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [b.wheel.name, b.sdist.name, unrelated.name]
    )

"""The go-reader template: it renders, its Go code is vetted and tested, it builds into a
platform wheel that pip and `installer` install with the program executable, and the
installed plugin runs real jobs through `dativo-pkg run`."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from packaging.tags import sys_tags
from packaging.utils import parse_wheel_filename
from toolchain_go_support import CONNECTOR, GO_ENV, NAME, PACKAGE, dativo

from dativo_conformance import materialize, standard_table

PROGRAM = f"{PACKAGE}/bin/{NAME}"


def _on_path(site: Path) -> dict[str, str]:
    return {"DATIVO_PLUGIN_PATH": str(site)}


def test_the_rendered_project_has_everything_an_author_needs(go_project: Path) -> None:
    for path in (
        "go.mod",
        "go.sum",
        "main.go",
        "internal/csvsource/source.go",
        "README.md",
        "example-job.yaml",
        "tests/test_conformance.py",
        ".github/workflows/publish.yml",
        f"src/{PACKAGE}/dativo-plugin.json",
    ):
        assert (go_project / path).is_file(), path
    manifest = json.loads((go_project / f"src/{PACKAGE}/dativo-plugin.json").read_text())
    (spec,) = manifest["plugins"]
    assert (spec["kind"], spec["connector"], spec["language"]) == ("reader", CONNECTOR, "go")
    assert spec["executable"] == f"bin/{NAME}"
    assert spec["config_schema"]["required"] == ["path"]
    assert "module example.com/acme-go-csv" in (go_project / "go.mod").read_text()
    assert "conformance_suite(__file__)" in (go_project / "tests/test_conformance.py").read_text()
    workflow = yaml.safe_load((go_project / ".github/workflows/publish.yml").read_text())
    assert workflow["jobs"]["build-test-sign"]["permissions"]["id-token"] == "write"
    steps = " ".join(
        str(step.get("run", "")) for step in workflow["jobs"]["build-test-sign"]["steps"]
    )
    for command in ("go test", "dativo-pkg build", "dativo-pkg test", "dativo-pkg sign"):
        assert command in steps
    assert "dativo-pkg publish" in str(workflow["jobs"]["publish"]["steps"])


def test_gofmt_go_vet_and_go_test_pass(go_project: Path, go_tool: str) -> None:
    env = {**os.environ, **GO_ENV}
    gofmt = subprocess.run(
        [str(Path(go_tool).parent / "gofmt"), "-l", "."], cwd=go_project, capture_output=True
    )
    assert gofmt.returncode == 0 and gofmt.stdout == b"", gofmt.stdout  # formatted as gofmt does
    for argv in ([go_tool, "vet", "./..."], [go_tool, "test", "-count=1", "./..."]):
        result = subprocess.run(
            argv, cwd=go_project, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout and "internal/csvsource" in result.stdout


def test_the_wheel_is_a_platform_wheel_holding_an_executable_program(go_wheel: Path) -> None:
    name, version, _, tags = parse_wheel_filename(go_wheel.name)
    assert (name, str(version)) == ("acme-go-csv", "0.1.0")
    assert {t.platform for t in tags} & {t.platform for t in sys_tags()}, "installable here"
    assert all(t.interpreter == "py3" and t.abi == "none" for t in tags)
    assert all(t.platform != "any" for t in tags)
    with zipfile.ZipFile(go_wheel) as wheel:
        info = wheel.getinfo(PROGRAM)
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        assert wheel.read(PROGRAM)[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe")
        dist_info = "acme_go_csv-0.1.0.dist-info"
        meta = wheel.read(f"{dist_info}/WHEEL").decode()
        assert "Root-Is-Purelib: false" in meta
        assert sorted(line[5:] for line in meta.splitlines() if line.startswith("Tag: ")) == (
            sorted(str(t) for t in tags)
        )
        assert f"{CONNECTOR} = {PACKAGE}:EXECUTABLE" in wheel.read(
            f"{dist_info}/entry_points.txt"
        ).decode().replace('"', "")
        # RECORD is true for every member, including the retagged WHEEL file.
        rows = list(csv.reader(io.StringIO(wheel.read(f"{dist_info}/RECORD").decode())))
        assert {r[0] for r in rows} == set(wheel.namelist())
        for path, digest, size in rows:
            if digest:
                data = wheel.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                assert digest == f"sha256={expected.decode()}", path
                assert int(size) == len(data)


def test_pip_installs_the_wheel_with_the_program_executable(go_wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "pip-site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(go_wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    program = target / PROGRAM
    assert os.access(program, os.X_OK)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"path": str(tmp_path / "missing")}))
    check = subprocess.run(
        [str(program), "check", "--config", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 1 and "unreachable" in check.stderr


def test_installer_keeps_the_program_executable(plugin_site: Path) -> None:
    assert os.access(plugin_site / PROGRAM, os.X_OK)
    result = dativo("plugins", "--json", cwd=plugin_site, env=_on_path(plugin_site))
    assert result.returncode == 0, result.stderr
    (record,) = [r for r in json.loads(result.stdout) if r["connector"] == CONNECTOR]
    assert (record["kind"], record["language"], record["distribution"]) == (
        "reader",
        "go",
        "acme-go-csv",
    )


def _write_job(where: Path, source: str, *, incremental: bool = True) -> Path:
    job: dict[str, object] = {
        "name": "go-to-parquet",
        "source": {"plugin": CONNECTOR, "config": {"path": source, "batch_rows": 700}},
        "target": {"plugin": "parquet", "config": {"path": str(where / "out")}},
    }
    if incremental:
        job["source"]["incremental"] = {"cursor_field": "id"}  # type: ignore[index]
        job["state"] = {"path": str(where / "state.json")}
    path = where / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    return path


def _read_output(out: Path) -> pa.Table:
    parts = sorted(out.rglob("*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in parts]).sort_by("id")


def test_a_job_reads_a_csv_directory_into_parquet_with_every_value(
    plugin_site: Path, tmp_path: Path
) -> None:
    table = standard_table(2500)
    source = materialize(table, "csv", tmp_path)["source"]
    job = _write_job(tmp_path, source)
    env = _on_path(plugin_site)

    first = dativo("run", "--json", str(job), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rows"] == 2500
    written = _read_output(tmp_path / "out")
    assert written.column_names == table.column_names
    for name in table.column_names:
        # Types as the dataset declares them: timestamp[us, UTC], date32, ...
        assert written.schema.field(name).type == table.schema.field(name).type, name
        assert written[name].to_pylist() == table[name].to_pylist(), name

    # Incremental: new rows appended to the source; only they are read the second time.
    materialize(standard_table(300, start_id=2501), "csv", tmp_path, append=True)
    second = dativo("run", "--json", str(job), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["rows"] == 300
    ids = _read_output(tmp_path / "out")["id"].to_pylist()
    assert ids == list(range(1, 2801))  # no duplicates, no gaps


def test_a_csv_file_with_its_own_columns_is_typed_by_inference(
    plugin_site: Path, tmp_path: Path
) -> None:
    data = tmp_path / "orders.csv"
    data.write_text(
        "order_id,customer,total,paid,placed_at,ships_on,note\n"
        "10,Ann,12.5,true,2024-05-01T10:00:00+02:00,2024-05-03,\n"
        '11,"Bo, Jr.",,false,,2024-05-04,fragile\n'
    )
    job = _write_job(tmp_path, str(data), incremental=False)
    result = dativo("run", "--json", str(job), cwd=tmp_path, env=_on_path(plugin_site))
    assert result.returncode == 0, result.stderr
    written = pq.read_table(next((tmp_path / "out").rglob("*.parquet")))
    utc = dt.UTC
    expected = pa.table(
        {
            "order_id": pa.array([10, 11], pa.int64()),
            "customer": ["Ann", "Bo, Jr."],
            "total": pa.array([12.5, None], pa.float64()),
            "paid": [True, False],
            "placed_at": pa.array(
                [dt.datetime(2024, 5, 1, 8, tzinfo=utc), None], pa.timestamp("us", tz="UTC")
            ),
            "ships_on": [dt.date(2024, 5, 3), dt.date(2024, 5, 4)],
            "note": pa.array([None, "fragile"], pa.string()),
        }
    )
    assert written.schema.types == expected.schema.types
    assert written.to_pylist() == expected.to_pylist()


def test_a_bad_config_is_refused_naming_the_field(plugin_site: Path, tmp_path: Path) -> None:
    job = _write_job(tmp_path, str(tmp_path), incremental=False)
    spec = yaml.safe_load(job.read_text())
    spec["source"]["config"]["batch_rows"] = 0
    job.write_text(yaml.safe_dump(spec))
    result = dativo("run", str(job), cwd=tmp_path, env=_on_path(plugin_site))
    assert result.returncode != 0
    assert "batch_rows" in result.stderr

"""A plugin in another language, installed as a distribution, runs in a job.

The distribution is laid out as a wheel installs it: a package holding the
manifest (language "go", with the executable's path) and the program, and a
dist-info whose entry points name the package. Discovery reads the manifest
and the runtime wraps the program; nothing in the job says it is not Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

PROGRAM = Path(__file__).parent.parent / "runtime" / "exe_plugins" / "arrow_plugin.py"

MANIFEST = {
    "manifest_version": 1,
    "plugins": [
        {
            "kind": "reader",
            "connector": "gorows",
            "language": "go",
            "api": ">=1,<2",
            "executable": "bin/gorows",
            "config_schema": {
                "type": "object",
                "properties": {"rows": {"type": "integer", "minimum": 0}},
                "required": ["rows"],
                "additionalProperties": False,
            },
        },
        {
            "kind": "writer",
            "connector": "gojsonl",
            "language": "c++",
            "api": ">=1,<2",
            "executable": "bin/gorows",
            "config_schema": {
                "type": "object",
                "properties": {"out_dir": {"type": "string"}},
                "required": ["out_dir"],
            },
        },
    ],
}


@pytest.fixture
def go_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    package = site / "dativo_gorows"
    (package / "bin").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "dativo-plugin.json").write_text(json.dumps(MANIFEST))
    program = package / "bin" / "gorows"
    program.write_text(f"#!{sys.executable}\n{PROGRAM.read_text()}")
    program.chmod(0o755)
    info = site / "dativo_gorows-0.3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dativo-gorows\nVersion: 0.3.0\n")
    (info / "entry_points.txt").write_text(
        "[dativo.readers]\ngorows = dativo_gorows\n\n[dativo.writers]\ngojsonl = dativo_gorows\n"
    )
    return site


def dativo(*args: str, cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dativo_pkg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "DATIVO_PLUGIN_PATH": str(site)},
        timeout=120,
    )


def test_plugins_lists_the_executable_plugins_with_their_language(
    tmp_path: Path, go_site: Path
) -> None:
    result = dativo("plugins", "--json", cwd=tmp_path, site=go_site)
    records = {r["connector"]: r for r in json.loads(result.stdout)}
    assert records["gorows"]["language"] == "go"
    assert records["gorows"]["distribution"] == "dativo-gorows"
    assert records["gojsonl"]["language"] == "c++"


def test_an_executable_reader_feeds_a_builtin_writer(tmp_path: Path, go_site: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "source": {"plugin": "gorows", "config": {"rows": 25}},
                "target": {"plugin": "parquet", "config": {"path": "out.parquet"}},
            }
        )
    )
    result = dativo("run", "--json", str(job), cwd=tmp_path, site=go_site)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 25
    assert pq.read_table(tmp_path / "out.parquet")["id"].to_pylist() == list(range(1, 26))


def test_a_builtin_reader_feeds_an_executable_writer(tmp_path: Path, go_site: Path) -> None:
    (tmp_path / "in.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
    (tmp_path / "out").mkdir()
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "source": {"plugin": "csv", "config": {"path": "in.csv"}},
                "target": {"plugin": "gojsonl", "config": {"out_dir": str(tmp_path / "out")}},
            }
        )
    )
    result = dativo("run", "--json", str(job), cwd=tmp_path, site=go_site)
    assert result.returncode == 0, result.stderr
    lines = [
        json.loads(line)
        for path in (tmp_path / "out").iterdir()
        for line in path.read_text().splitlines()
    ]
    assert sorted(row["id"] for row in lines) == [1, 2, 3]


def test_a_bad_config_for_an_executable_names_the_field(tmp_path: Path, go_site: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "source": {"plugin": "gorows", "config": {"rows": -1}},
                "target": {"plugin": "parquet", "config": {"path": "out.parquet"}},
            }
        )
    )
    result = dativo("run", str(job), cwd=tmp_path, site=go_site)
    assert result.returncode == 2
    assert "rows: must be >= 0" in result.stderr
    assert not (tmp_path / "out.parquet").exists()

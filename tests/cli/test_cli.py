"""The dativo-pkg command as a user runs it: output, --json and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("with_test_plugins")


def dativo(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dativo_pkg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def job(tmp_path: Path, source: dict[str, object], target: dict[str, object]) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump({"source": source, "target": target}))
    return path


def test_run_json_prints_the_summary(tmp_path: Path) -> None:
    path = job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": 7}},
        {"plugin": "memory", "config": {"path": "log.json"}},
    )
    result = dativo("run", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 7
    assert set(summary) >= {"rows", "bytes", "seconds", "rows_per_second", "files", "job"}


def test_run_prints_a_human_summary(tmp_path: Path) -> None:
    path = job(
        tmp_path,
        {"plugin": "seq", "config": {"rows": 7}},
        {"plugin": "memory", "config": {"path": "log.json"}},
    )
    result = dativo("run", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout and "7" in result.stdout


@pytest.mark.parametrize(
    ("source", "target", "code", "message"),
    [
        ({"plugin": "nope"}, {"plugin": "memory"}, 2, "no reader named 'nope' is installed"),
        (
            {"plugin": "seq", "config": {"rows": "x"}},
            {"plugin": "memory", "config": {"path": "l"}},
            2,
            "rows: Input should be a valid integer",
        ),
        (
            {"plugin": "seq", "config": {"fail_at_batch": 1}},
            {"plugin": "memory", "config": {"path": "l"}},
            5,
            "the source went away",
        ),
        (
            {"plugin": "seq", "config": {"crash_at_batch": 1}},
            {"plugin": "memory", "config": {"path": "l"}},
            5,
            "ZeroDivisionError",
        ),
    ],
)
def test_failures_have_one_clear_message_and_exit_code(
    tmp_path: Path, source: dict[str, object], target: dict[str, object], code: int, message: str
) -> None:
    result = dativo("run", str(job(tmp_path, source, target)), cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "l").exists()


def test_unknown_plugin_lists_the_installed_ones(tmp_path: Path) -> None:
    result = dativo(
        "run", str(job(tmp_path, {"plugin": "nope"}, {"plugin": "memory"})), cwd=tmp_path
    )
    assert "installed readers: csv, parquet, postgres, rest, seq, toonew" in result.stderr


def test_secrets_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        "source:\n  plugin: seq\n  config:\n    rows: 3\n    fail_at_batch: 0\n"
        "target:\n  plugin: memory\n  config:\n    path: ${SECRET_TOKEN}/log.json\n"
    )
    result = dativo("-vv", "run", str(path), cwd=tmp_path, env={"SECRET_TOKEN": "hunter2-token"})
    assert result.returncode == 5
    assert "hunter2-token" not in result.stderr + result.stdout


def test_plugins_json_lists_builtins_with_their_schema(tmp_path: Path) -> None:
    result = dativo("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = {(r["kind"], r["connector"]): r for r in json.loads(result.stdout)}
    builtin = records[("reader", "csv")]
    assert builtin["distribution"] == "dativo-pkg"
    assert builtin["language"] == "python"
    assert builtin["api"] == ">=1,<2"
    assert builtin["config_schema"]["properties"]["path"]
    assert records[("writer", "memory")]["distribution"] == "dativo-testplugins"


def test_plugins_table(tmp_path: Path) -> None:
    result = dativo("plugins", "--kind", "writer", cwd=tmp_path)
    assert result.returncode == 0
    assert "parquet" in result.stdout and "seq" not in result.stdout


def test_bad_job_file_exit_code(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("source: [1\n")
    result = dativo("run", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yaml:2:1: invalid YAML" in result.stderr


@pytest.mark.parametrize(
    ("csv_text", "source_extra", "code", "message"),
    [
        (None, {}, 4, "CSV file not found"),
        ("id,name\n1,a\n2,b,extra\n3,c\n", {}, 6, "row 3"),
        ("id,amount\n1,2.5\n2,lots\n", {"column_types": {"amount": "float64"}}, 6, "row 3"),
    ],
)
def test_builtin_source_failures_exit_with_their_code_and_write_nothing(
    tmp_path: Path, csv_text: str | None, source_extra: dict[str, object], code: int, message: str
) -> None:
    if csv_text is not None:
        (tmp_path / "in.csv").write_text(csv_text)
    path = job(
        tmp_path,
        {"plugin": "csv", "config": {"path": "in.csv", **source_extra}},
        {"plugin": "parquet", "config": {"path": "out"}},
    )
    result = dativo("run", str(path), cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    out = tmp_path / "out"
    assert not out.exists() or not any(p for p in out.rglob("*") if p.is_file())


def test_malformed_rows_can_be_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,name\n1,a\n2,b,extra\n3,c\n")
    path = job(
        tmp_path,
        {"plugin": "csv", "config": {"path": "in.csv", "on_error": "skip"}},
        {"plugin": "csv", "config": {"path": "out.csv"}},
    )
    result = dativo("run", "--json", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["skipped_rows"]) == (2, 1)
    assert "skipped 1 malformed rows" in result.stderr
    assert (tmp_path / "out.csv").read_text().splitlines() == ['"id","name"', '1,"a"', '3,"c"']


def test_an_unreachable_database_exits_4_without_the_password(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        "source:\n  plugin: postgres\n  config:\n"
        "    url: postgresql://app:${DB_PASSWORD}@127.0.0.1:9/app\n    table: orders\n"
        "target: {plugin: parquet, config: {path: out.parquet}}\n"
    )
    result = dativo("run", str(path), cwd=tmp_path, env={"DB_PASSWORD": "pa55word-xyz"})
    assert result.returncode == 4, result.stderr
    assert "pa55word-xyz" not in result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_check_validates_and_reaches_both_ends(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id\n1\n")
    good = job(
        tmp_path,
        {"plugin": "csv", "config": {"path": "in.csv"}},
        {"plugin": "parquet", "config": {"path": "out"}},
    )
    result = dativo("check", "--json", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "job": "job",
        "source": "csv",
        "target": "parquet",
        "ok": True,
    }
    (tmp_path / "in.csv").unlink()
    result = dativo("check", str(good), cwd=tmp_path)
    assert result.returncode == 4
    assert "CSV file not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_manifest_schema_is_json_schema(tmp_path: Path) -> None:
    result = dativo("manifest-schema", cwd=tmp_path)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Manifest" and "plugins" in schema["properties"]

"""Job files: the minimal form, interpolation, and an error for each bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_pkg.errors import JobFileError
from dativo_pkg.job import load_job

MINIMAL = """\
source:
  plugin: csv            # entry-point name of an installed reader
  config: {path: data/orders.csv}
target:
  plugin: parquet        # entry-point name of an installed writer
  config: {path: out/orders}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orders.yaml"
    path.write_text(text)
    return path


def test_the_minimal_job_of_the_design_loads(tmp_path: Path) -> None:
    loaded = load_job(write(tmp_path, MINIMAL))
    assert loaded.name == "orders"
    assert loaded.job.source.plugin == "csv"
    assert loaded.job.target.config == {"path": "out/orders"}
    assert loaded.state_path == Path(".dativo/state/orders.json")


def test_env_references_are_substituted_and_remembered_as_secrets(tmp_path: Path) -> None:
    text = (
        "source:\n  plugin: postgres\n  config:\n"
        "    url: postgresql://app:${PGPASS}@db/app\n    table: ${TABLE:-orders}\n"
        "    note: 'costs $${HOME}'\n"
        "target: {plugin: csv, config: {path: out.csv}}\n"
    )
    loaded = load_job(write(tmp_path, text), environ={"PGPASS": "s3cret!"})
    config = loaded.job.source.config
    assert config["url"] == "postgresql://app:s3cret!@db/app"
    assert config["table"] == "orders"
    assert config["note"] == "costs ${HOME}"
    assert loaded.secrets == {"s3cret!", "orders"}


def test_a_dativo_ingest_job_loads_with_its_extra_keys(tmp_path: Path) -> None:
    text = (
        "tenant_id: acme\nasset: users\n"
        "source:\n  custom_reader: plugins/r.py:R\n  connection: {endpoint: x}\n"
        "  engine: {options: {batch_size: 10}}\n"
        "target:\n  custom_writer: plugins/w.py:W\n  output_base: out\n"
    )
    job = load_job(write(tmp_path, text)).job
    assert job.source.custom == "plugins/r.py:R"
    assert job.source.legacy_options == {
        "connection": {"endpoint": "x"},
        "engine": {"options": {"batch_size": 10}},
    }
    assert job.target.legacy_options == {"output_base": "out"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source: {plugin: csv\n", "orders.yaml:2:1: invalid YAML"),
        ("source:\n  plugin: csv\n   config: 1\n", "orders.yaml:3:10: invalid YAML"),
        ("", "the job file is empty"),
        ("- 1\n", "orders.yaml:1:1: a job must be a mapping"),
        ("source: {plugin: csv}\n", "orders.yaml:1:1: target: Field required"),
        (
            "source: {plugin: csv}\ntarget:\n  plugin: csv\n  confg: {}\n",
            "orders.yaml:3:3: target: Value error, unknown key(s) confg",
        ),
        (
            "source: {plugin: csv, custom_reader: a.py:A}\ntarget: {plugin: csv}\n",
            "give exactly one of 'plugin' or 'custom_reader'",
        ),
        (
            "source: {plugin: csv}\ntarget: {plugin: csv}\nschedule: daily\n",
            "orders.yaml:3:11: schedule: Extra inputs are not permitted",
        ),
        (
            "source:\n  plugin: csv\n  incremental: {cursor: x}\ntarget: {plugin: csv}\n",
            "orders.yaml:3:16: source.incremental.cursor_field: Field required",
        ),
        (
            "source:\n  plugin: csv\n  config:\n    url: ${NOT_SET_ANYWHERE}\n"
            "target: {plugin: csv}\n",
            "orders.yaml:4:10: environment variable NOT_SET_ANYWHERE is not set",
        ),
        (
            "source: {plugin: csv, config: {url: ${X}}}\ntarget: {plugin: csv}\n",
            "quote values that hold ${VAR}",
        ),
    ],
)
def test_bad_job_files_name_the_place_and_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(JobFileError) as info:
        load_job(write(tmp_path, text), environ={})
    assert expected in str(info.value)


def test_a_missing_job_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(JobFileError, match=r"cannot read job file .*nope\.yaml"):
        load_job(tmp_path / "nope.yaml")

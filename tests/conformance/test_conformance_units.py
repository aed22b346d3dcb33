"""The suite's parts on their own: project settings, dataset, fixtures, comparison, levels."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from dativo_conformance import (
    LEVELS,
    CheckFailed,
    CheckResult,
    ProjectConfig,
    Report,
    load_project,
    materialize,
    standard_table,
    suite,
)
from dativo_conformance._compare import assert_same_data
from dativo_conformance._install import MissingRequirements, installed_wheel
from dativo_conformance._project import render_config
from dativo_conformance._report import PluginInfo
from dativo_pkg.errors import ConfigError

PYPROJECT = """\
[project]
name = "acme-csv"
version = "0.1.0"

[tool.dativo]
language = "python"

[tool.dativo.conformance]
{body}
"""


def write_project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(body=body))
    return tmp_path


def test_load_project_reads_the_table_and_the_project(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        'kind = "reader"\nconnector = "acme"\nfixture = "csv"\nconfig = { path = "{source}" }',
    )
    (root / "tests").mkdir()
    project = load_project(root / "tests")  # found upwards
    assert (project.kind, project.connector, project.fixture) == ("reader", "acme", "csv")
    assert (project.name, project.version, project.language) == ("acme-csv", "0.1.0", "python")
    assert project.cursor_field == "id"
    assert project.baseline_plugin == "csv"
    assert project.render({"source": "/data"}) == {"path": "/data"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('kind = "reader"\nconnector = "acme"\nfixture = "directory"', "fixture 'directory'"),
        (
            'kind = "writer"\nconnector = "acme"\nfixture = "directory"\n'
            'config = { p = "{source}" }',
            "{source}",
        ),
        ('kind = "reader"\nfixture = "csv"', "tool.dativo.conformance.connector"),
        ('kind = "reader"\nconnector = "acme"\nfixture = "csv"\ncolour = 1', "colour"),
    ],
)
def test_bad_conformance_tables_are_refused_naming_the_problem(
    tmp_path: Path, body: str, named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(write_project(tmp_path, body))
    assert named in caught.value.message
    assert caught.value.hint


def test_a_project_without_the_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"no \[tool.dativo.conformance\]"):
        load_project(tmp_path)


def test_render_config_replaces_placeholders_in_nested_strings_only() -> None:
    template = {"url": "{postgres_url}", "t": ["{table}", 3], "x": {"y": "a-{output}-{other}"}}
    values = {"postgres_url": "pg://h", "table": "t1", "output": "/o"}
    assert render_config(template, values) == {
        "url": "pg://h",
        "t": ["t1", 3],
        "x": {"y": "a-/o-{other}"},
    }


def test_standard_table_has_nulls_everywhere_but_id_and_no_empty_strings() -> None:
    table = standard_table(200, start_id=11)
    assert table.column("id").to_pylist() == list(range(11, 211))
    assert table.column("id").null_count == 0
    for name in table.schema.names[1:]:
        assert table.column(name).null_count > 0, name
    assert "" not in table.column("name").to_pylist()
    assert standard_table(5, start_id=3).equals(standard_table(10).slice(2, 5))
    typed = standard_table(50, typed=True)
    assert pa.types.is_decimal(typed.schema.field("price").type)
    assert typed.column("payload").null_count > 0


def test_csv_materialization_writes_sorted_parts_and_appends(tmp_path: Path) -> None:
    values = materialize(standard_table(100), "csv", tmp_path)
    parts = sorted(Path(values["source"]).iterdir())
    assert [p.name for p in parts] == ["part-00000.csv", "part-00001.csv", "part-00002.csv"]
    first_row = parts[0].read_text().splitlines()[1]
    assert first_row.startswith('1,"name-1",7919.25,false,"2024-01-01T01:00:07Z",2024-01-02')
    materialize(standard_table(10, start_id=101), "csv", tmp_path, append=True)
    parts = sorted(Path(values["source"]).iterdir())
    assert parts[-1].name == "part-00005.csv"
    ids = [i for p in parts for i in pacsv.read_csv(p).column("id").to_pylist()]
    assert ids == list(range(1, 111))


def test_comparison_takes_timestamps_as_instants_whatever_the_unit_and_zone() -> None:
    expected = standard_table(30)
    index = expected.schema.get_field_index("created_at")
    seconds = expected.column(index).cast(pa.timestamp("s", tz="UTC"))
    other_zone = seconds.cast(pa.timestamp("ms", tz="Europe/Paris"))
    actual = expected.set_column(index, "created_at", other_zone)
    assert_same_data(actual.sort_by([("id", "descending")]), expected, what="x")
    naive = expected.set_column(index, "created_at", seconds.cast(pa.timestamp("s")))
    assert_same_data(naive, expected, what="x")


def test_comparison_names_lost_nulls_and_wrong_types() -> None:
    expected = standard_table(30)
    names = expected.column("name").fill_null("")
    with pytest.raises(CheckFailed, match=r"nulls not preserved: name at id=5"):
        assert_same_data(expected.set_column(1, "name", names), expected, what="x")
    as_text = expected.column("amount").cast(pa.string())
    with pytest.raises(CheckFailed, match=r"amount: expected float"):
        assert_same_data(expected.set_column(2, "amount", as_text), expected, what="x")
    later = pa.array([dt.datetime(2030, 1, 1, tzinfo=dt.UTC)] * 30, pa.timestamp("us", tz="UTC"))
    with pytest.raises(CheckFailed, match=r"created_at at id=1"):
        assert_same_data(expected.set_column(4, "created_at", later), expected, what="x")


def test_suites_grow_with_the_level_and_keep_to_their_kind() -> None:
    for kind in ("reader", "writer"):
        sizes = [len(suite(kind, level)) for level in LEVELS]  # type: ignore[arg-type]
        assert sizes == sorted(sizes) and len(set(sizes)) == 3
        assert set(suite(kind, "compatible")) <= set(suite(kind, "verified"))  # type: ignore[arg-type]
    reader_ids = {c.id for c in suite("reader", "certified")}
    writer_ids = {c.id for c in suite("writer", "certified")}
    assert not any(i.startswith("writer.") for i in reader_ids)
    assert not any(i.startswith("reader.") for i in writer_ids)
    assert {"performance.floor", "trust.signed", "reader.incremental"} <= reader_ids
    assert {"contract.manifest", "contract.bad-config"} <= reader_ids & writer_ids
    assert {c.level for c in suite("reader", "compatible")} == {"compatible"}


def _result(check_id: str, level: str, status: str) -> CheckResult:
    return CheckResult(id=check_id, title=check_id, level=level, status=status)  # type: ignore[arg-type]


def test_the_level_reached_is_the_highest_with_every_check_passed() -> None:
    report = Report(
        plugin=PluginInfo(kind="reader", connector="x"),
        requested_level="certified",
        checks=[
            _result("a", "compatible", "passed"),
            _result("b", "verified", "not-applicable"),
            _result("c", "verified", "passed"),
            _result("d", "certified", "failed"),
        ],
    )
    assert report.reached() == "verified"
    assert [c.id for c in report.failed] == ["d"]
    report.checks[0] = _result("a", "compatible", "error")
    assert report.reached() is None
    only_compatible = Report(
        plugin=PluginInfo(kind="reader", connector="x"),
        requested_level="compatible",
        checks=[_result("a", "compatible", "passed")],
    )
    assert only_compatible.reached() == "compatible"


def test_a_wheel_whose_requirements_are_missing_is_refused_naming_them(tmp_path: Path) -> None:
    wheel = tmp_path / "needy-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "needy-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: needy\nVersion: 1.0\n"
            "Requires-Dist: dativo-surely-not-installed>=1\n"
            "Requires-Dist: pyarrow>=1\n"
            "Requires-Dist: pyarrow<2; python_version < '3'\n"
            "Requires-Dist: pydantic<1.0\n"
            'Requires-Dist: other-thing; extra == "docs"\n',
        )
    with pytest.raises(MissingRequirements) as caught, installed_wheel(wheel):
        pass
    message = caught.value.message
    assert "dativo-surely-not-installed>=1" in message
    assert "pydantic<1.0 (installed:" in message
    assert "pyarrow" not in message and "other-thing" not in message
    assert caught.value.exit_code == 2


def test_project_config_can_be_built_directly() -> None:
    config = ProjectConfig(
        kind="writer", connector="w", fixture="postgres", config={"t": "{table}"}
    )
    assert config.baseline_plugin == "postgres"

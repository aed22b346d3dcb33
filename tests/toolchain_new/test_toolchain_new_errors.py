"""Bad input to `dativo-pkg new` and `dativo-pkg build`: exit 2, a message and a hint, no debris."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Project, dativo_pkg, ok

from dativo_pkg.build import BACKENDS
from dativo_pkg.commands.new import NewProjectError, NewSettings, new_project


def assert_refused(proc: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    stderr = proc.stderr
    assert "error:" in stderr and "hint:" in stderr, stderr
    for phrase in phrases:
        assert phrase in stderr, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["reader", "--", "-acme"], ["'-acme' is not a valid project name", "PEP 508"]),
        (["reader", "acme csv"], ["not a valid project name"]),
        (["reader", "acme!"], ["not a valid project name"]),
        (["reader", ""], ["not a valid project name"]),
        (["reader", "acme-"], ["not a valid project name"]),
        (["reader", "3d-points"], ["does not make a valid connector name", "start with a letter"]),
        (["reader", "a" * 70], ["does not make a valid connector name", "at most 64"]),
        (["reader", "CSV"], ["would clash with the built-in reader", "acme-csv"]),
        (["writer", "Parquet"], ["would clash with the built-in writer"]),
        (
            ["writer", "--lang", "rust", "acme"],
            ["no template for a rust writer", "reader --lang go"],
        ),
        (["--lang", "go", "writer", "acme"], ["no template for a go writer", "reader --lang rust"]),
    ],
)
def test_new_refuses_bad_input_and_leaves_nothing(
    tmp_path: Path, args: list[str], phrases: list[str]
) -> None:
    proc = dativo_pkg("new", "--no-input", "--output-dir", tmp_path, *args)
    assert_refused(proc, *phrases)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["reader", "--lang", "java", "acme"], "'java' is not one of"),
        (["source", "acme"], "'source' is not one of"),
    ],
)
def test_new_refuses_unknown_language_or_kind(tmp_path: Path, args: list[str], phrase: str) -> None:
    proc = dativo_pkg("new", *args, "--no-input", "--output-dir", tmp_path)
    assert proc.returncode == 2
    assert phrase in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_existing_directory_and_keeps_it(tmp_path: Path) -> None:
    existing = tmp_path / "acme-csv"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    proc = dativo_pkg("new", "reader", "Acme_CSV", "--no-input", "--output-dir", tmp_path)
    assert_refused(proc, f"{existing} already exists")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-csv"]
    assert [p.name for p in existing.iterdir()] == ["mine.txt"]


def test_new_refuses_a_missing_output_directory(tmp_path: Path) -> None:
    proc = dativo_pkg("new", "reader", "acme", "--no-input", "--output-dir", tmp_path / "nope")
    assert_refused(proc, "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("answers", "phrase"),
    [
        ({"description": 'say "hi"'}, "cannot go into the project files"),
        ({"author": "{{ cookiecutter.x }}"}, "cannot go into the project files"),
        ({"description": ""}, "cannot go into the project files"),
        ({"email": "not-an-address"}, "is not an email address"),
    ],
)
def test_new_refuses_answers_that_would_break_the_files(
    tmp_path: Path, answers: dict[str, str], phrase: str
) -> None:
    settings = NewSettings(
        kind="reader",
        language="python",
        name="acme",
        output_dir=tmp_path,
        prompt=lambda label, default: answers.get(label, default),
    )
    with pytest.raises(NewProjectError, match=phrase) as info:
        new_project(settings)
    assert info.value.exit_code == 2 and info.value.hint
    assert list(tmp_path.iterdir()) == []


def test_new_uses_prompted_answers(tmp_path: Path) -> None:
    answers = {"author": "Ada Lovelace", "email": "ada@example.org", "description": "Reads ledgers"}
    settings = NewSettings(
        kind="writer",
        language="python",
        name="ledger-out",
        output_dir=tmp_path,
        prompt=lambda label, default: answers[label],
    )
    result = new_project(settings)
    pyproject = (result.path / "pyproject.toml").read_text()
    assert 'authors = [{ name = "Ada Lovelace", email = "ada@example.org" }]' in pyproject
    assert 'description = "Reads ledgers"' in pyproject


# --- build ---


def _copy(project: Project, tmp_path: Path) -> Path:
    copy = tmp_path / project.path.name
    shutil.copytree(project.path, copy, ignore=shutil.ignore_patterns("dist", "*.egg-info"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _assert_no_debris(project: Path) -> None:
    assert not (project / "dist").exists()
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist")] == []


def test_build_refuses_a_pyproject_syntax_error(
    projects: dict[str, Project], tmp_path: Path
) -> None:
    project = _copy(projects["reader"], tmp_path)
    _edit(project / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.0')
    proc = dativo_pkg("build", project)
    assert_refused(proc, "cannot read", "pyproject.toml", "line")
    _assert_no_debris(project)


def test_build_failing_in_the_backend_quotes_its_log(
    projects: dict[str, Project], tmp_path: Path
) -> None:
    project = _copy(projects["writer"], tmp_path)
    _edit(project / "pyproject.toml", 'version = "0.1.0"', 'version = "not a version"')
    proc = dativo_pkg("build", project)
    assert_refused(proc, "build command failed", "-m build", "`project.version` must be pep440")
    _assert_no_debris(project)


def test_build_keeps_earlier_dists_when_it_fails(
    projects: dict[str, Project], tmp_path: Path
) -> None:
    project = _copy(projects["reader"], tmp_path)
    dist = project / "dist"
    dist.mkdir()
    (dist / "old-0.0.1-py3-none-any.whl").write_bytes(b"earlier")
    (project / "src" / projects["reader"].package / "reader.py").write_text("def broken(:\n")
    # A syntax error in the code does not stop setuptools; a broken package list does.
    _edit(project / "pyproject.toml", 'where = ["src"]', 'where = ["nowhere"]\ninclude = [1]')
    proc = dativo_pkg("build", project)
    assert proc.returncode == 2, proc.stderr
    assert [p.name for p in dist.iterdir()] == ["old-0.0.1-py3-none-any.whl"]
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist")] == []


@pytest.mark.parametrize(
    ("tool_table", "phrases"),
    [
        ("", ["does not say the plugin's language", 'language = "python"']),
        (
            '[tool.dativo]\nlanguage = "cobol"\n',
            ["no build backend for language 'cobol'", "python"],
        ),
    ],
)
def test_build_refuses_a_missing_or_unknown_language(
    tmp_path: Path, tool_table: str, phrases: list[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n{tool_table}')
    proc = dativo_pkg("build", tmp_path)
    assert_refused(proc, *phrases)
    _assert_no_debris(tmp_path)


def test_build_refuses_a_directory_without_pyproject(tmp_path: Path) -> None:
    assert_refused(dativo_pkg("build", tmp_path), "has no pyproject.toml")
    assert list(tmp_path.iterdir()) == []


#: The languages whose backend needs a tool beside Python (rust, go).
NATIVE = sorted(lang for lang in BACKENDS if BACKENDS[lang].tools)


@pytest.mark.parametrize("language", NATIVE)
def test_build_names_the_missing_toolchain(tmp_path: Path, language: str) -> None:
    rendered = ok(
        dativo_pkg(
            "new",
            "reader",
            "--lang",
            language,
            "tool-probe",
            "--no-input",
            "--output-dir",
            tmp_path,
        )
    )
    assert rendered.returncode == 0
    project = tmp_path / "tool-probe"
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = dativo_pkg("build", project, env={"PATH": str(empty)})
    tool = BACKENDS[language].tools[0]
    assert_refused(proc, f"needs `{tool.name}`", "not on PATH", tool.install_hint[:30])
    _assert_no_debris(project)


def test_build_refuses_an_output_directory_it_cannot_make(
    projects: dict[str, Project], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = dativo_pkg("build", projects["reader"].path, "--out-dir", blocker / "dist")
    assert_refused(proc, "cannot write the distributions to", "--out-dir")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]

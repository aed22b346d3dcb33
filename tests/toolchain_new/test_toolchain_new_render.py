"""`dativo-pkg new`: what the python templates render, and that manifests match the code."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import Project, dativo_pkg, ok

# Compare the rendered manifest with the plugin class, in a fresh interpreter that imports
# the rendered source (not an installed copy).
MANIFEST_VS_CODE = """
import importlib, json, sys
from pathlib import Path
from dativo_pkg.manifest import Manifest, manifest_for
src, package, kind, connector = sys.argv[1:5]
sys.path.insert(0, src)
module = importlib.import_module(package)
cls = getattr(module, module.__all__[0])
manifest_file = Path(src) / package / "dativo-plugin.json"
committed = Manifest.model_validate_json(manifest_file.read_text())
classes = {connector: cls}
expected = manifest_for(readers=classes if kind == "reader" else {},
                        writers=classes if kind == "writer" else {})
print(json.dumps({"committed": committed.model_dump(mode="json"),
                  "expected": expected.model_dump(mode="json")}))
"""


@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_rendered_manifest_agrees_with_the_plugin_class(
    projects: dict[str, Project], kind: str
) -> None:
    project = projects[kind]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            MANIFEST_VS_CODE,
            str(project.path / "src"),
            project.package,
            kind,
            project.connector,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["committed"] == result["expected"]
    (spec,) = result["committed"]["plugins"]
    assert spec["kind"] == kind
    assert spec["connector"] == project.connector
    assert spec["config_schema"]["required"] == ["path"]


@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_rendered_project_is_complete_and_consistent(
    projects: dict[str, Project], kind: str
) -> None:
    project = projects[kind]
    root = project.path
    for relative in (
        "README.md",
        "example-job.yaml",
        ".github/workflows/publish.yml",
        ".gitignore",
        f"src/{project.package}/__init__.py",
        f"src/{project.package}/dativo-plugin.json",
        f"src/{project.package}/py.typed",
    ):
        assert (root / relative).is_file(), relative
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    group = f"dativo.{kind}s"
    (entry,) = pyproject["project"]["entry-points"][group].items()
    assert entry[0] == project.connector
    assert entry[1].startswith(f"{project.package}:")
    assert pyproject["tool"]["dativo"]["language"] == "python"
    conformance = pyproject["tool"]["dativo"]["conformance"]
    assert conformance["kind"] == kind
    assert conformance["connector"] == project.connector
    assert conformance["fixture"] == {"reader": "csv", "writer": "directory"}[kind]
    placeholder = {"reader": "{source}", "writer": "{output}"}[kind]
    assert conformance["config"] == {"path": placeholder}
    # The test file is exactly the one call into the conformance suite.
    assert (root / "tests" / "test_conformance.py").read_text() == (
        "from dativo_conformance.pytest import conformance_suite\n\n"
        "TestConformance = conformance_suite(__file__)  # finds pyproject.toml upwards\n"
    )
    workflow = (root / ".github/workflows/publish.yml").read_text()
    assert "id-token: write" in workflow
    assert "${{ secrets.DATIVO_REGISTRY_TOKEN }}" in workflow  # GitHub syntax survived Jinja
    for step in ("dativo-pkg build", "dativo-pkg test", "dativo-pkg sign", "dativo-pkg publish"):
        assert step in workflow
    unrendered = [
        p
        for p in root.rglob("*")
        if p.is_file() and ("{{" in p.name or "cookiecutter" in p.read_text())
    ]
    assert unrendered == []


def test_names_are_derived_from_the_project_name(tmp_path: Path) -> None:
    proc = ok(
        dativo_pkg(
            "new", "reader", "Dativo_Acme.Orders", "--no-input", "--output-dir", tmp_path, "--json"
        )
    )
    info = json.loads(proc.stdout)
    assert info == {
        "path": str(tmp_path / "dativo-acme-orders"),
        "template": "python-reader",
        "kind": "reader",
        "language": "python",
        "project_slug": "dativo-acme-orders",
        "connector": "acme_orders",
        "package_name": "dativo_acme_orders",
        "class_name": "AcmeOrdersReader",
    }
    pyproject = tomllib.loads((tmp_path / "dativo-acme-orders" / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "dativo-acme-orders"
    assert pyproject["project"]["entry-points"]["dativo.readers"] == {
        "acme_orders": "dativo_acme_orders:AcmeOrdersReader"
    }
    # Only the project appears: no staging directory, no cookiecutter replay file.
    assert [p.name for p in tmp_path.iterdir()] == ["dativo-acme-orders"]


def test_human_output_names_the_project_and_next_steps(tmp_path: Path) -> None:
    proc = ok(dativo_pkg("new", "writer", "acme-sink", "--no-input", "--output-dir", tmp_path))
    assert "acme-sink" in proc.stdout and "acme_sink" in proc.stdout
    assert "dativo-pkg test" in proc.stderr


@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_rendered_code_is_lint_clean(projects: dict[str, Project], kind: str) -> None:
    """Authors start from code that passes ruff with the project's own settings."""
    root = projects[kind].path
    for args in (["check", "--no-cache", "src", "tests"], ["format", "--check", "src", "tests"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

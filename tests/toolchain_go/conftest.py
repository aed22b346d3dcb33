"""The go-reader template, rendered by `dativo-pkg new` and built once per session.

Building needs the Go toolchain (and arrow-go from the module proxy, or the
module cache). Without `go` these tests are skipped locally and fail in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from toolchain_go_support import GO_ENV, NAME, dativo, install_wheel

from dativo_pkg.build import build_project


@pytest.fixture(scope="session")
def go_tool() -> str:
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI"):
            pytest.fail("`go` is not on PATH: CI must build the go-reader template")
        pytest.skip("no Go toolchain (`go` not on PATH)")
    return go


@pytest.fixture(scope="session")
def go_env(go_tool: str) -> Iterator[None]:
    """GOFLAGS for every build in this session (pytest's monkeypatch is per test)."""
    saved = {key: os.environ.get(key) for key in GO_ENV}
    os.environ.update(GO_ENV)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render the go-reader template with `dativo-pkg new` into a fresh directory."""

    def _render(label: str) -> Path:
        where = tmp_path_factory.mktemp(label)
        result = dativo("new", "reader", "--lang", "go", NAME, "--no-input", cwd=where)
        assert result.returncode == 0, result.stderr
        return where / NAME

    return _render


@pytest.fixture(scope="session")
def go_project(render: Callable[[str], Path]) -> Path:
    return render("go-project")


@pytest.fixture(scope="session")
def go_wheel(go_project: Path, go_env: None) -> Path:
    """The project's platform wheel, built by the Go backend."""
    result = build_project(go_project, go_project / "dist")
    assert result.language == "go"
    assert len(result.wheels) == 1 and result.sdists == []
    return result.wheels[0]


@pytest.fixture(scope="session")
def plugin_site(go_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the installed wheel, to put on DATIVO_PLUGIN_PATH."""
    return install_wheel(go_wheel, tmp_path_factory.mktemp("site"))

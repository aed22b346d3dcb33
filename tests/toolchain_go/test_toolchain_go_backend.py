"""The Go build backend's failures: each a clear error, and nothing left half-made."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from toolchain_go_support import NAME, PACKAGE

from dativo_pkg.build import BuildFailed, ToolchainMissing, build_project
from dativo_pkg.build._go import platform_tag, retag_wheel


def _leftovers(project: Path) -> list[str]:
    """Build products that must not survive a failed build."""
    found = [p.name for p in (project / "src" / PACKAGE).rglob(".*.building")]
    found += [p.name for p in project.glob(".dist.building-*")]
    if (project / "dist").exists():
        found += [p.name for p in (project / "dist").iterdir()]
    return found


@pytest.fixture(scope="module")
def fresh_project(render: Callable[[str], Path]) -> Callable[[], Path]:
    """A copy of one rendered project per test (rendering once per module)."""
    original = render("backend")
    counter = iter(range(1000))

    def copy() -> Path:
        target = original.parent / f"copy-{next(counter)}" / NAME
        shutil.copytree(original, target)
        return target

    return copy


@pytest.mark.parametrize(
    ("goos", "goarch", "tag"),
    [
        ("linux", "amd64", "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"),
        ("linux", "arm64", "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64"),
        ("darwin", "arm64", "macosx_12_0_arm64"),
        ("darwin", "amd64", "macosx_12_0_x86_64"),
    ],
)
def test_platform_tags_follow_the_go_target(goos: str, goarch: str, tag: str) -> None:
    assert platform_tag(goos, goarch) == tag


@pytest.mark.parametrize(("goos", "goarch"), [("windows", "amd64"), ("linux", "mips")])
def test_targets_without_a_wheel_tag_are_refused(goos: str, goarch: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        platform_tag(goos, goarch)
    assert f"{goos}/{goarch}" in caught.value.message
    assert "GOOS/GOARCH" in (caught.value.hint or "")


def test_a_missing_go_is_named_with_how_to_get_it(
    fresh_project: Callable[[], Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = fresh_project()
    monkeypatch.setenv("PATH", str(tmp_path))  # no go here
    with pytest.raises(ToolchainMissing) as caught:
        build_project(project, project / "dist")
    assert "`go`" in caught.value.message
    assert "install Go" in (caught.value.hint or "")
    assert _leftovers(project) == []


def test_a_compile_error_quotes_go_and_leaves_nothing(
    fresh_project: Callable[[], Path], go_env: None
) -> None:
    project = fresh_project()
    main = project / "main.go"
    main.write_text(main.read_text().replace("return exitFailed", "return exitFailed +"))
    with pytest.raises(BuildFailed) as caught:
        build_project(project, project / "dist")
    assert "go build" in caught.value.message
    assert "main.go:" in caught.value.message  # the compiler's own words, with the place
    assert _leftovers(project) == []
    assert not (project / "src" / PACKAGE / "bin").exists()


def test_a_manifest_without_a_program_is_refused(
    fresh_project: Callable[[], Path], go_env: None
) -> None:
    project = fresh_project()
    path = project / "src" / PACKAGE / "dativo-plugin.json"
    manifest = json.loads(path.read_text())
    manifest["plugins"][0]["executable"] = "../outside"
    path.write_text(json.dumps(manifest))
    with pytest.raises(BuildFailed) as caught:
        build_project(project, project / "dist")
    assert "must be a path inside the package" in caught.value.message
    assert _leftovers(project) == []


def test_entry_points_naming_no_package_are_refused(
    fresh_project: Callable[[], Path], go_env: None
) -> None:
    project = fresh_project()
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    start = text.index('[project.entry-points."dativo.readers"]')
    end = text.index("[tool.setuptools]")
    pyproject.write_text(text[:start] + text[end:])
    with pytest.raises(BuildFailed) as caught:
        build_project(project, project / "dist")
    assert "entry points" in caught.value.message
    assert _leftovers(project) == []


def test_an_unsupported_goos_is_refused_before_compiling(
    fresh_project: Callable[[], Path], go_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = fresh_project()
    monkeypatch.setenv("GOOS", "windows")
    with pytest.raises(BuildFailed) as caught:
        build_project(project, project / "dist")
    assert "windows/" in caught.value.message
    assert _leftovers(project) == []


def _pure_wheel(where: Path, members: dict[str, bytes]) -> Path:
    wheel = where / "demo-1.0-py3-none-any.whl"
    record = "".join(f"{name},,\n" for name in [*members, "demo-1.0.dist-info/RECORD"])
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("demo-1.0.dist-info/RECORD", record)
    return wheel


def test_retagging_sets_tags_and_the_mode_and_needs_the_program(tmp_path: Path) -> None:
    meta = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    members = {"demo/bin/prog": b"\x7fELF", "demo-1.0.dist-info/WHEEL": meta}
    out = tmp_path / "out"
    out.mkdir()
    wheel = retag_wheel(_pure_wheel(tmp_path, members), out, "a_x.b_x", "demo/bin/prog")
    assert wheel.name == "demo-1.0-py3-none-a_x.b_x.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert stat.S_IMODE(zf.getinfo("demo/bin/prog").external_attr >> 16) == 0o755
        text = zf.read("demo-1.0.dist-info/WHEEL").decode()
    assert "Tag: py3-none-a_x\nTag: py3-none-b_x\n" in text
    assert "Root-Is-Purelib: false" in text and "py3-none-any" not in text

    with pytest.raises(BuildFailed) as caught:
        retag_wheel(_pure_wheel(tmp_path, members), out, "a_x", "demo/bin/other")
    assert "does not hold the program demo/bin/other" in caught.value.message
    assert [p.name for p in out.iterdir()] == [wheel.name]  # no partial file

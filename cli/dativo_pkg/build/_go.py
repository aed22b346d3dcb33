"""Go plugins: ``go build`` of one static program, then a platform wheel holding it.

A Go plugin is an executable speaking Arrow IPC (docs/executable-plugins.md),
shipped inside the Python package that holds its ``dativo-plugin.json``. The
build:

1. finds that package (the entry points' top-level package, located through
   ``[tool.setuptools] package-dir``) and the ``executable`` its manifest names;
2. runs ``go build -trimpath -ldflags "-s -w"`` with ``CGO_ENABLED=0`` on the
   main package ``[tool.dativo.go] main`` (default ``.``) into a hidden file
   beside the executable, then renames it into place: the program is static,
   reproducible from the sources, and never half-written;
3. builds the wheel with the PEP 517 frontend ``build`` (as the Python backend
   does: without isolation when the build requirements are installed here);
4. retags it ``py3-none-<platform>`` for the target ``go env GOOS GOARCH``
   names (so ``GOOS``/``GOARCH`` in the environment cross-compile), marks it
   ``Root-Is-Purelib: false``, and gives the program mode 0755 in the archive,
   which pip and ``installer`` both restore.

A static Linux binary needs no shared library, so the Linux tag is the
compressed set ``manylinux_2_17_<arch>.manylinux2014_<arch>.musllinux_1_1_<arch>``:
any glibc or musl Linux of that architecture installs it. macOS wheels are
``macosx_12_0_<arch>`` (Go 1.25 needs macOS 12). Windows is refused: the
executable protocol passes configs as ``/dev/fd/N``. No sdist is made, since
installing from source would need a Go toolchain the user may not have.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from dativo_pkg.build._backend import Backend, BuildLog, Tool
from dativo_pkg.build._errors import BuildFailed
from dativo_pkg.build._python import build_requirements_installed
from dativo_pkg.errors import DativoError
from dativo_pkg.manifest import MANIFEST_FILENAME, load_manifest

__all__ = ["GoBackend", "platform_tag"]

GO = Tool(
    "go",
    "install Go 1.25 or newer (https://go.dev/doc/install, or your package manager when its "
    "Go is recent enough) and put `go` on PATH; `go version` must work",
)

_GROUPS = ("dativo.readers", "dativo.writers")
#: GOARCH -> the architecture in manylinux/musllinux tags (those both policies define).
_MANYLINUX_ARCH = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "386": "i686",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}
_MACOS_ARCH = {"amd64": "x86_64", "arm64": "arm64"}
_EXECUTABLE_MODE = 0o100755  # a regular file, rwxr-xr-x: the zip's external attributes


def platform_tag(goos: str, goarch: str) -> str:
    """The wheel platform tag of a static program built for ``goos``/``goarch``."""
    if goos == "linux" and goarch in _MANYLINUX_ARCH:
        arch = _MANYLINUX_ARCH[goarch]
        return f"manylinux_2_17_{arch}.manylinux2014_{arch}.musllinux_1_1_{arch}"
    if goos == "darwin" and goarch in _MACOS_ARCH:
        return f"macosx_12_0_{_MACOS_ARCH[goarch]}"
    linux = ", ".join(f"linux/{a}" for a in _MANYLINUX_ARCH)
    darwin = ", ".join(f"darwin/{a}" for a in _MACOS_ARCH)
    raise BuildFailed(
        f"cannot package a Go plugin built for {goos}/{goarch}",
        hint=f"build for one of {linux}, {darwin} (set GOOS/GOARCH, or unset them)",
    )


class GoBackend(Backend):
    """Builds a Go executable plugin into a platform wheel."""

    language: ClassVar[str] = "go"
    tools: ClassVar[tuple[Tool, ...]] = (GO,)

    def build(self, project: Path, out_dir: Path, log: BuildLog) -> list[Path]:
        pyproject = _read_pyproject(project)
        package, package_dir, executable = _find_program(project, pyproject)
        goos, goarch = _go_target(project, log)
        tag = platform_tag(goos, goarch)
        _go_build(project, _main_package(pyproject), package_dir / executable, log)
        pure_dir = out_dir / ".pure-wheel"
        pure_dir.mkdir()
        _build_wheel(project, pyproject, pure_dir, log)
        wheels = sorted(pure_dir.glob("*.whl"))
        if len(wheels) != 1:
            raise BuildFailed(
                f"the wheel build of {project.name} made {len(wheels)} wheels, not one\n"
                f"{log.tail()}",
                hint="check the project's [tool.setuptools] configuration",
            )
        member = str(PurePosixPath(*package.split("."), *PurePosixPath(executable).parts))
        wheel = retag_wheel(wheels[0], out_dir, tag, member)
        shutil.rmtree(pure_dir)
        log.note(f"wrote {wheel.name} holding {member} (mode 0755)")
        return [wheel]


def _read_pyproject(project: Path) -> dict[str, Any]:
    with (project / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every level is a table, else an empty one."""
    for key in keys:
        value = data.get(key, {})
        data = value if isinstance(value, dict) else {}
    return data


def _main_package(pyproject: dict[str, Any]) -> str:
    main = _table(pyproject, "tool", "dativo", "go").get("main", ".")
    if not isinstance(main, str) or not main:
        raise BuildFailed(
            '[tool.dativo.go] main must be a Go package path such as "." or "./cmd/reader"',
            hint="fix it in pyproject.toml",
        )
    return main if main.startswith((".", "/")) else f"./{main}"


def _find_program(project: Path, pyproject: dict[str, Any]) -> tuple[str, Path, str]:
    """The plugin's import package, its directory, and the executable its manifest names."""
    entry_points = _table(pyproject, "project", "entry-points")
    tops = {
        str(value).split(":")[0].split(".")[0]
        for group in _GROUPS
        for value in _table(entry_points, group).values()
    }
    if len(tops) != 1:
        found = ", ".join(sorted(tops)) or "none"
        raise BuildFailed(
            f"{project / 'pyproject.toml'}: the dativo.readers/dativo.writers entry points "
            f"must name one package (found: {found})",
            hint='declare [project.entry-points."dativo.readers"] CONNECTOR = "PACKAGE:EXECUTABLE"',
        )
    package = tops.pop()
    package_dir = _package_dir(project, pyproject, package)
    manifest_path = package_dir / MANIFEST_FILENAME
    if not manifest_path.is_file():
        raise BuildFailed(
            f"the plugin package {package} has no {MANIFEST_FILENAME} (looked in {package_dir})",
            hint="the manifest names the program: see docs/executable-plugins.md",
        )
    try:
        manifest = load_manifest(manifest_path)
    except DativoError as exc:
        raise BuildFailed(str(exc), hint=f"fix {manifest_path}") from exc
    programs = {s.executable for s in manifest.plugins if not s.runs_in_process and s.executable}
    if len(programs) != 1:
        raise BuildFailed(
            f"{manifest_path} must name one program for its Go plugins, not {len(programs)}",
            hint='give each plugin of language "go" the same "executable", e.g. "bin/NAME" '
            "(one program serves readers and writers through its commands)",
        )
    executable = programs.pop()
    parts = PurePosixPath(executable).parts
    if PurePosixPath(executable).is_absolute() or ".." in parts or not parts:
        raise BuildFailed(
            f"{manifest_path}: executable {executable!r} must be a path inside the package",
            hint='use a relative path such as "bin/NAME"',
        )
    return package, package_dir, executable


def _package_dir(project: Path, pyproject: dict[str, Any], package: str) -> Path:
    """Where setuptools finds ``package``: ``package-dir`` mapping, else the project root."""
    mapping = _table(pyproject, "tool", "setuptools", "package-dir")
    if package in mapping:
        return project / str(mapping[package])
    return project / str(mapping.get("", ".")) / package


def _go_target(project: Path, log: BuildLog) -> tuple[str, str]:
    lines = log.run(["go", "env", "GOOS", "GOARCH"], cwd=project).split()
    if len(lines) != 2:
        raise BuildFailed(
            f"`go env GOOS GOARCH` printed {lines!r}\n{log.tail()}",
            hint="check the Go installation: `go env` must work",
        )
    return lines[0], lines[1]


def _go_build(project: Path, main: str, target: Path, log: BuildLog) -> None:
    """Build the program into a hidden file beside ``target``, then rename it into place."""
    created = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.building")
    argv = ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(partial), main]
    try:
        log.run(argv, cwd=project, env={"CGO_ENABLED": "0"})
        partial.chmod(0o755)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        if created:
            shutil.rmtree(target.parent, ignore_errors=True)
        raise


def _build_wheel(project: Path, pyproject: dict[str, Any], out_dir: Path, log: BuildLog) -> None:
    argv = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out_dir)]
    if build_requirements_installed(pyproject):
        log.note("build requirements installed here: building without isolation")
        argv.append("--no-isolation")
    argv.append(str(project))
    log.run(argv, cwd=project)


# --- retagging ---------------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _retagged_wheel_file(text: str, tags: list[str]) -> str:
    """The WHEEL metadata with ``tags`` and platlib as root."""
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith(("Tag:", "Root-Is-Purelib:")) and line.strip()
    ]
    return "\n".join([*kept, "Root-Is-Purelib: false", *(f"Tag: {t}" for t in tags)]) + "\n"


def _retagged_record(text: str, replaced: dict[str, bytes]) -> str:
    """RECORD with new hashes and sizes for the members in ``replaced``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] in replaced:
            data = replaced[row[0]]
            row = [row[0], _record_hash(data), str(len(data))]
        if row:
            writer.writerow(row)
    return out.getvalue()


def retag_wheel(wheel: Path, out_dir: Path, platform: str, executable: str) -> Path:
    """Copy ``wheel`` into ``out_dir`` as ``py3-none-<platform>`` with ``executable`` 0755.

    The new file is written under a hidden name and renamed when complete.
    """
    stem_parts = wheel.name.removesuffix(".whl").split("-")
    if len(stem_parts) not in (5, 6):
        raise BuildFailed(f"{wheel.name} is not a wheel file name", hint="check the build")
    name = "-".join([*stem_parts[:-3], "py3", "none", platform]) + ".whl"
    tags = [f"py3-none-{p}" for p in platform.split(".")]
    target = out_dir / name
    partial = out_dir / f".{name}.partial"
    try:
        with zipfile.ZipFile(wheel) as src:
            infos = src.infolist()
            names = {info.filename for info in infos}
            if executable not in names:
                raise BuildFailed(
                    f"the wheel built from the project does not hold the program {executable}",
                    hint="include it as package data: "
                    '[tool.setuptools.package-data] PACKAGE = ["dativo-plugin.json", "bin/*"]',
                )
            dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/WHEEL"))
            wheel_meta, record = f"{dist_info}/WHEEL", f"{dist_info}/RECORD"
            new_meta = _retagged_wheel_file(src.read(wheel_meta).decode(), tags).encode()
            replaced = {wheel_meta: new_meta}
            new_record = _retagged_record(src.read(record).decode(), replaced).encode()
            replaced[record] = new_record
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in infos:
                    copy = zipfile.ZipInfo(info.filename, info.date_time)
                    copy.compress_type = zipfile.ZIP_DEFLATED
                    copy.external_attr = info.external_attr
                    if info.filename == executable:
                        copy.create_system = 3  # Unix: the attributes hold a file mode
                        copy.external_attr = _EXECUTABLE_MODE << 16
                    data = replaced.get(info.filename)
                    dst.writestr(copy, data if data is not None else src.read(info))
        os.replace(partial, target)
    except (OSError, zipfile.BadZipFile, KeyError, StopIteration) as exc:
        raise BuildFailed(
            f"cannot retag {wheel.name} for {platform}: {exc}", hint="check the built wheel"
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    return target

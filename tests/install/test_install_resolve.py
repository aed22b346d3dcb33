"""Choosing what to install: API range, dependencies, hostile indexes; then list and uninstall."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Index, Target, dativo_pkg, install_into, make_wheel, new_key

from dativo_pkg.commands.list_installed import ListSettings, list_installed
from dativo_pkg.commands.uninstall import UninstallSettings, uninstall
from dativo_pkg.install import InstallFailed, NoMatchingDistribution, UnsafeFilename


def test_a_plugin_too_new_for_this_runtime_falls_back_to_an_older_version(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "papa")
    index.add_key_publisher("papa-plugin", key)
    old = make_wheel(tmp_path / "d", "papa-plugin", "1.0", plugin="papa", api=">=1,<2")
    new = make_wheel(tmp_path / "d", "papa-plugin", "2.0", plugin="papa", api=">=2,<3")
    index.upload(old, new, key.sign(old), key.sign(new))

    install_into(target, index, "papa-plugin")
    assert target.installed() == {"papa-plugin": "1.0"}


def test_a_plugin_with_no_fitting_version_is_refused_with_the_reason(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "quebec")
    wheel = make_wheel(tmp_path / "d", "quebec-plugin", "1.0", plugin="quebec", api=">=2,<3")
    index.publish(wheel, key)

    result = dativo_pkg(
        "install", "quebec-plugin", "--index-url", index.simple, "--prefix", str(target.prefix),
        "--lockfile", str(target.lockfile), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "no version of quebec-plugin" in message
    assert "supports plugin API >=2,<3, but this runtime implements API 1" in message
    assert target.installed() == {}


def test_dependencies_come_from_the_index_unless_the_environment_has_them(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "romeo")
    index.upload(make_wheel(tmp_path / "d", "romeo-lib", "1.0"))
    requires = ("romeo-lib>=1", "packaging>=20", "romeo-extra; python_version < '3'")
    index.publish(
        make_wheel(tmp_path / "d", "romeo-plugin", "1.0", plugin="romeo", requires=requires), key
    )

    result = install_into(target, index, "romeo-plugin")

    assert [p.package.name for p in result.packages] == ["romeo-lib", "romeo-plugin"]
    assert target.installed() == {"romeo-lib": "1.0", "romeo-plugin": "1.0"}  # not packaging
    assert set(target.lock()) == {"romeo-lib", "romeo-plugin"}


def test_a_dependency_conflict_is_explained(index: Index, target: Target, tmp_path: Path) -> None:
    key = new_key(tmp_path, "sierra")
    index.upload(make_wheel(tmp_path / "d", "sierra-lib", "1.0"))
    index.publish(
        make_wheel(
            tmp_path / "d", "sierra-plugin", "1.0", plugin="sierra", requires=("sierra-lib>=2",)
        ),
        key,
    )
    with pytest.raises(
        NoMatchingDistribution, match=r"sierra-lib>=2 \(required by sierra-plugin 1.0\)"
    ):
        install_into(target, index, "sierra-plugin")
    assert target.installed() == {}


@pytest.fixture
def hostile_index(tmp_path: Path) -> Iterator[str]:
    """A tiny index whose project page names a file with path separators."""
    wheel = make_wheel(tmp_path / "hostile", "evil", "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = {
        "meta": {"api-version": "1.1"},
        "name": "evil",
        "versions": ["1.0"],
        "files": [
            {
                "filename": f"../../{wheel.name}",
                "url": f"/files/{wheel.name}",
                "hashes": {"sha256": digest},
            }
        ],
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/simple/evil/":
                body, kind = json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json"
            elif self.path == f"/files/{wheel.name}":
                body, kind = wheel.read_bytes(), "application/octet-stream"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def test_a_filename_with_path_separators_is_refused(
    hostile_index: str, index: Index, target: Target, tmp_path: Path
) -> None:
    with pytest.raises(UnsafeFilename, match=r"\.\./\.\./evil-1\.0"):
        install_into(target, index, "evil", index_url=hostile_index, allow_unsigned=True)
    assert target.installed() == {}
    assert not list(tmp_path.parent.glob("evil-*")) and not list(Path("/tmp").glob("evil-1.0-*"))


def test_list_and_uninstall(index: Index, target: Target, tmp_path: Path) -> None:
    key = new_key(tmp_path, "tango")
    index.publish(make_wheel(tmp_path / "d", "tango-plugin", "1.0", plugin="tango"), key)
    install_into(target, index, "tango-plugin")
    where = ["--prefix", str(target.prefix), "--lockfile", str(target.lockfile)]

    listed = dativo_pkg("list", *where, "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert (record["name"], record["status"], record["provides"]) == (
        "tango-plugin",
        "installed",
        ["reader tango"],
    )
    assert record["signer"]["identity"].startswith("sha256:")
    assert (target.site / "tango_plugin" / "__init__.py").is_file()

    with pytest.raises(InstallFailed, match="does not uninstall itself"):
        uninstall(UninstallSettings(("dativo-pkg",), target.lockfile, target.prefix))

    removed = dativo_pkg("uninstall", "tango-plugin", "--yes", *where, cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert "removed tango-plugin 1.0" in removed.stdout
    assert not (target.site / "tango_plugin").exists()
    assert not list(target.site.glob("tango_plugin-*.dist-info"))
    assert target.lock() == {}
    assert list_installed(ListSettings(target.lockfile, target.prefix)) == []

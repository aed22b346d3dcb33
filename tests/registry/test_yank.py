"""Yanking (PEP 592) through the API and the admin command, seen by pip and the simple pages.

One registry per database serves the module; alice uploads every project
with twine, so she owns them. Each test yanks releases of a project of its
own. A yank must show on the pages at once: it bumps the project's serial,
on which the server validates its cached pages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BIN, Registry
from dists import wheel_name, write_wheel
from shared_registry import module_registry
from uploads import SIMPLE_JSON, new_token, output, twine_upload

from dativo_registry.yanking import MAX_REASON_CHARS

#: project -> its versions, each one wheel.
PROJECTS = {
    "yank-api": ["1.0", "2.0"],
    "yank-bare": ["1.0"],
    "yank-cli": ["1.0", "2.0"],
    "yank-auth": ["1.0"],
}
REASON = 'corrupts data: <b>"use 1.0"</b> & wait'


@dataclass
class Yankable:
    registry: Registry
    alice: str  # owner of every project

    def yank_url(self, project: str, version: str) -> str:
        return f"{self.registry.url}/api/v1/projects/{project}/{version}/yank"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def yankable(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Yankable]:
    workdir = tmp_path_factory.mktemp("yank")
    with module_registry(request, workdir) as registry:
        wheels = [
            write_wheel(workdir, project, version)
            for project, versions in PROJECTS.items()
            for version in versions
        ]
        alice = new_token(registry, "alice")
        result = twine_upload(registry, alice, *wheels)
        assert result.returncode == 0, output(result)
        yield Yankable(registry, alice)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json_page(registry: Registry, project: str) -> tuple[dict[str, Any], int]:
    """``/simple/<project>/`` as PEP 691 JSON: the file entries by filename, and the serial."""
    response = httpx.get(f"{registry.simple}{project}/", headers={"Accept": SIMPLE_JSON})
    response.raise_for_status()
    files = {f["filename"]: f for f in response.json()["files"]}
    return files, int(response.headers["X-PyPI-Last-Serial"])


class _Links(HTMLParser):
    """The anchors of a PEP 503 page: filename -> attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: dict[str, dict[str, str | None]] = {}
        self._current: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.attributes[data] = self._current
            self._current = None


def _html_links(registry: Registry, project: str) -> dict[str, dict[str, str | None]]:
    response = httpx.get(f"{registry.simple}{project}/", headers={"Accept": "text/html"})
    response.raise_for_status()
    parser = _Links()
    parser.feed(response.text)
    return parser.attributes


def _pip_download(registry: Registry, requirement: str, tmp: Path) -> tuple[str, str]:
    """The filename ``pip download`` picks, and its output.

    pip runs isolated from any configuration, cache or other index.
    """
    destination = tmp / f"download-{len(list(tmp.iterdir()))}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1", "HOME": str(tmp)}
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    command += ["--index-url", registry.simple, "-d", str(destination), requirement]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    (downloaded,) = destination.iterdir()
    return downloaded.name, " ".join((result.stdout + result.stderr).split())


def test_yank_and_unyank_through_the_api(yankable: Yankable, tmp_path: Path) -> None:
    registry, new, old = (
        yankable.registry,
        wheel_name("yank-api", "2.0"),
        wheel_name("yank-api", "1.0"),
    )
    _, serial = _json_page(registry, "yank-api")
    assert _pip_download(registry, "yank-api", tmp_path)[0] == new

    # Any spelling of the project and the version names the release.
    response = httpx.post(
        yankable.yank_url("Yank_API", "2.0.0"),
        json={"reason": REASON},
        headers=_bearer(yankable.alice),
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "yank-api",
        "normalized": "yank-api",
        "version": "2.0",
        "yanked": True,
        "yanked_reason": REASON,
    }
    files, yanked_serial = _json_page(registry, "yank-api")
    assert yanked_serial == serial + 1
    assert (files[new]["yanked"], files[old]["yanked"]) == (REASON, False)
    links = _html_links(registry, "yank-api")
    assert links[new]["data-yanked"] == REASON  # escaped in the page, the reason once parsed
    assert "data-yanked" not in links[old]
    assert _pip_download(registry, "yank-api", tmp_path)[0] == old
    pinned, said = _pip_download(registry, "yank-api==2.0", tmp_path)
    assert pinned == new
    assert f"Reason for being yanked: {REASON}" in said
    releases = httpx.get(f"{registry.url}/api/v1/plugins/yank-api").json()["releases"]
    assert [(r["version"], r["yanked"], r["yanked_reason"]) for r in releases] == [
        ("2.0", True, REASON),
        ("1.0", False, None),
    ]

    response = httpx.delete(yankable.yank_url("yank-api", "2.0"), headers=_bearer(yankable.alice))

    assert response.status_code == 200, response.text
    assert (response.json()["yanked"], response.json()["yanked_reason"]) == (False, None)
    files, unyanked_serial = _json_page(registry, "yank-api")
    assert unyanked_serial == serial + 2
    assert files[new]["yanked"] is False
    assert "data-yanked" not in _html_links(registry, "yank-api")[new]
    assert _pip_download(registry, "yank-api", tmp_path)[0] == new


def test_yank_without_reason_and_repeated(yankable: Yankable) -> None:
    """No body or a blank reason: yanked without one. Repeating a yank changes nothing."""
    registry, filename = yankable.registry, wheel_name("yank-bare", "1.0")
    url, auth = yankable.yank_url("yank-bare", "1.0"), _bearer(yankable.alice)
    _, serial = _json_page(registry, "yank-bare")

    bodies: list[dict[str, Any]] = [{}, {"json": {"reason": "  "}}, {"json": {}}]
    for send in bodies:
        response = httpx.post(url, headers=auth, **send)
        assert response.status_code == 200, response.text
        assert (response.json()["yanked"], response.json()["yanked_reason"]) == (True, None)

    files, yanked_serial = _json_page(registry, "yank-bare")
    assert (files[filename]["yanked"], yanked_serial) == (True, serial + 1)
    assert _html_links(registry, "yank-bare")[filename]["data-yanked"] == ""
    # A new reason replaces the old one; unyanking twice is unyanking once.
    assert httpx.post(url, headers=auth, json={"reason": "why"}).json()["yanked_reason"] == "why"
    assert httpx.delete(url, headers=auth).status_code == 200
    assert httpx.delete(url, headers=auth).status_code == 200
    assert _json_page(registry, "yank-bare") == (
        {filename: {**files[filename], "yanked": False}},
        serial + 3,
    )


def test_refusals(yankable: Yankable) -> None:
    """Only owners and maintainers yank, with a valid token; the body says what to do."""
    registry = yankable.registry
    bob = new_token(registry, "bob")  # owns nothing here
    scoped = new_token(registry, "alice", "yank-api")  # alice's, but for another project
    cases: list[tuple[str, str, str, dict[str, str], dict[str, Any], int, str]] = [
        ("POST", "yank-auth", "1.0", {}, {}, 401, "authentication required"),
        ("DELETE", "yank-auth", "1.0", {}, {}, 401, "authentication required"),
        ("POST", "yank-auth", "1.0", _bearer("dtv_nonsense"), {}, 401, "not a registry API token"),
        ("POST", "yank-auth", "1.0", _bearer(bob), {}, 403, "not an owner or maintainer"),
        ("DELETE", "yank-auth", "1.0", _bearer(bob), {}, 403, "not an owner or maintainer"),
        ("POST", "yank-auth", "1.0", _bearer(scoped), {}, 403, "may upload only to yank-api"),
        ("POST", "yank-auth", "9.9", _bearer(yankable.alice), {}, 404, "has no release '9.9'"),
        ("POST", "yank-auth", "not.a.version!", _bearer(yankable.alice), {}, 404, "not a PEP 440"),
        ("POST", "no-such-project", "1.0", _bearer(bob), {}, 404, "no release"),
        (
            "POST",
            "yank-auth",
            "1.0",
            _bearer(yankable.alice),
            {"json": {"reason": "x" * (MAX_REASON_CHARS + 1)}},
            422,
            "at most 1000 characters",
        ),
    ]
    for method, project, version, headers, send, status, message in cases:
        url = yankable.yank_url(project, version)
        response = httpx.request(method, url, headers=headers, **send)
        assert (response.status_code, message) == (status, message), response.text
        assert message in response.text, response.text

    files, _ = _json_page(registry, "yank-auth")
    assert files[wheel_name("yank-auth", "1.0")]["yanked"] is False


def _admin(registry: Registry, *args: str) -> subprocess.CompletedProcess[str]:
    database = ["--database-url", registry.database_url] if registry.database_url else []
    return subprocess.run(
        [str(BIN / "dativo-registry"), *args, "--data-dir", str(registry.data_dir), *database],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_yank_and_unyank_commands(yankable: Yankable) -> None:
    """The administrator's commands, against the database of the running server."""
    registry, new = yankable.registry, wheel_name("yank-cli", "2.0")

    result = _admin(registry, "yank", "Yank.CLI", "2.0", "--reason", REASON)

    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", f"yanked yank-cli 2.0: {REASON}\n")
    files, _ = _json_page(registry, "yank-cli")
    assert files[new]["yanked"] == REASON

    result = _admin(registry, "unyank", "yank-cli", "2.0")

    assert (result.returncode, result.stderr) == (0, "unyanked yank-cli 2.0\n")
    assert _json_page(registry, "yank-cli")[0][new]["yanked"] is False

    for args, error in [
        (("3.0",), "error: project yank-cli has no release '3.0'"),
        (("1.0", "--reason", "two\nlines"), "error: the yank reason 'two\\nlines' holds control"),
    ]:
        result = _admin(registry, "yank", "yank-cli", *args)
        assert (result.returncode, result.stderr.startswith(error)) == (1, True), result.stderr
    assert not any(f["yanked"] for f in _json_page(registry, "yank-cli")[0].values())

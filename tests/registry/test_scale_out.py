"""Scale-out: several server processes sharing one PostgreSQL database and one blob store.

Three ``dativo-registry serve`` processes, started at the same moment on one
``--data-dir`` and one ``--database-url`` (so their schema upgrades race on
the advisory lock): ``a`` and ``b`` with one worker each, ``c`` with
``--workers 2``. Every process keeps rendered simple pages in memory and
validates them on the project's serial, so what one process publishes or
yanks is on every other's pages at once, with no delay to wait out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Registry
from dists import wheel_bytes, wheel_name, write_wheel
from shared_support import fresh_database
from uploads import SIMPLE_JSON, new_token, output, post_upload, twine_upload

#: Requests to a page of the two-worker server, each on a new connection: the kernel hands
#: the connections to either worker, so in all likelihood both answer some.
REPEATS = 8


@pytest.fixture(scope="module")
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Registry]]:
    """``a``, ``b`` and ``c`` (two workers): one data dir, one fresh PostgreSQL database."""
    data_dir = tmp_path_factory.mktemp("scale-out") / "data"
    with fresh_database(request, "postgres") as database_url:
        servers = {name: Registry(data_dir, database_url) for name in "abc"}
        extra = {"a": (), "b": (), "c": ("--workers", "2")}
        try:
            with ThreadPoolExecutor(len(servers)) as pool:
                for started in [pool.submit(s.start, *extra[n]) for n, s in servers.items()]:
                    started.result()
            yield servers
        finally:
            for server in servers.values():
                server.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for the many requests here (``httpx.get`` sets up TLS each time)."""
    with httpx.Client(timeout=30) as client:
        yield client


def _page(client: httpx.Client, server: Registry, project: str) -> tuple[int, dict[str, Any]]:
    """The project's serial and files (by filename) on ``server``'s PEP 691 page.

    Each request on a new connection: on a kept-alive one, the same worker of
    ``c`` would answer every time.
    """
    headers = {"Accept": SIMPLE_JSON, "Connection": "close"}
    response = client.get(f"{server.simple}{project}/", headers=headers)
    response.raise_for_status()
    files = {f["filename"]: f for f in response.json()["files"]}
    return int(response.headers["X-PyPI-Last-Serial"]), files


def _download(client: httpx.Client, server: Registry, project: str, filename: str) -> bytes:
    """A file's bytes, through the URL ``server``'s page gives it."""
    url = httpx.URL(f"{server.simple}{project}/").join(
        _page(client, server, project)[1][filename]["url"]
    )
    response = client.get(url)
    response.raise_for_status()
    return response.content


def _every_view(
    client: httpx.Client, servers: dict[str, Registry], project: str
) -> set[tuple[int, frozenset[str]]]:
    """What each server (each worker of ``c``, by repetition) lists: one entry if all agree."""
    views = set()
    for name, server in servers.items():
        for _ in range(REPEATS if name == "c" else 1):
            serial, files = _page(client, server, project)
            views.add((serial, frozenset(files)))
    return views


def test_what_one_server_publishes_every_server_serves(
    servers: dict[str, Registry], client: httpx.Client, tmp_path: Path
) -> None:
    a, b = servers["a"], servers["b"]
    token = new_token(a, "alice")
    first = write_wheel(tmp_path, "spread", "1.0")
    result = twine_upload(a, token, first)
    assert result.returncode == 0, output(result)
    # Every process renders and caches the page with one file...
    assert _every_view(client, servers, "spread") == {(1, frozenset({first.name}))}

    second = write_wheel(tmp_path, "spread", "1.1")
    result = twine_upload(b, token, second)
    assert result.returncode == 0, output(result)

    # ...and serves the new file right after the upload to another process.
    assert _every_view(client, servers, "spread") == {(2, frozenset({first.name, second.name}))}
    for server in servers.values():
        for path in (first, second):
            assert _download(client, server, "spread", path.name) == path.read_bytes()

    # A yank through one server is on every server's pages at once.
    response = client.post(
        f"{servers['c'].url}/api/v1/projects/spread/1.1/yank",
        json={"reason": "moved"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    for server in servers.values():
        assert _page(client, server, "spread")[1][second.name]["yanked"] == "moved"


def test_concurrent_uploads_to_every_server_all_succeed(
    servers: dict[str, Registry], client: httpx.Client
) -> None:
    """Uploads racing to create one new project, spread over the servers: each is published."""
    token = new_token(servers["a"], "alice")
    targets = list(servers.values())
    wheels = {f"1.{i}": wheel_bytes("crowd", f"1.{i}") for i in range(12)}
    start = threading.Barrier(len(wheels))

    def upload(i: int, version: str) -> httpx.Response:
        start.wait()
        filename = wheel_name("crowd", version)
        target = targets[i % len(targets)]
        return post_upload(target, token, wheels[version], filename, "crowd", version)

    with ThreadPoolExecutor(len(wheels)) as pool:
        responses = list(pool.map(upload, range(len(wheels)), wheels))

    assert [(r.status_code, r.text) for r in responses] == [(200, "OK")] * len(wheels)
    # Each upload bumped the serial once, and every server lists them all.
    filenames = frozenset(wheel_name("crowd", version) for version in wheels)
    assert _every_view(client, servers, "crowd") == {(len(wheels), filenames)}
    for server in targets:
        for version, data in wheels.items():
            assert _download(client, server, "crowd", wheel_name("crowd", version)) == data

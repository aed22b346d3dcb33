"""Crash and race tests, for real: SIGKILL the server during uploads; race real requests.

A kill round starts many uploads, each at a different moment of its life,
and kills the server with SIGKILL once: some uploads are still sending their
body (paused at chosen offsets), some were started at random moments just
before the kill (so they are being received, staged, inspected or committed
when it lands), one was acknowledged before it. After a restart every file
is either absent (not listed, its URL 404, and uploading it again works) or
listed and byte-identical; an acknowledged one is always there.

The race tests start concurrent uploads together (a barrier): of one
filename, exactly one wins and is what gets served; of one new project by
several users, exactly one becomes its owner; one user's concurrent files of
a new release all land.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from conftest import Registry
from dists import wheel_bytes, wheel_name
from shared_support import fresh_database
from uploads import download, form, new_token, post_upload, served_files

from dativo_registry.config import MIB

PROJECT = "crashy"
FILE_BYTES = 4 * MIB
CHUNK = 256 * 1024


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    with fresh_database(request, request.param) as database_url:
        reg = Registry(tmp_path_factory.mktemp("durability") / "data", database_url)
        reg.start()
        yield reg
        reg.stop()


@pytest.fixture(scope="module")
def token(server: Registry) -> str:
    return new_token(server, "alice")


def big_wheel(name: str, version: str, build: str = "") -> tuple[str, bytes]:
    """A wheel with FILE_BYTES of random data stored uncompressed (unique, slow to check)."""
    data = io.BytesIO(wheel_bytes(name, version))
    with zipfile.ZipFile(data, "a") as zf:
        info = zipfile.ZipInfo(f"{name}/payload.bin")
        zf.writestr(info, os.urandom(FILE_BYTES))
    filename = wheel_name(name, version)
    if build:
        filename = filename.replace("-py3-", f"-{build}-py3-")
    return filename, data.getvalue()


@dataclass
class Upload:
    """One upload streamed in chunks; it may pause at ``pause_at`` bytes until told to go on."""

    filename: str
    data: bytes
    version: str
    pause_at: int | None = None
    reached: threading.Event = field(default_factory=threading.Event)
    proceed: threading.Event = field(default_factory=threading.Event)

    def send(self, server: Registry, token: str) -> int | None:
        """The response status, or None if the connection broke (the server died)."""
        request = httpx.Request(
            "POST",
            f"{server.url}/legacy/",
            data=form(self.data, self.filename, PROJECT, self.version),
            files={"content": (self.filename, self.data, "application/octet-stream")},
        )
        body = request.read()
        headers = {
            "Content-Type": request.headers["Content-Type"],
            "Content-Length": str(len(body)),
        }
        try:
            response = httpx.post(
                request.url,
                content=self._chunks(body),
                headers=headers,
                auth=("__token__", token),
                timeout=60,
            )
        except httpx.HTTPError:
            return None
        finally:
            self.reached.set()
        return response.status_code

    def _chunks(self, body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), CHUNK):
            if self.pause_at is not None and start >= self.pause_at and not self.reached.is_set():
                self.reached.set()
                self.proceed.wait()
            yield body[start : start + CHUNK]


def check_after_restart(server: Registry, token: str, upload: Upload, status: int | None) -> str:
    """Absent (and uploadable again) or complete; returns which."""
    sha256 = hashlib.sha256(upload.data).hexdigest()
    listed = served_files(server, PROJECT)
    if status == 200:
        assert upload.filename in listed, f"{upload.filename} was acknowledged, then lost"
    if upload.filename in listed:
        assert listed[upload.filename]["hashes"]["sha256"] == sha256
        assert download(server, PROJECT, upload.filename) == upload.data
        return "complete"
    url = f"{server.url}/files/{sha256}/{upload.filename}"
    assert httpx.get(url).status_code == 404, f"{url} is served but not listed"
    blob = server.data_dir / "blobs" / sha256[:2] / sha256[2:4] / sha256
    outcome = "absent, blob published" if blob.exists() else "absent"
    again = post_upload(server, token, upload.data, upload.filename, PROJECT, upload.version)
    assert again.status_code == 200, f"{upload.filename} cannot be uploaded again: {again.text}"
    return outcome


@pytest.mark.parametrize("round_", [1, 2])
def test_sigkill_during_uploads_leaves_nothing_or_everything(
    server: Registry, token: str, round_: int
) -> None:
    rng = random.Random(round_)
    uploads: list[Upload] = []

    def new_upload(pause_fraction: float | None = None) -> Upload:
        version = f"{round_}.{len(uploads)}"
        filename, data = big_wheel(PROJECT, version)
        pause_at = None if pause_fraction is None else int(len(data) * pause_fraction)
        uploads.append(Upload(filename, data, version, pause_at))
        return uploads[-1]

    acknowledged = new_upload()
    assert acknowledged.send(server, token) == 200
    statuses: dict[str, Future[int | None]] = {}
    with ThreadPoolExecutor(max_workers=16) as pool:
        paused = [new_upload(fraction) for fraction in (0.0, 0.3, 0.7, 0.99)]
        for upload in paused:
            statuses[upload.filename] = pool.submit(upload.send, server, token)
            upload.reached.wait(30)
        for _ in range(8):
            upload = new_upload()
            statuses[upload.filename] = pool.submit(upload.send, server, token)
            time.sleep(rng.uniform(0, 0.06))
        server.stop(signal.SIGKILL)
        for upload in paused:
            upload.proceed.set()
    results = {name: future.result() for name, future in statuses.items()}
    results[acknowledged.filename] = 200

    staging = len(list((server.data_dir / "blobs" / "tmp").iterdir()))

    server.start()
    outcomes = [check_after_restart(server, token, u, results[u.filename]) for u in uploads]
    assert outcomes[0] == "complete"
    assert all(outcomes[1 + i] == "absent" for i in range(len(paused)))  # killed mid-body
    counts = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))}
    print(f"kill round {round_}: {counts}, {staging} staged file(s) left by the kill")


def race(count: int, upload: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Run ``upload(i)`` for i in range(count) at once (as near as threads can)."""
    barrier = threading.Barrier(count)

    def go(i: int) -> httpx.Response:
        barrier.wait()
        return upload(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(go, range(count)))


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_concurrent_uploads_of_one_filename_exactly_one_wins(
    server: Registry, token: str, round_: int
) -> None:
    version = f"9.{round_}"
    contents = [big_wheel("racy", version)[1] for _ in range(6)]
    filename = wheel_name("racy", version)
    responses = race(
        len(contents),
        lambda i: post_upload(server, token, contents[i], filename, "racy", version),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (len(contents) - 1), [r.text for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert download(server, "racy", filename) == contents[winner]


def test_concurrent_first_uploads_of_a_new_project_make_one_owner(server: Registry) -> None:
    users = [f"user{i}" for i in range(5)]
    tokens = [new_token(server, user) for user in users]
    files = [big_wheel("contested", f"1.{i}") for i in range(len(users))]
    responses = race(
        len(users),
        lambda i: post_upload(server, tokens[i], files[i][1], files[i][0], "contested", f"1.{i}"),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [403] * (len(users) - 1), [r.text for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert list(served_files(server, "contested")) == [files[winner][0]]


def test_concurrent_files_of_one_new_release_all_land(server: Registry, token: str) -> None:
    files = [big_wheel("together", "1.0", build=str(i)) for i in range(1, 6)]
    responses = race(
        len(files),
        lambda i: post_upload(server, token, files[i][1], files[i][0], "together", "1.0"),
    )
    assert [r.status_code for r in responses] == [200] * len(files), [r.text for r in responses]
    served = served_files(server, "together")
    assert sorted(served) == sorted(name for name, _ in files)
    for name, data in files:
        assert download(server, "together", name) == data

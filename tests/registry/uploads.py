"""Talking to a test registry as its clients do: twine, a bare HTTP form, pip's index pages."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from conftest import BIN, Registry
from shared_support import upload_form as form
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dativo_registry.auth import create_token
from dativo_registry.config import Settings
from dativo_registry.db import make_engine

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def twine_upload(
    registry: Registry, token: str, *paths: Path, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``twine upload`` as a user runs it (``--verbose``: twine then prints the response body)."""
    target = ["--repository-url", f"{registry.url}/legacy/", "-u", "__token__", "-p", token]
    quiet = ["--non-interactive", "--disable-progress-bar"]
    return subprocess.run(
        [str(BIN / "twine"), "upload", *target, *quiet, "--verbose", *options, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "1000", "NO_COLOR": "1", "TERM": "dumb"},
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    """What twine printed, on one line."""
    return " ".join((result.stdout + result.stderr).split())


def post_upload(
    registry: Registry,
    token: str | None,
    data: bytes,
    filename: str,
    name: str = "tinypkg",
    version: str = "1.0",
    path: str = "/legacy/",
    **fields: str,
) -> httpx.Response:
    """Upload with a multipart form exactly like twine's, through httpx."""
    return httpx.post(
        registry.url + path,
        data=form(data, filename, name, version, **fields),
        files={"content": (filename, data, "application/octet-stream")},
        auth=("__token__", token) if token is not None else None,
        timeout=60,
    )


def served_files(registry: Registry, project: str) -> dict[str, dict[str, Any]]:
    """The files ``/simple/<project>/`` lists (PEP 691 JSON), by filename."""
    response = httpx.get(
        f"{registry.simple}{project}/", headers={"Accept": SIMPLE_JSON}, follow_redirects=True
    )
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    return {f["filename"]: f for f in response.json()["files"]}


def download(registry: Registry, project: str, filename: str) -> bytes:
    """The bytes of a listed file, fetched through its URL on the project page."""
    url = httpx.URL(f"{registry.simple}{project}/").join(
        served_files(registry, project)[filename]["url"]
    )
    response = httpx.get(url)
    response.raise_for_status()
    return response.content


@contextmanager
def database(registry: Registry) -> Iterator[Engine]:
    """The registry's own database, for what the HTTP API does not show."""
    engine = make_engine(Settings(data_dir=registry.data_dir, database_url=registry.database_url))
    try:
        yield engine
    finally:
        engine.dispose()


def new_token(registry: Registry, user: str, *projects: str) -> str:
    """What ``registry.token`` makes, in-process: the CLI takes a second to start."""
    with database(registry) as engine, Session(engine) as session:
        token = create_token(session, user, list(projects) or None)
        session.commit()
        return token

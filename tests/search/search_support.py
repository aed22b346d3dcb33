"""Helpers of the search tests: databases, plugin wheels with chosen metadata, uploads.

``Registry`` (a real ``dativo-registry serve``) comes from tests/registry's
conftest, imported under a name of its own.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.utils import canonicalize_name
from shared_support import load_module, upload_form
from sqlalchemy import Engine

from dativo_registry import db
from dativo_registry.config import Settings

TESTS = Path(__file__).resolve().parents[1]


Registry: Any = load_module("search_registry_conftest", TESTS / "registry" / "conftest.py").Registry

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def migrated(data_dir: Path, database_url: str | None) -> Iterator[Engine]:
    engine = db.make_engine(Settings(data_dir=data_dir, database_url=database_url))
    db.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def spec(
    kind: str, connector: str, language: str = "python", description: str = ""
) -> dict[str, Any]:
    """One plugin of a manifest."""
    return {
        "kind": kind,
        "connector": connector,
        "language": language,
        "api": ">=1,<2",
        "description": description,
        "config_schema": {"type": "object", "properties": {}},
    }


def plugin_wheel(
    name: str,
    version: str,
    plugins: list[dict[str, Any]],
    *,
    summary: str = "",
    readme: str = "",
    keywords: str = "",
) -> tuple[str, bytes]:
    """``(filename, bytes)`` of a wheel declaring ``plugins`` (entry points and manifest)."""
    package = canonicalize_name(name).replace("-", "_")
    info = f"{package}-{version}.dist-info"
    groups: dict[str, list[str]] = {}
    for plugin in plugins:
        groups.setdefault(f"dativo.{plugin['kind']}s", []).append(
            f"{plugin['connector']} = {package}:{plugin['kind'].title()}"
        )
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
    if keywords:
        metadata += f"Keywords: {keywords}\n"
    metadata += f"Description-Content-Type: text/markdown\n\n{readme}\n"
    members = {
        f"{package}/__init__.py": b'"""A search test plugin."""\n',
        f"{package}/dativo-plugin.json": json.dumps(
            {"manifest_version": 1, "plugins": plugins}
        ).encode(),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: search-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
        f"{info}/entry_points.txt": "".join(
            f"[{group}]\n" + "".join(f"{line}\n" for line in lines)
            for group, lines in groups.items()
        ).encode(),
    }
    record = [
        f"{path},sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        + f",{len(data)}"
        for path, data in members.items()
    ]
    members[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return f"{package}-{version}-py3-none-any.whl", buffer.getvalue()


def upload(
    registry: Any,
    token: str,
    filename: str,
    data: bytes,
    attestations: list[dict[str, Any]] | None = None,
) -> None:
    """Upload like twine does (multipart form to /legacy/); fails the test if refused."""
    name, version = filename.split("-")[:2]
    form = upload_form(data, filename, name, version)
    if attestations is not None:
        form["attestations"] = json.dumps(attestations)
    response = httpx.post(
        f"{registry.url}/legacy/",
        data=form,
        files={"content": (filename, data, "application/octet-stream")},
        auth=("__token__", token),
        timeout=60,
    )
    assert response.status_code == 200, response.text

"""What several test directories need: another directory's helper module, a fresh
PostgreSQL database, the form twine uploads with.

Test directories have no ``__init__.py`` and each has its own ``conftest``, so
a helper that imports ``conftest`` by name cannot be shared. This module
imports none: it sits in ``tests/``, which the root conftest puts on
``sys.path``, under a name no directory uses.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from psycopg import sql

__all__ = ["fresh_database", "load_module", "upload_form"]


def load_module(name: str, path: Path) -> ModuleType:
    """Import a helper module of another test directory under a name of its own."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@contextmanager
def fresh_database(request: pytest.FixtureRequest, kind: str) -> Iterator[str | None]:
    """None (SQLite) or the URL of a new PostgreSQL database, dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    server: str = request.getfixturevalue("pg_server_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def upload_form(
    data: bytes, filename: str, name: str, version: str, **fields: str
) -> dict[str, str]:
    """The fields twine sends with a file (``fields`` override or add)."""
    return {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "pyversion": "py3" if filename.endswith(".whl") else "source",
        "metadata_version": "2.1",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
        **fields,
    }

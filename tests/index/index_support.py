"""A registry with a few plugins, filled in-process, and index keys, for the static index tests.

``seed_registry`` uploads real wheels (a manifest, entry points, a README)
through the registry's own upload route with its ASGI app, the way twine
would, so the catalogue the export reads is the one uploads build. No server
process is started: the export reads the app in-process too.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from shared_support import upload_form
from sqlalchemy.orm import Session

from dativo_index.static_index import generate_index_key
from dativo_registry import db, yanking
from dativo_registry.app import create_app
from dativo_registry.auth import create_token
from dativo_registry.config import Settings

PASSPHRASE = "correct horse battery staple"
BIN = Path(sys.executable).parent

#: (name, version) -> (summary, plugins as (kind, connector, language, description))
PLUGINS: dict[tuple[str, str], tuple[str, list[tuple[str, str, str, str]]]] = {
    ("dativo-pg", "1.0"): ("PostgreSQL tables", [("reader", "pg", "rust", "Reads tables")]),
    ("dativo-pg", "2.0"): (
        "PostgreSQL tables, fast",
        [
            ("reader", "pg", "rust", "Reads tables with binary COPY"),
            ("writer", "pg", "rust", "Writes tables with COPY"),
        ],
    ),
    ("dativo-csv", "1.0"): ("CSV files", [("reader", "csv", "python", "Reads CSV files")]),
    ("acme-markup", "0.1"): (
        "[bold red]markup[/] <script>alert(1)</script> \x1b[31mred",
        [("writer", "acme", "python", "Writes nothing 'quoted' & <b>bold</b>")],
    ),
}
YANKED = ("dativo-pg", "1.0", "superseded: wrong COPY options")


@dataclass(frozen=True)
class IndexKey:
    private: Path
    public: Path
    key_id: str


def make_key(directory: Path, name: str = "index-key") -> IndexKey:
    made = generate_index_key(directory / name, PASSPHRASE.encode())
    return IndexKey(made.private_key, made.public_key, made.key_id)


_SEEDED: list[Path] = []


def seeded_registry(data_dir: Path) -> Settings:
    """A copy of :func:`seed_registry`'s registry in ``data_dir`` (seeded once per process)."""
    if not _SEEDED:
        template = Path(tempfile.mkdtemp(prefix="dativo-index-seed-"))
        atexit.register(shutil.rmtree, template, True)
        seed_registry(template / "data")
        _SEEDED.append(template / "data")
    shutil.copytree(_SEEDED[0], data_dir)
    return Settings(data_dir=data_dir)


def seed_registry(data_dir: Path, database_url: str | None = None) -> Settings:
    """A registry in ``data_dir`` (SQLite, or ``database_url``) holding :data:`PLUGINS`."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings)
    db.upgrade(engine)
    with Session(engine) as session:
        token = create_token(session, "alice", None)
        session.commit()
    app = create_app(settings)
    with TestClient(app) as client:
        for (name, version), (summary, plugins) in PLUGINS.items():
            data = wheel_bytes(name, version, summary, plugins)
            upload(client, token, name, version, data)
    with db.make_sessionmaker(engine).begin() as session:
        yanking.set_yanked(session, *YANKED)
    app.state.engine.dispose()
    engine.dispose()
    return settings


def upload(client: TestClient, token: str, name: str, version: str, data: bytes) -> None:
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    response = client.post(
        "/legacy/",
        data=upload_form(data, filename, name, version),
        files={"content": (filename, data, "application/octet-stream")},
        auth=("__token__", token),
    )
    assert response.status_code == 200, response.text


def wheel_bytes(
    name: str, version: str, summary: str, plugins: list[tuple[str, str, str, str]]
) -> bytes:
    """A plugin wheel: its package with a manifest, METADATA with a README, entry points."""
    package = name.replace("-", "_")
    dist_info = f"{package}-{version}.dist-info"
    manifest = {
        "manifest_version": 1,
        "plugins": [
            {
                "kind": kind,
                "connector": connector,
                "language": language,
                "description": description,
                "config_schema": {
                    "type": "object",
                    "properties": {"rows": {"type": "integer", "default": 10}},
                },
            }
            for kind, connector, language, description in plugins
        ],
    }
    groups: dict[str, list[str]] = {}
    for kind, connector, _, _ in plugins:
        groups.setdefault(f"dativo.{kind}s", []).append(f"{connector} = {package}:{kind.title()}")
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{line}\n" for line in lines) for group, lines in groups.items()
    )
    summary_line = summary.replace("\n", " ")
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary_line}\n"
        "Description-Content-Type: text/markdown\n\n"
        f"# {name}\n\nA plugin for the static index tests.\n"
    )
    members: dict[str, bytes] = {
        f"{package}/__init__.py": b'"""A test plugin."""\n',
        f"{package}/dativo-plugin.json": json.dumps(manifest).encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": entry_points.encode(),
    }
    record = [f"{path},sha256={_b64_digest(data)},{len(data)}" for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _b64_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """``python -m http.server`` serving ``directory``; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "http.server exited"
            try:
                httpx.get(url + "/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "http.server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


def export(settings: Settings, out: Path, key: IndexKey, **options: Any) -> Any:
    """``export-index`` in-process; returns its ExportResult."""
    from dativo_registry.export import ExportSettings, export_index

    return export_index(
        ExportSettings(
            out=out,
            registry=settings,
            key_file=key.private,
            passphrase=PASSPHRASE.encode(),
            **options,
        )
    )


def resign(out: Path, key: IndexKey, **changes: Any) -> None:
    """Change fields of ``out/index.json``'s signed part and sign it again with ``key``."""
    from dativo_index.static_index import load_signing_key
    from dativo_index.static_index.canonical import canonical_json
    from dativo_index.static_index.document import sign_index

    envelope = read_json(out / "index.json")
    signed = {**envelope["signed"], **changes}
    signing_key = load_signing_key(key.private, PASSPHRASE.encode())
    (out / "index.json").write_bytes(canonical_json(sign_index(signed, signing_key)))


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (relative path -> bytes)."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }

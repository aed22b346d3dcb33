"""A registry holding the plugins the web tests look at, filled in-process the way clients do.

Wheels are written byte by byte (METADATA with a README, a manifest, entry
points, RECORD) and uploaded through the app's ``/legacy/`` route as twine
sends them, key-signed ones with their attestation; reports and benchmarks
are posted to the plugin API as signed statements, as ``dativo-pkg publish``
sends them. So every page shows what uploads and attachments really stored.

- ``acme-fast`` 1.0 and 1.1: signed by a registered publisher key, a signed
  certified report (one check failed, its reason holds markup) and a signed
  benchmark per version; a README full of XSS attempts;
- ``acme-former``: signed, certified, then its publisher was removed (so the
  signer is unverified and the level capped at verified);
- ``acme-slow``: unsigned writer, plain-text README, an unsigned report;
- ``acme-old``: 2.0 yanked (with a reason holding markup), so 1.0 is shown;
- ``acme-huge``: a plain-text README over the size limit;
- ``plain-lib``: an ordinary package, no plugin.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from shared_support import upload_form
from sqlalchemy.orm import Session

from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    PUBLISH_PREDICATE,
    PrivateKey,
    Publisher,
    Subject,
    generate_private_key,
    key_id,
    public_key_pem,
    sign_with_key,
)
from dativo_registry import db, yanking
from dativo_registry.app import create_app
from dativo_registry.auth import create_token
from dativo_registry.config import Settings
from dativo_registry.publishers import add_publisher, remove_publisher

XSS_README = """\
# Acme fast CSV

Reads CSV **fast**. <script>alert("readme")</script>

[click](javascript:alert('link')) <a href="JaVaScRiPt:alert(2)">raw link</a>
<img src="x.png" onerror="alert('img')" alt="logo">
<iframe src="https://evil.example/"></iframe>
<style>body { display: none }</style>
<p onclick="alert('p')" style="color: red">styled</p>

| option | meaning |
|--------|---------|
| `fast` | yes     |

```python
print("<b>not bold</b>")
```
"""

SCHEMA = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "The CSV file to read"},
        "delimiter": {"type": "string", "default": ","},
        "rows": {"type": "integer", "default": 1000, "minimum": 1},
    },
    "required": ["path"],
}

FAILED_REASON = '<script>alert("reason")</script> 12,000 rows/s is under the floor'
YANK_REASON = '<b>broken</b> "COPY" & worse'


@dataclass(frozen=True)
class Site:
    settings: Settings
    token: str
    key_id: str
    wheels: dict[tuple[str, str], str]


def build_site(data_dir: Path, database_url: str | None = None) -> Site:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings)
    db.upgrade(engine)
    key, former = generate_private_key(), generate_private_key()
    with Session(engine) as session:
        token = create_token(session, "alice", None)
        add_publisher(session, "acme-fast", Publisher.from_public_key(public_key_pem(key)))
        add_publisher(session, "acme-former", Publisher.from_public_key(public_key_pem(former)))
        session.commit()
    wheels: dict[tuple[str, str], str] = {}
    app = create_app(settings)
    with TestClient(app) as client:
        poster = _Poster(client, token, wheels)
        for version, rate, baseline in (("1.0", 500_000, 400_000), ("1.1", 900_000, 450_000)):
            poster.upload("acme-fast", version, "Reads CSV fast", XSS_README, key=key)
            poster.benchmark("acme-fast", version, key, rate, baseline)
        poster.conformance("acme-fast", "1.1", key, _report("certified"))
        poster.upload("acme-former", "1.0", "Formerly published", "# Former\n", key=former)
        poster.conformance("acme-former", "1.0", former, _report("certified"))
        poster.upload(
            "acme-slow", "0.1", "Writes slowly", "Plain <script>x</script> text",
            kind="writer", language="rust", content_type="text/plain",
        )  # fmt: skip
        poster.post("acme-slow", "0.1", "conformance", _report("compatible"))
        poster.upload("acme-old", "1.0", "Old but fine", "old")
        poster.upload("acme-old", "2.0", "New but broken", "new")
        huge = "A line of a very long README that goes on.\n" * 14_000
        poster.upload("acme-huge", "1.0", "Huge README", huge, content_type="text/plain")
        poster.upload("plain-lib", "1.0", "An ordinary library", "# lib\n", plugin=False)
    with db.make_sessionmaker(engine).begin() as session:
        yanking.set_yanked(session, "acme-old", "2.0", YANK_REASON)
        remove_publisher(session, "acme-former", key_id=key_id(former.public_key()))
    app.state.engine.dispose()
    engine.dispose()
    return Site(settings, token, key_id(key.public_key()), wheels)


def _report(level: str) -> dict[str, Any]:
    return {
        "suite": {"name": "dativo-conformance", "version": "1.0"},
        "plugin": {"kind": "reader", "connector": "fastcsv"},
        "requested_level": level,
        "level": level,
        "checks": [
            {"id": "manifest", "title": "Manifest is valid", "level": "compatible",
             "status": "passed", "reason": None},
            {"id": "incremental", "title": "Incremental state", "level": "certified",
             "status": "not-applicable", "reason": "no state"},
            {"id": "perf_floor", "title": "Performance floor", "level": "certified",
             "status": "failed", "reason": FAILED_REASON},
        ],
        "created_at": "2025-01-02T03:04:05+00:00",
    }  # fmt: skip


def _benchmark(plugin: float, baseline: float) -> dict[str, Any]:
    return {
        "plugin": {"kind": "reader", "connector": "fastcsv"},
        "dataset": {"rows": 100_000, "fixture": "orders", "bytes": 5_000_000},
        "results": [
            {"role": "plugin", "plugin": "fastcsv", "rows_per_second": plugin,
             "mb_per_second": plugin / 20_000, "peak_rss_mb": 80.0},
            {"role": "baseline", "plugin": "csv (built-in)", "rows_per_second": baseline,
             "mb_per_second": baseline / 20_000, "peak_rss_mb": 60.0},
        ],
        "ratios": {"rows_per_second": plugin / baseline},
    }  # fmt: skip


@dataclass
class _Poster:
    client: TestClient
    token: str
    wheels: dict[tuple[str, str], str]

    def upload(
        self,
        name: str,
        version: str,
        summary: str,
        readme: str,
        *,
        key: PrivateKey | None = None,
        kind: str = "reader",
        language: str = "python",
        content_type: str = "text/markdown",
        plugin: bool = True,
    ) -> None:
        filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        data = wheel(name, version, summary, readme, kind, language, content_type, plugin)
        sha256 = hashlib.sha256(data).hexdigest()
        form = upload_form(data, filename, name, version)
        if key is not None:
            bundle = sign_with_key(key, Subject(filename, sha256), predicate_type=PUBLISH_PREDICATE)
            form["attestations"] = json.dumps([bundle])
        response = self.client.post(
            "/legacy/",
            data=form,
            files={"content": (filename, data, "application/octet-stream")},
            auth=("__token__", self.token),
        )
        assert response.status_code == 200, response.text
        self.wheels[(name, version)] = f"/files/{sha256}/{filename}"

    def subject(self, name: str, version: str) -> Subject:
        url = self.wheels[(name, version)]
        _, _, sha256, filename = url.split("/")
        return Subject(filename, sha256)

    def conformance(self, name: str, version: str, key: PrivateKey, body: dict[str, Any]) -> None:
        statement = sign_with_key(
            key, self.subject(name, version), predicate_type=CONFORMANCE_PREDICATE, predicate=body
        )
        self.post(name, version, "conformance", statement)

    def benchmark(
        self, name: str, version: str, key: PrivateKey, plugin: float, baseline: float
    ) -> None:
        statement = sign_with_key(
            key,
            self.subject(name, version),
            predicate_type=BENCHMARK_PREDICATE,
            predicate=_benchmark(plugin, baseline),
        )
        self.post(name, version, "benchmarks", statement)

    def post(self, name: str, version: str, kind: str, body: dict[str, Any]) -> None:
        response = self.client.post(
            f"/api/v1/plugins/{name}/{version}/{kind}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 201, response.text


def wheel(
    name: str,
    version: str,
    summary: str,
    readme: str,
    kind: str,
    language: str,
    content_type: str,
    plugin: bool,
) -> bytes:
    """A wheel: a package (with a plugin manifest and entry points if ``plugin``), METADATA
    with ``readme`` as its description, WHEEL and RECORD."""
    package = name.replace("-", "_")
    dist_info = f"{package}-{version}.dist-info"
    connector = name.removeprefix("acme-")
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
        f"License: Apache-2.0\nProject-URL: Source, https://example.com/{name}\n"
        f"Project-URL: Evil, javascript:alert(1)\nDescription-Content-Type: {content_type}\n\n"
        f"{readme}"
    )
    members: dict[str, bytes] = {
        f"{package}/__init__.py": b'"""A web test package."""\n',
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    if plugin:
        spec = {"kind": kind, "connector": connector, "language": language,
                "description": summary, "config_schema": SCHEMA}  # fmt: skip
        manifest = {"manifest_version": 1, "plugins": [spec]}
        members[f"{package}/dativo-plugin.json"] = json.dumps(manifest).encode()
        entry = f"[dativo.{kind}s]\n{connector} = {package}:Plugin\n"
        members[f"{dist_info}/entry_points.txt"] = entry.encode()
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

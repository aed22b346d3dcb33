"""The marketplace the browser tests look at: four plugins published for real.

Wheels are written byte by byte (METADATA with a Markdown README, a
``dativo-plugin.json`` manifest, a RECORD of hashes), signed with publisher
keys made by ``dativo-pkg key generate``, and sent with their signed
conformance reports and benchmark results by ``dativo-pkg publish``
(in-process). Publishers are registered and a release yanked in-process,
as ``dativo-registry publisher add`` / ``yank`` do.

| project             | kind   | language | signer                  | level      | benchmarks   |
| acme-postgres-fast  | reader | python   | a registered publisher  | certified  | 1.0, 1.1     |
| acme-kafka-stream   | reader | rust     | a registered publisher  | verified   | none         |
| acme-csv-lite       | reader | python   | a former publisher key  | compatible | 1.0          |
| acme-parquet-sink   | writer | python   | unsigned                | none       | none         |

``acme-postgres-fast`` 0.9 is yanked. The key of ``acme-csv-lite`` was a
publisher when it published, and is removed afterwards (its signer is now
unverified). Every summary says "Dativo".
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from sqlalchemy.orm import Session

from dativo_pkg.commands.keys import KeySettings, generate
from dativo_pkg.commands.publish import PublishSettings, publish
from dativo_pkg.commands.sign import SignSettings, sign
from dativo_pkg.trust import statement_subject
from dativo_registry import auth, publishers, yanking
from dativo_registry.config import Settings
from dativo_registry.db import make_engine

__all__ = ["BASELINE_ROWS_PER_SECOND", "PLUGINS", "YANK_REASON", "PluginSpec", "fill"]

BASELINE_ROWS_PER_SECOND = 1_000_000.0
YANK_REASON = "drops rows on reconnect"


@dataclass(frozen=True)
class PluginSpec:
    """One project of the test marketplace."""

    name: str
    kind: str
    language: str
    summary: str
    readme: str
    versions: tuple[str, ...]
    #: "publisher" (a registered key), "former" (a key removed after publishing) or None
    signer: str | None
    level: str | None
    #: version -> the plugin's rows/s (the baseline makes BASELINE_ROWS_PER_SECOND)
    rows_per_second: dict[str, float] = field(default_factory=dict)

    @property
    def connector(self) -> str:
        return self.name.removeprefix("acme-").replace("-", "_")


POSTGRES_README = """\
# acme-postgres-fast

A fast **PostgreSQL** reader for Dativo: binary COPY, parallel snapshots.

## Usage

```yaml
source:
  plugin: postgres_fast
  config: {url: "postgresql://localhost/shop", table: orders}
```

| option | meaning |
| --- | --- |
| `table` | the table to read |

See [the Dativo docs](https://example.com/dativo).
"""

CSV_README = """\
# acme-csv-lite

A small CSV reader for Dativo.

<script>window.__readme_script_ran = true;</script>
<img src="x" onerror="window.__readme_handler_ran = true">
[click me](javascript:window.__readme_link_ran=true)
"""

PLUGINS: tuple[PluginSpec, ...] = (
    PluginSpec(
        "acme-postgres-fast", "reader", "python",
        "Dativo reader for PostgreSQL tables, fast binary COPY",
        POSTGRES_README, ("0.9", "1.0", "1.1"), "publisher", "certified",
        {"1.0": 1_800_000.0, "1.1": 2_400_000.0},
    ),
    PluginSpec(
        "acme-kafka-stream", "reader", "rust",
        "Dativo reader for Kafka topics, written in Rust",
        "# acme-kafka-stream\n\nReads Kafka topics into Arrow batches.\n",
        ("2.0",), "publisher", "verified",
    ),
    PluginSpec(
        "acme-csv-lite", "reader", "python",
        "Dativo reader for small CSV files",
        CSV_README, ("1.0",), "former", "compatible", {"1.0": 800_000.0},
    ),
    PluginSpec(
        "acme-parquet-sink", "writer", "python",
        "Dativo writer of Parquet datasets",
        "# acme-parquet-sink\n\nWrites Parquet files.\n",
        ("0.3",), None, None,
    ),
)  # fmt: skip

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "Where to connect"},
        "table": {"type": "string", "description": "The table to read"},
        "batch_rows": {"type": "integer", "default": 65536, "description": "Rows per batch"},
    },
    "required": ["url", "table"],
}

CHECKS: tuple[tuple[str, str], ...] = (
    ("manifest-valid", "compatible"),
    ("config-refused-before-io", "compatible"),
    ("schema-roundtrip", "verified"),
    ("incremental-state", "verified"),
    ("signed-and-benchmarked", "certified"),
)
LEVELS = ("compatible", "verified", "certified")


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _metadata(spec: PluginSpec, version: str) -> bytes:
    headers = (
        f"Metadata-Version: 2.1\nName: {spec.name}\nVersion: {version}\n"
        f"Summary: {spec.summary}\nRequires-Python: >=3.9\n"
        "Description-Content-Type: text/markdown\n"
    )
    return f"{headers}\n{spec.readme}".encode()


def _manifest(spec: PluginSpec) -> bytes:
    plugin = {
        "kind": spec.kind,
        "connector": spec.connector,
        "language": spec.language,
        "description": spec.summary,
        "config_schema": CONFIG_SCHEMA,
    }
    return json.dumps({"manifest_version": 1, "plugins": [plugin]}).encode()


def write_wheel(directory: Path, spec: PluginSpec, version: str) -> Path:
    """A real plugin wheel: package, manifest, METADATA (README), WHEEL, entry points, RECORD."""
    package = spec.name.replace("-", "_")
    dist_info = f"{canonicalize_name(spec.name).replace('-', '_')}-{version}.dist-info"
    group = "dativo.readers" if spec.kind == "reader" else "dativo.writers"
    entry_point = f"{spec.connector} = {package}:Plugin"
    members = {
        f"{package}/__init__.py": f'"""{spec.summary}."""\n'.encode(),
        f"{package}/dativo-plugin.json": _manifest(spec),
        f"{dist_info}/METADATA": _metadata(spec, version),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: dativo-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": f"[{group}]\n{entry_point}\n".encode(),
    }
    record = [_record_line(path, data) for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{package}-{version}-py3-none-any.whl"
    wheel.write_bytes(buffer.getvalue())
    return wheel


def conformance_report(spec: PluginSpec, version: str, dist: Path) -> dict[str, Any]:
    """A report as ``dativo-pkg test --dist`` writes it, reaching ``spec.level``."""
    assert spec.level is not None
    reached = LEVELS.index(spec.level)
    checks: list[dict[str, Any]] = []
    for check, level in CHECKS:
        passed = LEVELS.index(level) <= reached
        checks.append(
            {
                "id": check,
                "title": check.replace("-", " "),
                "level": level,
                "status": "passed" if passed else "failed",
                "reason": None if passed else f"{check} did not pass",
                "seconds": 0.01,
                "measurements": {},
            }
        )
    subject = statement_subject(dist)
    return {
        "suite": {"name": "dativo-conformance", "version": "1.0"},
        "plugin": _plugin_info(spec, version),
        "subject": {"filename": subject.name, "sha256": subject.sha256},
        "requested_level": spec.level,
        "level": spec.level,
        "signer": None,
        "checks": checks,
        "created_at": "2026-01-01T00:00:00+00:00",
    }


def _plugin_info(spec: PluginSpec, version: str) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "connector": spec.connector,
        "distribution": spec.name,
        "version": version,
        "language": spec.language,
    }


def _side(role: str, plugin: str, rows_per_second: float) -> dict[str, Any]:
    run = {
        "rows": 100_000,
        "seconds": 100_000 / rows_per_second,
        "rows_per_second": rows_per_second,
        "mb_per_second": rows_per_second / 20_000,
        "peak_rss_bytes": 150_000_000,
        "peak_rss_mb": 143.0,
    }
    return {"role": role, "plugin": plugin, **run, "runs": [run]}


def benchmark_results(spec: PluginSpec, version: str, dist: Path) -> dict[str, Any]:
    """Results as ``dativo-pkg bench --dist`` writes them: plugin and built-in baseline."""
    rows_per_second = spec.rows_per_second[version]
    baseline = "csv" if spec.kind == "reader" else "parquet"
    subject = statement_subject(dist)
    ratio = rows_per_second / BASELINE_ROWS_PER_SECOND
    return {
        "suite": {"name": "dativo-conformance", "version": "1.0"},
        "plugin": _plugin_info(spec, version),
        "subject": {"filename": subject.name, "sha256": subject.sha256},
        "dataset": {"rows": 100_000, "fixture": "orders", "bytes": 5_000_000},
        "repeats": 1,
        "results": [
            _side("plugin", spec.connector, rows_per_second),
            _side("baseline", f"{baseline} (built-in)", BASELINE_ROWS_PER_SECOND),
        ],
        "ratios": {"rows_per_second": ratio, "mb_per_second": ratio, "peak_rss": 1.0},
        "created_at": "2026-01-01T00:00:00+00:00",
    }


@dataclass(frozen=True)
class _Key:
    private: Path
    public: Path
    passphrase: Path

    def sign(self, dist: Path, kind: str = "publish", report: Path | None = None) -> None:
        settings = SignSettings(
            [dist],
            key_file=self.private,
            passphrase_file=self.passphrase,
            statement=kind,  # type: ignore[arg-type]
            report=report,
        )
        sign(settings)


def _new_key(directory: Path, name: str) -> _Key:
    directory.mkdir(parents=True, exist_ok=True)
    passphrase = directory / f"{name}.passphrase"
    passphrase.write_text("correct horse battery staple\n")
    made = generate(KeySettings(directory / f"{name}.pem", passphrase))
    return _Key(made.private_key, made.public_key, passphrase)


def _write_json(dist: Path, kind: str, body: dict[str, Any]) -> Path:
    """``DIST.<kind>.json``, where ``dativo-pkg test``/``bench --dist`` write it."""
    path = dist.with_name(f"{dist.name}.{kind}.json")
    path.write_text(json.dumps(body, indent=2))
    return path


def fill(url: str, data_dir: Path, workdir: Path) -> None:
    """Publish :data:`PLUGINS` to the registry at ``url`` (serving ``data_dir``)."""
    config = workdir / "config.toml"
    workdir.mkdir(parents=True, exist_ok=True)
    config.write_text("")  # no user config: the registry and token are given
    keys = {name: _new_key(workdir / "keys", name) for name in ("publisher", "former")}
    engine = make_engine(Settings(data_dir, None))
    try:
        with Session(engine) as session:  # what `token create` and `publisher add` do
            token = auth.create_token(session, "alice", None)
            for spec in PLUGINS:
                if spec.signer is not None:
                    pem = keys[spec.signer].public.read_bytes()
                    publishers.add_publisher(session, spec.name, publishers.key_publisher(pem))
            session.commit()
        for spec in PLUGINS:
            for version in spec.versions:
                dist = write_wheel(workdir / "dist" / spec.name / version, spec, version)
                if spec.signer is not None:
                    _sign_release(keys[spec.signer], spec, version, dist)
                publish(PublishSettings((dist.parent,), url, token, config_file=config))
        with Session(engine) as session:  # what `yank` and `publisher remove` do
            yanking.set_yanked(session, "acme-postgres-fast", "0.9", YANK_REASON)
            former = publishers.key_publisher(keys["former"].public.read_bytes())
            for spec in PLUGINS:
                if spec.signer == "former":
                    publishers.remove_publisher(session, spec.name, key_id=former.key_id)
            session.commit()
    finally:
        engine.dispose()


def _sign_release(key: _Key, spec: PluginSpec, version: str, dist: Path) -> None:
    """``dativo-pkg sign`` the wheel, its conformance report and its benchmark results."""
    key.sign(dist)
    if spec.level is not None:
        report = _write_json(dist, "conformance", conformance_report(spec, version, dist))
        key.sign(dist, "conformance", report)
    if version in spec.rows_per_second:
        results = _write_json(dist, "benchmark", benchmark_results(spec, version, dist))
        key.sign(dist, "benchmark", results)

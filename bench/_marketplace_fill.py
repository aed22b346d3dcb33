"""Fill a registry database with N plugin projects, straight through SQLAlchemy.

The rows are what uploads and attachments would have left (projects,
releases with manifests and READMEs, wheel rows, publishers, signed and
unsigned conformance reports and benchmarks, download counts), inserted in
bulk in one transaction; then the registry's own ``refresh_all`` computes
the catalog, as migration 0003 does. Deterministic for a seed. No blobs are
written: the benchmark never downloads a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from dativo_pkg.trust import KEY_ISSUER, generate_private_key, key_id, public_key_pem
from dativo_registry.catalog import refresh_all
from dativo_registry.models import Attachment, File, Project, Publisher, Release

__all__ = ["CONNECTORS", "WORDS", "fill"]

_CONNECTORS_TEXT = (
    "postgres mysql mariadb sqlite oracle mssql snowflake bigquery redshift databricks "
    "clickhouse duckdb mongodb cassandra dynamodb elasticsearch opensearch kafka pulsar "
    "kinesis s3 gcs azureblob sftp ftp csv parquet avro orc jsonl excel sheets "
    "salesforce hubspot stripe shopify zendesk jira github gitlab slack notion airtable "
    "segment mixpanel amplitude intercom marketo netsuite sap workday"
)
CONNECTORS = tuple(_CONNECTORS_TEXT.split())
_WORDS_TEXT = (
    "fast incremental streaming reader writer table tables rows batch batches arrow "
    "schema change capture cdc replication snapshot partition partitioned parallel "
    "compressed export import sync warehouse lake lakehouse bucket file files query "
    "queries copy bulk upsert merge append overwrite cursor pagination api rest graphql "
    "webhook events logs metrics orders customers invoices tickets issues messages "
    "records documents analytics reporting secure encrypted oauth token retry backoff "
    "throughput memory efficient typed decimal timestamp timezone nested json binary"
)
WORDS = tuple(_WORDS_TEXT.split())
LANGUAGES = ("python", "python", "python", "rust", "go")
LEVELS = (None, None, "compatible", "verified", "certified")
SIGN_KEYS = 20


#: English of the prose around the domain words.
_FILLER_TEXT = (
    "the a an and or of to in for with from on by at as is are be can will this that it "
    "you your each every when then than more most all any one two new data use using used "
    "run runs read reads write writes set sets see also how what which only not no into "
    "over per about after before while other same first last next default option options "
    "config configuration example examples install installation support supported field "
    "fields type types value values name names source target job jobs step steps mode"
)
FILLER = tuple(_FILLER_TEXT.split())
#: What prose is drawn from: English filler (70%), domain words (27%), connector names
#: (3%), each group Zipf-distributed (a word's weight is 1/rank), so a few words are in
#: nearly every README and most in a fraction of them, as in real text.
_POOL = [*FILLER, *WORDS, *CONNECTORS]
_WEIGHTS = [
    share * (1 / rank) / sum(1 / r for r in range(1, len(group) + 1))
    for group, share in ((FILLER, 0.70), (WORDS, 0.27), (CONNECTORS, 0.03))
    for rank in range(1, len(group) + 1)
]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(_POOL, weights=_WEIGHTS, k=n))


def _readme(rng: random.Random, name: str, connector: str) -> str:
    paragraphs = [f"# {name}\n", f"A Dativo plugin for {connector}: {_prose(rng, 30)}.\n"]
    paragraphs += [f"## {_words(rng, 2).title()}\n\n{_prose(rng, 60)}.\n" for _ in range(4)]
    paragraphs.append(f"```yaml\nsource:\n  plugin: {connector}\n```\n")
    return "\n".join(paragraphs)


def _benchmark(rng: random.Random, connector: str) -> dict[str, Any]:
    base = rng.uniform(50_000, 500_000)
    plugin = base * rng.lognormvariate(0.3, 0.6)
    return {
        "plugin": {"kind": "reader", "connector": connector},
        "results": [
            {"role": "plugin", "plugin": connector, "rows_per_second": plugin},
            {"role": "baseline", "plugin": "csv (built-in)", "rows_per_second": base},
        ],
        "ratios": {"rows_per_second": round(plugin / base, 3)},
    }


def fill(engine: Engine, count: int, seed: int = 7) -> list[str]:
    """Insert ``count`` plugin projects and compute the catalog; their normalized names."""
    rng = random.Random(seed)
    keys = [generate_private_key() for _ in range(SIGN_KEYS)]
    key_rows = [(public_key_pem(k), key_id(k.public_key())) for k in keys]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    projects, releases, files, attachments, publishers = [], [], [], [], []
    names = []
    release_id = file_id = 0
    for pid in range(1, count + 1):
        connector = rng.choice(CONNECTORS)
        name = f"dativo-{connector}-{rng.choice(WORDS)}-{pid}"
        names.append(name)
        projects.append({"id": pid, "normalized": name, "name": name, "serial": 1})
        signed_key = key_rows[pid % SIGN_KEYS] if rng.random() < 0.4 else None
        if signed_key is not None:
            pem, kid = signed_key
            publishers.append(
                {"project": name, "kind": "key", "issuer": KEY_ISSUER, "identity": kid}
                | {"public_key_pem": pem, "key_id": kid}
            )
        versions = rng.randint(1, 3)
        for minor in range(versions):
            release_id += 1
            file_id += 1
            newest = minor == versions - 1
            kind = rng.choice(("reader", "reader", "writer"))
            plugins = [
                {
                    "kind": kind,
                    "connector": connector,
                    "language": rng.choice(LANGUAGES),
                    "api": ">=1,<2",
                    "description": f"{kind.title()} for {connector}: {_words(rng, 8)}",
                }
            ]
            if rng.random() < 0.2:
                plugins.append(plugins[0] | {"kind": "writer" if kind == "reader" else "reader"})
            summary = f"{connector.title()} {kind}: {_words(rng, 6)}"
            releases.append(
                {
                    "id": release_id,
                    "project_id": pid,
                    "version": f"1.{minor}",
                    "canonical": f"1.{minor}",
                    "summary": summary,
                    "metadata_fields": {
                        "Summary": summary,
                        "Description": _readme(rng, name, connector) if newest else "",
                        "Keywords": _words(rng, 3),
                    },
                    "manifest": {"manifest_version": 1, "plugins": plugins},
                    "yanked": not newest and rng.random() < 0.1,
                    "created_at": start + dt.timedelta(minutes=rng.randint(0, 1_000_000)),
                }
            )
            filename = f"{name.replace('-', '_')}-1.{minor}-py3-none-any.whl"
            sha256 = hashlib.sha256(filename.encode()).hexdigest()
            provenance = None
            if signed_key is not None:
                publisher = {"kind": "PublisherKey", "key_id": signed_key[1]}
                provenance = {
                    "version": 1,
                    "attestation_bundles": [{"publisher": publisher, "attestations": []}],
                }
            files.append(
                {
                    "id": file_id,
                    "release_id": release_id,
                    "filename": filename,
                    "packagetype": "bdist_wheel",
                    "python_version": "py3",
                    "size": 10_000,
                    "sha256": sha256,
                    "provenance": provenance,
                    "downloads": int(rng.paretovariate(1.2) * 10),
                }
            )
            if newest:
                attachments += _attachments(
                    rng, release_id, filename, sha256, signed_key, connector
                )
    with Session(engine) as session:
        for model, rows in (
            (Project, projects),
            (Release, releases),
            (File, files),
            (Publisher, publishers),
            (Attachment, attachments),
        ):
            for chunk in _chunks(rows, 2000):
                session.execute(insert(model), chunk)
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for table in ("projects", "releases", "files"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                session.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
        refresh_all(session)
        session.commit()
    with engine.connect() as conn:  # statistics, as autovacuum or a DBA gives a loaded table
        conn.execute(text("ANALYZE"))
        conn.commit()
    return names


def _attachments(
    rng: random.Random,
    release_id: int,
    filename: str,
    sha256: str,
    signed_key: tuple[str, str] | None,
    connector: str,
) -> list[dict[str, Any]]:
    signer = (KEY_ISSUER, signed_key[1]) if signed_key else ("https://ci.example", "ci@example.com")
    level = rng.choice(LEVELS)
    rows = []
    if level is not None:
        rows.append({"kind": "conformance", "body": {"level": level, "checks": []}})
    if rng.random() < 0.5:
        rows.append({"kind": "benchmark", "body": _benchmark(rng, connector)})
    return [
        {
            "release_id": release_id,
            **row,
            "subject_filename": filename,
            "subject_sha256": sha256,
            "signer_issuer": signer[0],
            "signer_identity": signer[1],
        }
        for row in rows
    ]


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> list[Sequence[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]

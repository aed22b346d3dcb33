"""A small catalogue written straight into a registry database (ORM rows, no server).

Signatures are represented as the registry stores them once verified: a
file's provenance document names its publisher, a signed attachment has a
subject digest and a signer. Keys are real (a key publisher's id is derived
from its public key), nothing is signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_version
from search_support import spec
from sqlalchemy.orm import Session

from dativo_pkg.trust import KEY_ISSUER, generate_private_key, key_id, public_key_pem
from dativo_registry.catalog import refresh_all
from dativo_registry.models import Attachment, File, Project, Publisher, Release

ODD_SUMMARY = "O'Reilly's 100% _special_ <script>alert(1)</script> plugin"


@dataclass(frozen=True)
class Key:
    pem: str
    id: str


def new_key() -> Key:
    private = generate_private_key()
    return Key(public_key_pem(private), key_id(private.public_key()))


def key_provenance(key: Key) -> dict[str, Any]:
    publisher = {"kind": "PublisherKey", "key_id": key.id, "public_key": key.pem}
    return {"version": 1, "attestation_bundles": [{"publisher": publisher, "attestations": []}]}


def keyless_provenance(identity: str) -> dict[str, Any]:
    publisher = {"kind": "Sigstore", "issuer": "https://issuer.example", "identity": identity}
    return {"version": 1, "attestation_bundles": [{"publisher": publisher, "attestations": []}]}


class Seeder:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.projects: dict[str, Project] = {}

    def release(
        self,
        name: str,
        version: str,
        plugins: list[dict[str, Any]] | None,
        *,
        day: int = 1,
        summary: str = "",
        readme: str = "",
        keywords: str | None = None,
        yanked: bool = False,
        provenance: dict[str, Any] | None = None,
        downloads: int = 0,
    ) -> File:
        project = self.projects.get(name)
        if project is None:
            project = self.projects[name] = Project(normalized=name, name=name, serial=1)
            self.session.add(project)
            self.session.flush()
        fields: dict[str, Any] = {"Summary": summary, "Description": readme}
        if keywords is not None:
            fields["Keywords"] = keywords
        release = Release(
            project_id=project.id,
            version=version,
            canonical=canonicalize_version(version),
            summary=summary,
            metadata_fields=fields,
            manifest={"manifest_version": 1, "plugins": plugins} if plugins is not None else None,
            yanked=yanked,
            created_at=dt.datetime(2024, 1, day, tzinfo=dt.UTC),
        )
        self.session.add(release)
        self.session.flush()
        filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        file = File(
            release_id=release.id,
            filename=filename,
            packagetype="bdist_wheel",
            python_version="py3",
            size=10,
            sha256=hashlib.sha256(filename.encode()).hexdigest(),
            provenance=provenance,
            downloads=downloads,
        )
        self.session.add(file)
        self.session.flush()
        return file

    def attach(
        self, file: File, kind: str, body: dict[str, Any], signer: tuple[str, str] | None
    ) -> None:
        self.session.add(
            Attachment(
                release_id=file.release_id,
                kind=kind,
                body=body,
                subject_filename=file.filename if signer else None,
                subject_sha256=file.sha256 if signer else None,
                signer_issuer=signer[0] if signer else None,
                signer_identity=signer[1] if signer else None,
            )
        )

    def publisher(self, project: str, key: Key) -> None:
        self.session.add(
            Publisher(
                project=project,
                kind="key",
                issuer=KEY_ISSUER,
                identity=key.id,
                public_key_pem=key.pem,
                key_id=key.id,
            )
        )


@dataclass(frozen=True)
class Catalogue:
    key: Key
    old_key: Key


def seed(session: Session) -> Catalogue:
    """The catalogue the search tests expect (see their docstring), catalog filled."""
    s = Seeder(session)
    key, old_key = new_key(), new_key()
    copy = s.release(
        "postgres-copy",
        "1.0",
        [spec("reader", "postgres", "rust", "Reads tables with binary COPY")],
        day=3,
        summary="Fast PostgreSQL reader",
        provenance=key_provenance(key),
        downloads=50,
    )
    s.publisher("postgres-copy", key)
    signed_by_key = (KEY_ISSUER, key.id)
    s.attach(copy, "conformance", {"level": "certified"}, signed_by_key)
    s.attach(copy, "benchmark", {"ratios": {"rows_per_second": 3.5}}, signed_by_key)

    s.release("csv-tools", "1.0", [spec("reader", "csv")], downloads=100)
    tools = s.release(
        "csv-tools",
        "2.0",
        [spec("reader", "csv", description="CSV files"), spec("writer", "csv")],
        day=2,
        summary="Read and write CSV files",
        provenance=keyless_provenance("ci@example.com"),
        downloads=400,
    )
    signed_keyless = ("https://issuer.example", "ci@example.com")
    s.attach(tools, "conformance", {"level": "verified"}, signed_keyless)
    results = [
        {"role": "plugin", "rows_per_second": 1200},
        {"role": "baseline", "rows_per_second": 1000},
    ]
    s.attach(tools, "benchmark", {"results": results}, signed_keyless)

    s.release(
        "parquet-writer",
        "1.0",
        [spec("writer", "parquet")],
        day=5,
        summary="Writes Parquet datasets",
        readme="Export tables from postgres, postgres or postgres into Parquet.",
        downloads=10,
    )
    mixed = s.release(
        "mixed-io",
        "1.0",
        [spec("reader", "csv", "rust"), spec("writer", "parquet")],
        summary="Mixed",
    )
    s.attach(mixed, "benchmark", {"ratios": {"rows_per_second": 9.0}}, None)  # unsigned
    s.attach(mixed, "conformance", {"level": "certified"}, None)
    s.release("old-plugin", "1.0", [spec("reader", "old")], yanked=True)
    s.release("plain-lib", "1.0", None)
    s.release(
        "odd-chars",
        "1.0",
        [spec("reader", "odd")],
        day=4,
        summary=ODD_SUMMARY,
        keywords="quote;semicolon",
        downloads=5,
    )
    s.release("two-versions", "1.0", [spec("reader", "alpha")], downloads=10)
    s.release("two-versions", "2.0", [spec("reader", "alpha", "rust")], day=6, downloads=10)
    s.release("two-versions", "3.0", [spec("reader", "alpha")], day=7, yanked=True)
    s.release("rotated-key", "1.0", [spec("reader", "rot")], provenance=key_provenance(old_key))
    s.publisher("rotated-key", new_key())
    session.flush()
    refresh_all(session)
    session.commit()
    return Catalogue(key, old_key)

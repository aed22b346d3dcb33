"""``dativo-pkg sign``: sign distributions, or statements about them, two ways.

- keyless (default): Sigstore through sigstore-python; a publish signature is
  a PEP 740 attestation written to ``DIST.publish.attestation``;
- ``--key``: a publisher key, offline; a Sigstore bundle written to
  ``DIST.key.attestation``.

Both files are what ``twine upload --attestations`` sends. A conformance
report or benchmark result is signed as a statement about the distribution's
digest and written to ``DIST.conformance.sigstore.json`` or
``DIST.benchmark.sigstore.json``. Every signature is made before the first
file is written: a failure leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.commands.keys import read_passphrase
from dativo_pkg.errors import ConfigError
from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    KEY_SUFFIX,
    KEYLESS_SUFFIX,
    PUBLISH_PREDICATE,
    KeylessOptions,
    Subject,
    load_private_key,
    sign_keyless,
    sign_with_key,
    statement_subject,
)

__all__ = ["STATEMENTS", "SignSettings", "Signed", "sign", "signature_path"]

StatementKind = Literal["publish", "conformance", "benchmark"]

#: Statement kind -> in-toto predicate type.
STATEMENTS: dict[StatementKind, str] = {
    "publish": PUBLISH_PREDICATE,
    "conformance": CONFORMANCE_PREDICATE,
    "benchmark": BENCHMARK_PREDICATE,
}


@dataclass(frozen=True)
class SignSettings:
    dists: Sequence[Path]
    #: A publisher key (offline signing); None signs keyless through Sigstore.
    key_file: Path | None = None
    passphrase_file: Path | None = None
    keyless: KeylessOptions = field(default_factory=KeylessOptions)
    statement: StatementKind = "publish"
    #: The report or results (JSON object) a conformance/benchmark statement carries.
    report: Path | None = None


@dataclass(frozen=True)
class Signed:
    dist: Path
    sha256: str
    signature: Path
    method: Literal["keyless", "key"]

    def to_json(self) -> dict[str, Any]:
        return {
            "dist": str(self.dist),
            "sha256": self.sha256,
            "signature": str(self.signature),
            "method": self.method,
        }


def signature_path(dist: Path, statement: StatementKind, keyless: bool) -> Path:
    if statement != "publish":
        return dist.with_name(f"{dist.name}.{statement}.sigstore.json")
    return dist.with_name(dist.name + (KEYLESS_SUFFIX if keyless else KEY_SUFFIX))


def sign(settings: SignSettings, prompt: Callable[[], str] | None = None) -> list[Signed]:
    """Sign every distribution, then write every signature file."""
    subjects = [_subject(path) for path in settings.dists]
    predicate_type = STATEMENTS[settings.statement]
    predicate = _report(settings)
    if settings.key_file is not None:
        key = load_private_key(
            _read(settings.key_file), read_passphrase(settings.passphrase_file, prompt)
        )
        documents = [
            sign_with_key(key, s, predicate_type=predicate_type, predicate=predicate)
            for s in subjects
        ]
    else:
        documents = sign_keyless(
            subjects, settings.keyless, predicate_type=predicate_type, predicate=predicate
        )
    keyless = settings.key_file is None
    results = []
    for dist, subject, document in zip(settings.dists, subjects, documents, strict=True):
        target = signature_path(dist, settings.statement, keyless)
        _write_json(target, document)
        results.append(Signed(dist, subject.sha256, target, "keyless" if keyless else "key"))
    return results


def _subject(path: Path) -> Subject:
    if not path.is_file():
        raise ConfigError(f"{path} is not a file", hint="build the distribution first")
    return statement_subject(path)


def _report(settings: SignSettings) -> dict[str, Any] | None:
    if settings.statement == "publish":
        if settings.report is not None:
            raise ConfigError("a publish signature carries no report; drop the report file")
        return None
    if settings.report is None:
        raise ConfigError(f"a {settings.statement} statement needs the report file it signs")
    try:
        value = json.loads(_read(settings.report))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{settings.report} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"{settings.report} must hold a JSON object")
    return value


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def _write_json(path: Path, document: dict[str, Any]) -> None:
    try:
        write_atomically(path, (json.dumps(document, indent=2) + "\n").encode())
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc

"""Distributions on disk and the files beside them, checked before anything is sent.

For a distribution ``DIST`` (a wheel or an sdist), ``dativo-pkg sign``,
``test`` and ``bench`` leave:

- ``DIST.publish.attestation`` (keyless, PEP 740) / ``DIST.key.attestation``
  (publisher key): publish signatures, uploaded with the file;
- ``DIST.conformance.sigstore.json`` / ``DIST.benchmark.sigstore.json``:
  signed statements about the file; else the bare ``DIST.conformance.json`` /
  ``DIST.benchmark.json``.

Every signature's statement is checked to be about its distribution (name,
SHA-256 computed here, predicate type), so a signature about another file is
refused before the first upload. Signatures are not verified here: the
registry does that against the project's publishers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from dativo_pkg.errors import ConfigError, TrustError
from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    KEY_SUFFIX,
    KEYLESS_SUFFIX,
    PUBLISH_PREDICATE,
    Subject,
    check_statement,
    statement_subject,
)

__all__ = ["PREDICATES", "Dist", "Statement", "StatementKind", "collect", "read_json"]

StatementKind = Literal["conformance", "benchmark"]
#: The in-toto predicate type of each kind of statement.
PREDICATES: dict[StatementKind, str] = {
    "conformance": CONFORMANCE_PREDICATE,
    "benchmark": BENCHMARK_PREDICATE,
}
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
_COMPANIONS = (KEYLESS_SUFFIX, KEY_SUFFIX, ".sigstore.json", ".conformance.json", ".benchmark.json")


@dataclass(frozen=True)
class Statement:
    """A report or results file to attach: signed (a statement) or bare."""

    kind: StatementKind
    path: Path
    document: dict[str, Any]
    signed: bool


@dataclass
class Dist:
    """A distribution and what lies beside it."""

    path: Path
    project: str
    version: str
    subject: Subject
    attestations: list[Path] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)


def collect(paths: Sequence[Path]) -> list[Dist]:
    """The distributions in ``paths``, each with its companions, every signature checked
    to be about it. ConfigError for a path that is neither; TrustError for a mismatch."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and _is_dist(child):
                    found[child] = None
        elif path.is_file() and _is_dist(path):
            found[path] = None
        elif path.is_file() and path.name.endswith(_COMPANIONS):
            continue  # e.g. from `dist/*`: found beside its distribution
        elif not path.exists():
            raise ConfigError(f"{path} does not exist", hint="build first: dativo-pkg build")
        else:
            raise ConfigError(
                f"{path} is not a distribution (a wheel or an sdist) nor a directory of them"
            )
    if not found:
        where = ", ".join(str(p) for p in paths)
        raise ConfigError(f"no distributions in {where}", hint="build first: dativo-pkg build")
    return [_dist(path) for path in found]


def _is_dist(path: Path) -> bool:
    return not path.name.startswith(".") and path.name.endswith(_DIST_SUFFIXES)


def _dist(path: Path) -> Dist:
    try:
        if path.name.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ConfigError(f"{path} is not a valid distribution filename: {exc}") from exc
    dist = Dist(path, canonicalize_name(name), str(version), statement_subject(path))
    for suffix in (KEYLESS_SUFFIX, KEY_SUFFIX):
        attestation = path.with_name(path.name + suffix)
        if attestation.is_file():
            _check_subject(attestation, read_json(attestation), dist.subject, PUBLISH_PREDICATE)
            dist.attestations.append(attestation)
    for kind, predicate in PREDICATES.items():
        signed = path.with_name(f"{path.name}.{kind}.sigstore.json")
        bare = path.with_name(f"{path.name}.{kind}.json")
        if signed.is_file():
            document = read_json(signed)
            _check_subject(signed, document, dist.subject, predicate)
            dist.statements.append(Statement(kind, signed, document, signed=True))
        elif bare.is_file():
            dist.statements.append(Statement(kind, bare, read_json(bare), signed=False))
    return dist


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not JSON: {exc}", hint="sign or write it again") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return value


def _check_subject(path: Path, document: dict[str, Any], subject: Subject, predicate: str) -> None:
    """The signed statement in ``document`` is a ``predicate`` claim about ``subject``."""
    try:
        if "envelope" in document:  # a PEP 740 attestation
            payload = base64.b64decode(document["envelope"]["statement"], validate=True)
        else:  # a Sigstore bundle (keyless or key)
            payload = base64.b64decode(document["dsseEnvelope"]["payload"], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise TrustError(
            f"{path} is not a signature: no PEP 740 envelope nor Sigstore DSSE envelope",
            hint=f"sign again: dativo-pkg sign {subject.name} (see dativo-pkg sign --help)",
        ) from exc
    try:
        check_statement(payload, subject, predicate)
    except TrustError as exc:
        raise TrustError(
            f"{path.name}: {exc.message}",
            hint=f"sign {subject.name} itself: dativo-pkg sign ... {subject.name} "
            "(nothing was uploaded)",
        ) from exc

"""In-toto v1 statements about one distribution: what every signature here signs.

A statement names its subject by the distribution's filename and SHA-256 and
says what kind of claim it makes (``predicateType``): a PEP 740 publish
attestation, a conformance report or a benchmark result. Verification checks
all three against the file the verifier holds, whose digest it computed
itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dativo_pkg._internal.files import sha256_file
from dativo_pkg.trust._errors import SignatureInvalid, SubjectMismatch

__all__ = [
    "BENCHMARK_PREDICATE",
    "CONFORMANCE_PREDICATE",
    "INTOTO_PAYLOAD_TYPE",
    "PUBLISH_PREDICATE",
    "Subject",
    "check_statement",
    "statement_bytes",
    "statement_subject",
]

PUBLISH_PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
CONFORMANCE_PREDICATE = "https://dativo.dev/attestations/conformance/v1"
BENCHMARK_PREDICATE = "https://dativo.dev/attestations/benchmark/v1"

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
_STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


@dataclass(frozen=True)
class Subject:
    """A distribution file: its filename and the hex SHA-256 of its bytes."""

    name: str
    sha256: str


def statement_subject(path: Path) -> Subject:
    """The subject for a file on disk (its digest computed here)."""
    return Subject(name=path.name, sha256=sha256_file(path))


def statement_bytes(
    subject: Subject, predicate_type: str, predicate: dict[str, Any] | None = None
) -> bytes:
    """The canonical JSON of a one-subject in-toto v1 statement."""
    _distribution_name(subject.name)  # refuse to sign what no verifier would accept
    statement: dict[str, Any] = {
        "_type": _STATEMENT_TYPE,
        "subject": [{"name": subject.name, "digest": {"sha256": subject.sha256}}],
        "predicateType": predicate_type,
    }
    if predicate is not None:
        statement["predicate"] = predicate
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


class _Digest(BaseModel):
    model_config = ConfigDict(extra="allow")
    sha256: str


class _Subject(BaseModel):
    name: str
    digest: _Digest


class _Statement(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    type_: str = Field(alias="_type")
    subject: list[_Subject]
    predicate_type: str = Field(alias="predicateType")
    predicate: dict[str, Any] | None = None


def check_statement(payload: bytes, subject: Subject, predicate_type: str) -> dict[str, Any] | None:
    """The statement's predicate, once its subject and type are the ones expected."""
    try:
        statement = _Statement.model_validate_json(payload)
    except ValidationError as exc:
        raise SignatureInvalid(f"the signed statement is not an in-toto statement: {exc}") from exc
    if statement.type_ != _STATEMENT_TYPE:
        raise SignatureInvalid(f"the signed statement has an unknown _type {statement.type_!r}")
    if len(statement.subject) != 1:
        raise SubjectMismatch(
            f"the signed statement names {len(statement.subject)} subjects; exactly one is allowed"
        )
    signed = statement.subject[0]
    if _distribution_name(signed.name) != _distribution_name(subject.name):
        raise SubjectMismatch(
            f"the signature is for {signed.name}, not for {subject.name}",
            hint="upload or install each file with its own attestation",
        )
    if signed.digest.sha256.lower() != subject.sha256.lower():
        raise SubjectMismatch(
            f"{subject.name} is not the file that was signed: its sha256 is {subject.sha256}, "
            f"the signature is over {signed.digest.sha256}",
            hint="the file was changed after signing; get the original file, or sign again",
        )
    if statement.predicate_type != predicate_type:
        raise SubjectMismatch(
            f"the signed statement is a {statement.predicate_type!r} claim, "
            f"not the expected {predicate_type!r}"
        )
    return statement.predicate


def _distribution_name(filename: str) -> tuple[object, ...]:
    """A distribution filename, parsed, so spellings of one name compare equal."""
    try:
        if filename.endswith(".whl"):
            return tuple(parse_wheel_filename(filename))
        if filename.endswith((".tar.gz", ".zip")):
            return tuple(parse_sdist_filename(filename))
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise SubjectMismatch(f"{filename!r} is not a valid distribution filename: {exc}") from exc
    raise SubjectMismatch(f"{filename!r} is not a wheel or sdist filename")

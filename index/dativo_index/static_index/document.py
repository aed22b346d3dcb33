"""The static index format: ``index.json``, signed, and one ``plugins/{name}.json`` per plugin.

``index.json`` is a TUF-style envelope::

    {"signed": {"_type": "dativo-index", "spec_version": 1, "version": 7,
                "expires": "2025-01-08T12:00:00Z", "generated": "2025-01-01T12:00:00Z",
                "registry": "https://registry.example", "keys": {KEYID: {...}},
                "plugins": [ENTRY, ...]},
     "signatures": [{"keyid": KEYID, "sig": BASE64}]}

The signature is Ed25519 over the canonical JSON of ``signed``
(:mod:`.canonical`). ``keys`` carries the public key a first-time client may
choose to trust (trust on first use); a verifier never believes a key id it
did not compute itself. Each ENTRY is a plugin card plus ``detail`` (the path
of its ``plugins/{name}.json``) and that file's ``sha256`` and ``size``, so
the signature covers every plugin file too. docs/marketplace.md describes
every field; :class:`SignedIndex` is the schema (``model_json_schema()``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from dativo_index.static_index.canonical import canonical_json
from dativo_index.static_index.errors import IndexKeyError, IndexRefused
from dativo_index.static_index.keys import key_id, load_public_key, public_pem

__all__ = [
    "INDEX_TYPE",
    "PLUGIN_TYPE",
    "SPEC_VERSION",
    "Envelope",
    "IndexEntry",
    "SignedIndex",
    "declared_keys",
    "detail_path",
    "iso_z",
    "key_entry",
    "parse_envelope",
    "parse_signed",
    "sign_index",
    "signature_valid",
]

INDEX_TYPE = "dativo-index"
PLUGIN_TYPE = "dativo-index-plugin"
#: The format version this code writes and reads.
SPEC_VERSION = 1
#: A PEP 503 normalized project name: the only names that become file paths.
NORMALIZED_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def detail_path(normalized: str) -> str:
    """Where a plugin's detail file lives, relative to the index root."""
    if not NORMALIZED_NAME.fullmatch(normalized):
        raise ValueError(f"{normalized!r} is not a normalized project name")
    return f"plugins/{normalized}.json"


def iso_z(moment: dt.datetime) -> str:
    """``moment`` in UTC, to the second, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyInfo(BaseModel):
    """A public key in ``signed.keys``, as TUF writes keys."""

    model_config = ConfigDict(frozen=True)

    keytype: Literal["ed25519"]
    scheme: Literal["ed25519"]
    public: str = Field(description="The SubjectPublicKeyInfo PEM")


class IndexEntry(BaseModel):
    """One plugin (a project's newest installable plugin release) as the index lists it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: str
    normalized: str = Field(pattern=NORMALIZED_NAME.pattern)
    version: str
    summary: str | None = None
    kinds: list[str] = []
    connectors: list[str] = []
    languages: list[str] = []
    #: The plugins' descriptions, from the manifest (searched like the summary).
    descriptions: list[str] = []
    #: Plugin capabilities and the release's Keywords (searched too).
    keywords: list[str] = []
    certification: str | None = None
    signer: str | None = None
    verified_publisher: bool = False
    downloads: int = 0
    throughput_ratio: float | None = None
    updated: str | None = None
    detail: str = Field(description="plugins/{normalized}.json, relative to index.json")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the detail file")
    size: int = Field(ge=0, description="Size of the detail file in bytes")

    @model_validator(mode="after")
    def _detail_is_its_own(self) -> IndexEntry:
        if self.detail != detail_path(self.normalized):
            raise ValueError(f"detail must be {detail_path(self.normalized)!r}")
        return self


class SignedIndex(BaseModel):
    """The ``signed`` part of ``index.json``."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    type: Literal["dativo-index"] = Field(alias="_type")
    spec_version: int
    version: int = Field(ge=1, description="Grows with every export; clients refuse a rollback")
    expires: AwareDatetime = Field(description="Clients refuse the index after this (freeze)")
    generated: AwareDatetime
    registry: str = Field(description="The registry exported (its URL or name)")
    keys: dict[str, KeyInfo] = {}
    plugins: list[IndexEntry]


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    """``index.json`` parsed, nothing verified yet: ``signed`` is the raw JSON object."""

    signed: dict[str, Any]
    signatures: tuple[Signature, ...]

    def keyids(self) -> list[str]:
        return [s.keyid for s in self.signatures]


def sign_index(signed: dict[str, Any], key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    """The envelope of ``signed`` with one Ed25519 signature by ``key``."""
    sig = key.sign(canonical_json(signed))
    return {
        "signed": signed,
        "signatures": [
            {"keyid": key_id(key.public_key()), "sig": base64.b64encode(sig).decode("ascii")}
        ],
    }


def key_entry(public_key: ed25519.Ed25519PublicKey) -> dict[str, dict[str, str]]:
    """``signed.keys`` announcing ``public_key``."""
    info = KeyInfo(keytype="ed25519", scheme="ed25519", public=public_pem(public_key))
    return {key_id(public_key): info.model_dump()}


def parse_envelope(data: bytes, source: str) -> Envelope:
    """The envelope in ``data``; IndexRefused if it is not one (nothing is verified here)."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexRefused(f"{source} is not JSON: {exc}", hint=_NOT_AN_INDEX) from exc
    if not isinstance(value, dict) or not isinstance(value.get("signed"), dict):
        raise IndexRefused(f"{source} is not a signed dativo index", hint=_NOT_AN_INDEX)
    raw = value.get("signatures")
    if not isinstance(raw, list):
        raise IndexRefused(f"{source} carries no signatures", hint=_NOT_AN_INDEX)
    signatures = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        keyid, sig = item.get("keyid"), item.get("sig")
        if not isinstance(keyid, str) or not isinstance(sig, str):
            continue
        try:
            signatures.append(Signature(keyid, base64.b64decode(sig, validate=True)))
        except (binascii.Error, ValueError):
            continue  # a malformed signature verifies nothing
    return Envelope(value["signed"], tuple(signatures))


def signature_valid(envelope: Envelope, key: ed25519.Ed25519PublicKey) -> bool:
    """Whether one of the envelope's signatures under ``key``'s id verifies with ``key``."""
    wanted = key_id(key)
    try:
        data = canonical_json(envelope.signed)
    except ValueError:
        return False
    for signature in envelope.signatures:
        if signature.keyid != wanted:
            continue
        try:
            key.verify(signature.sig, data)
        except InvalidSignature:
            continue
        return True
    return False


def declared_keys(envelope: Envelope) -> dict[str, ed25519.Ed25519PublicKey]:
    """The keys ``signed.keys`` announces, by the id computed from each (mislabelled: dropped)."""
    keys = envelope.signed.get("keys")
    found: dict[str, ed25519.Ed25519PublicKey] = {}
    if not isinstance(keys, dict):
        return found
    for declared, info in keys.items():
        if not isinstance(info, dict) or not isinstance(info.get("public"), str):
            continue
        try:
            key = load_public_key(info["public"].encode(), "a key in index.json")
        except IndexKeyError:
            continue
        if key_id(key) == declared:
            found[declared] = key
    return found


def parse_signed(envelope: Envelope, source: str) -> SignedIndex:
    """The verified ``signed`` part as a :class:`SignedIndex`; IndexRefused if it is not one."""
    spec = envelope.signed.get("spec_version")
    if isinstance(spec, int) and spec > SPEC_VERSION:
        raise IndexRefused(
            f"{source} has format version {spec}; this dativo-pkg reads version {SPEC_VERSION}",
            hint="upgrade dativo-pkg",
        )
    try:
        signed = SignedIndex.model_validate(envelope.signed)
    except ValidationError as exc:
        raise IndexRefused(
            f"{source} is signed but not a valid dativo index: {_first_problem(exc)}",
            hint=_NOT_AN_INDEX,
        ) from exc
    if signed.spec_version != SPEC_VERSION:
        raise IndexRefused(f"{source} has unknown format version {signed.spec_version}")
    return signed


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"


_NOT_AN_INDEX = "check the URL: it must be a directory written by `dativo-registry export-index`"

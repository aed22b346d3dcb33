"""The index key: an Ed25519 key pair in PEM files, the private one encrypted.

The registry signs ``index.json`` with it; clients pin its public key (or
trust it on first use). Its id is ``sha256:`` and the hex SHA-256 of the
public key's DER SubjectPublicKeyInfo, the way publisher keys are named.
The private key is PKCS#8 encrypted with a passphrase, as ``dativo-pkg key
generate`` writes publisher keys (the same PEM forms, written atomically);
the passphrase comes from a file, ``$DATIVO_INDEX_KEY_PASSPHRASE`` or a prompt.
Nothing here imports :mod:`dativo_pkg.trust` (it loads Sigstore, seconds of
imports no index key needs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from dativo_index.static_index.errors import IndexKeyError
from dativo_pkg.errors import ConfigError

__all__ = [
    "PASSPHRASE_ENV",
    "GeneratedIndexKey",
    "generate_index_key",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "public_pem",
    "read_passphrase",
]

PASSPHRASE_ENV = "DATIVO_INDEX_KEY_PASSPHRASE"
PUBLIC_SUFFIX = ".pub"


@dataclass(frozen=True)
class GeneratedIndexKey:
    private_key: Path
    public_key: Path
    key_id: str


def read_passphrase(
    passphrase_file: Path | None = None, prompt: Callable[[], str] | None = None
) -> bytes:
    """The passphrase: a file's first line, else $DATIVO_INDEX_KEY_PASSPHRASE, else a prompt."""
    from dativo_pkg.commands.keys import read_passphrase as read_key_passphrase

    try:
        return read_key_passphrase(passphrase_file, prompt, env=PASSPHRASE_ENV, key="the index key")
    except ConfigError as exc:
        raise IndexKeyError(exc.message, hint=exc.hint) from exc


def generate_index_key(output: Path, passphrase: bytes) -> GeneratedIndexKey:
    """Write a new encrypted private key to ``output`` and its public key to ``output.pub``."""
    from dativo_pkg._internal.files import write_atomically

    if not passphrase:
        raise IndexKeyError("the passphrase is empty; the index key must be protected")
    public = output.with_name(output.name + PUBLIC_SUFFIX)
    for path in (output, public):
        if path.exists():
            raise IndexKeyError(
                f"{path} already exists; a key is never overwritten",
                hint="choose another --output, or move the old key away first",
            )
    key = ed25519.Ed25519PrivateKey.generate()
    try:
        write_atomically(public, public_pem(key.public_key()).encode(), 0o644)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
        write_atomically(output, private, 0o600)
    except OSError as exc:
        raise IndexKeyError(f"cannot write the index key: {exc}") from exc
    return GeneratedIndexKey(output, public, key_id(key.public_key()))


def load_signing_key(path: Path, passphrase: bytes) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 private key in ``path``, decrypted; IndexKeyError says what is wrong."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise IndexKeyError(f"cannot read the index key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (TypeError, ValueError) as exc:
        raise IndexKeyError(
            f"cannot use the index key {path}: the passphrase is wrong, or it is not an "
            "encrypted PEM private key",
            hint=f"check {PASSPHRASE_ENV}; `dativo-registry index-key generate` makes a key",
        ) from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise IndexKeyError(
            f"{path} is not an Ed25519 key; index keys are Ed25519",
            hint="make one with `dativo-registry index-key generate -o KEY`",
        )
    return key


def load_public_key(pem: bytes, source: str) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key in ``pem``; ``source`` names where it came from in errors."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise IndexKeyError(
            f"{source} is not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')",
            hint="use the .pub file `dativo-registry index-key generate` wrote",
        ) from exc
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise IndexKeyError(f"{source} is not an Ed25519 public key; index keys are Ed25519")
    return key


def public_pem(key: ed25519.Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: ed25519.Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the DER SubjectPublicKeyInfo (as ``dativo_pkg.trust.key_id``)."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()

"""Publisher keys: ECDSA P-256 (Ed25519 public keys are accepted too), PEM on disk.

Private keys are always written encrypted (PKCS#8 with the passphrase);
``key_id`` names a public key by the SHA-256 of its DER SubjectPublicKeyInfo.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from dativo_pkg.errors import TrustError

__all__ = [
    "PrivateKey",
    "PublicKey",
    "generate_private_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_pem",
    "sign",
    "verify",
]

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def generate_private_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: PrivateKey, passphrase: bytes) -> bytes:
    if not passphrase:
        raise TrustError(
            "a publisher key must be protected by a passphrase",
            hint="give one with --passphrase-file or DATIVO_KEY_PASSPHRASE",
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def load_private_key(pem: bytes, passphrase: bytes | None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError as exc:  # encrypted without a passphrase, or the reverse
        raise TrustError(
            "the private key is encrypted and needs its passphrase",
            hint="give it with --passphrase-file or DATIVO_KEY_PASSPHRASE",
        ) from exc
    except ValueError as exc:
        raise TrustError(
            "cannot read the private key: the passphrase is wrong or the file is not a PEM key",
            hint="check the passphrase; `dativo-pkg key generate` makes a new key",
        ) from exc
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return key
    raise TrustError("publisher keys must be ECDSA (P-256) or Ed25519 keys")


def public_key_pem(key: PrivateKey) -> str:
    return public_pem(key.public_key())


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise TrustError(
            "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')",
            hint="use the .pub file `dativo-pkg key generate` wrote next to the private key",
        ) from exc
    if isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key
    raise TrustError("publisher keys must be ECDSA (P-256) or Ed25519 keys")


def key_id(key: PublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify(key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True

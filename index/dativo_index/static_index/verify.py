"""The client's trust decision about one ``index.json``, as TUF prescribes for its timestamp role.

In order:

1. the key: the one the user pinned (``--index-key``, or ``[indexes]`` in the
   config file), else the one recorded the first time this URL was used,
   else (first use) a key the index announces whose signature verifies; that
   key is then recorded, and every later index from the URL must be signed by
   it (a changed key is refused until the user pins the new one);
2. the signature: Ed25519 over the canonical JSON of ``signed``;
3. the content: a valid dativo index of a format version this code reads;
4. rollback: a version lower than the highest already seen for the URL is refused;
5. freeze: an index whose ``expires`` has passed is refused.

Only an index that passes all five updates the record (the highest version).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import ed25519

from dativo_index.static_index.document import (
    Envelope,
    SignedIndex,
    declared_keys,
    iso_z,
    parse_signed,
    signature_valid,
)
from dativo_index.static_index.errors import IndexKeyError, IndexRefused
from dativo_index.static_index.keys import key_id, load_public_key, public_pem
from dativo_index.static_index.state import IndexRecord

__all__ = ["PinnedKey", "VerifiedIndex", "verify_index"]

TrustedBy = Literal["pinned", "recorded", "first-use"]


@dataclass(frozen=True)
class PinnedKey:
    """A public key the user chose; ``source`` says where (for messages)."""

    key: ed25519.Ed25519PublicKey
    source: str


@dataclass(frozen=True)
class VerifiedIndex:
    url: str
    signed: SignedIndex
    keyid: str
    trusted_by: TrustedBy


def verify_index(
    envelope: Envelope,
    url: str,
    pinned: PinnedKey | None,
    record: IndexRecord | None,
    now: dt.datetime,
) -> tuple[VerifiedIndex, IndexRecord]:
    """The verified index and the record to keep for ``url``; IndexRefused otherwise."""
    source = f"{url}/index.json"
    key, trusted_by = _trusted_key(envelope, source, pinned, record)
    signed = parse_signed(envelope, source)
    if record is not None and signed.version < record.version:
        raise IndexRefused(
            f"{source} is version {signed.version}, older than version {record.version} "
            "already seen from it: refused as a rollback",
            hint="the mirror serves stale or replayed data; use another mirror, or wait for "
            "this one to catch up",
        )
    if signed.expires <= now:
        raise IndexRefused(
            f"{source} (version {signed.version}) expired at {iso_z(signed.expires)}: "
            "refused, it may be frozen",
            hint="the mirror is no longer updated (a stalled sync, or someone withholding "
            "updates); the registry must run `dativo-registry export-index` again",
        )
    keyid = key_id(key)
    new_record = IndexRecord(
        keyid=keyid,
        public_key=public_pem(key),
        version=max(signed.version, record.version if record else 0),
        expires=iso_z(signed.expires),
        checked=iso_z(now),
    )
    return VerifiedIndex(url, signed, keyid, trusted_by), new_record


def _trusted_key(
    envelope: Envelope, source: str, pinned: PinnedKey | None, record: IndexRecord | None
) -> tuple[ed25519.Ed25519PublicKey, TrustedBy]:
    signers = ", ".join(envelope.keyids()) or "no key"
    if pinned is not None:
        _require_signature(
            envelope,
            source,
            pinned.key,
            not_signed=f"{source} is not signed by the pinned index key {key_id(pinned.key)} "
            f"({pinned.source}); it is signed by {signers}",
            hint="if the registry rotated its index key, get the new public key from it "
            "(out of band) and pin that",
        )
        return pinned.key, "pinned"
    if record is not None:
        try:
            key = load_public_key(record.public_key.encode(), "the recorded index key")
        except IndexKeyError as exc:
            raise IndexRefused(exc.message, hint=exc.hint) from exc
        _require_signature(
            envelope,
            source,
            key,
            not_signed=f"the index key changed: {source} was signed by {record.keyid} when "
            f"first used, and is now signed by {signers}",
            hint="if the registry rotated its index key, verify the new public key out of "
            "band and pin it with --index-key (or in [indexes] of the config file)",
        )
        return key, "recorded"
    for key in declared_keys(envelope).values():
        if signature_valid(envelope, key):
            return key, "first-use"
    raise IndexRefused(
        f"{source} carries no valid signature by a key it announces (signed by {signers})",
        hint="index.json was changed after it was signed, or is not a dativo index; "
        "do not use this mirror",
    )


def _require_signature(
    envelope: Envelope,
    source: str,
    key: ed25519.Ed25519PublicKey,
    *,
    not_signed: str,
    hint: str,
) -> None:
    if signature_valid(envelope, key):
        return
    if key_id(key) not in envelope.keyids():
        raise IndexRefused(not_signed, hint=hint)
    raise IndexRefused(
        f"the signature of {source} by {key_id(key)} does not verify: index.json was changed "
        "after it was signed",
        hint="the mirror serves altered data; do not use it (tell its operator)",
    )

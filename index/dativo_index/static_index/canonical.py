"""Canonical JSON: the bytes an index signature is over.

Keys sorted, no whitespace, UTF-8 (not ``\\u`` escapes), no NaN or infinity.
Python's ``json`` writes every float as the shortest text that reads back as
the same float, so a document parsed and canonicalized again gives the same
bytes: a verifier never needs the bytes the signer saw, only the values.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "sha256_hex"]


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes; ValueError for NaN/infinity or non-JSON values."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

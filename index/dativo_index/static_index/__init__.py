"""The signed static index: the whole marketplace as static files any host can serve.

``dativo-registry export-index OUT/`` writes, through :class:`StaticIndexWriter`:

- ``index.json``: every plugin's card, with a version, an expiry and an
  Ed25519 signature by the registry's index key (:mod:`.document`);
- ``plugins/{name}.json``: each plugin's release detail and versions, covered
  by the signature through its SHA-256 in ``index.json``;
- ``index.html``, ``plugins/{name}/index.html``, ``static/``: the pages.

``dativo-pkg search --index-url URL`` reads it through :class:`StaticMirror`,
which verifies it the way TUF verifies its timestamp role (:mod:`.verify`):
pinned or first-use key, signature, no rollback, no freeze; the key and the
highest version seen are kept per URL (:mod:`.state`). :func:`search_entries`
searches the verified cards as the registry would. docs/marketplace.md
describes the format and the trust model.
"""

from __future__ import annotations

from dativo_index.static_index.builder import ExportSummary, StaticIndexWriter
from dativo_index.static_index.document import IndexEntry, SignedIndex
from dativo_index.static_index.errors import (
    ExportError,
    IndexKeyError,
    IndexRefused,
    IndexUnavailable,
)
from dativo_index.static_index.keys import generate_index_key, load_signing_key, read_passphrase
from dativo_index.static_index.matching import search_entries
from dativo_index.static_index.mirror import StaticMirror, index_base
from dativo_index.static_index.pins import resolve_index
from dativo_index.static_index.state import IndexStateStore
from dativo_index.static_index.verify import PinnedKey, VerifiedIndex

__all__ = [
    "ExportError",
    "ExportSummary",
    "IndexEntry",
    "IndexKeyError",
    "IndexRefused",
    "IndexStateStore",
    "IndexUnavailable",
    "PinnedKey",
    "SignedIndex",
    "StaticIndexWriter",
    "StaticMirror",
    "VerifiedIndex",
    "generate_index_key",
    "index_base",
    "load_signing_key",
    "read_passphrase",
    "resolve_index",
    "search_entries",
]

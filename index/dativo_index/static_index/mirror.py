"""Reading a static index from a mirror: fetch, verify, remember; plugin files checked by digest.

A mirror is any static host serving an ``export-index`` directory (``python -m
http.server`` will do), or a local directory / ``file://`` URL (air-gapped
copies). Downloads are capped (``index.json`` at 64 MiB; a plugin file at the
exact size the signed index gives), so a hostile mirror cannot exhaust memory.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from dativo_index.static_index.canonical import sha256_hex
from dativo_index.static_index.document import PLUGIN_TYPE, IndexEntry, parse_envelope
from dativo_index.static_index.errors import IndexRefused, IndexUnavailable
from dativo_index.static_index.state import IndexStateStore
from dativo_index.static_index.verify import PinnedKey, VerifiedIndex, verify_index

__all__ = ["MAX_INDEX_BYTES", "StaticMirror", "index_base"]

MAX_INDEX_BYTES = 64 << 20
TIMEOUT_SECONDS = 30


def index_base(location: str) -> str:
    """The index root ``location`` names: an http(s) URL or a directory, as a URL.

    A trailing ``/`` or ``/index.json`` is dropped; a local path becomes an
    absolute ``file://`` URL. The result keys the recorded state.
    """
    base = location.strip()
    base = base.removesuffix("/index.json").rstrip("/") if "://" in base else base
    if base.startswith(("http://", "https://")):
        if not urlsplit(base).netloc:
            raise IndexUnavailable(f"{location!r} is not a URL with a host")
        return base
    if base.startswith("file://"):
        base = unquote(urlsplit(base).path)
    path = Path(base).expanduser().resolve()
    if path.name == "index.json":
        path = path.parent
    return path.as_uri()


class StaticMirror:
    """One static index: :meth:`load` verifies ``index.json``, :meth:`detail` a plugin file."""

    def __init__(
        self, location: str, pinned: PinnedKey | None = None, store: IndexStateStore | None = None
    ) -> None:
        self.base = index_base(location)
        self.pinned = pinned
        self.store = store if store is not None else IndexStateStore()

    def load(self, now: dt.datetime | None = None) -> VerifiedIndex:
        """The verified index; the URL's record (key, highest version) is updated."""
        data = self._fetch("index.json", MAX_INDEX_BYTES)
        envelope = parse_envelope(data, f"{self.base}/index.json")
        with self.store.transaction() as records:
            verified, record = verify_index(
                envelope, self.base, self.pinned, records.get(self.base), now or _now()
            )
            records[self.base] = record
        return verified

    def detail(self, entry: IndexEntry) -> dict[str, Any]:
        """The plugin file of ``entry`` (from a verified index), checked against its digest."""
        source = f"{self.base}/{entry.detail}"
        data = self._fetch(entry.detail, entry.size)
        digest = sha256_hex(data)
        if len(data) != entry.size or digest != entry.sha256:
            raise IndexRefused(
                f"{source} does not match the signed index (sha256 {digest}, "
                f"{len(data)} bytes; expected {entry.sha256}, {entry.size} bytes)",
                hint="the mirror serves altered or half-synced files; do not use it",
            )
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise IndexRefused(f"{source} is not JSON: {exc}") from exc
        if not isinstance(value, dict) or value.get("_type") != PLUGIN_TYPE:
            raise IndexRefused(f"{source} is not a dativo index plugin file")
        return value

    def _fetch(self, relative: str, limit: int) -> bytes:
        url = f"{self.base}/{relative}"
        if url.startswith("file://"):
            return _read_file(Path(unquote(urlsplit(url).path)), url, limit)
        try:
            with httpx.stream("GET", url, timeout=TIMEOUT_SECONDS, follow_redirects=True) as r:
                if r.status_code != 200:
                    raise IndexUnavailable(
                        f"{url}: HTTP {r.status_code} {r.reason_phrase}",
                        hint="check --index-url: the directory `dativo-registry export-index` "
                        "wrote, served as is",
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(url, limit)
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise IndexUnavailable(
                f"the index at {self.base} does not answer: {exc}",
                hint="check --index-url and that the mirror is up",
            ) from exc


def _read_file(path: Path, url: str, limit: int) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise IndexUnavailable(
            f"cannot read {url}: {exc.strerror}",
            hint="check --index-url: the directory `dativo-registry export-index` wrote",
        ) from exc
    if len(data) > limit:
        raise _too_large(url, limit)
    return data


def _too_large(url: str, limit: int) -> IndexRefused:
    return IndexRefused(
        f"{url} is larger than the {limit} bytes expected: refused",
        hint="the mirror serves altered data; do not use it",
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""A PEP 691 (JSON simple API) client: the one place ``install`` talks to the index.

One :class:`Fetcher` (one :class:`httpx.Client`) for every request of an
install: pages, files and provenance documents. File URLs are
resolved against the project page's URL (the registry serves relative
ones). Filenames are checked here, before anything uses them as a path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from packaging.utils import NormalizedName, canonicalize_name

from dativo_pkg.errors import SourceUnreachable
from dativo_pkg.install._errors import NotOnIndex, UnsafeFilename

__all__ = ["SIMPLE_JSON", "Fetcher", "IndexClient", "IndexFile"]

log = logging.getLogger(__name__)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class IndexFile:
    """One file of a project page."""

    filename: str
    url: str  # absolute
    sha256: str | None
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    size: int | None
    provenance_url: str | None  # absolute; None when the index has no provenance for it


class Fetcher:
    """Every HTTP request of an install goes through one of these (one connection pool)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(
            timeout=TIMEOUT, follow_redirects=True, transport=_LazyTransport()
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    def get(self, url: str, accept: str) -> httpx.Response:
        """A GET; any status is returned, transport errors are translated."""
        log.debug("GET %s", url)
        try:
            return self._client.get(url, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise _unreachable(url, exc) from exc

    @contextmanager
    def stream(self, url: str) -> Iterator[httpx.Response]:
        """A streaming GET; 4xx/5xx raise, errors while reading the body are translated too."""
        log.debug("GET %s", url)
        try:
            with self._client.stream("GET", url) as response:
                _raise_for_status(response, url)
                yield response
        except httpx.HTTPError as exc:
            raise _unreachable(url, exc) from exc

    def provenance(self, url: str) -> bytes | None:
        """The PEP 740 provenance document at ``url``; None when there is none (404)."""
        response = self.get(url, "application/json")
        if response.status_code == 404:
            return None
        _raise_for_status(response, url)
        return response.content


class _LazyTransport(httpx.BaseTransport):
    """httpx's transport, made on first use per scheme: loading the CA bundle takes
    ~80 ms, a quarter of a whole install from a plain-HTTP index that never needs it."""

    def __init__(self) -> None:
        self._transports: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scheme = request.url.scheme
        if scheme not in self._transports:
            # certificates are verified for https; plain http has no TLS to verify
            self._transports[scheme] = httpx.HTTPTransport(verify=scheme == "https")
        return self._transports[scheme].handle_request(request)

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()


class IndexClient:
    """The project pages of one index, each fetched once per install."""

    def __init__(self, index_url: str, fetcher: Fetcher) -> None:
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"
        self.fetcher = fetcher
        self._pages: dict[NormalizedName, list[IndexFile]] = {}

    def files(self, project: str) -> list[IndexFile]:
        """The files the index lists for ``project``."""
        name = canonicalize_name(project)
        if name not in self._pages:
            self._pages[name] = self._fetch_page(name)
        return self._pages[name]

    def _fetch_page(self, name: NormalizedName) -> list[IndexFile]:
        url = f"{self.index_url}{name}/"
        response = self.fetcher.get(url, SIMPLE_JSON)
        if response.status_code == 404:
            raise NotOnIndex(
                f"no project {name} on {self.index_url}",
                hint="check the name, or pass the index that has it with --index-url",
            )
        _raise_for_status(response, url)
        if not response.headers.get("content-type", "").startswith(SIMPLE_JSON):
            raise SourceUnreachable(
                f"{url} did not answer with the JSON simple API (PEP 691)",
                hint="dativo-pkg installs from indexes that serve PEP 691 JSON, "
                "such as dativo-registry",
            )
        try:
            document = response.json()
            return list(_parse_files(document["files"], str(response.url)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SourceUnreachable(f"{url} served a malformed project page: {exc}") from exc


def _unreachable(url: str, exc: httpx.HTTPError) -> SourceUnreachable:
    return SourceUnreachable(
        f"cannot reach the index at {url}: {type(exc).__name__}: {exc}",
        hint="check --index-url (or DATIVO_INDEX_URL) and the network",
    )


def _raise_for_status(response: httpx.Response, url: str) -> None:
    if response.status_code >= 400:
        raise SourceUnreachable(
            f"the index answered {response.status_code} for {url}",
            hint="try again later, or ask the index's operator",
        )


def _parse_files(entries: list[dict[str, Any]], page_url: str) -> Iterator[IndexFile]:
    for entry in entries:
        filename = entry["filename"]
        _check_filename(filename, page_url)
        yanked = entry.get("yanked", False)
        provenance = entry.get("provenance")
        size = entry.get("size")
        yield IndexFile(
            filename=filename,
            url=str(httpx.URL(page_url).join(entry["url"]).copy_with(fragment=None)),
            sha256=(entry.get("hashes") or {}).get("sha256"),
            requires_python=entry.get("requires-python") or None,
            yanked=bool(yanked),
            yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
            size=size if isinstance(size, int) else None,
            provenance_url=str(httpx.URL(page_url).join(provenance)) if provenance else None,
        )


def _check_filename(filename: str, page_url: str) -> None:
    """A filename is used as a path in the download directory: a bare name only."""
    unsafe = (
        not isinstance(filename, str)
        or not filename
        or "/" in filename
        or "\\" in filename
        or "\0" in filename
        or filename in (".", "..")
        or filename.startswith(".")
    )
    if unsafe:
        raise UnsafeFilename(
            f"{page_url} lists a file named {filename!r}, which is not a plain filename",
            hint="the index is broken or compromised; nothing was installed",
        )

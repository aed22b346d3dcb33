"""``dativo-registry export-index``: the whole marketplace as a signed static index.

The export reads the registry the way its users do: it builds the registry
application in-process and GETs, through httpx's ASGI transport (no socket,
no server), the plugin API (``/api/v1/plugins``, paged by name, then each
plugin's releases and newest release detail) and the web pages (``/`` and
``/plugins/{name}``). So the static index shows exactly what the registry
shows. :class:`dativo_index.static_index.StaticIndexWriter` stages the files
next to OUT and swaps them in only once ``index.json`` is signed: a failure
leaves OUT as it was.

Pages link with absolute paths (``/plugins/x``, ``/static/...``); in the
export those become relative links (``plugins/x/index.html``), so the export
works from any path prefix of a static host and from the file system. The
front page's result pages (``/?page=N``) are exported too, as
``page/N/index.html``; other searches need the registry (a static host
ignores the query: the form shows the front page) or ``dativo-pkg search
--index-url``. Links to what only the registry serves (``/files/``,
``/simple/``) point at the registry when ``--registry`` is its URL. Without
web routes (``GET /`` is not an HTML page) the export is the JSON index
alone, with a warning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from dativo_index.static_index import (
    ExportSummary,
    StaticIndexWriter,
    generate_index_key,
    load_signing_key,
    read_passphrase,
)
from dativo_index.static_index.cards import card_entry, release_keywords
from dativo_pkg.errors import DativoError
from dativo_registry.config import Settings
from dativo_registry.errors import RegistryError

if TYPE_CHECKING:
    from fastapi import FastAPI


__all__ = ["ExportResult", "ExportSettings", "export_index", "generate_key", "index_passphrase"]

log = logging.getLogger(__name__)

#: Plugins fetched at once (the app answers from its thread pool).
CONCURRENCY = 4
#: The plugin API's largest page.
PAGE_SIZE = 100
BASE_URL = "http://registry.invalid"
#: An absolute path in the href, src or action attribute of a tag (one per tag).
_LOCAL_LINK = re.compile(r'(<[A-Za-z][^<>]*?\s(?:href|src|action)=")(/(?!/)[^"<>]*)"')
#: A front page link to one of its result pages (no other parameter).
_RESULT_PAGE = re.compile(r"\?page=([1-9][0-9]{0,6})")


@dataclass(frozen=True)
class ExportSettings:
    out: Path
    registry: Settings
    key_file: Path
    passphrase: bytes
    expires_days: int = 7
    #: The version to write; default: the version of the export in OUT plus one.
    version: int | None = None
    #: The registry's public URL (or a name), recorded in index.json.
    registry_name: str = "dativo-registry"


@dataclass(frozen=True)
class ExportResult:
    summary: ExportSummary
    #: HTML pages written (0 when the registry has no web routes).
    pages: int

    def to_json(self) -> dict[str, Any]:
        return {**self.summary.to_json(), "pages": self.pages}


def index_passphrase(
    passphrase_file: Path | None, prompt: Callable[[], str] | None = None
) -> bytes:
    """The index key's passphrase: a file, ``$DATIVO_INDEX_KEY_PASSPHRASE`` or ``prompt``."""
    try:
        return read_passphrase(passphrase_file, prompt)
    except DativoError as exc:
        raise _registry_error(exc) from exc


def generate_key(output: Path, passphrase: bytes) -> tuple[Path, str]:
    """Write a new index key pair (``output``, ``output.pub``); the public file and key id."""
    try:
        made = generate_index_key(output, passphrase)
    except DativoError as exc:
        raise _registry_error(exc) from exc
    return made.public_key, made.key_id


def export_index(settings: ExportSettings) -> ExportResult:
    """Export the registry of ``settings.registry`` into ``settings.out``, signed."""
    from dativo_registry.app import create_app

    if settings.expires_days < 1:
        raise RegistryError("--expires-days must be at least 1")
    try:
        key = load_signing_key(settings.key_file, settings.passphrase)
        app = create_app(settings.registry)
        try:
            with StaticIndexWriter(
                settings.out,
                key,
                registry=settings.registry_name,
                expires_in=dt.timedelta(days=settings.expires_days),
                version=settings.version,
            ) as writer:
                pages = asyncio.run(_Crawl(app, writer, settings.registry_name).run())
                summary = writer.commit()
        finally:
            app.state.engine.dispose()
    except DativoError as exc:
        raise _registry_error(exc, "cannot export the index: ") from exc
    except OSError as exc:
        raise RegistryError(f"cannot export the index into {settings.out}: {exc}") from exc
    return ExportResult(summary, pages)


class _Crawl:
    """One export's reads of the app, written into the writer as they come."""

    def __init__(self, app: FastAPI, writer: StaticIndexWriter, registry_name: str) -> None:
        self.app = app
        self.writer = writer
        self.registry_url = (
            registry_name.rstrip("/") if registry_name.startswith(("http://", "https://")) else None
        )
        self.pages = 0
        self.assets: set[str] = set()
        #: Result pages of the front page linked so far (``/?page=N``), and those written.
        self.linked_pages: set[int] = set()
        self.written_pages: set[int] = {1}

    async def run(self) -> int:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            cards = await self._cards(client)
            front = await self._page(client, "/")
            if front is None:
                log.warning(
                    "the registry serves no web pages (GET / is not an HTML page): "
                    "exporting the JSON index only"
                )
            else:
                self._add_page("index.html", front, depth=0)
                await self._result_pages(client)
            limit = asyncio.Semaphore(CONCURRENCY)
            try:
                async with asyncio.TaskGroup() as group:
                    for card in cards:
                        group.create_task(self._plugin(client, card, front is not None, limit))
            except BaseExceptionGroup as group_error:
                raise group_error.exceptions[0] from None
            if front is not None:
                await self._static(client)
        log.info("exported %d plugins and %d pages", len(cards), self.pages)
        return self.pages

    async def _cards(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        """Every plugin card, paging through the API by name (one page if it does not page)."""
        cards: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            params = {"sort": "name", "per_page": str(PAGE_SIZE), "page": str(page)}
            body = await _json(client, "/api/v1/plugins", params)
            items = [i for i in body.get("plugins", []) if isinstance(i, dict)]
            new = [i for i in items if i.get("normalized") not in cards]
            cards.update((str(i.get("normalized")), i) for i in new)
            total = body.get("total")
            if not isinstance(total, int) or not new or len(cards) >= total:
                return list(cards.values())
            page += 1

    async def _plugin(
        self,
        client: httpx.AsyncClient,
        card: dict[str, Any],
        with_page: bool,
        limit: asyncio.Semaphore,
    ) -> None:
        async with limit:
            name = str(card.get("normalized", ""))
            version = str(card.get("version", ""))
            releases = await _json(client, f"/api/v1/plugins/{quote(name, safe='')}")
            release = await _json(
                client, f"/api/v1/plugins/{quote(name, safe='')}/{quote(version, safe='')}"
            )
            entry = card_entry(card, release_keywords(release))
            detail = {
                "name": entry["name"],
                "normalized": name,
                "card": entry,
                "release": release,
                "versions": releases.get("releases", []),
            }
            self.writer.add_plugin(entry, detail)
            if with_page:
                html = await self._page(client, f"/plugins/{quote(name, safe='')}")
                if html is not None:
                    self._add_page(f"plugins/{name}/index.html", html, depth=2)

    async def _result_pages(self, client: httpx.AsyncClient) -> None:
        """The front page's further result pages, followed from its page links."""
        while pending := sorted(self.linked_pages - self.written_pages):
            for number in pending:
                self.written_pages.add(number)
                html = await self._page(client, f"/?page={number}")
                if html is not None:
                    self._add_page(f"page/{number}/index.html", html, depth=2)

    async def _page(self, client: httpx.AsyncClient, path: str) -> str | None:
        response = await client.get(path)
        is_html = response.headers.get("content-type", "").startswith("text/html")
        if response.status_code != 200 or not is_html:
            if path != "/":
                log.warning(
                    "GET %s answered HTTP %d: page not exported", path, response.status_code
                )
            return None
        return response.text

    def _add_page(self, relative: str, html: str, depth: int) -> None:
        self.writer.add_file(relative, self._relink(html, depth).encode())
        self.pages += 1

    def _relink(self, html: str, depth: int) -> str:
        """Absolute links made relative (exported paths) or absolute on the registry."""
        prefix = "../" * depth

        def replace(match: re.Match[str]) -> str:
            attribute, path = match.group(1), match.group(2)
            route, sep, rest = path.partition("?") if "?" in path else path.partition("#")
            tail = f"{sep}{rest}"
            if route == "/" and (page := _RESULT_PAGE.fullmatch(tail)):
                number = int(page.group(1))
                self.linked_pages.add(number)
                return f'{attribute}{prefix}page/{number}/index.html"'
            if route == "/":
                return f'{attribute}{prefix}index.html{tail}"'
            if route.startswith("/static/"):
                self.assets.add(route)
                return f'{attribute}{prefix}{route[1:]}{tail}"'
            if route.startswith("/plugins/") and "/" not in route[len("/plugins/") :]:
                return f'{attribute}{prefix}{route[1:]}/index.html{tail}"'
            if self.registry_url is not None:
                return f'{attribute}{self.registry_url}{path}"'
            return match.group(0)

        return _LOCAL_LINK.sub(replace, html)

    async def _static(self, client: httpx.AsyncClient) -> None:
        """The assets under /static/ the exported pages use."""
        for path in sorted(self.assets):
            response = await client.get(path)
            if response.status_code != 200:
                raise RegistryError(f"GET {path} answered HTTP {response.status_code}")
            self.writer.add_file(path.removeprefix("/"), response.content)


async def _json(
    client: httpx.AsyncClient, path: str, params: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.get(path, params=params)
    if response.status_code != 200:
        raise RegistryError(f"GET {path} answered HTTP {response.status_code}: {response.text}")
    body = response.json()
    if not isinstance(body, dict):
        raise RegistryError(f"GET {path} answered {type(body).__name__}, not an object")
    return body


def _registry_error(exc: DativoError, prefix: str = "") -> RegistryError:
    hint = f"\n  {exc.hint}" if exc.hint else ""
    return RegistryError(f"{prefix}{exc.message}{hint}")

"""The simple repository API pip and uv install from: PEP 503 HTML and PEP 691 JSON.

``/simple/`` lists the projects, ``/simple/<project>/`` a project's files,
with PEP 592 yanking, PEP 658/714 metadata digests, PEP 700 fields
(``versions``, ``size``, ``upload-time``) and PEP 740 provenance links (the
Integrity API URL of each file uploaded with verified attestations). The representation follows the
``Accept`` header (or ``?format=``, as on PyPI); HTML is the default.

Speed: these pages are what installers fetch most, so each process keeps the
rendered pages in memory. A page is served from memory when one indexed query
(``SELECT id, serial FROM projects WHERE normalized = ?``) says the project's
``serial`` has not moved since it was rendered; every change to a project's
files (upload, yank, deletion) must bump its serial, so several processes
sharing one database never serve a stale page. The index is validated the
same way with ``max(projects.id)``: projects are never deleted nor renamed,
so a new one is the only change. That query runs on the event loop: on SQLite
it takes tens of microseconds, less than a hop to the thread pool, which also
made the tail latency under concurrency several times worse (on PostgreSQL it
is one round trip to a server that is normally close). Rendering a page after
a change runs in the thread pool. The handlers are plain Starlette routes,
not FastAPI ones: they skip FastAPI's request handling, which costs as much
as the rest of the request, and they stay out of ``/openapi.json`` (PEPs 503,
691 and 700 specify this API).

File URLs are relative (``../../files/<sha256>/<filename>``), and so are
provenance URLs (``../../integrity/<project>/<version>/<filename>/provenance``),
so pages do not depend on the host name the registry is reached by.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from sqlalchemy import ClauseElement, Engine, bindparam, func, select
from sqlalchemy.sql.compiler import SQLCompiler
from starlette.concurrency import run_in_threadpool

from dativo_registry.errors import NotFound
from dativo_registry.integrity import provenance_path
from dativo_registry.models import File, Project, Release
from dativo_registry.negotiation import choose_media_type, etag_matches

__all__ = [
    "HTML_V1",
    "JSON_V1",
    "MEDIA_TYPES",
    "TEXT_HTML",
    "Page",
    "PageCache",
    "router",
    "version_key",
]

router = APIRouter(tags=["simple"])

TEXT_HTML = "text/html"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
#: What the simple API serves, in the server's order of preference: when the
#: client likes several equally (``*/*``), HTML wins, as on PyPI.
MEDIA_TYPES = (TEXT_HTML, HTML_V1, JSON_V1)
API_VERSION = "1.1"
CACHE_CONTROL = "max-age=60, public"
#: Part of every ETag: bump it when the rendering changes, so that clients
#: holding a page rendered by an older registry do not keep it.
RENDERING = "2"

#: PEP 508 names; anything else cannot be a project, so it is a 404 without a query.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


class _OneRow:
    """A one-row SELECT run straight on a pooled DBAPI connection.

    It validates every page view, and SQLAlchemy's Connection and Result
    objects cost more than the query itself (measured on SQLite: 130 us
    per lookup through them, 35 us this way). The statement is compiled once
    per database dialect, in that dialect's parameter style.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str], SQLCompiler] = {}

    def first(self, engine: Engine, **params: Any) -> Any:
        dialect = engine.dialect
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            self._compiled[(dialect.name, dialect.driver)] = compiled
        values = compiled.construct_params(params)
        args = (
            tuple(values[key] for key in compiled.positiontup or ())
            if compiled.positional
            else values
        )
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.string, args)
                return cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back


#: The validation queries.
_INDEX_STAMP = _OneRow(select(func.max(Project.id)))
_PROJECT_STAMP = _OneRow(
    select(Project.id, Project.serial).where(Project.normalized == bindparam("normalized"))
)


@dataclass(frozen=True)
class Page:
    """A rendered simple page, ready to send."""

    body: bytes
    media_type: str
    etag: str
    #: The project's serial (sent as ``X-PyPI-Last-Serial``); None for the index.
    serial: int | None


class PageCache:
    """Rendered pages of this process: ``key -> (stamp, page)``, least recently used out.

    ``stamp`` is what the page was rendered from (a project's serial); a page
    is only returned for the same stamp. Safe to share between threads.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[Hashable, tuple[Hashable, Page]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable) -> Page | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._pages.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, stamp: Hashable, page: Page) -> None:
        with self._lock:
            self._pages[key] = (stamp, page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)


async def simple_index(request: Request) -> Response:
    """The project index (PEP 503 HTML or PEP 691 JSON)."""
    media_type = _negotiate(request)
    if media_type is None:
        return _not_acceptable()
    engine: Engine = request.app.state.engine
    cache: PageCache = request.app.state.page_cache
    stamp = _INDEX_STAMP.first(engine)[0] or 0
    page = cache.get(("index", media_type), stamp)
    if page is None:
        page = await run_in_threadpool(_render_index, engine, media_type, stamp)
        cache.put(("index", media_type), stamp, page)
    return _send(request, page)


async def simple_project(request: Request) -> Response:
    """A project's files (PEP 503 HTML or PEP 691 JSON)."""
    project: str = request.path_params["project"]
    if not _NAME.match(project):
        raise NotFound(f"no project named {project!r}")
    normalized = canonicalize_name(project)
    if normalized != project:
        url = f"{request.scope.get('root_path', '')}/simple/{normalized}/"
        if request.url.query:
            url += f"?{request.url.query}"
        return RedirectResponse(url, status_code=301, headers={"Vary": "Accept"})
    media_type = _negotiate(request)
    if media_type is None:
        return _not_acceptable()
    engine: Engine = request.app.state.engine
    cache: PageCache = request.app.state.page_cache
    row = _PROJECT_STAMP.first(engine, normalized=normalized)
    if row is None:
        raise NotFound(
            f"no project named {normalized!r} in this registry; publish it with `twine upload`"
        )
    project_id, serial = row
    page = cache.get((normalized, media_type), serial)
    if page is None:
        page = await run_in_threadpool(
            _render_project, engine, project_id, normalized, serial, media_type
        )
        cache.put((normalized, media_type), serial, page)
    return _send(request, page)


router.add_route("/simple/", simple_index, methods=["GET"], include_in_schema=False)
router.add_route("/simple/{project}/", simple_project, methods=["GET"], include_in_schema=False)


def _negotiate(request: Request) -> str | None:
    """``?format=`` when given (as on PyPI), else the ``Accept`` header."""
    if request.scope["query_string"]:
        wanted = request.query_params.get("format")
        if wanted is not None:
            return wanted if wanted in MEDIA_TYPES else None
    return _choose(request.headers.get("accept"))


@functools.lru_cache(maxsize=256)
def _choose(accept: str | None) -> str | None:
    """Clients send a handful of distinct ``Accept`` headers: remember the answers."""
    return choose_media_type(accept, MEDIA_TYPES)


def _not_acceptable() -> Response:
    return PlainTextResponse(
        f"this index serves {', '.join(MEDIA_TYPES)}; ask for one of them "
        "in the Accept header or with ?format=",
        status_code=406,
        headers={"Vary": "Accept"},
    )


def _send(request: Request, page: Page) -> Response:
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": page.etag,
        "Vary": "Accept",
    }
    if page.serial is not None:
        headers["X-PyPI-Last-Serial"] = str(page.serial)
    if etag_matches(request.headers.get("if-none-match"), page.etag):
        return Response(status_code=304, headers=headers)
    content_type = (
        f"{TEXT_HTML}; charset=utf-8" if page.media_type == TEXT_HTML else page.media_type
    )
    return Response(page.body, headers=headers, media_type=content_type)


# -- rendering ------------------------------------------------------------------------


def _render_index(engine: Engine, media_type: str, stamp: int) -> Page:
    with engine.connect() as conn:
        rows = conn.execute(select(Project.name, Project.normalized).order_by(Project.normalized))
        projects = [(name, normalized) for name, normalized in rows]
    etag = f'"{RENDERING}-index-{stamp}-{MEDIA_TYPES.index(media_type)}"'
    if media_type == JSON_V1:
        document = {
            "meta": {"api-version": API_VERSION},
            "projects": [{"name": name} for name, _ in projects],
        }
        return Page(_json(document), media_type, etag, None)
    links = "".join(
        f'    <a href="{quote(normalized)}/">{html.escape(name)}</a><br>\n'
        for name, normalized in projects
    )
    body = _HTML.format(title="Simple index", links=links, version=API_VERSION)
    return Page(body.encode(), media_type, etag, None)


@dataclass(frozen=True)
class _FileRow:
    """What a simple page shows of one file."""

    project: str
    filename: str
    sha256: str
    size: int
    requires_python: str | None
    metadata_sha256: str | None
    uploaded_at: dt.datetime
    version: str
    yanked: bool
    yanked_reason: str | None
    has_provenance: bool

    @property
    def url(self) -> str:
        return f"../../files/{self.sha256}/{quote(self.filename)}#sha256={self.sha256}"

    @property
    def provenance_url(self) -> str | None:
        """PEP 740: the file's Integrity API URL, relative like ``url``; None if unsigned."""
        if not self.has_provenance:
            return None
        return "../../" + provenance_path(self.project, self.version, self.filename)

    @property
    def yanked_value(self) -> bool | str:
        """PEP 592 in JSON: the reason when there is one, else a boolean."""
        return (self.yanked_reason or True) if self.yanked else False


def _render_project(
    engine: Engine, project_id: int, normalized: str, serial: int, media_type: str
) -> Page:
    with engine.connect() as conn:
        versions = (
            conn.execute(select(Release.version).where(Release.project_id == project_id))
            .scalars()
            .all()
        )
        rows = conn.execute(
            select(
                File.filename,
                File.sha256,
                File.size,
                File.requires_python,
                File.metadata_sha256,
                File.uploaded_at,
                Release.version,
                Release.yanked,
                Release.yanked_reason,
                File.provenance.is_not(None).label("has_provenance"),
            )
            .join(Release, File.release_id == Release.id)
            .where(Release.project_id == project_id, File.deleted_at.is_(None))
        ).all()
    versions = sorted(versions, key=version_key)
    files = sorted(
        (_FileRow(project=normalized, **row._mapping) for row in rows),
        key=lambda f: (version_key(f.version), f.filename),
    )
    etag = f'"{RENDERING}-{project_id}-{serial}-{MEDIA_TYPES.index(media_type)}"'
    if media_type == JSON_V1:
        return Page(
            _json(_project_json(normalized, serial, versions, files)), media_type, etag, serial
        )
    links = "".join(_file_link(f) for f in files)
    body = _HTML.format(
        title=f"Links for {html.escape(normalized)}", links=links, version=API_VERSION
    )
    return Page(body.encode(), media_type, etag, serial)


def _project_json(
    normalized: str, serial: int, versions: Sequence[str], files: Sequence[_FileRow]
) -> dict[str, Any]:
    return {
        "meta": {"api-version": API_VERSION, "_last-serial": serial},
        "name": normalized,
        "versions": list(versions),
        "files": [
            {
                "filename": f.filename,
                "url": f.url,
                "hashes": {"sha256": f.sha256},
                "requires-python": f.requires_python,
                "yanked": f.yanked_value,
                "core-metadata": {"sha256": f.metadata_sha256} if f.metadata_sha256 else False,
                "dist-info-metadata": {"sha256": f.metadata_sha256} if f.metadata_sha256 else False,
                "size": f.size,
                "upload-time": _iso_utc(f.uploaded_at),
                "provenance": f.provenance_url,
            }
            for f in files
        ],
    }


def _file_link(f: _FileRow) -> str:
    attributes = ""
    if f.requires_python:
        attributes += f' data-requires-python="{html.escape(f.requires_python)}"'
    if f.yanked:
        attributes += f' data-yanked="{html.escape(f.yanked_reason or "")}"'
    if f.metadata_sha256:
        digest = f"sha256={f.metadata_sha256}"
        attributes += f' data-dist-info-metadata="{digest}" data-core-metadata="{digest}"'
    if f.provenance_url:
        attributes += f' data-provenance="{html.escape(f.provenance_url)}"'
    return f'    <a href="{html.escape(f.url)}"{attributes}>{html.escape(f.filename)}</a><br>\n'


_HTML = """<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="{version}">
    <title>{title}</title>
  </head>
  <body>
    <h1>{title}</h1>
{links}  </body>
</html>
"""


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def version_key(version: str) -> tuple[int, Version | str]:
    """Sort key for versions: PEP 440 order; a version that does not parse sorts first, by text."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _iso_utc(moment: dt.datetime) -> str:
    """PEP 700 ``upload-time``: ISO 8601 in UTC with a ``Z``. SQLite gives naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

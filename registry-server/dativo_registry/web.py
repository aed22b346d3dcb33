"""The web marketplace: server-rendered HTML pages that work without JavaScript.

- ``GET /``: the search page. The form's values come back as query
  parameters; a value that is not one of a select's choices is ignored
  (the page never answers 422), and the search itself is
  :func:`.search.search_plugins`, the same as ``GET /api/v1/plugins``.
- ``GET /plugins/{name}``: a plugin's page (:mod:`.plugin_page`); any
  spelling of the name (or a trailing slash) redirects to the normalized
  one; an unknown name, or any other path under ``/plugins/``, is a 404
  page in the same layout.
- ``GET /static/{name}``: the stylesheet and the copy button's script,
  from the ``dativo_index`` package (nothing else is served from there).

Templates and assets are :mod:`dativo_index`'s. Pages carry a Content
Security Policy that allows only this site's own styles and script (READMEs
are sanitized anyway: this is the second wall). Links are prefixed with the
ASGI ``root_path``, so the registry can be served under a path prefix.

This router holds ``/``: the app includes it last, after every other router.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dativo_index.markdown import MAX_README_BYTES
from dativo_index.pages import KINDS, LANGUAGES, LEVELS, SORTS, Card, SearchView
from dativo_index.render import assets, render_page
from dativo_registry.deps import get_session
from dativo_registry.errors import NotFound
from dativo_registry.plugin_page import plugin_view
from dativo_registry.search import PluginCard, SearchParams, search_plugins

__all__ = ["PER_PAGE", "router"]

router = APIRouter(include_in_schema=False)

SessionDep = Annotated[Session, Depends(get_session)]

#: Results per page.
PER_PAGE = 20
#: The last page a request may ask for (the results stop long before).
MAX_PAGE = 10_000
_MAX_TEXT = 200

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: http:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    q: str | None = None,
    kind: str | None = None,
    connector: str | None = None,
    language: str | None = None,
    certification: str | None = None,
    signed: str | None = None,
    sort: str | None = None,
    page: str | None = None,
) -> Response:
    """The search form and one page of results."""
    view = SearchView(
        q=_clean(q),
        kind=kind if kind in KINDS else "",
        connector=_clean(connector).lower()[:64],
        language=language if language in LANGUAGES else "",
        certification=certification if certification in LEVELS else "",
        signed=(signed or "").lower() in ("1", "on", "true", "yes"),
        sort=sort if sort in SORTS else "relevance",
        page=_page(page),
        per_page=PER_PAGE,
    )
    result = search_plugins(session, _params(view, view.page))
    if not result.items and result.total and view.page > 1:  # past the end: the last page
        last = -(-result.total // PER_PAGE)
        result = search_plugins(session, _params(view, last))
        view = replace(view, page=last)
    view = replace(view, total=result.total, cards=[_card(item) for item in result.items])
    html = render_page(
        "search.html",
        base=_base(request),
        nav="search",
        view=view,
        kinds=KINDS,
        languages=LANGUAGES,
        levels=LEVELS,
        sorts=SORTS,
    )
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/plugins/{name:path}", response_class=HTMLResponse)
def plugin_page(name: str, request: Request, session: SessionDep) -> Response:
    """A plugin's page; a 404 page when there is no such project (any path under
    ``/plugins/``, so a name with a slash gets the same page, not a bare 404)."""
    base = _base(request)
    try:
        view = plugin_view(session, name.rstrip("/"))
    except NotFound as exc:
        html = render_page(
            "not_found.html", base=base, nav="", name=name, query=_clean(name), reason=exc.message
        )
        return HTMLResponse(html, status_code=404, headers=_HEADERS)
    if name != view.normalized:
        return RedirectResponse(f"{base}/plugins/{view.normalized}", status_code=301)
    html = render_page(
        "plugin.html", base=base, nav="", view=view, max_readme_kib=MAX_README_BYTES // 1024
    )
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/static/{filename}")
def static_file(filename: str) -> Response:
    """A file of ``dativo_index/static`` (only those: the name is looked up, never joined)."""
    asset = assets().get(filename)
    if asset is None:
        raise NotFound(f"no static file {filename!r}")
    return FileResponse(
        asset.path,
        media_type=asset.media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _params(view: SearchView, page: int) -> SearchParams:
    return SearchParams(
        q=view.q or None,
        kind=view.kind or None,
        connector=view.connector or None,
        language=view.language or None,
        certification=view.certification or None,  # type: ignore[arg-type]  # one of LEVELS
        signed=view.signed,
        sort=view.sort,  # type: ignore[arg-type]  # one of SORTS
        page=page,
        per_page=view.per_page,
    )


def _card(item: PluginCard) -> Card:
    return Card(
        name=item.name,
        normalized=item.normalized,
        version=item.version,
        summary=item.summary,
        kinds=item.kinds,
        connectors=item.connectors,
        languages=item.languages,
        certification=item.certification,
        signer=item.signer,
        verified_publisher=item.verified_publisher,
        downloads=item.downloads,
        throughput_ratio=item.throughput_ratio,
        updated=item.updated,
    )


def _clean(text: str | None) -> str:
    """Form text: no control characters (PostgreSQL refuses NUL), trimmed, bounded."""
    if not text:
        return ""
    return "".join(c for c in text if c.isprintable() or c == " ").strip()[:_MAX_TEXT]


def _page(text: str | None) -> int:
    try:
        return min(max(int(text or "1"), 1), MAX_PAGE)
    except ValueError:
        return 1


def _base(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")

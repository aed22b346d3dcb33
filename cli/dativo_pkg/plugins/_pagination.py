"""Pagination styles of the REST reader: how to ask for the next page, and when to stop.

Each style is a small pydantic model (part of the reader's config, picked by
its ``type``) with two methods: ``first`` builds the first request from the
base URL and query parameters, ``next`` looks at the page just fetched and
returns the request for the following page, or ``None`` when there is none.
Paginators keep no state of their own: everything they need is in the
previous request and page, so the reader loop stays a plain ``while``.

Stop rules, chosen to cost no extra request where the API tells us enough:

- ``page``: an empty page (servers rarely say how many pages there are).
- ``offset``: a page shorter than ``limit`` (a full page may be followed by
  more).
- ``cursor``: the next cursor is missing, null or empty.
- ``next_link``: the next link is missing, null or empty.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
from pydantic import Field

from dativo_pkg.sdk import PluginConfig

__all__ = [
    "CursorPagination",
    "NextLinkPagination",
    "NoPagination",
    "OffsetPagination",
    "Page",
    "PagePagination",
    "PageRequest",
    "Pagination",
    "lookup",
]

#: A query parameter value as httpx sends it.
QueryValue = str | int | float | bool


@dataclass(frozen=True)
class PageRequest:
    """One GET to make: the URL without its query string, and the whole query."""

    url: str
    params: dict[str, QueryValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """A fetched page: what paginators and the record converter look at."""

    number: int  # 1 for the first page of a read
    request: PageRequest
    url: str  # final URL (after redirects), to resolve relative next links
    body: Any  # the decoded JSON
    records: list[Any]
    links: Mapping[str, str]  # RFC 8288 Link header: rel -> URL


def lookup(body: Any, path: str) -> Any:
    """Follow a dot path ("data.items", "meta.0.next") into JSON; None if absent.

    An empty path is the body itself. A part that is a number indexes a list.
    Missing and null are the same answer on purpose: both mean "not there",
    for the records list as for the next cursor.
    """
    node = body
    for part in path.split(".") if path else ():
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


class _Paginator(PluginConfig):
    def first(self, url: str, params: Mapping[str, QueryValue]) -> PageRequest:
        """The first request: the base query, plus this style's parameters."""
        return PageRequest(url, dict(params))

    @abstractmethod
    def next(self, page: Page) -> PageRequest | None:
        """The request for the page after ``page``, or None when it was the last."""


class NoPagination(_Paginator):
    """A single request returns everything."""

    type: Literal["none"] = "none"

    def next(self, page: Page) -> PageRequest | None:
        return None


class PagePagination(_Paginator):
    """Numbered pages (?page=1&per_page=100); stops on the first empty page."""

    type: Literal["page"]
    page_param: str = Field("page", description="Query parameter holding the page number.")
    size_param: str | None = Field(
        "per_page",
        description="Query parameter holding the page size; null to not send one.",
    )
    page_size: int = Field(100, ge=1, description="Records per page, sent in `size_param`.")
    start_page: int = Field(1, ge=0, description="Number of the first page (0 or 1).")

    def first(self, url: str, params: Mapping[str, QueryValue]) -> PageRequest:
        query = {**params, self.page_param: self.start_page}
        if self.size_param:
            query[self.size_param] = self.page_size
        return PageRequest(url, query)

    def next(self, page: Page) -> PageRequest | None:
        if not page.records:
            return None
        number = int(page.request.params[self.page_param]) + 1
        return PageRequest(page.request.url, {**page.request.params, self.page_param: number})


class OffsetPagination(_Paginator):
    """Offset and limit (?offset=200&limit=100); stops on a page shorter than the limit."""

    type: Literal["offset"]
    offset_param: str = Field("offset", description="Query parameter holding the offset.")
    limit_param: str = Field("limit", description="Query parameter holding the limit.")
    limit: int = Field(100, ge=1, description="Records per page, sent in `limit_param`.")

    def first(self, url: str, params: Mapping[str, QueryValue]) -> PageRequest:
        return PageRequest(url, {**params, self.offset_param: 0, self.limit_param: self.limit})

    def next(self, page: Page) -> PageRequest | None:
        if len(page.records) < self.limit:
            return None
        offset = int(page.request.params[self.offset_param]) + len(page.records)
        return PageRequest(page.request.url, {**page.request.params, self.offset_param: offset})


class CursorPagination(_Paginator):
    """An opaque cursor in each response, sent back to get the next page."""

    type: Literal["cursor"]
    cursor_path: str = Field(
        description="Dot path to the next cursor in the response JSON, e.g. `meta.next_cursor`."
    )
    cursor_param: str = Field("cursor", description="Query parameter receiving the cursor.")

    def next(self, page: Page) -> PageRequest | None:
        cursor = lookup(page.body, self.cursor_path)
        if cursor is None or cursor == "":
            return None
        return PageRequest(page.request.url, {**page.request.params, self.cursor_param: cursor})


class NextLinkPagination(_Paginator):
    """The URL of the next page, in the body or in the `Link: <...>; rel="next"` header.

    The next URL is used as given (its own query string replaces ours), and a
    relative one is resolved against the URL of the page that named it.
    """

    type: Literal["next_link"]
    next_path: str = Field(
        "",
        description="Dot path to the next page URL in the response JSON, e.g. `links.next`. "
        'Empty: use the RFC 8288 `Link: <...>; rel="next"` response header.',
    )

    def next(self, page: Page) -> PageRequest | None:
        link = lookup(page.body, self.next_path) if self.next_path else page.links.get("next")
        if not isinstance(link, str) or not link:
            return None
        return PageRequest(str(httpx.URL(page.url).join(link)))


#: The `pagination` config field: one of the styles above, chosen by `type`.
Pagination = Annotated[
    NoPagination | PagePagination | OffsetPagination | CursorPagination | NextLinkPagination,
    Field(discriminator="type"),
]

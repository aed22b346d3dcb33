"""A README as safe HTML: Markdown through markdown-it-py, then sanitized by nh3.

The README of a release is its core metadata ``Description``, rendered per
its ``Description-Content-Type``: ``text/markdown`` as CommonMark (plus
tables and strikethrough), anything else (plain text, reStructuredText) as
preformatted text. Authors write READMEs, so the result is untrusted until
sanitized: raw HTML in Markdown is allowed through the parser and then
cleaned by nh3 (ammonia) against an allowlist, which removes scripts and
styles with their content, iframes, forms, event-handler attributes and
every URL whose scheme is not http, https or mailto (``javascript:``,
``data:``, ``vbscript:``). Links get ``rel="noopener noreferrer nofollow"``.

README headings move two levels down (``#`` becomes ``<h3>``): the page's
``<h1>`` is the plugin's name and the README sits under an ``<h2>``. A README
over :data:`MAX_README_BYTES` is cut at the last line break before the limit,
with a note saying so.

A release's README never changes, and rendering a long one takes a while
(markdown-it-py parses about 1 MB/s), so the last few renderings are kept,
keyed by the text itself: a cached result can never be stale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["MAX_README_BYTES", "Readme", "render_readme"]

#: The largest README rendered; the rest is cut off (with a note).
MAX_README_BYTES = 512 * 1024

_URL_SCHEMES = {"http", "https", "mailto"}
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "ol", "p", "picture", "pre", "q", "s", "samp", "source", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "var",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "source": {"srcset", "media", "type"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "details": {"open"},
}
#: Elements removed together with everything inside them.
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math"}


@dataclass(frozen=True)
class Readme:
    """A README rendered for a page: sanitized HTML, and whether it was cut short."""

    html: str
    truncated: bool
    #: The README's full size in bytes (UTF-8).
    size: int


@functools.lru_cache(maxsize=32)
def render_readme(text: str | None, content_type: str | None = None) -> Readme | None:
    """``text`` rendered as sanitized HTML per ``content_type``; None when there is no text."""
    if text is None or not text.strip():
        return None
    data = text.encode("utf-8", "replace")
    truncated = len(data) > MAX_README_BYTES
    if truncated:
        text = _cut(data)
    if _is_markdown(content_type):
        html = sanitize(_markdown().render(text))
    else:  # escaped, so nothing in it is markup
        html = f'<pre class="readme-plain">{escape(text, quote=False)}</pre>'
    return Readme(html=html, truncated=truncated, size=len(data))


def sanitize(html: str) -> str:
    """``html`` with only the allowlisted tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _is_markdown(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/markdown"


def _cut(data: bytes) -> str:
    """The first :data:`MAX_README_BYTES` bytes, back to the last line break, as text."""
    head = data[:MAX_README_BYTES]
    line_end = head.rfind(b"\n")
    if line_end > MAX_README_BYTES // 2:
        head = head[: line_end + 1]
    return head.decode("utf-8", "ignore")


@functools.cache
def _markdown() -> MarkdownIt:
    """A CommonMark parser with tables and strikethrough; headings two levels down."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("demote_headings", _demote_headings)
    return md


def _demote_headings(state: object) -> None:
    tokens: list[Token] = getattr(state, "tokens", [])
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in _HEADINGS:
            token.tag = _HEADINGS[token.tag]


_HEADINGS = {f"h{n}": f"h{min(n + 2, 6)}" for n in range(1, 7)}

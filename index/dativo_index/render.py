"""The Jinja2 environment of the marketplace templates (``web/``) and its static assets.

Autoescaping is on for every template: a value from the database is text,
never markup, unless it is a :class:`markupsafe.Markup` built by this
package (a sanitized README, a chart). Templates and assets ship inside the
package and do not change while a process runs, so the environment and the
asset fingerprints are built once; page data is never cached here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

__all__ = ["Asset", "assets", "render_page"]

_PACKAGE = Path(str(files("dativo_index")))
#: What a missing number shows (an en dash).
_NONE = "\u2013"


@dataclass(frozen=True)
class Asset:
    """A static file served at ``/static/{name}``."""

    name: str
    path: Path
    media_type: str
    #: A short content hash, appended to URLs (``?v=``) so a new version is never stale.
    version: str


@functools.cache
def assets() -> dict[str, Asset]:
    """The static assets by file name (nothing else may be served from ``/static/``)."""
    found = {}
    for path in sorted((_PACKAGE / "static").iterdir()):
        if path.is_file() and not path.name.startswith("."):
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            found[path.name] = Asset(path.name, path, media_type, digest)
    return found


def render_page(template: str, *, base: str = "", nav: str = "", **context: Any) -> str:
    """Render ``web/{template}`` with ``context``; ``base`` prefixes every site link and
    ``nav`` names the current entry of the site navigation ("search" or "")."""
    return _environment().get_template(template).render(base=base, nav=nav, **context)


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_PACKAGE / "web"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    env.globals["asset"] = _asset_url
    env.filters["number"] = _number
    env.filters["ratio"] = _ratio
    env.filters["date"] = _date
    env.filters["short_signer"] = _short_signer
    return env


def _printable(value: Any) -> Any:
    """Every printed string without control characters (an ESC from a summary is no HTML)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.translate(_CONTROLS)
    return value


#: C0 controls but tab, newline and carriage return; DEL and the C1 controls.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)])


def _asset_url(name: str, base: str = "") -> str:
    return f"{base}/static/{name}?v={assets()[name].version}"


def _number(value: float | int | None, digits: int = 0) -> str:
    return _NONE if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return _NONE if value is None else f"{value:.2f}\u00d7"


def _short_signer(signer: str) -> str:
    """A publisher key's id cut to 16 hex digits (the page of the plugin shows all 64)."""
    prefix, _, digest = signer.partition("sha256:")
    if prefix in ("", "key ") and len(digest) > 16:
        return f"{prefix}sha256:{digest[:16]}\u2026"
    return signer


def _date(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")

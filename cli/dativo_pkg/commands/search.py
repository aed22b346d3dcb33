"""``dativo-pkg search``: find plugins in a registry or in a signed static index.

Two kinds of catalog, one interface (:class:`Catalog`):

- a registry (``--registry NAME|URL``, default: the config file's
  ``default-registry``): its plugin API, ``GET /api/v1/plugins`` (full-text
  search, ranked by the registry) and ``/api/v1/plugins/{name}[/{version}]``;
- a static index (``--index-url URL|NAME``, what ``dativo-registry
  export-index`` wrote, on any static host or a local directory): no
  registry involved. ``index.json`` is verified before anything is shown
  (pinned key from ``--index-key`` or the config file's ``[indexes]``, else
  the key first seen; no rollback, no freeze: see
  ``dativo_index.static_index``), then searched here, matching words as the
  registry does. Refusals exit 7.

Results are cards in one shape whatever the catalog (the index entry shape);
``info`` (:mod:`.info`) uses the same catalogs.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from packaging.utils import canonicalize_name
from rich.table import Table
from rich.text import Text

from dativo_pkg.errors import ConfigError

__all__ = [
    "Catalog",
    "CatalogOptions",
    "SearchOutcome",
    "SearchSettings",
    "open_catalog",
    "plain",
    "render_results",
    "search",
]

log = logging.getLogger(__name__)

#: The plugin API's largest page.
MAX_LIMIT = 100


@dataclass(frozen=True)
class CatalogOptions:
    """Where to look: a registry (name or URL) or a static index (URL, directory or name)."""

    registry: str | None = None
    index_url: str | None = None
    index_key: Path | None = None


@dataclass(frozen=True)
class SearchSettings:
    query: str | None = None
    kind: str | None = None
    limit: int = 50
    catalog: CatalogOptions = field(default_factory=CatalogOptions)


@dataclass(frozen=True)
class SearchOutcome:
    source: str
    total: int
    plugins: list[dict[str, Any]]
    #: For a static index: its version, expiry, key id and how the key is trusted.
    index: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "index": self.index,
            "total": self.total,
            "plugins": self.plugins,
        }


class Catalog(Protocol):
    """A place plugins are listed: a registry or a verified static index."""

    source: str
    index: dict[str, Any] | None

    def search(
        self, query: str | None, kind: str | None, limit: int
    ) -> tuple[int, list[dict[str, Any]]]: ...

    def info(self, name: str) -> dict[str, Any] | None:
        """The plugin's card, newest release detail and versions; None if unknown."""
        ...


def search(settings: SearchSettings) -> SearchOutcome:
    """Search the catalog ``settings`` names."""
    if not 1 <= settings.limit <= MAX_LIMIT:
        raise ConfigError(f"--limit must be between 1 and {MAX_LIMIT}")
    catalog = open_catalog(settings.catalog)
    total, cards = catalog.search(settings.query, settings.kind, settings.limit)
    return SearchOutcome(catalog.source, total, cards, catalog.index)


def open_catalog(options: CatalogOptions) -> Catalog:
    """The registry or static index ``options`` name (the static index already verified)."""
    if options.registry and options.index_url:
        raise ConfigError("give --registry or --index-url, not both")
    if options.index_key is not None and not options.index_url:
        raise ConfigError("--index-key pins the key of a static index: give --index-url too")
    if options.index_url:
        return _IndexCatalog(options.index_url, options.index_key)
    return _RegistryCatalog(options.registry)


class _RegistryCatalog:
    def __init__(self, selector: str | None) -> None:
        from dativo_pkg._internal.config_file import load_config, resolve_registry

        try:
            target = resolve_registry(load_config(), selector)
        except ConfigError as exc:
            if selector is not None:
                raise
            raise ConfigError(
                exc.message, hint="pass --registry NAME|URL, or --index-url for a static index"
            ) from exc
        self.target = target
        self.source = target.url
        self.index: dict[str, Any] | None = None

    def search(
        self, query: str | None, kind: str | None, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        from dativo_index.static_index.cards import card_entry

        params = {"per_page": str(limit)}
        params.update({k: v for k, v in (("q", query), ("kind", kind)) if v})
        body = self._get("/api/v1/plugins", params)
        if body is None:
            raise ConfigError(
                f"{self.source} has no plugin API (/api/v1/plugins: HTTP 404)",
                hint="--registry takes a dativo-registry root URL, e.g. http://127.0.0.1:8000",
            )
        items = [card_entry(i) for i in body.get("plugins", []) if isinstance(i, dict)]
        total = body.get("total")
        # A registry that does not page yet answers every match at once.
        return (total if isinstance(total, int) else len(items)), items[:limit]

    def info(self, name: str) -> dict[str, Any] | None:
        from dativo_index.static_index.cards import card_entry, release_keywords

        normalized = canonicalize_name(name)
        releases = self._get(f"/api/v1/plugins/{quote(normalized, safe='')}")
        if releases is None:
            return None
        body = self._get("/api/v1/plugins", {"q": name, "per_page": str(MAX_LIMIT)}) or {}
        cards = [
            c
            for c in body.get("plugins", [])
            if isinstance(c, dict) and c.get("normalized") == normalized
        ]
        listed = [r for r in releases.get("releases", []) if isinstance(r, dict)]
        version = cards[0]["version"] if cards else _newest_installable(listed)
        if version is None:
            return None
        path = f"/api/v1/plugins/{quote(normalized, safe='')}/{quote(str(version), safe='')}"
        release = self._get(path) or {}
        card = cards[0] if cards else {**release, "plugins": _manifest_plugins(release)}
        entry = card_entry(card, release_keywords(release))
        return {
            "name": entry["name"] or releases.get("name"),
            "normalized": normalized,
            "card": entry,
            "release": release,
            "versions": listed,
        }

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        from dativo_pkg._internal.registry_client import RegistryApi

        with RegistryApi(self.target) as api:
            return api.get(f"{path}?{urlencode(params)}" if params else path)


class _IndexCatalog:
    def __init__(self, location: str, index_key: Path | None) -> None:
        from dativo_index.static_index import StaticMirror, resolve_index
        from dativo_index.static_index.document import iso_z

        base, pinned = resolve_index(location, index_key)
        self.mirror = StaticMirror(base, pinned)
        verified = self.mirror.load()
        if verified.trusted_by == "first-use":
            log.warning(
                "trusting the index key %s of %s on first use; it is recorded, and an index "
                "signed by another key will be refused (pin it: --index-key FILE.pub)",
                verified.keyid,
                base,
            )
        self.verified = verified
        self.source = base
        signed = verified.signed
        self.index: dict[str, Any] | None = {
            "version": signed.version,
            "expires": iso_z(signed.expires),
            "generated": iso_z(signed.generated),
            "registry": signed.registry,
            "key_id": verified.keyid,
            "trusted_by": verified.trusted_by,
        }

    def search(
        self, query: str | None, kind: str | None, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        from dativo_index.static_index import search_entries

        found = search_entries(self.verified.signed.plugins, query, kind)
        return len(found), [e.model_dump(mode="json") for e in found[:limit]]

    def info(self, name: str) -> dict[str, Any] | None:
        normalized = canonicalize_name(name)
        entry = next((e for e in self.verified.signed.plugins if e.normalized == normalized), None)
        return None if entry is None else self.mirror.detail(entry)


def _newest_installable(releases: list[dict[str, Any]]) -> str | None:
    """The newest (listed first) release carrying plugins and not yanked."""
    for release in releases:
        if release.get("has_manifest") and not release.get("yanked"):
            return str(release.get("version"))
    return None


def _manifest_plugins(release: dict[str, Any]) -> list[dict[str, Any]]:
    manifest = release.get("manifest")
    plugins = manifest.get("plugins") if isinstance(manifest, dict) else None
    return [p for p in plugins if isinstance(p, dict)] if isinstance(plugins, list) else []


def plain(value: Any) -> Text:
    """``value`` as text for a terminal: no rich markup, no control characters (escapes)."""
    text = "" if value is None else str(value)
    return Text("".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")))


def render_results(outcome: SearchOutcome) -> Table:
    """The results as a table, with where they came from as its caption."""
    table = Table()
    table.add_column("name", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("signer", overflow="fold", max_width=28)
    table.add_column("downloads", justify="right", no_wrap=True)
    table.add_column("speed", justify="right", no_wrap=True)
    table.add_column("summary", overflow="fold", ratio=1)
    for card in outcome.plugins:
        ratio = card.get("throughput_ratio")
        signer = card.get("signer") or ""
        if signer and card.get("verified_publisher"):
            signer = f"{signer} (verified)"
        kinds = card.get("kinds", [])
        table.add_row(
            plain(card.get("name")),
            plain(card.get("version")),
            plain("both" if len(kinds) > 1 else "".join(kinds)),
            plain(card.get("certification") or "-"),
            plain(signer or "unsigned"),
            plain(f"{card.get('downloads', 0):,}"),
            plain(f"{ratio:.1f}x" if isinstance(ratio, int | float) else "-"),
            plain(card.get("summary") or ""),
        )
    shown = len(outcome.plugins)
    where = outcome.source
    if outcome.index is not None:
        where += f" (signed index version {outcome.index['version']})"
    more = f"{shown} of {outcome.total}" if outcome.total > shown else f"{outcome.total}"
    table.caption = f"{more} plugin{'s' if outcome.total != 1 else ''} from {where}"
    return table

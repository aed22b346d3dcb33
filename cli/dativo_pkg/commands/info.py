"""``dativo-pkg info NAME``: one plugin in a registry or a signed static index.

The same catalogs as :mod:`.search`. The result has one shape whatever the
catalog, the shape of a static index's ``plugins/{name}.json``: ``card``
(the search card), ``release`` (the newest installable release: manifest,
config schemas, files with digests, attachments) and ``versions`` (every
release, newest first, yanked ones with their reason). From a static index
the plugin file is checked against the digest the signed index gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from dativo_pkg.commands.search import CatalogOptions, open_catalog, plain
from dativo_pkg.errors import DativoError

__all__ = ["InfoSettings", "PluginInfo", "UnknownPlugin", "info", "render_info"]


class UnknownPlugin(DativoError):
    """No plugin of that name in the catalog."""

    exit_code = 2


@dataclass(frozen=True)
class InfoSettings:
    name: str
    catalog: CatalogOptions = field(default_factory=CatalogOptions)


@dataclass(frozen=True)
class PluginInfo:
    source: str
    detail: dict[str, Any]
    index: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.detail.items() if k not in ("_type", "spec_version")}
        return {"source": self.source, "index": self.index, **shown}


def info(settings: InfoSettings) -> PluginInfo:
    """The plugin ``settings.name`` names; UnknownPlugin if the catalog has none."""
    catalog = open_catalog(settings.catalog)
    detail = catalog.info(settings.name)
    if detail is None:
        where = f"--index-url {catalog.source}" if catalog.index is not None else catalog.source
        raise UnknownPlugin(
            f"no plugin named {settings.name!r} in {catalog.source}",
            hint=f"find its name with `dativo-pkg search WORDS` ({where})",
        )
    return PluginInfo(catalog.source, detail, catalog.index)


def render_info(result: PluginInfo) -> Group:
    """The plugin as a person reads it: card, install command, versions, config fields."""
    detail = result.detail
    card: dict[str, Any] = detail.get("card") or {}
    release: dict[str, Any] = detail.get("release") or {}
    title = Text.assemble(
        (plain(card.get("name") or detail.get("name")).plain, "bold"),
        " ",
        plain(card.get("version")).plain,
    )
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    ratio = card.get("throughput_ratio")
    signer = card.get("signer")
    verified = " (verified publisher)" if signer and card.get("verified_publisher") else ""
    rows = [
        ("summary", card.get("summary") or ""),
        ("install", f"dativo-pkg install {detail.get('normalized', '')}"),
        ("kinds", ", ".join(card.get("kinds", []))),
        ("connectors", ", ".join(card.get("connectors", []))),
        ("languages", ", ".join(card.get("languages", []))),
        ("certification", card.get("certification") or "none"),
        ("signer", f"{signer}{verified}" if signer else "unsigned"),
        ("downloads", f"{card.get('downloads', 0):,}"),
        ("throughput", f"{ratio:.2f}x the built-in default" if ratio else "no benchmark"),
        ("source", result.source),
    ]
    for label, value in rows:
        facts.add_row(label, plain(value))
    return Group(title, facts, _versions(detail), *_config_tables(release))


def _versions(detail: dict[str, Any]) -> Table:
    table = Table("version", "released", "status", title="versions", title_justify="left")
    for release in detail.get("versions") or []:
        status = "current"
        if release.get("yanked"):
            reason = release.get("yanked_reason")
            status = f"yanked: {reason}" if reason else "yanked"
        elif not release.get("has_manifest", True):
            status = "no plugins"
        released = str(release.get("created_at") or "")[:10]
        table.add_row(plain(release.get("version")), plain(released), plain(status))
    return table


def _config_tables(release: dict[str, Any]) -> list[Table]:
    """One table per plugin: its config fields (name, type, default, required, description)."""
    tables = []
    for schema in release.get("config_schemas") or []:
        config = schema.get("config_schema") or {}
        required = set(config.get("required") or [])
        title = f"config of {schema.get('kind', '')} {schema.get('connector', '')}"
        table = Table("field", "type", "default", "required", "description", title=title)
        table.title_justify = "left"
        for name, spec in (config.get("properties") or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            kind = spec.get("type") or " | ".join(
                str(option.get("type", "?"))
                for option in spec.get("anyOf", [])
                if isinstance(option, dict)
            )
            default = spec.get("default", "")
            table.add_row(
                plain(name),
                plain(kind),
                plain("" if default == "" else repr(default)),
                plain("yes" if name in required else ""),
                plain(spec.get("description", "")),
            )
        tables.append(table)
    return tables

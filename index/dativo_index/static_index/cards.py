"""A plugin card as the index lists it, from what the plugin API answers.

``GET /api/v1/plugins`` lists each plugin with its card fields (kinds,
connectors, languages, certification, signer, downloads, throughput ratio);
a registry that predates them lists only its ``plugins``, from which kinds,
connectors and languages are derived and the rest left empty. The export
and ``dativo-pkg search``/``info`` against a registry both use this, so a
card looks the same wherever it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["card_entry", "release_keywords"]


def card_entry(card: dict[str, Any], keywords: Iterable[str] = ()) -> dict[str, Any]:
    """The index entry fields of an API card (no ``detail``, ``sha256``, ``size`` yet)."""
    plugins = [p for p in card.get("plugins") or [] if isinstance(p, dict)]

    def listed(field: str, key: str) -> list[str]:
        given = card.get(field)
        values = given if isinstance(given, list) else [p.get(key) for p in plugins]
        return _unique(values)

    capabilities = [c for p in plugins for c in p.get("capabilities") or []]
    ratio = card.get("throughput_ratio")
    downloads = card.get("downloads")
    return {
        "name": str(card.get("name", "")),
        "normalized": str(card.get("normalized", "")),
        "version": str(card.get("version", "")),
        "summary": card.get("summary") if isinstance(card.get("summary"), str) else None,
        "kinds": listed("kinds", "kind"),
        "connectors": listed("connectors", "connector"),
        "languages": listed("languages", "language"),
        "descriptions": _unique(p.get("description") for p in plugins),
        "keywords": _unique([*capabilities, *keywords]),
        "certification": card.get("certification"),
        "signer": card.get("signer") if isinstance(card.get("signer"), str) else None,
        "verified_publisher": card.get("verified_publisher") is True,
        "downloads": downloads if isinstance(downloads, int) else 0,
        "throughput_ratio": float(ratio) if isinstance(ratio, int | float) else None,
        "updated": str(card["updated"]) if card.get("updated") else None,
    }


def release_keywords(release: dict[str, Any]) -> list[str]:
    """The ``Keywords`` of a release detail's core metadata (a list, or one string)."""
    metadata = release.get("metadata")
    keywords = metadata.get("Keywords") if isinstance(metadata, dict) else None
    if isinstance(keywords, str):
        return keywords.replace(",", " ").split()
    return [str(k) for k in keywords] if isinstance(keywords, list) else []


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v))

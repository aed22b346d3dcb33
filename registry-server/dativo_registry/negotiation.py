"""HTTP content negotiation (``Accept`` with q-values) and ``If-None-Match``.

Small and strict on purpose: the simple API serves three media types, and
pip, uv and browsers each say what they accept differently
(pip: ``application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;
q=0.1, text/html; q=0.01``; a browser: ``text/html,...,*/*;q=0.8``; curl: ``*/*``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["choose_media_type", "etag_matches", "parse_accept"]


def parse_accept(header: str) -> list[tuple[str, float]]:
    """``Accept`` as ``(media range, q)`` pairs; malformed entries are skipped.

    Parameters other than ``q`` are ignored, and media ranges are lowercased
    (media types are case-insensitive).
    """
    ranges: list[tuple[str, float]] = []
    for item in header.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        if media_range.count("/") != 1:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media_range.lower(), q))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The q the client gives ``offer``: that of the most specific matching range."""
    main = offer.split("/")[0]
    best_specificity, best_q = -1, 0.0
    for media_range, q in ranges:
        if media_range == offer:
            specificity = 2
        elif media_range == f"{main}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


def choose_media_type(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None if it accepts none of them.

    The highest q wins; ties go to the earlier offer (the server's
    preference). No or an empty ``Accept`` header accepts anything, so the
    first offer is chosen.
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))

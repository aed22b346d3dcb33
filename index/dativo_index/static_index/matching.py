"""Search over a verified ``index.json`` on the client, matching words as the registry does.

The registry's full-text search (``GET /api/v1/plugins?q=``, see
``dativo_registry.fulltext``) takes each whitespace-separated word of the
query as a phrase of its runs of letters and digits (``dativo-pg`` is the
phrase ``dativo pg``); every word must match, and the last one also as a
prefix (``post`` finds ``postgres`` while typing). Every other character
(quotes, ``*``, ``-``, ``<``, ``%``) only separates tokens, so no input is
syntax. Here the same words are matched against an entry's name, summary,
and its connectors, kinds, languages, plugin descriptions and keywords (a
static index carries no READMEs, which the registry also searches).
Results are ranked by where the words matched (name, then summary, then the
rest), then downloads, then name; without a query, by downloads then name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dativo_index.static_index.document import IndexEntry

__all__ = ["parse_words", "search_entries"]

#: Letters and digits; "_" and everything else separate tokens (as both databases index).
_TOKEN = re.compile(r"[^\W_]+")
#: The registry keeps the first 16 words of a query and tokens of up to 100 characters.
MAX_WORDS = 16
MAX_TOKEN_CHARS = 100
#: How much a word found in each field counts for ranking.
_WEIGHTS = {"name": 10, "summary": 5, "other": 2}


def parse_words(query: str | None) -> list[tuple[str, ...]]:
    """The words of ``query``, each a phrase of lowercase tokens; words without any dropped."""
    words = []
    for word in (query or "").split():
        tokens = tuple(t.lower()[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(word))
        if tokens:
            words.append(tokens)
    return words[:MAX_WORDS]


def search_entries(
    entries: Sequence[IndexEntry], query: str | None = None, kind: str | None = None
) -> list[IndexEntry]:
    """The entries of ``kind`` matching every word of ``query``, best first."""
    words = parse_words(query)
    scored: list[tuple[int, IndexEntry]] = []
    for entry in entries:
        if kind is not None and kind not in entry.kinds:
            continue
        score = _score(entry, words)
        if score is not None:
            scored.append((score, entry))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].downloads, pair[1].normalized))
    return [entry for _, entry in scored]


def _score(entry: IndexEntry, words: list[tuple[str, ...]]) -> int | None:
    """The entry's rank for ``words`` (higher is better); None if a word is not found."""
    fields = {
        "name": [_tokens(entry.name), _tokens(entry.normalized)],
        "summary": [_tokens(entry.summary or "")],
        "other": [
            _tokens(text)
            for text in [
                *entry.connectors,
                *entry.kinds,
                *entry.languages,
                *entry.descriptions,
                *entry.keywords,
            ]
        ],
    }
    total = 0
    for position, phrase in enumerate(words):
        prefix = position == len(words) - 1
        hits = [
            _WEIGHTS[name]
            for name, texts in fields.items()
            if any(_has(tokens, phrase, prefix) for tokens in texts)
        ]
        if not hits:
            return None
        total += sum(hits)
    return total


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def _has(tokens: list[str], phrase: tuple[str, ...], prefix: bool) -> bool:
    """Whether ``phrase`` occurs in ``tokens`` (its last token as a prefix if ``prefix``)."""
    n = len(phrase)
    for start in range(len(tokens) - n + 1):
        window = tokens[start : start + n]
        if window[:-1] != list(phrase[:-1]):
            continue
        last = window[-1]
        if last == phrase[-1] or (prefix and last.startswith(phrase[-1])):
            return True
    return False

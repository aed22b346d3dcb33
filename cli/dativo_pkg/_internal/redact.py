"""Keep secrets out of everything a person or a log file sees.

Values substituted from ``${ENV}`` references in a job are registered here;
:func:`redact` masks them in error messages and :class:`RedactingFilter` in
log records, whichever plugin produced the text.
"""

from __future__ import annotations

import logging

__all__ = ["RedactingFilter", "redact", "register_secrets"]

MASK = "***"
_secrets: set[str] = set()


def register_secrets(values: set[str] | frozenset[str]) -> None:
    # Very short values would mask innocent text everywhere and protect little.
    _secrets.update(v for v in values if len(v) >= 3)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks registered secrets in a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True

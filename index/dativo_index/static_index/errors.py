"""The static index's errors: a refused index is a trust failure (exit 7), a missing one is not."""

from __future__ import annotations

from dativo_pkg.errors import ConfigError, DativoError, SourceUnreachable, TrustError

__all__ = ["ExportError", "IndexKeyError", "IndexRefused", "IndexUnavailable"]


class IndexRefused(TrustError):
    """An index (or a plugin file it covers) that must not be used: bad or missing signature,
    another key, an older version than one already seen (rollback), past its expiry (freeze),
    changed bytes, or a document that is not a dativo index."""


class IndexUnavailable(SourceUnreachable):
    """The mirror did not answer, or answered something other than the file (HTTP error)."""


class IndexKeyError(ConfigError):
    """An index key that cannot be read, written or used (path, passphrase, key type)."""


class ExportError(DativoError):
    """An export that cannot be written; the message says why (OUT is left as it was)."""

    exit_code = 2

"""The one place where the extension's exceptions become dativo errors.

Every native exception carries ``(message, hint)``; the message never holds the
connection URL or anything from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dativo_pkg import ConfigError, DataError, PluginError, SourceUnreachable

from . import _native

__all__ = ["native_errors"]


def _parts(exc: BaseException) -> tuple[str, str | None]:
    args = exc.args
    message = str(args[0]) if args else type(exc).__name__
    hint = str(args[1]) if len(args) > 1 and args[1] else None
    return message, hint


@contextmanager
def native_errors() -> Iterator[None]:
    """Translate ``_native`` exceptions raised inside the block."""
    try:
        yield
    except _native.SourceUnreachable as exc:
        message, hint = _parts(exc)
        raise SourceUnreachable(message, hint=hint) from exc
    except _native.ConfigError as exc:
        message, hint = _parts(exc)
        raise ConfigError(message, hint=hint) from exc
    except _native.DataError as exc:
        message, hint = _parts(exc)
        raise DataError(message, hint=hint) from exc
    except _native.ReaderError as exc:
        message, hint = _parts(exc)
        raise PluginError(f"the postgres_rs reader failed: {message}", hint=hint) from exc

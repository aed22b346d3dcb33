"""Turn a plugin's own exceptions into PluginCrashed, naming who raised them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dativo_pkg.errors import DativoError, PluginCrashed

__all__ = ["blame"]

DEFAULT_HINT = "this is a bug in the plugin; run with -vv for its traceback"


@contextmanager
def blame(who: str, *, hint: str = DEFAULT_HINT) -> Iterator[None]:
    """Let DativoErrors through; anything else a plugin raises becomes PluginCrashed."""
    try:
        yield
    except DativoError:
        raise
    except Exception as exc:
        raise PluginCrashed(f"{who} failed: {type(exc).__name__}: {exc}", hint=hint) from exc

"""dativo-pkg: the plugin SDK, job runtime and toolchain of Dativo Plugin Hub.

Plugin authors need only what is exported here::

    from dativo_pkg import PluginConfig, Reader, Writer
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dativo_pkg.errors import (
    ConfigError,
    DataError,
    DativoError,
    PluginError,
    SourceUnreachable,
)

if TYPE_CHECKING:
    from dativo_pkg.sdk import (
        API_VERSION,
        BatchSource,
        CommitResult,
        Incremental,
        PluginConfig,
        Reader,
        WriteContext,
        Writer,
    )

__version__ = "0.1.0"

__all__ = [
    "API_VERSION",
    "BatchSource",
    "CommitResult",
    "ConfigError",
    "DataError",
    "DativoError",
    "Incremental",
    "PluginConfig",
    "PluginError",
    "Reader",
    "SourceUnreachable",
    "WriteContext",
    "Writer",
    "__version__",
]

#: The SDK needs pyarrow; it is imported on first use, so commands that never
#: touch data (sign, install, list) start without it.
_SDK_NAMES = frozenset(
    {
        "API_VERSION",
        "BatchSource",
        "CommitResult",
        "Incremental",
        "PluginConfig",
        "Reader",
        "WriteContext",
        "Writer",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SDK_NAMES:
        return getattr(importlib.import_module("dativo_pkg.sdk"), name)
    raise AttributeError(f"module 'dativo_pkg' has no attribute {name!r}")

"""dativo-pkg: the plugin SDK, job runtime and toolchain of Dativo Plugin Hub.

Plugin authors need only what is exported here::

    from dativo_pkg import PluginConfig, Reader, Writer
"""

from dativo_pkg.errors import (
    ConfigError,
    DataError,
    DativoError,
    PluginError,
    SourceUnreachable,
)
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

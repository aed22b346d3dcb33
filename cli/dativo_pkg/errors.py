"""One error hierarchy for the CLI, the SDK, the runtime and every plugin.

Each error carries the exit code a script can rely on and, where it helps, a
``hint`` telling the user what to do next. Only the CLI entry point turns these
into messages and exit codes; everything below it just raises.

Exit codes (stable, documented in the README):

====  ==========================================================
0     success
1     unexpected internal error (a bug: please report it)
2     bad input: job file, config, usage, unknown plugin
3     conformance failure (``dativo-pkg test``)
4     source or target unreachable
5     a plugin raised, crashed or broke the contract
6     data error: a row that does not parse or convert
7     refused on trust grounds: unsigned, wrong signer, changed bytes
====  ==========================================================
"""

from __future__ import annotations

__all__ = [
    "CompatibilityError",
    "ConfigError",
    "ConformanceFailed",
    "DataError",
    "DativoError",
    "JobFileError",
    "PluginCrashed",
    "PluginError",
    "PluginNotFound",
    "SourceUnreachable",
    "StateError",
    "TrustError",
]


class DativoError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class JobFileError(DativoError):
    """The job file is missing, not YAML, or not a valid job."""

    exit_code = 2


class ConfigError(DativoError):
    """A plugin config failed validation; the message names the field and rule."""

    exit_code = 2


class PluginNotFound(DativoError):
    """No installed plugin has that connector name."""

    exit_code = 2


class CompatibilityError(DativoError):
    """A plugin's API range excludes this runtime, or its manifest is invalid."""

    exit_code = 2


class StateError(DativoError):
    """The incremental state file cannot be read or does not fit the job."""

    exit_code = 2


class ConformanceFailed(DativoError):
    """A plugin did not reach the conformance level asked for; the message names each
    failing check and why."""

    exit_code = 3


class SourceUnreachable(DativoError):
    """A source or target could not be reached (network, missing file, auth)."""

    exit_code = 4


class PluginError(DativoError):
    """A plugin failed while running. Plugins raise this (or a subclass)."""

    exit_code = 5


class PluginCrashed(PluginError):
    """A plugin raised something that is not a DativoError, or its process died."""


class DataError(DativoError):
    """Input data that does not parse or convert (the message names the row)."""

    exit_code = 6


class TrustError(DativoError):
    """Refused on trust grounds: a signature is missing, invalid or by someone else,
    or the bytes are not the ones that were signed."""

    exit_code = 7

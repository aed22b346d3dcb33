"""The two ways a build fails: a tool is missing, or the build itself failed."""

from __future__ import annotations

from dativo_pkg.errors import DativoError

__all__ = ["BuildFailed", "ToolchainMissing"]


class ToolchainMissing(DativoError):
    """A tool the build needs (cargo, maturin, go, ...) is not on PATH."""

    exit_code = 2


class BuildFailed(DativoError):
    """A build command exited non-zero, or the project cannot be built as it is."""

    exit_code = 2

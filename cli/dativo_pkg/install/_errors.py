"""What ``dativo-pkg install``, ``list`` and ``uninstall`` refuse, and why.

Trust refusals subclass :class:`dativo_pkg.errors.TrustError` (exit code 7);
the rest are bad input (exit 2) or an unreachable index (exit 4).
"""

from __future__ import annotations

from dativo_pkg.errors import DativoError
from dativo_pkg.trust import TrustError

__all__ = [
    "BadRequirement",
    "DigestMismatch",
    "InstallFailed",
    "LockMismatch",
    "LockfileError",
    "NoMatchingDistribution",
    "NotOnIndex",
    "PolicyError",
    "SignerChanged",
    "UnsafeFilename",
    "UnsignedPlugin",
    "UsageError",
]


class BadRequirement(DativoError):
    """A requirement given on the command line is not ``NAME[SPEC]``, or not in the lock."""

    exit_code = 2


class UsageError(DativoError):
    """The command line is incomplete (no index URL, nothing to install)."""

    exit_code = 2


class NotOnIndex(DativoError):
    """The index has no project of that name."""

    exit_code = 2


class NoMatchingDistribution(DativoError):
    """No distribution on the index fits the request, this runtime and this platform."""

    exit_code = 2


class PolicyError(DativoError):
    """The trust policy file is missing or invalid."""

    exit_code = 2


class LockfileError(DativoError):
    """``dativo.lock`` cannot be read or is not a lockfile."""

    exit_code = 2


class InstallFailed(DativoError):
    """Writing into the environment failed; what was installed has been rolled back."""

    exit_code = 2


class DigestMismatch(TrustError):
    """The bytes downloaded are not the bytes the index (or the lock) names."""


class UnsafeFilename(TrustError):
    """The index names a file that could escape the download directory."""


class UnsignedPlugin(TrustError):
    """A distribution that must be verified has no provenance."""


class SignerChanged(TrustError):
    """Validly signed, but by another identity than the one recorded in the lockfile."""


class LockMismatch(TrustError):
    """``--locked``: what the index serves differs from what ``dativo.lock`` records."""

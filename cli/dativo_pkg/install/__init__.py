"""Verified install: resolve, download, check digests, verify provenance, then install.

The order is the contract: nothing is installed until every distribution has
been downloaded, its sha256 checked against the index (and the lockfile),
and every plugin's provenance verified offline. Installing then uses the
verified local files, never a second download.

Modules, one concept each: ``_index`` (the PEP 691 client), ``_select``
(which files qualify), ``_resolve`` (dependencies, with resolvelib),
``_download`` (streamed, digest-checked), ``_wheel`` (what a wheel says),
``_verify`` (provenance and who may sign), ``policy`` (the policy file),
``lockfile`` (``dativo.lock``), ``_locked`` (``--locked``), ``_installer``
(the environment: install and uninstall). ``dativo_pkg.commands.install``
puts them together.
"""

from __future__ import annotations

from dativo_pkg.install._download import Downloader
from dativo_pkg.install._errors import (
    BadRequirement,
    DigestMismatch,
    InstallFailed,
    LockfileError,
    LockMismatch,
    NoMatchingDistribution,
    NotOnIndex,
    PolicyError,
    SignerChanged,
    UnsafeFilename,
    UnsignedPlugin,
    UsageError,
)
from dativo_pkg.install._index import Fetcher, IndexClient, IndexFile
from dativo_pkg.install._installer import INSTALLER_NAME, Environment
from dativo_pkg.install._locked import locked_picks
from dativo_pkg.install._resolve import Pick, Req, parse_requirement, resolve
from dativo_pkg.install._verify import TrustContext, verify_distribution
from dativo_pkg.install._wheel import PLUGIN_GROUPS, LocalWheel
from dativo_pkg.install.lockfile import LockedPackage, Lockfile
from dativo_pkg.install.policy import TrustPolicy, load_policy

__all__ = [
    "INSTALLER_NAME",
    "PLUGIN_GROUPS",
    "BadRequirement",
    "DigestMismatch",
    "Downloader",
    "Environment",
    "Fetcher",
    "IndexClient",
    "IndexFile",
    "InstallFailed",
    "LocalWheel",
    "LockMismatch",
    "LockedPackage",
    "Lockfile",
    "LockfileError",
    "NoMatchingDistribution",
    "NotOnIndex",
    "Pick",
    "PolicyError",
    "Req",
    "SignerChanged",
    "TrustContext",
    "TrustPolicy",
    "UnsafeFilename",
    "UnsignedPlugin",
    "UsageError",
    "load_policy",
    "locked_picks",
    "parse_requirement",
    "resolve",
    "verify_distribution",
]

"""``dativo-pkg install``: verified install of plugins, recorded in ``dativo.lock``.

Resolve (or read the lock, with ``--locked``), download everything and check
every sha256, verify every plugin's provenance, and only then install from the
verified local files. Any refusal leaves the environment and the lockfile as
they were; the temporary downloads are removed either way.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import Version

from dativo_pkg.install import (
    Downloader,
    Environment,
    Fetcher,
    IndexClient,
    LockedPackage,
    Lockfile,
    Pick,
    Req,
    TrustContext,
    UnsignedPlugin,
    UsageError,
    load_policy,
    locked_picks,
    parse_requirement,
    resolve,
    verify_distribution,
)
from dativo_pkg.trust import SignerIdentity, TrustRoots

__all__ = ["INDEX_URL_ENV", "InstallResult", "InstallSettings", "Installed", "install"]

INDEX_URL_ENV = "DATIVO_INDEX_URL"


@dataclass(frozen=True)
class InstallSettings:
    requirements: tuple[str, ...] = ()
    index_url: str | None = None
    lockfile: Path = Path("dativo.lock")
    policy: Path | None = None
    locked: bool = False
    allow_unsigned: bool = False
    accept_new_signer: tuple[str, ...] = ()
    sigstore_instances: tuple[str, ...] = ()
    trust_configs: tuple[Path, ...] = ()
    prefix: Path | None = None
    progress: bool = False


Action = Literal["installed", "replaced", "unchanged"]


@dataclass(frozen=True)
class Installed:
    """One distribution of the install and what happened to it."""

    package: LockedPackage
    action: Action
    previous_version: str | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.package
        return {
            "name": p.name,
            "version": p.version,
            "action": self.action,
            "previous_version": self.previous_version,
            "plugin": p.plugin,
            "signer": {"identity": p.signer.identity, "issuer": p.signer.issuer}
            if p.signer
            else None,
            "filename": p.filename,
            "sha256": p.sha256,
            "index": p.index,
        }


@dataclass(frozen=True)
class InstallResult:
    lockfile: Path
    packages: list[Installed] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "lockfile": str(self.lockfile),
            "packages": [p.to_json() for p in self.packages],
        }


def install(settings: InstallSettings) -> InstallResult:
    """Install ``settings.requirements`` (or the lockfile) verified; see the module doc."""
    if not settings.requirements and not settings.locked:
        raise UsageError(
            "name at least one distribution to install",
            hint="dativo-pkg install NAME[SPEC]..., or --locked to install what the lockfile "
            "records",
        )
    requested = [r for text in settings.requirements if (r := parse_requirement(text))]
    lock = Lockfile.load(settings.lockfile)
    instances = settings.sigstore_instances or ("production",)
    context = TrustContext(
        roots=TrustRoots.load(instances, settings.trust_configs),
        policy=load_policy(settings.policy),
        lock=lock,
        allow_unsigned=settings.allow_unsigned,
        accept_new_signer=frozenset(canonicalize_name(n) for n in settings.accept_new_signer),
        locked=settings.locked,
    )
    environment = Environment(settings.prefix)
    with (
        tempfile.TemporaryDirectory(prefix="dativo-pkg-install-") as workdir,
        Fetcher() as fetcher,
    ):
        # 1. resolve and download; every digest is checked as it arrives
        with Downloader(fetcher, Path(workdir), progress=settings.progress) as downloader:
            picks = _collect(settings, requested, lock, environment, fetcher, downloader)
        # 2. verify every distribution that must be, before installing anything
        packages = [_record(pick, _signer(context, fetcher, pick)) for pick in picks]
        # 3. install from the verified local files
        results = [_action(package, lock, environment) for package in packages]
        changed = [p.wheel for p, r in zip(picks, results, strict=True) if r.action != "unchanged"]
        environment.install(changed)
    if not settings.locked:
        for package in packages:
            lock.put(package)
        lock.save()
    return InstallResult(settings.lockfile, results)


def _collect(
    settings: InstallSettings,
    requested: list[Req],
    lock: Lockfile,
    environment: Environment,
    fetcher: Fetcher,
    downloader: Downloader,
) -> list[Pick]:
    """The distributions to install, downloaded and digest-checked."""
    explicit = settings.index_url or os.environ.get(INDEX_URL_ENV) or None
    indexes: dict[str, IndexClient] = {}

    def index_at(url: str) -> IndexClient:
        return indexes.setdefault(url, IndexClient(url, fetcher))

    if settings.locked:
        # the lock's own index for each entry, unless told otherwise (a mirror)
        def index_for(entry: LockedPackage) -> IndexClient:
            return index_at(explicit or entry.index)

        return locked_picks(lock, requested, index_for, downloader, environment)
    if not explicit:
        raise UsageError(
            "no index to install from",
            hint=f"pass --index-url URL (the index's /simple/ URL) or set {INDEX_URL_ENV}",
        )
    locked_versions = {p.name: Version(p.version) for p in lock}
    return resolve(requested, index_at(explicit), downloader, environment, locked_versions)


def _signer(context: TrustContext, fetcher: Fetcher, pick: Pick) -> SignerIdentity | None:
    """Who signed ``pick``, when it must be verified: plugins, requested names, signed before."""
    locked = context.lock.get(pick.wheel.name)
    if context.locked and locked is not None and locked.signer is None:
        if locked.plugin and not context.allow_unsigned:
            raise UnsignedPlugin(
                f"{locked.name} {locked.version} is locked unsigned in {context.lock.path}",
                hint="pass --allow-unsigned to install it anyway, as when it was locked",
            )
        return None
    signed_before = locked is not None and locked.signer is not None
    if pick.wheel.is_plugin or pick.requested or signed_before:
        return verify_distribution(context, fetcher, pick.file, pick.wheel)
    return None


def _record(pick: Pick, signer: SignerIdentity | None) -> LockedPackage:
    return LockedPackage(
        name=pick.wheel.name,
        version=str(pick.wheel.version),
        filename=pick.wheel.filename,
        sha256=pick.wheel.sha256,
        index=pick.index_url,
        plugin=pick.wheel.is_plugin,
        signer=signer,
    )


def _action(package: LockedPackage, lock: Lockfile, environment: Environment) -> Installed:
    """Unchanged when this very file is locked and its version installed; else (re)install."""
    dist = environment.installed(package.name)
    if dist is None:
        return Installed(package, "installed")
    locked = lock.get(package.name)
    same_file = locked is not None and (locked.filename, locked.sha256) == (
        package.filename,
        package.sha256,
    )
    if same_file and dist.version == package.version:
        return Installed(package, "unchanged")
    return Installed(package, "replaced", dist.version)

"""``install --locked``: the lockfile's distributions, exactly, or a refusal naming the difference.

Every entry must still be served under the same filename, not yanked, with
the same sha256 (as the index names it and as downloaded). Requirements given
on the command line must be satisfied by the locked versions, and every
dependency of a locked distribution must be locked too, or already present
in the environment. Signers are checked by the caller (``_verify``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from packaging.version import Version

from dativo_pkg.install._download import Downloader
from dativo_pkg.install._errors import LockMismatch, NotOnIndex
from dativo_pkg.install._index import IndexClient, IndexFile
from dativo_pkg.install._installer import Environment
from dativo_pkg.install._resolve import Pick, Req
from dativo_pkg.install._wheel import read_wheel
from dativo_pkg.install.lockfile import LockedPackage, Lockfile

__all__ = ["locked_picks"]

_RELOCK = "install without --locked to resolve again (and review what changed)"


def locked_picks(
    lock: Lockfile,
    requested: Sequence[Req],
    index_for: Callable[[LockedPackage], IndexClient],
    downloader: Downloader,
    environment: Environment,
) -> list[Pick]:
    """Download and digest-check every locked distribution; refuse any difference."""
    if not len(lock):
        raise LockMismatch(
            f"{lock.path} records nothing to install",
            hint="install without --locked first: that writes the lockfile",
        )
    wanted = {req.name for req in requested}
    for req in requested:
        _check_requested(lock, req)
    picks = []
    for entry in lock:
        index = index_for(entry)
        file = _locked_file(entry, index)
        path, sha256 = downloader.fetch(file, expected_sha256=entry.sha256)
        wheel = read_wheel(path, sha256)
        picks.append(Pick(file, wheel, entry.name in wanted, index.index_url))
    _check_dependencies(lock, picks, environment)
    return picks


def _check_requested(lock: Lockfile, req: Req) -> None:
    entry = lock.get(req.name)
    if entry is None:
        raise LockMismatch(
            f"{req.text} is not in {lock.path}",
            hint=f"{_RELOCK}; --locked installs only what the lockfile records",
        )
    if not req.specifier.contains(Version(entry.version), prereleases=True):
        raise LockMismatch(
            f"{req.text} excludes {entry.name} {entry.version}, the version {lock.path} records",
            hint=_RELOCK,
        )


def _locked_file(entry: LockedPackage, index: IndexClient) -> IndexFile:
    what = f"{entry.filename} ({entry.name} {entry.version}, locked)"
    try:
        files = index.files(entry.name)
    except NotOnIndex as exc:
        raise LockMismatch(f"{what}: {exc.message}", hint=_RELOCK) from exc
    file = next((f for f in files if f.filename == entry.filename), None)
    if file is None:
        raise LockMismatch(f"{what} is no longer served by {index.index_url}", hint=_RELOCK)
    if file.yanked:
        raise LockMismatch(
            f"{what} was yanked from {index.index_url}: {file.yanked_reason or 'no reason given'}",
            hint=_RELOCK,
        )
    if file.sha256 is not None and file.sha256.lower() != entry.sha256:
        raise LockMismatch(
            f"{what}: the index now names sha256 {file.sha256.lower()}, the lockfile "
            f"records {entry.sha256}",
            hint=f"the file was replaced on the index; {_RELOCK}",
        )
    return file


def _check_dependencies(lock: Lockfile, picks: list[Pick], environment: Environment) -> None:
    for pick in picks:
        for requirement in pick.wheel.requires_dist:
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            entry = lock.get(requirement.name)
            version = Version(entry.version) if entry else None
            version = version or environment.available_version(requirement.name)
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                raise LockMismatch(
                    f"{pick.wheel.name} {pick.wheel.version} requires {requirement}, which "
                    f"{lock.path} does not record and this environment does not have",
                    hint=_RELOCK,
                )

"""Registry settings: where data lives, the limits uploads must respect, whom to trust.

:func:`trust_roots` loads the Sigstore trust roots the settings name once per
process (the app builds them at startup), so no request pays for it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dativo_registry.errors import RegistryError

if TYPE_CHECKING:
    from dativo_pkg.trust import TrustRoots

__all__ = ["MIB", "Settings", "trust_roots"]

MIB = 1 << 20


@dataclass(frozen=True)
class Settings:
    """Everything a registry process needs to know; the CLI builds it from flags."""

    data_dir: Path
    #: SQLAlchemy URL; default: SQLite at ``<data_dir>/registry.sqlite3``.
    database_url: str | None = None
    #: Largest accepted upload, in bytes.
    max_file_bytes: int = 200 * MIB
    #: Largest total size of an archive's members once expanded (zip bombs).
    max_expanded_bytes: int = 2048 * MIB
    #: Refuse uploads that carry no signature verified against a publisher of their project.
    require_signatures: bool = False
    #: Sigstore instances whose signatures are accepted: "production" and/or "staging".
    sigstore_instances: tuple[str, ...] = ("production",)
    #: Sigstore ClientTrustConfig JSON files of further (private) instances.
    trust_configs: tuple[Path, ...] = ()

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return _sqlalchemy_dialect(self.database_url)
        return f"sqlite:///{self.data_dir / 'registry.sqlite3'}"


def trust_roots(settings: Settings) -> TrustRoots:
    """The trust roots of ``settings``, loaded once per process; RegistryError if one is bad."""
    return _load_roots(settings.sigstore_instances, settings.trust_configs)


@functools.cache
def _load_roots(instances: Sequence[str], trust_configs: Sequence[Path]) -> TrustRoots:
    from dativo_pkg.trust import TrustError, TrustRoots  # only the server needs sigstore

    try:
        roots = TrustRoots.load(instances, trust_configs)
        roots.preload()  # parse the roots now: a bad file stops the server, no request pays
        return roots
    except TrustError as exc:
        raise RegistryError(
            f"cannot load the Sigstore trust roots: {exc}\n"
            "  check --sigstore-instance (production or staging) and --trust-config"
        ) from exc


def _sqlalchemy_dialect(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url

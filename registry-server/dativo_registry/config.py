"""Registry settings: where data lives and the limits uploads must respect."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]

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
    #: Refuse uploads that carry no signature (checked by the trust layer).
    require_signatures: bool = False

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return _sqlalchemy_dialect(self.database_url)
        return f"sqlite:///{self.data_dir / 'registry.sqlite3'}"


def _sqlalchemy_dialect(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url

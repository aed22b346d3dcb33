"""``dativo.lock``: what was installed, byte for byte, and who signed it.

.. code-block:: toml

    version = 1

    [[package]]
    name = "dativo-hello"
    version = "1.0"
    filename = "dativo_hello-1.0-py3-none-any.whl"
    sha256 = "9f2c..."
    index = "http://127.0.0.1:8000/simple/"
    plugin = true
    signer-identity = "sha256:3059..."    # absent for unsigned distributions
    signer-issuer = "publisher-key"

The signer is what trust on first use compares a later version with, and
what ``install --locked`` requires again. Written atomically: a temporary
file beside it, synced, renamed over it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from packaging.utils import NormalizedName, canonicalize_name

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.install._errors import LockfileError
from dativo_pkg.trust import SignerIdentity

__all__ = ["LOCK_VERSION", "LockedPackage", "Lockfile"]

LOCK_VERSION = 1


@dataclass(frozen=True)
class LockedPackage:
    """One installed distribution as the lockfile records it."""

    name: NormalizedName
    version: str
    filename: str
    sha256: str
    index: str
    plugin: bool
    signer: SignerIdentity | None = None

    def to_toml(self) -> dict[str, Any]:
        table: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "filename": self.filename,
            "sha256": self.sha256,
            "index": self.index,
            "plugin": self.plugin,
        }
        if self.signer is not None:
            table["signer-identity"] = self.signer.identity
            table["signer-issuer"] = self.signer.issuer
        return table

    @classmethod
    def from_toml(cls, table: dict[str, Any]) -> LockedPackage:
        identity, issuer = table.get("signer-identity"), table.get("signer-issuer")
        if (identity is None) != (issuer is None):
            raise KeyError("signer-identity and signer-issuer go together")
        fields = ("name", "version", "filename", "sha256", "index")
        if not all(isinstance(table[key], str) for key in fields):
            raise TypeError(f"{', '.join(fields)} must be strings")
        return cls(
            name=canonicalize_name(table["name"]),
            version=table["version"],
            filename=table["filename"],
            sha256=table["sha256"].lower(),
            index=table["index"],
            plugin=bool(table.get("plugin", False)),
            signer=SignerIdentity(str(issuer), str(identity)) if identity is not None else None,
        )


@dataclass
class Lockfile:
    """The entries of a lockfile by normalized name."""

    path: Path
    packages: dict[NormalizedName, LockedPackage] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Lockfile:
        """Read ``path``; a missing file is an empty lockfile."""
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LockfileError(f"cannot read the lockfile {path}: {exc}") from exc
        if document.get("version") != LOCK_VERSION:
            raise LockfileError(
                f"{path} is not a version {LOCK_VERSION} dativo lockfile "
                f"(version = {document.get('version')!r})",
                hint="upgrade dativo-pkg, or pass another file with --lockfile",
            )
        lock = cls(path)
        for number, table in enumerate(document.get("package", []), start=1):
            try:
                lock.put(LockedPackage.from_toml(table))
            except (KeyError, TypeError, AttributeError) as exc:
                raise LockfileError(f"{path}: package entry {number} is invalid: {exc}") from exc
        return lock

    def get(self, name: str) -> LockedPackage | None:
        return self.packages.get(canonicalize_name(name))

    def put(self, package: LockedPackage) -> None:
        self.packages[package.name] = package

    def remove(self, name: str) -> LockedPackage | None:
        return self.packages.pop(canonicalize_name(name), None)

    def __iter__(self) -> Iterator[LockedPackage]:
        return iter(sorted(self.packages.values(), key=lambda p: p.name))

    def __len__(self) -> int:
        return len(self.packages)

    def save(self) -> None:
        """Write the lockfile atomically (entries sorted by name)."""
        document = {"version": LOCK_VERSION, "package": [p.to_toml() for p in self]}
        try:
            write_atomically(self.path.absolute(), tomli_w.dumps(document).encode())
        except OSError as exc:
            raise LockfileError(f"cannot write the lockfile {self.path}: {exc}") from exc

"""``dativo-pkg key generate``: a publisher key pair for offline signing."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dativo_pkg._internal.files import write_atomically
from dativo_pkg.errors import ConfigError
from dativo_pkg.trust import generate_private_key, key_id, private_key_pem, public_key_pem

__all__ = ["GeneratedKey", "KeySettings", "generate", "read_passphrase"]

PASSPHRASE_ENV = "DATIVO_KEY_PASSPHRASE"
PUBLIC_SUFFIX = ".pub"


@dataclass(frozen=True)
class KeySettings:
    output: Path
    passphrase_file: Path | None = None


@dataclass(frozen=True)
class GeneratedKey:
    private_key: Path
    public_key: Path
    key_id: str


def read_passphrase(
    passphrase_file: Path | None,
    prompt: Callable[[], str] | None = None,
    *,
    env: str = PASSPHRASE_ENV,
    key: str = "the publisher key",
) -> bytes:
    """The passphrase of ``key``: from the file (first line), else ``$env``, else the prompt.

    The registry's index keys use it too, with their own variable.
    """
    if passphrase_file is not None:
        try:
            lines = passphrase_file.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read {passphrase_file}: {exc.strerror}") from exc
        text = lines[0] if lines else ""
    elif os.environ.get(env):
        text = os.environ[env]
    elif prompt is not None:
        text = prompt()
    else:
        raise ConfigError(
            f"a passphrase is needed for {key}",
            hint=f"give it with --passphrase-file FILE or the {env} variable",
        )
    if not text:
        raise ConfigError(f"the passphrase is empty; {key} must be protected")
    return text.encode()


def generate(settings: KeySettings, prompt: Callable[[], str] | None = None) -> GeneratedKey:
    """Write an encrypted private key and its public key; refuse to overwrite either."""
    public = settings.output.with_name(settings.output.name + PUBLIC_SUFFIX)
    for path in (settings.output, public):
        if path.exists():
            raise ConfigError(
                f"{path} already exists; a key is never overwritten",
                hint="choose another --output, or move the old key away first",
            )
    passphrase = read_passphrase(settings.passphrase_file, prompt)
    key = generate_private_key()
    _write(public, public_key_pem(key).encode(), mode=0o644)
    _write(settings.output, private_key_pem(key, passphrase), mode=0o600)
    return GeneratedKey(settings.output, public, key_id(key.public_key()))


def _write(path: Path, data: bytes, mode: int) -> None:
    try:
        write_atomically(path, data, mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc

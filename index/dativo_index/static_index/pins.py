"""Which index key to trust: ``--index-key``, else the ``[indexes]`` tables of the config file.

In ``~/.config/dativo/config.toml`` (the file ``dativo-pkg publish`` reads)::

    [indexes.mirror]
    url = "https://mirror.example/dativo"   # the export-index directory as served
    key = "keys/dativo-index.pub"           # its public key; relative to the config file

``--index-url`` takes such a name or a URL; a URL matching a table's ``url``
uses that table's key. Without any pinned key the client trusts the key on
first use and records it (see :mod:`.verify`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from dativo_index.static_index.keys import load_public_key
from dativo_index.static_index.mirror import index_base
from dativo_index.static_index.verify import PinnedKey
from dativo_pkg._internal.config_file import config_path
from dativo_pkg.errors import ConfigError

__all__ = ["ConfiguredIndex", "configured_indexes", "resolve_index"]


@dataclass(frozen=True)
class ConfiguredIndex:
    name: str
    base: str
    key_file: Path | None


def configured_indexes(path: Path | None = None) -> dict[str, ConfiguredIndex]:
    """The ``[indexes.NAME]`` tables of the config file (none if it does not exist)."""
    path = path if path is not None else config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    tables = data.get("indexes", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"config file {path}: indexes must be a table of [indexes.NAME]")
    found = {}
    for name, table in tables.items():
        where = f"config file {path}: [indexes.{name}]"
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise ConfigError(f'{where} needs url = "https://..."')
        unknown = set(table) - {"url", "key"}
        if unknown:
            raise ConfigError(f"{where}: unknown key {', '.join(sorted(unknown))}")
        key = table.get("key")
        if key is not None and not isinstance(key, str):
            raise ConfigError(f"{where}: key must be the path of a public key file")
        key_file = (path.parent / Path(key).expanduser()) if key else None
        found[name] = ConfiguredIndex(name, index_base(table["url"]), key_file)
    return found


def resolve_index(
    selector: str, index_key: Path | None, config: Path | None = None
) -> tuple[str, PinnedKey | None]:
    """The index base URL ``selector`` names (a configured name or a URL) and its pinned key."""
    indexes = configured_indexes(config)
    entry = indexes.get(selector)
    base = entry.base if entry else index_base(selector)
    if entry is None:
        entry = next((e for e in indexes.values() if e.base == base), None)
    if index_key is not None:
        return base, _pinned(index_key, f"--index-key {index_key}")
    if entry is not None and entry.key_file is not None:
        return base, _pinned(entry.key_file, f"[indexes.{entry.name}] in the config file")
    return base, None


def _pinned(path: Path, source: str) -> PinnedKey:
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the index key {path} ({source}): {exc.strerror}") from exc
    return PinnedKey(load_public_key(pem, f"{path} ({source})"), source)

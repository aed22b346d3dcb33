"""The user's config file: named registries and their API tokens.

``~/.config/dativo/config.toml`` (``$XDG_CONFIG_HOME/dativo/config.toml`` when
that is set; ``$DATIVO_CONFIG`` names another file)::

    default-registry = "local"

    [registries.local]
    url = "http://127.0.0.1:8080"         # the registry root
    token-env = "DATIVO_REGISTRY_TOKEN"   # the variable holding its API token
    # token = "..."                       # or the token itself (keep the file private)

A missing file is an empty config, unless ``$DATIVO_CONFIG`` names it. A
registry is chosen by name or by URL (``--registry``); the token comes from
``--token``, else ``$DATIVO_REGISTRY_TOKEN``, else the registry's entry.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dativo_pkg.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "TOKEN_ENV",
    "RegistryTarget",
    "UserConfig",
    "config_path",
    "load_config",
    "resolve_registry",
]

log = logging.getLogger(__name__)

#: Names the config file, overriding the default location.
CONFIG_ENV = "DATIVO_CONFIG"
#: The API token, overriding the config file's.
TOKEN_ENV = "DATIVO_REGISTRY_TOKEN"


class RegistryEntry(BaseModel):
    """One ``[registries.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    url: str = Field(description="The registry root, e.g. http://127.0.0.1:8080")
    token_env: str | None = Field(default=None, alias="token-env")
    token: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return registry_root(value)

    @model_validator(mode="after")
    def _one_token_source(self) -> RegistryEntry:
        if self.token is not None and self.token_env is not None:
            raise ValueError("give token or token-env, not both")
        return self


class UserConfig(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    default_registry: str | None = Field(default=None, alias="default-registry")
    registries: dict[str, RegistryEntry] = {}
    #: ``[indexes.NAME]`` static index mirrors: validated by dativo_index.static_index.
    indexes: dict[str, Any] = {}

    @model_validator(mode="after")
    def _default_exists(self) -> UserConfig:
        if self.default_registry is not None and self.default_registry not in self.registries:
            raise ValueError(
                f"default-registry {self.default_registry!r} is not a [registries.NAME] table "
                f"here (configured: {_names(self.registries)})"
            )
        return self


@dataclass(frozen=True)
class RegistryTarget:
    """The registry a command talks to."""

    #: Its name in the config file; None when given as a URL.
    name: str | None
    #: The registry root, without a trailing slash.
    url: str
    token: str | None

    def describe(self) -> str:
        return f"{self.name} ({self.url})" if self.name else self.url


def config_path() -> Path:
    """Where the config file is: ``$DATIVO_CONFIG``, else under the XDG config home."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dativo" / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """Read and validate the config file (``config_path()`` by default).

    ConfigError names the file and the key (or the TOML line) that is wrong.
    """
    explicit = path is not None or bool(os.environ.get(CONFIG_ENV))
    path = path if path is not None else config_path()
    try:
        text = path.read_bytes().decode()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                f"config file {path} does not exist",
                hint=f"create it, or unset {CONFIG_ENV} to use {_default_hint()}",
            ) from None
        return UserConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint="fix the line named; docs/publish.md shows an example",
        ) from exc
    try:
        config = UserConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"config file {path} is invalid: {_problems(exc)}",
            hint="docs/publish.md lists the keys: default-registry, and per "
            "[registries.NAME]: url, token-env or token",
        ) from exc
    if any(entry.token is not None for entry in config.registries.values()):
        _warn_if_readable(path)
    return config


def resolve_registry(
    config: UserConfig, selector: str | None = None, token: str | None = None
) -> RegistryTarget:
    """The registry ``selector`` names (a configured name, or a URL), with its token.

    Without a selector: the config's ``default-registry``, else its only
    registry. The token is ``token``, else ``$DATIVO_REGISTRY_TOKEN``, else the
    entry's ``token-env`` variable or ``token``; None if there is none.
    """
    token = token or os.environ.get(TOKEN_ENV) or None
    if selector is not None and selector.startswith(("http://", "https://")):
        try:
            return RegistryTarget(None, registry_root(selector), token)
        except ValueError as exc:
            raise ConfigError(f"--registry {exc}") from exc
    name = selector or config.default_registry
    if name is None:
        if len(config.registries) != 1:
            raise ConfigError(
                "no registry given, and the config file names no default-registry"
                + (f" (configured: {_names(config.registries)})" if config.registries else ""),
                hint=f'pass --registry NAME|URL, or set default-registry = "NAME" in '
                f"{config_path()}",
            )
        name = next(iter(config.registries))
    entry = config.registries.get(name)
    if entry is None:
        raise ConfigError(
            f"no registry named {name!r} in {config_path()} "
            f"(configured: {_names(config.registries)})",
            hint="pass one of those, or a URL (http://HOST:PORT), with --registry",
        )
    return RegistryTarget(name, entry.url, token or _entry_token(name, entry))


def registry_root(url: str) -> str:
    """``url`` as a registry root: http(s), no trailing slash, no ``/simple`` or ``/legacy``."""
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        raise ValueError(
            f"{url!r} is not an http(s) URL; give the registry root, e.g. http://127.0.0.1:8080"
        )
    root = url.rstrip("/")
    for suffix in ("/simple", "/legacy"):
        root = root.removesuffix(suffix)
    return root


def _entry_token(name: str, entry: RegistryEntry) -> str | None:
    if entry.token_env is None:
        return entry.token
    value = os.environ.get(entry.token_env)
    if not value:
        raise ConfigError(
            f"registry {name!r} takes its API token from ${entry.token_env}, which is not set",
            hint=f"export {entry.token_env}=TOKEN (`dativo-registry token create` makes one), "
            "or pass --token",
        )
    return value


def _warn_if_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s holds an API token and others may read it (mode %s): chmod 600 %s, or use "
            "token-env",
            path,
            stat.filemode(mode),
            path,
        )


def _problems(exc: ValidationError) -> str:
    """Each problem as ``key.path: message``, joined."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)


def _names(registries: dict[str, RegistryEntry]) -> str:
    return ", ".join(sorted(registries)) or "none"


def _default_hint() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return f"{base}/dativo/config.toml"

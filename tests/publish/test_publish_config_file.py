"""The user's config file: where it is, what it may hold, how a registry is chosen."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dativo_pkg._internal.config_file import (
    RegistryTarget,
    UserConfig,
    config_path,
    load_config,
    resolve_registry,
)
from dativo_pkg.errors import ConfigError

GOOD = """\
default-registry = "local"

[registries.local]
url = "http://127.0.0.1:8080/"
token-env = "LOCAL_TOKEN"

[registries.corp]
url = "https://registry.corp.example/simple/"
token = "corp-secret"
"""


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_file_is_under_xdg_config_home(tmp_path: Path) -> None:
    assert config_path() == tmp_path / "xdg" / "dativo" / "config.toml"


def test_without_xdg_it_is_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "dativo" / "config.toml"


def test_dativo_config_names_another_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere.toml", GOOD)
    monkeypatch.setenv("DATIVO_CONFIG", str(path))
    assert config_path() == path
    assert load_config().default_registry == "local"


def test_a_missing_default_file_is_an_empty_config() -> None:
    assert load_config() == UserConfig()


def test_a_missing_named_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATIVO_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist") as info:
        load_config()
    assert info.value.exit_code == 2
    assert info.value.hint is not None and "DATIVO_CONFIG" in info.value.hint


def test_the_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_TOKEN", "local-secret")
    config = load_config(write(config_path(), GOOD))
    assert config.default_registry == "local"
    assert resolve_registry(config) == RegistryTarget(
        "local", "http://127.0.0.1:8080", "local-secret"
    )
    # /simple/ or /legacy/ pasted by habit: the root is meant
    assert resolve_registry(config, "corp") == RegistryTarget(
        "corp", "https://registry.corp.example", "corp-secret"
    )


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'default-registry = "local"\n[registries.local\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"config file {path} is not valid TOML" in info.value.message
    assert "line 2" in info.value.message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[registries.local]\nurl = "ftp://x"\n', "registries.local.url: 'ftp://x' is not an http"),
        ("[registries.local]\ntoken-env = 'T'\n", "registries.local.url: Field required"),
        ('[registries.local]\nurl = "http://x"\ntokn = "t"\n', "registries.local.tokn: unknown"),
        ('registry = "local"\n', "registry: unknown key"),
        (
            '[registries.local]\nurl = "http://x"\ntoken = "t"\ntoken-env = "T"\n',
            "registries.local: give token or token-env, not both",
        ),
        (
            'default-registry = "prod"\n[registries.local]\nurl = "http://x"\n',
            "default-registry 'prod' is not a [registries.NAME] table here (configured: local)",
        ),
        ("registries = 3\n", "registries: Input should be a valid dictionary"),
    ],
)
def test_a_bad_file_names_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message.startswith(f"config file {path} is invalid: ")
    assert problem in info.value.message


def test_an_unknown_registry_lists_the_configured_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "c.toml", GOOD))
    with pytest.raises(ConfigError) as info:
        resolve_registry(config, "staging")
    assert "no registry named 'staging'" in info.value.message
    assert "(configured: corp, local)" in info.value.message


def test_a_url_needs_no_config() -> None:
    target = resolve_registry(UserConfig(), "http://127.0.0.1:9000/legacy/", "t")
    assert target == RegistryTarget(None, "http://127.0.0.1:9000", "t")


def test_without_default_the_only_registry_is_used(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "c.toml", '[registries.one]\nurl = "http://one"\n'))
    assert resolve_registry(config).name == "one"


def test_without_default_or_selector_several_registries_are_ambiguous(tmp_path: Path) -> None:
    text = GOOD.replace('default-registry = "local"\n', "")
    config = load_config(write(tmp_path / "c.toml", text))
    with pytest.raises(ConfigError, match=r"no registry given.*\(configured: corp, local\)"):
        resolve_registry(config)
    with pytest.raises(ConfigError, match="no registry given"):
        resolve_registry(UserConfig())


def test_token_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path / "c.toml", GOOD))
    monkeypatch.setenv("LOCAL_TOKEN", "from-token-env")
    assert resolve_registry(config).token == "from-token-env"
    assert resolve_registry(config, "corp").token == "corp-secret"
    monkeypatch.setenv("DATIVO_REGISTRY_TOKEN", "from-dativo-env")
    assert resolve_registry(config).token == "from-dativo-env"
    assert resolve_registry(config, "corp").token == "from-dativo-env"
    assert resolve_registry(config, "corp", "from-flag").token == "from-flag"


def test_an_unset_token_env_is_an_error(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "c.toml", GOOD))
    with pytest.raises(ConfigError) as info:
        resolve_registry(config)
    assert "takes its API token from $LOCAL_TOKEN, which is not set" in info.value.message
    # ... unless the token is given otherwise
    assert resolve_registry(config, token="t").token == "t"


def test_a_token_in_a_readable_file_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = write(tmp_path / "private.toml", GOOD, mode=0o600)
    shared = write(tmp_path / "shared.toml", GOOD, mode=0o644)
    with caplog.at_level(logging.WARNING):
        load_config(private)
        assert not caplog.records
        load_config(shared)
    assert f"chmod 600 {shared}" in caplog.text
    assert "-rw-r--r--" in caplog.text

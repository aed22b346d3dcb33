"""``dativo-pkg publish`` as a user runs it: config file, exit codes, --json on stdout."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from conftest import Hub, dativo_pkg, new_key, plugin_wheel, unique, write_report


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def config(tmp_path: Path, hub: Hub | None = None, **registries: str) -> dict[str, str]:
    """A config file naming ``registries`` (name -> URL), "local" the default; its env."""
    lines = ['default-registry = "local"']
    for name, url in registries.items():
        lines += [f"[registries.{name}]", f'url = "{url}"', 'token-env = "LOCAL_TOKEN"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    env = {"DATIVO_CONFIG": str(path)}
    if hub is not None:
        env["LOCAL_TOKEN"] = hub.token
    return env


def test_publish_with_the_config_file(open_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    open_hub.add_key_publisher(project, key)
    dist = plugin_wheel(tmp_path / "dist", project)
    key.sign(dist)
    key.sign_report(dist, write_report(dist))
    env = config(tmp_path, open_hub, local=open_hub.url)

    result = dativo_pkg("publish", "--json", cwd=tmp_path, env=env)  # default: dist/

    assert result.returncode == 0, result.stderr
    published = json.loads(result.stdout)
    assert published["registry"] == {"name": "local", "url": open_hub.url}
    [release] = published["releases"]
    assert release["certification"] == "certified"
    assert [(f["filename"], f["action"]) for f in release["files"]] == [(dist.name, "uploaded")]

    again = dativo_pkg("publish", "dist", "--registry", "local", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert f"skipped {dist.name} (signed)" in again.stdout
    assert "(certification: certified)" in again.stdout


def test_a_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    plugin_wheel(tmp_path / "dist", unique())
    path = tmp_path / "config.toml"
    path.write_text('[registries.local]\nurl = "127.0.0.1:8080"\n')

    result = dativo_pkg("publish", cwd=tmp_path, env={"DATIVO_CONFIG": str(path)})

    assert result.returncode == 2
    message = " ".join(result.stderr.split())  # the terminal width may wrap it
    assert f"config file {path} is invalid: registries.local.url: '127.0.0.1:8080' is" in message
    assert "not an http(s) URL" in message
    assert "hint:" in result.stderr
    assert result.stdout == ""


def test_an_unknown_registry_lists_the_configured_ones(tmp_path: Path) -> None:
    plugin_wheel(tmp_path / "dist", unique())
    env = config(tmp_path, local="http://127.0.0.1:1", corp="https://corp.example")

    result = dativo_pkg("publish", "--registry", "prod", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert "no registry named 'prod'" in result.stderr
    assert "(configured: corp, local)" in result.stderr


def test_an_unreachable_registry_exits_4(tmp_path: Path) -> None:
    plugin_wheel(tmp_path / "dist", unique())
    url = f"http://127.0.0.1:{closed_port()}"

    result = dativo_pkg("publish", "--registry", url, "--token", "t", cwd=tmp_path)

    assert result.returncode == 4, result.stderr
    assert f"the registry {url} does not answer" in result.stderr


def test_unsigned_to_a_strict_registry_exits_7(strict_hub: Hub, tmp_path: Path) -> None:
    project = unique()
    wheel = plugin_wheel(tmp_path / "dist", project)
    env = {"DATIVO_REGISTRY_TOKEN": strict_hub.token}

    result = dativo_pkg("publish", "--registry", strict_hub.url, cwd=tmp_path, env=env)

    assert result.returncode == 7
    assert f"unsigned distributions: {wheel.name}" in result.stderr
    assert "dativo-pkg sign" in result.stderr
    assert strict_hub.release(project) is None


def test_no_distributions_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    result = dativo_pkg("publish", "--registry", "http://127.0.0.1:1", "-h", cwd=tmp_path)
    assert result.returncode == 0 and "NAME|URL" in result.stdout
    result = dativo_pkg("publish", "--registry", "http://127.0.0.1:1", "--token", "t", cwd=tmp_path)
    assert result.returncode == 2
    assert "no distributions in dist" in result.stderr
    assert "dativo-pkg build" in result.stderr

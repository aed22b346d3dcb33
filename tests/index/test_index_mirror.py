"""A static export served by ``python -m http.server``, read by ``dativo-pkg search``/``info``.

Each refusal TUF prescribes, end to end: a changed ``index.json`` (signature),
an older version replayed (rollback), an expired one (freeze), another key
(pinned or first seen), a changed plugin file (digest). Refusals exit 7.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from index_support import (
    BIN,
    IndexKey,
    export,
    http_server,
    make_key,
    read_json,
    resign,
    seeded_registry,
)

from dativo_pkg.cli import main


@dataclass(frozen=True)
class Site:
    url: str
    served: Path
    v1: Path
    v2: Path
    key: IndexKey
    other_key: IndexKey

    def serve(self, export_dir: Path) -> None:
        """Make the server serve a copy of ``export_dir``."""
        shutil.rmtree(self.served)
        shutil.copytree(export_dir, self.served)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("mirror")
    registry = seeded_registry(work / "data")
    key, other_key = make_key(work), make_key(work, "other-key")
    out = work / "out"
    export(registry, out, key)
    shutil.copytree(out, work / "v1")
    export(registry, out, key)
    shutil.copytree(out, work / "served")
    with http_server(work / "served") as url:
        yield Site(url, work / "served", work / "v1", out, key, other_key)


@pytest.fixture
def fresh(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A client that has seen no index (its own state and config dirs), the mirror at v2."""
    monkeypatch.setenv("DATIVO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DATIVO_CONFIG", raising=False)
    site.serve(site.v2)
    yield tmp_path / "state" / "indexes.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``dativo-pkg ARGS`` in-process: exit code, stdout, stderr (on one line)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_search_a_served_export_with_no_registry(site: Site, fresh: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATIVO_STATE_DIR": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [str(BIN / "dativo-pkg"), "search", "postgresql", "--index-url", site.url, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [p["name"] for p in result["plugins"]] == ["dativo-pg"]
    assert result["index"]["version"] == 2 and result["index"]["trusted_by"] == "first-use"
    assert "on first use" in done.stderr
    state = read_json(fresh)["indexes"][site.url]
    assert state["keyid"] == site.key.key_id and state["version"] == 2


def test_search_filters_and_shows_a_table(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "search", "--kind", "writer", "--index-url", site.url, "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)["plugins"]] == ["acme-markup", "dativo-pg"]
    code, out, _ = run(capsys, "search", "'; DROP TABLE", "--index-url", site.url, "--json")
    assert code == 0 and json.loads(out)["total"] == 0
    code, out, _ = run(capsys, "search", "--index-url", site.url)
    assert code == 0
    assert "dativo-csv" in out and "3 plugins" in out
    assert "\x1b[31m" not in out  # a summary's escape sequence is not passed to the terminal


def test_info_checks_the_plugin_file_against_the_signed_digest(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "info", "Dativo_PG", "--index-url", site.url, "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["card"]["version"] == "2.0" and detail["release"]["version"] == "2.0"
    assert [v["yanked"] for v in detail["versions"]] == [False, True]
    code, out, _ = run(capsys, "info", "dativo-pg", "--index-url", site.url)
    assert code == 0 and "yanked: superseded" in out and "dativo-pkg install dativo-pg" in out
    code, _, err = run(capsys, "info", "no-such-plugin", "--index-url", site.url)
    assert code == 2 and "no plugin named 'no-such-plugin'" in err
    changed = site.served / "plugins" / "dativo-pg.json"
    changed.write_bytes(changed.read_bytes().replace(b"PostgreSQL", b"PostgreSQl"))
    code, _, err = run(capsys, "info", "dativo-pg", "--index-url", site.url)
    assert code == 7 and "does not match the signed index" in err


def test_a_changed_index_is_refused(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "search", "--index-url", site.url)[0] == 0  # key recorded
    index = site.served / "index.json"
    index.write_bytes(index.read_bytes().replace(b"CSV files", b"CSV files!"))
    code, out, err = run(capsys, "search", "csv", "--index-url", site.url)
    assert code == 7 and out == ""
    assert "does not verify: index.json was changed after it was signed" in err
    pinned = ("--index-key", str(site.key.public))
    code, _, err = run(capsys, "search", "--index-url", site.url, *pinned)
    assert code == 7 and "does not verify" in err


def test_an_older_version_is_refused_as_a_rollback(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "search", "--index-url", site.url)[0] == 0  # version 2 seen
    site.serve(site.v1)
    code, _, err = run(capsys, "search", "--index-url", site.url)
    assert code == 7 and "is version 1, older than version 2 already seen" in err
    assert "rollback" in err
    assert read_json(fresh)["indexes"][site.url]["version"] == 2


def test_an_expired_index_is_refused_as_frozen(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resign(site.served, site.key, expires="2020-01-01T00:00:00Z", version=3)
    code, _, err = run(capsys, "search", "--index-url", site.url)
    assert code == 7 and "expired at 2020-01-01T00:00:00Z" in err and "frozen" in err
    assert not fresh.exists()  # a refused index is not recorded


def test_another_key_is_refused(
    site: Site, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pin_other = ("--index-key", str(site.other_key.public))
    code, _, err = run(capsys, "search", "--index-url", site.url, *pin_other)
    assert code == 7 and f"not signed by the pinned index key {site.other_key.key_id}" in err
    pin_right = ("--index-key", str(site.key.public))
    code, out, _ = run(capsys, "search", "--index-url", site.url, *pin_right, "--json")
    assert code == 0 and json.loads(out)["index"]["trusted_by"] == "pinned"
    # The mirror now serves an index signed by another key (announced in it): refused.
    resign(site.served, site.other_key, version=3)
    index = read_json(site.served / "index.json")
    assert index["signatures"][0]["keyid"] == site.other_key.key_id
    code, _, err = run(capsys, "search", "--index-url", site.url)
    assert code == 7 and "the index key changed" in err and "--index-key" in err


def test_the_config_file_pins_a_named_index(
    site: Site, fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config" / "dativo" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[indexes.mirror]\nurl = "{site.url}/"\nkey = "{site.key.public}"\n')
    code, out, _ = run(capsys, "search", "csv", "--index-url", "mirror", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["index"]["trusted_by"] == "pinned" and result["source"] == site.url
    assert [p["name"] for p in result["plugins"]] == ["dativo-csv"]

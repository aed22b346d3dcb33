"""``dativo-registry export-index``: what it writes, how versions grow, and that it is atomic."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import logging
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from index_support import (
    BIN,
    PASSPHRASE,
    IndexKey,
    export,
    make_key,
    read_json,
    seed_registry,
    seeded_registry,
    tree,
)

from dativo_index.static_index import StaticIndexWriter
from dativo_index.static_index.canonical import canonical_json
from dativo_registry import export as export_module
from dativo_registry.cli import main as registry_main
from dativo_registry.config import Settings
from dativo_registry.errors import RegistryError

HAS_WEB = importlib.util.find_spec("dativo_registry.web") is not None


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return seeded_registry(tmp_path_factory.mktemp("export") / "data")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> IndexKey:
    return make_key(tmp_path_factory.mktemp("keys"))


def test_export_writes_a_signed_index_covering_every_plugin_file(
    registry: Settings, key: IndexKey, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = export(registry, out, key, expires_days=30, registry_name="https://reg.example")
    envelope = read_json(out / "index.json")
    signed = envelope["signed"]
    assert signed["_type"] == "dativo-index" and signed["spec_version"] == 1
    assert signed["version"] == result.summary.version == 1
    assert signed["registry"] == "https://reg.example"
    assert signed["expires"].endswith("Z") and signed["generated"].endswith("Z")
    # The signature: Ed25519 over canonical JSON, by the key whose id it names.
    public = serialization.load_pem_public_key(key.public.read_bytes())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    [signature] = envelope["signatures"]
    assert signature["keyid"] == key.key_id == result.summary.key_id
    public.verify(base64.b64decode(signature["sig"]), canonical_json(signed))
    assert signed["keys"][key.key_id]["public"] == key.public.read_text()
    # One entry per plugin, its newest installable release; each file's digest listed.
    entries = {e["normalized"]: e for e in signed["plugins"]}
    assert sorted(entries) == ["acme-markup", "dativo-csv", "dativo-pg"]
    assert entries["dativo-pg"]["version"] == "2.0"
    assert entries["dativo-pg"]["kinds"] == ["reader", "writer"]
    for name, entry in entries.items():
        data = (out / entry["detail"]).read_bytes()
        assert entry["detail"] == f"plugins/{name}.json"
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    detail = read_json(out / "plugins" / "dativo-pg.json")
    assert detail["_type"] == "dativo-index-plugin"
    assert detail["release"]["version"] == "2.0"
    assert detail["release"]["files"][0]["sha256"]
    versions = {v["version"]: v for v in detail["versions"]}
    assert versions["1.0"]["yanked"] and "wrong COPY" in versions["1.0"]["yanked_reason"]


def test_versions_grow_and_never_go_back(registry: Settings, key: IndexKey, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert export(registry, out, key).summary.version == 1
    assert export(registry, out, key).summary.version == 2
    assert export(registry, out, key, version=10).summary.version == 10
    before = tree(out)
    with pytest.raises(RegistryError, match="not higher than version 10"):
        export(registry, out, key, version=10)
    assert tree(out) == before


def test_a_failed_export_leaves_out_as_it_was(
    registry: Settings, key: IndexKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    export(registry, out, key)
    before = tree(out)
    calls = []
    original = StaticIndexWriter.add_plugin

    def failing(self: StaticIndexWriter, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(StaticIndexWriter, "add_plugin", failing)
    with pytest.raises(RegistryError, match="No space left"):
        export(registry, out, key)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]  # no temp left


def test_an_export_interrupted_between_renames_is_put_back(
    registry: Settings, key: IndexKey, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(registry, out, key)
    before = tree(out)
    out.rename(tmp_path / ".out.previous-0123456789ab")  # what a crash mid-swap leaves
    (tmp_path / ".out.tmp-dead").mkdir()
    assert export(registry, out, key).summary.version == 2  # version 1 was found again
    assert tree(out).keys() == before.keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_refuses_to_replace_a_directory_that_is_not_an_export(
    registry: Settings, key: IndexKey, tmp_path: Path
) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    with pytest.raises(RegistryError, match=r"holds no index\.json"):
        export(registry, tmp_path / "home", key)
    assert (tmp_path / "home" / "notes.txt").read_text() == "mine"


def test_wrong_passphrase_or_key_type_is_a_clear_error(
    registry: Settings, key: IndexKey, tmp_path: Path
) -> None:
    settings = export_module.ExportSettings(
        out=tmp_path / "out", registry=registry, key_file=key.private, passphrase=b"wrong"
    )
    with pytest.raises(RegistryError, match="passphrase is wrong"):
        export_module.export_index(settings)
    assert not (tmp_path / "out").exists()


def test_pages_are_exported_with_relative_links(
    registry: Settings, key: IndexKey, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        result = export(registry, out, key, registry_name="https://reg.example")
    if not HAS_WEB:
        assert result.pages == 0 and not (out / "index.html").exists()
        assert "JSON index only" in caplog.text
        return
    assert result.pages == 4  # the front page and one per plugin
    front = (out / "index.html").read_text()
    assert 'href="plugins/dativo-pg/index.html"' in front
    page = (out / "plugins" / "dativo-pg" / "index.html").read_text()
    assert 'href="/' not in page and 'src="/' not in page
    assert "../../static/" in page
    assert any(path.startswith("static/") for path in tree(out))
    markup = (out / "plugins" / "acme-markup" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in markup


def test_json_only_when_the_registry_has_no_pages(
    registry: Settings,
    key: IndexKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def no_page(self: object, client: object, path: str) -> None:
        return None

    monkeypatch.setattr(export_module._Crawl, "_page", no_page)
    with caplog.at_level(logging.WARNING):
        result = export(registry, tmp_path / "out", key)
    assert result.pages == 0 and result.summary.plugins == 3
    assert sorted(tree(tmp_path / "out")) == [
        "index.json",
        "plugins/acme-markup.json",
        "plugins/dativo-csv.json",
        "plugins/dativo-pg.json",
    ]
    assert "JSON index only" in caplog.text


def test_cli_generates_a_key_and_exports(
    registry: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATIVO_INDEX_KEY_PASSPHRASE", PASSPHRASE)
    generate = ["index-key", "generate", "-o", str(tmp_path / "k")]
    registry_main(generate)  # in-process: each process start costs seconds
    assert "key id: sha256:" in capsys.readouterr().out and (tmp_path / "k.pub").exists()
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0
    with pytest.raises(SystemExit) as refused:
        registry_main(generate)
    assert refused.value.code == 1 and "never overwritten" in capsys.readouterr().err
    command = [
        str(BIN / "dativo-registry"),
        "export-index",
        str(tmp_path / "out"),
        "--data-dir",
        str(registry.data_dir),
        "--key",
        str(tmp_path / "k"),
        "--expires-days",
        "3",
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["version"] == 1 and summary["plugins"] == 3


def test_page_links_become_relative_or_point_at_the_registry() -> None:
    crawl = export_module._Crawl(None, None, "https://reg.example/")  # type: ignore[arg-type]
    html = (
        '<a href="/">home</a><a href="/?page=3">3</a><a href="/?q=pg&amp;page=2">q</a>'
        '<form action="/" method="get"></form><a href="/plugins/dativo-pg">pg</a>'
        '<link href="/static/style.css?v=1"><script src="/static/copy.js"></script>'
        '<a href="/files/ab/x.whl">file</a><a href="//cdn.example/x">cdn</a>'
        '<a href="#main">skip</a><p>href="/not-an-attribute"</p>'
    )
    assert crawl._relink(html, depth=2) == (
        '<a href="../../index.html">home</a><a href="../../page/3/index.html">3</a>'
        '<a href="../../index.html?q=pg&amp;page=2">q</a>'
        '<form action="../../index.html" method="get"></form>'
        '<a href="../../plugins/dativo-pg/index.html">pg</a>'
        '<link href="../../static/style.css?v=1"><script src="../../static/copy.js"></script>'
        '<a href="https://reg.example/files/ab/x.whl">file</a><a href="//cdn.example/x">cdn</a>'
        '<a href="#main">skip</a><p>href="/not-an-attribute"</p>'
    )
    assert crawl.linked_pages == {3}
    assert crawl.assets == {"/static/style.css", "/static/copy.js"}


@pytest.mark.postgres
def test_export_from_a_registry_on_postgresql(pg_url: str, key: IndexKey, tmp_path: Path) -> None:
    settings = seed_registry(tmp_path / "data", database_url=pg_url)
    result = export(settings, tmp_path / "out", key)
    assert result.summary.plugins == 3
    entries = read_json(tmp_path / "out" / "index.json")["signed"]["plugins"]
    assert [e["normalized"] for e in entries] == ["acme-markup", "dativo-csv", "dativo-pg"]

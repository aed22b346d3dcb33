"""``dativo-pkg search`` and ``info`` against a running registry (its plugin API).

The registry runs in this process (uvicorn in a thread: a server process
costs seconds to start) on the plugins ``tests/index/index_support.py``
uploads; the CLI runs in-process too and talks HTTP to it. The same registry
exported to a static index must give the same cards.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parents[1] / "index"))  # the shared seeding helpers

from index_support import export, free_port, make_key, seeded_registry

from dativo_index.static_index.cards import card_entry
from dativo_pkg.cli import main
from dativo_registry.app import create_app
from dativo_registry.config import Settings


@dataclass(frozen=True)
class Running:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    settings = seeded_registry(tmp_path_factory.mktemp("search-cli") / "data")
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the registry did not start"
        time.sleep(0.02)
    yield Running(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATIVO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DATIVO_CONFIG", raising=False)
    monkeypatch.delenv("DATIVO_REGISTRY_TOKEN", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def names(output: str) -> list[str]:
    return [plugin["name"] for plugin in json.loads(output)["plugins"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["acme-markup", "dativo-csv", "dativo-pg"]),
        (("postgre",), ["dativo-pg"]),
        (("--kind", "writer"), ["acme-markup", "dativo-pg"]),
        (("csv", "--kind", "writer"), []),
        (("'; DROP TABLE projects; --",), []),
        (("<script>alert(1)</script>",), ["acme-markup"]),  # words of its summary
        (("100%", "_"), []),
    ],
)
def test_search_a_registry(
    registry: Running,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: list[str],
) -> None:
    code, out, err = run(capsys, "search", *args, "--registry", registry.url, "--json")
    assert code == 0, err
    assert sorted(names(out)) == expected
    assert json.loads(out)["source"] == registry.url


def test_search_shows_a_table(registry: Running, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "dativo", "--registry", registry.url, "--limit", "1")
    assert code == 0
    assert "1 of 2 plugins from" in " ".join(out.split())
    # What a registry says is shown as text: no rich markup, no terminal escapes.
    code, out, _ = run(capsys, "info", "acme-markup", "--registry", registry.url)
    assert code == 0 and "[bold red]markup[/] <script>alert(1)</script>" in out
    assert "\x1b" not in out


def test_info_from_a_registry(registry: Running, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "info", "Dativo.PG", "--registry", registry.url, "--json")
    assert code == 0, err
    detail = json.loads(out)
    assert detail["normalized"] == "dativo-pg" and detail["card"]["version"] == "2.0"
    assert detail["card"]["kinds"] == ["reader", "writer"]
    assert detail["release"]["files"][0]["sha256"]
    yanked = {v["version"]: v["yanked_reason"] for v in detail["versions"] if v["yanked"]}
    assert yanked == {"1.0": "superseded: wrong COPY options"}
    code, out, _ = run(capsys, "info", "dativo-pg", "--registry", registry.url)
    assert code == 0 and "dativo-pkg install dativo-pg" in out and "config of reader pg" in out


def test_unknown_plugin_and_bad_options(
    registry: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "info", "nope", "--registry", registry.url)
    assert code == 2 and "no plugin named 'nope'" in err
    code, _, err = run(capsys, "info", "../../etc/passwd", "--registry", registry.url)
    assert code == 2 and "no plugin named" in err
    both = ("--registry", registry.url, "--index-url", "https://mirror.example")
    code, _, err = run(capsys, "search", "x", *both)
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "search", "x", "--index-key", __file__)
    assert code == 2 and "give --index-url too" in err
    code, _, err = run(capsys, "search", "x", "--registry", f"http://127.0.0.1:{free_port()}")
    assert code == 4 and "does not answer" in err
    code, _, err = run(capsys, "search", "x")
    assert code == 2 and "--index-url" in err


def test_a_static_export_shows_the_same_cards(
    registry: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export(registry.settings, tmp_path / "out", make_key(tmp_path))
    code, live, _ = run(capsys, "search", "--registry", registry.url, "--json")
    assert code == 0
    code, static, _ = run(capsys, "search", "--index-url", str(tmp_path / "out"), "--json")
    assert code == 0
    listed = {"detail", "sha256", "size"}

    def cards(output: str) -> list[dict[str, object]]:
        plugins = json.loads(output)["plugins"]
        return sorted(
            ({k: v for k, v in p.items() if k not in listed} for p in plugins),
            key=lambda card: str(card["name"]),
        )

    assert cards(static) == cards(live)
    code, live, _ = run(capsys, "info", "dativo-csv", "--registry", registry.url, "--json")
    code, static, _ = run(capsys, "info", "dativo-csv", "--index-url", str(tmp_path / "out"))
    assert code == 0 and "dativo-csv" in static


def test_cards_from_a_registry_without_card_fields() -> None:
    """A registry from before the marketplace lists plugins only; the card is derived."""
    card = card_entry(
        {
            "name": "Old",
            "normalized": "old",
            "version": "1",
            "summary": None,
            "plugins": [
                {"kind": "reader", "connector": "x", "language": "go", "capabilities": ["a"]},
                {"kind": "writer", "connector": "x", "language": "go", "description": "d"},
            ],
        },
        ["kw"],
    )
    assert card["kinds"] == ["reader", "writer"] and card["connectors"] == ["x"]
    assert card["keywords"] == ["a", "kw"] and card["descriptions"] == ["d"]
    assert card["downloads"] == 0 and card["signer"] is None and card["certification"] is None

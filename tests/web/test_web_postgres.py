"""The pages on PostgreSQL: the same site, the same facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_html import parse
from web_site import build_site

from dativo_registry.app import create_app


@pytest.mark.postgres
def test_the_pages_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    site = build_site(tmp_path / "data", database_url=pg_url)
    app = create_app(site.settings)
    try:
        with TestClient(app) as client:
            search = parse(client.get("/", params={"q": "fast", "signed": "1"}).text)
            cards = search.find_all("li", class_="plugin-card")
            assert [card["data-name"] for card in cards] == ["acme-fast"]
            hostile = client.get("/", params={"q": "'; SELECT pg_sleep(5); --\x00"})
            assert hostile.status_code == 200
            root = parse(client.get("/plugins/acme-fast").text)
            assert {b.text for b in root.find_all(data_testid="cert-badge")} == {"certified"}
            assert root.by_id("signer").find(data_testid="signer-status").text == "verified"
            labels = [r["data-label"] for r in root.by_id("benchmark-chart").find_all("rect")]
            assert labels == ["acme-fast 1.1", "acme-fast 1.0", "csv (built-in)"]
            old = parse(client.get("/plugins/acme-old").text)
            assert old.by_id("versions").find("tr", class_="yanked")["data-version"] == "2.0"
            assert client.get("/plugins/nope").status_code == 404
    finally:
        app.state.engine.dispose()

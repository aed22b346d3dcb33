"""The search page at ``/``: its form, results, filters, sorting, pages and bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_html import Node, parse
from web_site import Site

from dativo_registry import web
from dativo_registry.app import create_app

LISTED = {"acme-fast", "acme-former", "acme-slow", "acme-old", "acme-huge"}

#: The multiplication sign the pages print ratios with.
TIMES = "\u00d7"


def page(client: TestClient, query: str = "") -> Node:
    response = client.get(f"/{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return parse(response.text)


def names(root: Node) -> list[str]:
    return [li["data-name"] for li in root.find_all("li", class_="plugin-card")]


def count(root: Node) -> int:
    node = root.by_id("result-count")
    total = int(node["data-total"])
    assert node.text.startswith(f"{total} plugin")
    return total


def test_the_search_page_is_an_accessible_form(client: TestClient) -> None:
    root = page(client)
    assert root.find("html")["lang"] == "en"
    assert root.find("meta", name="viewport")
    assert len(root.find_all("main")) == 1 and root.find("header") and root.find("footer")
    assert len(root.find_all("h1")) == 1
    form = root.find("form", role="search")
    assert form["action"] == "/" and form["method"] == "get"
    assert root.by_id("q")["name"] == "q"
    for name in ("kind", "language", "certification", "sort"):
        assert form.find("select", name=name)
    assert form.find("input", name="connector")["type"] == "text"
    assert form.find("input", name="signed")["type"] == "checkbox"
    labels = {label["for"] for label in form.find_all("label")}
    controls = form.find_all("input") + form.find_all("select")
    assert all(control["id"] in labels for control in controls)  # every control labelled
    for link in root.find_all("link", rel="stylesheet"):
        assert client.get(link["href"]).status_code == 200


def test_every_listed_plugin_is_a_card(client: TestClient, site: Site) -> None:
    root = page(client, "?sort=name")
    assert names(root) == sorted(LISTED)  # plain-lib is no plugin: not listed
    assert count(root) == len(LISTED)
    card = root.find("li", data_name="acme-fast")
    assert card.find("a")["href"] == "/plugins/acme-fast"
    assert card.find("a").text == "acme-fast"
    assert "1.1" in card.find(class_="version").text
    badge = card.find(data_testid="cert-badge")
    assert badge.text == "certified" and "badge-certified" in badge["class"]
    assert card.find(class_="summary").text == "Reads CSV fast"
    assert card.find(class_="signer").text.startswith("key sha256:")
    assert "verified publisher" in card.find(class_="signer").text
    assert card.find(class_="signer").find("span")["title"] == f"key {site.key_id}"
    assert f"key {site.key_id[:23]}\u2026" in card.find(class_="signer").text  # shortened
    assert card.find(class_="throughput").text == f"2.00{TIMES} the built-in default"
    assert card.find(class_="downloads").text.isdigit()
    slow = root.find("li", data_name="acme-slow")
    assert slow.find(data_testid="cert-badge").text == "uncertified"
    assert slow.find(class_="signer").text == "unsigned"
    assert slow.find(class_="throughput").text == "no benchmark"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=fast", {"acme-fast"}),
        ("?q=FAST+csv", {"acme-fast"}),
        ("?q=slowly", {"acme-slow"}),
        ("?kind=writer", {"acme-slow"}),
        ("?kind=reader", LISTED - {"acme-slow"}),
        ("?language=rust", {"acme-slow"}),
        ("?connector=old", {"acme-old"}),
        ("?connector=OLD", {"acme-old"}),
        ("?certification=certified", {"acme-fast"}),
        ("?certification=verified", {"acme-fast", "acme-former"}),
        ("?signed=1", {"acme-fast"}),
        ("?signed=on&kind=writer", set()),
        ("?q=fast&kind=writer", set()),
    ],
)
def test_filters_change_the_results(client: TestClient, query: str, expected: set[str]) -> None:
    root = page(client, query)
    assert set(names(root)) == expected
    assert count(root) == len(expected)
    if not expected:
        assert "No plugins match" in root.by_id("no-results").text
        assert not root.find_all("ol", id="results")


def test_the_form_keeps_what_was_submitted(client: TestClient) -> None:
    root = page(client, "?q=fast&kind=reader&language=python&certification=verified&signed=1"
                        "&connector=fast&sort=newest")  # fmt: skip
    assert root.by_id("q")["value"] == "fast"
    assert root.by_id("connector")["value"] == "fast"
    assert "checked" in root.by_id("signed").attrs
    for name, value in (("kind", "reader"), ("language", "python"),
                        ("certification", "verified"), ("sort", "newest")):  # fmt: skip
        selected = [o for o in root.by_id(name).find_all("option") if "selected" in o.attrs]
        assert [o["value"] for o in selected] == [value]


def test_sorting(client: TestClient) -> None:
    assert names(page(client, "?sort=name")) == sorted(LISTED)
    by_throughput = names(page(client, "?sort=throughput"))
    assert by_throughput[0] == "acme-fast"  # the only one measured; the others after it
    assert set(by_throughput) == LISTED


def test_pages(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "PER_PAGE", 2)
    first, second, last = (page(client, f"?sort=name&page={n}") for n in (1, 2, 3))
    assert names(first) == sorted(LISTED)[:2] and names(second) == sorted(LISTED)[2:4]
    assert names(last) == sorted(LISTED)[4:]
    assert count(first) == count(last) == len(LISTED)
    nav = second.find("nav", class_="pagination")
    assert nav.find("a", rel="prev")["href"] == "/?sort=name"
    assert nav.find("a", rel="next")["href"] == "/?sort=name&page=3"
    assert nav.find("a", aria_current="page").text == "2"
    assert second.find("ol", id="results")["start"] == "3"
    assert names(page(client, "?sort=name&page=999")) == names(last)  # past the end: the last


@pytest.mark.parametrize(
    "q",
    [
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        '"; DROP TABLE projects; --',
        "100% _ \\ %%",
        "fast* OR NEAR(a b) -x ^y",
        "\x00\x1b[31m",
        "é" * 300,
        "   ",
    ],
)
def test_hostile_search_words_are_text(client: TestClient, q: str) -> None:
    response = client.get("/", params={"q": q, "connector": q})
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "\x00" not in response.text
    root = parse(response.text)
    value = root.by_id("q")["value"]
    assert len(value) <= 200 and "\x00" not in value and "\x1b" not in value
    assert count(root) >= 0
    assert client.get("/", params={"q": "fast"}).status_code == 200  # the database is fine


@pytest.mark.parametrize(
    "query",
    ["?kind=plugin", "?sort=random", "?certification=gold", "?language=cobol", "?page=x",
     "?page=-3", "?page=" + "9" * 5000, "?signed=maybe", "?kind=reader&kind=%00"],
)  # fmt: skip
def test_invalid_choices_are_ignored(client: TestClient, query: str) -> None:
    root = page(client, query)
    assert count(root) in (len(LISTED), 0)


def test_pages_carry_a_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_static_assets(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert "@media (max-width: 639px)" in css.text and ":focus-visible" in css.text
    js = client.get("/static/copy.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    for path in ("/static/nope.css", "/static/..%2F__init__.py", "/static/%2e%2e/web/base.html"):
        assert client.get(path).status_code == 404


def test_the_web_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/plugins/{name}" not in paths
    assert "/api/v1/plugins" in paths


def test_links_follow_the_root_path(site: Site) -> None:
    """Behind a proxy that serves the registry under a prefix, every site link carries it."""
    app = create_app(site.settings)
    try:
        with TestClient(app, root_path="/hub") as client:
            root = parse(client.get("/", params={"sort": "name"}).text)
            assert root.find("form", role="search")["action"] == "/hub/"
            assert (
                root.find("li", data_name="acme-fast").find("a")["href"] == "/hub/plugins/acme-fast"
            )
            assert root.find("link", rel="stylesheet")["href"].startswith("/hub/static/style.css")
            response = client.get("/plugins/Acme_Fast", follow_redirects=False)
            assert response.headers["location"] == "/hub/plugins/acme-fast"
    finally:
        app.state.engine.dispose()

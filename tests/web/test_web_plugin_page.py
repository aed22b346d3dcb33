"""A plugin's page at ``/plugins/{name}``: every section, its trust facts, and bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_html import Node, parse
from web_site import FAILED_REASON, YANK_REASON, Site

SECTIONS = ("install", "readme", "config", "conformance", "benchmarks", "versions", "signer")

#: What the pages print for "times" and for a missing value.
TIMES, DASH = "\u00d7", "\u2013"


def plugin(client: TestClient, name: str) -> Node:
    response = client.get(f"/plugins/{name}")
    assert response.status_code == 200, response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    return parse(response.text)


def rows(table: Node) -> list[list[str]]:
    body = table.find("tbody")
    return [
        [cell.text for cell in tr.iter() if cell.tag in ("th", "td")] for tr in body.find_all("tr")
    ]


def test_the_page_of_a_certified_signed_plugin(client: TestClient, site: Site) -> None:
    root = plugin(client, "acme-fast")
    assert root.find("html")["lang"] == "en" and len(root.find_all("main")) == 1
    assert [h.text for h in root.find_all("h1")] == ["acme-fast"]
    for section in SECTIONS:
        assert root.by_id(section).tag == "section"
    badges = root.find_all(data_testid="cert-badge")
    assert badges and {b.text for b in badges} == {"certified"}
    assert root.find(class_="meta").find(class_="version").text == "1.1"

    assert root.by_id("install-command").tag == "code"
    assert root.by_id("install-command").text == "dativo-pkg install acme-fast"
    button = root.by_id("copy-install")
    assert button.tag == "button" and button["type"] == "button" and button.text == "Copy"
    scripts = [s["src"] for s in root.find_all("script")]
    assert len(scripts) == 1 and scripts[0].startswith("/static/copy.js?v=")
    assert 'getElementById("copy-install")' in client.get(scripts[0]).text

    signer = root.by_id("signer")
    assert signer.find(data_testid="signer-status").text == "verified"
    assert site.key_id in signer.text and "acme_fast-1.1-py3-none-any.whl" in signer.text
    assert root.by_id("downloads").text.replace(",", "").isdigit()


def test_the_readme_is_sanitized_markdown(client: TestClient) -> None:
    response = client.get("/plugins/acme-fast")
    readme = parse(response.text).by_id("readme")
    markdown = readme.find("div", class_="markdown")
    assert markdown.find("h3").text == "Acme fast CSV"  # the README's h1, under the page's h2
    assert markdown.find("strong").text == "fast"
    assert markdown.find("table").find("code").text == "fast"
    assert markdown.find("pre").text == 'print("<b>not bold</b>")'
    tags = {node.tag for node in markdown.iter()}
    assert not tags & {"script", "iframe", "style", "form", "object", "svg"}
    for node in markdown.iter():
        assert not any(name.startswith("on") or name == "style" for name in node.attrs)
        assert "javascript" not in (node.get("href") or "").lower()
    assert markdown.find("img")["alt"] == "logo"
    section = response.text.split('id="readme"')[1].split("</section>")[0]
    refused = "[click](javascript:alert('link'))"  # a refused Markdown link stays visible text
    assert "alert(" not in section.replace(refused, "")


def test_the_config_schema_is_a_table(client: TestClient) -> None:
    config = plugin(client, "acme-fast").by_id("config")
    table = config.find("table")
    headers = [th.text for th in table.find("thead").find_all("th")]
    assert headers == ["Field", "Type", "Default", "Required", "Description"]
    assert rows(table) == [
        ["path", "string", f"{DASH}", "yes", "The CSV file to read"],
        ["delimiter", "string", '","', "no", ""],
        ["rows", "integer", "1000", "no", "≥ 1"],
    ]
    assert "fast" in table.find("caption").text


def test_the_conformance_report_check_by_check(client: TestClient) -> None:
    response = client.get("/plugins/acme-fast")
    conformance = parse(response.text).by_id("conformance")
    assert conformance.find(data_testid="cert-badge").text == "certified"
    table = conformance.find("table")
    assert [r[:3] for r in rows(table)] == [
        ["Manifest is valid manifest", "compatible", "passed"],
        ["Incremental state incremental", "certified", "not-applicable"],
        ["Performance floor perf_floor", "certified", "failed"],
    ]
    assert rows(table)[2][3] == FAILED_REASON  # shown as text...
    assert '<script>alert("reason")' not in response.text  # ...never as markup
    assert "publisher key sha256:" in conformance.text


def test_the_benchmark_chart_compares_versions_and_the_default(client: TestClient) -> None:
    benchmarks = plugin(client, "acme-fast").by_id("benchmarks")
    chart = benchmarks.find("svg")
    assert chart["id"] == "benchmark-chart" and chart["role"] == "img"
    assert f"acme-fast 1.1: 900,000 rows/s (2.00{TIMES} the default)" in chart["aria-label"]
    bars = {r["data-label"]: r for r in chart.find_all("rect")}
    assert list(bars) == ["acme-fast 1.1", "acme-fast 1.0", "csv (built-in)"]
    assert bars["csv (built-in)"]["data-role"] == "baseline"
    assert float(bars["acme-fast 1.1"]["width"]) > float(bars["acme-fast 1.0"]["width"])
    assert f"900,000 rows/s · 2.00{TIMES}" in chart.text
    assert f"500,000 rows/s · 1.25{TIMES}" in chart.text
    table = benchmarks.find("table")
    assert [r[0] for r in rows(table)] == ["1.1", "1.0"]
    assert rows(table)[0][1:2] == ["900,000"] and rows(table)[0][5] == f"2.00{TIMES}"


def test_an_unsigned_plugin(client: TestClient) -> None:
    root = plugin(client, "acme-slow")
    assert root.by_id("signer").find(data_testid="signer-status").text == "unsigned"
    assert root.by_id("no-benchmark").text == "No benchmark published."
    assert not root.find_all("svg")
    assert "1 unsigned report is not shown" in root.by_id("no-conformance").text
    assert {b.text for b in root.find_all(data_testid="cert-badge")} == {"uncertified"}
    plain = root.by_id("readme").find("pre", class_="readme-plain")
    assert plain.text == "Plain <script>x</script> text"  # text/plain: escaped, as written


def test_a_signer_who_is_no_longer_a_publisher_is_unverified(client: TestClient) -> None:
    root = plugin(client, "acme-former")
    assert root.by_id("signer").find(data_testid="signer-status").text == "unverified"
    # certified needs a current publisher's signature: capped at verified
    assert {b.text for b in root.find_all(data_testid="cert-badge")} == {"verified"}


def test_yanked_versions_are_marked_with_their_reason(client: TestClient) -> None:
    response = client.get("/plugins/acme-old")
    root = parse(response.text)
    assert root.find(class_="meta").find(class_="version").text == "1.0"  # 2.0 is yanked
    versions = root.by_id("versions").find("tbody").find_all("tr")
    assert [tr["data-version"] for tr in versions] == ["2.0", "1.0"]
    yanked, current = versions
    assert "yanked" in yanked["class"].split() and "yanked" not in current["class"].split()
    assert yanked.find(class_="yanked-reason").text == YANK_REASON
    assert "<b>broken</b>" not in response.text
    assert current["aria-current"] == "true"


def test_a_huge_readme_is_cut_with_a_note(client: TestClient) -> None:
    root = plugin(client, "acme-huge")
    readme = root.by_id("readme")
    assert "only its first 512 KiB are shown" in readme.find(class_="note").text
    assert len(readme.find("pre").text) <= 512 * 1024


def test_an_ordinary_package_has_a_page_without_plugin_sections(client: TestClient) -> None:
    root = plugin(client, "plain-lib")
    assert "Not a plugin" in root.by_id("config").text
    assert root.by_id("install-command").text == "dativo-pkg install plain-lib"


def test_links_are_only_http(client: TestClient) -> None:
    root = plugin(client, "acme-fast")
    links = [a["href"] for a in root.by_id("about").find_all("a")]
    assert links == ["https://example.com/acme-fast"]  # the javascript: Project-URL is dropped


def test_downloads_count_when_a_file_is_served(client: TestClient, site: Site) -> None:
    before = int(plugin(client, "acme-old").by_id("downloads").text.replace(",", ""))
    assert client.get(site.wheels[("acme-old", "1.0")]).status_code == 200
    after = int(plugin(client, "acme-old").by_id("downloads").text.replace(",", ""))
    assert after == before + 1


def test_another_spelling_redirects_to_the_normalized_name(client: TestClient) -> None:
    response = client.get("/plugins/Acme_Fast", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/plugins/acme-fast"
    response = client.get("/plugins/acme-fast/", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/plugins/acme-fast"


@pytest.mark.parametrize(
    "name",
    ["no-such-plugin", "<script>alert(1)</script>", "a..b", "%00", "x" * 500, "-", "a/b/c", "%2F"],
)
def test_an_unknown_plugin_is_a_404_page(client: TestClient, name: str) -> None:
    response = client.get(f"/plugins/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>alert" not in response.text
    root = parse(response.text)
    assert root.find("html")["lang"] == "en" and root.find("header") and root.find("main")
    assert root.find("h1").text == "Plugin not found"
    assert root.find("form", role="search")["action"] == "/"


@pytest.mark.parametrize("name", ["acme-fast", "acme-former", "acme-slow", "acme-old"])
def test_every_version_shows_the_level_the_plugin_api_gives(client: TestClient, name: str) -> None:
    versions = plugin(client, name).by_id("versions").find("tbody").find_all("tr")
    for row in versions:
        version = row["data-version"]
        api = client.get(f"/api/v1/plugins/{name}/{version}").json()["certification"]
        shown = [cell.text for cell in row.find_all("td")][1]
        assert shown == (api or DASH), (name, version)

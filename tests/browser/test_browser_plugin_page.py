"""A plugin's page in a real browser: reached by a click, badge, chart, copy, versions, README."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_catalog import YANK_REASON
from browser_pages import CARD, bar_lengths

if TYPE_CHECKING:
    from playwright.sync_api import Page

BUILT_IN = re.compile(r"built-in|default", re.IGNORECASE)


def test_clicking_a_result_opens_the_plugin_page(page: Page) -> None:
    page.goto("/?q=postgres")

    page.locator(f'{CARD} a[href="/plugins/acme-postgres-fast"]').first.click()
    page.wait_for_url("**/plugins/acme-postgres-fast")

    assert "acme-postgres-fast" in page.locator("h1").first.inner_text()
    readme = page.locator("section#readme")
    assert readme.get_by_role("heading", name="Usage").is_visible()  # Markdown, rendered
    assert readme.locator("table").count() == 1
    assert readme.locator("pre code").count() == 1
    assert page.locator("#install-command").inner_text().strip() == (
        "dativo-pkg install acme-postgres-fast"
    )
    assert re.fullmatch(r"[\d,]+", page.locator("#downloads").inner_text().strip())
    config = page.locator("section#config").inner_text()
    for name in ("url", "table", "batch_rows", "65536", "Rows per batch"):
        assert name in config


def test_the_badge_and_the_conformance_report_check_by_check(page: Page) -> None:
    page.goto("/plugins/acme-postgres-fast")

    conformance = page.locator("section#conformance")
    assert conformance.get_by_test_id("cert-badge").inner_text().strip() == "certified"
    rows = conformance.locator("tbody tr")
    assert rows.count() == 5
    assert "manifest-valid" in rows.first.inner_text()
    assert "passed" in rows.first.inner_text()
    signer = page.locator("section#signer")
    assert signer.get_by_test_id("signer-status").inner_text().strip() == "verified"
    assert "sha256:" in signer.inner_text()  # the publisher key's id


@pytest.mark.parametrize(
    ("name", "badge", "status"),
    [
        ("acme-kafka-stream", "verified", "verified"),
        ("acme-csv-lite", "compatible", "unverified"),  # its key is no publisher any more
        ("acme-parquet-sink", "uncertified", "unsigned"),
    ],
)
def test_every_plugin_shows_its_level_and_signer(
    page: Page, name: str, badge: str, status: str
) -> None:
    page.goto(f"/plugins/{name}")

    conformance = page.locator("section#conformance")
    assert conformance.get_by_test_id("cert-badge").inner_text().strip() == badge
    assert page.get_by_test_id("signer-status").inner_text().strip() == status


def test_the_chart_has_a_bar_per_benchmarked_version_and_one_for_the_default(page: Page) -> None:
    page.goto("/plugins/acme-postgres-fast")

    chart = page.locator("section#benchmarks svg#benchmark-chart")
    assert chart.get_attribute("role") == "img"
    assert (chart.get_attribute("aria-label") or "").strip()
    labels = [label or "" for label in chart.locator("rect[data-label]").evaluate_all(
        "bars => bars.map(bar => bar.dataset.label)"
    )]  # fmt: skip
    newest = [label for label in labels if "1.1" in label]
    older = [label for label in labels if "1.0" in label and not BUILT_IN.search(label)]
    default = [label for label in labels if BUILT_IN.search(label)]
    assert newest and older and default, labels
    plugin_bar, default_bar = (
        f'svg#benchmark-chart rect[data-label="{label}"]' for label in (newest[0], default[0])
    )
    plugin_length, default_length = bar_lengths(page, plugin_bar, default_bar)
    assert plugin_length > default_length  # 2.4 M rows/s against 1.0 M


def test_a_plugin_without_benchmarks_has_no_chart(page: Page) -> None:
    page.goto("/plugins/acme-parquet-sink")

    benchmarks = page.locator("section#benchmarks")
    assert benchmarks.locator("rect[data-label]").count() == 0
    assert "no benchmark" in benchmarks.inner_text().lower()


def test_copy_puts_the_install_command_on_the_clipboard(page: Page) -> None:
    page.goto("/plugins/acme-postgres-fast")
    command = page.locator("#install-command").inner_text().strip()

    page.click("#copy-install")

    page.wait_for_function("document.querySelector('#copy-install').textContent.trim() == 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == command
    assert command == "dativo-pkg install acme-postgres-fast"


def test_the_yanked_version_is_marked_with_its_reason(page: Page) -> None:
    page.goto("/plugins/acme-postgres-fast")

    versions = page.locator("section#versions")
    yanked = versions.locator("tr.yanked")
    assert yanked.count() == 1
    assert "0.9" in yanked.inner_text()
    assert YANK_REASON in yanked.inner_text()
    live = versions.locator("tbody tr:not(.yanked)").all_inner_texts()
    assert any("1.1" in row for row in live) and any("1.0" in row for row in live)


def test_nothing_of_a_hostile_readme_runs(page: Page) -> None:
    page.goto("/plugins/acme-csv-lite")
    readme = page.locator("section#readme")
    link = readme.get_by_text("click me")
    if link.count():
        link.first.click()
        page.wait_for_load_state()

    assert readme.get_by_role("heading", name="acme-csv-lite").count() == 1
    assert page.evaluate(
        "[window.__readme_script_ran, window.__readme_handler_ran, window.__readme_link_ran]"
    ) == [None, None, None]
    assert readme.locator("script, iframe, [onerror]").count() == 0
    assert readme.locator("a[href^='javascript:' i]").count() == 0


def test_an_unknown_plugin_is_a_404_page_with_the_search_box(page: Page) -> None:
    response = page.goto("/plugins/no-such-plugin")

    assert response is not None and response.status == 404
    assert page.locator('form[role="search"] #q').is_visible()

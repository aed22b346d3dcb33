"""Keyboard only, a phone's screen, no JavaScript: the marketplace still works."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from browser_pages import CARD, focus_by_tab, result_names, search, submit_search

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

PHONE = {"width": 390, "height": 844}
IS_SEARCH_BOX = "el => el && el.id === 'q'"
IS_RESULT_LINK = "el => el && el.tagName === 'A' && el.closest('li.plugin-card') !== null"


def _focus_is_visible(page: Page) -> bool:
    """The focused element draws a focus ring (an outline or a box shadow)."""
    return bool(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
                return outline || style.boxShadow !== 'none';
            }"""
        )
    )


def test_keyboard_only_reaches_the_search_box_and_opens_a_result(page: Page) -> None:
    page.goto("/")

    focus_by_tab(page, IS_SEARCH_BOX)
    assert _focus_is_visible(page)
    page.keyboard.type("kafka")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?*q=kafka*")
    focus_by_tab(page, IS_RESULT_LINK)
    assert _focus_is_visible(page)
    page.keyboard.press("Enter")

    page.wait_for_url("**/plugins/acme-kafka-stream")
    assert "acme-kafka-stream" in page.locator("h1").first.inner_text()


def test_every_search_control_has_a_label(page: Page) -> None:
    page.goto("/")

    unlabelled = page.locator('form[role="search"] :is(input, select)').evaluate_all(
        """controls => controls
            .filter(c => c.type !== 'hidden' && c.type !== 'submit')
            .filter(c => c.labels.length === 0 && !c.getAttribute('aria-label')
                         && !c.getAttribute('aria-labelledby'))
            .map(c => c.name)"""
    )
    assert unlabelled == []
    assert page.evaluate("document.documentElement.lang")


@pytest.mark.parametrize("path", ["/?q=dativo", "/plugins/acme-postgres-fast"])
def test_a_phone_screen_needs_no_horizontal_scrolling(
    new_context: Callable[..., BrowserContext], path: str
) -> None:
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

    page.goto(path)

    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{path}: {widths[0]} px of content in {widths[1]} px"
    assert widths[1] == PHONE["width"]  # the page sets a device-width viewport


def test_without_javascript_search_submits_and_plugin_pages_render(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(java_script_enabled=False).new_page()

    assert search(page, "postgres") == ["acme-postgres-fast"]
    page.select_option("select[name=kind]", "writer")
    page.fill("#q", "dativo")
    submit_search(page)
    assert result_names(page) == ["acme-parquet-sink"]
    page.goto("/?q=postgres")
    page.locator(f'{CARD} a[href="/plugins/acme-postgres-fast"]').first.click()
    page.wait_for_url("**/plugins/acme-postgres-fast")

    assert page.locator("#install-command").inner_text().strip() == (
        "dativo-pkg install acme-postgres-fast"
    )
    assert page.locator("svg#benchmark-chart rect[data-label]").count() >= 3
    assert page.locator("section#conformance").get_by_test_id("cert-badge").inner_text() == (
        "certified"
    )

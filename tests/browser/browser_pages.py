"""What the browser tests do on the marketplace pages, in the words of the page contract."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "CARD",
    "bar_lengths",
    "count_shown",
    "focus_by_tab",
    "result_names",
    "search",
    "submit_search",
]

CARD = "#results li.plugin-card"
#: Tab presses allowed to reach an element: enough for a header, a skip link and the filters.
MAX_TABS = 40


def result_names(page: Page) -> list[str]:
    """The ``data-name`` of every result card, in page order."""
    return [name or "" for name in page.locator(CARD).evaluate_all(
        "cards => cards.map(card => card.dataset.name)"
    )]  # fmt: skip


def count_shown(page: Page) -> int:
    """The number ``<p id="result-count">`` states ("N plugins")."""
    text = page.locator("#result-count").inner_text()
    found = re.search(r"(\d[\d,]*)\s+plugins?\b", text)
    assert found is not None, f"result count says {text!r}"
    return int(found.group(1).replace(",", ""))


def submit_search(page: Page) -> None:
    """Press Enter in the search box, as a user does, and wait for the results page."""
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?"))
    page.wait_for_load_state()


def search(page: Page, query: str) -> list[str]:
    """Open ``/``, type ``query``, submit: the result names."""
    page.goto("/")
    page.fill("#q", query)
    submit_search(page)
    return result_names(page)


def focus_by_tab(page: Page, predicate: str) -> int:
    """Press Tab until ``predicate`` (a JS function of the focused element) holds; the presses."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return presses
    focused = page.evaluate("document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"not reached with {MAX_TABS} Tab presses; focus is on {focused}")


def bar_lengths(page: Page, *selectors: str) -> list[float]:
    """The rendered lengths of bars of one chart: along the side in which they differ."""
    boxes = []
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not rendered"
        boxes.append(box)
    if len({round(box["height"]) for box in boxes}) == 1:  # horizontal bars
        return [box["width"] for box in boxes]
    return [box["height"] for box in boxes]

"""The search page in a real browser: type, submit, filter, sort, nothing found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from browser_pages import CARD, count_shown, result_names, search, submit_search

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

EVERYTHING = ["acme-csv-lite", "acme-kafka-stream", "acme-parquet-sink", "acme-postgres-fast"]


def test_typing_a_query_and_submitting_shows_the_matching_plugins(page: Page) -> None:
    assert search(page, "postgres") == ["acme-postgres-fast"]

    assert "q=postgres" in page.url
    assert page.input_value("#q") == "postgres"  # the query stays in the box
    assert count_shown(page) == 1
    card = page.locator(CARD).first
    assert card.locator('a[href="/plugins/acme-postgres-fast"]').count() >= 1
    text = card.inner_text()
    assert "1.1" in text  # the newest installable version, not the yanked 0.9
    assert "fast binary COPY" in text  # the summary
    assert card.get_by_test_id("cert-badge").inner_text().strip() == "certified"


def test_a_word_of_every_summary_finds_every_plugin(page: Page) -> None:
    page.goto("/?q=dativo")

    assert sorted(result_names(page)) == EVERYTHING
    assert count_shown(page) == 4


def test_filters_narrow_the_results(page: Page) -> None:
    page.goto("/?q=dativo")
    everything = result_names(page)

    page.select_option("select[name=kind]", "writer")
    submit_search(page)
    writers = result_names(page)

    page.select_option("select[name=kind]", index=0)  # any kind
    page.select_option("select[name=certification]", "verified")
    submit_search(page)
    verified = result_names(page)

    assert writers == ["acme-parquet-sink"]
    assert count_shown(page) == len(verified) < len(everything)
    assert sorted(verified) == ["acme-kafka-stream", "acme-postgres-fast"]  # "at least"
    assert "certification=verified" in page.url


def test_signed_by_a_verified_publisher_leaves_out_unsigned_and_former_keys(page: Page) -> None:
    page.goto("/?q=dativo")

    page.check("input[name=signed]")
    submit_search(page)

    assert sorted(result_names(page)) == ["acme-kafka-stream", "acme-postgres-fast"]
    assert page.is_checked("input[name=signed]")


def test_sorting_by_name_and_by_throughput(page: Page) -> None:
    page.goto("/?q=dativo")

    page.select_option("select[name=sort]", "name")
    submit_search(page)
    by_name = result_names(page)
    page.select_option("select[name=sort]", "throughput")
    submit_search(page)
    by_throughput = result_names(page)

    assert by_name == EVERYTHING
    # 2.4x the built-in default, then 0.8x; plugins without a benchmark come last
    assert by_throughput[:2] == ["acme-postgres-fast", "acme-csv-lite"]
    assert sorted(by_throughput) == EVERYTHING


def test_a_query_matching_nothing_says_so(page: Page) -> None:
    assert search(page, "zzzz-no-such-plugin") == []

    assert page.locator("#no-results").is_visible()


def test_html_and_sql_in_the_query_are_text(page: Page) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    query = "<script>alert(1)</script>' OR 1=1; -- \"*"

    assert search(page, query) == []

    assert page.input_value("#q") == query  # shown back as typed, not interpreted
    assert dialogs == []
    assert page.locator("#no-results").is_visible()
    assert not page.evaluate("[...document.scripts].some(s => s.text.includes('alert(1)'))")

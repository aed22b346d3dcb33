"""The pure renderers of dativo_index: README sanitizing, config tables, charts, report bodies."""

from __future__ import annotations

import math
from typing import Any

import pytest
from web_html import parse

from dativo_index import markdown
from dativo_index.charts import Bar, bar_chart
from dativo_index.markdown import render_readme
from dativo_index.pages import SearchView
from dativo_index.reports import benchmark_result, conformance_checks
from dativo_index.schema_table import schema_rows

XSS = [
    ("<script>alert(1)</script>x", "<script"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ('<a href="javascript:alert(1)">a</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">a</a>', "avascript:"),
    ('<a href=" javascript:alert(1)">a</a>', "javascript"),
    ("[a](javascript:alert(1))", 'href="javascript'),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">a</a>', "data:"),
    ('<a href="vbscript:msgbox(1)">a</a>', "vbscript"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ('<p style="position:fixed">x</p>', "style="),
    ('<div onmouseover="alert(1)">x</div>', "onmouseover"),
    ('<svg onload="alert(1)"><circle/></svg>', "<svg"),
    ('<form action="https://evil.example"><input name="p"></form>', "<form"),
    ('<object data="x.swf"></object>', "<object"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "<meta"),
    ('<base href="https://evil.example/">', "<base"),
    ('<span class="badge badge-certified" data-testid="cert-badge">certified</span>', "badge"),
    ('<a id="install-command">x</a>', 'id="install-command"'),
    ("<!-- <script>alert(1)</script> -->", "<!--"),
    ('<img src="x" srcset="javascript:alert(1)">', "javascript"),
    ("<math><mi xlink:href='javascript:alert(1)'>x</mi></math>", "javascript"),
]

#: The multiplication sign the pages print ratios with.
TIMES = "\u00d7"


@pytest.mark.parametrize(("source", "forbidden"), XSS)
def test_readme_markdown_is_sanitized(source: str, forbidden: str) -> None:
    readme = render_readme(f"# Title\n\n{source}\n", "text/markdown")
    assert readme is not None
    assert forbidden.lower() not in readme.html.lower()
    assert "<h3>Title</h3>" in readme.html  # headings two levels down: h1 and h2 are the page's


def test_readme_keeps_ordinary_markdown() -> None:
    source = (
        "Some **bold**, `code` and [a link](https://example.com).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '![logo](https://example.com/logo.png "Logo")\n\n'
        "<details><summary>More</summary>hidden</details>\n"
    )
    readme = render_readme(source, "text/markdown; charset=UTF-8; variant=GFM")
    assert readme is not None
    html = readme.html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert '<img src="https://example.com/logo.png" alt="logo" title="Logo">' in html
    assert "<details><summary>More</summary>hidden</details>" in html


@pytest.mark.parametrize("content_type", [None, "text/plain", "text/x-rst"])
def test_a_readme_that_is_not_markdown_is_escaped_text(content_type: str | None) -> None:
    readme = render_readme("**not bold** <script>alert(1)</script>", content_type)
    assert readme is not None
    assert readme.html == (
        '<pre class="readme-plain">**not bold** &lt;script&gt;alert(1)&lt;/script&gt;</pre>'
    )


def test_no_readme() -> None:
    assert render_readme(None) is None
    assert render_readme("  \n") is None


def test_a_huge_readme_is_cut_at_a_line_break(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "MAX_README_BYTES", 1000)
    source = "".join(f"line {n} with **words**\n" for n in range(200))
    readme = render_readme(source, "text/markdown")
    assert readme is not None and readme.truncated
    assert readme.size == len(source.encode())
    assert "line 30 with" in readme.html and "line 199" not in readme.html
    assert readme.html.rstrip().endswith("</p>")  # cut between lines, not inside markup
    small = render_readme("short", "text/markdown")
    assert small is not None and not small.truncated


def test_a_cut_never_splits_a_character(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "MAX_README_BYTES", 101)
    readme = render_readme("é" * 200, "text/plain")  # no line break: cut mid-text
    assert readme is not None and readme.truncated
    assert "\ufffd" not in readme.html and "é" * 50 in readme.html


def test_config_schema_rows_follow_refs_and_optionals() -> None:
    schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Where", "title": "Path"},
            "rows": {"type": "integer", "default": 10, "minimum": 1, "title": "Rows"},
            "mode": {"enum": ["fast", "safe"], "default": "fast"},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
            "auth": {"anyOf": [{"$ref": "#/$defs/Auth"}, {"type": "null"}], "default": None},
            "loop": {"$ref": "#/$defs/Loop"},
        },
        "required": ["path"],
        "$defs": {
            "Auth": {
                "title": "Auth",
                "type": "object",
                "properties": {
                    "user": {"type": "string"},
                    "secret": {"type": "string", "format": "password", "writeOnly": True},
                },
                "required": ["user"],
            },
            "Loop": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Loop"}}},
        },
    }
    rows = {row.field: row for row in schema_rows(schema)}
    assert rows["path"].type == "string" and rows["path"].required
    assert rows["path"].description == "Where"
    assert rows["rows"].default == "10" and rows["rows"].description == "≥ 1"
    assert rows["mode"].type == '"fast" | "safe"' and rows["mode"].default == '"fast"'
    assert rows["tags"].type == "array of string"
    assert rows["auth"].type == "object (Auth) | null" and rows["auth"].default == "null"
    assert rows["auth.user"].required and not rows["auth.secret"].required
    assert rows["auth.secret"].type == "string (password)"
    assert "loop.next.next.next.next" in rows  # a cycle stops at the depth limit
    assert not any(field.count(".") > 5 for field in rows)


@pytest.mark.parametrize(
    "schema", [None, "text", [], {"properties": []}, {"properties": {"x": 5}}, {"$ref": "#/x"}]
)
def test_odd_config_schemas_give_rows_or_nothing(schema: Any) -> None:
    rows = schema_rows(schema)
    assert all(row.field == "x" and row.type == "any" for row in rows)


def test_the_chart_draws_a_bar_per_value_and_escapes_labels() -> None:
    svg = bar_chart(
        [
            Bar('<b>"x"</b> 2.0', 900_000, 2.0),
            Bar("x 1.0", 300_000, 0.75),
            Bar("csv (built-in)", 450_000, 1.0, role="baseline"),
        ],
        title="Rows per second",
    )
    root = parse(str(svg))
    chart = root.find("svg")
    assert chart["role"] == "img" and chart["id"] == "benchmark-chart"
    assert f"900,000 rows/s (2.00{TIMES} the default)" in chart["aria-label"]
    rects = root.find_all("rect")
    assert [r["data-label"] for r in rects] == ['<b>"x"</b> 2.0', "x 1.0", "csv (built-in)"]
    assert [r["data-role"] for r in rects] == ["plugin", "plugin", "baseline"]
    widths = [float(r["width"]) for r in rects]
    assert widths[0] == max(widths) and widths[1] < widths[2] < widths[0]
    assert "<b>" not in str(svg)
    assert f"900,000 rows/s · 2.00{TIMES}" in root.text
    assert bar_chart([], title="none") == ""


def test_benchmark_bodies_are_read_defensively() -> None:
    body = {
        "dataset": {"rows": 1000, "fixture": "orders"},
        "results": [
            {"role": "plugin", "plugin": "x", "rows_per_second": 300.0, "mb_per_second": 1.5},
            {"role": "baseline", "plugin": "csv (built-in)", "rows_per_second": 100},
        ],
    }
    result = benchmark_result(body)
    assert result is not None and result.rows == 1000 and result.fixture == "orders"
    assert result.ratio == 3.0 and result.baseline is not None
    assert result.baseline.label == "csv (built-in)"
    for junk in (None, [], {"results": "x"}, {"results": [{"role": "plugin"}]},
                 {"results": [{"role": "plugin", "rows_per_second": math.inf}]},
                 {"results": [{"role": "plugin", "rows_per_second": True}]}):  # fmt: skip
        assert benchmark_result(junk) is None
    assert conformance_checks({"checks": [1, None, {"id": 3}]})[0].id == "3"
    assert conformance_checks({"checks": "x"}) == [] == conformance_checks(None)


def test_search_view_pages_and_queries() -> None:
    view = SearchView(q="a&b", kind="reader", signed=True, sort="name", page=7, total=400)
    assert view.pages == 20
    assert view.page_numbers() == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert view.query(8) == "?q=a%26b&kind=reader&signed=1&sort=name&page=8"
    assert view.query(1) == "?q=a%26b&kind=reader&signed=1&sort=name"
    assert SearchView().query() == "" and SearchView().pages == 1
    assert SearchView(page=2, total=40).page_numbers() == [1, 2]

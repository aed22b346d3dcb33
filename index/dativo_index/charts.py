"""The benchmark chart: horizontal bars as inline SVG, readable without any script.

One bar per measured version of the plugin and one for the built-in default
it was measured against, each labelled with its value and its ratio to the
default. The SVG scales with its container (``viewBox``, width 100%); it is
an image to assistive technology (``role="img"``) whose ``aria-label`` says
every value, and the page shows the same numbers in a table beside it.
Every bar is a ``<rect data-label=... data-role="plugin"|"baseline">`` so
tests and scripts can find it. Colours come from the stylesheet (classes),
with fallbacks in the SVG for a page without CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from markupsafe import Markup

__all__ = ["Bar", "bar_chart", "format_rate", "format_ratio"]

_WIDTH = 720
_LABEL_WIDTH = 190
_VALUE_WIDTH = 220
_BAR_HEIGHT = 24
_GAP = 12
_TOP = 8
_MAX_LABEL = 26


@dataclass(frozen=True)
class Bar:
    label: str
    #: Rows per second.
    value: float
    #: Ratio to the built-in default (None: unknown); the default itself has 1.0.
    ratio: float | None
    role: Literal["plugin", "baseline"] = "plugin"


def format_rate(value: float) -> str:
    return f"{value:,.0f} rows/s"


def format_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}\u00d7"


def bar_chart(bars: Sequence[Bar], *, title: str, chart_id: str = "benchmark-chart") -> Markup:
    """``bars`` as an inline ``<svg>``; an empty Markup when there is nothing to draw."""
    if not bars:
        return Markup("")
    top = max((b.value for b in bars if b.value > 0), default=1.0)
    span = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    height = _TOP * 2 + len(bars) * (_BAR_HEIGHT + _GAP) - _GAP
    parts = [
        f'<svg id="{_attr(chart_id)}" class="chart" role="img" '
        f'aria-label="{_attr(_summary(title, bars))}" '
        f'viewBox="0 0 {_WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_text(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        y = _TOP + index * (_BAR_HEIGHT + _GAP)
        width = max(2.0, span * max(bar.value, 0.0) / top)
        middle = y + _BAR_HEIGHT / 2
        fill = "#1d4ed8" if bar.role == "plugin" else "#4b5563"
        value = format_rate(bar.value)
        if bar.ratio is not None:
            value += f" · {format_ratio(bar.ratio)}"
        parts += [
            f'<g class="bar bar-{bar.role}">',
            f'<text class="bar-label" x="{_LABEL_WIDTH - 10}" y="{middle:.1f}" '
            f'text-anchor="end" dominant-baseline="middle">{_text(_short(bar.label))}</text>',
            f'<rect data-label="{_attr(bar.label)}" data-role="{bar.role}" '
            f'data-value="{bar.value:.1f}" x="{_LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
            f'height="{_BAR_HEIGHT}" rx="3" fill="{fill}"><title>{_text(bar.label)}: '
            f"{_text(value)}</title></rect>",
            f'<text class="bar-value" x="{_LABEL_WIDTH + width + 8:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle">{_text(value)}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def _summary(title: str, bars: Sequence[Bar]) -> str:
    """Everything the chart shows, in words (its accessible name)."""
    said = []
    for bar in bars:
        ratio = f" ({format_ratio(bar.ratio)} the default)" if bar.ratio is not None else ""
        if bar.role == "baseline":
            ratio = ""
        said.append(f"{bar.label}: {format_rate(bar.value)}{ratio}")
    return f"{title}. " + "; ".join(said)


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)

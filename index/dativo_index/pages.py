"""What the marketplace pages show: plain view models, filled by the registry, read by templates.

:class:`SearchView` is the search page (the form as submitted, one page of
:class:`Card` results, pagination links); :class:`PluginView` is a plugin's
page. Values here are plain data: every string is escaped by the templates
(autoescape), except the README and the chart, which are built as safe
markup by :mod:`.markdown` and :mod:`.charts`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from markupsafe import Markup

from dativo_index.charts import Bar, bar_chart
from dativo_index.markdown import Readme
from dativo_index.reports import BenchmarkResult, Check
from dativo_index.schema_table import SchemaRow

__all__ = [
    "KINDS",
    "LANGUAGES",
    "LEVELS",
    "SORTS",
    "BenchmarkRow",
    "Card",
    "ConfigTable",
    "Conformance",
    "PluginView",
    "SearchView",
    "SignerView",
    "VersionRow",
]

KINDS = ("reader", "writer")
LANGUAGES = ("python", "rust", "go", "c++", "java", "other")
LEVELS = ("compatible", "verified", "certified")
#: Sort keys and how the form names them.
SORTS = {
    "relevance": "Relevance",
    "name": "Name",
    "newest": "Newest",
    "downloads": "Downloads",
    "throughput": "Throughput",
}
#: Page links shown on each side of the current page.
_PAGE_WINDOW = 2


@dataclass(frozen=True)
class Card:
    """One plugin in the results: a project's newest installable plugin release."""

    name: str
    normalized: str
    version: str
    summary: str | None
    kinds: Sequence[str]
    connectors: Sequence[str]
    languages: Sequence[str]
    certification: str | None
    signer: str | None
    verified_publisher: bool
    downloads: int
    throughput_ratio: float | None
    updated: dt.datetime | None = None

    @property
    def badge(self) -> str:
        return self.certification or "uncertified"


@dataclass(frozen=True)
class SearchView:
    """The search form as submitted (invalid choices already dropped) and one page of results."""

    q: str = ""
    kind: str = ""
    connector: str = ""
    language: str = ""
    certification: str = ""
    signed: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    total: int = 0
    cards: Sequence[Card] = ()

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def filters(self) -> bool:
        """Whether a filter (not the words) narrows the results."""
        return bool(self.kind or self.connector or self.language or self.certification) or (
            self.signed
        )

    @property
    def filtered(self) -> bool:
        """Whether words or filters narrow the results (else an empty registry is empty)."""
        return bool(self.q) or self.filters

    def query(self, page: int | None = None) -> str:
        """The query string of this search at ``page`` (only what differs from the defaults)."""
        params = {
            "q": self.q,
            "kind": self.kind,
            "connector": self.connector,
            "language": self.language,
            "certification": self.certification,
            "signed": "1" if self.signed else "",
            "sort": "" if self.sort == "relevance" else self.sort,
            "page": "" if (page or self.page) == 1 else str(page or self.page),
        }
        encoded = urlencode({key: value for key, value in params.items() if value})
        return f"?{encoded}" if encoded else ""

    def page_numbers(self) -> list[int | None]:
        """Page links to show: first, last and a window around the current page; None is a gap."""
        wanted = {1, self.pages, *range(self.page - _PAGE_WINDOW, self.page + _PAGE_WINDOW + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for number in shown:
            if out and out[-1] is not None and number - out[-1] > 1:
                out.append(None)
            out.append(number)
        return out


@dataclass(frozen=True)
class VersionRow:
    version: str
    created: dt.datetime | None
    yanked: bool
    yanked_reason: str | None
    certification: str | None
    #: Whether this is the release the page shows.
    current: bool = False


@dataclass(frozen=True)
class ConfigTable:
    """The config fields of one plugin of the release (a release may carry several)."""

    kind: str
    connector: str
    rows: Sequence[SchemaRow]


@dataclass(frozen=True)
class Conformance:
    """The newest signed conformance report of the shown release."""

    checks: Sequence[Check]
    #: The level the report claims (the badge shows what the registry grants).
    claimed: str | None
    signer: str | None
    created: str | None
    subject: str | None


@dataclass(frozen=True)
class BenchmarkRow:
    """The newest signed benchmark of one version."""

    version: str
    result: BenchmarkResult


@dataclass(frozen=True)
class SignerView:
    """Who signed the shown release's wheel, and whether that is a current publisher."""

    status: Literal["verified", "unverified", "unsigned"]
    kind: Literal["oidc", "key", ""] = ""
    identity: str | None = None
    issuer: str | None = None
    key_id: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class PluginView:
    name: str
    normalized: str
    version: str
    summary: str | None
    readme: Readme | None
    certification: str | None
    signer: SignerView
    downloads: int
    plugins: Sequence[tuple[str, str, str]] = ()
    versions: Sequence[VersionRow] = ()
    configs: Sequence[ConfigTable] = ()
    conformance: Conformance | None = None
    #: Reports that are not signed statements: shown as a count only (they bind no file).
    unsigned_reports: int = 0
    benchmarks: Sequence[BenchmarkRow] = ()
    links: Sequence[tuple[str, str]] = ()
    license: str | None = None
    requires_python: str | None = None
    #: Whether the shown release is installable (not yanked, has a file).
    installable: bool = True

    @property
    def badge(self) -> str:
        return self.certification or "uncertified"

    @property
    def install_command(self) -> str:
        return f"dativo-pkg install {self.normalized}"

    def chart(self) -> Markup:
        """Rows/s of each version's benchmark and of the built-in default (newest first)."""
        if not self.benchmarks:
            return Markup("")
        bars = [
            Bar(f"{self.name} {row.version}", row.result.plugin.rows_per_second, row.result.ratio)
            for row in self.benchmarks
        ]
        baseline = next((r.result.baseline for r in self.benchmarks if r.result.baseline), None)
        if baseline is not None:
            label = baseline.label or "built-in default"
            if "built-in" not in label:
                label += " (built-in)"
            bars.append(Bar(label, baseline.rows_per_second, 1.0, role="baseline"))
        return bar_chart(bars, title=f"Rows per second: {self.name} and the built-in default")

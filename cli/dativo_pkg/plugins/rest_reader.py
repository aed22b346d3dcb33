"""The built-in ``rest`` reader: records from a paginated JSON API, one batch per page.

Choices worth knowing:

- **One RecordBatch per page.** A page is what the API decided is a
  reasonable unit, it is already whole in memory once decoded, and emitting
  it at once keeps memory bounded by the page size. Empty pages yield nothing.
- **The schema is fixed before the first batch.** Either declared in
  ``schema`` (field -> Arrow type name), or inferred from the first page.
  Later pages are converted *to* that schema: missing fields become null,
  fields the schema lacks are dropped (logged once, by name), a value that
  does not convert is a DataError naming the page, record and field. JSON has
  no dates, so ISO 8601 strings are parsed for ``date32`` and ``timestamp``
  fields (offsets are converted to UTC).
- **``schema()`` may fetch the first page** (when no schema is declared); the
  page is kept so ``read()`` does not fetch it again when its first request
  is the same. An incremental read that adds ``incremental_param`` asks a
  different first request, so it fetches its own.
- **Retries** (429, 500, 502, 503, 504, network errors and timeouts) back off
  exponentially with "equal jitter" (half fixed, half random) up to
  ``max_backoff_seconds``; a ``Retry-After`` on 429/503 replaces the computed
  delay, within the same cap so a server cannot stall a job for hours.
  Other HTTP errors fail at once.
- **Secrets.** Header values are ``SecretStr`` (masked in reprs) and never
  appear in messages or logs; URLs in messages and logs lose their query
  string and user info. httpx itself logs each request URL *with* its query
  at INFO, so put credentials in ``headers``, not in ``params``.
- **Incremental.** ``filters_incremental`` stays False: ``incremental_param``
  is pushdown the API may or may not honour exactly, and the runtime filters
  the rows again anyway.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
import pyarrow as pa
from pydantic import Field, SecretStr, field_validator

from dativo_pkg.errors import DataError, SourceUnreachable
from dativo_pkg.plugins._pagination import (
    NoPagination,
    Page,
    PageRequest,
    Pagination,
    QueryValue,
    lookup,
)
from dativo_pkg.sdk import Incremental, PluginConfig, Reader

__all__ = ["RestReader", "RestReaderConfig"]

log = logging.getLogger(__name__)

#: Statuses worth another attempt: rate limiting and transient server trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Statuses whose Retry-After header we honour.
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Transport failures worth another attempt (connect errors, resets, timeouts).
RETRY_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)

_STATUS_HINTS: dict[int, str] = {
    400: "the API refused the request: check `params`, `pagination` and `incremental_param`",
    401: "the API refused the credentials: check the Authorization (or API key) entry "
    "in `headers` and that the token has not expired",
    403: "the credentials were accepted but lack permission: check the token's scopes "
    "and the `headers` entries",
    404: "check `url` and the pagination parameters against the API documentation",
}
_DEFAULT_HINT = "check `url`, `params` and `headers` against the API documentation"

#: JSON has no dates: ISO 8601 strings are parsed for these Arrow types.
_STRING_PARSERS: tuple[tuple[Callable[[pa.DataType], bool], Callable[[str], Any]], ...] = (
    (pa.types.is_timestamp, datetime.fromisoformat),
    (pa.types.is_date, date.fromisoformat),
)
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError, TypeError)


class RestReaderConfig(PluginConfig):
    """Config of the ``rest`` reader."""

    url: str = Field(description="Absolute http(s) URL of the endpoint listing the records.")
    method: Literal["GET"] = Field("GET", description="HTTP method; only GET is supported.")
    params: dict[str, QueryValue] = Field(
        default_factory=dict,
        description="Query parameters sent with every request (merged over the URL's own). "
        "Not for secrets: request URLs may be logged; use `headers`.",
    )
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="HTTP headers sent with every request, e.g. Authorization. "
        "Values are secret: never logged nor shown in errors.",
    )
    records_path: str = Field(
        "",
        description="Dot path to the list of records in the response JSON, e.g. `data.items`. "
        "Empty: the response itself is the list.",
    )
    pagination: Pagination = Field(
        default_factory=NoPagination,
        description="How to fetch the following pages, chosen by `type`: none, page, offset, "
        "cursor or next_link.",
    )
    incremental_param: str | None = Field(
        None,
        description="Query parameter receiving the incremental state (e.g. `updated_since`) "
        "so the API returns only newer records; dates and datetimes are sent in ISO 8601. "
        "The runtime filters the rows again, so an inclusive API is fine.",
    )
    columns: dict[str, str] | None = Field(
        None,
        alias="schema",
        min_length=1,
        description="Field name -> Arrow type name (int64, float64, string, bool, date32, "
        "timestamp[us], ...). Absent: inferred from the first page.",
    )
    timeout_seconds: float = Field(30.0, gt=0, description="Timeout of each HTTP request.")
    max_retries: int = Field(5, ge=0, description="Retries after a failed attempt.")
    backoff_seconds: float = Field(
        0.5, ge=0, description="First retry delay; doubles on each retry (with jitter)."
    )
    max_backoff_seconds: float = Field(
        30.0, ge=0, description="Longest wait between attempts, Retry-After included."
    )
    max_pages: int | None = Field(
        None, ge=1, description="Safety cap: stop (with a warning) after this many pages."
    )

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        try:
            parsed = httpx.URL(value)
        except httpx.InvalidURL:
            raise ValueError("not a valid URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value

    @field_validator("columns")
    @classmethod
    def _known_arrow_types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, type_name in (value or {}).items():
            try:
                pa.type_for_alias(type_name)
            except ValueError:
                raise ValueError(
                    f"field {name!r}: unknown Arrow type {type_name!r} (use a name such as "
                    "int64, float64, string, bool, date32 or timestamp[us])"
                ) from None
        return value


class RestReader(Reader[RestReaderConfig]):
    """Reads a paginated JSON API with httpx; one client per reader."""

    config_model = RestReaderConfig
    capabilities = ("incremental-param", "pagination", "retries")

    def __init__(self, config: RestReaderConfig) -> None:
        super().__init__(config)
        self._client: httpx.Client | None = None  # made on first use: no I/O before
        self._schema: pa.Schema | None = None
        self._first_page: Page | None = None  # fetched by schema()/check(), not yet read

    def check(self) -> None:
        self._fetch_first_page()

    def schema(self) -> pa.Schema:
        if self._schema is None:
            declared = self.config.columns
            self._schema = _arrow_schema(declared) if declared else self._inferred_schema()
        return self._schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        converter = _RecordConverter(self.schema())
        request: PageRequest | None = self._first_request(incremental)
        number = 1
        while request is not None:
            page = self._take_first_page(request) if number == 1 else self._fetch(request, number)
            batch = converter.convert(page)
            if batch.num_rows:
                yield batch
            request = self._next_request(page)
            number += 1

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- pages ---------------------------------------------------------------

    def _first_request(self, incremental: Incremental | None) -> PageRequest:
        """The configured URL's own query, then `params`, then the incremental state."""
        base = httpx.URL(self.config.url)
        params: dict[str, QueryValue] = {**dict(base.params), **self.config.params}
        name = self.config.incremental_param
        if name and incremental is not None and incremental.after is not None:
            after = incremental.after
            params[name] = after.isoformat() if isinstance(after, date) else after
        url = base.copy_with(query=None, userinfo=b"")  # user info goes to `auth`, see _http
        return self.config.pagination.first(str(url), params)

    def _next_request(self, page: Page) -> PageRequest | None:
        following = self.config.pagination.next(page)
        if following is not None and following == page.request:
            raise DataError(
                f"page {page.number}: the API pointed back to the same page, "
                "so pagination would never end",
                hint="check `pagination` (cursor_path / next_path) against the API",
            )
        limit = self.config.max_pages
        if following is not None and limit is not None and page.number >= limit:
            log.warning("stopping after max_pages=%d pages; the API has more", limit)
            return None
        return following

    def _fetch_first_page(self, request: PageRequest | None = None) -> Page:
        """The first page, fetched once and kept until a read consumes it."""
        request = request or self._first_request(None)
        if self._first_page is None or self._first_page.request != request:
            self._first_page = self._fetch(request, 1)
        return self._first_page

    def _take_first_page(self, request: PageRequest) -> Page:
        """The first page for a read, dropped from the cache: a second read fetches anew."""
        page = self._fetch_first_page(request)
        self._first_page = None
        return page

    def _fetch(self, request: PageRequest, number: int) -> Page:
        response = self._get(request)
        try:
            body = response.json()
        except ValueError as exc:
            raise DataError(
                f"page {number}: the response body is not JSON",
                hint="check `url`: it must answer with a JSON document",
            ) from exc
        where = self.config.records_path or "(the response itself)"
        records = lookup(body, self.config.records_path)
        if not isinstance(records, list):
            raise DataError(
                f"page {number}: no list of records at records_path {where}",
                hint="set `records_path` to the dot path of the list, e.g. `data.items`",
            )
        links = {rel: link["url"] for rel, link in response.links.items() if rel and "url" in link}
        return Page(number, request, str(response.url), body, records, links)

    # -- HTTP with retries ---------------------------------------------------

    def _get(self, request: PageRequest) -> httpx.Response:
        """GET with retries; raises SourceUnreachable with a safe URL and a hint."""
        where = _safe_url(request.url)
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            delay = _backoff(self.config, attempt)
            try:
                response = self._http().get(request.url, params=request.params or None)
            except RETRY_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc}"
            except httpx.HTTPError as exc:
                raise SourceUnreachable(
                    f"GET {where} failed: {type(exc).__name__}: {exc}", hint=_DEFAULT_HINT
                ) from exc
            else:
                if response.is_success:
                    return response
                status = response.status_code
                failure = f"HTTP {status} {response.reason_phrase}"
                if status not in RETRY_STATUSES:
                    raise SourceUnreachable(
                        f"GET {where} answered {failure}",
                        hint=_STATUS_HINTS.get(status, _DEFAULT_HINT),
                    )
                asked = _retry_after(response, self.config.max_backoff_seconds)
                delay = delay if asked is None else asked
            if attempt < attempts:
                log.warning(
                    "GET %s: %s; retry %d of %d in %.2f s",
                    where,
                    failure,
                    attempt,
                    attempts - 1,
                    delay,
                )
                time.sleep(delay)
        raise SourceUnreachable(
            f"cannot read {where}: gave up after {attempts} attempt(s), last: {failure}",
            hint="check that the API is up and reachable from here; raise `max_retries` "
            "or `backoff_seconds` if it is only slow or rate limited",
        )

    def _http(self) -> httpx.Client:
        """The reader's one client. User info in `url` becomes basic auth, so that no
        request URL (which httpx logs) carries the password."""
        if self._client is None:
            base = httpx.URL(self.config.url)
            self._client = httpx.Client(
                headers={k: v.get_secret_value() for k, v in self.config.headers.items()},
                auth=(base.username, base.password) if base.username else None,
                timeout=httpx.Timeout(self.config.timeout_seconds),
                follow_redirects=True,
            )
        return self._client

    # -- schema --------------------------------------------------------------

    def _inferred_schema(self) -> pa.Schema:
        page = self._fetch_first_page()
        _check_objects(page)
        try:
            return pa.RecordBatch.from_pylist(page.records).schema
        except _ARROW_ERRORS as exc:
            raise DataError(
                f"page 1: cannot infer a schema from the records: {exc}",
                hint="declare the field types in `schema`",
            ) from exc


class _RecordConverter:
    """Turns the JSON records of a page into a RecordBatch of one fixed schema."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._parsers = {
            f.name: parse for f in schema for is_type, parse in _STRING_PARSERS if is_type(f.type)
        }
        self._dropped: set[str] = set()

    def convert(self, page: Page) -> pa.RecordBatch:
        _check_objects(page)
        if page.records and not self.schema.names:
            raise DataError(
                f"page {page.number} has records but the schema has no fields "
                "(it was inferred from an empty first page)",
                hint="declare the field types in `schema`",
            )
        self._warn_dropped(page.records)
        records = [self._parse_strings(page, i, r) for i, r in enumerate(page.records)]
        try:
            return pa.RecordBatch.from_pylist(records, schema=self.schema)
        except _ARROW_ERRORS as exc:
            raise self._locate(page, records) from exc

    def _warn_dropped(self, records: list[dict[str, Any]]) -> None:
        unknown = set().union(*records) - set(self.schema.names) - self._dropped
        if unknown:
            log.warning("dropping fields not in the schema: %s", ", ".join(sorted(unknown)))
            self._dropped |= unknown

    def _parse_strings(self, page: Page, index: int, record: dict[str, Any]) -> dict[str, Any]:
        if not self._parsers:
            return record
        parsed = dict(record)
        for name, parse in self._parsers.items():
            value = record.get(name)
            if not isinstance(value, str):
                continue
            try:
                parsed[name] = parse(value)
            except ValueError as exc:
                raise DataError(
                    f"page {page.number}, record {index}, field {name!r}: "
                    f"not an ISO 8601 date or time: {exc}",
                    hint="fix the data, or declare the field as `string` in `schema`",
                ) from exc
        return parsed

    def _locate(self, page: Page, records: list[dict[str, Any]]) -> DataError:
        """Find the first value that does not convert (slow path, errors only)."""
        for index, record in enumerate(records):
            for f in self.schema:
                try:
                    pa.array([record.get(f.name)], type=f.type)
                except _ARROW_ERRORS as exc:
                    return DataError(
                        f"page {page.number}, record {index}, field {f.name!r}: "
                        f"does not convert to {f.type}: {exc}",
                        hint="fix the data, or declare the field's type in `schema`",
                    )
        return DataError(f"page {page.number}: the records do not convert to the schema")


def _arrow_schema(columns: dict[str, str]) -> pa.Schema:
    return pa.schema([(name, pa.type_for_alias(type_name)) for name, type_name in columns.items()])


def _check_objects(page: Page) -> None:
    for index, record in enumerate(page.records):
        if not isinstance(record, dict):
            raise DataError(
                f"page {page.number}, record {index}: a record must be a JSON object, "
                f"not {type(record).__name__}",
                hint="check `records_path`: it must lead to a list of objects",
            )


def _safe_url(url: str) -> str:
    """The URL without query string, fragment or user info: fit for messages and logs."""
    return str(httpx.URL(url).copy_with(query=None, fragment=None, userinfo=b""))


def _backoff(config: RestReaderConfig, attempt: int) -> float:
    """Exponential delay with equal jitter: half fixed, half random, capped."""
    delay = min(config.max_backoff_seconds, config.backoff_seconds * 2.0 ** (attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def _retry_after(response: httpx.Response, cap: float) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or HTTP date), capped; None if not."""
    value = response.headers.get("Retry-After")
    if response.status_code not in RETRY_AFTER_STATUSES or value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(cap, max(0.0, seconds))

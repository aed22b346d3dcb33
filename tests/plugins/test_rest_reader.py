"""The rest reader against a real HTTP server on 127.0.0.1.

The server (`api` fixture) is a ThreadingHTTPServer whose routes are plain
functions from the request to a reply, and which records every request it
receives so tests can count attempts and look at the query sent.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa
import pytest

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.plugins._pagination import lookup
from dativo_pkg.plugins.rest_reader import RestReader
from dativo_pkg.sdk import Incremental

TOKEN = "Bearer s3cr3t-t0ken-value"
FAST = {"backoff_seconds": 0.01, "max_backoff_seconds": 0.01}

# -- the programmable server -------------------------------------------------


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded, unless it is bytes
    headers: dict[str, str] = field(default_factory=dict)
    hang_up: bool = False  # close the connection without answering


Route = Callable[[Request], Reply]


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def script(self, path: str, *replies: Reply) -> None:
        """Answer `path` with these replies in order; the last one repeats."""
        queue = list(replies)
        self.routes[path] = lambda _: queue.pop(0) if len(queue) > 1 else queue[0]

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(parts.path, dict(parse_qsl(parts.query)), dict(self.headers))
            api.requests.append(request)
            route = api.routes.get(parts.path)
            reply = route(request) if route else Reply(404, {"error": "no such route"})
            if reply.hang_up:
                self.close_connection = True
                return
            raw = reply.body
            data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def read_all(
    config: dict[str, Any], incremental: Incremental | None = None
) -> list[pa.RecordBatch]:
    with RestReader.from_config(config) as reader:
        batches = list(reader.read(incremental))
        for batch in batches:
            assert batch.schema == reader.schema()
        return batches


def ids(batches: list[pa.RecordBatch]) -> list[int]:
    return [i for b in batches for i in b.column("id").to_pylist()]


# -- pagination styles -------------------------------------------------------

DATA = [{"id": i, "name": f"n{i}"} for i in range(7)]


def _page_route(req: Request) -> Reply:
    page, size = int(req.query["page"]), int(req.query["per_page"])
    return Reply(body={"data": DATA[(page - 1) * size : page * size]})


def _zero_based_page_route(req: Request) -> Reply:
    page = int(req.query["p"])
    return Reply(body={"data": DATA[page * 3 : (page + 1) * 3]})


def _offset_route(req: Request) -> Reply:
    offset, limit = int(req.query["offset"]), int(req.query["limit"])
    return Reply(body={"data": DATA[offset : offset + limit]})


def _cursor_route(req: Request) -> Reply:
    start = int(req.query.get("after", 0))
    more = start + 3 < len(DATA)
    return Reply(
        body={"data": DATA[start : start + 3], "meta": {"next": str(start + 3) if more else None}}
    )


def _body_link_route(req: Request) -> Reply:
    start = int(req.query.get("start", 0))
    more = start + 3 < len(DATA)
    link = f"/items?start={start + 3}" if more else None  # relative: resolved by the reader
    return Reply(body={"data": DATA[start : start + 3], "links": {"next": link}})


def _header_link_route(req: Request) -> Reply:
    start = int(req.query.get("start", 0))
    port = req.headers["Host"].rsplit(":", 1)[1]
    links = f'<http://127.0.0.1:{port}/items?start={start + 3}>; rel="next", </x>; rel="last"'
    headers = {"Link": links} if start + 3 < len(DATA) else {}
    return Reply(body={"data": DATA[start : start + 3]}, headers=headers)


@pytest.mark.parametrize(
    ("pagination", "route", "sent"),
    [
        ({"type": "none"}, lambda _: Reply(body={"data": DATA}), [{}]),
        (
            {"type": "page", "page_size": 3},
            _page_route,
            [{"page": "1", "per_page": "3"}, {"page": "2"}, {"page": "3"}, {"page": "4"}],
        ),
        (
            {
                "type": "page",
                "page_size": 3,
                "page_param": "p",
                "size_param": None,
                "start_page": 0,
            },
            _zero_based_page_route,
            [{"p": "0"}, {"p": "1"}, {"p": "2"}, {"p": "3"}],
        ),
        (
            {"type": "offset", "limit": 3},
            _offset_route,
            [{"offset": "0", "limit": "3"}, {"offset": "3"}, {"offset": "6"}],
        ),
        (
            {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "after"},
            _cursor_route,
            [{}, {"after": "3"}, {"after": "6"}],
        ),
        (
            {"type": "next_link", "next_path": "links.next"},
            _body_link_route,
            [{}, {"start": "3"}, {"start": "6"}],
        ),
        ({"type": "next_link"}, _header_link_route, [{}, {"start": "3"}, {"start": "6"}]),
    ],
    ids=["none", "page", "page-from-0-no-size", "offset", "cursor", "body-link", "link-header"],
)
def test_every_pagination_style_reads_all_records_once(
    api: FakeApi, pagination: dict[str, Any], route: Route, sent: list[dict[str, str]]
) -> None:
    api.routes["/items"] = route
    config = {
        "url": api.url("/items?fixed=1"),
        "records_path": "data",
        "pagination": pagination,
        "headers": {"Authorization": TOKEN},
    }

    batches = read_all(config)

    assert ids(batches) == list(range(7))
    assert batches[0].column("name").to_pylist()[0] == "n0"
    hits = api.hits("/items")
    assert len(hits) == len(sent)
    for hit, expected in zip(hits, sent, strict=True):
        assert expected.items() <= hit.query.items()
        assert hit.headers["Authorization"] == TOKEN
    assert hits[0].query["fixed"] == "1"  # the URL's own query is kept


def test_page_style_stops_on_empty_page_and_offset_on_short_page(api: FakeApi) -> None:
    api.routes["/items"] = _offset_route
    read_all(
        {
            "url": api.url("/items"),
            "records_path": "data",
            "pagination": {"type": "offset", "limit": 7},
        }
    )
    assert [h.query["offset"] for h in api.hits("/items")] == ["0", "7"]  # full page: ask again


def test_records_path_empty_means_the_body_is_the_list(api: FakeApi) -> None:
    api.script("/list", Reply(body=DATA[:2]))
    assert ids(read_all({"url": api.url("/list")})) == [0, 1]


def test_max_pages_caps_the_read_with_a_warning(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.routes["/items"] = _page_route
    config = {
        "url": api.url("/items"),
        "records_path": "data",
        "max_pages": 2,
        "pagination": {"type": "page", "page_size": 2},
    }
    with caplog.at_level(logging.WARNING):
        assert ids(read_all(config)) == [0, 1, 2, 3]
    assert len(api.hits("/items")) == 2
    assert "max_pages=2" in caplog.text


def test_a_cursor_that_does_not_advance_is_a_data_error(api: FakeApi) -> None:
    api.script("/items", Reply(body={"data": DATA[:1], "next": "same"}))
    config = {
        "url": api.url("/items"),
        "records_path": "data",
        "pagination": {"type": "cursor", "cursor_path": "next"},
    }
    with pytest.raises(DataError, match="page 2: the API pointed back to the same page"):
        read_all(config)
    assert len(api.hits("/items")) == 2


# -- retries -----------------------------------------------------------------

OK = Reply(body=[{"id": 1}])


SLOW = {"backoff_seconds": 30, "max_backoff_seconds": 30}
LONG_AGO = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)


@pytest.mark.parametrize(
    ("failures", "backoff", "logged"),
    [
        # Retry-After wins over a 30 s backoff (else this test would take a minute)...
        ([Reply(429, {}, {"Retry-After": "0"})] * 2, SLOW, "in 0.00 s"),
        ([Reply(503, {}, {"Retry-After": LONG_AGO})], SLOW, "in 0.00 s"),
        # ...but never waits longer than max_backoff_seconds.
        ([Reply(503, {}, {"Retry-After": "3600"})], FAST, "in 0.01 s"),
        ([Reply(500), Reply(502), Reply(504)], FAST, "HTTP 502 Bad Gateway"),
        ([Reply(hang_up=True)], FAST, "RemoteProtocolError"),
    ],
    ids=["429-retry-after-seconds", "503-retry-after-date", "retry-after-capped", "5xx", "hang-up"],
)
def test_transient_failures_are_retried_then_succeed(
    api: FakeApi,
    caplog: pytest.LogCaptureFixture,
    failures: list[Reply],
    backoff: dict[str, float],
    logged: str,
) -> None:
    api.script("/items", *failures, OK)

    with caplog.at_level(logging.WARNING, logger="dativo_pkg.plugins.rest_reader"):
        assert ids(read_all({"url": api.url("/items"), **backoff})) == [1]

    assert len(api.hits("/items")) == len(failures) + 1
    warnings = [r for r in caplog.records if r.name == "dativo_pkg.plugins.rest_reader"]
    assert len(warnings) == len(failures)
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert logged in caplog.text


def test_a_timeout_is_retried(api: FakeApi) -> None:
    release = threading.Event()

    def slow_once(req: Request) -> Reply:
        if len(api.hits("/items")) == 1:
            release.wait(5)  # longer than the client timeout; freed at the end of the test
        return OK

    api.routes["/items"] = slow_once
    try:
        assert ids(read_all({"url": api.url("/items"), "timeout_seconds": 0.05, **FAST})) == [1]
    finally:
        release.set()
    assert len(api.hits("/items")) == 2


def test_retries_exhausted_name_the_last_status_and_attempts(api: FakeApi) -> None:
    api.script("/items", Reply(503))
    with pytest.raises(SourceUnreachable) as caught:
        read_all({"url": api.url("/items"), "max_retries": 2, **FAST})
    assert "gave up after 3 attempt(s), last: HTTP 503" in str(caught.value)
    assert len(api.hits("/items")) == 3


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (404, "check `url`"),
        (400, "check `params`"),
        (401, "credentials"),
        (403, "permission"),
        (418, "API documentation"),
    ],
)
def test_other_client_errors_fail_at_once(api: FakeApi, status: int, hint: str) -> None:
    api.script("/items", Reply(status))
    with pytest.raises(SourceUnreachable, match=f"answered HTTP {status}") as caught:
        read_all({"url": api.url("/items"), **FAST})
    assert caught.value.hint is not None and hint in caught.value.hint
    assert len(api.hits("/items")) == 1


def test_a_closed_port_is_source_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/items?key=query-secret"
    with pytest.raises(SourceUnreachable, match="ConnectError") as caught:
        read_all({"url": url, "max_retries": 1, **FAST})
    assert f"127.0.0.1:{port}/items" in str(caught.value)
    assert "query-secret" not in str(caught.value)


# -- secrets -----------------------------------------------------------------


@pytest.mark.parametrize(
    "replies",
    [[Reply(401)], [Reply(503)], [Reply(404)], [Reply(hang_up=True)], [Reply(body=b"<html>")]],
    ids=["401", "503-exhausted", "404", "hang-up", "not-json"],
)
def test_secrets_never_reach_messages_or_logs(
    api: FakeApi, caplog: pytest.LogCaptureFixture, replies: list[Reply]
) -> None:
    api.script("/items", *replies)
    host = api.base.removeprefix("http://")
    config = {
        "url": f"http://user:url-password@{host}/items",
        "headers": {"Authorization": TOKEN, "X-Api-Key": "header-key-value"},
        "max_retries": 1,
        **FAST,
    }
    with caplog.at_level(logging.DEBUG), pytest.raises((SourceUnreachable, DataError)) as caught:
        read_all(config)
    shown = str(caught.value) + repr(caught.value) + caplog.text
    for secret in (TOKEN, "s3cr3t", "header-key-value", "url-password"):
        assert secret not in shown
    assert api.requests[0].headers["X-Api-Key"] == "header-key-value"  # but it was sent


# -- bad responses -----------------------------------------------------------


def test_records_path_not_found_names_path_and_page(api: FakeApi) -> None:
    api.routes["/items"] = lambda r: Reply(
        body={"data": DATA[:2]} if r.query["page"] == "1" else {"error": "gone"}
    )
    config = {
        "url": api.url("/items"),
        "records_path": "data",
        "pagination": {"type": "page", "page_size": 2},
    }
    with pytest.raises(DataError, match="page 2: no list of records at records_path data"):
        read_all(config)


@pytest.mark.parametrize(
    ("body", "records_path", "message"),
    [
        (b"not json at all", "", "page 1: the response body is not JSON"),
        ({"data": {"id": 1}}, "data", "no list of records at records_path data"),
        ([1, 2], "", "page 1, record 0: a record must be a JSON object, not int"),
    ],
)
def test_bad_bodies_are_data_errors(
    api: FakeApi, body: Any, records_path: str, message: str
) -> None:
    api.script("/items", Reply(body=body))
    with pytest.raises(DataError, match=message):
        read_all({"url": api.url("/items"), "records_path": records_path})


# -- schema ------------------------------------------------------------------


def test_later_pages_are_converted_to_the_first_page_schema(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    pages = {
        "1": [{"id": 1, "name": "a", "score": 1.5}],
        "2": [{"id": 2, "extra": "x"}, {"id": 3, "score": 2, "extra": "y", "more": True}],
        "3": [{"id": 4, "extra": "z"}],
    }
    api.routes["/items"] = lambda r: Reply(body=pages.get(r.query["page"], []))
    config = {"url": api.url("/items"), "pagination": {"type": "page"}}

    with caplog.at_level(logging.WARNING):
        batches = read_all(config)

    assert batches[0].schema == pa.schema(
        [("id", pa.int64()), ("name", pa.string()), ("score", pa.float64())]
    )
    assert pa.Table.from_batches(batches).to_pylist() == [
        {"id": 1, "name": "a", "score": 1.5},
        {"id": 2, "name": None, "score": None},
        {"id": 3, "name": None, "score": 2.0},
        {"id": 4, "name": None, "score": None},
    ]
    dropped = [r.getMessage() for r in caplog.records if "dropping" in r.getMessage()]
    assert dropped == ["dropping fields not in the schema: extra, more"]


def test_records_after_an_empty_first_page_need_a_declared_schema(api: FakeApi) -> None:
    api.routes["/items"] = lambda r: Reply(
        body={"data": [{"id": 1}], "next": None} if r.query.get("c") else {"data": [], "next": 1}
    )
    config = {
        "url": api.url("/items"),
        "records_path": "data",
        "pagination": {"type": "cursor", "cursor_path": "next", "cursor_param": "c"},
    }
    with pytest.raises(DataError, match="page 2 has records but the schema has no fields"):
        read_all(config)
    assert ids(read_all({**config, "schema": {"id": "int64"}})) == [1]


def test_a_value_that_does_not_convert_names_page_record_and_field(api: FakeApi) -> None:
    pages = {"1": [{"id": 1}], "2": [{"id": 2}, {"id": "three"}]}
    api.routes["/items"] = lambda r: Reply(body=pages.get(r.query["page"], []))
    with pytest.raises(DataError, match="page 2, record 1, field 'id': does not convert to int64"):
        read_all({"url": api.url("/items"), "pagination": {"type": "page"}})


def test_declared_schema_parses_iso_dates_and_times(api: FakeApi) -> None:
    api.script(
        "/items",
        Reply(
            body=[
                {"id": 1, "at": "2024-05-01T10:00:00Z", "day": "2024-05-01", "ok": True},
                {"id": 2, "at": "2024-05-01T12:00:00+02:00", "day": None, "junk": 1},
            ]
        ),
    )
    schema = {"id": "int64", "at": "timestamp[us]", "day": "date32", "ok": "bool"}
    [batch] = read_all({"url": api.url("/items"), "schema": schema})
    assert batch.schema.field("at").type == pa.timestamp("us")
    assert batch.to_pylist() == [
        {"id": 1, "at": datetime(2024, 5, 1, 10), "day": date(2024, 5, 1), "ok": True},
        {"id": 2, "at": datetime(2024, 5, 1, 10), "day": None, "ok": None},
    ]


def test_a_bad_timestamp_is_a_data_error(api: FakeApi) -> None:
    api.script("/items", Reply(body=[{"at": "2024-05-01"}, {"at": "yesterday"}]))
    with pytest.raises(DataError, match="page 1, record 1, field 'at': not an ISO 8601"):
        read_all({"url": api.url("/items"), "schema": {"at": "timestamp[us]"}})


def test_schema_fetches_the_first_page_once(api: FakeApi) -> None:
    api.routes["/items"] = _page_route
    config = {
        "url": api.url("/items"),
        "records_path": "data",
        "pagination": {"type": "page", "page_size": 4},
    }
    with RestReader.from_config(config) as reader:
        assert api.requests == []  # from_config does no I/O
        assert reader.schema().names == ["id", "name"]
        assert ids(list(reader.read())) == list(range(7))
        assert [h.query["page"] for h in api.hits("/items")] == ["1", "2", "3"]
        assert ids(list(reader.read())) == list(range(7))  # a second read fetches anew
        assert len(api.hits("/items")) == 6


def test_declared_schema_needs_no_request(api: FakeApi) -> None:
    with RestReader.from_config({"url": api.url("/items"), "schema": {"id": "int64"}}) as r:
        assert r.schema() == pa.schema([("id", pa.int64())])
    assert api.requests == []


# -- incremental -------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "sent"),
    [
        (datetime(2024, 5, 1, 10, 30, tzinfo=UTC), "2024-05-01T10:30:00+00:00"),
        (date(2024, 5, 1), "2024-05-01"),
        (42, "42"),
        ("abc", "abc"),
        (None, None),
    ],
)
def test_incremental_param_is_sent(api: FakeApi, after: Any, sent: str | None) -> None:
    api.script("/items", OK)
    config = {
        "url": api.url("/items"),
        "incremental_param": "updated_since",
        "params": {"fixed": "1"},
    }
    read_all(config, Incremental("updated_at", after))
    assert api.requests[-1].query.get("updated_since") == sent
    assert api.requests[-1].query["fixed"] == "1"
    assert not RestReader.filters_incremental  # the runtime filters again


def test_without_incremental_param_nothing_is_sent(api: FakeApi) -> None:
    api.script("/items", OK)
    read_all({"url": api.url("/items")}, Incremental("updated_at", 5))
    assert api.requests[-1].query == {}


# -- config ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field_named"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"url": "http://h/x", "schema": {"a": "integer"}}, "schema"),
        ({"url": "http://h/x", "schema": {}}, "schema"),
        ({"url": "http://h/x", "pagination": {"type": "pages"}}, "pagination"),
        ({"url": "http://h/x", "pagination": {"type": "cursor"}}, "pagination.cursor.cursor_path"),
        ({"url": "http://h/x", "method": "POST"}, "method"),
        ({"url": "http://h/x", "max_retries": -1}, "max_retries"),
        ({"url": "http://h/x", "unknown": 1}, "unknown"),
    ],
)
def test_bad_config_is_refused_naming_the_field(raw: dict[str, Any], field_named: str) -> None:
    with pytest.raises(ConfigError, match=field_named):
        RestReader.from_config(raw)


def test_header_values_are_secret_in_the_config_repr() -> None:
    reader = RestReader.from_config({"url": "http://h/x", "headers": {"Authorization": TOKEN}})
    assert TOKEN not in repr(reader.config)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", {"a": [{"b": 1}]}), ("a.0.b", 1), ("a.1.b", None), ("x.y", None), ("a.b", None)],
)
def test_lookup_follows_dot_paths(path: str, expected: Any) -> None:
    assert lookup({"a": [{"b": 1}]}, path) == expected


def test_user_info_in_the_url_becomes_basic_auth_and_is_never_logged(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.script("/items", OK)
    host = api.base.removeprefix("http://")
    with caplog.at_level(logging.DEBUG):
        assert ids(read_all({"url": f"http://user:url-password@{host}/items"})) == [1]
    assert api.requests[0].headers["Authorization"] == "Basic dXNlcjp1cmwtcGFzc3dvcmQ="
    assert "url-password" not in caplog.text

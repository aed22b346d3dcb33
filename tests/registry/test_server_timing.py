"""The Server-Timing header: on every response of the registry, and read back by the benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dativo_registry import db
from dativo_registry.app import create_app
from dativo_registry.config import Settings
from dativo_registry.timing import HEADER, ServerTiming, parse_duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app;dur=12.5", 12.5),
        ("app;dur=0", 0.0),
        ("db;dur=3, app;dur=7.25", 7.25),
        ('app;desc="request";dur=4', 4.0),
        ("app ; dur = 9", 9.0),
        ("db;dur=3", None),  # another metric only
        ("app", None),  # no duration
        ("app;dur=soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_duration(value: str | None, expected: float | None) -> None:
    assert parse_duration(value) == expected


def _app(status: int = 200) -> Starlette:
    def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello", status_code=status, headers={"x-kept": "yes"})

    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(ServerTiming)
    return app


@pytest.mark.parametrize("status", [200, 404, 500])
def test_every_response_says_how_long_it_took(status: int) -> None:
    with TestClient(_app(status), raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == status
    assert response.text == "hello"
    assert response.headers["x-kept"] == "yes"  # the handler's headers are all still there
    duration = parse_duration(response.headers[HEADER])
    assert duration is not None and duration >= 0


def test_the_registry_sends_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = db.make_engine(settings)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        for path, status in (("/simple/", 200), ("/api/v1/plugins", 200), ("/plugins/none", 404)):
            response = client.get(path)
            assert response.status_code == status, path
            assert parse_duration(response.headers.get(HEADER)) is not None, path
    app.state.engine.dispose()

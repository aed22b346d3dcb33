"""One registry for the web tests (see web_site.py), and a client of its app, in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_site import Site, build_site

from dativo_registry.app import create_app


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("web") / "data")


@pytest.fixture(scope="session")
def client(site: Site) -> Iterator[TestClient]:
    app = create_app(site.settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()

"""``GET /api/v1/plugins`` of a real ``dativo-registry serve`` (SQLite and PostgreSQL).

The market: ``dativo-pgfast`` (a rust postgres reader, uploaded signed by
its key publisher, with a signed certified report and a signed benchmark),
``dativo-csvkit`` (a python csv reader, unsigned) and ``dativo-odd`` (a
summary and README full of SQL, FTS and HTML metacharacters).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from search_support import DATABASES, Registry, plugin_wheel, spec, upload
from shared_support import fresh_database
from sqlalchemy.orm import Session

from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    PUBLISH_PREDICATE,
    Publisher,
    Subject,
    generate_private_key,
    key_id,
    public_key_pem,
    sign_with_key,
)
from dativo_registry.auth import create_token
from dativo_registry.config import Settings
from dativo_registry.db import make_engine
from dativo_registry.publishers import add_publisher

ODD = "O'Reilly's 100% _odd_ \"quoted\" <script>alert(1)</script>; DROP TABLE catalog; --"
#: What ``dativo-pkg bench`` writes, shortened.
BENCHMARK = {
    "plugin": {"kind": "reader", "connector": "postgres"},
    "results": [
        {"role": "plugin", "plugin": "postgres", "rows_per_second": 250_000.0},
        {"role": "baseline", "plugin": "postgres (built-in)", "rows_per_second": 100_000.0},
    ],
    "ratios": {"rows_per_second": 2.5, "mb_per_second": 2.4, "peak_rss": 0.8},
}


@dataclass
class Market:
    registry: Any
    token: str
    key_id: str
    files: dict[str, str]  # project -> URL path of its wheel

    def plugins(self, **params: Any) -> dict[str, Any]:
        response = httpx.get(f"{self.registry.url}/api/v1/plugins", params=params, timeout=30)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def names(self, **params: Any) -> list[str]:
        return [p["normalized"] for p in self.plugins(**params)["plugins"]]

    def card(self, name: str) -> dict[str, Any]:
        (card,) = self.plugins(q=name)["plugins"]
        assert card["normalized"] == name
        return card


@pytest.fixture(scope="module", params=DATABASES)
def market(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Market]:
    work = tmp_path_factory.mktemp("market")
    with fresh_database(request, request.param) as url:
        registry = Registry(data_dir=work / "data", database_url=url)
        registry.start()
        try:
            yield _fill(registry, work)
        finally:
            registry.stop()


def _fill(registry: Any, work: Path) -> Market:
    key = generate_private_key()
    engine = make_engine(Settings(data_dir=registry.data_dir, database_url=registry.database_url))
    with Session(engine) as session:
        add_publisher(session, "dativo-pgfast", Publisher.from_public_key(public_key_pem(key)))
        token = create_token(session, "alice", None)
        session.commit()
    engine.dispose()

    files = {}
    filename, data = plugin_wheel(
        "dativo-pgfast",
        "1.0",
        [spec("reader", "postgres", "rust", "Reads tables with binary COPY")],
        summary="Fast PostgreSQL reader",
    )
    subject = Subject(filename, hashlib.sha256(data).hexdigest())
    attestation = sign_with_key(key, subject, predicate_type=PUBLISH_PREDICATE)
    upload(registry, token, filename, data, [attestation])
    files["dativo-pgfast"] = f"/files/{subject.sha256}/{filename}"
    for predicate_type, path, body in (
        (CONFORMANCE_PREDICATE, "conformance", {"level": "certified", "checks": []}),
        (BENCHMARK_PREDICATE, "benchmarks", BENCHMARK),
    ):
        statement = sign_with_key(key, subject, predicate_type=predicate_type, predicate=body)
        response = httpx.post(
            f"{registry.url}/api/v1/plugins/dativo-pgfast/1.0/{path}",
            json=statement,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
    for name, plugins, summary, readme in (
        ("dativo-csvkit", [spec("reader", "csv")], "CSV reader", ""),
        (
            "dativo-odd",
            [spec("reader", "odd")],
            ODD,
            f"# Odd\n\n{ODD}\n<img src=x onerror=alert(1)>",
        ),
    ):
        filename, data = plugin_wheel(name, "1.0", plugins, summary=summary, readme=readme)
        upload(registry, token, filename, data)
        files[name] = f"/files/{hashlib.sha256(data).hexdigest()}/{filename}"
    return Market(registry, token, key_id(key.public_key()), files)


def test_cards_carry_the_marketplace_fields(market: Market) -> None:
    document = market.plugins(sort="name")
    assert (document["total"], document["page"], document["per_page"]) == (3, 1, 20)
    assert [p["normalized"] for p in document["plugins"]] == [
        "dativo-csvkit",
        "dativo-odd",
        "dativo-pgfast",
    ]
    fast = market.card("dativo-pgfast")
    assert {key: fast[key] for key in ("version", "kinds", "connectors", "languages")} == {
        "version": "1.0",
        "kinds": ["reader"],
        "connectors": ["postgres"],
        "languages": ["rust"],
    }
    assert (fast["certification"], fast["signer"], fast["verified_publisher"]) == (
        "certified",
        f"key {market.key_id}",
        True,
    )
    assert fast["throughput_ratio"] == 2.5
    assert fast["updated"]
    assert [p["connector"] for p in fast["plugins"]] == ["postgres"]  # the existing field
    kit = market.card("dativo-csvkit")
    assert (kit["certification"], kit["signer"], kit["verified_publisher"]) == (None, None, False)
    assert kit["throughput_ratio"] is None


def test_filters_sorts_and_pages(market: Market) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"signed": "true"}, ["dativo-pgfast"]),
        ({"certification": "certified"}, ["dativo-pgfast"]),
        ({"language": "rust", "kind": "reader"}, ["dativo-pgfast"]),
        ({"sort": "throughput", "per_page": 1}, ["dativo-pgfast"]),
        ({"sort": "name", "per_page": 1, "page": 2}, ["dativo-odd"]),
        ({"sort": "name", "per_page": 1, "page": 4}, []),
        ({"q": "reader", "sort": "name"}, ["dativo-csvkit", "dativo-odd", "dativo-pgfast"]),
        ({"q": "reader"}, ["dativo-csvkit", "dativo-pgfast", "dativo-odd"]),  # in summaries
        ({"q": "postgres"}, ["dativo-pgfast"]),
    ]
    for params, expected in cases:
        assert market.names(**params) == expected, params
    assert market.plugins(per_page=1)["total"] == 3
    for bad in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"sort": "random"}):
        response = httpx.get(f"{market.registry.url}/api/v1/plugins", params=bad)
        assert response.status_code == 422, bad


QUERIES: list[tuple[str, list[str]]] = [
    ("O'Reilly's", ["dativo-odd"]),
    ("'", []),
    ('"quoted"', ["dativo-odd"]),
    ("100%", ["dativo-odd"]),
    ("%", []),
    ("_", []),
    ("_odd_", ["dativo-odd"]),
    ("<script>", ["dativo-odd"]),
    ("onerror", ["dativo-odd"]),  # README text
    ("*", []),
    ("csv*", ["dativo-csvkit"]),
    ("-csv", ["dativo-csvkit"]),
    ("csv OR odd", []),
    ("' OR 1=1; --", []),
    ("'; DROP TABLE catalog; --", ["dativo-odd"]),  # words of its summary
    ("\\", []),
    ("é", []),
    ("x" * 500, []),
]


@pytest.mark.parametrize(("q", "expected"), QUERIES)
def test_metacharacters_are_plain_text(market: Market, q: str, expected: list[str]) -> None:
    assert market.names(q=q) == expected
    assert market.plugins()["total"] == 3  # nothing was dropped


def test_downloads_are_counted_when_a_file_is_served(market: Market, tmp_path: Path) -> None:
    url = market.registry.url + market.files["dativo-csvkit"]
    before = market.card("dativo-csvkit")["downloads"]
    assert httpx.get(url).status_code == 200
    assert httpx.head(url).status_code == 200  # not a download
    assert httpx.get(url + ".metadata").status_code == 200  # nor is the metadata file
    etag = httpx.get(url).headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304  # nor a 304
    assert market.card("dativo-csvkit")["downloads"] == before + 2

    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir"]
    pip += ["--disable-pip-version-check", "-q", "-d", str(tmp_path)]
    pip += ["--index-url", f"{market.registry.url}/simple/", "dativo-csvkit"]
    result = subprocess.run(pip, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert market.card("dativo-csvkit")["downloads"] == before + 3
    assert market.names(sort="downloads")[0] == "dativo-csvkit"


def test_the_catalog_follows_uploads_and_yanks(market: Market) -> None:
    filename, data = plugin_wheel(
        "dativo-csvkit", "2.0", [spec("reader", "csv"), spec("writer", "csv")], summary="CSV kit"
    )
    upload(market.registry, market.token, filename, data)
    kit = market.card("dativo-csvkit")
    assert (kit["version"], kit["kinds"], kit["summary"]) == (
        "2.0",
        ["reader", "writer"],
        "CSV kit",
    )
    assert market.names(kind="writer") == ["dativo-csvkit"]

    response = httpx.post(
        f"{market.registry.url}/api/v1/projects/dativo-csvkit/2.0/yank",
        json={"reason": "broken"},
        headers={"Authorization": f"Bearer {market.token}"},
    )
    assert response.status_code == 200, response.text
    assert market.card("dativo-csvkit")["version"] == "1.0"
    assert market.names(kind="writer") == []

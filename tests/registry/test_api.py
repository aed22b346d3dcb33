"""The plugin API (/api/v1) against a real server holding plugins uploaded with twine.

The catalogue: ``dativo-pg`` 1.0 (a Python postgres reader, API 1) and 2.0
(a Rust postgres reader and writer, API 2); ``dativo-csv`` 1.0 (a csv reader);
``dativo-old``, a plugin whose only release is yanked; ``tinypkg``, an
ordinary package. Attachments are posted by users with and without rights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Registry
from dists import write_wheel
from shared_registry import module_registry, yank
from uploads import output, twine_upload


def _spec(kind: str, connector: str, language: str, api: str, description: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "connector": connector,
        "language": language,
        "api": api,
        "description": description,
        "config_schema": {"type": "object", "properties": {"dsn": {"type": "string"}}},
    }


#: (name, version) -> the plugins its manifest declares (none: an ordinary package).
CATALOGUE: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("dativo-pg", "1.0"): [_spec("reader", "postgres", "python", ">=1,<2", "Reads tables")],
    ("dativo-pg", "2.0"): [
        _spec("reader", "postgres", "rust", ">=2,<3", "Reads tables with COPY"),
        _spec("writer", "postgres", "rust", ">=2,<3", "Writes tables with COPY"),
    ],
    ("dativo-csv", "1.0"): [_spec("reader", "csv", "python", ">=1,<2", "Reads CSV files")],
    ("dativo-old", "1.0"): [_spec("reader", "old", "python", ">=1,<2", "Superseded")],
    ("tinypkg", "1.0"): [],
}


def _wheel(workdir: Path, name: str, version: str, plugins: list[dict[str, Any]]) -> Path:
    """A wheel of ``name`` declaring ``plugins`` (entry points and manifest)."""
    directory = workdir / f"{name}-{version}"
    directory.mkdir()
    package = name.replace("-", "_")
    if not plugins:
        return write_wheel(directory, name, version)
    groups: dict[str, list[str]] = {}
    for spec in plugins:
        groups.setdefault(f"dativo.{spec['kind']}s", []).append(
            f"{spec['connector']} = {package}:{spec['kind'].title()}"
        )
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{line}\n" for line in lines) for group, lines in groups.items()
    )
    manifest = {"manifest_version": 1, "plugins": plugins}
    files = {
        f"{package}/__init__.py": b'"""A test plugin."""\n',
        f"{package}/dativo-plugin.json": json.dumps(manifest).encode(),
    }
    return write_wheel(directory, name, version, files, entry_points=entry_points)


@dataclass
class Catalogue:
    registry: Registry
    owner_token: str
    #: filename -> SHA-256 of what was uploaded
    sha256: dict[str, str]

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.registry.url}/api/v1{path}", params=params, timeout=30)

    def names(self, **params: str) -> list[str]:
        response = self.get("/plugins", **params)
        assert response.status_code == 200, response.text
        return [plugin["normalized"] for plugin in response.json()["plugins"]]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def catalogue(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalogue]:
    workdir = tmp_path_factory.mktemp("api")
    with module_registry(request, workdir) as registry:
        paths = [
            _wheel(workdir, name, version, plugins)
            for (name, version), plugins in CATALOGUE.items()
        ]
        token = registry.token("alice")
        result = twine_upload(registry, token, *paths)
        assert result.returncode == 0, output(result)
        yank(registry, "dativo-old", "1.0", "superseded by dativo-csv")
        sha256 = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}
        yield Catalogue(registry, token, sha256)


def test_list_and_search(catalogue: Catalogue) -> None:
    """Only the newest installable release of each plugin counts; filters match one plugin."""
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({}, ["dativo-csv", "dativo-pg"]),
        ({"kind": "writer"}, ["dativo-pg"]),
        ({"kind": "reader"}, ["dativo-csv", "dativo-pg"]),
        ({"connector": "csv"}, ["dativo-csv"]),
        ({"connector": "old"}, []),  # yanked
        ({"language": "rust"}, ["dativo-pg"]),
        ({"language": "python"}, ["dativo-csv"]),  # dativo-pg 1.0 is not the newest
        ({"api_version": "1"}, ["dativo-csv"]),
        ({"api_version": "2.1"}, ["dativo-pg"]),
        ({"api_version": "3"}, []),
        ({"q": "COPY"}, ["dativo-pg"]),
        ({"q": "csv files"}, ["dativo-csv"]),
        ({"q": "tinypkg"}, []),  # not a plugin
        ({"q": "dativo"}, ["dativo-csv", "dativo-pg"]),
        ({"kind": "writer", "connector": "csv"}, []),
        ({"kind": "writer", "language": "rust", "api_version": "2"}, ["dativo-pg"]),
    ]
    for params, expected in cases:
        assert catalogue.names(**params) == expected, params
    (pg,) = catalogue.get("/plugins", connector="postgres").json()["plugins"]
    assert pg["name"] == "dativo-pg"
    assert pg["version"] == "2.0"
    assert pg["summary"] == "dativo-pg for the registry tests"
    assert [(p["kind"], p["language"], p["api"]) for p in pg["plugins"]] == [
        ("reader", "rust", ">=2,<3"),
        ("writer", "rust", ">=2,<3"),
    ]
    # A filter narrows the plugins shown too.
    (pg,) = catalogue.get("/plugins", kind="writer").json()["plugins"]
    assert [p["kind"] for p in pg["plugins"]] == ["writer"]


def test_bad_queries(catalogue: Catalogue) -> None:
    response = catalogue.get("/plugins", api_version="one")
    assert response.status_code == 400
    assert "not a PEP 440 version" in response.json()["detail"]
    assert catalogue.get("/plugins", kind="sink").status_code == 422
    for path in ("/plugins/no-such-plugin", "/plugins/dativo-pg/9.9", "/plugins/dativo-pg/x y"):
        response = catalogue.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]
    assert catalogue.get("/plugins/-bad-name-").status_code == 404


def test_releases(catalogue: Catalogue) -> None:
    document = catalogue.get("/plugins/Dativo_PG").json()  # any spelling of the name
    assert (document["name"], document["normalized"]) == ("dativo-pg", "dativo-pg")
    assert [(r["version"], r["has_manifest"], r["yanked"]) for r in document["releases"]] == [
        ("2.0", True, False),
        ("1.0", True, False),
    ]
    old = catalogue.get("/plugins/dativo-old").json()["releases"]
    assert [(r["yanked"], r["yanked_reason"]) for r in old] == [(True, "superseded by dativo-csv")]
    plain = catalogue.get("/plugins/tinypkg").json()["releases"]
    assert [r["has_manifest"] for r in plain] == [False]


def test_release_detail(catalogue: Catalogue) -> None:
    detail = catalogue.get("/plugins/dativo-pg/2.0").json()
    assert detail["version"] == "2.0"
    assert detail["yanked"] is False
    declared = CATALOGUE[("dativo-pg", "2.0")]
    assert [(p["kind"], p["connector"]) for p in detail["manifest"]["plugins"]] == [
        (p["kind"], p["connector"]) for p in declared
    ]
    assert detail["config_schemas"] == [
        {"kind": p["kind"], "connector": p["connector"], "config_schema": p["config_schema"]}
        for p in declared
    ]
    assert detail["metadata"]
    (wheel,) = detail["files"]
    assert wheel["filename"] == "dativo_pg-2.0-py3-none-any.whl"
    assert wheel["sha256"] == catalogue.sha256[wheel["filename"]]
    assert wheel["packagetype"] == "bdist_wheel"
    download = httpx.get(catalogue.registry.url + wheel["url"])
    assert hashlib.sha256(download.content).hexdigest() == wheel["sha256"]
    assert len(download.content) == wheel["size"]
    assert detail["attachments"] == []
    # Versions are matched in their PEP 440 canonical form.
    assert catalogue.get("/plugins/dativo-pg/2.0.0").json()["version"] == "2.0"
    assert catalogue.get("/plugins/tinypkg/1.0").json()["manifest"] is None


def test_attachments(catalogue: Catalogue) -> None:
    registry = catalogue.registry
    base = f"{registry.url}/api/v1/plugins/dativo-csv/1.0"
    report = {"passed": 12, "failed": 0, "suite": "dativo-pkg test 1.0"}
    benchmark = {"rows_per_second": 1_250_000, "machine": "2 cores"}
    auth = ("__token__", catalogue.owner_token)
    posted = httpx.post(f"{base}/conformance", json=report, auth=auth)
    assert posted.status_code == 201, posted.text
    assert posted.json()["body"] == report
    assert posted.json()["uploader"] == "alice"
    bearer = {"Authorization": f"Bearer {catalogue.owner_token}"}
    posted = httpx.post(f"{base}/benchmarks", json=benchmark, headers=bearer)
    assert posted.status_code == 201, posted.text

    attachments = catalogue.get("/plugins/dativo-csv/1.0").json()["attachments"]
    assert [(a["kind"], a["body"], a["uploader"]) for a in attachments] == [
        ("conformance", report, "alice"),
        ("benchmark", benchmark, "alice"),
    ]
    assert catalogue.get("/plugins/dativo-pg/2.0").json()["attachments"] == []

    stranger = registry.token("mallory")
    scoped = registry.token("alice", "dativo-pg")
    refusals: list[tuple[dict[str, Any], str, Any, int]] = [
        ({}, "conformance", report, 401),
        ({"auth": ("__token__", "dtv_nonsense")}, "conformance", report, 401),
        ({"auth": ("__token__", stranger)}, "conformance", report, 403),
        ({"auth": ("__token__", scoped)}, "benchmarks", benchmark, 403),
        ({"auth": auth}, "conformance", [1, 2], 422),
        ({"auth": auth}, "conformance", {"big": "x" * (1 << 20)}, 413),
    ]
    for options, kind, body, status in refusals:
        response = httpx.post(f"{base}/{kind}", json=body, timeout=30, **options)
        assert response.status_code == status, (options, kind, response.text)
        assert response.json()["detail"]
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Basic")
    missing = httpx.post(
        f"{registry.url}/api/v1/plugins/dativo-csv/9.0/conformance", json=report, auth=auth
    )
    assert missing.status_code == 404
    assert len(catalogue.get("/plugins/dativo-csv/1.0").json()["attachments"]) == 2


def test_openapi_describes_the_plugin_api(catalogue: Catalogue) -> None:
    document = httpx.get(f"{catalogue.registry.url}/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/plugins",
        "/api/v1/plugins/{project}",
        "/api/v1/plugins/{project}/{version}",
        "/api/v1/plugins/{project}/{version}/conformance",
        "/api/v1/plugins/{project}/{version}/benchmarks",
        "/api/v1/projects/{project}/upload-policy",
    ):
        assert path in paths, path
    listing = paths["/api/v1/plugins"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "q",
        "kind",
        "connector",
        "language",
        "api_version",
        "certification",
        "signed",  # search (issue 7): the marketplace's filters, sorting and pages
        "sort",
        "page",
        "per_page",
    }
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PluginList"}
    assert "ReleaseDetail" in document["components"]["schemas"]

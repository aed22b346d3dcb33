"""The simple API and the file downloads, against a real server fed by real twine uploads.

One registry per database (SQLite, PostgreSQL) serves the module: ``demo-pkg``
(a 1.0 wheel and sdist, and a 2.0 wheel yanked afterwards with a reason full
of markup) is uploaded once with twine. Tests that change things use projects
of their own. Yanking and deleting have no API yet, so those two changes are
made in the database (:mod:`shared_registry`), as another server process would: the
pages must follow.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from conftest import Registry
from dists import write_sdist, write_wheel
from shared_registry import delete_file, module_registry, yank
from uploads import output, twine_upload

from dativo_registry.negotiation import choose_media_type, etag_matches
from dativo_registry.simple import HTML_V1, JSON_V1, MEDIA_TYPES, TEXT_HTML

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
YANK_REASON = 'broken: <script>alert("x")</script> & more'


# -- negotiation, as pure functions ---------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, TEXT_HTML),
        ("", TEXT_HTML),
        (PIP_ACCEPT, JSON_V1),
        (BROWSER_ACCEPT, TEXT_HTML),
        ("*/*", TEXT_HTML),
        ("text/html", TEXT_HTML),
        ("TEXT/HTML", TEXT_HTML),
        (HTML_V1, HTML_V1),
        (JSON_V1, JSON_V1),
        (f"{JSON_V1};q=0.5, text/html", TEXT_HTML),
        (f"{JSON_V1};q=0.5, {HTML_V1};q=0.6", HTML_V1),
        ("application/*", HTML_V1),
        ("text/html;q=0, */*", HTML_V1),
        (f"{JSON_V1}, */*;q=0", JSON_V1),
        (f"*/*;q=0.1, {JSON_V1};q=0.2", JSON_V1),
        ("application/json", None),
        (f"{JSON_V1};q=0", None),
        ("text/plain, image/png", None),
        ("not a media type", None),
        ("text/html;q=nonsense", None),
    ],
)
def test_choose_media_type(accept: str | None, chosen: str | None) -> None:
    assert choose_media_type(accept, MEDIA_TYPES) == chosen


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"other", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
    ],
)
def test_etag_matches(if_none_match: str | None, matches: bool) -> None:
    assert etag_matches(if_none_match, '"abc"') is matches


# -- a registry with demo-pkg -----------------------------------------------------------


@dataclass
class Demo:
    registry: Registry
    token: str
    workdir: Path
    #: filename -> SHA-256 of the uploaded bytes
    sha256: dict[str, str]
    #: wheel filename -> SHA-256 of its METADATA
    metadata_sha256: dict[str, str]
    #: wheel filename -> its METADATA
    metadata: dict[str, bytes]

    def upload(self, *paths: Path) -> None:
        result = twine_upload(self.registry, self.token, *paths)
        assert result.returncode == 0, output(result)
        for path in paths:
            data = path.read_bytes()
            self.sha256[path.name] = hashlib.sha256(data).hexdigest()
            if path.suffix == ".whl":
                with zipfile.ZipFile(path) as zf:
                    (name,) = (n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
                    self.metadata[path.name] = zf.read(name)
                self.metadata_sha256[path.name] = hashlib.sha256(
                    self.metadata[path.name]
                ).hexdigest()

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.registry.url + path, headers=headers, timeout=30)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("simple")
    with module_registry(request, workdir) as registry:
        demo = Demo(registry, registry.token("alice"), workdir, {}, {}, {})
        demo.upload(
            write_wheel(workdir, "Demo_Pkg", "1.0"),
            write_sdist(workdir, "Demo_Pkg", "1.0"),
            write_wheel(workdir, "Demo_Pkg", "2.0"),
        )
        yank(registry, "demo-pkg", "2.0", YANK_REASON)
        yield demo


class _Links(HTMLParser):
    """The anchors of a simple page: text -> attributes (unescaped by the parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, dict[str, str | None]] = {}
        self.meta: dict[str, str | None] = {}
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)
        elif tag == "meta":
            values = dict(attrs)
            self.meta[values.get("name") or ""] = values.get("content")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.links[data] = self._open
            self._open = None


def links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


# -- the project page ------------------------------------------------------------------


def test_content_negotiation(demo: Demo) -> None:
    """Every way of asking, through the server: the type served, or 406."""
    cases: list[tuple[dict[str, str], str, int, str | None]] = [
        ({}, "", 200, "text/html; charset=utf-8"),
        ({"Accept": PIP_ACCEPT}, "", 200, JSON_V1),
        ({"Accept": BROWSER_ACCEPT}, "", 200, "text/html; charset=utf-8"),
        ({"Accept": HTML_V1}, "", 200, HTML_V1),
        ({"Accept": f"{JSON_V1};q=0.2, {HTML_V1};q=0.9"}, "", 200, HTML_V1),
        ({"Accept": "application/json"}, "", 406, None),
        ({"Accept": f"{JSON_V1};q=0"}, "", 406, None),
        ({"Accept": "text/html"}, f"?format={JSON_V1}", 200, JSON_V1),
        ({"Accept": JSON_V1}, f"?format={HTML_V1}", 200, HTML_V1),
        ({}, "?format=application/json", 406, None),
    ]
    for path in ("/simple/demo-pkg/", "/simple/"):
        for headers, query, status, content_type in cases:
            response = demo.get(path + query.replace("+", "%2B"), **headers)
            assert response.status_code == status, (path, headers, query, response.text)
            assert response.headers["vary"] == "Accept"
            if content_type is None:
                assert all(t in response.text for t in MEDIA_TYPES)
            else:
                assert response.headers["content-type"] == content_type, (path, headers, query)


def test_project_page_html(demo: Demo) -> None:
    response = demo.get("/simple/demo-pkg/")
    assert response.headers["cache-control"] == "max-age=60, public"
    assert response.headers["etag"]
    assert int(response.headers["x-pypi-last-serial"]) >= 4
    page = links(response.text)
    assert page.meta["pypi:repository-version"] == "1.1"
    assert "<title>Links for demo-pkg</title>" in response.text
    assert list(page.links) == [
        "demo_pkg-1.0-py3-none-any.whl",
        "demo_pkg-1.0.tar.gz",
        "demo_pkg-2.0-py3-none-any.whl",
    ]
    for filename, attributes in page.links.items():
        sha256 = demo.sha256[filename]
        assert attributes["href"] == f"../../files/{sha256}/{filename}#sha256={sha256}"
        assert attributes["data-requires-python"] == ">=3.9"
        if filename.endswith(".whl"):
            expected = f"sha256={demo.metadata_sha256[filename]}"
            assert attributes["data-core-metadata"] == expected  # PEP 714
            assert attributes["data-dist-info-metadata"] == expected  # PEP 658
        else:
            assert "data-core-metadata" not in attributes
            assert "data-dist-info-metadata" not in attributes
    assert "data-yanked" not in page.links["demo_pkg-1.0-py3-none-any.whl"]
    assert page.links["demo_pkg-2.0-py3-none-any.whl"]["data-yanked"] == YANK_REASON
    # Markup is escaped, never interpreted.
    assert "<script>" not in response.text
    assert 'data-requires-python="&gt;=3.9"' in response.text


def test_project_page_json(demo: Demo) -> None:
    response = demo.get("/simple/demo-pkg/", Accept=JSON_V1)
    assert response.headers["cache-control"] == "max-age=60, public"
    document = response.json()
    assert document["meta"]["api-version"] == "1.1"
    assert document["meta"]["_last-serial"] == int(response.headers["x-pypi-last-serial"])
    assert document["name"] == "demo-pkg"
    assert document["versions"] == ["1.0", "2.0"]  # PEP 700
    files = {f["filename"]: f for f in document["files"]}
    assert list(files) == [
        "demo_pkg-1.0-py3-none-any.whl",
        "demo_pkg-1.0.tar.gz",
        "demo_pkg-2.0-py3-none-any.whl",
    ]
    for filename, entry in files.items():
        sha256 = demo.sha256[filename]
        assert entry["url"] == f"../../files/{sha256}/{filename}#sha256={sha256}"
        assert entry["hashes"] == {"sha256": sha256}
        assert entry["requires-python"] == ">=3.9"
        assert entry["size"] == len((demo.workdir / filename).read_bytes())
        assert entry["upload-time"].endswith("Z")
        assert entry["provenance"] is None
        expected = (
            {"sha256": demo.metadata_sha256[filename]} if filename.endswith(".whl") else False
        )
        assert entry["core-metadata"] == expected
        assert entry["dist-info-metadata"] == expected
    assert files["demo_pkg-1.0-py3-none-any.whl"]["yanked"] is False
    assert files["demo_pkg-2.0-py3-none-any.whl"]["yanked"] == YANK_REASON


def test_names_redirect_to_the_normalized_url(demo: Demo) -> None:
    cases = [
        ("/simple/Demo_Pkg/", "/simple/demo-pkg/"),
        ("/simple/demo.pkg/", "/simple/demo-pkg/"),
        ("/simple/DEMO--PKG/", "/simple/demo-pkg/"),
        (f"/simple/Demo_Pkg/?format={JSON_V1}", f"/simple/demo-pkg/?format={JSON_V1}"),
        ("/simple/No_Such_Thing/", "/simple/no-such-thing/"),
    ]
    for path, location in cases:
        response = demo.get(path)
        assert response.status_code == 301, path
        assert response.headers["location"] == location
    for path in ("/simple/no-such-thing/", "/simple/-bad-/", "/simple/a%00b/"):
        response = demo.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/plain")
    # Followed, the redirect lands on the page.
    response = httpx.get(f"{demo.registry.url}/simple/Demo_Pkg", follow_redirects=True)
    assert response.status_code == 200
    assert response.url.path == "/simple/demo-pkg/"


def test_pages_follow_every_change(demo: Demo) -> None:
    """ETags answer If-None-Match with 304 until the project changes, whoever changed it."""
    registry = demo.registry
    first = demo.workdir / "first"
    first.mkdir()
    demo.upload(write_wheel(first, "changing", "1.0"))
    for accept in (TEXT_HTML, JSON_V1):
        page = demo.get("/simple/changing/", Accept=accept)
        etag = page.headers["etag"]
        again = demo.get("/simple/changing/", Accept=accept, **{"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "max-age=60, public"
    html_etag = demo.get("/simple/changing/").headers["etag"]
    assert html_etag != demo.get("/simple/changing/", Accept=JSON_V1).headers["etag"]

    # A new upload: a new ETag, the new file listed.
    demo.upload(write_wheel(first, "changing", "2.0"))
    response = demo.get("/simple/changing/", **{"If-None-Match": html_etag})
    assert response.status_code == 200
    assert "changing-2.0-py3-none-any.whl" in links(response.text).links
    # Changes made by someone else (here: straight in the database).
    yank(registry, "changing", "1.0", None)
    response = demo.get("/simple/changing/")
    assert links(response.text).links["changing-1.0-py3-none-any.whl"]["data-yanked"] == ""
    assert demo.get("/simple/changing/", Accept=JSON_V1).json()["files"][0]["yanked"] is True
    delete_file(registry, "changing", "changing-2.0-py3-none-any.whl")
    assert list(links(demo.get("/simple/changing/").text).links) == [
        "changing-1.0-py3-none-any.whl"
    ]
    document = demo.get("/simple/changing/", Accept=JSON_V1).json()
    assert [f["filename"] for f in document["files"]] == ["changing-1.0-py3-none-any.whl"]
    assert document["versions"] == ["1.0", "2.0"]


def test_index(demo: Demo) -> None:
    html_page = demo.get("/simple/")
    assert html_page.headers["cache-control"] == "max-age=60, public"
    index = links(html_page.text)
    assert index.meta["pypi:repository-version"] == "1.1"
    assert index.links["Demo_Pkg"]["href"] == "demo-pkg/"
    document = demo.get("/simple/", Accept=JSON_V1).json()
    assert document["meta"]["api-version"] == "1.1"
    assert {"name": "Demo_Pkg"} in document["projects"]
    etag = html_page.headers["etag"]
    assert demo.get("/simple/", **{"If-None-Match": etag}).status_code == 304

    newcomer = demo.workdir / "newcomer"
    newcomer.mkdir()
    demo.upload(write_wheel(newcomer, "Brand.New", "0.1"))
    response = demo.get("/simple/", **{"If-None-Match": etag})
    assert response.status_code == 200
    assert links(response.text).links["Brand.New"]["href"] == "brand-new/"


# -- downloads ---------------------------------------------------------------------------


def test_files_are_served_as_uploaded(demo: Demo) -> None:
    page = demo.get("/simple/demo-pkg/", Accept=JSON_V1).json()
    types = {".whl": "application/zip", ".gz": "application/gzip"}
    for entry in page["files"]:
        url = httpx.URL(f"{demo.registry.simple}demo-pkg/").join(entry["url"])
        response = httpx.get(url)
        filename = entry["filename"]
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == demo.sha256[filename]
        assert response.content == (demo.workdir / filename).read_bytes()
        assert response.headers["content-type"] == types[Path(filename).suffix]
        assert "content-encoding" not in response.headers
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["etag"] == f'"{demo.sha256[filename]}"'
        assert filename in response.headers["content-disposition"]
        cached = httpx.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert cached.status_code == 304
        head = httpx.head(url)
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == entry["size"]


def test_metadata_files(demo: Demo) -> None:
    """PEP 658: ``<file URL>.metadata`` is the wheel's METADATA, with the digest listed."""
    for filename, metadata in demo.metadata.items():
        if not filename.startswith("demo_pkg"):
            continue
        sha256 = demo.sha256[filename]
        response = demo.get(f"/files/{sha256}/{filename}.metadata")
        assert response.status_code == 200
        assert response.content == metadata
        assert hashlib.sha256(response.content).hexdigest() == demo.metadata_sha256[filename]
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    sdist = "demo_pkg-1.0.tar.gz"
    assert demo.get(f"/files/{demo.sha256[sdist]}/{sdist}.metadata").status_code == 404


def test_only_listed_files_are_served(demo: Demo) -> None:
    wheel = "demo_pkg-1.0-py3-none-any.whl"
    sha256 = demo.sha256[wheel]
    other = demo.sha256["demo_pkg-1.0.tar.gz"]
    for path in (
        f"/files/{other}/{wheel}",  # a real blob, under another file's name
        f"/files/{sha256}/demo_pkg-9.9-py3-none-any.whl",
        f"/files/{'0' * 64}/{wheel}",
        f"/files/{sha256.upper()}/{wheel}",
        f"/files/../{wheel}",
        f"/files/{sha256}/{wheel}.metadata.metadata",
    ):
        response = demo.get(path)
        assert response.status_code == 404, path
    gone = demo.workdir / "gone"
    gone.mkdir()
    demo.upload(write_wheel(gone, "gone", "1.0"))
    filename = "gone-1.0-py3-none-any.whl"
    url = f"/files/{demo.sha256[filename]}/{filename}"
    assert demo.get(url).status_code == 200
    delete_file(demo.registry, "gone", filename)
    assert demo.get(url).status_code == 404
    assert demo.get(url + ".metadata").status_code == 404


def test_openapi_leaves_the_simple_api_to_the_peps(demo: Demo) -> None:
    paths = json.loads(demo.get("/openapi.json").text)["paths"]
    assert not [p for p in paths if p.startswith("/simple")]
    assert "/files/{sha256}/{filename}" in paths

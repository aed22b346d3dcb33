"""PEP 740 provenance as served: simple API links and the Integrity API documents.

One registry for the module holds three files: the fixture sdist (keyless,
verified against its workflow publisher), a wheel signed with a publisher
key, and an unsigned wheel. A client reads each document back with
``parse_provenance`` and verifies it with ``verify_signature``, as an
installer does.
"""

from __future__ import annotations

import hashlib
import html.parser
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import Registry
from dists import SIGNED_SDIST, write_wheel
from signing import (
    SDIST_IDENTITY,
    SDIST_ISSUER,
    SDIST_PROJECT,
    SDIST_WORKFLOW,
    PublisherKey,
    copy_signed,
    key_sign,
    new_key,
    register,
    running,
    upload_signed,
)
from uploads import new_token, output, served_files, twine_upload

from dativo_pkg.trust import (
    KEY_ISSUER,
    Publisher,
    SignerIdentity,
    Subject,
    TrustRoots,
    parse_provenance,
    verify_signature,
)

INTEGRITY = "application/vnd.pypi.integrity.v1+json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Published:
    registry: Registry
    sdist: Path
    keyed: Path
    unsigned: Path
    key: PublisherKey


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    work = tmp_path_factory.mktemp("integrity")
    with running(work) as registry:
        key = new_key(work)
        register(registry, SDIST_PROJECT, Publisher.oidc(SDIST_ISSUER, SDIST_WORKFLOW))
        register(registry, "dativo-keyed", Publisher.from_public_key(key.public_pem.read_text()))
        sdist = copy_signed(SIGNED_SDIST, work)
        keyed = write_wheel(work, "dativo-keyed", "1.0")
        key_sign(key, keyed)
        unsigned = write_wheel(work, "dativo-plain", "1.0")
        token = new_token(registry, "ci")
        result = upload_signed(registry, token, sdist, keyed)
        assert result.returncode == 0, output(result)
        result = twine_upload(registry, token, unsigned)
        assert result.returncode == 0, output(result)
        yield Published(registry, sdist, keyed, unsigned, key)


def subject(path: Path) -> Subject:
    return Subject(path.name, hashlib.sha256(path.read_bytes()).hexdigest())


def test_simple_json_links_the_provenance_of_signed_files(published: Published) -> None:
    reg = published.registry
    assert served_files(reg, SDIST_PROJECT)[published.sdist.name]["provenance"] == (
        f"../../integrity/pypi-attestations/0.0.19/{published.sdist.name}/provenance"
    )
    assert served_files(reg, "dativo-keyed")[published.keyed.name]["provenance"] == (
        f"../../integrity/dativo-keyed/1.0/{published.keyed.name}/provenance"
    )
    assert served_files(reg, "dativo-plain")[published.unsigned.name]["provenance"] is None


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: dict[str, dict[str, str | None]] = {}
        self._attrs: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self.anchors[data] = self._attrs
            self._attrs = None


def anchors(registry: Registry, project: str) -> dict[str, dict[str, str | None]]:
    parser = _Anchors()
    parser.feed(httpx.get(f"{registry.simple}{project}/").text)
    return parser.anchors


def test_simple_html_carries_data_provenance(published: Published) -> None:
    reg = published.registry
    signed = anchors(reg, SDIST_PROJECT)[published.sdist.name]
    assert signed["data-provenance"] == (
        f"../../integrity/pypi-attestations/0.0.19/{published.sdist.name}/provenance"
    )
    assert "data-provenance" not in anchors(reg, "dativo-plain")[published.unsigned.name]


def test_the_keyless_provenance_verifies_offline(published: Published) -> None:
    page = httpx.URL(f"{published.registry.simple}{SDIST_PROJECT}/")
    listed = served_files(published.registry, SDIST_PROJECT)[published.sdist.name]
    response = httpx.get(page.join(listed["provenance"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == INTEGRITY

    document = response.json()
    assert document["version"] == 1
    assert document["attestation_bundles"][0]["publisher"] == {
        "kind": "GitHub",
        "repository": "trailofbits/pypi-attestations",
        "workflow": "release.yml",
        "issuer": SDIST_ISSUER,
        "identity": SDIST_WORKFLOW,
    }
    (entry,) = parse_provenance(response.content)
    verified = verify_signature(
        TrustRoots.load(("production",)),
        entry.signature,
        subject(published.sdist),
        publishers=[entry.publisher],
    )
    assert verified.signer == SignerIdentity(SDIST_ISSUER, SDIST_IDENTITY)


def test_the_key_provenance_verifies_with_the_registered_key(published: Published) -> None:
    url = f"{published.registry.url}/integrity/dativo-keyed/1.0/{published.keyed.name}/provenance"
    (entry,) = parse_provenance(httpx.get(url).content)
    assert entry.publisher == Publisher.from_public_key(published.key.public_pem.read_text())

    verified = verify_signature(
        TrustRoots.load(("production",)),
        entry.signature,
        subject(published.keyed),
        publishers=[entry.publisher],
    )
    assert verified.signer == SignerIdentity(KEY_ISSUER, published.key.key_id)


@pytest.mark.parametrize(
    ("project", "version"), [("PyPI_Attestations", "0.0.19"), ("pypi.attestations", "0.0.19.0")]
)
def test_any_spelling_of_name_and_version(published: Published, project: str, version: str) -> None:
    name = published.sdist.name
    response = httpx.get(
        f"{published.registry.url}/integrity/{project}/{version}/{name}/provenance"
    )
    assert response.status_code == 200
    assert parse_provenance(response.content)[0].publisher.identity == SDIST_WORKFLOW


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("dativo-plain/1.0/dativo_plain-1.0-py3-none-any.whl", "has no provenance"),
        ("dativo-plain/1.0/dativo_plain-2.0-py3-none-any.whl", "has no file"),
        ("dativo-plain/2.0/dativo_plain-1.0-py3-none-any.whl", "has no file"),
        ("no-such-project/1.0/no_such_project-1.0.tar.gz", "has no file"),
        ("dativo-plain/not-a-version/x.whl", "not a PEP 440 version"),
        ("-bad-/1.0/x.whl", "not a valid project name"),
    ],
)
def test_what_has_no_provenance_is_a_json_404(published: Published, path: str, detail: str) -> None:
    response = httpx.get(f"{published.registry.url}/integrity/{path}/provenance")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert detail in response.json()["detail"]

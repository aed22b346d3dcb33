"""Conformance reports and benchmarks as signed statements about a release's files.

One registry for the module: ``dativo-keyed`` has a key publisher and a
key-signed wheel; ``dativo-open`` has no publisher (unsigned reports are
accepted there); the fixture sdist is published keyless, without a publisher.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Registry
from dists import SIGNED_SDIST, write_wheel
from signing import (
    SDIST_PROJECT,
    PublisherKey,
    copy_signed,
    key_sign,
    new_key,
    register,
    running,
    upload_signed,
)
from uploads import new_token, output, twine_upload

from dativo_pkg.trust import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    KEY_ISSUER,
    Publisher,
    Subject,
    sign_with_key,
)

REPORT = {"suite": "dativo-conformance", "passed": 42, "failed": 0}


@dataclass(frozen=True)
class Setup:
    registry: Registry
    token: str
    wheel: Path
    key: PublisherKey
    stranger: PublisherKey

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.registry.url}/api/v1/plugins/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    work = tmp_path_factory.mktemp("attachments")
    with running(work) as registry:
        key, stranger = new_key(work, "publisher"), new_key(work, "stranger")
        register(registry, "dativo-keyed", Publisher.from_public_key(key.public_pem.read_text()))
        token = new_token(registry, "ci")
        wheel = write_wheel(work, "dativo-keyed", "1.0")
        key_sign(key, wheel)
        sdist = copy_signed(SIGNED_SDIST, work)
        result = upload_signed(registry, token, wheel, sdist)
        assert result.returncode == 0, output(result)
        result = twine_upload(registry, token, write_wheel(work, "dativo-open", "1.0"))
        assert result.returncode == 0, output(result)
        yield Setup(registry, token, wheel, key, stranger)


def about(path: Path) -> Subject:
    return Subject(path.name, hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_key_signed_report_is_stored_with_its_signer(setup: Setup) -> None:
    statement = sign_with_key(
        setup.key.key, about(setup.wheel), predicate_type=CONFORMANCE_PREDICATE, predicate=REPORT
    )

    response = setup.post("dativo-keyed/1.0/conformance", statement)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["body"] == REPORT
    assert stored["signature"] == statement
    assert stored["subject"] == {"filename": setup.wheel.name, "sha256": about(setup.wheel).sha256}
    assert stored["signer"] == {"issuer": KEY_ISSUER, "identity": setup.key.key_id}

    release = httpx.get(f"{setup.registry.url}/api/v1/plugins/dativo-keyed/1.0").json()
    assert stored in release["attachments"]


def test_a_benchmark_must_be_a_benchmark_statement(setup: Setup) -> None:
    subject = about(setup.wheel)
    results = {"rows_per_second": 1_000_000}
    benchmark = sign_with_key(
        setup.key.key, subject, predicate_type=BENCHMARK_PREDICATE, predicate=results
    )
    response = setup.post("dativo-keyed/1.0/benchmarks", benchmark)
    assert response.status_code == 201, response.text
    assert response.json()["body"] == results

    response = setup.post("dativo-keyed/1.0/conformance", benchmark)
    assert response.status_code == 400
    assert f"not the expected '{CONFORMANCE_PREDICATE}'" in response.json()["detail"]


def test_a_report_signed_by_an_unregistered_key_is_refused(setup: Setup) -> None:
    statement = sign_with_key(
        setup.stranger.key,
        about(setup.wheel),
        predicate_type=CONFORMANCE_PREDICATE,
        predicate=REPORT,
    )
    response = setup.post("dativo-keyed/1.0/conformance", statement)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert f"signed by publisher key {setup.stranger.key_id}" in detail
    assert f"expected signer is publisher key {setup.key.key_id}" in detail


def test_a_report_about_another_file_is_refused(setup: Setup, tmp_path: Path) -> None:
    other = write_wheel(tmp_path, "dativo-keyed", "1.0", {"dativo_keyed/x.py": b"x = 1\n"})
    statement = sign_with_key(
        setup.key.key, about(other), predicate_type=CONFORMANCE_PREDICATE, predicate=REPORT
    )
    response = setup.post("dativo-keyed/1.0/conformance", statement)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert f"about sha256 {about(other).sha256}, which is no file of dativo-keyed 1.0" in detail


def test_a_tampered_report_is_refused(setup: Setup) -> None:
    statement = sign_with_key(
        setup.key.key, about(setup.wheel), predicate_type=CONFORMANCE_PREDICATE, predicate=REPORT
    )
    envelope = statement["dsseEnvelope"]
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["predicate"]["passed"] = 43
    envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()

    response = setup.post("dativo-keyed/1.0/conformance", statement)
    assert response.status_code == 400
    assert "the signature does not verify" in response.json()["detail"]


def test_unsigned_reports_need_a_project_without_publishers(setup: Setup) -> None:
    response = setup.post("dativo-keyed/1.0/conformance", REPORT)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "carries no signature" in detail and setup.key.key_id in detail

    response = setup.post("dativo-open/1.0/conformance", REPORT)
    assert response.status_code == 201, response.text
    assert response.json()["body"] == REPORT
    assert response.json()["signer"] is None and response.json()["signature"] is None


def test_a_keyless_publish_attestation_is_no_conformance_report(setup: Setup) -> None:
    """The real fixture attestation: a valid signature over the wrong kind of claim."""
    attestation = json.loads(Path(f"{SIGNED_SDIST}.publish.attestation").read_text())
    response = setup.post(f"{SDIST_PROJECT}/0.0.19/conformance", attestation)
    assert response.status_code == 400
    assert "attestations/publish/v1' claim" in response.json()["detail"]

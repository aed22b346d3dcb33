"""Uploads checked against the project's publishers: real twine, real Sigstore fixtures, keys.

Each refusal checks the status, that the message names what was expected
and what was presented (and what to do), and that nothing was published: no
file on the simple page, no new blob. Most tests share one SQLite registry
trusting the production Sigstore roots (``prod``), where the fixture sdist's
publisher is registered and the sdist itself is never accepted, so every
test may try it; the core accept/refuse test runs on both databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Registry
from dists import SIGNED_SDIST, SIGNED_WHEEL, write_sdist, write_wheel
from signing import (
    SDIST_IDENTITY,
    SDIST_ISSUER,
    SDIST_PROJECT,
    SDIST_WORKFLOW,
    WHEEL_IDENTITY,
    WHEEL_ISSUER,
    WHEEL_PROJECT,
    blobs,
    copy_signed,
    key_sign,
    new_key,
    register,
    running,
    says,
    upload_signed,
)
from sqlalchemy.orm import Session
from uploads import database, new_token, output, served_files, twine_upload

from dativo_pkg.trust import Publisher
from dativo_registry.auth import revoke_token

OTHER_WORKFLOW = "https://github.com/someone/else/.github/workflows/release.yml"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Production roots only; the fixture sdist's project has its real publisher."""
    with running(tmp_path_factory.mktemp("prod")) as registry:
        register(registry, SDIST_PROJECT, Publisher.oidc(SDIST_ISSUER, SDIST_IDENTITY))
        yield registry


@pytest.fixture(scope="module")
def alice(prod: Registry) -> str:
    return new_token(prod, "alice")


def assert_nothing_published(
    registry: Registry, project: str, filename: str, before: set[str]
) -> None:
    assert filename not in served_files(registry, project)
    assert blobs(registry) == before


# --- the real fixtures, keyless ---------------------------------------------------------------


def test_fixture_sdist_is_accepted_only_from_its_publisher(
    registry: Registry, tmp_path: Path
) -> None:
    """On both databases: refused while the publisher is someone else, accepted once it is."""
    sdist = copy_signed(SIGNED_SDIST, tmp_path)
    token = new_token(registry, "ci")
    register(registry, SDIST_PROJECT, Publisher.oidc(SDIST_ISSUER, OTHER_WORKFLOW))
    before = blobs(registry)

    refused = upload_signed(registry, token, sdist)
    assert refused.returncode != 0
    assert says(
        refused,
        "400 Bad Request",
        f"signed by {SDIST_IDENTITY} (issuer {SDIST_ISSUER})",  # presented
        f"expected signer is {OTHER_WORKFLOW} (issuer {SDIST_ISSUER})",
        f"dativo-registry publisher add --project {SDIST_PROJECT} --issuer {SDIST_ISSUER} "
        f"--identity {SDIST_IDENTITY}",
    ), output(refused)
    assert_nothing_published(registry, SDIST_PROJECT, sdist.name, before)

    register(registry, SDIST_PROJECT, Publisher.oidc(SDIST_ISSUER, SDIST_IDENTITY))
    accepted = upload_signed(registry, token, sdist)
    assert accepted.returncode == 0, output(accepted)
    listed = served_files(registry, SDIST_PROJECT)[sdist.name]
    assert listed["provenance"] == (
        f"../../integrity/{SDIST_PROJECT}/0.0.19/{sdist.name}/provenance"
    )


def test_trusted_instances_are_configuration(tmp_path: Path) -> None:
    """Both public instances trusted: the staging wheel verifies too. A workflow publisher
    without its "@refs/..." accepts the tagged release; no publisher accepts any identity."""
    with running(
        tmp_path, "--sigstore-instance", "production", "--sigstore-instance", "staging"
    ) as registry:
        register(registry, SDIST_PROJECT, Publisher.oidc(SDIST_ISSUER, SDIST_WORKFLOW))
        dists = [copy_signed(SIGNED_SDIST, tmp_path), copy_signed(SIGNED_WHEEL, tmp_path)]
        result = upload_signed(registry, new_token(registry, "ci"), *dists)
        assert result.returncode == 0, output(result)
        for project, dist in zip((SDIST_PROJECT, WHEEL_PROJECT), dists, strict=True):
            assert served_files(registry, project)[dist.name]["provenance"]


def test_staging_wheel_is_refused_by_production_roots(
    prod: Registry, alice: str, tmp_path: Path
) -> None:
    register(prod, WHEEL_PROJECT, Publisher.oidc(WHEEL_ISSUER, WHEEL_IDENTITY))
    wheel = copy_signed(SIGNED_WHEEL, tmp_path)
    before = blobs(prod)

    result = upload_signed(prod, alice, wheel)
    assert result.returncode != 0
    assert says(
        result,
        f"{wheel.name}: the signature does not verify against the trusted Sigstore roots",
        "--sigstore-instance staging",
    ), output(result)
    assert_nothing_published(prod, WHEEL_PROJECT, wheel.name, before)


def test_one_changed_byte_is_refused(prod: Registry, alice: str, tmp_path: Path) -> None:
    sdist = copy_signed(SIGNED_SDIST, tmp_path)
    data = bytearray(sdist.read_bytes())
    data[4] ^= 0xFF  # the gzip header's mtime: still a valid archive, no longer the signed bytes
    sdist.write_bytes(bytes(data))
    before = blobs(prod)

    result = upload_signed(prod, alice, sdist)
    assert result.returncode != 0
    assert says(result, f"{sdist.name} is not the file that was signed"), output(result)
    assert_nothing_published(prod, SDIST_PROJECT, sdist.name, before)


def test_an_attestation_for_another_file_is_refused(
    prod: Registry, alice: str, tmp_path: Path
) -> None:
    """The fixture's attestation, presented with another sdist of the same project."""
    other = write_sdist(tmp_path, SDIST_PROJECT, "0.0.20")
    attestation = json.loads(Path(f"{SIGNED_SDIST}.publish.attestation").read_text())
    Path(f"{other}.publish.attestation").write_text(json.dumps(attestation))
    before = blobs(prod)

    result = upload_signed(prod, alice, other)
    assert result.returncode != 0
    assert says(result, f"the signature is for {SIGNED_SDIST.name}, not for {other.name}")
    assert_nothing_published(prod, SDIST_PROJECT, other.name, before)


def test_a_token_for_another_project_is_refused(prod: Registry, tmp_path: Path) -> None:
    sdist = copy_signed(SIGNED_SDIST, tmp_path)
    token = new_token(prod, "mallory", "some-other-project")

    result = upload_signed(prod, token, sdist)
    assert says(result, "403 Forbidden", "may upload only to some-other-project"), output(result)
    assert sdist.name not in served_files(prod, SDIST_PROJECT)


def test_a_revoked_token_is_refused(prod: Registry, tmp_path: Path) -> None:
    sdist = copy_signed(SIGNED_SDIST, tmp_path)
    token = new_token(prod, "ci")
    with database(prod) as engine, Session(engine) as session:
        revoke_token(session, token)
        session.commit()

    result = upload_signed(prod, token, sdist)
    assert says(result, "401 Unauthorized"), output(result)
    assert sdist.name not in served_files(prod, SDIST_PROJECT)


# --- publisher keys ---------------------------------------------------------------------------


def test_a_key_publisher_signs_offline(prod: Registry, alice: str, tmp_path: Path) -> None:
    key, stranger = new_key(tmp_path, "publisher"), new_key(tmp_path, "stranger")
    prod.admin("publisher", "add", "--project", "Dativo_Keyed", "--key", str(key.public_pem))

    wheel = write_wheel(tmp_path, "dativo-keyed", "1.0")
    key_sign(key, wheel)
    result = upload_signed(prod, alice, wheel)
    assert result.returncode == 0, output(result)
    provenance_url = served_files(prod, "dativo-keyed")[wheel.name]["provenance"]
    document = httpx.get(httpx.URL(prod.simple + "dativo-keyed/").join(provenance_url)).json()
    publisher = document["attestation_bundles"][0]["publisher"]
    assert publisher["kind"] == "PublisherKey" and publisher["key_id"] == key.key_id

    forged = write_wheel(tmp_path, "dativo-keyed", "1.1")
    key_sign(stranger, forged)
    before = blobs(prod)
    result = upload_signed(prod, alice, forged)
    assert result.returncode != 0
    assert says(
        result,
        f"signed by publisher key {stranger.key_id}",
        f"expected signer is publisher key {key.key_id}",
    ), output(result)
    assert_nothing_published(prod, "dativo-keyed", forged.name, before)


def test_a_key_signature_needs_a_registered_key(prod: Registry, alice: str, tmp_path: Path) -> None:
    """A project without publishers: a key signature cannot be checked, so it is refused."""
    wheel = write_wheel(tmp_path, "dativo-unregistered", "1.0")
    key = new_key(tmp_path)
    key_sign(key, wheel)

    result = upload_signed(prod, alice, wheel)
    assert result.returncode != 0
    assert says(
        result,
        f"signed with publisher key {key.key_id}, but that key is not registered",
        "dativo-registry publisher add --project dativo-unregistered --key",
    ), output(result)
    assert served_files(prod, "dativo-unregistered") == {}


def test_a_project_with_publishers_refuses_unsigned_files(
    prod: Registry, alice: str, tmp_path: Path
) -> None:
    sdist = write_sdist(tmp_path, SDIST_PROJECT, "0.0.21")

    result = twine_upload(prod, alice, sdist)
    assert result.returncode != 0
    assert says(
        result,
        f"{sdist.name} carries no signature",
        f"signed by {SDIST_IDENTITY} (issuer {SDIST_ISSUER})",
        "twine upload --attestations",
    ), output(result)


# --- --require-signatures ---------------------------------------------------------------------


def test_require_signatures(tmp_path: Path) -> None:
    with running(tmp_path, "--require-signatures") as registry:
        token = new_token(registry, "ci")
        key = new_key(tmp_path)
        register(registry, "dativo-keyed", Publisher.from_public_key(key.public_pem.read_bytes()))
        unsigned = write_wheel(tmp_path, "dativo-keyed", "1.0")
        result = twine_upload(registry, token, unsigned)
        assert says(result, f"{unsigned.name} carries no signature"), output(result)

        loose = write_wheel(tmp_path, "dativo-loose", "1.0")
        result = twine_upload(registry, token, loose)
        assert says(result, "dativo-registry publisher add --project dativo-loose")

        sdist = copy_signed(SIGNED_SDIST, tmp_path)  # verifies, but no publisher to check it
        result = upload_signed(registry, token, sdist)
        assert says(result, f"dativo-registry publisher add --project {SDIST_PROJECT}")
        assert served_files(registry, "dativo-loose") == {}
        assert served_files(registry, SDIST_PROJECT) == {}

        key_sign(key, unsigned)
        result = upload_signed(registry, token, unsigned)
        assert result.returncode == 0, output(result)
        assert served_files(registry, "dativo-keyed")[unsigned.name]["provenance"]

        # Signed both ways, only the key is a publisher: accepted on the key's signature,
        # and the provenance holds only what was verified against a publisher.
        register(registry, SDIST_PROJECT, Publisher.from_public_key(key.public_pem.read_bytes()))
        key_sign(key, sdist)
        result = upload_signed(registry, token, sdist)
        assert result.returncode == 0, output(result)
        url = f"{registry.url}/integrity/{SDIST_PROJECT}/0.0.19/{sdist.name}/provenance"
        (bundle,) = httpx.get(url).json()["attestation_bundles"]
        assert bundle["publisher"]["key_id"] == key.key_id
        assert len(bundle["attestations"]) == 1

"""``dativo-pkg publish`` into real registries: what arrives, and what is refused before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import (
    BENCHMARK,
    CERTIFIED_REPORT,
    Hub,
    new_key,
    plugin_wheel,
    unique,
    write_report,
)

from dativo_pkg._internal.registry_client import RegistryRefused
from dativo_pkg.errors import TrustError


def test_a_signed_plugin_with_a_signed_report_is_certified(any_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    any_hub.add_key_publisher(project, key)
    dist = plugin_wheel(tmp_path / "dist", project)
    key.sign(dist)
    key.sign_report(dist, write_report(dist))
    key.sign_report(dist, write_report(dist, "benchmark", BENCHMARK), "benchmark")

    result = any_hub.publish(tmp_path / "dist")

    [release] = result.releases
    assert (release.project, release.version) == (project, "1.0")
    assert release.url == f"{any_hub.url}/api/v1/plugins/{project}/1.0"
    assert release.certification == "certified"
    [uploaded] = release.files
    assert uploaded["filename"] == dist.name
    assert (uploaded["action"], uploaded["signed"]) == ("uploaded", True)
    assert uploaded["attestations"] == [f"{dist.name}.key.attestation"]
    assert sorted((s["kind"], s["action"], s["signed"]) for s in release.statements) == [
        ("benchmark", "attached", True),
        ("conformance", "attached", True),
    ]

    detail = any_hub.release(project)
    assert detail is not None
    assert detail["certification"] == "certified"
    assert [f["filename"] for f in detail["files"]] == [dist.name]
    bodies = {a["kind"]: a["body"] for a in detail["attachments"]}
    assert bodies == {"conformance": CERTIFIED_REPORT, "benchmark": BENCHMARK}
    assert all(a["signer"]["identity"] == key_id(key.public) for a in detail["attachments"])
    provenance = any_hub.get(f"/integrity/{project}/1.0/{dist.name}/provenance")
    assert provenance.status_code == 200  # the attestation went up with the file
    assert project in any_hub.plugin_names(certification="certified")
    listed = any_hub.get("/api/v1/plugins").json()["plugins"]
    assert {p["normalized"]: p["certification"] for p in listed}[project] == "certified"


def key_id(public: Path) -> str:
    from dativo_pkg.trust import Publisher

    found = Publisher.from_public_key(public.read_bytes()).key_id
    assert found is not None
    return found


def test_publishing_again_sends_nothing_twice(open_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    open_hub.add_key_publisher(project, key)
    dist = plugin_wheel(tmp_path / "dist", project)
    key.sign(dist)
    key.sign_report(dist, write_report(dist))
    open_hub.publish(tmp_path / "dist")

    again = open_hub.publish(tmp_path / "dist")

    [release] = again.releases
    assert [f["action"] for f in release.files] == ["skipped"]
    assert [s["action"] for s in release.statements] == ["skipped"]
    assert release.certification == "certified"
    detail = open_hub.release(project)
    assert detail is not None and len(detail["attachments"]) == 1


def test_an_unsigned_plugin_is_refused_before_anything_is_uploaded(
    strict_hub: Hub, tmp_path: Path
) -> None:
    project = unique()
    wheel = plugin_wheel(tmp_path / "dist", project)
    write_report(wheel)

    with pytest.raises(TrustError) as info:
        strict_hub.publish(tmp_path / "dist")

    error = info.value
    assert error.exit_code == 7
    assert f"unsigned distributions: {wheel.name}" in error.message
    assert f"unsigned reports: {wheel.name}.conformance.json" in error.message
    assert error.hint is not None and "dativo-pkg sign --key KEY.pem DIST" in error.hint
    assert "dativo-pkg sign --conformance" in error.hint
    assert strict_hub.release(project) is None
    assert strict_hub.get(f"/simple/{project}/").status_code == 404


def test_a_signed_plugin_with_an_unsigned_report_is_refused_when_signatures_are_required(
    open_hub: Hub, tmp_path: Path
) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    open_hub.add_key_publisher(project, key)  # a project with publishers requires signatures
    dist = plugin_wheel(tmp_path / "dist", project)
    key.sign(dist)
    write_report(dist)

    with pytest.raises(TrustError, match=rf"unsigned reports: {dist.name}\.conformance\.json"):
        open_hub.publish(tmp_path / "dist")
    assert open_hub.release(project) is None


def test_a_statement_about_another_file_is_refused_locally(open_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    open_hub.add_key_publisher(project, key)
    other = plugin_wheel(tmp_path / "other", project, "0.9")
    key.sign_report(other, write_report(other))
    dist = plugin_wheel(tmp_path / "dist", project)
    key.sign(dist)
    target = dist.with_name(f"{dist.name}.conformance.sigstore.json")
    shutil.copy(f"{other}.conformance.sigstore.json", target)

    with pytest.raises(TrustError) as info:
        open_hub.publish(tmp_path / "dist")

    assert info.value.exit_code == 7
    assert f"{dist.name}.conformance.sigstore.json: the signature is for {other.name}" in str(
        info.value
    )
    assert open_hub.release(project) is None


def test_a_changed_attestation_is_refused_locally(open_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    dist = plugin_wheel(tmp_path / "dist", project)
    [attestation] = key.sign(dist)
    dist.write_bytes(plugin_wheel(tmp_path / "rebuilt", project, extra=b"x = 1\n").read_bytes())

    with pytest.raises(TrustError, match="is not the file that was signed"):
        open_hub.publish(dist, attestation)
    assert open_hub.release(project) is None


def test_a_key_the_registry_does_not_know_is_refused_before_upload(
    open_hub: Hub, tmp_path: Path
) -> None:
    project = unique()
    registered, stranger = new_key(tmp_path / "a", "registered"), new_key(tmp_path / "b", "other")
    open_hub.add_key_publisher(project, registered)
    dist = plugin_wheel(tmp_path / "dist", project)
    stranger.sign(dist)

    with pytest.raises(TrustError) as info:
        open_hub.publish(tmp_path / "dist")

    assert f"{dist.name}.key.attestation" in info.value.message
    assert key_id(registered.public) in info.value.message
    assert "nothing was uploaded" in info.value.message
    assert open_hub.release(project) is None


def test_unsigned_reports_go_up_bare_where_allowed_and_certify_nothing(
    open_hub: Hub, tmp_path: Path
) -> None:
    project = unique()
    dist = plugin_wheel(tmp_path / "dist", project)
    write_report(dist)

    [release] = open_hub.publish(tmp_path / "dist").releases

    assert [(f["action"], f["signed"]) for f in release.files] == [("uploaded", False)]
    assert [(s["action"], s["signed"]) for s in release.statements] == [("attached", False)]
    assert release.certification is None
    detail = open_hub.release(project)
    assert detail is not None
    [attachment] = detail["attachments"]
    assert (attachment["body"], attachment["signature"]) == (CERTIFIED_REPORT, None)
    assert detail["certification"] is None
    # ... and a second run does not attach it again
    [again] = open_hub.publish(tmp_path / "dist").releases
    assert [s["action"] for s in again.statements] == ["skipped"]


def test_a_report_about_a_file_uploaded_unsigned_is_capped_at_verified(
    open_hub: Hub, tmp_path: Path
) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    dist = plugin_wheel(tmp_path / "dist", project)
    open_hub.publish(tmp_path / "dist")  # unsigned: no provenance
    open_hub.add_key_publisher(project, key)
    key.sign_report(dist, write_report(dist))

    [release] = open_hub.publish(tmp_path / "dist").releases  # the file is there: skipped

    assert [f["action"] for f in release.files] == ["skipped"]
    assert release.certification == "verified"
    assert project in open_hub.plugin_names(certification="verified")
    assert project in open_hub.plugin_names(certification="compatible")
    assert project not in open_hub.plugin_names(certification="certified")


def test_a_changed_file_under_a_published_name_is_refused(open_hub: Hub, tmp_path: Path) -> None:
    project = unique()
    plugin_wheel(tmp_path / "dist", project)
    open_hub.publish(tmp_path / "dist")
    changed = plugin_wheel(tmp_path / "changed", project, extra=b"y = 2\n")

    with pytest.raises(RegistryRefused) as info:
        open_hub.publish(changed)

    assert f"{changed.name} is already in the registry with other content" in info.value.message
    assert info.value.hint is not None and "new version" in info.value.hint


def test_the_upload_policy(open_hub: Hub, strict_hub: Hub, tmp_path: Path) -> None:
    project, key = unique(), new_key(tmp_path / "keys")
    assert open_hub.get(f"/api/v1/projects/{project}/upload-policy").json() == {
        "project": project,
        "signatures_required": False,
        "publishers": [],
    }
    strict = strict_hub.get(f"/api/v1/projects/{project}/upload-policy").json()
    assert strict["signatures_required"] is True

    open_hub.add_key_publisher(project, key)  # before the project exists, like PyPI's pending
    policy = open_hub.get(f"/api/v1/projects/{project.upper()}/upload-policy").json()
    assert policy["project"] == project
    assert policy["signatures_required"] is True
    [publisher] = policy["publishers"]
    assert (publisher["kind"], publisher["key_id"]) == ("key", key_id(key.public))
    assert publisher["public_key"] == key.public.read_text()

    response = open_hub.get("/api/v1/projects/-bad-/upload-policy")
    assert response.status_code == 404
    assert "not a valid project name" in response.json()["detail"]


def test_the_certification_filter_is_validated(open_hub: Hub) -> None:
    response = open_hub.get("/api/v1/plugins?certification=platinum")
    assert response.status_code == 422


def test_json_result_lists_every_file(open_hub: Hub, tmp_path: Path) -> None:
    project = unique()
    plugin_wheel(tmp_path / "dist", project)
    result = open_hub.publish(tmp_path / "dist").to_json()
    assert json.loads(json.dumps(result))["registry"] == {"name": None, "url": open_hub.url}
    assert [f["action"] for f in result["releases"][0]["files"]] == ["uploaded"]

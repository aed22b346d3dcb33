"""`dativo-pkg install`: signed plugins install verified; what is not verified is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import (
    HELLO_READER,
    STAGING_IDENTITY,
    STAGING_ISSUER,
    STAGING_WHEEL,
    Index,
    Target,
    dativo_pkg,
    install_into,
    make_wheel,
    new_key,
)

from dativo_pkg.install import DigestMismatch, SignerChanged, UnsignedPlugin
from dativo_pkg.trust import KEY_ISSUER, SignatureInvalid, SignerMismatch


def test_a_key_signed_plugin_installs_verified_and_is_locked(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "alpha")
    module = HELLO_READER + "\nReader = HelloReader\n"
    wheel = make_wheel(tmp_path / "dist", "alpha-plugin", "1.0", plugin="alpha", module=module)
    index.publish(wheel, key)

    result = dativo_pkg(
        "install", "alpha-plugin", "--index-url", index.simple, "--prefix", str(target.prefix),
        "--lockfile", str(target.lockfile), "--json", cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert target.installed() == {"alpha-plugin": "1.0"}
    locked = target.lock()["alpha-plugin"]
    key_id = json.loads(result.stdout)["packages"][0]["signer"]["identity"]
    assert locked == {
        "name": "alpha-plugin",
        "version": "1.0",
        "filename": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "index": index.simple,
        "plugin": True,
        "signer-identity": key_id,
        "signer-issuer": KEY_ISSUER,
    }
    assert key_id.startswith("sha256:")
    # the installed plugin runs: found through DATIVO_PLUGIN_PATH, imported, read from
    job = tmp_path / "job.yaml"
    job.write_text(
        "source: {plugin: alpha, config: {rows: 3}}\n"
        f"target: {{plugin: csv, config: {{path: {tmp_path / 'out'}}}}}\n"
    )
    ran = dativo_pkg(
        "run", str(job), "--json", cwd=tmp_path, env={"DATIVO_PLUGIN_PATH": str(target.site)}
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["rows"] == 3


def test_the_staging_fixture_installs_verified_against_its_identity(
    index: Index, target: Target, tmp_path: Path
) -> None:
    shutil.copy(STAGING_WHEEL, tmp_path)
    shutil.copy(STAGING_WHEEL.parent / f"{STAGING_WHEEL.name}.publish.attestation", tmp_path)
    index.add_oidc_publisher("rfc8785", STAGING_ISSUER, STAGING_IDENTITY)
    index.upload(
        tmp_path / STAGING_WHEEL.name, tmp_path / f"{STAGING_WHEEL.name}.publish.attestation"
    )

    # production roots only: a staging certificate is not trusted
    with pytest.raises(SignatureInvalid):
        install_into(target, index, "rfc8785")
    assert target.installed() == {}
    assert not target.lockfile.exists()

    install_into(target, index, "rfc8785", sigstore_instances=("staging",))
    assert target.installed() == {"rfc8785": "0.1.2"}
    locked = target.lock()["rfc8785"]
    assert (locked["signer-identity"], locked["signer-issuer"]) == (
        STAGING_IDENTITY,
        STAGING_ISSUER,
    )
    assert locked["plugin"] is False


def test_a_blob_changed_in_the_registry_is_refused(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "bravo")
    wheel = index.publish(make_wheel(tmp_path / "dist", "bravo-plugin", "1.0", plugin="bravo"), key)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    blob = index.blob(digest)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a compromised registry serves other bytes
    blob.write_bytes(bytes(data))
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    result = dativo_pkg(
        "install", "bravo-plugin", "--index-url", index.simple, "--prefix", str(target.prefix),
        "--lockfile", str(target.lockfile), cwd=tmp_path, env={"TMPDIR": str(scratch)},
    )  # fmt: skip

    assert result.returncode == 7, result.stderr
    assert "sha256" in result.stderr and wheel.name in result.stderr
    assert target.installed() == {}
    assert not target.lockfile.exists()
    assert list(scratch.iterdir()) == []  # the downloads were removed


def test_an_unsigned_plugin_needs_allow_unsigned(
    index: Index, target: Target, tmp_path: Path
) -> None:
    index.publish(make_wheel(tmp_path / "dist", "charlie-plugin", "1.0", plugin="charlie"))

    result = dativo_pkg(
        "install", "charlie-plugin", "--index-url", index.simple, "--prefix", str(target.prefix),
        "--lockfile", str(target.lockfile), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 7
    assert "not signed" in result.stderr and "--allow-unsigned" in result.stderr
    assert target.installed() == {}

    install_into(target, index, "charlie-plugin", allow_unsigned=True)
    assert target.installed() == {"charlie-plugin": "1.0"}
    locked = target.lock()["charlie-plugin"]
    assert locked["plugin"] is True
    assert "signer-identity" not in locked


def test_a_new_signer_is_refused_until_accepted(
    index: Index, target: Target, tmp_path: Path
) -> None:
    first, second = new_key(tmp_path, "first"), new_key(tmp_path, "second")
    index.publish(make_wheel(tmp_path / "dist", "delta-plugin", "1.0", plugin="delta"), first)
    install_into(target, index, "delta-plugin")
    recorded = target.lock()["delta-plugin"]["signer-identity"]
    # the registry now also accepts the second key, which signs 2.0
    index.publish(make_wheel(tmp_path / "dist", "delta-plugin", "2.0", plugin="delta"), second)
    lock_before = target.lockfile.read_bytes()

    with pytest.raises(SignerChanged) as refused:
        install_into(target, index, "delta-plugin")
    assert recorded in refused.value.message and "--accept-new-signer" in str(refused.value.hint)
    assert target.installed() == {"delta-plugin": "1.0"}
    assert target.lockfile.read_bytes() == lock_before

    result = install_into(target, index, "delta-plugin", accept_new_signer=("Delta_Plugin",))
    assert [p.action for p in result.packages] == ["replaced"]
    assert target.installed() == {"delta-plugin": "2.0"}
    assert target.lock()["delta-plugin"]["signer-identity"] != recorded


def test_a_policy_refuses_signers_it_does_not_name(
    index: Index, target: Target, tmp_path: Path
) -> None:
    allowed, other = new_key(tmp_path, "allowed"), new_key(tmp_path, "other")
    index.publish(make_wheel(tmp_path / "dist", "echo-plugin", "1.0", plugin="echo"), other)
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"plugins:\n  echo-plugin:\n    - key: {allowed.public.name}\n")

    with pytest.raises(SignerMismatch) as refused:
        install_into(target, index, "echo-plugin", policy=policy)
    assert "echo-plugin" in refused.value.message
    assert target.installed() == {}

    policy.write_text(f"plugins:\n  echo-plugin:\n    - key: {other.public}\n")
    install_into(target, index, "echo-plugin", policy=policy)
    assert target.installed() == {"echo-plugin": "1.0"}


def test_digest_mismatch_is_a_trust_error(index: Index, target: Target, tmp_path: Path) -> None:
    """Same attack as the changed blob, in-process: the exception type is the contract."""
    key = new_key(tmp_path, "foxtrot")
    wheel = index.publish(make_wheel(tmp_path / "dist", "foxtrot-plugin", "1.0", plugin="fox"), key)
    blob = index.blob(hashlib.sha256(wheel.read_bytes()).hexdigest())
    blob.write_bytes(blob.read_bytes().replace(b"foxtrot", b"FOXTROT", 1))
    with pytest.raises(DigestMismatch):
        install_into(target, index, "foxtrot-plugin")


def test_unsigned_is_refused_for_plugins_among_dependencies(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "golf")
    index.publish(make_wheel(tmp_path / "dist", "golf-base", "1.0", plugin="golfbase"))
    index.publish(
        make_wheel(
            tmp_path / "dist", "golf-plugin", "1.0", plugin="golf", requires=("golf-base>=1",)
        ),
        key,
    )
    with pytest.raises(UnsignedPlugin, match="golf-base"):
        install_into(target, index, "golf-plugin")
    assert target.installed() == {}


def test_a_locked_signer_then_no_signature_is_a_signer_change(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "hotel")
    index.publish(make_wheel(tmp_path / "dist", "hotel-plugin", "1.0", plugin="hotel"), key)
    install_into(target, index, "hotel-plugin")
    key_id = target.lock()["hotel-plugin"]["signer-identity"]
    index.registry.admin("publisher", "remove", "--project", "hotel-plugin", "--key-id", key_id)
    index.publish(make_wheel(tmp_path / "dist", "hotel-plugin", "2.0", plugin="hotel"))

    with pytest.raises(SignerChanged, match="signed by nobody"):
        install_into(target, index, "hotel-plugin", allow_unsigned=True)
    assert target.installed() == {"hotel-plugin": "1.0"}

    install_into(
        target, index, "hotel-plugin", allow_unsigned=True, accept_new_signer=("hotel-plugin",)
    )
    assert target.installed() == {"hotel-plugin": "2.0"}
    assert "signer-identity" not in target.lock()["hotel-plugin"]

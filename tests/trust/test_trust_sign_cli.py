"""`dativo-pkg key generate` and `dativo-pkg sign`, run as a user runs them.

Keyless signing is tested up to the network boundary: no Sigstore instance is
reachable here, so a bad token or an unreachable instance must give a clear
error and write nothing. What keyless signing produces is tested through the
real attestations in the fixtures (test_trust_verify.py).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sigstore.models import ClientTrustConfig
from trust_fixtures import STAGING_WHEEL

from dativo_pkg.trust import (
    CONFORMANCE_PREDICATE,
    Publisher,
    TrustRoots,
    statement_subject,
    verify_signature,
)

DATIVO_PKG = Path(sys.executable).parent / "dativo-pkg"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DATIVO_PKG), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(STAGING_WHEEL, tmp_path)
    (tmp_path / "passphrase").write_text("correct horse battery\n")
    return tmp_path


@pytest.fixture
def keypair(workdir: Path) -> Path:
    result = run(
        "key",
        "generate",
        "-o",
        "publisher.pem",
        "--passphrase-file",
        "passphrase",
        "--json",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    return workdir / "publisher.pem"


def signature_files(directory: Path) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if ".attestation" in p.name or "sigstore" in p.name
    )


def test_key_generate_writes_an_encrypted_private_key_and_a_public_key(keypair: Path) -> None:
    assert b"ENCRYPTED PRIVATE KEY" in keypair.read_bytes()
    assert stat.S_IMODE(keypair.stat().st_mode) == 0o600
    assert Publisher.from_public_key(keypair.with_name("publisher.pem.pub").read_bytes()).key_id


def test_key_generate_never_overwrites(workdir: Path, keypair: Path) -> None:
    before = keypair.read_bytes()
    result = run(
        "key", "generate", "-o", "publisher.pem", "--passphrase-file", "passphrase", cwd=workdir
    )
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert keypair.read_bytes() == before


def test_sign_with_a_key_writes_a_bundle_that_verifies(workdir: Path, keypair: Path) -> None:
    result = run(
        "sign",
        STAGING_WHEEL.name,
        "--key",
        "publisher.pem",
        "--passphrase-file",
        "passphrase",
        "--json",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    signature = workdir / f"{STAGING_WHEEL.name}.key.attestation"
    assert record["signature"] == str(signature.relative_to(workdir))
    publisher = Publisher.from_public_key(keypair.with_name("publisher.pem.pub").read_bytes())
    verified = verify_signature(
        TrustRoots.load(),
        json.loads(signature.read_text()),
        statement_subject(workdir / STAGING_WHEEL.name),
        publishers=[publisher],
    )
    assert verified.signer.identity == publisher.key_id


def test_sign_a_conformance_report(workdir: Path, keypair: Path) -> None:
    (workdir / "report.json").write_text(json.dumps({"suite": "reader", "passed": 12, "failed": 0}))
    result = run(
        "sign",
        STAGING_WHEEL.name,
        "--key",
        "publisher.pem",
        "--passphrase-file",
        "passphrase",
        "--conformance",
        "report.json",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    signed = workdir / f"{STAGING_WHEEL.name}.conformance.sigstore.json"
    publisher = Publisher.from_public_key(keypair.with_name("publisher.pem.pub").read_bytes())
    verified = verify_signature(
        TrustRoots.load(),
        json.loads(signed.read_text()),
        statement_subject(workdir / STAGING_WHEEL.name),
        predicate_type=CONFORMANCE_PREDICATE,
        publishers=[publisher],
    )
    assert verified.predicate == {"suite": "reader", "passed": 12, "failed": 0}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--passphrase-file", "wrong"], 7, "passphrase is wrong"),
        (["--passphrase-file", "passphrase", "missing-1.0.tar.gz"], 2, "is not a file"),
        (["--passphrase-file", "passphrase", "notes.txt"], 7, "not a wheel or sdist"),
    ],
    ids=["wrong-passphrase", "missing-dist", "not-a-dist"],
)
def test_a_failed_key_signing_writes_nothing(
    workdir: Path, keypair: Path, args: list[str], code: int, message: str
) -> None:
    (workdir / "wrong").write_text("nope\n")
    (workdir / "notes.txt").write_text("hello")
    result = run("sign", STAGING_WHEEL.name, "--key", "publisher.pem", *args, cwd=workdir)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert signature_files(workdir) == []


def _token(issuer: str = "https://issuer.invalid") -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "aud": "sigstore",
        "sub": "dev@example.com",
        "iss": issuer,
        "iat": now,
        "exp": now + 600,
    }
    return f"{part({'alg': 'ES256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _unreachable_instance(directory: Path) -> Path:
    """A trust config whose services all point at a closed local port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = json.loads(ClientTrustConfig.staging(offline=True)._inner.to_json())
    for services in ("caUrls", "oidcUrls", "rekorTlogUrls", "tsaUrls"):
        for service in config["signingConfig"].get(services, []):
            service["url"] = closed
    path = directory / "private-instance.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--identity-token", "not-a-jwt"], "identity token was refused"),
        (
            ["--identity-token", "TOKEN", "--trust-config", "PRIVATE"],
            "cannot reach the Sigstore instance",
        ),
        ([], "no identity token"),
    ],
    ids=["malformed-token", "unreachable-instance", "no-token"],
)
def test_keyless_failures_are_clear_and_write_nothing(
    workdir: Path, extra: list[str], message: str
) -> None:
    # Made here, not at collection: the token expires 10 minutes after it is made.
    placeholders = {"PRIVATE": str(_unreachable_instance(workdir)), "TOKEN": _token()}
    args = [placeholders.get(a, a) for a in extra]
    result = run("sign", STAGING_WHEEL.name, *args, cwd=workdir)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert signature_files(workdir) == []

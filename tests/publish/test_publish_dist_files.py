"""Which files ``dativo-pkg publish`` takes, and the checks made on them before any upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import new_key, plugin_wheel, write_report

from dativo_pkg._internal.dist_files import collect
from dativo_pkg.errors import ConfigError, TrustError


def test_a_directory_gives_its_distributions_and_their_companions(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys")
    dist = plugin_wheel(tmp_path / "dist", "acme")
    key.sign(dist)
    key.sign_report(dist, write_report(dist))  # the bare report stays beside the signed one
    write_report(dist, "benchmark", {"rows_per_second": 1})
    (tmp_path / "dist" / ".acme-0.2-py3-none-any.whl.tmp").write_bytes(b"half-written")
    (tmp_path / "dist" / "notes.txt").write_text("not a distribution")

    [found] = collect([tmp_path / "dist"])

    assert found.path == dist
    assert (found.project, found.version) == ("acme", "1.0")
    assert [p.name for p in found.attestations] == [f"{dist.name}.key.attestation"]
    statements = {s.kind: (s.path.name, s.signed) for s in found.statements}
    assert statements == {
        "conformance": (f"{dist.name}.conformance.sigstore.json", True),
        "benchmark": (f"{dist.name}.benchmark.json", False),
    }


def test_files_given_one_by_one_like_dist_star(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys")
    dist = plugin_wheel(tmp_path / "dist", "acme")
    [attestation] = key.sign(dist)
    report = write_report(dist)

    [found] = collect([dist, attestation, report])  # the companions are found beside it

    assert found.path == dist and found.attestations == [attestation]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.whl", "does not exist"),
        (lambda d: _text(d / "README.md"), "is not a distribution"),
        (lambda d: _dir(d / "empty"), "no distributions in"),
        (lambda d: _text(d / "not-a-wheel.whl"), "is not a valid distribution filename"),
    ],
)
def test_what_is_not_a_distribution(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        collect([path])


def _text(path: Path) -> Path:
    path.write_text("x")
    return path


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_publish_signature_made_as_a_report_is_refused(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys")
    dist = plugin_wheel(tmp_path / "dist", "acme")
    signed = key.sign_report(dist, write_report(dist))
    signed.rename(f"{dist}.key.attestation")  # a conformance statement, not a publish one

    with pytest.raises(TrustError, match=r"not the expected .https://docs\.pypi\.org/attestations"):
        collect([tmp_path / "dist"])


def test_a_companion_that_is_not_a_signature_is_refused(tmp_path: Path) -> None:
    dist = plugin_wheel(tmp_path / "dist", "acme")
    Path(f"{dist}.conformance.sigstore.json").write_text(json.dumps({"level": "certified"}))
    with pytest.raises(TrustError, match="is not a signature"):
        collect([dist])
    Path(f"{dist}.conformance.sigstore.json").write_text("{not json")
    with pytest.raises(ConfigError, match="is not JSON"):
        collect([dist])

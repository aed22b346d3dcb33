"""The suite against real plugins: good ones pass, broken ones fail the right checks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from dativo_conformance import (
    ProjectConfig,
    Target,
    load_project,
    open_context,
    run_check,
    run_suite,
)
from dativo_conformance.checks._certified import Signed
from dativo_conformance.pytest import conformance_suite
from dativo_pkg.trust import KEYLESS_SUFFIX, Publisher, generate_private_key, public_key_pem

STAGING_WHEEL = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"
    / "rfc8785-0.1.2-py3-none-any.whl"
)  # fmt: skip

Install = Callable[[Path], Path]
SignedCopy = Callable[[Path], Path]

#: Small datasets keep the whole run short; the floor is per row, so it still applies.
FAST = {"rows": 300, "perf_rows": 20_000}


@pytest.mark.parametrize("name", ["good-reader", "good-writer"])
def test_a_good_signed_plugin_is_certified(
    name: str,
    wheels: dict[str, Path],
    project_copies: dict[str, Path],
    installed: Install,
    signed_copy: SignedCopy,
    publisher: Publisher,
) -> None:
    wheel = signed_copy(wheels[name])
    installed(wheel)
    target = Target(project=load_project(project_copies[name]), dist=wheel, publishers=(publisher,))
    report = run_suite(target, level="certified", **FAST)

    assert [(c.id, c.reason) for c in report.failed] == []
    assert report.level == "certified"
    assert report.passed
    assert report.signer == {"issuer": "publisher-key", "identity": publisher.key_id}
    assert report.subject is not None and report.subject.filename == wheel.name
    assert report.plugin.distribution == f"conformance-{name}"
    performance = next(c for c in report.checks if c.id == "performance.floor")
    assert performance.measurements["rows"] == FAST["perf_rows"]
    assert performance.measurements["rows_per_second"] >= 20_000
    assert 0 < performance.measurements["peak_rss_mb"] <= 1024
    incremental = next(c for c in report.checks if c.id.endswith(".incremental"))
    assert incremental.measurements["rows_per_run"][:2] == [300, 150]


def test_an_unsigned_wheel_is_verified_but_not_certified(
    wheels: dict[str, Path], project_copies: dict[str, Path], installed: Install
) -> None:
    installed(wheels["good-reader"])
    target = Target(project=load_project(project_copies["good-reader"]), dist=wheels["good-reader"])
    report = run_suite(target, level="certified", rows=300, only=["trust.signed"])
    (signed,) = report.checks
    assert signed.status == "failed"
    assert "no .publish.attestation or .key.attestation" in (signed.reason or "")


def test_a_key_signature_counts_only_with_the_publisher_key(
    wheels: dict[str, Path],
    project_copies: dict[str, Path],
    installed: Install,
    signed_copy: SignedCopy,
    publisher: Publisher,
) -> None:
    wheel = signed_copy(wheels["good-reader"])
    installed(wheel)
    target = Target(project=load_project(project_copies["good-reader"]), dist=wheel)
    report = run_suite(target, only=["trust.signed"])
    assert report.checks[0].status == "failed"
    assert "--publisher-key" in (report.checks[0].reason or "")

    someone_else = Publisher.from_public_key(public_key_pem(generate_private_key()))
    target = replace(target, publishers=(someone_else,))
    report = run_suite(target, only=["trust.signed"])
    assert report.checks[0].status == "failed"
    assert "but the expected signer is publisher key" in (report.checks[0].reason or "")

    target = replace(target, publishers=(publisher,))
    wheel.write_bytes(wheel.read_bytes() + b"\0")  # the signature no longer covers the bytes
    report = run_suite(target, only=["trust.signed"])
    assert report.checks[0].status == "failed"
    assert "not the file that was signed" in (report.checks[0].reason or "")


def test_a_keyless_signature_is_verified_against_the_sigstore_roots(
    wheels: dict[str, Path], project_copies: dict[str, Path], installed: Install, tmp_path: Path
) -> None:
    """The real staging-signed fixture wheel stands in for the dist (the check reads only it)."""
    installed(wheels["good-reader"])
    dist = Path(shutil.copy(STAGING_WHEEL, tmp_path))
    shutil.copy(STAGING_WHEEL.with_name(STAGING_WHEEL.name + KEYLESS_SUFFIX), tmp_path)
    project = load_project(project_copies["good-reader"])
    target = Target(project=project, dist=dist, sigstore_instances=("staging",))
    with open_context(target, rows=10) as ctx:
        result = run_check(Signed, ctx)
    assert result.status == "passed", result.reason
    assert result.measurements["signer"] == {
        "issuer": "https://github.com/login/oauth",
        "identity": "william@yossarian.net",
    }
    with open_context(replace(target, sigstore_instances=("production",)), rows=10) as ctx:
        result = run_check(Signed, ctx)
    assert result.status == "failed"
    assert "does not verify against the trusted Sigstore roots" in (result.reason or "")


#: connector, kind, the one failing check, its reason, the level still reached.
BROKEN = [
    ("reader", "dropnulls", "reader.nulls-and-types", "nulls not preserved", "compatible"),
    ("reader", "badschema", "reader.schema-stable", "differs from schema()", "compatible"),
    ("reader", "keyerror", "reader.unreachable", "raised KeyError", "compatible"),
    ("reader", "eagerio", "contract.bad-config", "refused only after I/O (opened", None),
    ("writer", "notatomic", "writer.commit-atomic", "visible before commit", "compatible"),
    ("writer", "leaky", "writer.abort-leaves-nothing", "abort left 1 file", "compatible"),
]


@pytest.mark.parametrize(("kind", "connector", "check_id", "reason", "level"), BROKEN)
def test_a_broken_plugin_fails_the_check_that_names_its_fault(
    kind: str,
    connector: str,
    check_id: str,
    reason: str,
    level: str | None,
    wheels: dict[str, Path],
    installed: Install,
) -> None:
    installed(wheels["broken"])
    project = ProjectConfig(
        kind=kind,  # type: ignore[arg-type]
        connector=connector,
        fixture="csv" if kind == "reader" else "directory",
        config={"path": "{source}" if kind == "reader" else "{output}"},
    )
    report = run_suite(Target(project=project), level="verified", rows=300)
    assert [c.id for c in report.failed] == [check_id]
    assert reason in (report.failed[0].reason or "")
    assert report.level == level
    assert not report.passed


@pytest.mark.parametrize(
    ("kind", "connector", "fixture", "config"),
    [
        ("reader", "parquet", "parquet", {"path": "{source}"}),
        ("writer", "csv", "directory", {"path": "{output}"}),
        ("writer", "parquet", "directory", {"path": "{output}"}),
    ],
)
def test_the_built_in_plugins_are_verified(
    kind: str, connector: str, fixture: str, config: dict[str, str]
) -> None:
    project = ProjectConfig(kind=kind, connector=connector, fixture=fixture, config=config)  # type: ignore[arg-type]
    report = run_suite(Target(project=project), level="verified", rows=300)
    assert [(c.id, c.reason) for c in report.failed] == []
    assert report.level == "verified"


def test_the_pytest_entry_gives_one_test_per_check(
    wheels: dict[str, Path], project_copies: dict[str, Path], installed: Install
) -> None:
    installed(wheels["good-writer"])
    anchor = project_copies["good-writer"] / "tests" / "test_conformance.py"
    anchor.parent.mkdir(exist_ok=True)
    anchor.write_text("# the one call lives here\n")
    cls = conformance_suite(anchor, rows=200)
    tests = sorted(name for name in vars(cls) if name.startswith("test_"))
    assert "test_writer_commit_atomic" in tests and "test_contract_manifest" in tests
    assert "test_trust_signed" not in tests  # certification is dativo-pkg test --dist's job
    instance = cls()
    try:
        for name in tests:
            getattr(instance, name)()
    finally:
        cls.teardown_class()  # type: ignore[attr-defined]


def test_the_pytest_entry_fails_the_broken_check(
    wheels: dict[str, Path], project_copies: dict[str, Path], installed: Install
) -> None:
    installed(wheels["broken"])
    cls = conformance_suite(project_copies["broken"], rows=200)
    instance = cls()
    try:
        instance.test_reader_schema_stable()
        with pytest.raises(pytest.fail.Exception, match=r"reader\.nulls-and-types: .*nulls"):
            instance.test_reader_nulls_and_types()
    finally:
        cls.teardown_class()  # type: ignore[attr-defined]

"""`dativo-pkg test` on the built rust-reader wheel: it reaches "verified" unchanged, and a
deliberately broken variant (its core crate drops every row holding a null) fails the
suite with the right check named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toolchain_rust_support import (
    BuiltRust,
    RustProject,
    build,
    copy_project,
    dativo_pkg,
    ok,
    patch_file,
)

#: Injected into the core crate's `only_newer`: without a cursor, drop rows holding a null.
DROP_NULLS = """    let Some((index, after)) = cursor else {
        // Broken on purpose (tests): drop every row that holds a null.
        let keep: BooleanArray = (0..batch.num_rows())
            .map(|row| Some(batch.columns().iter().all(|column| column.is_valid(row))))
            .collect();
        return filter_record_batch(&batch, &keep);
    };"""


def _checks(report: dict[str, object]) -> dict[str, str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return {c["id"]: c["status"] for c in checks}


def test_template_reaches_verified(rust_built: BuiltRust) -> None:
    proc = ok(dativo_pkg("test", rust_built.project.path, "--dist", rust_built.wheel, "--json"))
    report = json.loads(proc.stdout)
    assert report["level"] in ("verified", "certified")
    statuses = _checks(report)
    for check in (
        "contract.manifest",
        "contract.config-schema",
        "contract.bad-config",
        "reader.schema-stable",
        "reader.nulls-and-types",
        "reader.unreachable",
        "reader.close-releases",
        "reader.incremental",
    ):
        assert statuses[check] == "passed", (check, statuses)
    written = Path(f"{rust_built.wheel}.conformance.json")
    assert json.loads(written.read_text())["subject"]["sha256"] == report["subject"]["sha256"]


@pytest.fixture(scope="module")
def broken_wheel(
    rust_built: BuiltRust, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RustProject, Path]:
    broken = copy_project(rust_built.project, tmp_path_factory.mktemp("rust-broken"))
    patch_file(
        broken.core_crate / "src" / "reader.rs",
        "    let Some((index, after)) = cursor else {\n        return Ok(batch);\n    };",
        DROP_NULLS,
    )
    wheel, _ = build(broken.path, tmp_path_factory.mktemp("rust-broken-dist"))
    return broken, wheel


def test_reader_that_drops_nulls_fails_with_the_check_named(
    broken_wheel: tuple[RustProject, Path],
) -> None:
    project, wheel = broken_wheel
    proc = dativo_pkg("test", project.path, "--dist", wheel, "--json")
    assert proc.returncode == 3, proc.stderr[-3000:]
    statuses = _checks(json.loads(proc.stdout))
    assert statuses["reader.nulls-and-types"] == "failed"
    assert statuses["contract.manifest"] == "passed"  # the contract itself still holds
    human = dativo_pkg("test", project.path, "--dist", wheel)
    assert human.returncode == 3
    assert "reader.nulls-and-types" in human.stdout + human.stderr

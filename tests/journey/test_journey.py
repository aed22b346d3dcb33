"""The author-to-user journey for every template, as `bench/time_to_first_plugin.py` runs it.

new → build → sign → test (certified) → bench → sign the reports → publish
to a registry that requires signatures → install into a fresh prefix → run a
job with the installed plugin. Each step is the real `dativo-pkg` command in
its own process; nothing is timed here.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from time_to_first_plugin import TEMPLATES, local_registry, run_journey  # noqa: E402

#: Shared with the Rust template's own tests, so the session compiles arrow-rs once.
CARGO_TARGET = ROOT / "build" / "cargo-target"
TOOLS = {"rust": ("cargo", "maturin"), "go": ("go",), "python": ()}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    with local_registry(tmp_path_factory.mktemp("journey")) as running:
        yield running


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_journey(template: str, registry: tuple[str, str, Path], tmp_path: Path) -> None:
    _, language, _ = TEMPLATES[template]
    beside_python = Path(sys.executable).parent  # maturin comes with the venv, maybe not on PATH
    missing = [
        tool
        for tool in TOOLS[language]
        if shutil.which(tool) is None and not (beside_python / tool).exists()
    ]
    if missing:
        pytest.fail(f"the {template} journey needs {', '.join(missing)} on PATH")
    base, token, data_dir = registry
    journey = run_journey(
        template,
        tmp_path,
        registry_url=base,
        registry_data_dir=data_dir,
        token=token,
        rows=2_500,
        bench_rows=5_000,
        cargo_target_dir=CARGO_TARGET,
    )

    assert journey.report["level"] == "certified", journey.report
    failed = [c for c in journey.report["checks"] if c["status"] in {"failed", "error"}]  # type: ignore[union-attr]
    assert not failed
    assert journey.benchmark["results"], journey.benchmark
    assert journey.release["certification"] == "certified", journey.release
    kinds = {a["kind"] for a in journey.release["attachments"]}  # type: ignore[union-attr]
    assert kinds == {"conformance", "benchmark"}
    assert journey.job_summary["rows"] == 2_500
    assert journey.output_rows == 2_500

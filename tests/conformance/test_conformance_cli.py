"""`dativo-pkg test` and `dativo-pkg bench` as a user runs them: real processes, real wheels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dativo_pkg.trust import PrivateKey, public_key_pem

DATIVO_PKG = Path(sys.executable).with_name("dativo-pkg")


def dativo_pkg(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATIVO_PLUGIN_PATH"}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    return subprocess.run(
        [str(DATIVO_PKG), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def test_a_failing_plugin_exits_3_naming_the_check(
    wheels: dict[str, Path], project_copies: dict[str, Path], tmp_path: Path
) -> None:
    wheel = Path(shutil.copy(wheels["broken"], tmp_path))
    done = dativo_pkg("test", project_copies["broken"], "--dist", wheel, "--json")

    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert report["level"] == "compatible"
    assert report["requested_level"] == "verified"
    failed = {c["id"]: c["reason"] for c in report["checks"] if c["status"] != "passed"}
    assert "reader.nulls-and-types" in failed
    assert "reader.nulls-and-types: the data read differs" in done.stderr
    assert "did not reach verified" in done.stderr
    assert report["subject"]["filename"] == wheel.name
    written = json.loads(wheel.with_name(wheel.name + ".conformance.json").read_text())
    assert written == {k: v for k, v in report.items() if k != "report_path"}


def test_a_signed_good_plugin_is_certified_with_its_publisher_key(
    wheels: dict[str, Path],
    project_copies: dict[str, Path],
    signed_copy: Callable[[Path], Path],
    publisher_key: PrivateKey,
    tmp_path: Path,
) -> None:
    wheel = signed_copy(wheels["good-writer"])
    public = tmp_path / "publisher.pub"
    public.write_text(public_key_pem(publisher_key))
    project = project_copies["good-writer"]
    done = dativo_pkg(
        "test", project, "--dist", wheel, "--level", "certified", "--publisher-key", public
    )
    assert done.returncode == 0, done.stderr
    assert "level reached: certified (required: certified)" in done.stdout
    assert "writer.commit-atomic" in done.stdout
    report = json.loads(wheel.with_name(wheel.name + ".conformance.json").read_text())
    assert report["level"] == "certified"
    assert report["signer"]["issuer"] == "publisher-key"


def test_bench_compares_with_the_built_in_baseline_and_writes_the_results(
    wheels: dict[str, Path], project_copies: dict[str, Path], tmp_path: Path
) -> None:
    wheel = Path(shutil.copy(wheels["good-reader"], tmp_path))
    done = dativo_pkg(
        "bench", project_copies["good-reader"], "--dist", wheel, "--rows", "5000", "--repeats", "2",
        "--json",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    plugin, baseline = results["results"]
    assert (plugin["role"], plugin["plugin"]) == ("plugin", "goodcsv")
    assert (baseline["role"], baseline["plugin"]) == ("baseline", "csv (built-in)")
    for side in (plugin, baseline):
        assert side["rows"] == 5000 and len(side["runs"]) == 2
        assert side["rows_per_second"] == max(r["rows_per_second"] for r in side["runs"])
        assert side["mb_per_second"] > 0 and side["peak_rss_mb"] > 0
    assert results["ratios"]["rows_per_second"] > 0
    assert results["dataset"] == {"rows": 5000, "fixture": "csv", "bytes": plugin["bytes"]}
    assert results["subject"]["filename"] == wheel.name
    written = json.loads(wheel.with_name(wheel.name + ".benchmark.json").read_text())
    assert written == {k: v for k, v in results.items() if k != "results_path"}


def test_test_refuses_a_project_without_a_conformance_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    done = dativo_pkg("test", tmp_path, "--json")
    assert done.returncode == 2
    # (main() prints messages as rich markup, which eats "[tool.dativo.conformance]")
    assert "pyproject.toml has no" in done.stderr and "config = { path" in done.stderr
    assert not (tmp_path / "dist").exists()

"""Time to first plugin: from `dativo-pkg new` to a certified, signed plugin running a job.

    python bench/time_to_first_plugin.py [--template python-reader] [--rows 20000]

For each template (python-reader, python-writer, rust-reader, go-reader) the
whole author-to-user journey runs against a fresh local `dativo-registry
serve` (started before the clock, like a registry that already exists), each
step a real `dativo-pkg` command in its own process:

    new → build → key generate → sign → test (certified) → bench → sign the
    report and the benchmark → publisher add → publish → install into a fresh
    prefix → run a job with the installed plugin

Dependency downloads are excluded from the total and reported on their own:
before the clock starts, `cargo fetch` (Rust) or `go mod download` (Go) fills
the local caches for the freshly rendered project. Build caches are not
shared with earlier runs: the Rust project compiles in its own target
directory, so the time is a cold build. The goals are 60 s for Python and 5
minutes for Rust on a 2-core machine; the script prints each step, the total
and its ratio to the goal.

`tests/journey/` runs the same journey (without timing anything) for every
template, so the path measured here is also the path CI proves works.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from registry_simple import BIN, running_registry  # noqa: E402

#: template name → (kind, language, goal in seconds).
TEMPLATES: dict[str, tuple[str, str, float]] = {
    "python-reader": ("reader", "python", 60.0),
    "python-writer": ("writer", "python", 60.0),
    "rust-reader": ("reader", "rust", 300.0),
    "go-reader": ("reader", "go", 300.0),
}
PASSPHRASE = "first-plugin"


@dataclass
class Journey:
    """What one journey did: each step's seconds, and what the user ended up with."""

    template: str
    name: str
    steps: dict[str, float] = field(default_factory=dict)
    downloads_seconds: float = 0.0
    wheel: Path | None = None
    report: dict[str, object] = field(default_factory=dict)
    benchmark: dict[str, object] = field(default_factory=dict)
    release: dict[str, object] = field(default_factory=dict)
    job_summary: dict[str, object] = field(default_factory=dict)
    output_rows: int = 0

    @property
    def total(self) -> float:
        return sum(self.steps.values())


class StepFailed(RuntimeError):
    """A journey command exited non-zero; the message holds its output."""


def _run(argv: Sequence[str], *, env: dict[str, str], cwd: Path | None = None) -> str:
    result = subprocess.run(
        list(argv), capture_output=True, text=True, env=env, cwd=cwd, timeout=1200
    )
    if result.returncode != 0:
        raise StepFailed(
            f"{' '.join(map(str, argv))} exited {result.returncode}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _sample_csv(directory: Path, rows: int) -> Path:
    """A small CSV input for the job the user runs at the end."""
    directory.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "id": pa.array(range(1, rows + 1), pa.int64()),
            "name": [f"customer {i % 977}" for i in range(rows)],
            "amount": [round(i * 0.37, 2) for i in range(rows)],
        }
    )
    pacsv.write_csv(table, directory / "orders.csv")
    return directory


def _job_file(journey_dir: Path, kind: str, connector: str, rows: int) -> Path:
    """A job using the plugin: as the source (reader) or the target (writer)."""
    data = _sample_csv(journey_dir / "input", rows)
    out = journey_dir / "output"
    if kind == "reader":
        source = {"plugin": connector, "config": {"path": str(data)}}
        target = {"plugin": "parquet", "config": {"path": str(out)}}
    else:
        source = {"plugin": "csv", "config": {"path": str(data / "orders.csv")}}
        target = {"plugin": connector, "config": {"path": str(out)}}
    job = journey_dir / "job.yaml"
    job.write_text(json.dumps({"source": source, "target": target}))  # JSON is YAML
    return job


def _output_rows(out: Path) -> int:
    parquet = sorted(out.rglob("*.parquet"))
    if parquet:
        return sum(pq.read_metadata(p).num_rows for p in parquet)
    return sum(pacsv.read_csv(p).num_rows for p in sorted(out.rglob("*.csv")))


def _prefetch(project: Path, language: str, env: dict[str, str]) -> float:
    """Download the project's dependencies; returns seconds (reported apart)."""
    commands = {
        "rust": [["cargo", "fetch"]],
        "go": [["go", "mod", "download"]],
    }.get(language, [])
    started = time.perf_counter()
    for argv in commands:
        _run(argv, env=env, cwd=project)
    return time.perf_counter() - started


def run_journey(
    template: str,
    workdir: Path,
    *,
    registry_url: str,
    registry_data_dir: Path,
    token: str,
    rows: int = 5_000,
    bench_rows: int = 20_000,
    name: str | None = None,
    cargo_target_dir: Path | None = None,
) -> Journey:
    """Run the whole journey for ``template`` in ``workdir``; raise StepFailed on a failure.

    ``cargo_target_dir`` shares Rust build output with earlier builds (tests
    do; the benchmark does not, so it measures a cold build).
    """
    kind, language, _ = TEMPLATES[template]
    name = name or f"acme-{language}-{kind}"
    journey = Journey(template=template, name=name)
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATIVO_KEY_PASSPHRASE": PASSPHRASE,
        "DATIVO_REGISTRY_TOKEN": token,
        "CARGO_TARGET_DIR": str(cargo_target_dir or workdir / "cargo-target"),
        "NO_COLOR": "1",
    }
    env.pop("DATIVO_PLUGIN_PATH", None)
    pkg = str(BIN / "dativo-pkg")
    project = workdir / name
    dist = project / "dist"
    key = workdir / "publisher.key"

    def step(label: str, *argv: str, step_env: dict[str, str] | None = None) -> str:
        started = time.perf_counter()
        out = _run([pkg, *argv], env=step_env or env)
        journey.steps[label] = journey.steps.get(label, 0.0) + time.perf_counter() - started
        return out

    step("new", "new", kind, "--lang", language, name, "--no-input", "--output-dir", str(workdir))
    journey.downloads_seconds = _prefetch(project, language, env)
    step("build", "build", str(project), "--json")
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        raise StepFailed(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
    journey.wheel = wheel = wheels[0]
    dists = sorted(p for p in dist.iterdir() if p.suffix in {".whl", ".gz"})
    step("key generate", "key", "generate", "-o", str(key))
    step("sign", "sign", "--key", str(key), *map(str, dists))
    out = step("test", "test", str(project), "--dist", str(wheel), "--level", "certified",
               "--publisher-key", f"{key}.pub", "--json")  # fmt: skip
    journey.report = json.loads(out)
    out = step("bench", "bench", str(project), "--dist", str(wheel), "--rows", str(bench_rows),
               "--json")  # fmt: skip
    journey.benchmark = json.loads(out)
    report, results = (
        wheel.with_name(f"{wheel.name}.{k}.json") for k in ("conformance", "benchmark")
    )
    step("sign reports", "sign", "--key", str(key), "--conformance", str(report), str(wheel))
    step("sign reports", "sign", "--key", str(key), "--benchmark", str(results), str(wheel))
    started = time.perf_counter()
    _run(
        [str(BIN / "dativo-registry"), "publisher", "add", "--project", name,
         "--key", f"{key}.pub", "--data-dir", str(registry_data_dir)],
        env=env,
    )  # fmt: skip
    journey.steps["publisher add"] = time.perf_counter() - started
    step("publish", "publish", str(dist), "--registry", registry_url, "--json")
    prefix = workdir / "fresh-env"
    lockfile = workdir / "dativo.lock"
    step("install", "install", name, "--index-url", f"{registry_url}/simple/",
         "--prefix", str(prefix), "--lockfile", str(lockfile), "--json")  # fmt: skip
    site = next(prefix.glob("lib/python*/site-packages"))
    job = _job_file(workdir, kind, _connector(project), rows)
    out = step("run", "run", str(job), "--json", step_env={**env, "DATIVO_PLUGIN_PATH": str(site)})
    journey.job_summary = json.loads(out)
    journey.output_rows = _output_rows(workdir / "output")
    journey.release = _release(registry_url, name)
    return journey


def _connector(project: Path) -> str:
    import tomllib

    config = tomllib.loads((project / "pyproject.toml").read_text())
    return str(config["tool"]["dativo"]["conformance"]["connector"])


def _release(registry_url: str, name: str) -> dict[str, object]:
    import httpx

    response = httpx.get(f"{registry_url}/api/v1/plugins", params={"q": name}, timeout=30)
    response.raise_for_status()
    for plugin in response.json()["plugins"]:
        if plugin["normalized"] == name:
            detail = httpx.get(
                f"{registry_url}/api/v1/plugins/{name}/{plugin['version']}", timeout=30
            )
            detail.raise_for_status()
            return dict(detail.json())
    return {}


@contextmanager
def local_registry(workdir: Path) -> Iterator[tuple[str, str, Path]]:
    """A fresh registry that requires signatures: (base URL, upload token, data dir)."""
    data_dir = workdir / "registry"
    with running_registry(data_dir, ["--require-signatures"]) as (base, token):
        yield base, token, data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", action="append", choices=sorted(TEMPLATES))
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the bench dataset")
    parser.add_argument("--workdir", type=Path, default=BENCH / "data" / "first-plugin")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    import shutil

    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    shutil.rmtree(args.workdir, ignore_errors=True)
    results = []
    with local_registry(args.workdir) as (base, token, data_dir):
        for template in args.template or list(TEMPLATES):
            console.print(f"[bold]{template}[/bold]: new → … → run")
            journey = run_journey(
                template,
                args.workdir / template,
                registry_url=base,
                registry_data_dir=data_dir,
                token=token,
                bench_rows=args.rows,
            )
            results.append(journey)
    records = [
        {
            "template": j.template,
            "total_seconds": round(j.total, 2),
            "goal_seconds": TEMPLATES[j.template][2],
            "ratio_to_goal": round(j.total / TEMPLATES[j.template][2], 3),
            "downloads_seconds": round(j.downloads_seconds, 2),
            "steps": {k: round(v, 2) for k, v in j.steps.items()},
            "certification": j.release.get("certification"),
            "rows_run": j.output_rows,
        }
        for j in results
    ]
    if args.json:
        print(json.dumps(records, indent=2))
        return
    table = Table("template", "total s", "goal s", "total/goal", "downloads s", "slowest steps")
    for r in records:
        steps = r["steps"]
        assert isinstance(steps, dict)
        slowest = sorted(steps.items(), key=lambda kv: -kv[1])[:3]
        table.add_row(
            str(r["template"]),
            f"{r['total_seconds']:.1f}",
            f"{r['goal_seconds']:.0f}",
            f"{r['ratio_to_goal']:.2f}",
            f"{r['downloads_seconds']:.1f}",
            ", ".join(f"{k} {v:.1f}" for k, v in slowest),
        )
    Console().print(table)


if __name__ == "__main__":
    main()

"""The reference Rust PostgreSQL reader, end to end: build, sign, publish, install, run.

    python demo/postgres_rs_demo.py --url postgresql://USER@HOST:PORT/DB

What `make demo` runs after the CSV demo. Each step is the real command a
plugin author or user types, in its own process:

1. a demo table `demo_pg_orders` (200,000 rows: numeric, timestamptz, enum,
   jsonb, arrays, NULLs) is (re)created in the database;
2. `dativo-pkg build plugins/postgres-rs` (a cold Rust build takes a few
   minutes on 2 cores; Cargo's output is kept in build/cargo-target);
3. `dativo-pkg key generate`, then `dativo-pkg sign --key` the wheel and sdist;
4. `dativo-pkg test --level certified` (the conformance suite, against a
   scratch database), `dativo-pkg bench` (against the Python default reader)
   and `dativo-pkg sign` of the report and the results;
5. `dativo-registry publisher add` binds the project to the key, and
   `dativo-pkg publish` uploads everything to the embedded registry in
   demo/registry (started for the demo; it requires signatures);
6. two more plugins, made from the python-reader and python-writer templates,
   go through the same steps (bench/time_to_first_plugin.py), so the
   marketplace has several plugins with badges and benchmark charts;
7. `dativo-pkg install dativo-postgres-rs --policy` into demo/site: digest and
   signature verified against the policy before anything is installed;
8. `dativo-pkg run`: PostgreSQL → Parquet with
   `plugin: postgres_rs`, then the same job with the Python default reader
   (`plugin: postgres`), to compare.

The registry's data stays in demo/registry; the script ends by printing the
command that serves it again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
sys.path.insert(0, str(ROOT / "bench"))
from registry_simple import BIN, running_registry  # noqa: E402
from time_to_first_plugin import TEMPLATES, run_journey  # noqa: E402

PLUGIN = ROOT / "plugins" / "postgres-rs"
PROJECT = "dativo-postgres-rs"
TABLE = "demo_pg_orders"
ROWS = 200_000
PASSPHRASE = "demo-only-passphrase"

#: Every kind of column the reader types exactly, made server-side.
_MAKE_TABLE = """
DROP TABLE IF EXISTS {table};
DROP TYPE IF EXISTS demo_order_status;
CREATE TYPE demo_order_status AS ENUM ('placed', 'paid', 'shipped', 'delivered');
CREATE TABLE {table} (
    order_id    bigint PRIMARY KEY,
    customer_id integer NOT NULL,
    status      demo_order_status NOT NULL,
    amount      numeric(12, 2),
    discount    numeric(5, 4),
    ordered_at  timestamptz NOT NULL,
    ship_date   date,
    tags        text[],
    details     jsonb,
    note        varchar(80)
);
INSERT INTO {table}
SELECT i,
       1000 + i / 4,
       (ARRAY['placed', 'paid', 'shipped', 'delivered'])[1 + i % 4]::demo_order_status,
       CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 7919) % 65536) / 100.0 END,
       ((i % 10) / 100.0)::numeric(5, 4),
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 minute',
       CASE WHEN i % 4 >= 2 THEN DATE '2024-01-02' + i / 1440 END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY['tag' || i % 7, 'vip'] END,
       jsonb_build_object('channel', (ARRAY['web', 'store', 'phone'])[1 + i % 3], 'items', i % 9),
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'order number ' || i END
FROM generate_series(1, {rows}) AS i;
"""


def _step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def _run(argv: Sequence[str | Path], env: dict[str, str]) -> str:
    """Run one command, echoing it; stop the demo with its output if it fails."""
    shown = " ".join(str(a).replace(str(ROOT) + "/", "") for a in argv)
    print(f"$ {shown}", flush=True)
    result = subprocess.run(list(map(str, argv)), env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"demo step failed (exit {result.returncode}): {shown}")
    return result.stdout


def _job(path: Path, plugin: str, url: str, out: Path) -> Path:
    job = {
        "name": f"demo-pg-orders-{plugin}",
        "source": {"plugin": plugin, "config": {"url": url, "table": TABLE}},
        "target": {"plugin": "parquet", "config": {"path": str(out)}},
    }
    path.write_text(json.dumps(job, indent=2) + "\n")  # JSON is YAML
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL of the demo database")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of the demo table")
    parser.add_argument(
        "--bench-rows", type=int, default=100_000, help="rows of the benchmark dataset"
    )
    parser.add_argument(
        "--template",
        action="append",
        choices=sorted(TEMPLATES),
        help="also publish a plugin made from this template (repeatable; default: "
        "python-reader and python-writer)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=DEMO, help="where out/, site/ and registry/ go"
    )
    args = parser.parse_args()
    work = args.workdir / "out" / "postgres-rs"
    site_prefix = args.workdir / "site"
    registry_dir = args.workdir / "registry"
    for stale in (work, site_prefix, registry_dir, args.workdir / "marketplace"):
        shutil.rmtree(stale, ignore_errors=True)
    work.mkdir(parents=True)
    dist = work / "dist"
    key = work / "publisher.key"
    env = {
        **os.environ,
        "DATIVO_KEY_PASSPHRASE": PASSPHRASE,
        "CARGO_TARGET_DIR": str(ROOT / "build" / "cargo-target"),
        "NO_COLOR": "1",
    }
    env.pop("DATIVO_PLUGIN_PATH", None)
    pkg, registry = BIN / "dativo-pkg", BIN / "dativo-registry"

    _step(f"a demo table: {TABLE}, {args.rows:,} rows")
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(_MAKE_TABLE.format(table=TABLE, rows=int(args.rows)).encode())
        conn.execute(f"VACUUM ANALYZE {TABLE}".encode())

    _step("build the plugin (Rust core crate + PyO3 binding, maturin)")
    started = time.perf_counter()
    built = json.loads(_run([pkg, "build", PLUGIN, "--out-dir", dist, "--json"], env))
    print(f"built in {time.perf_counter() - started:.0f} s")
    (wheel,) = map(Path, built["wheels"])
    files = [wheel, *map(Path, built["sdists"])]

    _step("sign it with a publisher key, certify it, sign the report")
    _run([pkg, "key", "generate", "-o", key], env)
    _run([pkg, "sign", "--key", key, *files], env)
    report = json.loads(
        _run(
            [pkg, "test", PLUGIN, "--dist", wheel, "--level", "certified",
             "--publisher-key", f"{key}.pub", "--postgres-url", args.url, "--json"],
            env,
        )
    )  # fmt: skip
    print(f"conformance level: {report['level']}")
    _run([pkg, "sign", "--key", key, "--conformance", f"{wheel}.conformance.json", wheel], env)

    _step("benchmark it against the Python default reader, sign the results")
    _run([pkg, "bench", PLUGIN, "--dist", wheel, "--rows", str(args.bench_rows),
          "--postgres-url", args.url, "--json"], env)  # fmt: skip
    _run([pkg, "sign", "--key", key, "--benchmark", f"{wheel}.benchmark.json", wheel], env)

    _step("publish to the embedded registry (demo/registry, signatures required)")
    with running_registry(registry_dir, ["--require-signatures"]) as (base, token):
        _run([registry, "publisher", "add", "--project", PROJECT, "--key", f"{key}.pub",
              "--data-dir", registry_dir], env)  # fmt: skip
        _run([pkg, "publish", dist, "--registry", base, "--json"],
             {**env, "DATIVO_REGISTRY_TOKEN": token})  # fmt: skip

        release = httpx.get(f"{base}/api/v1/plugins/{PROJECT}/0.1.0", timeout=30).json()
        kinds = sorted(a["kind"] for a in release["attachments"])
        print(f"registry: {PROJECT} 0.1.0, {release['certification']}, with {', '.join(kinds)}")

        for template in args.template or ["python-reader", "python-writer"]:
            _step(f"one more plugin for the marketplace: new → … → publish, from {template}")
            journey = run_journey(
                template,
                work / "templates" / template,
                registry_url=base,
                registry_data_dir=registry_dir,
                token=token,
                name=f"demo-{template}",
                cargo_target_dir=ROOT / "build" / "cargo-target",
            )
            print(f"published {journey.name}: {journey.release.get('certification')}")

        _step("install it verified into demo/site (policy: only this publisher key)")
        policy = work / "policy.yaml"
        policy.write_text(f"plugins:\n  {PROJECT}:\n    - key: {key}.pub\n")
        _run([pkg, "install", PROJECT, "--index-url", f"{base}/simple/", "--policy", policy,
              "--prefix", site_prefix, "--lockfile", work / "dativo.lock"], env)  # fmt: skip
    site = next(site_prefix.glob("lib/python*/site-packages"))

    _step("run PostgreSQL → Parquet with the installed plugin, then with the Python default")
    for plugin in ("postgres_rs", "postgres"):
        job = _job(work / f"{plugin}.yaml", plugin, args.url, work / f"out-{plugin}")
        summary = json.loads(
            _run([pkg, "run", job, "--json"], {**env, "DATIVO_PLUGIN_PATH": str(site)})
        )
        print(f"{plugin:>12}: {summary['rows']:,} rows in {summary['seconds']:.2f} s")
    _step("export the marketplace as a signed static index (demo/marketplace)")
    marketplace = args.workdir / "marketplace"
    index_key = work / "index-key.pem"
    index_env = {**env, "DATIVO_INDEX_KEY_PASSPHRASE": PASSPHRASE}
    _run([registry, "index-key", "generate", "-o", index_key], index_env)
    _run([registry, "export-index", marketplace, "--data-dir", registry_dir,
          "--key", index_key, "--json"], index_env)  # fmt: skip
    print(
        "Serve it with any static host and search it with no registry running:\n"
        f"  python -m http.server -d {marketplace} 8081\n"
        f"  {pkg} search postgres --index-url http://127.0.0.1:8081 "
        f"--index-key {index_key}.pub"
    )
    print(
        "\nThe registry keeps what was published. Serve it again with:\n"
        f"  {registry} serve --data-dir {registry_dir} --port 8080\n"
        "and open its marketplace at http://127.0.0.1:8080/"
    )


if __name__ == "__main__":
    main()

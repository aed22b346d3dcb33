"""PostgreSQL -> Parquet with the pure-Python default reader: the baseline to beat.

    python bench/postgres_to_parquet.py --url postgresql://... --rows 1000000

Contenders, each in a fresh process, median of --repeat runs:

* ``dativo-pkg``: ``dativo-pkg run`` with the built-in ``postgres`` reader
  (psycopg 3) and ``parquet`` writer;
* ``psql COPY binary``: ``psql -c "COPY ... TO STDOUT (FORMAT binary)" >
  /dev/null``, the wire floor: no decoding at all;
* ``server COPY``: ``COPY ... TO '/dev/null' (FORMAT binary)`` on the server,
  which no client can beat.

Prints seconds, rows/s and the ratio to each floor; the Rust reader's
benchmark (bench/postgres/) will be measured against the same numbers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import psycopg
from _harness import Contender, measure, print_table, save
from rich.console import Console

HERE = Path(__file__).parent

TABLE = "bench_narrow"
CREATE = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} AS
SELECT i::int8 AS id,
       (random() * 1000)::float8 AS amount,
       (i % 3 = 0) AS flag,
       md5(i::text) AS label,
       date '2000-01-01' + (i % 9000) AS day
FROM generate_series(1, %s) AS i;
ANALYZE {TABLE};
"""

JOB = """\
source:
  plugin: postgres
  config: {{url: "{url}", table: {table}}}
target:
  plugin: parquet
  config: {{path: "{out}"}}
"""


def prepare(url: str, rows: int, console: Console) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname = %s", (TABLE,)
        ).fetchone()
        if exists and exists[0]:
            count = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
            if count and count[0] == rows:
                return
        console.log(f"creating {TABLE} with {rows:,} rows")
        conn.execute(CREATE.replace("%s", str(int(rows))))


def copy_size(url: str) -> float:
    """MB of the binary COPY stream (what every client has to receive)."""
    total = 0
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY {TABLE} TO STDOUT (FORMAT binary)") as copy,
    ):
        for chunk in copy:
            total += len(chunk)
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    console = Console(stderr=True)

    prepare(args.url, args.rows, console)
    mbytes = copy_size(args.url)
    psql = shutil.which("psql")
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.yaml"
        job.write_text(JOB.format(url=args.url, table=TABLE, out=Path(tmp) / "out.parquet"))
        contenders = [
            Contender(
                "dativo-pkg (python postgres)",
                [str(bindir / "dativo-pkg"), "run", "--quiet", str(job)],
            ),
            Contender(
                "server COPY to /dev/null",
                [sys.executable, "-c", SERVER_COPY, args.url],
            ),
        ]
        if psql:
            contenders.insert(
                1,
                Contender(
                    "psql COPY binary",
                    [
                        "sh",
                        "-c",
                        f'{psql} "$0" -qc "COPY {TABLE} TO STDOUT (FORMAT binary)" > /dev/null',
                        args.url,
                    ],
                ),
            )
        results = measure(contenders, args.repeat, console)
    print_table(
        Console(width=120),
        f"PostgreSQL -> Parquet, {args.rows:,} rows ({mbytes:,.0f} MB binary COPY), "
        f"median of {args.repeat}",
        results,
        baseline=results[-1].name,
        rows=args.rows,
        mbytes=mbytes,
    )
    ours = results[0]
    print(f"python default reader: {args.rows / ours.seconds:,.0f} rows/s")
    save(
        HERE / "results" / "postgres_to_parquet.json",
        {"rows": args.rows, "copy_mb": mbytes, "results": [r.__dict__ for r in results]},
    )


SERVER_COPY = f"""
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute("COPY {TABLE} TO '/dev/null' (FORMAT binary)")
"""

if __name__ == "__main__":
    main()

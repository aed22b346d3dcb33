"""CSV -> Parquet: the dativo-pkg runtime against pyarrow used directly.

    python bench/csv_to_parquet.py --size-mb 1100 --repeat 3

Both contenders read the same file with ``pyarrow.csv.open_csv`` (4 MiB
blocks, threads on) and write each batch to a snappy ``ParquetWriter``; the
runtime adds discovery, config validation, the job file, atomic commit
(temp file + fsync + rename) and its accounting. Goal: time ratio <= 1.10
and peak RSS < 500 MB whatever the size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from _harness import Contender, measure, print_table, save
from rich.console import Console

HERE = Path(__file__).parent
BLOCK_MB = 4  # the csv reader's default

PYARROW_DIRECT = """
import sys, pyarrow.csv as pacsv, pyarrow.parquet as pq
reader = pacsv.open_csv(sys.argv[1], read_options=pacsv.ReadOptions(block_size={block}))
with pq.ParquetWriter(sys.argv[2], reader.schema, compression="snappy") as writer:
    for batch in reader:
        writer.write_batch(batch)
"""

JOB = """\
source:
  plugin: csv
  config: {{path: "{csv}", block_size_mb: {block_mb}}}
target:
  plugin: parquet
  config: {{path: "{out}", compression: snappy}}
"""


def make_csv(path: Path, size_mb: int, console: Console) -> int:
    """A lineitem-shaped CSV of at least ``size_mb`` MB; returns its row count."""
    if path.exists() and path.stat().st_size >= size_mb << 20:
        return int(path.with_suffix(".rows").read_text())
    rows, chunk = 0, 500_000
    flags = pa.array(["A", "N", "R", "F"])
    with pacsv.CSVWriter(str(path), schema=_chunk(0, 1, flags).schema) as writer:
        while path.stat().st_size < size_mb << 20:
            writer.write_batch(_chunk(rows, chunk, flags))
            rows += chunk
    path.with_suffix(".rows").write_text(str(rows))
    console.log(f"generated {path} ({path.stat().st_size >> 20} MB, {rows:,} rows)")
    return rows


def _chunk(start: int, n: int, flags: pa.Array) -> pa.RecordBatch:
    ids = pa.array(range(start, start + n), pa.int64())
    price = pc.round(pc.multiply(pc.random(n), 100_000), 2)
    days = pc.cast(pc.cast(pc.add(_ints(n, 2500), 8000), pa.int32()), pa.date32())
    flag = pc.take(flags, _ints(n, 4))
    comment = pc.binary_join_element_wise("order comment number", pc.cast(ids, pa.string()), " ")
    return pa.RecordBatch.from_pydict(
        {
            "orderkey": ids,
            "partkey": pc.divide(ids, 7),
            "quantity": _ints(n, 50),
            "extendedprice": price,
            "discount": pc.round(pc.random(n), 2),
            "returnflag": flag,
            "shipdate": days,
            "comment": comment,
        }
    )


def _ints(n: int, below: int) -> pa.Array:
    """``n`` random int32 values in [0, below)."""
    return pc.cast(pc.floor(pc.multiply(pc.random(n), below)), pa.int32())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    args = parser.parse_args()
    console = Console(stderr=True)

    args.data_dir.mkdir(parents=True, exist_ok=True)
    csv = args.data_dir / f"lineitem-{args.size_mb}mb.csv"
    rows = make_csv(csv, args.size_mb, console)
    mbytes = csv.stat().st_size / 1e6
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(dir=args.data_dir) as tmp:
        job = Path(tmp) / "job.yaml"
        job.write_text(JOB.format(csv=csv, block_mb=BLOCK_MB, out=Path(tmp) / "dativo.parquet"))
        contenders = [
            Contender(
                "pyarrow",
                [
                    sys.executable,
                    "-c",
                    PYARROW_DIRECT.format(block=BLOCK_MB << 20),
                    str(csv),
                    f"{tmp}/pa.parquet",
                ],
            ),
            Contender("dativo-pkg", [str(bindir / "dativo-pkg"), "run", "--quiet", str(job)]),
        ]
        results = measure(contenders, args.repeat, console)
    print_table(
        Console(width=120),
        f"CSV -> Parquet, {mbytes:,.0f} MB, {rows:,} rows, median of {args.repeat}",
        results,
        baseline="pyarrow",
        rows=rows,
        mbytes=mbytes,
    )
    ratio = results[1].seconds / results[0].seconds
    print(f"runtime overhead vs pyarrow: {100 * (ratio - 1):+.1f}% (goal <= +10%)")
    print(f"dativo-pkg peak RSS: {results[1].peak_rss_mb:.0f} MB (goal < 500 MB)")
    save(
        HERE / "results" / "csv_to_parquet.json",
        {"size_mb": mbytes, "rows": rows, "ratio": ratio, "results": [r.__dict__ for r in results]},
    )


if __name__ == "__main__":
    main()

"""The measured process: ``python -m dativo_conformance._probe`` with a JSON request on stdin.

Request: ``{"kind", "connector", "configs": [config, ...], "input": IPC file}``
(``input`` for writers). Prints one JSON line: rows, seconds, peak_rss_bytes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import pyarrow as pa

from dativo_pkg.discovery import find_plugin
from dativo_pkg.sdk import Reader, WriteContext, Writer, iter_batches


def _read(connector: str, configs: list[dict[str, Any]]) -> tuple[int, float]:
    plugin = find_plugin("reader", connector)
    rows = 0
    started = time.perf_counter()
    for config in configs:
        reader = plugin.create(config)
        assert isinstance(reader, Reader)
        with reader:
            rows += sum(batch.num_rows for batch in iter_batches(reader.read(None)))
    return rows, time.perf_counter() - started


def _write(connector: str, configs: list[dict[str, Any]], input_file: str) -> tuple[int, float]:
    plugin = find_plugin("writer", connector)
    with pa.memory_map(input_file) as source:
        table = pa.ipc.open_file(source).read_all()
    started = time.perf_counter()
    rows = 0
    for config in configs:
        writer = plugin.create(config)
        assert isinstance(writer, Writer)
        with writer:
            writer.open(table.schema, WriteContext(job_name="benchmark", commit_id="benchmark"))
            for batch in table.to_batches(max_chunksize=65_536):
                writer.write(batch)
            rows += writer.commit().rows
    return rows, time.perf_counter() - started


def main() -> None:
    request = json.loads(sys.stdin.read())
    if request["kind"] == "reader":
        rows, seconds = _read(request["connector"], request["configs"])
    else:
        rows, seconds = _write(request["connector"], request["configs"], request["input"])
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_bytes": peak_kib * 1024}))


if __name__ == "__main__":
    main()

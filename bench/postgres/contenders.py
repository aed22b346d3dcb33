"""The contenders: one small function per tool, each run in a fresh process.

The runner starts ``python contenders.py TOOL TABLE`` (the URL in the
environment variable ``DATIVO_BENCH_PG_URL``, so it is not on a command line)
for the Python tools, and ``psql`` itself for the two floors. A Python
contender first imports its libraries (a dativo reader: finds its entry point
and imports the plugin), then times its read (``read_s``: connect, read every
row, close) and prints one JSON line: rows, read_s, the Arrow schema it
produced and its library version. Any failure, a missing library
included, ends the process with ``failed: <reason>`` as the last stderr line.

Each tool reads the whole table the way its documentation shows:

* ``postgres_rs``: the Rust reader found through dativo_pkg discovery (entry
  point ``postgres_rs``), its ``__arrow_c_stream__`` consumed batch by batch
  into pyarrow (rows counted, no table held); ``postgres_rs_p2`` the same
  with ``partitions: 2``;
* ``postgres``: the Python default reader, through discovery too;
* ``psycopg``: a server-side (named) cursor, ``fetchmany(50_000)`` turned into
  one ``pa.RecordBatch`` of ``pa.array`` columns per batch;
* ``adbc``: ``adbc_driver_postgresql.dbapi``, ``cursor.fetch_arrow_table()``;
* ``connectorx``: ``connectorx.read_sql(url, "SELECT * FROM t",
  return_type="arrow")``, one partition;
* ``psql``: floor 1, the client that decodes nothing: ``psql -c "\\copy t TO
  '/dev/null' (FORMAT binary)"``. ``\\copy`` is psql's own ``COPY t TO
  STDOUT (FORMAT binary)`` written to a file, here /dev/null, the same as
  ``> /dev/null`` (measured equal within noise), and it prints the row count;
* ``server``: floor 2, the server alone: ``COPY t TO '/dev/null' (FORMAT
  binary)`` run through psql; no client can beat it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["TOOLS", "URL_ENV", "Outcome", "Tool", "command", "parse_output"]

URL_ENV = "DATIVO_BENCH_PG_URL"
#: Rows per fetch of the psycopg cursor: the Python default reader's batch_rows.
CURSOR_BATCH_ROWS = 50_000

Schema = list[list[str]]


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    kind: Literal["python", "psql"]
    floor: bool = False


TOOLS: dict[str, Tool] = {
    t.key: t
    for t in (
        Tool("postgres_rs", "postgres_rs", "python"),
        Tool("postgres_rs_p2", "postgres_rs partitions=2", "python"),
        Tool("postgres", "postgres (Python default)", "python"),
        Tool("psycopg", "psycopg named cursor", "python"),
        Tool("adbc", "ADBC fetch_arrow_table", "python"),
        Tool("connectorx", "ConnectorX arrow", "python"),
        Tool("psql", "floor: psql COPY binary", "psql", floor=True),
        Tool("server", "floor: server COPY /dev/null", "psql", floor=True),
    )
}


@dataclass(frozen=True)
class Outcome:
    """What one run of a contender reports about itself."""

    rows: int
    read_s: float | None = None
    schema: Schema | None = None
    version: str | None = None


# -- the runner's side ---------------------------------------------------------------


def command(tool: Tool, table: str, url: str) -> list[str]:
    """The argv of one run of ``tool`` reading ``table``."""
    if tool.kind == "python":
        return [sys.executable, os.path.abspath(__file__), tool.key, table]
    psql = shutil.which("psql")
    if psql is None:
        raise FileNotFoundError("psql is not on PATH (install the PostgreSQL client)")
    if tool.key == "psql":
        statement = f"\\copy {table} TO '/dev/null' (FORMAT binary)"
    else:
        statement = f"COPY {table} TO '/dev/null' (FORMAT binary)"
    return [psql, "-X", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement]


_COPY_TAG = re.compile(r"^COPY (\d+)$", re.MULTILINE)


def parse_output(tool: Tool, stdout: str) -> Outcome:
    """The outcome a run printed: psql's ``COPY n`` tag, or a contender's JSON line."""
    if tool.kind == "psql":
        tag = _COPY_TAG.search(stdout)
        if tag is None:
            raise ValueError(f"no 'COPY n' in psql's output: {stdout[-200:]!r}")
        return Outcome(rows=int(tag[1]))
    lines = stdout.strip().splitlines()
    if not lines:
        raise ValueError("the contender printed nothing")
    raw = json.loads(lines[-1])
    return Outcome(
        rows=int(raw["rows"]),
        read_s=float(raw["read_s"]),
        schema=raw.get("schema"),
        version=raw.get("version"),
    )


# -- the contenders (run in the child process) ---------------------------------------


def _type_name(kind: Any) -> str:
    """The Arrow type; an extension type with its storage (ADBC's numeric is opaque text)."""
    storage = getattr(kind, "storage_type", None)
    if storage is None:
        return str(kind)
    name = getattr(kind, "extension_name", "extension")
    inner = getattr(kind, "type_name", None)  # arrow.opaque names the database type
    return f"{name}[{inner}] on {storage}" if inner else f"{name} on {storage}"


def _schema_of(schema: Any) -> Schema:
    return [[field.name, _type_name(field.type)] for field in schema]


def _count(batches: Iterable[Any]) -> int:
    return sum(batch.num_rows for batch in batches)


#: A contender: called with (url, table) it imports and looks up what it needs, and
#: returns the read itself, which is what ``read_s`` times.
Read = Callable[[], Outcome]


def _dativo_reader(url: str, table: str, connector: str, extra: dict[str, Any]) -> Read:
    import pyarrow as pa

    from dativo_pkg.discovery import find_plugin
    from dativo_pkg.sdk import Reader, iter_batches

    plugin = find_plugin("reader", connector)
    plugin.load_class()  # imports the plugin's package (and what it imports)
    version = f"{plugin.distribution} {plugin.version} ({plugin.language})"

    def read() -> Outcome:
        reader = plugin.create({"url": url, "table": table, **extra})
        assert isinstance(reader, Reader)  # find_plugin("reader", ...) makes readers
        with reader:
            source = reader.read()
            if hasattr(source, "__arrow_c_stream__"):
                stream = pa.RecordBatchReader.from_stream(source)
                rows, schema = _count(stream), stream.schema
            else:
                rows, schema = _count(iter_batches(source)), reader.schema()
        return Outcome(rows=rows, schema=_schema_of(schema), version=version)

    return read


def postgres_rs(url: str, table: str) -> Read:
    return _dativo_reader(url, table, "postgres_rs", {})


def postgres_rs_p2(url: str, table: str) -> Read:
    return _dativo_reader(url, table, "postgres_rs", {"partitions": 2})


def postgres(url: str, table: str) -> Read:
    return _dativo_reader(url, table, "postgres", {})


def psycopg_cursor(url: str, table: str) -> Read:
    import psycopg
    import pyarrow as pa
    from psycopg import sql

    version = f"psycopg {psycopg.__version__}, pyarrow {pa.__version__}"

    def read() -> Outcome:
        rows, schema = 0, None
        with psycopg.connect(url) as conn, conn.cursor(name="dativo_bench") as cur:
            cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
            while chunk := cur.fetchmany(CURSOR_BATCH_ROWS):
                names = [column.name for column in cur.description or []]
                arrays = [pa.array(values) for values in zip(*chunk, strict=True)]
                batch = pa.RecordBatch.from_arrays(arrays, names=names)
                rows += batch.num_rows
                schema = schema or batch.schema
        found = _schema_of(schema) if schema is not None else None
        return Outcome(rows=rows, schema=found, version=version)

    return read


def adbc(url: str, table: str) -> Read:
    import adbc_driver_postgresql  # type: ignore[import-untyped]
    import pyarrow  # noqa: F401  (fetch_arrow_table makes pyarrow objects)
    from adbc_driver_postgresql import dbapi

    version = f"adbc-driver-postgresql {adbc_driver_postgresql.__version__}"

    def read() -> Outcome:
        with dbapi.connect(url) as conn, conn.cursor() as cur:
            cur.execute(f'SELECT * FROM "{table}"')
            result = cur.fetch_arrow_table()
        return Outcome(rows=result.num_rows, schema=_schema_of(result.schema), version=version)

    return read


def connectorx(url: str, table: str) -> Read:
    import connectorx as cx
    import pyarrow  # noqa: F401  (return_type="arrow" makes pyarrow objects)

    version = f"connectorx {cx.__version__}"

    def read() -> Outcome:
        result = cx.read_sql(url, f'SELECT * FROM "{table}"', return_type="arrow")
        return Outcome(rows=result.num_rows, schema=_schema_of(result.schema), version=version)

    return read


_CONTENDERS: dict[str, Callable[[str, str], Read]] = {
    "postgres_rs": postgres_rs,
    "postgres_rs_p2": postgres_rs_p2,
    "postgres": postgres,
    "psycopg": psycopg_cursor,
    "adbc": adbc,
    "connectorx": connectorx,
}


def main(argv: list[str]) -> int:
    """``contenders.py TOOL TABLE``: one timed read, its outcome as a JSON line."""
    key, table = argv
    url = os.environ[URL_ENV]
    try:
        read = _CONTENDERS[key](url, table)  # imports: not in the read time
        started = time.perf_counter()
        outcome = read()
        read_s = time.perf_counter() - started
    except Exception as exc:  # the runner reports it and goes on with the others
        reason = " ".join(f"{type(exc).__name__}: {exc}".replace(url, "<url>").split())
        print(f"failed: {reason[:300]}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "rows": outcome.rows,
                "read_s": read_s,
                "schema": outcome.schema,
                "version": outcome.version,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

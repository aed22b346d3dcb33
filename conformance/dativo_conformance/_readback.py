"""Read back what a writer committed: files by extension, or a PostgreSQL table.

Files are read with pyarrow, whatever their number and subdirectories (hive
partition directories ``col=value`` are not turned into columns): ``.csv``,
``.parquet``, ``.jsonl``/``.ndjson``/``.json``, ``.arrow``/``.feather``/``.ipc``.
Text formats are read with the expected schema, so a timestamp written as
text comes back as a timestamp. Names starting with ``.`` or ``_`` are
staging or markers, not output, and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.json as pajson
import pyarrow.parquet as pq

from dativo_conformance._check import CheckFailed

__all__ = ["READERS", "all_files", "read_back", "visible_files"]


def _csv(path: Path, schema: pa.Schema) -> pa.Table:
    options = pacsv.ConvertOptions(
        column_types={f.name: f.type for f in schema}, strings_can_be_null=True
    )
    return pacsv.read_csv(path, convert_options=options)


def _jsonl(path: Path, schema: pa.Schema) -> pa.Table:
    options = pajson.ParseOptions(explicit_schema=schema)
    return pajson.read_json(path, parse_options=options)


def _parquet(path: Path, schema: pa.Schema) -> pa.Table:
    return pq.read_table(path)


def _ipc(path: Path, schema: pa.Schema) -> pa.Table:
    return feather.read_table(path)


#: File extension -> reader of one file.
READERS: dict[str, Callable[[Path, pa.Schema], pa.Table]] = {
    ".csv": _csv,
    ".jsonl": _jsonl,
    ".ndjson": _jsonl,
    ".json": _jsonl,
    ".parquet": _parquet,
    ".arrow": _ipc,
    ".feather": _ipc,
    ".ipc": _ipc,
}


def all_files(directory: Path) -> list[Path]:
    """Every file under ``directory``, hidden ones included."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file())


def visible_files(directory: Path) -> list[Path]:
    """Files under ``directory`` a consumer would read (no ``.hidden`` or ``_marker`` parts)."""
    return [
        p
        for p in all_files(directory)
        if not any(part.startswith((".", "_")) for part in p.relative_to(directory).parts)
    ]


def read_back(values: dict[str, str], fixture: str, schema: pa.Schema) -> pa.Table:
    """Everything visible in the writer's target, as one table (columns of ``schema`` first)."""
    if fixture == "postgres":
        return _postgres(values["postgres_url"], values["table"], schema)
    tables = []
    for path in visible_files(Path(values["output"])):
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            raise CheckFailed(
                f"cannot read back {path.name}: the suite reads {', '.join(sorted(READERS))} files"
            )
        try:
            tables.append(reader(path, schema))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CheckFailed(f"cannot read back {path.name}: {exc}") from exc
    if not tables:
        return schema.empty_table()
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowException as exc:
        raise CheckFailed(f"the written files do not share one schema: {exc}") from exc


def _postgres(url: str, table: str, schema: pa.Schema) -> pa.Table:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [table]).fetchone()
        if not exists or exists[0] is None:
            return schema.empty_table()
        cur = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    arrays = {
        name: pa.array(values, schema.field(name).type if name in schema.names else None)
        for name, values in columns.items()
    }
    return pa.table(arrays)

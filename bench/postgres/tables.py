"""The two benchmark tables, generated on the server with ``generate_series``.

* ``bench_pg_lineitem``: TPC-H ``lineitem``'s 16 columns with their TPC-H
  shapes (integer keys, four ``numeric(15,2)``, ``char(1)`` flags, three
  dates, ``char(25)``/``char(10)``/``varchar(44)`` text); 1 M rows at scale 1.
* ``bench_pg_narrow``: ``int8, float8, bool, text, date``; 2 M rows at scale 1.

Every value is a function of the row number (no ``random()``), so two
machines generate the same bytes. A table is reused when its comment names
this generator's version and its row count is the one asked for; otherwise it
is dropped and generated again, then ``VACUUM ANALYZE``d so that hint bits
are set and no benchmark run pays for them, and checkpointed (when the role
may) so that writing the new pages does not overlap the first runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

__all__ = ["TABLES", "TableSpec", "copy_bytes", "ensure", "server_version"]

#: Bump when a generator below changes: tables with an older comment are rebuilt.
GENERATOR_VERSION = "dativo-bench-postgres v1"


@dataclass(frozen=True)
class TableSpec:
    """One benchmark table: its name, size at scale 1, DDL and generator."""

    key: str
    name: str
    base_rows: int
    columns: str
    select: str
    #: Columns whose Arrow type every tool's output is printed for.
    typed_columns: tuple[str, ...]

    def rows(self, scale: float) -> int:
        return max(1, round(self.base_rows * scale))


LINEITEM = TableSpec(
    key="lineitem",
    name="bench_pg_lineitem",
    base_rows=1_000_000,
    columns="""
        l_orderkey      int8          NOT NULL,
        l_partkey       int4          NOT NULL,
        l_suppkey       int4          NOT NULL,
        l_linenumber    int4          NOT NULL,
        l_quantity      numeric(15,2) NOT NULL,
        l_extendedprice numeric(15,2) NOT NULL,
        l_discount      numeric(15,2) NOT NULL,
        l_tax           numeric(15,2) NOT NULL,
        l_returnflag    char(1)       NOT NULL,
        l_linestatus    char(1)       NOT NULL,
        l_shipdate      date          NOT NULL,
        l_commitdate    date          NOT NULL,
        l_receiptdate   date          NOT NULL,
        l_shipinstruct  char(25)      NOT NULL,
        l_shipmode      char(10)      NOT NULL,
        l_comment       varchar(44)   NOT NULL
    """,
    # Spreads like TPC-H's: 1-4 lines per order, 200k parts, 10k suppliers,
    # quantity 1-50, price 900.00-2899.99, discount 0-0.10, tax 0-0.08,
    # dates over 1992-1998, comments of 10-43 characters.
    select="""
        SELECT (i - 1) / 4 + 1,
               1 + (i * 7919) % 200000,
               1 + (i * 104729) % 10000,
               (i - 1) % 4 + 1,
               q,
               q * (900 + ((i * 7919) % 200000) / 100.0),
               ((i * 13) % 11) / 100.0,
               ((i * 17) % 9) / 100.0,
               (ARRAY['A', 'N', 'R'])[1 + i % 3],
               (ARRAY['F', 'O'])[1 + i % 2],
               ship,
               date '1992-01-31' + ((i * 41) % 2466)::int,
               ship + 1 + (i % 30)::int,
               (ARRAY['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'])[1 + i % 4],
               (ARRAY['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'])[1 + i % 7],
               left(md5(i::text) || md5((-i)::text), 10 + (i % 34)::int)
        FROM generate_series(1::int8, {rows}::int8) AS i,
             LATERAL (SELECT (1 + (i * 31) % 50)::numeric AS q,
                             date '1992-01-02' + ((i * 37) % 2526)::int AS ship) AS v
    """,
    typed_columns=("l_quantity", "l_extendedprice", "l_discount", "l_tax"),
)

NARROW = TableSpec(
    key="narrow",
    name="bench_pg_narrow",
    base_rows=2_000_000,
    columns="""
        id     int8   NOT NULL,
        amount float8 NOT NULL,
        flag   bool   NOT NULL,
        label  text   NOT NULL,
        day    date   NOT NULL
    """,
    select="""
        SELECT i,
               ((i * 2654435761) % 1000003) / 1000.0::float8,
               i % 3 = 0,
               md5(i::text),
               date '2000-01-01' + (i % 9000)::int
        FROM generate_series(1::int8, {rows}::int8) AS i
    """,
    typed_columns=(),
)

TABLES: dict[str, TableSpec] = {spec.key: spec for spec in (LINEITEM, NARROW)}


def _comment(rows: int) -> str:
    return f"{GENERATOR_VERSION}; rows={rows}"


def _current(conn: psycopg.Connection[tuple[object, ...]], spec: TableSpec, rows: int) -> bool:
    """True if ``spec.name`` exists, was made by this generator, and holds ``rows`` rows."""
    found = conn.execute(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
        "WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
        (spec.name,),
    ).fetchone()
    if found is None or found[0] != _comment(rows):
        return False
    count = conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(spec.name))
    ).fetchone()
    return count is not None and count[0] == rows


def ensure(url: str, spec: TableSpec, rows: int, log: Callable[[str], None]) -> bool:
    """Make ``spec``'s table with ``rows`` rows unless it is there already; True if made."""
    table = sql.Identifier(spec.name)
    with psycopg.connect(url, autocommit=True) as conn:
        if _current(conn, spec, rows):
            return False
        log(f"generating {spec.name} with {rows:,} rows")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(spec.columns)))
        select = sql.SQL(spec.select.format(rows=int(rows)))
        conn.execute(sql.SQL("INSERT INTO {} {}").format(table, select))
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(table))
        conn.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(_comment(rows)))
        )
        # Write the new pages out now, not while the first runs are measured.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")
    return True


def copy_bytes(url: str, spec: TableSpec) -> int:
    """Size of ``COPY table TO STDOUT (FORMAT binary)``: what every client has to receive.

    Reading it also warms the server's buffer cache before the first run.
    """
    statement = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.Identifier(spec.name))
    total = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(statement) as copy:
        for chunk in copy:
            total += len(chunk)
    return total


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"

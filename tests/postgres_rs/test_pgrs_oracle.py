"""Correctness oracle of the Rust PostgreSQL reader on a table with every type.

One table holds a column per PostgreSQL type of the type map (plugins/postgres-rs/README),
each with edge values and NULLs. The Rust reader's columns must have exactly the Arrow
type of the map, and equal value by value (through the normalisers of
pgrs_oracle_support) the server's own text forms, the Python default reader and ADBC.
The CASES table says, per type, how each peer compares or why it is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pgrs_oracle_support as o
import psycopg
import pyarrow as pa
import pytest
from pgrs_oracle_support import Compare, Read, Skip, TypeCase

from dativo_pkg.errors import DataError

pytestmark = pytest.mark.postgres

WIRE = Skip("ADBC returns PostgreSQL's binary wire form as opaque bytes")
FLAT = Compare(rust=lambda col: o.flatten_lists(o.canonical(col)))  # ADBC flattens 2-D arrays
DAYS = "({} - DATE '1970-01-01')"
MICROS = "(extract(epoch FROM {}) * 1000000)::int8"
TEXTS = '\'{a,NULL,"b c","q\\"t","","NULL","back\\\\slash","{x}","é,ö"}\''
S, UTC_MS, JSON, MDN = (
    pa.string(),
    pa.timestamp("us", tz="UTC"),
    pa.json_(),
    pa.month_day_nano_interval(),
)
T, A, L = o.text, o.array_of, pa.list_
DDL = (
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'very happy', 'ünï', 'unused')",
    "CREATE TYPE pair AS (a int4, b text, c numeric)",
    "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)",
    "CREATE DOMAIN shorttext AS text CHECK (length(VALUE) < 100)",
)


def c(name: str, ddl: str, values: tuple[str, ...], arrow: Any, parse: Any, **kw: Any) -> TypeCase:
    return TypeCase(name, ddl, values, arrow, parse, **kw)


def a(name: str, value: str, arrow: Any, element: Any = T, sep: str = ",", **kw: Any) -> TypeCase:
    """An array type with one value; the Python reader returns its text."""
    return TypeCase(name, name, (value,), arrow, A(element, sep), **{"python": None, **kw})


#: The type map's types (common brief), then arrays of other element types, then types
#: that are read through their text form. The server's text is the oracle for all.
CASES: tuple[TypeCase, ...] = (
    c("int2", "int2", ("-32768", "32767", "0"), pa.int16(), int),
    c("int4", "int4", ("-2147483648", "2147483647", "0"), pa.int32(), int),
    c("int8", "int8", ("-9223372036854775808", "9223372036854775807"), pa.int64(), int),
    c("oid", "oid", ("0", "2147483647", "2147483648", "4294967295"), pa.uint32(), int,
      adbc=Compare(peer=o.each(lambda v: v & 0xFFFFFFFF))),  # ADBC wraps oid to int32
    c("float4", "float4", ("'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "3.4028235e38",
      "1e-45", "1.1", "-123.456"), pa.float32(), o.f32),
    c("float8", "float8", ("'NaN'", "'Infinity'", "'-Infinity'", "'-0'",
      "1.7976931348623157e308", "5e-324", "0.1", "-2.5e-300"), pa.float64(), o.f64),
    c("bool", "bool", ("true", "false"), pa.bool_(), o.boolean),
    c("text", "text", ("'héllo wörld ✓ 😀'", "'it''s \"quoted\"'", "E'line1\\nline2\\r\\n'",
      "E'tab\\there'", "E'back\\\\slash \\\\N'", "''", "'NULL'", "' padded '",
      "'a,b;c|{}[]'", "repeat('abc', 5000)"), S, T),
    c("varchar", "varchar(10)", ("'ten chars!'", "''", "'ünïcödé'"), S, T),
    c("bpchar", "char(5)", ("'ab'", "''", "'abcde'", "'é'"), S, T),
    c("name", "name", ("'pg_class'", "'x'", "repeat('n', 63)"), S, T),
    c("bytea", "bytea", ("'\\x'", "'\\x00'", "'\\x0001ff00'", "'abc'::bytea",
      "decode(repeat('ff00', 1000), 'hex')"), pa.binary(), o.hex_bytes),
    c("date", "date", ("'4713-01-01 BC'", "'0001-01-01'", "'1969-12-31'", "'1970-01-01'",
      "'2000-02-29'", "'9999-12-31'", "'5874897-12-31'"), pa.date32(), int, server_sql=DAYS),
    c("time", "time", ("'00:00:00'", "'23:59:59.999999'", "'12:34:56.789'"),
      pa.time64("us"), int, server_sql=MICROS),
    c("timestamp", "timestamp", ("'0001-01-01 00:00:00'", "'1969-12-31 23:59:59.999999'",
      "'1970-01-01'", "'2000-01-01 00:00:00.000001'", "'2024-02-29 12:34:56.123456'",
      "'9999-12-31 23:59:59.999999'"), pa.timestamp("us"), int, server_sql=MICROS),
    c("timestamptz", "timestamptz", ("'0001-01-01 00:00:00+00'", "'1969-12-31 23:59:59.999999Z'",
      "'2024-06-30 23:59:59.999999-07:00'", "'2000-01-01 00:00:00+14'",
      "'9999-12-31 23:59:59.999999+00'"), UTC_MS, int, server_sql=MICROS),
    c("interval", "interval", ("'1 year 2 mons 3 days 04:05:06.789012'",
      "'-1 mons -2 days -00:00:00.000001'", "'0'", "'1 mon -1 days +00:00:00.000001'",
      "'178000000 years'", "'-178000000 years'", "'2147483647 days'", "'-2147483648 days'",
      "'2562047:47:16.854775'", "'-2562047:47:16.854775'"), MDN, o.interval),
    c("timetz", "timetz", ("'12:34:56.789+05:30'", "'00:00:00-12'", "'23:59:59.999999+14'"),
      S, T, adbc=WIRE),
    c("numeric(15,2)", "numeric(15,2)", ("-9999999999999.99", "9999999999999.99", "0", "0.01",
      "-0.01", "123.4"), pa.decimal128(15, 2), T),
    c("numeric(38,10)", "numeric(38,10)", ("9999999999999999999999999999.9999999999",
      "-9999999999999999999999999999.9999999999", "0.0000000001", "-1"),
      pa.decimal128(38, 10), T),
    c("numeric(10,0)", "numeric(10,0)", ("9999999999", "-1", "0"), pa.decimal128(10, 0), T),
    c("numeric(5,5)", "numeric(5,5)", ("0.12345", "-0.99999", "0"), pa.decimal128(5, 5), T),
    c("numeric(50,5)", "numeric(50,5)", ("'" + "1234567890" * 4 + "12345.12345'",
      "'-" + "9" * 45 + ".99999'", "0.00001", "0"), pa.decimal256(50, 5), T, python=None),
    c("numeric", "numeric", ("'NaN'", "'Infinity'", "'-Infinity'", "1e100",
      "-0.000000000000000000000000000001", "-123.4500", "0", "'" + "1234567890" * 5 + ".5'"),
      S, T, adbc=Compare(peer=o.each(o.adbc_numeric))),
    c("numeric(5,-2)", "numeric(5,-2)", ("1234567", "-50"), S, T),
    c("numeric(3,5)", "numeric(3,5)", ("0.00123", "-0.00999"), S, T),
    c("numeric(38,38)", "numeric(38,38)", ("'-0." + "9" * 38 + "'",), pa.decimal128(38, 38), T),
    c("numeric(76,76)", "numeric(76,76)", ("'0." + "9" * 76 + "'", "'-0." + "0" * 75 + "1'"),
      pa.decimal256(76, 76), T, python=None),
    c("numeric(77,2)", "numeric(77,2)", ("'" + "9" * 75 + ".99'",), S, T),
    c("money", "money", ("12.34", "-92233720368547758.08", "92233720368547758.07", "0",
      "1234567.891"), pa.decimal128(19, 2), T, server_sql="{}::numeric",
      python=Compare(peer=o.each(o.money)),
      adbc=Compare(peer=o.each(lambda v: format(Decimal(v).scaleb(-2), "f")))),  # minor units
    c("uuid", "uuid", ("'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
      "'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"),
      S, T, adbc=Compare(peer=o.each(o.adbc_uuid))),
    c("json", "json", ("'{\"b\": 1,  \"a\": [1, 2.50]}'", "'\"str \\u00e9\"'", "'null'", "'[]'",
      "'123.4500'"), JSON, T),
    c("jsonb", "jsonb", ("'{\"b\": 1,  \"a\": [1, 2.50]}'", "'\"str \\u00e9\"'", "'null'",
      "'[]'", "'123.4500'"), JSON, T),
    c("enum", "mood", ("'sad'", "'ok'", "'very happy'", "'ünï'"),
      pa.dictionary(pa.int32(), S), T),
    c("int4[]", "int4[]", ("'{1,2,3}'", "'{}'", "'{NULL,1}'", "'{-2147483648,2147483647}'",
      "'{NULL}'"), L(pa.int32()), A(int), python=None),
    c("text[]", "text[]", (TEXTS, "'{}'"), L(S), A(T), python=None),
    c("int4[][]", "int4[][]", ("'{{1,2},{3,NULL}}'", "'{}'", "'{{NULL,NULL}}'",
      "'{{1},{2},{3}}'"), L(L(pa.int32())), A(int), python=None, adbc=FLAT),
    c("inet", "inet", ("'192.168.0.1/24'", "'::1'", "'10.0.0.1'"), S, T, adbc=WIRE),
    c("cidr", "cidr", ("'10.0.0.0/8'", "'2001:db8::/32'"), S, T, adbc=WIRE),
    c("domain int4", "posint", ("1", "2147483647"), pa.int32(), int),
    c("domain text", "shorttext", ("'abc'", "''"), S, T),
    c("int4range", "int4range", ("'[1,10)'", "'empty'", "'(,5]'", "'[3,)'"), S, T, adbc=WIRE),
    c("composite", "pair", ("ROW(1, 'a b', NULL)::pair", "ROW(NULL, NULL, 1.5)::pair",
      "ROW(-1, 'q\"t,', 0)::pair"), S, T,
      adbc=Skip("ADBC decodes a composite into a struct; the server's text is the oracle")),
    c("tsvector", "tsvector", ("'a fat cat'",), S, T, adbc=WIRE),
    c("point", "point", ("'(1.5,-2)'",), S, T, adbc=WIRE),
    # arrays of the other element types
    a("text[][]", "'{{a,NULL},{\"\",\"c d\"}}'", L(L(S)), adbc=FLAT),
    a("int4[][][]", "'{{{1,2},{3,4}},{{5,NULL},{7,8}}}'", L(L(L(pa.int32()))), int, adbc=FLAT),
    a("int8[]", "'{-9223372036854775808,9223372036854775807,NULL}'", L(pa.int64()), int),
    a("float4[]", "'{NaN,-Infinity,-0,1.5,NULL}'", L(pa.float32()), o.f32),
    a("float8[]", "'{NaN,Infinity,-Infinity,-0,1.5,NULL}'", L(pa.float64()), o.f64),
    a("bool[]", "'{t,f,NULL}'", L(pa.bool_()), o.boolean),
    a("oid[]", "'{4294967295,0,NULL}'", L(pa.uint32()), int,
      adbc=Compare(peer=o.each(lambda v: v & 0xFFFFFFFF))),
    a("numeric(10,2)[]", "'{1.5,-2.25,NULL}'", L(pa.decimal128(10, 2))),
    a("numeric(5,2)[][]", "'{{1.5,NULL},{2,3}}'", L(L(pa.decimal128(5, 2))), adbc=FLAT),
    a("numeric[]", "'{NaN,1.50,Infinity,NULL}'", L(S),
      adbc=Compare(peer=o.each(o.adbc_numeric))),
    a("money[]", "'{1.5,-2,NULL}'", L(pa.decimal128(19, 2)), o.money,
      adbc=Compare(peer=o.each(lambda v: format(Decimal(v).scaleb(-2), "f")))),
    a("date[]", "'{2000-02-29,1970-01-01,NULL}'", L(pa.date32()), o.iso_days),
    a("timestamptz[]", "'{\"2024-01-01 00:00:00.000001+00\",NULL}'", L(UTC_MS), o.iso_micros),
    a("interval[]", "'{\"1 mon 2 days 00:00:01\",NULL}'", L(MDN), o.interval),
    a("bytea[]", "ARRAY['\\x00ff'::bytea, NULL, '\\x'::bytea]", L(pa.binary()), o.hex_bytes),
    a("bytea[][]", "ARRAY[ARRAY['\\x01'::bytea], ARRAY[NULL::bytea]]", L(L(pa.binary())),
      o.hex_bytes, adbc=FLAT),
    a("varchar(8)[]", "'{a,\"b c\",NULL}'", L(S)),
    a("char(3)[]", "'{a,bc,NULL}'", L(S)),
    a("name[]", "'{x,y}'", L(S)),
    a("uuid[]", "'{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11,NULL}'", L(S),
      adbc=Compare(peer=o.each(o.adbc_uuid))),
    a("uuid[][]", "'{{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}}'", L(L(S)),
      adbc=Compare(peer=o.each(o.adbc_uuid), rust=FLAT.rust)),
    a("mood[]", "'{sad,\"very happy\",NULL}'", L(pa.dictionary(pa.int32(), S))),
    a("jsonb[]", "ARRAY['{\"a\": 1}'::jsonb, NULL]", L(JSON)),
    a("json[]", "ARRAY['{\"a\":1}'::json]", L(JSON)),
    a("posint[]", "'{1,2}'", L(pa.int32()), int),
    a("inet[]", "'{10.0.0.1,::1/128,NULL}'", L(S), adbc=WIRE),
    a("cidr[]", "'{10.0.0.0/8}'", L(S), adbc=WIRE),
    a("timetz[]", "'{12:00+01,NULL}'", L(S), adbc=WIRE),
    a("int4range[]", "'{\"[1,2)\",empty}'", L(S), adbc=WIRE),
    a("pair[]", "ARRAY[ROW(1, 'a', 2)::pair, NULL]", L(S), adbc=Skip("ADBC: structs")),
    a("box[]", "ARRAY['((0,0),(1,1))'::box, '((2,2),(3,3))'::box]", L(S), sep=";", adbc=WIRE),
    # read through their text form
    *(c(ddl, ddl, (value,), S, T, adbc=WIRE) for ddl, value in (
        ("macaddr", "'08:00:2b:01:02:03'"), ("macaddr8", "'08:00:2b:01:02:03:04:05'"),
        ("bit(4)", "B'1010'"), ("varbit", "B'10101'"), ("xml", "'<a>1</a>'"),
        ("pg_lsn", "'16/B374D848'"), ("box", "'((0,0),(1,1))'"), ("tsquery", "'a & b'"),
        ("regclass", "'pg_class'"), ("txid_snapshot", "'10:20:10,14,15'"),
        ("daterange", "'[2000-01-01,2000-02-01)'"), ("int8multirange", "'{[1,3),[5,7)}'"),
        ("line", "'{1,2,3}'"), ("circle", "'<(1,2),3>'"), ("path", "'[(0,0),(1,1)]'"),
        ("polygon", "'((0,0),(1,1),(1,0))'"), ("lseg", "'[(0,0),(1,1)]'"))),
    c("\"char\"", "\"char\"", ("'x'",), S, T),
    c("interval(2)", "interval(2)", ("'1.234 seconds'",), MDN, o.interval),
    c("time(0)", "time(0)", ("'12:34:56.7'",), pa.time64("us"), int, server_sql=MICROS),
    c("timestamptz(3)", "timestamptz(3)", ("'2024-01-01 00:00:00.12345+00'",), UTC_MS, int,
      server_sql=MICROS),
)  # fmt: skip

IDS = [case.name for case in CASES]


@dataclass(frozen=True)
class Reads:
    """The every-type table as each reader and the server see it."""

    url: str
    table: str
    rust: Read
    python: Read
    adbc: Read
    server: dict[str, list[Any]]  # column -> canonical values parsed from the server's text


@pytest.fixture(scope="module")
def pgrs(postgres_rs_site: Path) -> Iterator[ModuleType]:
    """The Rust reader's package, for module-scoped fixtures."""
    with o.rust_module(postgres_rs_site) as module:
        yield module


@pytest.fixture(scope="module")
def reads(pg_server_url: str, pgrs: ModuleType) -> Iterator[Reads]:
    with o.scratch_schema(pg_server_url, "pgrs_oracle") as schema:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            o.run_sql(conn, f'SET search_path TO "{schema}"')
            for statement in DDL:
                o.run_sql(conn, statement)
            o.create_case_table(conn, schema, "every_type", CASES)
        table = f"{schema}.every_type"
        adbc = ", ".join(["id"] + [c.column for c in CASES if not isinstance(c.adbc, Skip)])
        exprs = ", ".join(case.server_sql.format(case.column) for case in CASES)
        rows = o.read_server(
            pg_server_url, f'SELECT {exprs} FROM "{schema}".every_type ORDER BY id'
        )
        server = {
            case.column: [None if (v := row[i]) is None else case.parse(v) for row in rows]
            for i, case in enumerate(CASES)
        }
        yield Reads(
            url=pg_server_url,
            table=table,
            rust=o.read_rust(pgrs, url=pg_server_url, table=table),
            python=o.read_python(url=pg_server_url, table=table),
            adbc=o.read_adbc(pg_server_url, f'SELECT {adbc} FROM "{schema}".every_type'),
            server=server,
        )


def _compare(reads: Reads, case: TypeCase, peer: Read, how: Compare | Skip) -> None:
    if isinstance(how, Skip):
        pytest.skip(how.why)
    rust = how.rust(reads.rust.raw[case.column])
    other = how.peer(peer.raw[case.column])
    # raw columns are in read order: pair them by id
    rust_ids, peer_ids = o.canonical(reads.rust.raw["id"]), o.canonical(peer.raw["id"])
    expected = dict(zip(peer_ids, other, strict=True))
    diffs = o.mismatches([expected.get(i) for i in rust_ids], rust, rust_ids)
    assert sorted(rust_ids) == sorted(peer_ids)
    assert not diffs, f"{case.name}: " + "; ".join(diffs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rust_type_is_exactly_the_type_map(reads: Reads, case: TypeCase) -> None:
    assert reads.rust.schema.field(case.column).type == case.arrow


def test_json_columns_carry_the_json_extension(reads: Reads) -> None:
    for name in ("c_json", "c_jsonb"):
        kind = reads.rust.schema.field(name).type
        assert isinstance(kind, pa.BaseExtensionType) and kind.extension_name == "arrow.json"
        assert kind.storage_type == pa.string()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rust_equals_the_servers_text(reads: Reads, case: TypeCase) -> None:
    rust = reads.rust.columns[case.column]
    expected = reads.server[case.column]
    assert None in expected  # every column has a NULL row
    diffs = o.mismatches(expected, rust, reads.rust.columns["id"])
    assert not diffs, f"{case.name}: " + "; ".join(diffs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rust_equals_the_python_reader(reads: Reads, case: TypeCase) -> None:
    _compare(reads, case, reads.python, case.python_peer())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rust_equals_adbc(reads: Reads, case: TypeCase) -> None:
    _compare(reads, case, reads.adbc, case.adbc)


@pytest.mark.parametrize(
    "options",
    [{"batch_rows": 1}, {"batch_rows": 3}, {"partitions": 2}, {"partitions": 3,
     "partition_column": "id"}, {"c_stream": True, "batch_rows": 4}],
    ids=["batch_rows=1", "batch_rows=3", "ctid-partitions=2", "id-partitions=3", "c-stream"],
)  # fmt: skip
def test_batching_and_partitions_change_no_value(
    reads: Reads, pgrs: ModuleType, options: dict[str, Any]
) -> None:
    again = o.read_rust(pgrs, url=reads.url, table=reads.table, **options)
    assert again.schema == reads.rust.schema
    assert again.columns == reads.rust.columns
    if "batch_rows" in options:
        assert max(again.batch_sizes) <= options["batch_rows"]


def test_query_mode_reads_what_table_mode_reads(reads: Reads, pgrs: ModuleType) -> None:
    schema, table = reads.table.split(".")
    query = f'SELECT * FROM "{schema}"."{table}" WHERE id >= 0'
    again = o.read_rust(pgrs, url=reads.url, query=query)
    assert again.schema == reads.rust.schema
    assert again.columns == reads.rust.columns


def _table(url: str, schema: str, columns: str, *rows: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        o.run_sql(conn, f'CREATE TABLE "{schema}".t (id int4, {columns})')
        for row in rows:
            o.run_sql(conn, f'INSERT INTO "{schema}".t VALUES ({row})')
    return f"{schema}.t"


def test_numeric_nan_in_a_typed_column_is_null(pg_server_url: str, pgrs: ModuleType) -> None:
    """The documented rule: NaN has no decimal value, so numeric(p, s) NaN reads as null."""
    with o.scratch_schema(pg_server_url, "pgrs_nan") as schema:
        table = _table(pg_server_url, schema, "n numeric(10,2), w numeric(50,5)",
                       "1, 'NaN', 'NaN'", "2, 1.5, -2.25", "3, NULL, NULL")  # fmt: skip
        rust = o.read_rust(pgrs, url=pg_server_url, table=table)
        assert rust.columns["n"] == [None, "1.50", None]
        assert rust.columns["w"] == [None, "-2.25000", None]
        with pytest.raises(DataError, match="'n'"):  # the Python reader refuses NaN instead
            o.read_python(url=pg_server_url, table=table)


@pytest.mark.parametrize(
    ("ddl", "value"),
    [("timestamp", "infinity"), ("timestamptz", "-infinity"), ("date", "infinity"),
     ("date", "-infinity"), ("timestamp[]", "{2000-01-01,infinity}"),
     ("timestamp", "294276-12-31 23:59:59"), ("timestamptz", "294270-01-01 00:00:00+00"),
     ("time", "24:00:00")],
)  # fmt: skip
def test_infinite_and_out_of_range_times_are_data_errors(
    pg_server_url: str, pgrs: ModuleType, ddl: str, value: str
) -> None:
    with o.scratch_schema(pg_server_url, "pgrs_inf") as schema:
        rows = [f"{i}, NULL" for i in range(1, 5)] + [f"5, '{value}'"]
        table = _table(pg_server_url, schema, f'"When Col" {ddl}', *rows)
        with pytest.raises(DataError) as error:
            o.read_rust(pgrs, url=pg_server_url, table=table, batch_rows=2)
        assert "When Col" in error.value.message and error.value.hint
        where = re.search(r"\brows? (\d+)(?:\s*(?:-|to)\s*(\d+))?", error.value.message)
        assert where, f"no row range in: {error.value.message}"
        assert int(where[1]) <= 5 <= int(where[2] or where[1]), error.value.message  # row 5
        if not ddl.endswith("[]"):  # the Python reader reads arrays as text
            with pytest.raises(DataError):  # (it names the column only for timestamps)
                o.read_python(url=pg_server_url, table=table)


def test_values_beyond_the_python_reader(pg_server_url: str, pgrs: ModuleType) -> None:
    """BC and far-future timestamps, array lower bounds: the Rust reader vs ADBC and the server.

    (PostgreSQL's last years, 294247-294276, are beyond int64 µs since 1970: the test
    above wants a DataError for them, where ADBC silently wraps to negative numbers.)
    """
    columns = "ts timestamp, tz timestamptz, a int4[]"
    values = [("'0001-01-01 00:00:00 BC'", "'4713-01-01 00:00:00+00 BC'", "'[0:2]={1,2,3}'"),
              ("'294246-12-31 23:59:59.999999'", "'294246-12-31 23:59:59.999999+00'",
               "'[-5:-5]={7}'")]  # fmt: skip
    with o.scratch_schema(pg_server_url, "pgrs_beyond") as schema:
        rows = [f"{i}, {', '.join(v)}" for i, v in enumerate(values)]
        table = _table(pg_server_url, schema, columns, *rows)
        rust = o.read_rust(pgrs, url=pg_server_url, table=table)
        adbc = o.read_adbc(pg_server_url, f'SELECT id, ts, tz FROM "{schema}".t')  # no [-5:-5]
        server = o.read_server(pg_server_url, f'SELECT {MICROS.format("ts")}, '
                             f'{MICROS.format("tz")}, a FROM "{schema}".t ORDER BY id')  # fmt: skip
        assert rust.columns["ts"] == adbc.columns["ts"] == [int(r[0] or 0) for r in server]
        assert rust.columns["tz"] == adbc.columns["tz"] == [int(r[1] or 0) for r in server]
        assert (
            rust.columns["a"] == [o.array_of(int)(r[2] or "") for r in server] == [[1, 2, 3], [7]]
        )


def test_an_interval_beyond_nanoseconds_is_a_data_error(
    pg_server_url: str, pgrs: ModuleType
) -> None:
    """month_day_nano holds |time| < 2^63 ns; PostgreSQL's µs go 1000 times further."""
    with o.scratch_schema(pg_server_url, "pgrs_ival") as schema:
        table = _table(pg_server_url, schema, "iv interval", "1, '1 day'",
                       "2, '2562047788:00:54.775807'")  # fmt: skip
        with pytest.raises(DataError, match="'iv'"):
            o.read_rust(pgrs, url=pg_server_url, table=table)

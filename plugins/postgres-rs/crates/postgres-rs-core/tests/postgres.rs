//! Integration tests against a real server: set DATIVO_TEST_PG_URL (skipped otherwise).
//!
//! Each test works in its own schema (dropped at the end) and tags its
//! connections with its own application_name, so sessions can be counted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, IntervalUnit, TimeUnit};
use postgres::{Client, NoTls};
use postgres_rs_core::{DebugPanic, Error, PgReader, ReadOptions, Source};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct Scratch {
    url: String,
    schema: String,
    admin: Client,
}

impl Scratch {
    /// None when no server is configured.
    fn new() -> Option<Scratch> {
        let url = std::env::var("DATIVO_TEST_PG_URL").ok().filter(|u| !u.is_empty())?;
        let schema =
            format!("pgrs_core_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = Client::connect(&url, NoTls).expect("connect to DATIVO_TEST_PG_URL");
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        Some(Scratch { url, schema, admin })
    }

    fn exec(&mut self, sql: &str) {
        let sql = sql.replace("$S", &self.schema);
        self.admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }

    fn table(&self, name: &str) -> Source {
        Source::Table { schema: Some(self.schema.clone()), name: name.to_string() }
    }

    /// The URL tagged with an application_name unique to this scratch schema.
    fn tagged_url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}application_name={}", self.url, self.schema)
    }

    fn sessions(&mut self) -> i64 {
        let row = self
            .admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&self.schema],
            )
            .unwrap();
        row.get(0)
    }

    /// Wait (bounded) until the server has removed this test's sessions.
    fn sessions_settled(&mut self) -> i64 {
        for _ in 0..100 {
            if self.sessions() == 0 {
                return 0;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.sessions()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
    }
}

macro_rules! scratch {
    () => {
        match Scratch::new() {
            Some(scratch) => scratch,
            None => {
                eprintln!("skipped: DATIVO_TEST_PG_URL is not set");
                return;
            }
        }
    };
}

fn read_all(options: ReadOptions) -> Result<Vec<RecordBatch>, Error> {
    let mut reader = PgReader::open(options)?;
    let mut batches = Vec::new();
    while let Some(batch) = reader.next_batch()? {
        batches.push(batch);
    }
    Ok(batches)
}

/// id -> payload of every row (the multiset of rows, as the ids are unique).
fn rows_by_id(batches: &[RecordBatch]) -> BTreeMap<Option<i64>, Option<String>> {
    let mut rows = BTreeMap::new();
    let mut nulls = 0;
    for batch in batches {
        let ids = batch.column(0).as_primitive::<Int64Type>();
        let payloads = batch.column(1).as_string::<i32>();
        for i in 0..batch.num_rows() {
            let id = ids.is_valid(i).then(|| ids.value(i));
            let payload = payloads.is_valid(i).then(|| payloads.value(i).to_string());
            if id.is_none() {
                nulls += 1;
                rows.insert(Some(-1_000_000 - nulls), payload);
            } else {
                assert!(rows.insert(id, payload).is_none(), "row {id:?} read twice");
            }
        }
    }
    rows
}

#[test]
fn every_type_has_its_arrow_type() {
    let mut db = scratch!();
    db.exec(
        "CREATE TYPE $S.mood AS ENUM ('sad', 'ok');
         CREATE DOMAIN $S.pos AS int4 CHECK (VALUE > 0);
         CREATE TABLE $S.t (b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
           t text, bp char(3), by bytea, d date, tm time, ts timestamp, tz timestamptz,
           iv interval, n numeric(15,2), n50 numeric(50,5), nu numeric, m money, u uuid,
           j json, jb jsonb, e $S.mood, a int4[], a2 int4[][], ip inet, dom $S.pos, ttz timetz);
         INSERT INTO $S.t VALUES (true, 1, 2, 3, 4000000000, 1.5, 'NaN', 'x', 'a', '\\x00',
           '2024-02-29', '12:00', '2024-01-01 00:00', '2024-01-01 00:00+01', '1 mon 2 days 3 s',
           12.5, 1.5, 'NaN', 3.25, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{}', '{\"k\": 1}',
           'ok', '{1,NULL}', '{{1,2},{3,4}}', '10.0.0.1', 5, '01:02:03+04');
         INSERT INTO $S.t DEFAULT VALUES;",
    );
    let batches = read_all(ReadOptions::new(db.url.clone(), db.table("t"))).unwrap();
    let schema = batches[0].schema();
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
    let expected = [
        DataType::Boolean,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::UInt32,
        DataType::Float32,
        DataType::Float64,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Binary,
        DataType::Date32,
        DataType::Time64(TimeUnit::Microsecond),
        DataType::Timestamp(TimeUnit::Microsecond, None),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        DataType::Interval(IntervalUnit::MonthDayNano),
        DataType::Decimal128(15, 2),
        DataType::Decimal256(50, 5),
        DataType::Utf8,
        DataType::Decimal128(19, 2),
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        list(DataType::Int32),
        list(list(DataType::Int32)),
        DataType::Utf8,
        DataType::Int32,
        DataType::Utf8,
    ];
    let types: Vec<DataType> = schema.fields().iter().map(|f| f.data_type().clone()).collect();
    assert_eq!(types, expected);
    assert_eq!(
        schema.field_with_name("jb").unwrap().metadata()["ARROW:extension:name"],
        "arrow.json"
    );
    let batch = &batches[0];
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(batch.column(4).as_primitive::<UInt32Type>().value(0), 4_000_000_000);
    assert_eq!(batch.column(8).as_string::<i32>().value(0), "a  ");
    assert_eq!(batch.column(17).as_string::<i32>().value(0), "NaN");
    assert_eq!(
        batch.column(19).as_string::<i32>().value(0),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    );
    assert_eq!(batch.column(25).as_string::<i32>().value(0), "10.0.0.1");
    assert_eq!(batch.column(27).as_string::<i32>().value(0), "01:02:03+04");
    for column in batch.columns() {
        assert!(column.is_null(1), "{:?}", column.data_type());
    }
}

#[test]
fn partitions_equal_a_single_read_and_keep_the_snapshot() {
    let mut db = scratch!();
    db.exec(
        "CREATE TABLE $S.p (id int8, payload text);
         INSERT INTO $S.p SELECT g, 'row ' || g FROM generate_series(1, 20000) g;
         INSERT INTO $S.p SELECT NULL, 'null id ' || g FROM generate_series(1, 7) g;",
    );
    let single = rows_by_id(&read_all(ReadOptions::new(db.url.clone(), db.table("p"))).unwrap());
    assert_eq!(single.len(), 20_007);
    for (partitions, column) in [(2, Some("id")), (3, Some("id")), (2, None), (5, None)] {
        let mut options = ReadOptions::new(db.url.clone(), db.table("p"));
        options.partitions = partitions;
        options.partition_column = column.map(str::to_string);
        options.batch_rows = 999;
        // The snapshot is taken at open: rows added afterwards are not read.
        let mut reader = PgReader::open(options).unwrap();
        db.exec("INSERT INTO $S.p SELECT g, 'late' FROM generate_series(50001, 50100) g");
        let mut batches = Vec::new();
        while let Some(batch) = reader.next_batch().unwrap() {
            batches.push(batch);
        }
        assert_eq!(rows_by_id(&batches), single, "partitions={partitions} column={column:?}");
        db.exec("DELETE FROM $S.p WHERE payload = 'late'");
    }
}

#[test]
fn closing_mid_stream_leaves_no_session() {
    let mut db = scratch!();
    db.exec("CREATE TABLE $S.big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 300000) g");
    for partitions in [1, 3] {
        let mut options = ReadOptions::new(db.tagged_url(), db.table("big"));
        options.batch_rows = 1000;
        options.partitions = partitions;
        let mut reader = PgReader::open(options).unwrap();
        assert!(reader.next_batch().unwrap().is_some());
        assert!(db.sessions() >= i64::try_from(partitions).unwrap());
        reader.close();
        assert!(matches!(reader.next_batch(), Err(Error::Closed)));
        drop(reader);
        assert_eq!(db.sessions_settled(), 0, "partitions={partitions}");
    }
}

#[test]
fn incremental_reads_filter_and_order() {
    let mut db = scratch!();
    db.exec("CREATE TABLE $S.inc (id int8, payload text); INSERT INTO $S.inc SELECT g, g::text FROM generate_series(10, 1, -1) g");
    let mut options = ReadOptions::new(db.url.clone(), db.table("inc"));
    options.cursor_field = Some("id".into());
    options.after_sql = Some("'7'::int8".into());
    let batches = read_all(options).unwrap();
    let ids: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(ids, vec![8, 9, 10]);
    let mut reader = PgReader::open(ReadOptions::new(db.url.clone(), db.table("inc"))).unwrap();
    while reader.next_batch().unwrap().is_some() {}
    assert!(reader.next_batch().unwrap().is_none(), "an exhausted reader stays exhausted");
    let mut options = ReadOptions::new(db.url.clone(), db.table("inc"));
    options.cursor_field = Some("nope".into());
    assert!(matches!(PgReader::open(options), Err(Error::Config { .. })));
}

#[test]
fn errors_are_classified_and_never_show_the_url() {
    let mut db = scratch!();
    db.exec(
        "CREATE TABLE $S.bad (a int4[], ts timestamp);
         INSERT INTO $S.bad VALUES ('{1}', '2024-01-01'), ('{{1,2},{3,4}}', 'infinity');",
    );
    let missing = PgReader::open(ReadOptions::new(db.url.clone(), db.table("missing")));
    assert!(matches!(missing, Err(Error::Config { .. })), "{missing:?}", missing = missing.err());
    let url = "postgresql://someone:hunter2@127.0.0.1:1/secretdb";
    let err = PgReader::open(ReadOptions::new(url, db.table("bad"))).err().unwrap();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    for secret in ["hunter2", "someone", "secretdb", "127.0.0.1"] {
        assert!(!err.to_string().contains(secret), "{err}");
    }
    let mut options = ReadOptions::new(db.url.clone(), db.table("bad"));
    options.columns = Some(vec!["a".into()]);
    let err = read_all(options).unwrap_err();
    assert!(matches!(err, Error::Data { .. }), "{err:?}");
    assert!(
        err.to_string().contains("column 'a'") && err.to_string().contains("2-dimensional"),
        "{err}"
    );
    let mut options = ReadOptions::new(db.url.clone(), db.table("bad"));
    options.columns = Some(vec!["ts".into()]);
    let err = read_all(options).unwrap_err();
    assert!(
        err.to_string().contains("column 'ts'") && err.to_string().contains("rows 1-2"),
        "{err}"
    );
    let mut options = ReadOptions::new(db.url.clone(), Source::Query("SELECT 1 AS x".into()));
    options.partitions = 2;
    assert!(matches!(PgReader::open(options), Err(Error::Config { .. })));
    let mut options = ReadOptions::new(db.url.clone(), db.table("bad"));
    options.partitions = 2;
    options.partition_column = Some("ts".into());
    let err = PgReader::open(options).err().unwrap();
    assert!(err.to_string().contains("partition_column 'ts'"), "{err}");
}

#[test]
fn a_panicking_thread_is_an_error_not_a_crash() {
    let mut db = scratch!();
    db.exec("CREATE TABLE $S.x AS SELECT 1 AS id");
    for hook in [DebugPanic::Worker, DebugPanic::Next] {
        let mut options = ReadOptions::new(db.tagged_url(), db.table("x"));
        options.debug_panic = Some(hook);
        let err = read_all(options).unwrap_err();
        assert!(matches!(err, Error::Internal { .. }), "{err:?}");
        assert!(err.to_string().starts_with("internal error in the PostgreSQL reader:"), "{err}");
    }
    assert_eq!(db.sessions_settled(), 0);
}

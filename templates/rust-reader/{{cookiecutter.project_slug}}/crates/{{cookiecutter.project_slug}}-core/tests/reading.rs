//! End-to-end tests of the public API on small files written per test.

use std::fs;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampSecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use reader_core::{CsvOptions, CursorFilter, Error, open};

const HEADER: &str = "id,name,amount,active,created_at,day\n";

/// A fresh directory holding `files` (name, body); removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str, files: &[(&str, String)]) -> Self {
        let dir = std::env::temp_dir().join(format!("reader-core-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for (name, body) in files {
            fs::write(dir.join(name), body).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn rows(ids: std::ops::Range<i64>) -> String {
    let mut body = String::from(HEADER);
    for id in ids {
        let name = if id % 3 == 0 { String::new() } else { format!("n{id}") };
        let amount = if id % 4 == 0 { String::new() } else { format!("{}.25", id) };
        let active = if id % 5 == 0 {
            ""
        } else if id % 2 == 0 {
            "true"
        } else {
            "false"
        };
        body.push_str(&format!(
            "{id},{name},{amount},{active},2024-01-02T03:04:{:02}Z,2024-01-02\n",
            id % 60
        ));
    }
    body
}

fn read_all(path: &std::path::Path, options: &CsvOptions) -> Vec<RecordBatch> {
    open(path, options).unwrap().map(|b| b.unwrap()).collect()
}

fn ids(batches: &[RecordBatch]) -> Vec<i64> {
    batches.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect()
}

#[test]
fn reads_a_directory_in_name_order_in_bounded_batches() {
    let dir =
        Scratch::new("dir", &[("part-00001.csv", rows(51..101)), ("part-00000.csv", rows(1..51))]);
    let options = CsvOptions { batch_size: 16, ..CsvOptions::default() };
    let batches = read_all(&dir.0, &options);
    assert_eq!(ids(&batches), (1..101).collect::<Vec<_>>());
    assert!(batches.iter().all(|b| b.num_rows() <= 16));
    let schema = open(&dir.0, &options).unwrap().schema();
    assert!(batches.iter().all(|b| b.schema() == schema));
}

#[test]
fn keeps_nulls_and_types() {
    let dir = Scratch::new("nulls", &[("data.csv", rows(1..13))]);
    let batches = read_all(&dir.0.join("data.csv"), &CsvOptions::default());
    let batch = &batches[0];
    let types: Vec<_> = batch.schema().fields().iter().map(|f| f.data_type().clone()).collect();
    assert_eq!(
        types,
        [
            DataType::Int64,
            DataType::Utf8,
            DataType::Float64,
            DataType::Boolean,
            DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            DataType::Date32,
        ]
    );
    assert_eq!(batch.column(1).null_count(), 4); // ids 3, 6, 9, 12
    assert_eq!(batch.column(2).null_count(), 3); // ids 4, 8, 12
    assert_eq!(batch.column(3).null_count(), 2); // ids 5, 10
    let created = batch.column(4).as_primitive::<TimestampSecondType>();
    assert_eq!(created.value(0), 1_704_164_641); // 2024-01-02T03:04:01Z
}

#[test]
fn incremental_filter_drops_rows_up_to_the_cursor() {
    let dir = Scratch::new("cursor", &[("a.csv", rows(1..41)), ("b.csv", rows(41..81))]);
    let cursor = Some(CursorFilter { column: "id".into(), after: 30 });
    let options = CsvOptions { batch_size: 8, cursor, ..CsvOptions::default() };
    let batches = read_all(&dir.0, &options);
    assert_eq!(ids(&batches), (31..81).collect::<Vec<_>>());
    assert!(batches.iter().all(|b| b.num_rows() > 0));
}

#[test]
fn cursor_must_be_an_existing_comparable_column() {
    let dir = Scratch::new("badcursor", &[("a.csv", rows(1..5))]);
    for column in ["missing", "name"] {
        let cursor = Some(CursorFilter { column: column.into(), after: 0 });
        let err = open(&dir.0, &CsvOptions { cursor, ..CsvOptions::default() }).unwrap_err();
        assert!(matches!(err, Error::Cursor { .. }), "{err}");
    }
}

#[test]
fn missing_source_is_unreachable() {
    let err = open(std::path::Path::new("/no/such/dir"), &CsvOptions::default()).unwrap_err();
    assert!(err.is_unreachable());
    assert!(err.to_string().contains("/no/such/dir"));
}

#[test]
fn bad_value_names_the_file() {
    let mut broken = rows(1..5);
    broken.push_str("oops,x,1.0,true,2024-01-02T03:04:05Z,2024-01-02\n");
    let dir = Scratch::new("badvalue", &[("a.csv", rows(1..5)), ("b.csv", broken)]);
    let mut reader = open(&dir.0, &CsvOptions::default()).unwrap();
    let err = reader.find_map(Result::err).expect("a parse error");
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert!(reader.next().is_none(), "the reader ends after an error");
}

#[test]
fn a_file_with_other_columns_is_refused() {
    let dir = Scratch::new("header", &[("a.csv", rows(1..5)), ("b.csv", "id,other\n1,2\n".into())]);
    let mut reader = open(&dir.0, &CsvOptions::default()).unwrap();
    let err = reader.find_map(Result::err).expect("a header error");
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert!(reader.next().is_none(), "the reader ends after an error");
}

#[test]
fn zero_batch_size_is_refused() {
    let dir = Scratch::new("zero", &[("a.csv", rows(1..5))]);
    let err = open(&dir.0, &CsvOptions { batch_size: 0, ..CsvOptions::default() }).unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err}");
}

#[test]
fn a_path_under_a_file_is_unreachable() {
    let dir = Scratch::new("notdir", &[("a.csv", rows(1..3))]);
    let err = open(&dir.0.join("a.csv").join("missing"), &CsvOptions::default()).unwrap_err();
    assert!(err.is_unreachable(), "{err}");
}

//! Column types: inferred from the first file, then made explicit.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, Result};
use crate::parse::{is_date, is_decimal, is_integer, parse_bool, timestamp_unit};

/// The time zone every timestamp column is labelled with.
pub(crate) const UTC: &str = "UTC";

// What the values of a column looked like so far, one bit per kind (as arrow-csv does it).
const BOOL: u16 = 1;
const INT: u16 = 1 << 1;
const FLOAT: u16 = 1 << 2;
const DATE: u16 = 1 << 3;
const SECOND: u16 = 1 << 4;
const MILLI: u16 = 1 << 5;
const MICRO: u16 = 1 << 6;
const NANO: u16 = 1 << 7;
const TEXT: u16 = 1 << 8;

/// The kind of one non-empty value.
fn kind(value: &str) -> u16 {
    if parse_bool(value).is_some() {
        BOOL
    } else if is_integer(value) {
        // Too large for an i64: text, not a float.
        if value.parse::<i64>().is_ok() { INT } else { TEXT }
    } else if is_decimal(value) || matches!(value, "NaN" | "nan" | "inf" | "-inf") {
        FLOAT
    } else if is_date(value) {
        DATE
    } else {
        match timestamp_unit(value) {
            Some(TimeUnit::Second) => SECOND,
            Some(TimeUnit::Millisecond) => MILLI,
            Some(TimeUnit::Microsecond) => MICRO,
            Some(TimeUnit::Nanosecond) => NANO,
            None => TEXT,
        }
    }
}

/// The column type for the kinds seen: integers widen to floats, dates and timestamps to
/// the finest timestamp, a column never seen non-empty is text, any other mix is text.
fn data_type(seen: u16) -> DataType {
    let timestamp = |unit| DataType::Timestamp(unit, Some(UTC.into()));
    match seen {
        BOOL => DataType::Boolean,
        INT => DataType::Int64,
        FLOAT | 6 => DataType::Float64,
        DATE => DataType::Date32,
        s if s & !(DATE | SECOND | MILLI | MICRO | NANO) == 0 && s != 0 => {
            if s & NANO != 0 {
                timestamp(TimeUnit::Nanosecond)
            } else if s & MICRO != 0 {
                timestamp(TimeUnit::Microsecond)
            } else if s & MILLI != 0 {
                timestamp(TimeUnit::Millisecond)
            } else {
                timestamp(TimeUnit::Second)
            }
        }
        _ => DataType::Utf8,
    }
}

/// A CSV reader over `file` with a header row and `delimiter`, every row the same length.
pub(crate) fn csv_reader<R: std::io::Read>(file: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).delimiter(delimiter).from_reader(file)
}

/// A CSV syntax or encoding error of `path`.
pub(crate) fn csv_error(path: &Path, err: csv::Error) -> Error {
    Error::Csv { path: path.to_path_buf(), source: ArrowError::CsvError(err.to_string()) }
}

/// Infer the columns of `path` from its header and its first `rows` rows (all if `None`).
pub(crate) fn infer(path: &Path, delimiter: u8, rows: Option<usize>) -> Result<SchemaRef> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv_reader(file, delimiter);
    let names = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let mut seen = vec![0u16; names.len()];
    let mut record = csv::StringRecord::new();
    let mut read = 0;
    while rows.is_none_or(|rows| read < rows)
        && reader.read_record(&mut record).map_err(|e| csv_error(path, e))?
    {
        read += 1;
        for (seen, value) in seen.iter_mut().zip(record.iter()) {
            if !value.is_empty() {
                *seen |= kind(value);
            }
        }
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(seen)
        .map(|(name, seen)| Field::new(name, data_type(seen), true))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_and_labels_timestamps_utc() {
        let path = std::env::temp_dir().join(format!("infer-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "id,name,amount,active,created_at,day,empty,mixed,big,when\n\
             1,a,1.5,true,2024-01-02T03:04:05Z,2024-01-02,,1,99999999999999999999,2024-01-02\n\
             2,,2,,,,,true,,2024-01-02T03:04:05.5Z\n",
        )
        .unwrap();
        let schema = infer(&path, b',', None).unwrap();
        std::fs::remove_file(&path).unwrap();
        let types: Vec<_> = schema.fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(
            types,
            [
                DataType::Int64,
                DataType::Utf8,
                DataType::Float64,
                DataType::Boolean,
                DataType::Timestamp(TimeUnit::Second, Some(UTC.into())),
                DataType::Date32,
                DataType::Utf8,
                DataType::Utf8,
                DataType::Utf8,
                DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
            ]
        );
    }
}

//! The streaming reader: one file open at a time, one batch in memory at a time.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, BooleanArray, RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, DataType, SchemaRef, TimeUnit};

use crate::columns::{Columns, Value, decode, filter_record_batch};
use crate::discover::csv_files;
use crate::error::{Error, Result};
use crate::infer::{csv_error, csv_reader, infer};

/// Only rows whose `column` is greater than `after` (an incremental read).
///
/// `after` is in the column's storage unit: the integer itself, days since
/// 1970-01-01 for dates, and ticks of the column's unit since the epoch (UTC)
/// for timestamps. Rows whose cursor is null are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorFilter {
    pub column: String,
    pub after: i64,
}

/// How to read. `CsvOptions::default()` reads comma-separated files in
/// batches of 65,536 rows, inferring types from the first 10,000 rows.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Most rows in one batch (at least 1).
    pub batch_size: usize,
    /// Field separator.
    pub delimiter: u8,
    /// Rows of the first file used to infer column types; `None` reads it all.
    pub infer_rows: Option<usize>,
    /// Incremental filter, pushed down into the reader.
    pub cursor: Option<CursorFilter>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { batch_size: 65_536, delimiter: b',', infer_rows: Some(10_000), cursor: None }
    }
}

/// Open `path` (a CSV file or a directory of them) and infer its schema.
///
/// Nothing is read beyond the rows used for inference until batches are asked for.
pub fn open(path: &Path, options: &CsvOptions) -> Result<CsvBatchReader> {
    if options.batch_size == 0 {
        return Err(Error::InvalidOption("batch_size must be at least 1".into()));
    }
    if options.infer_rows == Some(0) {
        return Err(Error::InvalidOption("infer_rows must be at least 1".into()));
    }
    let files = csv_files(path)?;
    let schema = infer(&files[0], options.delimiter, options.infer_rows)?;
    let cursor = match &options.cursor {
        Some(filter) => Some((cursor_index(&schema, &filter.column)?, filter.after)),
        None => None,
    };
    Ok(CsvBatchReader {
        files: files.into_iter(),
        current: None,
        types: schema.fields().iter().map(|f| f.data_type().clone()).collect(),
        values: Vec::new(),
        record: csv::StringRecord::new(),
        schema,
        delimiter: options.delimiter,
        batch_size: options.batch_size,
        cursor,
        failed: false,
    })
}

fn cursor_index(schema: &SchemaRef, column: &str) -> Result<usize> {
    let index = schema.index_of(column).map_err(|_| Error::Cursor {
        column: column.into(),
        reason: "no such column in the first file's header".into(),
    })?;
    match schema.field(index).data_type() {
        DataType::Int32 | DataType::Int64 | DataType::Date32 | DataType::Date64 => Ok(index),
        DataType::Timestamp(_, _) => Ok(index),
        other => Err(Error::Cursor {
            column: column.into(),
            reason: format!("type {other} cannot be a cursor (use an integer, date or timestamp)"),
        }),
    }
}

/// Record batches of every file in turn, all with the same schema.
pub struct CsvBatchReader {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<(PathBuf, csv::Reader<File>)>,
    schema: SchemaRef,
    /// The type of each column (the schema's, at hand).
    types: Vec<DataType>,
    /// The decoded fields of the current row (reused).
    values: Vec<Value>,
    /// The current row (reused).
    record: csv::StringRecord,
    delimiter: u8,
    batch_size: usize,
    cursor: Option<(usize, i64)>,
    /// Set by the first error: the reader then ends instead of failing forever.
    failed: bool,
}

impl std::fmt::Debug for CsvBatchReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvBatchReader")
            .field("file", &self.current.as_ref().map(|(path, _)| path))
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl CsvBatchReader {
    /// The schema of every batch this reader returns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The next non-empty batch, or `None` when every file has been read.
    ///
    /// A file is closed as soon as its last batch has been read. After an error the reader
    /// is finished: its files are closed and it returns `None`.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.failed {
            return Ok(None);
        }
        let result = self.advance();
        if result.is_err() {
            self.failed = true;
            self.current = None;
            self.files = Vec::new().into_iter();
        }
        result
    }

    fn advance(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let Some((path, _)) = self.current.as_ref() else {
                match self.files.next() {
                    Some(path) => {
                        let reader = self.open_file(&path)?;
                        self.current = Some((path, reader));
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            let path = path.clone();
            let mut columns = Columns::new(self.schema.clone(), self.batch_size.min(8192));
            let filled = self.fill(&mut columns);
            if filled.map_err(|source| Error::Csv { path: path.clone(), source })? {
                self.current = None;
            }
            if columns.rows() > 0 {
                let batch = columns
                    .finish()
                    .and_then(|batch| only_newer(batch, self.cursor))
                    .map_err(|source| Error::Csv { path, source })?;
                if batch.num_rows() > 0 {
                    return Ok(Some(batch));
                }
            }
        }
    }

    /// Append the current file's next rows to `columns`, up to a batch; true when the file
    /// has no more rows.
    fn fill(&mut self, columns: &mut Columns) -> Result<bool, ArrowError> {
        let Some((_, reader)) = self.current.as_mut() else {
            return Ok(true);
        };
        while columns.rows() < self.batch_size {
            let more = reader
                .read_record(&mut self.record)
                .map_err(|e| ArrowError::CsvError(e.to_string()))?;
            if !more {
                return Ok(true);
            }
            let line = self.record.position().map_or(0, csv::Position::line);
            self.values.clear();
            for (index, (text, data_type)) in self.record.iter().zip(&self.types).enumerate() {
                let value = decode(text, data_type).map_err(|message| {
                    ArrowError::ParseError(format!("{message} for column {index} at line {line}"))
                })?;
                self.values.push(value);
            }
            columns.push(&self.values, self.record.iter());
        }
        Ok(false)
    }

    fn open_file(&self, path: &Path) -> Result<csv::Reader<File>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = csv_reader(file, self.delimiter);
        let header = reader.headers().map_err(|e| csv_error(path, e))?;
        let header_error = |message: String| Error::Csv {
            path: path.to_path_buf(),
            source: ArrowError::CsvError(message),
        };
        if header.is_empty() && !self.schema.fields().is_empty() {
            return Err(header_error("CSV header validation failed: no header row found".into()));
        }
        for (index, field) in self.schema.fields().iter().enumerate() {
            let found = header.get(index).unwrap_or("");
            if found != field.name() {
                return Err(header_error(format!(
                    "CSV header does not match schema at column {index}: expected {:?} but found {found:?}",
                    field.name()
                )));
            }
        }
        if header.len() != self.schema.fields().len() {
            return Err(header_error(format!(
                "CSV header has {} columns, expected {}",
                header.len(),
                self.schema.fields().len()
            )));
        }
        Ok(reader)
    }
}

/// Only the rows whose cursor is greater than `after` (all rows without a cursor).
fn only_newer(batch: RecordBatch, cursor: Option<(usize, i64)>) -> Result<RecordBatch, ArrowError> {
    let Some((index, after)) = cursor else {
        return Ok(batch);
    };
    let column = batch.column(index);
    let mask = match column.data_type() {
        DataType::Int64 => greater::<Int64Type>(column, after),
        DataType::Int32 => greater::<Int32Type>(column, after),
        DataType::Date32 => greater::<Date32Type>(column, after),
        DataType::Date64 => greater::<Date64Type>(column, after),
        DataType::Timestamp(TimeUnit::Second, _) => greater::<TimestampSecondType>(column, after),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            greater::<TimestampMillisecondType>(column, after)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            greater::<TimestampMicrosecondType>(column, after)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            greater::<TimestampNanosecondType>(column, after)
        }
        other => unreachable!("cursor type {other} was refused by open()"),
    };
    if mask.true_count() == batch.num_rows() {
        return Ok(batch);
    }
    filter_record_batch(&batch, &mask)
}

fn greater<T>(column: &dyn Array, after: i64) -> BooleanArray
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    column.as_primitive::<T>().iter().map(|v| Some(v.is_some_and(|v| v.into() > after))).collect()
}

impl Iterator for CsvBatchReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().map_err(|e| ArrowError::ExternalError(Box::new(e))).transpose()
    }
}

impl RecordBatchReader for CsvBatchReader {
    fn schema(&self) -> SchemaRef {
        CsvBatchReader::schema(self)
    }
}

//! Decoding rows of text into Arrow columns, one builder per column.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Float64Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, RecordBatchOptions, StringArray,
};
use arrow_schema::{ArrowError, DataType, SchemaRef, TimeUnit};

use crate::infer::UTC;
use crate::parse::{parse_bool, parse_date32, parse_timestamp};

/// One decoded field of a row: the value, or null for an empty field. Text is not copied
/// here; it is appended straight from the record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text,
}

/// Decode `text` as a value of `data_type` (one of the types inference gives).
pub(crate) fn decode(text: &str, data_type: &DataType) -> Result<Value, String> {
    if text.is_empty() {
        return Ok(Value::Null);
    }
    let value = match data_type {
        DataType::Boolean => parse_bool(text).map(Value::Bool),
        DataType::Int64 => text.parse().ok().map(Value::Int),
        DataType::Float64 => text.parse().ok().map(Value::Float),
        DataType::Date32 => parse_date32(text).map(|d| Value::Int(d.into())),
        DataType::Timestamp(unit, _) => parse_timestamp(text, *unit).map(Value::Int),
        _ => Some(Value::Text),
    };
    value.ok_or_else(|| format!("Error while parsing value '{text}' as type '{data_type}'"))
}

/// A builder for one column.
enum Builder {
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Date(Date32Builder),
    /// Ticks in the column's unit; labelled with the unit and UTC when finished.
    Timestamp(TimeUnit, Int64Builder),
    Text(StringBuilder),
}

/// The columns of the batch being built.
pub(crate) struct Columns {
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl Columns {
    pub(crate) fn new(schema: SchemaRef, capacity: usize) -> Self {
        let builders = schema
            .fields()
            .iter()
            .map(|field| match field.data_type() {
                DataType::Boolean => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
                DataType::Int64 => Builder::Int(Int64Builder::with_capacity(capacity)),
                DataType::Float64 => Builder::Float(Float64Builder::with_capacity(capacity)),
                DataType::Date32 => Builder::Date(Date32Builder::with_capacity(capacity)),
                DataType::Timestamp(unit, _) => {
                    Builder::Timestamp(*unit, Int64Builder::with_capacity(capacity))
                }
                _ => Builder::Text(StringBuilder::with_capacity(capacity, capacity * 8)),
            })
            .collect();
        Columns { schema, builders, rows: 0 }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Append one row: `values` decoded from `texts` by [`decode`].
    pub(crate) fn push<'a>(&mut self, values: &[Value], texts: impl Iterator<Item = &'a str>) {
        for ((builder, value), text) in self.builders.iter_mut().zip(values).zip(texts) {
            match (builder, *value) {
                (Builder::Bool(b), Value::Bool(v)) => b.append_value(v),
                (Builder::Int(b) | Builder::Timestamp(_, b), Value::Int(v)) => b.append_value(v),
                (Builder::Float(b), Value::Float(v)) => b.append_value(v),
                (Builder::Date(b), Value::Int(v)) => b.append_value(v as i32),
                (Builder::Text(b), Value::Text) => b.append_value(text),
                (Builder::Bool(b), _) => b.append_null(),
                (Builder::Int(b) | Builder::Timestamp(_, b), _) => b.append_null(),
                (Builder::Float(b), _) => b.append_null(),
                (Builder::Date(b), _) => b.append_null(),
                (Builder::Text(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
    }

    /// The rows appended so far as a batch; the builders start over empty.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|builder| -> ArrayRef {
                match builder {
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::Int(b) => Arc::new(b.finish()),
                    Builder::Float(b) => Arc::new(b.finish()),
                    Builder::Date(b) => Arc::new(b.finish()),
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Timestamp(unit, b) => {
                        let ticks = b.finish();
                        match unit {
                            TimeUnit::Second => Arc::new(
                                ticks.reinterpret_cast::<TimestampSecondType>().with_timezone(UTC),
                            ),
                            TimeUnit::Millisecond => Arc::new(
                                ticks
                                    .reinterpret_cast::<TimestampMillisecondType>()
                                    .with_timezone(UTC),
                            ),
                            TimeUnit::Microsecond => Arc::new(
                                ticks
                                    .reinterpret_cast::<TimestampMicrosecondType>()
                                    .with_timezone(UTC),
                            ),
                            TimeUnit::Nanosecond => Arc::new(
                                ticks
                                    .reinterpret_cast::<TimestampNanosecondType>()
                                    .with_timezone(UTC),
                            ),
                        }
                    }
                }
            })
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns, &options)
    }
}

/// The rows of `batch` where `keep` is true, for the column types the reader builds
/// (a small stand-in for arrow-select's kernel, which would double the build time).
pub(crate) fn filter_record_batch(
    batch: &RecordBatch,
    keep: &BooleanArray,
) -> Result<RecordBatch, ArrowError> {
    let kept = |row: usize| keep.is_valid(row) && keep.value(row);
    let columns = batch
        .columns()
        .iter()
        .map(|column| -> Result<ArrayRef, ArrowError> {
            Ok(match column.data_type() {
                DataType::Boolean => Arc::new(
                    column
                        .as_boolean()
                        .iter()
                        .enumerate()
                        .filter(|(row, _)| kept(*row))
                        .map(|(_, v)| v)
                        .collect::<BooleanArray>(),
                ),
                DataType::Utf8 => Arc::new(
                    column
                        .as_string::<i32>()
                        .iter()
                        .enumerate()
                        .filter(|(row, _)| kept(*row))
                        .map(|(_, v)| v)
                        .collect::<StringArray>(),
                ),
                DataType::Int64 => picked::<Int64Type>(column, &kept),
                DataType::Float64 => picked::<Float64Type>(column, &kept),
                DataType::Date32 => picked::<Date32Type>(column, &kept),
                DataType::Timestamp(TimeUnit::Second, _) => {
                    picked::<TimestampSecondType>(column, &kept)
                }
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    picked::<TimestampMillisecondType>(column, &kept)
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    picked::<TimestampMicrosecondType>(column, &kept)
                }
                DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                    picked::<TimestampNanosecondType>(column, &kept)
                }
                other => {
                    return Err(ArrowError::NotYetImplemented(format!(
                        "filtering a {other} column"
                    )));
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = (0..batch.num_rows()).filter(|row| kept(*row)).count();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(batch.schema(), columns, &options)
}

fn picked<T: ArrowPrimitiveType>(column: &ArrayRef, kept: &impl Fn(usize) -> bool) -> ArrayRef {
    let array = column.as_primitive::<T>();
    let values: PrimitiveArray<T> =
        array.iter().enumerate().filter(|(row, _)| kept(*row)).map(|(_, v)| v).collect();
    Arc::new(values.with_data_type(array.data_type().clone()))
}

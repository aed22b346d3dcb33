//! Column types: inferred from the first file, then made explicit.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, make_array};
use arrow_csv::reader::Format;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};

/// The time zone every timestamp column is labelled with.
pub(crate) const UTC: &str = "UTC";

/// Two views of the same columns.
///
/// `parse` is what arrow-csv decodes into: timestamps without a time zone,
/// which arrow-csv computes as UTC instants (an offset in the text is
/// honoured, none means UTC). `output` is what callers see: the same values
/// labelled `"UTC"`, so a consumer never mistakes them for local times.
#[derive(Debug, Clone)]
pub(crate) struct Schemas {
    pub parse: SchemaRef,
    pub output: SchemaRef,
}

/// Infer the columns of `path` from its header and its first `rows` rows (all if `None`).
pub(crate) fn infer(path: &Path, format: &Format, rows: Option<usize>) -> Result<Schemas> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let (inferred, _) = format
        .infer_schema(BufReader::new(file), rows)
        .map_err(|source| Error::Csv { path: path.to_path_buf(), source })?;
    let parse: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            // No value seen: read the column as text rather than as Arrow's Null type.
            DataType::Null => f.as_ref().clone().with_data_type(DataType::Utf8),
            _ => f.as_ref().clone(),
        })
        .collect();
    let output: Vec<Field> = parse
        .iter()
        .map(|f| match f.data_type() {
            DataType::Timestamp(unit, None) => {
                f.clone().with_data_type(DataType::Timestamp(*unit, Some(UTC.into())))
            }
            _ => f.clone(),
        })
        .collect();
    Ok(Schemas { parse: Arc::new(Schema::new(parse)), output: Arc::new(Schema::new(output)) })
}

/// Relabel a decoded batch with the output schema (no data is copied).
pub(crate) fn relabel(batch: RecordBatch, output: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(output.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                let data = column.to_data().into_builder().data_type(field.data_type().clone());
                Ok(make_array(data.build()?))
            }
        })
        .collect::<Result<_, ArrowError>>()?;
    RecordBatch::try_new(Arc::clone(output), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::TimeUnit;

    #[test]
    fn infers_types_and_labels_timestamps_utc() {
        let path = std::env::temp_dir().join(format!("infer-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "id,name,amount,active,created_at,day,empty\n\
             1,a,1.5,true,2024-01-02T03:04:05Z,2024-01-02,\n\
             2,,,,,,\n",
        )
        .unwrap();
        let schemas = infer(&path, &Format::default().with_header(true), None).unwrap();
        std::fs::remove_file(&path).unwrap();
        let types: Vec<_> = schemas.output.fields().iter().map(|f| f.data_type().clone()).collect();
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
            ]
        );
        assert_eq!(
            schemas.parse.field(4).data_type(),
            &DataType::Timestamp(TimeUnit::Second, None)
        );
    }
}

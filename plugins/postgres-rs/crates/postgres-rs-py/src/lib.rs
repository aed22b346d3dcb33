//! The Python face of the postgres_rs reader: `open_postgres(...)` returns a
//! `PgStream` speaking the Arrow PyCapsule interface. All the work is in the
//! `postgres-rs-core` crate; this crate only moves values across the boundary
//! and releases the GIL around everything that blocks.

mod errors;
mod stream;

use postgres_rs_core::{DebugPanic, PgReader, ReadOptions, Source};
use pyo3::prelude::*;

use crate::errors::{
    ConfigError, DataError, ReaderError, SourceUnreachable, to_py_err, usage_error,
};
use crate::stream::{BatchExport, PgStream};

/// Connect, start the snapshot and describe the source; no rows are read yet.
///
/// Give `table` (with `schema`, or None for the search path) or `query`.
/// `after_sql` is a SQL literal the caller built (psycopg's `sql.Literal`); rows
/// with `cursor_field > after_sql` are read, ordered by `cursor_field`.
/// `debug_panic` ("worker" or "next") is a test hook that panics on purpose.
#[pyfunction]
#[pyo3(signature = (
    url, *, schema = None, table = None, query = None, columns = None, batch_rows = 50_000,
    partitions = 1, partition_column = None, cursor_field = None, after_sql = None,
    debug_panic = None
))]
#[allow(clippy::too_many_arguments)]
fn open_postgres(
    py: Python<'_>,
    url: String,
    schema: Option<String>,
    table: Option<String>,
    query: Option<String>,
    columns: Option<Vec<String>>,
    batch_rows: usize,
    partitions: usize,
    partition_column: Option<String>,
    cursor_field: Option<String>,
    after_sql: Option<String>,
    debug_panic: Option<String>,
) -> PyResult<PgStream> {
    let source = match (table, query) {
        (Some(name), None) => Source::Table { schema, name },
        (None, Some(query)) => Source::Query(query),
        _ => {
            return Err(ConfigError::new_err((
                "give exactly one of table and query".to_string(),
                "set table or query".to_string(),
            )));
        }
    };
    let debug_panic = match debug_panic.as_deref() {
        None => None,
        Some("worker") => Some(DebugPanic::Worker),
        Some("next") => Some(DebugPanic::Next),
        Some(_) => return Err(usage_error("debug_panic must be 'worker' or 'next'", "")),
    };
    let options = ReadOptions {
        url,
        source,
        columns,
        batch_rows,
        partitions,
        partition_column,
        cursor_field,
        after_sql,
        debug_panic,
    };
    let reader = py.detach(move || PgReader::open(options)).map_err(to_py_err)?;
    Ok(PgStream::new(reader))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open_postgres, m)?)?;
    m.add_class::<PgStream>()?;
    m.add_class::<BatchExport>()?;
    m.add("ReaderError", m.py().get_type::<ReaderError>())?;
    m.add("SourceUnreachable", m.py().get_type::<SourceUnreachable>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("DataError", m.py().get_type::<DataError>())?;
    Ok(())
}

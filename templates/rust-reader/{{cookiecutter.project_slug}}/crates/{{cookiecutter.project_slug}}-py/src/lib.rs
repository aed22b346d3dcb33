//! The Python face of the reader: one object speaking the Arrow PyCapsule interface.
//!
//! `open_csv(...)` returns a `CsvStream`. Its `__arrow_c_stream__` hands the
//! batches to any Arrow consumer (pyarrow, polars, the dativo runtime) as an
//! Arrow C stream, without copying; `schema()` / `__arrow_c_schema__` give the
//! schema as an Arrow C schema capsule. All the work is in the `reader_core`
//! crate; this crate only moves values across the boundary.

mod errors;
mod stream;

use std::path::PathBuf;

use pyo3::prelude::*;
use reader_core::{CsvOptions, CursorFilter};

use crate::errors::{ReaderError, SourceUnreachable, to_py_err};
use crate::stream::CsvStream;

/// Open a CSV file or a directory of `*.csv` files and infer its schema.
///
/// Raises `SourceUnreachable` when the path cannot be reached (missing, not permitted,
/// no CSV file), `ReaderError` for any other problem. `after` is the cursor's raw value
/// (the integer, days since the epoch for dates, ticks of the column's unit for timestamps).
#[pyfunction]
#[pyo3(signature = (path, *, batch_size = 65_536, delimiter = ",", infer_rows = Some(10_000), cursor_field = None, after = None))]
fn open_csv(
    py: Python<'_>,
    path: PathBuf,
    batch_size: usize,
    delimiter: &str,
    infer_rows: Option<usize>,
    cursor_field: Option<String>,
    after: Option<i64>,
) -> PyResult<CsvStream> {
    let [delimiter] = delimiter.as_bytes() else {
        return Err(ReaderError::new_err("delimiter must be a single ASCII character"));
    };
    let cursor = match (cursor_field, after) {
        (Some(column), Some(after)) => Some(CursorFilter { column, after }),
        _ => None,
    };
    let options = CsvOptions { batch_size, delimiter: *delimiter, infer_rows, cursor };
    // Inference reads the first file: let other Python threads run meanwhile.
    let reader = py.detach(|| reader_core::open(&path, &options)).map_err(to_py_err)?;
    Ok(CsvStream::new(reader))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open_csv, m)?)?;
    m.add_class::<CsvStream>()?;
    m.add("ReaderError", m.py().get_type::<ReaderError>())?;
    m.add("SourceUnreachable", m.py().get_type::<SourceUnreachable>())?;
    Ok(())
}

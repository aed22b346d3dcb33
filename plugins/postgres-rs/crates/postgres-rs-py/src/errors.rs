//! The one place where Rust errors become Python exceptions.
//!
//! Each exception carries two arguments, `(message, hint)`; the package's
//! `reader.py` turns them into dativo errors in one context manager.

use postgres_rs_core::Error;
use pyo3::PyErr;
use pyo3::exceptions::PyException;

pyo3::create_exception!(
    dativo_postgres_rs._native,
    ReaderError,
    PyException,
    "The native PostgreSQL reader failed (an internal error, or the stream is closed)."
);
pyo3::create_exception!(
    dativo_postgres_rs._native,
    SourceUnreachable,
    ReaderError,
    "PostgreSQL cannot be reached, refused the login, or broke the connection."
);
pyo3::create_exception!(
    dativo_postgres_rs._native,
    ConfigError,
    ReaderError,
    "The table, a column, the query or an option is wrong."
);
pyo3::create_exception!(
    dativo_postgres_rs._native,
    DataError,
    ReaderError,
    "A value has no Arrow representation."
);

/// Map a core error to the Python exception `reader.py` translates.
pub(crate) fn to_py_err(err: Error) -> PyErr {
    let hint = err.hint().unwrap_or_default().to_string();
    let args = (err.to_string(), hint);
    match err {
        Error::Unreachable { .. } => SourceUnreachable::new_err(args),
        Error::Config { .. } => ConfigError::new_err(args),
        Error::Data { .. } => DataError::new_err(args),
        Error::Internal { .. } | Error::Closed => ReaderError::new_err(args),
    }
}

/// An error of the Python-facing layer itself (wrong use of a stream).
pub(crate) fn usage_error(message: &str, hint: &str) -> PyErr {
    ReaderError::new_err((message.to_string(), hint.to_string()))
}

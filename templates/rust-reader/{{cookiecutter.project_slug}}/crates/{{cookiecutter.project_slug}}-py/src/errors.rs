//! The one place where Rust errors become Python exceptions.

use pyo3::PyErr;
use pyo3::exceptions::PyException;

pyo3::create_exception!(
    {{cookiecutter.package_name}}._native,
    ReaderError,
    PyException,
    "The native reader failed: bad CSV, unreadable file, bad cursor or option."
);
pyo3::create_exception!(
    {{cookiecutter.package_name}}._native,
    SourceUnreachable,
    ReaderError,
    "The path to read cannot be reached: missing, not permitted, or without CSV files."
);

/// Map a core error to the Python exception the package's `Reader` translates.
pub(crate) fn to_py_err(err: reader_core::Error) -> PyErr {
    if err.is_unreachable() {
        SourceUnreachable::new_err(err.to_string())
    } else {
        ReaderError::new_err(err.to_string())
    }
}

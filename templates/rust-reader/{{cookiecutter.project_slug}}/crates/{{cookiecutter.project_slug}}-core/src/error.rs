//! The one error type of the crate: every failure names the file it concerns.

use std::path::PathBuf;

use arrow_schema::ArrowError;

/// Everything that can go wrong opening or reading CSV files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path does not exist (the source is unreachable).
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },

    /// A directory that holds no `*.csv` file.
    #[error("{path}: the directory holds no *.csv file")]
    NoCsvFiles { path: PathBuf },

    /// The file exists but cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CSV does not parse, or a value does not convert to its column type.
    #[error("{path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: ArrowError,
    },

    /// The incremental cursor column is missing or of a type that cannot be compared.
    #[error("cursor column {column:?}: {reason}")]
    Cursor { column: String, reason: String },

    /// An option out of range (e.g. a zero batch size).
    #[error("invalid option: {0}")]
    InvalidOption(String),

    /// The reader was closed while a consumer was still reading from it.
    #[error("the reader was closed while it was being read")]
    Closed,
}

impl Error {
    /// True when the source cannot be reached at all: missing, not a directory where one is
    /// needed, not permitted, or a directory without CSV files. Callers report it as
    /// "unreachable" rather than as a failure of the reader.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Error::NotFound { .. } | Error::NoCsvFiles { .. } => true,
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::NotADirectory | std::io::ErrorKind::PermissionDenied
            ),
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound { path: path.into() }
        } else {
            Error::Io { path: path.into(), source }
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

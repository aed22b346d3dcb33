//! The reader's errors, and how PostgreSQL errors map onto them.
//!
//! Four kinds, one per way a user fixes the problem: `Unreachable` (the server
//! cannot be reached or refused us: fix the URL, the network or the grants),
//! `Config` (the table, a column, the query or an option is wrong), `Data` (a
//! value has no Arrow representation: filter or cast it in a query) and
//! `Internal` (a bug, including a caught panic). `Closed` is what a stream
//! answers after `close()`.
//!
//! No message ever contains the connection URL or anything from it (host,
//! user, password, database name): connection failures are described with
//! fixed phrases, never with the driver's or the server's text.

use std::io;

/// What can go wrong while opening or reading a PostgreSQL source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server cannot be reached, refused the login, or broke the connection.
    #[error("{message}")]
    Unreachable { message: String, hint: String },
    /// The source, a column, the query or an option is wrong.
    #[error("{message}")]
    Config { message: String, hint: String },
    /// A value cannot be represented in its Arrow type.
    #[error("{message}")]
    Data { message: String, hint: String },
    /// A bug in the reader (a caught panic, a protocol surprise).
    #[error("internal error in the PostgreSQL reader: {message}")]
    Internal { message: String },
    /// The stream was closed; nothing more can be read from it.
    #[error("the stream is closed")]
    Closed,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn unreachable(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Unreachable { message: message.into(), hint: hint.into() }
    }

    pub fn config(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Config { message: message.into(), hint: hint.into() }
    }

    pub fn data(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Data { message: message.into(), hint: hint.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal { message: message.into() }
    }

    /// The next step for the user, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Unreachable { hint, .. }
            | Error::Config { hint, .. }
            | Error::Data { hint, .. } => Some(hint),
            Error::Internal { .. } => Some("please report this bug with the table's column types"),
            Error::Closed => Some("open the source again to read it"),
        }
    }

    /// The error for a caught panic's payload.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic without a message".to_string()
        };
        Error::internal(text)
    }

    /// The error for a failed statement, by SQLSTATE. `subject` names the source
    /// ("table public.orders", "the query"): the server's primary message names
    /// SQL objects and values, never the URL.
    pub fn from_pg(err: &postgres::Error, subject: &str) -> Self {
        match err.as_db_error() {
            Some(db) => Error::from_sqlstate(db.code().code(), db.message(), subject),
            None => lost_connection(err, subject),
        }
    }

    /// The error for a server error with this SQLSTATE and primary message.
    pub fn from_sqlstate(code: &str, detail: &str, subject: &str) -> Self {
        let class = &code[..2.min(code.len())];
        match (code, class) {
            ("42P01" | "3F000", _) => Error::config(
                format!("{subject}: {detail}"),
                "check the table name: 'schema.table', case-sensitive as stored",
            ),
            ("42703", _) => Error::config(format!("{subject}: {detail}"), "check the column names"),
            ("42501", _) => Error::unreachable(
                format!("{subject}: {detail}"),
                "grant the connecting user the privileges it needs",
            ),
            ("25006", _) => Error::config(
                format!("{subject} tries to write, but the reader runs read-only: {detail}"),
                "read with a SELECT",
            ),
            (_, "0A") => Error::config(
                format!("{subject} uses what PostgreSQL does not support here: {detail}"),
                "rewrite the SQL",
            ),
            (_, "42") => {
                Error::config(format!("{subject} is not valid SQL here: {detail}"), "fix the SQL")
            }
            (_, "22") => Error::data(
                format!("{subject}: a value failed: {detail}"),
                "fix or filter the value",
            ),
            (_, "23") => Error::data(
                format!("{subject}: a row breaks a constraint: {detail}"),
                "fix or filter the row",
            ),
            (_, "08") => Error::unreachable(
                format!("{subject}: the connection to PostgreSQL broke: {detail}"),
                "check the server and the network, then run again",
            ),
            (_, "28") => Error::unreachable(
                format!("{subject}: PostgreSQL refused the session: authentication failed"),
                "check the user and password in `url` and the server's pg_hba.conf",
            ),
            (_, "57") => Error::unreachable(
                format!("{subject}: the server stopped the statement: {detail}"),
                "check the server (shutdown, statement_timeout), then run again",
            ),
            (_, "53") => Error::unreachable(
                format!("{subject}: the server ran out of resources: {detail}"),
                "check disk space, memory and max_connections on the server",
            ),
            _ => Error::internal(format!("{subject}: PostgreSQL error {code}: {detail}")),
        }
    }

    /// The error for a failed connection attempt. Never uses the driver's or the
    /// server's text: they name the host, the user or the database.
    pub fn from_connect(err: &postgres::Error) -> Self {
        let (what, hint) = describe_connect_failure(err);
        Error::unreachable(format!("cannot connect to PostgreSQL: {what}"), hint)
    }

    /// The error for a failed read of the COPY stream (it may carry one of ours).
    pub fn from_io(err: io::Error, subject: &str) -> Self {
        let kind = err.kind();
        if let Some(pg) = err.get_ref().and_then(|e| e.downcast_ref::<postgres::Error>()) {
            return Error::from_pg(pg, subject);
        }
        match err.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => *ours,
            _ => Error::unreachable(
                format!("{subject}: reading from PostgreSQL failed ({kind})"),
                "check the server and the network, then run again",
            ),
        }
    }
}

fn lost_connection(err: &postgres::Error, subject: &str) -> Error {
    let _ = err; // its text may name the peer: not shown
    Error::unreachable(
        format!("{subject}: the connection to PostgreSQL failed"),
        "check the server and the network, then run again",
    )
}

/// (what went wrong, next step) for a connection failure, from the error's kind only.
fn describe_connect_failure(err: &postgres::Error) -> (&'static str, &'static str) {
    if let Some(db) = err.as_db_error() {
        return connect_failure_for_sqlstate(db.code().code());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io_err) = cause.downcast_ref::<io::Error>() {
            return describe_io(io_err);
        }
        source = cause.source();
    }
    let text = err.to_string();
    if text.contains("authentication") {
        return (
            "authentication failed",
            "check the user and password in `url` and the server's pg_hba.conf",
        );
    }
    if text.contains("timeout") {
        return (
            "the connection timed out",
            "check host, port and firewalls; set connect_timeout in `url` to wait longer",
        );
    }
    ("the connection failed", "check host, port, user, password and database in `url`")
}

/// (what went wrong, next step) for a server error answering a connection attempt.
pub fn connect_failure_for_sqlstate(code: &str) -> (&'static str, &'static str) {
    match &code[..2.min(code.len())] {
        "28" => (
            "authentication failed",
            "check the user and password in `url` and the server's pg_hba.conf",
        ),
        "3D" => ("the database does not exist", "check the database name in `url`"),
        "53" => (
            "the server has no room for another connection",
            "raise max_connections on the server or lower `partitions`",
        ),
        "57" => {
            ("the server is starting up or shutting down", "wait for the server, then run again")
        }
        _ => {
            ("the server refused the session", "check the user, the database and the server's logs")
        }
    }
}

fn describe_io(err: &io::Error) -> (&'static str, &'static str) {
    let text = err.to_string().to_lowercase();
    match err.kind() {
        io::ErrorKind::ConnectionRefused => (
            "the server refused the connection",
            "check that PostgreSQL runs and that host and port in `url` are right",
        ),
        io::ErrorKind::TimedOut => (
            "the connection timed out",
            "check host, port and firewalls; set connect_timeout in `url` to wait longer",
        ),
        io::ErrorKind::NotFound => (
            "the server's socket does not exist",
            "check that PostgreSQL runs and that host and port in `url` are right",
        ),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ("there is no network route to the server", "check the host in `url` and the network")
        }
        _ if text.contains("lookup")
            || text.contains("resolve")
            || text.contains("name or service") =>
        {
            ("the host name does not resolve", "check the host in `url`")
        }
        _ => ("the connection failed", "check host, port and the network"),
    }
}

//! Connections: the URL, the refusal of TLS modes, session settings, snapshots.
//!
//! The driver is the synchronous rust-postgres client without TLS. A URL that
//! asks for TLS (`sslmode=require`, `verify-ca`, `verify-full`) is refused
//! with a clear error rather than silently connecting in clear text;
//! `prefer` (libpq's default) connects without TLS.

use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::error::{Error, Result};

/// libpq's connect_timeout default for the plugins, unless the URL sets one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const APPLICATION_NAME: &str = "dativo";

/// Session settings the text forms of `::text` columns depend on.
const SESSION_SETTINGS: &str = "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; \
     SET IntervalStyle TO 'postgres'; SET extra_float_digits TO 3";

/// One snapshot for every read: repeatable read, read-only.
const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Parse a libpq URL or key=value string; never echoes its values in errors.
pub fn parse_url(url: &str) -> Result<Config> {
    if let Some(mode) = requested_sslmode(url)
        && matches!(mode.as_str(), "require" | "verify-ca" | "verify-full")
    {
        return Err(Error::config(
            format!(
                "url asks for sslmode={mode}, but the postgres_rs reader does not support \
                     TLS yet"
            ),
            "use sslmode=disable or prefer on a trusted network, or the `postgres` reader \
                 (psycopg, with TLS)",
        ));
    }
    let mut config: Config = url.parse().map_err(|e: postgres::Error| {
        let cause = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
        // Only these causes are safe to show: they name an option, never a value.
        let what = if cause.starts_with("unknown option") || cause.starts_with("invalid value") {
            format!(": {cause}")
        } else {
            String::new()
        };
        Error::config(
            format!("url cannot be parsed as a PostgreSQL connection URL{what}"),
            "write it as postgresql://user:password@host:port/database (libpq options that \
             the Rust driver does not know are refused)",
        )
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name(APPLICATION_NAME);
    }
    Ok(config)
}

/// The sslmode the URL asks for, if any (URL query or key=value form).
fn requested_sslmode(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let start = lower.find("sslmode")? + "sslmode".len();
    let rest = lower[start..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('\'').unwrap_or(rest);
    let mode: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    (!mode.is_empty()).then_some(mode)
}

/// Connect and start the read-only, repeatable-read transaction.
pub fn connect(config: &Config) -> Result<Client> {
    let mut client = config.connect(NoTls).map_err(|e| Error::from_connect(&e))?;
    client
        .batch_execute(&format!("{SESSION_SETTINGS}; {BEGIN}"))
        .map_err(|e| Error::from_pg(&e, "session setup"))?;
    Ok(client)
}

/// What a data connection runs first: the session settings, the transaction, and
/// the snapshot exported by the first connection.
pub fn adopt_snapshot_sql(snapshot: &str) -> String {
    let snapshot = crate::sql::quote_literal(snapshot);
    format!("{SESSION_SETTINGS}; {BEGIN}; SET TRANSACTION SNAPSHOT {snapshot}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_modes_are_refused_without_echoing_the_url() {
        for url in [
            "postgresql://u:secret@h/db?sslmode=require",
            "host=h password=secret sslmode = verify-full",
            "postgresql://u@h/db?application_name=x&sslmode=verify-ca",
        ] {
            let err = parse_url(url).unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            assert!(!err.to_string().contains("secret"));
        }
        assert!(parse_url("postgresql://u@h/db?sslmode=prefer").is_ok());
        assert!(parse_url("postgresql://u@h/db?sslmode=disable").is_ok());
    }

    #[test]
    fn defaults_and_parse_errors() {
        let config = parse_url("postgresql://u:pw@localhost:5/db").unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(config.get_application_name(), Some(APPLICATION_NAME));
        let err = parse_url("postgresql://u:topsecret@h/db?bogus_option=topsecret").unwrap_err();
        assert!(err.to_string().contains("bogus_option"), "{err}");
        assert!(!err.to_string().contains("topsecret"));
    }
}

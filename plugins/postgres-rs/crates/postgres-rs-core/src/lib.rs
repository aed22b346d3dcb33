//! A PostgreSQL reader producing Arrow record batches: binary `COPY ... TO STDOUT`
//! decoded straight into arrow-rs buffers, optionally over several connections
//! sharing one snapshot.
//!
//! ```no_run
//! use postgres_rs_core::{PgReader, ReadOptions, Source};
//!
//! let source = Source::Table { schema: None, name: "orders".into() };
//! let mut reader = PgReader::open(ReadOptions::new("postgresql://localhost/db", source))?;
//! while let Some(batch) = reader.next_batch()? {
//!     println!("{} rows", batch.num_rows());
//! }
//! # Ok::<(), postgres_rs_core::Error>(())
//! ```
//!
//! Modules: `connect` (URL, session, snapshot), `describe` (the source's
//! columns), `types` (the type map), `decode` (binary values into Arrow),
//! `copy` (the COPY stream into batches), `partition` (parallel reads),
//! `wire` (the data connections' protocol client), `worker` (a partition's
//! thread), `reader` (the consumer side), `error`.

pub mod connect;
pub mod copy;
pub mod decode;
pub mod describe;
pub mod error;
pub mod partition;
pub mod reader;
pub mod sql;
pub mod types;
pub mod wire;
mod worker;

pub use error::{Error, Result};
pub use reader::{Control, DebugPanic, MAX_PARTITIONS, PgReader, ReadOptions};
pub use sql::Source;

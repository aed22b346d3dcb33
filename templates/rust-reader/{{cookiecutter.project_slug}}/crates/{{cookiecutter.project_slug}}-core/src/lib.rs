//! Read CSV files as a stream of Arrow record batches.
//!
//! This crate is the plugin's engine and knows nothing about Python: the
//! `-py` crate next to it is a thin PyO3 layer over [`open`]. Test it with
//! `cargo test`.
//!
//! What it reads: one CSV file, or a directory whose `*.csv` files are read
//! in name order. Every file has a header row; fields are comma separated
//! (see [`CsvOptions::delimiter`]); an empty field is null. Column types are
//! inferred from the first file (the first [`CsvOptions::infer_rows`] rows):
//! booleans, 64-bit integers, floats, ISO-8601 dates (`2024-01-02`) and
//! timestamps (`2024-01-02T03:04:05Z`), else strings. Timestamps are UTC
//! instants: the column type is `Timestamp(unit, "UTC")` and a timestamp
//! written without an offset is taken as UTC. A column empty in every
//! inferred row is read as strings.
//!
//! Incremental reads push the filter down: with a [`CursorFilter`] only rows
//! whose cursor column is greater than `after` are returned.

mod columns;
mod discover;
mod error;
mod infer;
mod parse;
mod reader;

pub use error::{Error, Result};
pub use reader::{CsvBatchReader, CsvOptions, CursorFilter, open};

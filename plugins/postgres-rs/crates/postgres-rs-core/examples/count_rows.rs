//! Read a table and count its rows: for profiling the reader without Python.
//!
//! `cargo run --release --example count_rows -- URL SCHEMA.TABLE [PARTITIONS]`

use std::time::Instant;

use postgres_rs_core::{PgReader, ReadOptions, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: count_rows URL [SCHEMA.]TABLE [PARTITIONS]")?;
    let table = args.next().ok_or("usage: count_rows URL [SCHEMA.]TABLE [PARTITIONS]")?;
    let partitions: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(1);
    let source = match table.split_once('.') {
        Some((schema, name)) => Source::Table { schema: Some(schema.into()), name: name.into() },
        None => Source::Table { schema: None, name: table },
    };
    let mut options = ReadOptions::new(url, source);
    options.partitions = partitions;
    let started = Instant::now();
    let mut reader = PgReader::open(options)?;
    let (mut rows, mut bytes) = (0usize, 0usize);
    while let Some(batch) = reader.next_batch()? {
        rows += batch.num_rows();
        bytes += batch.get_array_memory_size();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{rows} rows, {} MB of Arrow memory, {seconds:.2} s", bytes >> 20);
    Ok(())
}

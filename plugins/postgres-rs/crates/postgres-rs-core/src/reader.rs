//! `PgReader`: the consumer side of a read; connections, COPY and decoding run on threads.
//!
//! `PgReader::open` connects, starts the snapshot (repeatable read, read only)
//! and describes the source, so the schema is known without reading a row.
//! The first `next_batch` starts the read: on that first (control)
//! connection it splits the source into partitions (see `partition`) and
//! exports the snapshot; then it starts one thread per partition. Each thread
//! opens a data connection (`wire`), adopts the exported snapshot and says so;
//! the control connection is closed once every partition has adopted it (the
//! exporting transaction must outlive every import). Each thread runs its
//! COPY, decodes it into batches and sends them into one bounded channel (2
//! batches per partition), so decoding overlaps the server's encoding and the
//! consumer's writing.
//!
//! Stopping: `close()` (or dropping the reader, or an error) sets the stop
//! flag, asks the server to cancel every running COPY, drops the channel's
//! receiver (a thread blocked on a full channel wakes with an error) and joins
//! the threads, so no connection is left open when it returns. Every thread
//! body and every `next_batch` runs under `catch_unwind`: a panic becomes
//! `Error::Internal`, never an unwinding across the FFI boundary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use postgres::{Client, Config};

use crate::connect::{connect, parse_url};
use crate::describe::describe;
use crate::error::{Error, Result};
use crate::partition::{self, Partitioning};
use crate::sql::Source;
use crate::types::ColumnPlan;
use crate::wire::CancelKey;
use crate::worker::Partition;

/// The most connections one read may use.
pub const MAX_PARTITIONS: usize = 64;

/// Test hooks that panic on purpose, to prove a panic cannot crash the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugPanic {
    /// Panic in a reader thread, before its COPY.
    Worker,
    /// Panic in the consumer's `next_batch`.
    Next,
}

/// What to read and how.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// libpq URL or key=value string (never shown in messages).
    pub url: String,
    pub source: Source,
    /// Columns to read, in this order (table sources); None: all.
    pub columns: Option<Vec<String>>,
    pub batch_rows: usize,
    /// Connections reading in parallel (1..=64).
    pub partitions: usize,
    /// The integer column to split by; None splits a table by ctid.
    pub partition_column: Option<String>,
    /// Incremental reads: rows ordered by this column ...
    pub cursor_field: Option<String>,
    /// ... and only those greater than this SQL literal (built by the caller).
    pub after_sql: Option<String>,
    pub debug_panic: Option<DebugPanic>,
}

impl ReadOptions {
    /// Options for reading a whole table or query with defaults.
    pub fn new(url: impl Into<String>, source: Source) -> Self {
        ReadOptions {
            url: url.into(),
            source,
            columns: None,
            batch_rows: 50_000,
            partitions: 1,
            partition_column: None,
            cursor_field: None,
            after_sql: None,
            debug_panic: None,
        }
    }
}

/// Shared by the consumer and the threads: the stop flag and the running COPYs.
#[derive(Default)]
pub struct Control {
    stop: AtomicBool,
    closed: AtomicBool,
    running: Mutex<Vec<(usize, CancelKey)>>,
}

impl Control {
    /// Stop every thread: no more batches are sent, running COPYs are cancelled.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let running =
            std::mem::take(&mut *self.running.lock().unwrap_or_else(PoisonError::into_inner));
        for (_, key) in running {
            key.cancel();
        }
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Close the read for good: stop, and every later `next_batch` answers `Error::Closed`.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.stop();
    }

    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Record a running COPY; false when the read is already stopping.
    pub(crate) fn register(&self, partition: usize, key: CancelKey) -> bool {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stopped() {
            return false;
        }
        running.push((partition, key));
        true
    }

    pub(crate) fn deregister(&self, partition: usize) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.retain(|(p, _)| *p != partition);
    }
}

/// Everything a partition thread needs to know about the read.
pub(crate) struct ReadPlan {
    pub(crate) source: Source,
    pub(crate) columns: Arc<Vec<ColumnPlan>>,
    pub(crate) schema: SchemaRef,
    pub(crate) batch_rows: usize,
    pub(crate) select_list: String,
    pub(crate) cursor_field: Option<String>,
    pub(crate) cursor_predicate: Option<String>,
    pub(crate) subject: String,
    pub(crate) debug_panic: Option<DebugPanic>,
}

struct Pending {
    /// The control connection: describe, planning, the exported snapshot.
    client: Client,
    config: Config,
    partitioning: Partitioning,
    partitions: usize,
}

struct Running {
    receiver: Receiver<Result<RecordBatch>>,
    threads: Vec<JoinHandle<()>>,
}

enum State {
    /// Described; the read has not started.
    Pending(Box<Pending>),
    Running(Running),
    /// Exhausted, failed or closed.
    Done,
}

/// An open PostgreSQL source: its schema now, its batches from `next_batch`.
pub struct PgReader {
    plan: Arc<ReadPlan>,
    control: Arc<Control>,
    state: State,
}

impl PgReader {
    /// Connect, start the snapshot and describe the source (no rows are read).
    pub fn open(options: ReadOptions) -> Result<PgReader> {
        validate(&options)?;
        let config = parse_url(&options.url)?;
        let mut client = connect(&config)?;
        let subject = options.source.subject();
        let columns = describe(&mut client, &options.source, options.columns.as_deref())?;
        if let Some(cursor) = &options.cursor_field
            && !columns.iter().any(|c| &c.name == cursor)
        {
            return Err(Error::config(
                format!("cursor field '{cursor}' is not a column read from {subject}"),
                "name one of the columns the table or query returns",
            ));
        }
        let partitioning = partition::choose(
            &mut client,
            &options.source,
            options.partitions,
            options.partition_column.as_deref(),
        )?;
        let schema =
            Arc::new(Schema::new(columns.iter().map(ColumnPlan::field).collect::<Vec<_>>()));
        let select_list =
            columns.iter().map(ColumnPlan::select_expression).collect::<Vec<_>>().join(", ");
        let cursor_predicate = match (&options.cursor_field, &options.after_sql) {
            (Some(cursor), Some(after)) => Some(partition::cursor_predicate(cursor, after)),
            _ => None,
        };
        let plan = ReadPlan {
            source: options.source,
            columns: Arc::new(columns),
            schema,
            batch_rows: options.batch_rows,
            select_list,
            cursor_field: options.cursor_field,
            cursor_predicate,
            subject,
            debug_panic: options.debug_panic,
        };
        let pending = Pending { client, config, partitioning, partitions: options.partitions };
        Ok(PgReader {
            plan: Arc::new(plan),
            control: Arc::new(Control::default()),
            state: State::Pending(Box::new(pending)),
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.plan.schema.clone()
    }

    /// The stop switch, usable while another thread is blocked in `next_batch`.
    pub fn control(&self) -> Arc<Control> {
        self.control.clone()
    }

    /// The next batch; None at the end. Never panics: a panic becomes `Error::Internal`.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        match catch_unwind(AssertUnwindSafe(|| self.next_batch_inner())) {
            Ok(result) => result,
            Err(panic) => {
                self.shutdown();
                Err(Error::from_panic(&*panic))
            }
        }
    }

    fn next_batch_inner(&mut self) -> Result<Option<RecordBatch>> {
        if self.control.closed() {
            self.shutdown();
            return Err(Error::Closed);
        }
        if self.plan.debug_panic == Some(DebugPanic::Next) {
            panic!("debug panic in next_batch (test hook)");
        }
        if matches!(self.state, State::Pending(_)) {
            let State::Pending(pending) = std::mem::replace(&mut self.state, State::Done) else {
                unreachable!("checked just above");
            };
            self.state = State::Running(self.start(*pending)?);
        }
        let State::Running(running) = &self.state else {
            return Ok(None);
        };
        match running.receiver.recv() {
            Ok(Ok(batch)) => Ok(Some(batch)),
            Ok(Err(err)) => {
                self.shutdown();
                Err(if self.control.closed() && !is_own_error(&err) { Error::Closed } else { err })
            }
            Err(_) => {
                // Every thread has finished and dropped its sender.
                let closed = self.control.closed();
                self.shutdown();
                if closed { Err(Error::Closed) } else { Ok(None) }
            }
        }
    }

    /// Split into partitions, export the snapshot and start one thread per partition.
    fn start(&mut self, pending: Pending) -> Result<Running> {
        let Pending { mut client, config, partitioning, partitions } = pending;
        let plan = &self.plan;
        let predicates = partition::predicates(
            &mut client,
            &partitioning,
            partitions,
            &plan.source,
            plan.cursor_predicate.as_deref(),
        )?;
        let count = predicates.len();
        let row = client
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .map_err(|e| Error::from_pg(&e, &plan.subject))?;
        let snapshot: String = row.try_get(0).map_err(|e| Error::internal(e.to_string()))?;
        let (sender, receiver) = sync_channel::<Result<RecordBatch>>(2 * count);
        let (ready_sender, ready_receiver) = channel::<()>();
        let mut threads = Vec::with_capacity(count);
        for (index, predicate) in predicates.into_iter().enumerate() {
            let work = Partition {
                index,
                count,
                predicate,
                plan: plan.clone(),
                control: self.control.clone(),
                sender: sender.clone(),
                config: config.clone(),
                snapshot: snapshot.clone(),
            };
            let ready = ready_sender.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("dativo-pg-{index}"))
                .spawn(move || work.run(ready));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(err) => {
                    self.control.stop();
                    drop(receiver);
                    join_all(threads);
                    return Err(Error::internal(format!("cannot start a reader thread: {err}")));
                }
            }
        }
        drop(ready_sender);
        // Keep the exporting transaction open until every partition has adopted its
        // snapshot (or failed: it then reports its own error).
        for _ in 0..count {
            if ready_receiver.recv().is_err() {
                break;
            }
        }
        drop(client);
        Ok(Running { receiver, threads })
    }

    /// Stop the threads and wait for them: afterwards no connection is open.
    pub fn shutdown(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Done);
        match state {
            State::Running(Running { receiver, threads }) => {
                self.control.stop();
                drop(receiver);
                join_all(threads);
            }
            State::Pending(pending) => drop(pending),
            State::Done => {}
        }
    }

    /// Close: like `shutdown`, and later reads answer `Error::Closed`.
    pub fn close(&mut self) {
        self.control.close();
        self.shutdown();
    }
}

/// Errors a thread reports for its own reasons (not the cancel that `close` caused).
pub(crate) fn is_own_error(err: &Error) -> bool {
    matches!(err, Error::Data { .. } | Error::Internal { .. })
}

fn join_all(threads: Vec<JoinHandle<()>>) {
    for thread in threads {
        let _ = thread.join(); // bodies never panic out: they run under catch_unwind
    }
}

impl Drop for PgReader {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Iterator for PgReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => None,
            Err(err) => Some(Err(ArrowError::ExternalError(Box::new(err)))),
        }
    }
}

impl RecordBatchReader for PgReader {
    fn schema(&self) -> SchemaRef {
        self.plan.schema.clone()
    }
}

fn validate(options: &ReadOptions) -> Result<()> {
    if options.batch_rows == 0 {
        return Err(Error::config("batch_rows must be at least 1", "set batch_rows to 1 or more"));
    }
    if !(1..=MAX_PARTITIONS).contains(&options.partitions) {
        return Err(Error::config(
            format!("partitions must be between 1 and {MAX_PARTITIONS}"),
            "set partitions to a number of connections the server can spare",
        ));
    }
    if options.after_sql.is_some() && options.cursor_field.is_none() {
        return Err(Error::config("after_sql needs cursor_field", "pass the cursor field too"));
    }
    if options.partitions > 1
        && options.partition_column.is_none()
        && matches!(options.source, Source::Query(_))
    {
        return Err(Error::config(
            "partitions > 1 with a query needs partition_column",
            "set partition_column to an integer column of the query's result",
        ));
    }
    if options.columns.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::config("columns must name at least one column", "list some columns"));
    }
    Ok(())
}

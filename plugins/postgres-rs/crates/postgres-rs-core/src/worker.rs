//! A partition's thread: its data connection, its COPY, its batches.
//!
//! The thread opens a data connection (`wire`), adopts the snapshot the
//! control connection exported and says so on `ready` (the control connection
//! closes once every partition has), registers the connection's cancel key
//! with `Control`, runs its COPY and sends each decoded batch into the shared
//! channel. It ends when the COPY is read, when the consumer is gone (a send
//! fails) or when the read is stopped. Its body runs under `catch_unwind`: a
//! panic is sent to the consumer as `Error::Internal`. Stopping early just
//! drops the connection: the server's next write to the closed socket fails
//! and its backend ends (`close()` also cancels the COPY on the server).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Sender, SyncSender};

use arrow_array::RecordBatch;
use postgres::Config;

use crate::connect::adopt_snapshot_sql;
use crate::copy::{BatchBuilder, ErrorContext, Flow};
use crate::error::{Error, Result};
use crate::reader::{Control, DebugPanic, ReadPlan, is_own_error};
use crate::sql::copy_statement;
use crate::wire::WireConnection;

/// One partition of a read.
pub(crate) struct Partition {
    pub(crate) index: usize,
    pub(crate) count: usize,
    pub(crate) predicate: Option<String>,
    pub(crate) plan: Arc<ReadPlan>,
    pub(crate) control: Arc<Control>,
    pub(crate) sender: SyncSender<Result<RecordBatch>>,
    pub(crate) config: Config,
    pub(crate) snapshot: String,
}

/// Takes the partition's connection off the list of running COPYs, however it ends.
struct Registration<'a> {
    control: &'a Control,
    partition: usize,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.control.deregister(self.partition);
    }
}

impl Partition {
    /// The thread's body.
    pub(crate) fn run(self, ready: Sender<()>) {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.read(ready)));
        let error = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(err)) => err,
            Err(panic) => Error::from_panic(&*panic),
        };
        if !self.control.stopped() || is_own_error(&error) {
            let _ = self.sender.send(Err(error));
        }
    }

    fn read(&self, ready: Sender<()>) -> Result<()> {
        let plan = &self.plan;
        let subject = if self.count > 1 {
            format!("{} (partition {} of {})", plan.subject, self.index + 1, self.count)
        } else {
            plan.subject.clone()
        };
        let mut connection = WireConnection::connect(&self.config)?;
        connection.simple_query(&adopt_snapshot_sql(&self.snapshot), &subject)?;
        let _ = ready.send(());
        drop(ready);
        if plan.debug_panic == Some(DebugPanic::Worker) {
            panic!("debug panic in reader thread {} (test hook)", self.index);
        }
        if !self.control.register(self.index, connection.cancel_key()) {
            return Ok(()); // stopping: nothing started
        }
        let _registration = Registration { control: &self.control, partition: self.index };
        let mut predicates: Vec<String> = Vec::new();
        predicates.extend(self.predicate.clone());
        predicates.extend(plan.cursor_predicate.clone());
        let statement = copy_statement(
            &plan.select_list,
            &plan.source,
            &predicates,
            plan.cursor_field.as_deref(),
        );
        let context = ErrorContext { subject: subject.clone() };
        let mut builder =
            BatchBuilder::new(plan.schema.clone(), plan.columns.clone(), plan.batch_rows, context);
        let mut emit = |batch: RecordBatch| {
            if self.control.stopped() || self.sender.send(Ok(batch)).is_err() {
                Flow::Stop
            } else {
                Flow::Continue
            }
        };
        let mut reader = connection.copy_out(&statement, &subject)?;
        builder.read_stream(&mut reader, &mut emit)?;
        Ok(())
    }
}

//! `PgStream`: an open PostgreSQL source, exported once as an Arrow C stream.
//!
//! The core reader lives behind a shared, lockable slot. Consumers either
//! export it with `__arrow_c_stream__` (zero-copy, for any Arrow consumer) or
//! pull batches with `next_batch()` (what the package's Python iterator does,
//! so errors keep their classes); not both. `close()` first flips the
//! reader's stop switch (without the lock, so a consumer blocked waiting for a
//! batch wakes up), then drops the reader, which joins its threads: when
//! `close()` returns, no connection is open.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_array::ffi::{FFI_ArrowArray, to_ffi};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchReader, StructArray};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::{ArrowError, SchemaRef};
use postgres_rs_core::{Control, Error, PgReader};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::{to_py_err, usage_error};

enum Slot {
    Open(Box<PgReader>),
    /// Every batch has been read (or the read failed); the connections are closed.
    Done,
    /// `close()` was called.
    Closed,
}

type SharedSlot = Arc<Mutex<Slot>>;

fn lock(slot: &SharedSlot) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fresh,
    Exported,
    Iterating,
}

/// An open PostgreSQL source. Read it once: export it or iterate it.
#[pyclass(module = "dativo_postgres_rs._native", frozen)]
pub(crate) struct PgStream {
    schema: SchemaRef,
    slot: SharedSlot,
    control: Arc<Control>,
    mode: Mutex<Mode>,
}

impl PgStream {
    pub(crate) fn new(reader: PgReader) -> Self {
        PgStream {
            schema: reader.schema(),
            control: reader.control(),
            slot: Arc::new(Mutex::new(Slot::Open(Box::new(reader)))),
            mode: Mutex::new(Mode::Fresh),
        }
    }

    fn enter(&self, wanted: Mode) -> PyResult<()> {
        let mut mode = self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*lock(&self.slot), Slot::Closed) {
            return Err(usage_error("this stream is closed", "open the source again to read it"));
        }
        match (*mode, wanted) {
            (Mode::Fresh, _) => {
                *mode = wanted;
                Ok(())
            }
            (Mode::Iterating, Mode::Iterating) => Ok(()),
            _ => Err(usage_error(
                "this stream was already exported or read; it can be read once",
                "open the source again to re-read it",
            )),
        }
    }

    fn schema_capsule<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| usage_error(&e.to_string(), "please report this bug"))?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }
}

#[pymethods]
impl PgStream {
    /// The Arrow PyCapsule stream protocol; `requested_schema` is ignored (the batches
    /// always have this stream's schema). Consumes the stream: a second call raises.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        self.enter(Mode::Exported)?;
        let reader = SlotReader { schema: self.schema.clone(), slot: self.slot.clone() };
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The Arrow PyCapsule schema protocol (so `pyarrow.schema(stream)` works).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        self.schema_capsule(py)
    }

    /// The next batch as an object with `__arrow_c_array__` (wrap it with
    /// `pyarrow.record_batch`), or None at the end. Raises the module's exceptions.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<BatchExport>> {
        self.enter(Mode::Iterating)?;
        let slot = self.slot.clone();
        let next = py.detach(move || take_next(&slot));
        match next.map_err(to_py_err)? {
            Some(batch) => Ok(Some(BatchExport::new(batch)?)),
            None => Ok(None),
        }
    }

    /// Stop reading and close every connection now. Safe to call more than once.
    fn close(&self, py: Python<'_>) {
        self.control.close(); // wakes a consumer blocked on the next batch
        let slot = self.slot.clone();
        py.detach(move || {
            let old = std::mem::replace(&mut *lock(&slot), Slot::Closed);
            drop(old); // joins the reader threads
        });
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        matches!(*lock(&self.slot), Slot::Closed)
    }

    fn __repr__(&self) -> String {
        let state = match *lock(&self.slot) {
            Slot::Open(_) => "open",
            Slot::Done => "exhausted",
            Slot::Closed => "closed",
        };
        format!("<PgStream {state}, {} columns>", self.schema.fields().len())
    }
}

/// One record batch, exported through the Arrow PyCapsule array protocol.
#[pyclass(module = "dativo_postgres_rs._native", frozen)]
pub(crate) struct BatchExport {
    parts: Mutex<Option<(FFI_ArrowArray, FFI_ArrowSchema)>>,
    rows: usize,
}

impl BatchExport {
    fn new(batch: RecordBatch) -> PyResult<Self> {
        let rows = batch.num_rows();
        let data = StructArray::from(batch).into_data();
        let parts =
            to_ffi(&data).map_err(|e| usage_error(&e.to_string(), "please report this bug"))?;
        Ok(BatchExport { parts: Mutex::new(Some(parts)), rows })
    }
}

#[pymethods]
impl BatchExport {
    /// `(schema_capsule, array_capsule)` of a struct array: one record batch. Once.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let parts = self.parts.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some((array, schema)) = parts else {
            return Err(usage_error("this batch was already exported", "export a batch once"));
        };
        let schema = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
        let array = PyCapsule::new_with_value(py, array, c"arrow_array")?;
        Ok((schema, array))
    }

    fn __len__(&self) -> usize {
        self.rows
    }
}

/// What the exported C stream reads from: the shared slot.
struct SlotReader {
    schema: SchemaRef,
    slot: SharedSlot,
}

impl Iterator for SlotReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The C stream callbacks are extern "C": a panic must not unwind out of here.
        let result = catch_unwind(AssertUnwindSafe(|| take_next(&self.slot)));
        match result {
            Ok(Ok(Some(batch))) => Some(Ok(batch)),
            Ok(Ok(None)) => None,
            Ok(Err(err)) => Some(Err(ArrowError::ExternalError(Box::new(err)))),
            Err(panic) => {
                Some(Err(ArrowError::ExternalError(Box::new(Error::from_panic(&*panic)))))
            }
        }
    }
}

impl RecordBatchReader for SlotReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The next batch of the stream in `slot`; at its end or on an error the reader is
/// dropped (its connections close now) and the slot is marked done.
fn take_next(slot: &SharedSlot) -> Result<Option<RecordBatch>, Error> {
    let mut slot = lock(slot);
    let result = match &mut *slot {
        Slot::Open(reader) => reader.next_batch(),
        Slot::Done => Ok(None),
        Slot::Closed => Err(Error::Closed),
    };
    if !matches!(result, Ok(Some(_))) && matches!(*slot, Slot::Open(_)) {
        *slot = Slot::Done;
    }
    result
}

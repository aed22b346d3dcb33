//! `CsvStream`: a handle on an open reader that exports it as an Arrow C stream.
//!
//! The reader lives behind a shared, lockable slot. The exported stream reads
//! through the slot, so `close()` releases the files at once even while a
//! consumer still holds the stream: its next read then fails instead of
//! touching a closed file. Files are also released as soon as the last batch
//! has been read.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::{ArrowError, SchemaRef};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use reader_core::CsvBatchReader;

use crate::errors::ReaderError;

enum Slot {
    /// Not exhausted yet.
    Open(Box<CsvBatchReader>),
    /// Every batch has been read; the files are closed.
    Done,
    /// `close()` was called.
    Closed,
}

type SharedSlot = Arc<Mutex<Slot>>;

fn lock(slot: &SharedSlot) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An open CSV source. Export it once with `__arrow_c_stream__`.
#[pyclass(module = "{{cookiecutter.package_name}}._native", frozen)]
pub(crate) struct CsvStream {
    schema: SchemaRef,
    slot: SharedSlot,
    exported: Mutex<bool>,
}

impl CsvStream {
    pub(crate) fn new(reader: CsvBatchReader) -> Self {
        CsvStream {
            schema: reader.schema(),
            slot: Arc::new(Mutex::new(Slot::Open(Box::new(reader)))),
            exported: Mutex::new(false),
        }
    }

    fn schema_capsule<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| ReaderError::new_err(e.to_string()))?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }
}

#[pymethods]
impl CsvStream {
    /// The Arrow PyCapsule stream protocol. `requested_schema` is ignored:
    /// the batches always have `schema()`.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        {
            let mut exported = self.exported.lock().unwrap_or_else(PoisonError::into_inner);
            if *exported {
                return Err(ReaderError::new_err(
                    "this stream was already exported; open the source again to re-read it",
                ));
            }
            if matches!(*lock(&self.slot), Slot::Closed) {
                return Err(ReaderError::new_err("this stream is closed"));
            }
            *exported = true;
        }
        let reader = SlotReader { schema: self.schema.clone(), slot: self.slot.clone() };
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The Arrow PyCapsule schema protocol (so `pyarrow.schema(stream)` works).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        self.schema_capsule(py)
    }

    /// The schema of every batch, as an Arrow C schema capsule.
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        self.schema_capsule(py)
    }

    /// Release the open files now. Safe to call more than once.
    fn close(&self, py: Python<'_>) {
        // A reader thread may hold the lock while it parses a batch: wait without the GIL.
        let old = py.detach(|| std::mem::replace(&mut *lock(&self.slot), Slot::Closed));
        drop(old);
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
        format!("<CsvStream {state}, {} columns>", self.schema.fields().len())
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
        let mut slot = lock(&self.slot);
        let result = match &mut *slot {
            Slot::Open(reader) => reader.next_batch(),
            Slot::Done => return None,
            Slot::Closed => Err(reader_core::Error::Closed),
        };
        match result {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                *slot = Slot::Done;
                None
            }
            Err(err) => Some(Err(ArrowError::ExternalError(Box::new(err)))),
        }
    }
}

impl RecordBatchReader for SlotReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

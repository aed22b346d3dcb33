//! The binary COPY stream: header, tuples and trailer, decoded into record batches.
//!
//! Format (PostgreSQL docs, "COPY ... Binary Format"): the signature
//! `PGCOPY\n\377\r\n\0`, an i32 flags field, an i32 header-extension length and
//! the extension; then per tuple an i16 field count (-1 is the trailer) and per
//! field an i32 length (-1 for NULL) followed by that many bytes.
//!
//! PostgreSQL sends one CopyData message per tuple, and the driver hands each
//! message over without copying, so tuples are decoded straight from the
//! message buffers. Only a tuple split across messages (which the server does
//! not do today) goes through a spill buffer.

use std::io::BufRead;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::decode::{Decoder, decoder_for};
use crate::error::{Error, Result};
use crate::types::ColumnPlan;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Header: signature, flags, extension length.
const HEADER_LEN: usize = 11 + 4 + 4;
/// Flags bit 16: OIDs included (never for COPY (SELECT ...)).
const FLAG_OIDS: u32 = 1 << 16;

/// A batch is emitted at `batch_rows` rows or once its values reach this many bytes,
/// which keeps every Arrow offset buffer of 32-bit offsets valid and memory bounded.
pub const MAX_BATCH_BYTES: usize = 128 << 20;

/// Where the messages of errors found while decoding come from.
#[derive(Clone, Debug)]
pub struct ErrorContext {
    /// "table public.orders" or "the query", plus the partition when there are several.
    pub subject: String,
}

/// What the consumer says after receiving a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// How a COPY stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every tuple was read.
    Complete,
    /// The consumer stopped reading.
    Stopped,
}

enum Step {
    /// Consumed this many bytes; the rest is an incomplete tuple.
    NeedMore(usize),
    /// The trailer was read.
    Trailer,
    /// The consumer stopped.
    Stopped,
}

/// Turns COPY tuples into record batches.
pub struct BatchBuilder {
    schema: SchemaRef,
    columns: Arc<Vec<ColumnPlan>>,
    decoders: Vec<Box<dyn Decoder>>,
    batch_rows: usize,
    rows_in_batch: usize,
    bytes_in_batch: usize,
    rows_before: u64,
    header_done: bool,
    fields: Vec<(usize, i32)>,
    context: ErrorContext,
}

impl BatchBuilder {
    pub fn new(
        schema: SchemaRef,
        columns: Arc<Vec<ColumnPlan>>,
        batch_rows: usize,
        context: ErrorContext,
    ) -> Self {
        let batch_rows = batch_rows.max(1);
        let decoders = columns.iter().map(|c| decoder_for(&c.col_type, batch_rows)).collect();
        let fields = Vec::with_capacity(columns.len());
        BatchBuilder {
            schema,
            columns,
            decoders,
            batch_rows,
            rows_in_batch: 0,
            bytes_in_batch: 0,
            rows_before: 0,
            header_done: false,
            fields,
            context,
        }
    }

    /// Read a whole COPY stream, handing each batch to `emit`.
    pub fn read_stream<R: BufRead>(
        &mut self,
        reader: &mut R,
        emit: &mut dyn FnMut(RecordBatch) -> Flow,
    ) -> Result<Outcome> {
        let mut spill: Vec<u8> = Vec::new();
        let mut trailer = false;
        loop {
            let chunk = reader.fill_buf().map_err(|e| Error::from_io(e, &self.context.subject))?;
            if chunk.is_empty() {
                break;
            }
            let length = chunk.len();
            if trailer {
                return Err(Error::internal("data after the end of the COPY stream"));
            }
            let step = if spill.is_empty() {
                let step = self.push(chunk, emit)?;
                if let Step::NeedMore(used) = step {
                    spill.extend_from_slice(&chunk[used..]);
                }
                step
            } else {
                spill.extend_from_slice(chunk);
                let step = self.push(&spill, emit)?;
                if let Step::NeedMore(used) = step {
                    spill.drain(..used);
                }
                step
            };
            reader.consume(length);
            match step {
                Step::NeedMore(_) => {}
                Step::Trailer => trailer = true,
                Step::Stopped => return Ok(Outcome::Stopped),
            }
        }
        if !trailer {
            return Err(Error::internal("the COPY stream ended without its trailer"));
        }
        if self.rows_in_batch > 0 {
            let batch = self.finish_batch()?;
            if emit(batch) == Flow::Stop {
                return Ok(Outcome::Stopped);
            }
        }
        Ok(Outcome::Complete)
    }

    /// Decode every complete tuple at the start of `data`.
    fn push(&mut self, data: &[u8], emit: &mut dyn FnMut(RecordBatch) -> Flow) -> Result<Step> {
        let mut at = 0;
        if !self.header_done {
            match parse_header(data)? {
                Some(length) => {
                    at = length;
                    self.header_done = true;
                }
                None => return Ok(Step::NeedMore(0)),
            }
        }
        loop {
            let rest = &data[at..];
            let Some(count) = rest.get(..2) else {
                return Ok(Step::NeedMore(at));
            };
            let count = i16::from_be_bytes([count[0], count[1]]);
            if count == -1 {
                if rest.len() > 2 {
                    return Err(Error::internal("data after the end of the COPY stream"));
                }
                return Ok(Step::Trailer);
            }
            if usize::try_from(count).ok() != Some(self.columns.len()) {
                return Err(Error::internal(format!(
                    "a COPY tuple has {count} fields, expected {}",
                    self.columns.len()
                )));
            }
            let Some(length) = self.locate_fields(rest)? else {
                return Ok(Step::NeedMore(at));
            };
            self.decode_tuple(rest)?;
            at += length;
            self.rows_in_batch += 1;
            self.bytes_in_batch += length;
            if self.rows_in_batch >= self.batch_rows || self.bytes_in_batch >= MAX_BATCH_BYTES {
                let batch = self.finish_batch()?;
                if emit(batch) == Flow::Stop {
                    return Ok(Step::Stopped);
                }
            }
        }
    }

    /// Find the fields of the tuple at the start of `tuple` (its field count read);
    /// None when the tuple is not complete yet. Returns the tuple's length.
    #[inline]
    fn locate_fields(&mut self, tuple: &[u8]) -> Result<Option<usize>> {
        self.fields.clear();
        let mut at = 2;
        for _ in 0..self.columns.len() {
            let Some(length) = tuple.get(at..at + 4) else {
                return Ok(None);
            };
            let length = i32::from_be_bytes([length[0], length[1], length[2], length[3]]);
            at += 4;
            if length < 0 {
                if length != -1 {
                    return Err(Error::internal("a COPY field has a negative length"));
                }
                self.fields.push((at, -1));
                continue;
            }
            let end = at + length.unsigned_abs() as usize;
            if end > tuple.len() {
                return Ok(None);
            }
            self.fields.push((at, length));
            at = end;
        }
        Ok(Some(at))
    }

    #[inline]
    fn decode_tuple(&mut self, tuple: &[u8]) -> Result<()> {
        for (index, (decoder, &(start, length))) in
            self.decoders.iter_mut().zip(self.fields.iter()).enumerate()
        {
            let value = if length < 0 {
                None
            } else {
                Some(&tuple[start..start + length.unsigned_abs() as usize])
            };
            if let Err(err) = decoder.append(value) {
                let row = self.rows_before + self.rows_in_batch as u64 + 1;
                return Err(self.data_error(index, row, &err.message, err.hint));
            }
        }
        Ok(())
    }

    fn data_error(&self, index: usize, row: u64, message: &str, hint: &str) -> Error {
        let column = &self.columns[index];
        let first = self.rows_before + 1;
        let arrow = self.schema.field(index).data_type();
        Error::data(
            format!(
                "{}, rows {first}-{row}: column '{}' ({} read as {arrow}): {message} (row {row})",
                self.context.subject, column.name, column.pg_type
            ),
            hint.to_string(),
        )
    }

    fn finish_batch(&mut self) -> Result<RecordBatch> {
        let mut arrays = Vec::with_capacity(self.decoders.len());
        for (index, decoder) in self.decoders.iter_mut().enumerate() {
            match decoder.finish() {
                Ok(array) => arrays.push(array),
                Err(err) => {
                    let last = self.rows_before + self.rows_in_batch as u64;
                    return Err(self.data_error(index, last, &err.message, err.hint));
                }
            }
        }
        self.rows_before += self.rows_in_batch as u64;
        self.rows_in_batch = 0;
        self.bytes_in_batch = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::internal(format!("a batch does not match the schema: {e}")))
    }
}

/// The header's length, None if incomplete.
fn parse_header(data: &[u8]) -> Result<Option<usize>> {
    let Some(fixed) = data.get(..HEADER_LEN) else {
        return Ok(None);
    };
    if &fixed[..11] != SIGNATURE {
        return Err(Error::internal("the COPY stream does not start with the binary signature"));
    }
    let flags = u32::from_be_bytes([fixed[11], fixed[12], fixed[13], fixed[14]]);
    if flags & FLAG_OIDS != 0 {
        return Err(Error::internal("the COPY stream includes OIDs"));
    }
    let extension = u32::from_be_bytes([fixed[15], fixed[16], fixed[17], fixed[18]]) as usize;
    let length = HEADER_LEN + extension;
    Ok((data.len() >= length).then_some(length))
}

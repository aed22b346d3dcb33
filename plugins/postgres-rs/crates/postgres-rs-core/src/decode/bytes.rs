//! Variable-width values: text (and every text form), json, jsonb, uuid, bytea, enums.

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, BinaryArray, StringArray};
use arrow_buffer::{Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};

use super::{DecodeError, DecodeResult, Decoder};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ByteKind {
    /// UTF-8 text as sent (text, varchar, bpchar, name, json, `::text` forms).
    Text,
    /// jsonb: a version byte, then the text.
    Jsonb,
    /// 16 bytes, written as the lowercase hyphenated text PostgreSQL prints.
    Uuid,
    /// Raw bytes (bytea).
    Binary,
}

/// Offsets plus one byte buffer: an Arrow string or binary array without per-value allocation.
pub(crate) struct ByteDecoder {
    kind: ByteKind,
    offsets: Vec<i32>,
    values: Vec<u8>,
    nulls: NullBufferBuilder,
    capacity: usize,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl ByteDecoder {
    pub(crate) fn new(kind: ByteKind, capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        ByteDecoder {
            kind,
            offsets,
            values: Vec::with_capacity(capacity * 8),
            nulls: NullBufferBuilder::new(capacity),
            capacity,
        }
    }

    #[inline]
    fn push_offset(&mut self) -> DecodeResult<()> {
        let end = i32::try_from(self.values.len()).map_err(|_| {
            DecodeError::with_hint(
                "more than 2 GiB of values in one batch",
                "lower batch_rows in the reader's config",
            )
        })?;
        self.offsets.push(end);
        Ok(())
    }
}

impl Decoder for ByteDecoder {
    #[inline]
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        match value {
            None => self.nulls.append_null(),
            Some(bytes) => {
                match self.kind {
                    ByteKind::Text | ByteKind::Binary => self.values.extend_from_slice(bytes),
                    ByteKind::Jsonb => match bytes.split_first() {
                        Some((1, text)) => self.values.extend_from_slice(text),
                        _ => {
                            return Err(DecodeError::with_hint(
                                "unknown jsonb binary version",
                                "cast the column to text in a query (col::text)",
                            ));
                        }
                    },
                    ByteKind::Uuid => {
                        let raw: &[u8; 16] = bytes
                            .try_into()
                            .map_err(|_| DecodeError::bad_length(16, bytes.len()))?;
                        write_uuid(raw, &mut self.values);
                    }
                }
                self.nulls.append_non_null();
            }
        }
        self.push_offset()
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        let mut fresh = Vec::with_capacity(self.capacity + 1);
        fresh.push(0);
        let offsets = std::mem::replace(&mut self.offsets, fresh);
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(self.capacity * 8));
        // The offsets start at 0 and never decrease: a valid offset buffer by construction.
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let values = Buffer::from_vec(values);
        let nulls = self.nulls.finish();
        if self.kind == ByteKind::Binary {
            return Ok(Arc::new(BinaryArray::new(offsets, values, nulls)));
        }
        // One UTF-8 validation for the whole batch.
        let array = StringArray::try_new(offsets, values, nulls).map_err(|e| {
            DecodeError::with_hint(
                format!("text that is not valid UTF-8: {e}"),
                "the server should send UTF-8: check the database encoding",
            )
        })?;
        Ok(Arc::new(array))
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase, as PostgreSQL prints a uuid.
pub(crate) fn write_uuid(raw: &[u8; 16], out: &mut Vec<u8>) {
    for (index, byte) in raw.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0x0f)]);
    }
}

/// Enum labels, dictionary-encoded (int32 keys).
pub(crate) struct EnumDecoder {
    builder: StringDictionaryBuilder<Int32Type>,
}

impl EnumDecoder {
    pub(crate) fn new() -> Self {
        EnumDecoder { builder: StringDictionaryBuilder::new() }
    }
}

impl Decoder for EnumDecoder {
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        match value {
            None => self.builder.append_null(),
            Some(bytes) => {
                let label = std::str::from_utf8(bytes)
                    .map_err(|_| DecodeError::new("an enum label that is not valid UTF-8"))?;
                self.builder
                    .append(label)
                    .map_err(|e| DecodeError::new(format!("too many enum labels: {e}")))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        Ok(Arc::new(self.builder.finish()))
    }
}

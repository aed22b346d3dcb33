//! Decoders: PostgreSQL binary values appended straight into Arrow buffers.
//!
//! One decoder per column (list decoders wrap one for the elements). A decoder
//! is fed each value of its column (`None` for NULL) and hands out the array of
//! everything appended since the last `finish`, ready for the next batch. No
//! value allocates: fixed-width values go into a `Vec` of the native type,
//! variable-width ones into one byte buffer plus offsets.

mod array;
mod bytes;
mod numeric;
mod scalar;

use arrow_array::ArrayRef;

use crate::types::ColType;

pub use numeric::{NumericValue, decode_numeric_i128, decode_numeric_i256};
pub use scalar::{POSTGRES_EPOCH_DAYS, POSTGRES_EPOCH_MICROS};

/// Why one value could not be decoded (the caller adds the column and rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub message: String,
    pub hint: &'static str,
}

/// The usual advice for a value without an Arrow representation.
pub const CAST_HINT: &str =
    "filter the value or cast the column in a query (e.g. col::text), then read the query";

impl DecodeError {
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError { message: message.into(), hint: CAST_HINT }
    }

    pub fn with_hint(message: impl Into<String>, hint: &'static str) -> Self {
        DecodeError { message: message.into(), hint }
    }

    pub(crate) fn bad_length(expected: usize, got: usize) -> Self {
        DecodeError::with_hint(
            format!("malformed binary value: expected {expected} bytes, got {got}"),
            "please report this: the server sent an unexpected binary form",
        )
    }
}

pub type DecodeResult<T> = Result<T, DecodeError>;

/// Appends the values of one column and builds its Arrow array.
pub trait Decoder: Send {
    /// Append one value in PostgreSQL's binary form; `None` is NULL.
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()>;
    /// The array of the values appended since the last call; the decoder is reset.
    fn finish(&mut self) -> DecodeResult<ArrayRef>;
}

/// Initial capacity of a decoder's buffers: a batch's rows, but not a huge reservation.
fn initial_capacity(batch_rows: usize) -> usize {
    batch_rows.min(1 << 16)
}

/// A decoder for values of `col_type`, sized for batches of `batch_rows` rows.
pub fn decoder_for(col_type: &ColType, batch_rows: usize) -> Box<dyn Decoder> {
    let capacity = initial_capacity(batch_rows);
    match col_type {
        ColType::Bool => Box::new(scalar::BoolDecoder::new(capacity)),
        ColType::Text => Box::new(bytes::ByteDecoder::new(bytes::ByteKind::Text, capacity)),
        ColType::Json => Box::new(bytes::ByteDecoder::new(bytes::ByteKind::Text, capacity)),
        ColType::Jsonb => Box::new(bytes::ByteDecoder::new(bytes::ByteKind::Jsonb, capacity)),
        ColType::Uuid => Box::new(bytes::ByteDecoder::new(bytes::ByteKind::Uuid, capacity)),
        ColType::Bytea => Box::new(bytes::ByteDecoder::new(bytes::ByteKind::Binary, capacity)),
        ColType::Enum => Box::new(bytes::EnumDecoder::new()),
        ColType::Decimal128 { precision, scale } => {
            Box::new(numeric::NumericDecoder::<i128>::new(*precision, *scale, capacity))
        }
        ColType::Decimal256 { precision, scale } => {
            Box::new(numeric::NumericDecoder::<arrow_buffer::i256>::new(
                *precision, *scale, capacity,
            ))
        }
        ColType::List { ndim, element } => {
            Box::new(array::ListDecoder::new(*ndim, element, decoder_for(element, batch_rows)))
        }
        fixed => scalar::fixed_decoder(fixed, capacity),
    }
}

#[cfg(test)]
mod tests;

//! Fixed-width values: booleans, integers, floats, dates, times, timestamps,
//! intervals and money.

use std::sync::Arc;

use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    IntervalMonthDayNanoType, Time64MicrosecondType, TimestampMicrosecondType, UInt32Type,
};
use arrow_array::{ArrayRef, ArrowPrimitiveType, BooleanArray, PrimitiveArray};
use arrow_buffer::{BooleanBufferBuilder, IntervalMonthDayNano, NullBufferBuilder, ScalarBuffer};
use arrow_schema::DataType;

use super::{DecodeError, DecodeResult, Decoder};
use crate::types::{ColType, data_type};

/// Days from 1970-01-01 (Arrow's epoch) to 2000-01-01 (PostgreSQL's).
pub const POSTGRES_EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
pub const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Decoder of a fixed-width binary form (`N` bytes) into an Arrow primitive array.
pub(crate) struct FixedDecoder<T: ArrowPrimitiveType, const N: usize, F> {
    values: Vec<T::Native>,
    nulls: NullBufferBuilder,
    capacity: usize,
    convert: F,
    data_type: DataType,
}

impl<T, const N: usize, F> FixedDecoder<T, N, F>
where
    T: ArrowPrimitiveType,
    F: Fn([u8; N]) -> DecodeResult<T::Native> + Send,
{
    pub(crate) fn new(data_type: DataType, capacity: usize, convert: F) -> Self {
        FixedDecoder {
            values: Vec::with_capacity(capacity),
            nulls: NullBufferBuilder::new(capacity),
            capacity,
            convert,
            data_type,
        }
    }
}

impl<T, const N: usize, F> Decoder for FixedDecoder<T, N, F>
where
    T: ArrowPrimitiveType,
    F: Fn([u8; N]) -> DecodeResult<T::Native> + Send,
{
    #[inline]
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        match value {
            None => {
                self.values.push(T::Native::default());
                self.nulls.append_null();
            }
            Some(bytes) => {
                let raw: [u8; N] =
                    bytes.try_into().map_err(|_| DecodeError::bad_length(N, bytes.len()))?;
                self.values.push((self.convert)(raw)?);
                self.nulls.append_non_null();
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(self.capacity));
        let array = PrimitiveArray::<T>::new(ScalarBuffer::from(values), self.nulls.finish())
            .with_data_type(self.data_type.clone());
        Ok(Arc::new(array))
    }
}

/// Booleans: one byte, 0 or 1.
pub(crate) struct BoolDecoder {
    values: BooleanBufferBuilder,
    nulls: NullBufferBuilder,
    capacity: usize,
}

impl BoolDecoder {
    pub(crate) fn new(capacity: usize) -> Self {
        BoolDecoder {
            values: BooleanBufferBuilder::new(capacity),
            nulls: NullBufferBuilder::new(capacity),
            capacity,
        }
    }
}

impl Decoder for BoolDecoder {
    #[inline]
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        match value {
            None => {
                self.values.append(false);
                self.nulls.append_null();
            }
            Some([byte]) => {
                self.values.append(*byte != 0);
                self.nulls.append_non_null();
            }
            Some(other) => return Err(DecodeError::bad_length(1, other.len())),
        }
        Ok(())
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        let values = std::mem::replace(&mut self.values, BooleanBufferBuilder::new(self.capacity));
        let mut values = values;
        Ok(Arc::new(BooleanArray::new(values.finish(), self.nulls.finish())))
    }
}

fn infinity(raw_is_max: bool) -> DecodeError {
    let which = if raw_is_max { "infinity" } else { "-infinity" };
    DecodeError::new(format!("{which} has no Arrow value"))
}

/// A date: days since 2000-01-01; i32::MAX and MIN are ±infinity.
pub fn date_days(raw: [u8; 4]) -> DecodeResult<i32> {
    let days = i32::from_be_bytes(raw);
    if days == i32::MAX || days == i32::MIN {
        return Err(infinity(days == i32::MAX));
    }
    days.checked_add(POSTGRES_EPOCH_DAYS)
        .ok_or_else(|| DecodeError::new("the date is out of the range of date32"))
}

/// A timestamp: microseconds since 2000-01-01; i64::MAX and MIN are ±infinity.
pub fn timestamp_micros(raw: [u8; 8]) -> DecodeResult<i64> {
    let micros = i64::from_be_bytes(raw);
    if micros == i64::MAX || micros == i64::MIN {
        return Err(infinity(micros == i64::MAX));
    }
    micros
        .checked_add(POSTGRES_EPOCH_MICROS)
        .ok_or_else(|| DecodeError::new("the timestamp is out of the range of timestamp[us]"))
}

/// A time of day in microseconds; 24:00:00 has no time64 value.
pub fn time_micros(raw: [u8; 8]) -> DecodeResult<i64> {
    let micros = i64::from_be_bytes(raw);
    if !(0..MICROS_PER_DAY).contains(&micros) {
        return Err(DecodeError::new("time 24:00:00 has no Arrow time64 value"));
    }
    Ok(micros)
}

/// An interval: int64 microseconds, int32 days, int32 months.
pub fn interval(raw: [u8; 16]) -> DecodeResult<IntervalMonthDayNano> {
    let [m0, m1, m2, m3, m4, m5, m6, m7, d0, d1, d2, d3, o0, o1, o2, o3] = raw;
    let micros = i64::from_be_bytes([m0, m1, m2, m3, m4, m5, m6, m7]);
    let days = i32::from_be_bytes([d0, d1, d2, d3]);
    let months = i32::from_be_bytes([o0, o1, o2, o3]);
    let nanos = micros
        .checked_mul(1000)
        .ok_or_else(|| DecodeError::new("the interval's time part overflows nanoseconds"))?;
    Ok(IntervalMonthDayNano::new(months, days, nanos))
}

/// The decoder of a fixed-width type.
pub(crate) fn fixed_decoder(col_type: &ColType, capacity: usize) -> Box<dyn Decoder> {
    let dt = data_type(col_type);
    match col_type {
        ColType::Int2 => Box::new(FixedDecoder::<Int16Type, 2, _>::new(dt, capacity, |b| {
            Ok(i16::from_be_bytes(b))
        })),
        ColType::Int4 => Box::new(FixedDecoder::<Int32Type, 4, _>::new(dt, capacity, |b| {
            Ok(i32::from_be_bytes(b))
        })),
        ColType::Int8 => Box::new(FixedDecoder::<Int64Type, 8, _>::new(dt, capacity, |b| {
            Ok(i64::from_be_bytes(b))
        })),
        ColType::Oid => Box::new(FixedDecoder::<UInt32Type, 4, _>::new(dt, capacity, |b| {
            Ok(u32::from_be_bytes(b))
        })),
        ColType::Float4 => Box::new(FixedDecoder::<Float32Type, 4, _>::new(dt, capacity, |b| {
            Ok(f32::from_be_bytes(b))
        })),
        ColType::Float8 => Box::new(FixedDecoder::<Float64Type, 8, _>::new(dt, capacity, |b| {
            Ok(f64::from_be_bytes(b))
        })),
        ColType::Date => Box::new(FixedDecoder::<Date32Type, 4, _>::new(dt, capacity, date_days)),
        ColType::Time => {
            Box::new(FixedDecoder::<Time64MicrosecondType, 8, _>::new(dt, capacity, time_micros))
        }
        ColType::Timestamp | ColType::Timestamptz => {
            Box::new(FixedDecoder::<TimestampMicrosecondType, 8, _>::new(
                dt,
                capacity,
                timestamp_micros,
            ))
        }
        ColType::Interval => {
            Box::new(FixedDecoder::<IntervalMonthDayNanoType, 16, _>::new(dt, capacity, interval))
        }
        ColType::Money { .. } => {
            Box::new(FixedDecoder::<Decimal128Type, 8, _>::new(dt, capacity, |b| {
                Ok(i128::from(i64::from_be_bytes(b)))
            }))
        }
        other => unreachable!("{other:?} is not a fixed-width type"),
    }
}

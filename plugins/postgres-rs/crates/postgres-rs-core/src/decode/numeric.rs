//! numeric: base-10000 digits to a decimal128 or decimal256 at the column's scale.
//!
//! The binary form is `ndigits: i16, weight: i16, sign: u16, dscale: u16`, then
//! `ndigits` base-10000 digits, most significant first; digit `i` is worth
//! `10000^(weight - i)`. The sign word is 0x0000 (positive), 0x4000
//! (negative), 0xC000 (NaN), 0xD000 (+Infinity) or 0xF000 (-Infinity).
//!
//! The rule for the special values in a `numeric(p, s)` column: NaN and
//! ±Infinity have no decimal value and are read as NULL (documented in the
//! README). Unconstrained numeric columns are read as text and keep them.

use std::sync::Arc;

use arrow_array::types::{Decimal128Type, Decimal256Type};
use arrow_array::{ArrayRef, ArrowPrimitiveType, PrimitiveArray};
use arrow_buffer::{NullBufferBuilder, ScalarBuffer, i256};
use arrow_schema::DataType;

use super::{DecodeError, DecodeResult, Decoder};

const SIGN_POSITIVE: u16 = 0x0000;
const SIGN_NEGATIVE: u16 = 0x4000;
const SIGN_NAN: u16 = 0xC000;
const SIGN_PINF: u16 = 0xD000;
const SIGN_NINF: u16 = 0xF000;

/// A decoded numeric: a number at the requested scale, or one of the special values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericValue<A> {
    Number(A),
    NaN,
    PosInfinity,
    NegInfinity,
}

/// The integer types a decimal is accumulated in.
pub trait Accumulator: Copy + Send + 'static {
    const ZERO: Self;
    /// `self * 10^exp + add`, or None on overflow.
    fn mul_pow10_add(self, exp: u32, add: u16) -> Option<Self>;
    fn negate(self) -> Option<Self>;
}

/// 10^0 ..= 10^19: every power of ten a u64 holds.
const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

#[inline]
fn pow10_u64(exp: u32) -> Option<u64> {
    POW10.get(usize::try_from(exp).ok()?).copied()
}

impl Accumulator for i128 {
    const ZERO: Self = 0;

    #[inline]
    fn mul_pow10_add(self, exp: u32, add: u16) -> Option<Self> {
        let factor = match pow10_u64(exp) {
            Some(small) => i128::from(small),
            None => 10i128.checked_pow(exp)?,
        };
        self.checked_mul(factor)?.checked_add(i128::from(add))
    }

    #[inline]
    fn negate(self) -> Option<Self> {
        self.checked_neg()
    }
}

impl Accumulator for i256 {
    const ZERO: Self = i256::ZERO;

    #[inline]
    fn mul_pow10_add(self, exp: u32, add: u16) -> Option<Self> {
        let factor = match pow10_u64(exp) {
            Some(small) => i256::from_i128(i128::from(small)),
            None => i256::from_i128(10).checked_pow(exp)?,
        };
        self.checked_mul(factor)?.checked_add(i256::from_i128(i128::from(add)))
    }

    #[inline]
    fn negate(self) -> Option<Self> {
        self.checked_neg()
    }
}

fn malformed() -> DecodeError {
    DecodeError::with_hint(
        "malformed numeric binary value",
        "please report this: the server sent an unexpected binary form",
    )
}

/// Decode a numeric to an integer at `scale` decimal places (value * 10^scale).
///
/// Fails when the value has more fractional digits than `scale` (it would be
/// rounded) or does not fit the accumulator.
pub fn decode_numeric<A: Accumulator>(data: &[u8], scale: i32) -> DecodeResult<NumericValue<A>> {
    let Some((head, digits)) = data.split_at_checked(8) else {
        return Err(malformed());
    };
    let ndigits = i16::from_be_bytes([head[0], head[1]]);
    let weight = i32::from(i16::from_be_bytes([head[2], head[3]]));
    let sign = u16::from_be_bytes([head[4], head[5]]);
    match sign {
        SIGN_POSITIVE | SIGN_NEGATIVE => {}
        SIGN_NAN => return Ok(NumericValue::NaN),
        SIGN_PINF => return Ok(NumericValue::PosInfinity),
        SIGN_NINF => return Ok(NumericValue::NegInfinity),
        _ => return Err(malformed()),
    }
    let ndigits = usize::try_from(ndigits).map_err(|_| malformed())?;
    if digits.len() != ndigits * 2 {
        return Err(malformed());
    }
    let overflow = || DecodeError::new("the numeric value does not fit its decimal type");
    let inexact = || {
        DecodeError::new(format!(
            "the numeric value has more than {scale} decimal places and would be rounded"
        ))
    };
    // Horner's rule over the digit groups, in units of the last group added.
    // `exponent` is the power of ten of the current group's unit at the target scale.
    let mut value = A::ZERO;
    let mut unit_exponent: i32 = 0;
    for (index, pair) in digits.chunks_exact(2).enumerate() {
        let digit = u16::from_be_bytes([pair[0], pair[1]]);
        if digit > 9999 {
            return Err(malformed());
        }
        let group = i32::try_from(index).map_err(|_| malformed())?;
        let exponent = 4 * (weight - group) + scale;
        if exponent >= 0 {
            value = value.mul_pow10_add(4, digit).ok_or_else(overflow)?;
            unit_exponent = exponent;
        } else if exponent > -4 {
            // Only the leading (4 + exponent) decimal digits of this group are kept.
            let dropped = pow10_u64(exponent.unsigned_abs()).ok_or_else(malformed)?;
            let kept = u64::from(digit);
            if kept % dropped != 0 {
                return Err(inexact());
            }
            let kept = u16::try_from(kept / dropped).map_err(|_| malformed())?;
            value =
                value.mul_pow10_add((4 + exponent).unsigned_abs(), kept).ok_or_else(overflow)?;
            unit_exponent = 0;
        } else if digit != 0 {
            return Err(inexact());
        }
    }
    if unit_exponent > 0 {
        value = value.mul_pow10_add(unit_exponent.unsigned_abs(), 0).ok_or_else(overflow)?;
    }
    if sign == SIGN_NEGATIVE {
        value = value.negate().ok_or_else(overflow)?;
    }
    Ok(NumericValue::Number(value))
}

pub fn decode_numeric_i128(data: &[u8], scale: i32) -> DecodeResult<NumericValue<i128>> {
    decode_numeric(data, scale)
}

pub fn decode_numeric_i256(data: &[u8], scale: i32) -> DecodeResult<NumericValue<i256>> {
    decode_numeric(data, scale)
}

/// Which Arrow decimal type an accumulator fills.
pub trait DecimalTarget: Accumulator + arrow_buffer::ArrowNativeType {
    type Arrow: ArrowPrimitiveType<Native = Self>;
    fn data_type(precision: u8, scale: i8) -> DataType;
}

impl DecimalTarget for i128 {
    type Arrow = Decimal128Type;
    fn data_type(precision: u8, scale: i8) -> DataType {
        DataType::Decimal128(precision, scale)
    }
}

impl DecimalTarget for i256 {
    type Arrow = Decimal256Type;
    fn data_type(precision: u8, scale: i8) -> DataType {
        DataType::Decimal256(precision, scale)
    }
}

/// numeric(p, s) into decimal128 or decimal256; NaN and ±Infinity are NULL.
pub(crate) struct NumericDecoder<A: DecimalTarget> {
    values: Vec<A>,
    nulls: NullBufferBuilder,
    scale: i32,
    capacity: usize,
    data_type: DataType,
}

impl<A: DecimalTarget> NumericDecoder<A> {
    pub(crate) fn new(precision: u8, scale: i8, capacity: usize) -> Self {
        NumericDecoder {
            values: Vec::with_capacity(capacity),
            nulls: NullBufferBuilder::new(capacity),
            scale: i32::from(scale),
            capacity,
            data_type: A::data_type(precision, scale),
        }
    }
}

impl<A: DecimalTarget> Decoder for NumericDecoder<A> {
    #[inline]
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        let decoded = match value {
            None => None,
            Some(bytes) => match decode_numeric::<A>(bytes, self.scale)? {
                NumericValue::Number(number) => Some(number),
                // The documented rule: no decimal value, so NULL.
                NumericValue::NaN | NumericValue::PosInfinity | NumericValue::NegInfinity => None,
            },
        };
        match decoded {
            Some(number) => {
                self.values.push(number);
                self.nulls.append_non_null();
            }
            None => {
                self.values.push(A::ZERO);
                self.nulls.append_null();
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(self.capacity));
        let array =
            PrimitiveArray::<A::Arrow>::new(ScalarBuffer::from(values), self.nulls.finish())
                .with_data_type(self.data_type.clone());
        Ok(Arc::new(array))
    }
}

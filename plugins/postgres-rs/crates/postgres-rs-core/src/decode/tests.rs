//! Decoding unit tests on hand-built binary values.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Int32Type, IntervalMonthDayNanoType,
    TimestampMicrosecondType,
};
use arrow_array::{Array, ListArray};
use arrow_buffer::{IntervalMonthDayNano, i256};

use super::numeric::NumericValue;
use super::*;

/// numeric's binary form from its parts.
fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&i16::try_from(digits.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
    out
}

fn number(value: NumericValue<i128>) -> i128 {
    match value {
        NumericValue::Number(n) => n,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn numeric_positive_negative_and_scales() {
    // 1234567.89 = [123, 4567, 8900] with weight 1
    let value = numeric(1, 0x0000, 2, &[123, 4567, 8900]);
    assert_eq!(number(decode_numeric_i128(&value, 2).unwrap()), 123_456_789);
    assert_eq!(number(decode_numeric_i128(&value, 5).unwrap()), 123_456_789_000);
    let negative = numeric(1, 0x4000, 2, &[123, 4567, 8900]);
    assert_eq!(number(decode_numeric_i128(&negative, 2).unwrap()), -123_456_789);
    // more decimal places than the scale: refused, not rounded
    assert!(decode_numeric_i128(&value, 1).is_err());
    // 0.0005 = [5] with weight -1 at scale 4
    let small = numeric(-1, 0x0000, 4, &[5]);
    assert_eq!(number(decode_numeric_i128(&small, 4).unwrap()), 5);
    // zero has no digits
    assert_eq!(number(decode_numeric_i128(&numeric(0, 0, 2, &[]), 2).unwrap()), 0);
    // 10^12 = [1] with weight 3 (trailing zero groups are dropped by the server)
    assert_eq!(
        number(decode_numeric_i128(&numeric(3, 0, 0, &[1]), 2).unwrap()),
        100_000_000_000_000
    );
    // a negative scale target is handled (value * 10^-2)
    assert_eq!(number(decode_numeric_i128(&numeric(0, 0, 0, &[1200]), -2).unwrap()), 12);
}

#[test]
fn numeric_38_digits_and_overflow() {
    // 28 integer digits + 10 decimals: 12345678901234567890123456.7812345678 at scale 10
    let value = numeric(6, 0, 10, &[12, 3456, 7890, 1234, 5678, 9012, 3456, 7812, 3456, 7800]);
    assert_eq!(
        number(decode_numeric_i128(&value, 10).unwrap()),
        123_456_789_012_345_678_901_234_567_812_345_678
    );
    // 10^40 does not fit an i128 at scale 0, but fits an i256
    let huge = numeric(10, 0, 0, &[1]);
    assert!(decode_numeric_i128(&huge, 0).is_err());
    let wide = decode_numeric_i256(&huge, 0).unwrap();
    assert_eq!(wide, NumericValue::Number(i256::from_i128(10).checked_pow(40).unwrap()));
}

#[test]
fn numeric_special_values() {
    assert_eq!(decode_numeric_i128(&numeric(0, 0xC000, 0, &[]), 2).unwrap(), NumericValue::NaN);
    assert_eq!(
        decode_numeric_i128(&numeric(0, 0xD000, 0, &[]), 2).unwrap(),
        NumericValue::PosInfinity
    );
    assert_eq!(
        decode_numeric_i128(&numeric(0, 0xF000, 0, &[]), 2).unwrap(),
        NumericValue::NegInfinity
    );
    assert!(decode_numeric_i128(&numeric(0, 0x1234, 0, &[]), 2).is_err());
    assert!(decode_numeric_i128(&[0, 1], 2).is_err());
    // NaN and infinities are NULL in a numeric(p, s) column
    let mut decoder = decoder_for(&ColType::Decimal128 { precision: 10, scale: 2 }, 8);
    decoder.append(Some(&numeric(0, 0xC000, 0, &[]))).unwrap();
    decoder.append(Some(&numeric(0, 0xD000, 0, &[]))).unwrap();
    decoder.append(Some(&numeric(0, 0x4000, 2, &[1, 5000]))).unwrap();
    decoder.append(None).unwrap();
    let array = decoder.finish().unwrap();
    let array = array.as_primitive::<Decimal128Type>();
    assert_eq!(array.data_type(), &arrow_schema::DataType::Decimal128(10, 2));
    assert_eq!(array.null_count(), 3);
    assert_eq!(array.value(2), -150);
    let mut wide = decoder_for(&ColType::Decimal256 { precision: 50, scale: 5 }, 8);
    wide.append(Some(&numeric(0, 0x4000, 5, &[7]))).unwrap();
    let wide = wide.finish().unwrap();
    assert_eq!(wide.as_primitive::<Decimal256Type>().value(0), i256::from_i128(-700_000));
}

#[test]
fn dates_and_timestamps() {
    let mut dates = decoder_for(&ColType::Date, 4);
    dates.append(Some(&0i32.to_be_bytes())).unwrap();
    dates.append(Some(&(-10_958i32).to_be_bytes())).unwrap();
    let array = dates.finish().unwrap();
    let array = array.as_primitive::<Date32Type>();
    assert_eq!(array.values(), &[10_957, -1]);
    for infinite in [i32::MAX, i32::MIN] {
        let err = decoder_for(&ColType::Date, 1).append(Some(&infinite.to_be_bytes())).unwrap_err();
        assert!(err.message.contains("infinity"), "{err:?}");
    }
    let mut stamps = decoder_for(&ColType::Timestamptz, 4);
    stamps.append(Some(&1_000_000i64.to_be_bytes())).unwrap();
    stamps.append(None).unwrap();
    let array = stamps.finish().unwrap();
    let array = array.as_primitive::<TimestampMicrosecondType>();
    assert_eq!(array.value(0), 946_684_801_000_000);
    assert!(array.is_null(1));
    assert_eq!(array.timezone(), Some("UTC"));
    for infinite in [i64::MAX, i64::MIN] {
        let err =
            decoder_for(&ColType::Timestamp, 1).append(Some(&infinite.to_be_bytes())).unwrap_err();
        assert!(err.message.contains("infinity"), "{err:?}");
    }
    assert!(decoder_for(&ColType::Time, 1).append(Some(&86_400_000_000i64.to_be_bytes())).is_err());
    assert!(decoder_for(&ColType::Int4, 1).append(Some(&[0, 1])).is_err());
}

#[test]
fn intervals() {
    let mut raw = Vec::new();
    raw.extend_from_slice(&(-3_723_000_001i64).to_be_bytes());
    raw.extend_from_slice(&(-2i32).to_be_bytes());
    raw.extend_from_slice(&14i32.to_be_bytes());
    let mut decoder = decoder_for(&ColType::Interval, 1);
    decoder.append(Some(&raw)).unwrap();
    let array = decoder.finish().unwrap();
    let value = array.as_primitive::<IntervalMonthDayNanoType>().value(0);
    assert_eq!(value, IntervalMonthDayNano::new(14, -2, -3_723_000_001_000));
}

/// An array's binary form: dims (size, lower bound 1), elements (None = NULL).
fn pg_array(dims: &[i32], elements: &[Option<Vec<u8>>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&i32::try_from(dims.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&i32::from(elements.iter().any(Option::is_none)).to_be_bytes());
    out.extend_from_slice(&23u32.to_be_bytes());
    for dim in dims {
        out.extend_from_slice(&dim.to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
    }
    for element in elements {
        match element {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(bytes) => {
                out.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }
    out
}

fn int4(value: i32) -> Option<Vec<u8>> {
    Some(value.to_be_bytes().to_vec())
}

#[test]
fn one_dimensional_arrays_with_nulls() {
    let col = ColType::List { ndim: 1, element: Box::new(ColType::Int4) };
    let mut decoder = decoder_for(&col, 4);
    decoder.append(Some(&pg_array(&[3], &[int4(1), None, int4(3)]))).unwrap();
    decoder.append(None).unwrap();
    decoder.append(Some(&pg_array(&[], &[]))).unwrap();
    let array = decoder.finish().unwrap();
    let list = array.as_any().downcast_ref::<ListArray>().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.is_null(1));
    assert_eq!(list.value_offsets(), &[0, 3, 3, 3]);
    let values = list.values().as_primitive::<Int32Type>();
    assert_eq!(values.len(), 3);
    assert!(values.is_null(1));
    assert_eq!(values.value(2), 3);
}

#[test]
fn two_dimensional_arrays() {
    let col = ColType::List { ndim: 2, element: Box::new(ColType::Int4) };
    let mut decoder = decoder_for(&col, 4);
    // {{1,2,3},{4,NULL,6}}
    let value = pg_array(&[2, 3], &[int4(1), int4(2), int4(3), int4(4), None, int4(6)]);
    decoder.append(Some(&value)).unwrap();
    decoder.append(Some(&pg_array(&[1, 1], &[int4(7)]))).unwrap();
    let array = decoder.finish().unwrap();
    assert_eq!(array.data_type(), &crate::types::data_type(&col));
    let outer = array.as_any().downcast_ref::<ListArray>().unwrap();
    assert_eq!(outer.value_offsets(), &[0, 2, 3]);
    let inner = outer.values().as_any().downcast_ref::<ListArray>().unwrap();
    assert_eq!(inner.value_offsets(), &[0, 3, 6, 7]);
    let values = inner.values().as_primitive::<Int32Type>();
    assert!(values.is_null(4));
    assert_eq!(values.value(6), 7);
    // a 2-D value in a 1-D column is an error that says how to fix it
    let flat = ColType::List { ndim: 1, element: Box::new(ColType::Int4) };
    let err = decoder_for(&flat, 1).append(Some(&value)).unwrap_err();
    assert!(err.message.contains("2-dimensional"), "{err:?}");
    assert!(err.hint.contains("int4[][]"), "{err:?}");
    assert!(decoder_for(&flat, 1).append(Some(&value[..value.len() - 2])).is_err());
}

#[test]
fn uuid_json_and_text() {
    let mut uuids = decoder_for(&ColType::Uuid, 2);
    let raw: Vec<u8> = (0u8..16).map(|i| i * 17).collect();
    uuids.append(Some(&raw)).unwrap();
    uuids.append(None).unwrap();
    let array = uuids.finish().unwrap();
    let strings = array.as_string::<i32>();
    assert_eq!(strings.value(0), "00112233-4455-6677-8899-aabbccddeeff");
    assert!(strings.is_null(1));
    let mut jsonb = decoder_for(&ColType::Jsonb, 2);
    jsonb.append(Some(b"\x01{\"a\": 1}")).unwrap();
    assert!(jsonb.append(Some(b"\x02{}")).is_err());
    assert_eq!(jsonb.finish().unwrap().as_string::<i32>().value(0), "{\"a\": 1}");
    let mut text = decoder_for(&ColType::Text, 2);
    text.append(Some("é\n\t\\".as_bytes())).unwrap();
    text.append(Some(b"")).unwrap();
    let array = text.finish().unwrap();
    assert_eq!(array.as_string::<i32>().value(0), "é\n\t\\");
    assert_eq!(array.as_string::<i32>().value(1), "");
    assert_eq!(array.null_count(), 0);
    let mut invalid = decoder_for(&ColType::Text, 1);
    invalid.append(Some(&[0xff, 0xfe])).unwrap();
    assert!(invalid.finish().is_err());
}

#[test]
fn enums_oid_money_and_bool() {
    let mut labels = decoder_for(&ColType::Enum, 4);
    for label in [Some("ok"), None, Some("sad"), Some("ok")] {
        labels.append(label.map(str::as_bytes)).unwrap();
    }
    let array = labels.finish().unwrap();
    let dictionary = array.as_dictionary::<Int32Type>();
    assert_eq!(dictionary.values().len(), 2);
    assert_eq!(dictionary.keys().values(), &[0, 0, 1, 0]);
    let mut oids = decoder_for(&ColType::Oid, 1);
    oids.append(Some(&4_000_000_000u32.to_be_bytes())).unwrap();
    let oids = oids.finish().unwrap();
    assert_eq!(oids.as_primitive::<arrow_array::types::UInt32Type>().value(0), 4_000_000_000);
    let mut money = decoder_for(&ColType::Money { scale: 2 }, 1);
    money.append(Some(&(-1234i64).to_be_bytes())).unwrap();
    let money = money.finish().unwrap();
    assert_eq!(money.data_type(), &arrow_schema::DataType::Decimal128(19, 2));
    assert_eq!(money.as_primitive::<Decimal128Type>().value(0), -1234);
    let mut bools = decoder_for(&ColType::Bool, 3);
    bools.append(Some(&[1])).unwrap();
    bools.append(Some(&[0])).unwrap();
    bools.append(None).unwrap();
    let bools = bools.finish().unwrap();
    let bools = bools.as_boolean();
    assert!(bools.value(0) && !bools.value(1) && bools.is_null(2));
}

#[test]
fn decoders_reset_after_finish() {
    let mut decoder = decoder_for(&ColType::Text, 2);
    decoder.append(Some(b"a")).unwrap();
    assert_eq!(decoder.finish().unwrap().len(), 1);
    decoder.append(Some(b"bc")).unwrap();
    let second = decoder.finish().unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second.as_string::<i32>().value(0), "bc");
}

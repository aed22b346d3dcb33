//! PostgreSQL arrays as nested Arrow lists, one level per dimension.
//!
//! The binary form: `ndim: i32, has_nulls: i32, element_oid: u32`, then per
//! dimension `size: i32, lower_bound: i32`, then the elements in row-major
//! order, each `length: i32` (-1 for NULL) and its bytes. A column declared
//! with `ndim` dimensions becomes `ndim` nested lists; an empty array (ndim 0)
//! is an empty list. Lower bounds are not kept. A value with another number of
//! dimensions is an error naming the column (PostgreSQL does not enforce the
//! declared dimensions).

use std::sync::Arc;

use arrow_array::{ArrayRef, ListArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef};

use super::{DecodeError, DecodeResult, Decoder};
use crate::types::{ColType, field_for};

const NDIM_HINT: &str = "declare the column's dimensions (e.g. int4[][] for 2-D values) or \
                         read it as text in a query (col::text)";

/// The most dimensions PostgreSQL allows (MAXDIM).
const MAX_DIMENSIONS: usize = 6;

pub(crate) struct ListDecoder {
    ndim: usize,
    /// offsets[k]: the list offsets of nesting level k (0 = the column itself).
    offsets: Vec<Vec<i32>>,
    /// Items of the lists at level k.
    item_fields: Vec<FieldRef>,
    nulls: NullBufferBuilder,
    child: Box<dyn Decoder>,
    dims: Vec<usize>,
}

impl ListDecoder {
    pub(crate) fn new(ndim: usize, element: &ColType, child: Box<dyn Decoder>) -> Self {
        let ndim = ndim.max(1);
        let mut item_fields: Vec<FieldRef> = Vec::with_capacity(ndim);
        let mut item: FieldRef = Arc::new(field_for("item", element));
        item_fields.push(item.clone());
        for _ in 1..ndim {
            item = Arc::new(Field::new("item", DataType::List(item), true));
            item_fields.push(item.clone());
        }
        item_fields.reverse();
        ListDecoder {
            ndim,
            offsets: (0..ndim).map(|_| vec![0]).collect(),
            item_fields,
            nulls: NullBufferBuilder::new(1024),
            child,
            dims: Vec::with_capacity(MAX_DIMENSIONS),
        }
    }
}

fn malformed() -> DecodeError {
    DecodeError::with_hint(
        "malformed array binary value",
        "please report this: the server sent an unexpected binary form",
    )
}

fn too_many() -> DecodeError {
    DecodeError::with_hint(
        "more than 2^31 array elements in one batch",
        "lower batch_rows in the reader's config",
    )
}

#[inline]
fn read_i32(data: &[u8], at: usize) -> DecodeResult<i32> {
    let bytes = data.get(at..at + 4).ok_or_else(malformed)?;
    Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Append `count` lists of `length` items each to `offsets`.
fn push_lists(offsets: &mut Vec<i32>, count: usize, length: usize) -> DecodeResult<()> {
    let length = i32::try_from(length).map_err(|_| too_many())?;
    let mut last = *offsets.last().ok_or_else(malformed)?;
    offsets.reserve(count);
    for _ in 0..count {
        last = last.checked_add(length).ok_or_else(too_many)?;
        offsets.push(last);
    }
    Ok(())
}

impl Decoder for ListDecoder {
    fn append(&mut self, value: Option<&[u8]>) -> DecodeResult<()> {
        let Some(data) = value else {
            push_lists(&mut self.offsets[0], 1, 0)?;
            self.nulls.append_null();
            return Ok(());
        };
        let ndim = usize::try_from(read_i32(data, 0)?).map_err(|_| malformed())?;
        if ndim == 0 {
            push_lists(&mut self.offsets[0], 1, 0)?;
            self.nulls.append_non_null();
            return Ok(());
        }
        if ndim != self.ndim {
            let (have, read) = (ndim, self.ndim);
            return Err(DecodeError::with_hint(
                format!(
                    "a {have}-dimensional array, but the column is read as {read}-dimensional \
                     (its declared dimensions)"
                ),
                NDIM_HINT,
            ));
        }
        self.dims.clear();
        let mut at = 12;
        for _ in 0..ndim {
            let size = usize::try_from(read_i32(data, at)?).map_err(|_| malformed())?;
            self.dims.push(size);
            at += 8;
        }
        // Level k holds (d0 * ... * d(k-1)) lists of dk items each.
        let mut lists = 1usize;
        for (level, size) in self.dims.iter().enumerate() {
            push_lists(&mut self.offsets[level], lists, *size)?;
            lists = lists.checked_mul(*size).ok_or_else(too_many)?;
        }
        for _ in 0..lists {
            let length = read_i32(data, at)?;
            at += 4;
            if length < 0 {
                self.child.append(None)?;
            } else {
                let length = usize::try_from(length).map_err(|_| malformed())?;
                let element = data.get(at..at + length).ok_or_else(malformed)?;
                at += length;
                self.child.append(Some(element))?;
            }
        }
        if at != data.len() {
            return Err(malformed());
        }
        self.nulls.append_non_null();
        Ok(())
    }

    fn finish(&mut self) -> DecodeResult<ArrayRef> {
        let mut array = self.child.finish()?;
        for level in (0..self.ndim).rev() {
            let offsets = std::mem::replace(&mut self.offsets[level], vec![0]);
            // Built by push_lists: start at 0, never decrease.
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            let nulls = if level == 0 { self.nulls.finish() } else { None };
            let list =
                ListArray::try_new(self.item_fields[level].clone(), offsets, array, nulls)
                    .map_err(|e| DecodeError::new(format!("cannot build the list array: {e}")))?;
            array = Arc::new(list);
        }
        Ok(array)
    }
}

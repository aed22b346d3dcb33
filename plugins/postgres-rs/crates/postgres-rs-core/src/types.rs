//! The type map: which Arrow type each PostgreSQL column becomes, and how it travels.
//!
//! Every column is read with binary COPY. Types with a binary decoder here are
//! selected as they are; every other type is selected as `col::text` (inet as
//! `abbrev(col)`; arrays of them as `col::text[]`, element by element, inet and
//! cidr arrays as `col::text::text[]`), so the server sends
//! its text form and the column is an Arrow string: a type the reader does not
//! know is never a crash. See the
//! README for the table and the rules (numeric NaN, arrays, infinities).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, IntervalUnit, TimeUnit};
use postgres::types::{Kind, Type};

use crate::sql::quote_ident;

/// decimal128 holds 38 digits, decimal256 76.
pub const MAX_DECIMAL128_PRECISION: u8 = 38;
pub const MAX_DECIMAL256_PRECISION: u8 = 76;

/// How a value (or an array element) is decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColType {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    /// UTF-8 text: text, varchar, bpchar, name, and every type read in its text form.
    Text,
    Json,
    /// jsonb's binary form: a version byte (1), then the text.
    Jsonb,
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Decimal128 {
        precision: u8,
        scale: i8,
    },
    Decimal256 {
        precision: u8,
        scale: i8,
    },
    /// money: int8 minor units, read as decimal128(19, scale).
    Money {
        scale: i8,
    },
    Uuid,
    /// An enum label, dictionary-encoded.
    Enum,
    /// A PostgreSQL array of `element`, as `ndim` nested Arrow lists.
    List {
        ndim: usize,
        element: Box<ColType>,
    },
}

/// What the COPY's SELECT list holds for a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    /// The column as it is (binary form).
    Plain,
    /// `col::text`: the server's text form.
    Text,
    /// `abbrev(col)` for inet: its output form (`col::text` would always add the
    /// netmask, `10.0.0.1/32`, unlike the output function and psql).
    InetText,
    /// `col::text[]`: an array of the elements' text forms, cast element by element
    /// (an I/O conversion: each element's output function, whatever the type's
    /// array delimiter, e.g. `;` for box).
    TextArray,
    /// `col::text::text[]` for arrays of inet and cidr: through the array's text,
    /// so each element is printed by its output function (an element cast to text
    /// would gain a netmask, `10.0.0.1/32`). Their delimiter is a comma.
    InetTextArray,
}

/// One column of the source: its name, how it is selected and decoded.
#[derive(Clone, Debug)]
pub struct ColumnPlan {
    pub name: String,
    pub col_type: ColType,
    pub select: Select,
    /// The PostgreSQL type name, for messages.
    pub pg_type: String,
}

impl ColumnPlan {
    /// The SELECT-list expression.
    pub fn select_expression(&self) -> String {
        let column = quote_ident(&self.name);
        match self.select {
            Select::Plain => column,
            Select::Text => format!("{column}::text"),
            Select::InetText => format!("pg_catalog.abbrev({column})"),
            Select::TextArray => format!("{column}::text[]"),
            Select::InetTextArray => format!("{column}::text::text[]"),
        }
    }

    /// The Arrow field.
    pub fn field(&self) -> Field {
        field_for(&self.name, &self.col_type)
    }
}

/// The Arrow field of a value of `col_type` named `name` (always nullable).
pub fn field_for(name: &str, col_type: &ColType) -> Field {
    let field = Field::new(name, data_type(col_type), true);
    match col_type {
        ColType::Json | ColType::Jsonb => field.with_metadata(HashMap::from([
            ("ARROW:extension:name".to_string(), "arrow.json".to_string()),
            ("ARROW:extension:metadata".to_string(), "{}".to_string()),
        ])),
        _ => field,
    }
}

/// The Arrow type of `col_type`.
pub fn data_type(col_type: &ColType) -> DataType {
    match col_type {
        ColType::Bool => DataType::Boolean,
        ColType::Int2 => DataType::Int16,
        ColType::Int4 => DataType::Int32,
        ColType::Int8 => DataType::Int64,
        ColType::Oid => DataType::UInt32,
        ColType::Float4 => DataType::Float32,
        ColType::Float8 => DataType::Float64,
        ColType::Text | ColType::Json | ColType::Jsonb | ColType::Uuid => DataType::Utf8,
        ColType::Bytea => DataType::Binary,
        ColType::Date => DataType::Date32,
        ColType::Time => DataType::Time64(TimeUnit::Microsecond),
        ColType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColType::Timestamptz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ColType::Interval => DataType::Interval(IntervalUnit::MonthDayNano),
        ColType::Decimal128 { precision, scale } => DataType::Decimal128(*precision, *scale),
        ColType::Decimal256 { precision, scale } => DataType::Decimal256(*precision, *scale),
        ColType::Money { scale } => DataType::Decimal128(19, *scale),
        ColType::Enum => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        ColType::List { ndim, element } => {
            let mut item = field_for("item", element);
            for _ in 1..*ndim {
                item = Field::new("item", DataType::List(Arc::new(item)), true);
            }
            DataType::List(Arc::new(item))
        }
    }
}

/// A domain's base type (domains of domains included); other types as they are.
pub fn base_type(ty: &Type) -> &Type {
    let mut ty = ty;
    while let Kind::Domain(base) = ty.kind() {
        ty = base;
    }
    ty
}

/// numeric's (precision, scale) from its typmod; None without one.
pub fn numeric_typmod(typmod: i32) -> Option<(i32, i32)> {
    if typmod < 4 {
        return None;
    }
    let packed = typmod - 4;
    let precision = (packed >> 16) & 0xffff;
    // The scale is an 11-bit signed number since PostgreSQL 15 (negative scales).
    let scale = ((packed & 0x7ff) ^ 1024) - 1024;
    Some((precision, scale))
}

/// Does reading this column need the server's money scale?
pub fn uses_money(ty: &Type) -> bool {
    let ty = base_type(ty);
    match ty.kind() {
        Kind::Array(element) => *base_type(element) == Type::MONEY,
        _ => *ty == Type::MONEY,
    }
}

/// The plan of a result column: its type (domains resolved), typmod, the number of
/// array dimensions declared for the table column (None or 0: unknown, read as 1),
/// and the server's money scale.
pub fn plan_column(
    name: &str,
    ty: &Type,
    typmod: i32,
    ndim: Option<i32>,
    money_scale: i8,
) -> ColumnPlan {
    let ty = base_type(ty);
    let pg_type = ty.name().to_string();
    let (col_type, select) = match ty.kind() {
        Kind::Array(element) => {
            let ndim = match ndim {
                Some(n) if n > 0 => usize::try_from(n).unwrap_or(1),
                _ => 1,
            };
            match binary_type(base_type(element), typmod, money_scale) {
                Some(element) => {
                    (ColType::List { ndim, element: Box::new(element) }, Select::Plain)
                }
                None => {
                    let element_type = base_type(element);
                    let select = if *element_type == Type::INET || *element_type == Type::CIDR {
                        Select::InetTextArray
                    } else {
                        Select::TextArray
                    };
                    (ColType::List { ndim, element: Box::new(ColType::Text) }, select)
                }
            }
        }
        _ => match binary_type(ty, typmod, money_scale) {
            Some(col_type) => (col_type, Select::Plain),
            None if *ty == Type::INET => (ColType::Text, Select::InetText),
            None => (ColType::Text, Select::Text),
        },
    };
    ColumnPlan { name: name.to_string(), col_type, select, pg_type }
}

/// The decoder for a scalar type read in binary, or None to read its text form.
fn binary_type(ty: &Type, typmod: i32, money_scale: i8) -> Option<ColType> {
    if let Kind::Enum(_) = ty.kind() {
        return Some(ColType::Enum);
    }
    let col_type = match *ty {
        Type::BOOL => ColType::Bool,
        Type::INT2 => ColType::Int2,
        Type::INT4 => ColType::Int4,
        Type::INT8 => ColType::Int8,
        Type::OID => ColType::Oid,
        Type::FLOAT4 => ColType::Float4,
        Type::FLOAT8 => ColType::Float8,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => ColType::Text,
        Type::JSON => ColType::Json,
        Type::JSONB => ColType::Jsonb,
        Type::BYTEA => ColType::Bytea,
        Type::DATE => ColType::Date,
        Type::TIME => ColType::Time,
        Type::TIMESTAMP => ColType::Timestamp,
        Type::TIMESTAMPTZ => ColType::Timestamptz,
        Type::INTERVAL => ColType::Interval,
        Type::MONEY => ColType::Money { scale: money_scale },
        Type::UUID => ColType::Uuid,
        Type::NUMERIC => return numeric_type(typmod),
        _ => return None,
    };
    Some(col_type)
}

/// numeric(p, s) with 0 <= s <= p: decimal128 up to 38 digits, decimal256 up to 76.
/// Without a typmod, or beyond, the exact text.
fn numeric_type(typmod: i32) -> Option<ColType> {
    let (precision, scale) = numeric_typmod(typmod)?;
    if precision < 1 || scale < 0 || scale > precision {
        return None;
    }
    let precision = u8::try_from(precision).ok()?;
    let scale = i8::try_from(scale).ok()?;
    if precision <= MAX_DECIMAL128_PRECISION {
        Some(ColType::Decimal128 { precision, scale })
    } else if precision <= MAX_DECIMAL256_PRECISION {
        Some(ColType::Decimal256 { precision, scale })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(precision: i32, scale: i32) -> i32 {
        ((precision << 16) | (scale & 0x7ff)) + 4
    }

    #[test]
    fn numeric_typmods() {
        assert_eq!(numeric_typmod(-1), None);
        assert_eq!(numeric_typmod(typmod(15, 2)), Some((15, 2)));
        assert_eq!(numeric_typmod(typmod(5, -2)), Some((5, -2)));
        assert_eq!(
            numeric_type(typmod(38, 10)),
            Some(ColType::Decimal128 { precision: 38, scale: 10 })
        );
        assert_eq!(
            numeric_type(typmod(50, 5)),
            Some(ColType::Decimal256 { precision: 50, scale: 5 })
        );
        assert_eq!(numeric_type(typmod(80, 5)), None);
        assert_eq!(numeric_type(typmod(5, -2)), None);
        assert_eq!(numeric_type(typmod(3, 5)), None);
        assert_eq!(numeric_type(-1), None);
    }

    #[test]
    fn plans() {
        let plan = plan_column("a", &Type::INT4_ARRAY, -1, Some(2), 2);
        assert_eq!(plan.col_type, ColType::List { ndim: 2, element: Box::new(ColType::Int4) });
        let inner = DataType::List(Arc::new(Field::new("item", DataType::Int32, true)));
        let outer = DataType::List(Arc::new(Field::new("item", inner, true)));
        assert_eq!(plan.field().data_type(), &outer);
        let inet = plan_column("i", &Type::INET, -1, None, 2);
        assert_eq!((inet.col_type.clone(), inet.select), (ColType::Text, Select::InetText));
        assert_eq!(inet.select_expression(), "pg_catalog.abbrev(\"i\")");
        let range = plan_column("r", &Type::INT4_RANGE, -1, None, 2);
        assert_eq!(range.select_expression(), "\"r\"::text");
        let inets = plan_column("i", &Type::INET_ARRAY, -1, Some(0), 2);
        assert_eq!(inets.select, Select::InetTextArray);
        assert_eq!(inets.select_expression(), "\"i\"::text::text[]");
        assert_eq!(inets.col_type, ColType::List { ndim: 1, element: Box::new(ColType::Text) });
        let boxes = plan_column("b", &Type::BOX_ARRAY, -1, Some(1), 2);
        assert_eq!(boxes.select_expression(), "\"b\"::text[]");
        let money = plan_column("m", &Type::MONEY, -1, None, 2);
        assert_eq!(money.field().data_type(), &DataType::Decimal128(19, 2));
        let json = plan_column("j", &Type::JSONB, -1, None, 2).field();
        assert_eq!(json.metadata()["ARROW:extension:name"], "arrow.json");
    }
}

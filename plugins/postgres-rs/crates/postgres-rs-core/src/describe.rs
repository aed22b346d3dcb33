//! Describe the source: `SELECT <columns> FROM <source> LIMIT 0`, prepared, never run
//! for rows. The result columns' types, typmods and origins give each column's plan.

use std::collections::HashSet;

use postgres::Client;
use postgres::types::Kind;

use crate::error::{Error, Result};
use crate::sql::{Source, quote_ident};
use crate::types::{ColumnPlan, base_type, plan_column, uses_money};

/// The plans of the source's columns (all of them, or `columns` in that order).
pub fn describe(
    client: &mut Client,
    source: &Source,
    columns: Option<&[String]>,
) -> Result<Vec<ColumnPlan>> {
    let subject = source.subject();
    let select = match columns {
        Some(names) => names.iter().map(|n| quote_ident(n)).collect::<Vec<_>>().join(", "),
        None => "*".to_string(),
    };
    let statement = format!("SELECT {select} FROM {} LIMIT 0", source.sql_from());
    let prepared = client.prepare(&statement).map_err(|e| Error::from_pg(&e, &subject))?;
    let described = prepared.columns();
    if described.is_empty() {
        return Err(Error::config(format!("{subject} returns no columns"), "select some columns"));
    }
    let mut seen = HashSet::new();
    let mut repeated: Vec<&str> =
        described.iter().map(|c| c.name()).filter(|name| !seen.insert(*name)).collect();
    if !repeated.is_empty() {
        repeated.sort_unstable();
        repeated.dedup();
        return Err(Error::config(
            format!("{subject} returns these column names more than once: {repeated:?}"),
            "give each column its own name with AS",
        ));
    }
    let money_scale = if described.iter().any(|c| uses_money(c.type_())) {
        money_scale(client, &subject)?
    } else {
        2
    };
    let mut plans = Vec::with_capacity(described.len());
    for column in described {
        let ndim = match (base_type(column.type_()).kind(), column.table_oid(), column.column_id())
        {
            (Kind::Array(_), Some(table), Some(attnum)) if table != 0 && attnum > 0 => {
                declared_dimensions(client, table, attnum, &subject)?
            }
            _ => None,
        };
        plans.push(plan_column(
            column.name(),
            column.type_(),
            column.type_modifier(),
            ndim,
            money_scale,
        ));
    }
    Ok(plans)
}

/// attndims of a table column: the dimensions its declaration names (0: none).
fn declared_dimensions(
    client: &mut Client,
    table: u32,
    attnum: i16,
    subject: &str,
) -> Result<Option<i32>> {
    let row = client
        .query_opt(
            "SELECT attndims::int4 FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum = $2",
            &[&table, &attnum],
        )
        .map_err(|e| Error::from_pg(&e, subject))?;
    match row {
        Some(row) => row
            .try_get::<_, i32>(0)
            .map(Some)
            .map_err(|e| Error::internal(format!("reading attndims: {e}"))),
        None => Ok(None),
    }
}

/// The fraction digits of money in this session (lc_monetary), usually 2.
fn money_scale(client: &mut Client, subject: &str) -> Result<i8> {
    let row = client
        .query_one("SELECT pg_catalog.scale(1::money::numeric)::int4", &[])
        .map_err(|e| Error::from_pg(&e, subject))?;
    let scale: i32 =
        row.try_get(0).map_err(|e| Error::internal(format!("reading money scale: {e}")))?;
    i8::try_from(scale).map_err(|_| Error::internal(format!("money has {scale} fraction digits")))
}

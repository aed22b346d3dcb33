//! Parallel reads: split the source into N partitions read by N connections in one snapshot.
//!
//! With `partition_column` (an integer column), [min, max] is split into N
//! contiguous ranges (`col >= a AND col < b`, the last `col >= a AND col <= max`);
//! rows whose column is NULL go to the first partition. Without it, a table is
//! split into ranges of its blocks by ctid (`ctid >= '(a,0)' AND ctid < '(b,0)'`,
//! a TID range scan since PostgreSQL 14); the last range is open-ended. Fewer
//! partitions are used when there are fewer values or blocks than N.

use postgres::Client;
use postgres::types::Type;

use crate::error::{Error, Result};
use crate::sql::{ALIAS, Source, quote_literal, source_column};
use crate::types::base_type;

/// How the source is split.
#[derive(Clone, Debug)]
pub enum Partitioning {
    /// One connection reads everything.
    Single,
    /// Ranges of an integer column.
    Column { name: String },
    /// Ranges of the table's blocks (`blocks` at open time).
    Ctid { blocks: u64 },
}

/// Decide how to split the source into `partitions` (validated at open, so a bad
/// choice is a config error before any data is read).
pub fn choose(
    client: &mut Client,
    source: &Source,
    partitions: usize,
    partition_column: Option<&str>,
) -> Result<Partitioning> {
    if partitions <= 1 {
        return Ok(Partitioning::Single);
    }
    let subject = source.subject();
    if let Some(column) = partition_column {
        let statement =
            format!("SELECT {} FROM {} LIMIT 0", source_column(column), source.sql_from());
        let prepared =
            client.prepare(&statement).map_err(|e| match Error::from_pg(&e, &subject) {
                Error::Config { message, .. } => Error::config(
                    format!("partition_column '{column}' is not usable: {message}"),
                    "name an integer column of the table or query",
                ),
                other => other,
            })?;
        let ty = prepared.columns().first().map(|c| base_type(c.type_()).clone());
        return match ty {
            Some(Type::INT2 | Type::INT4 | Type::INT8) => {
                Ok(Partitioning::Column { name: column.to_string() })
            }
            other => Err(Error::config(
                format!(
                    "partition_column '{column}' has type {}; it must be an integer column \
                     (smallint, integer or bigint)",
                    other.map(|t| t.name().to_string()).unwrap_or_else(|| "unknown".into())
                ),
                "name an integer column, or leave partition_column out to split a table by ctid",
            )),
        };
    }
    let Some(table) = source.table_identifier() else {
        return Err(Error::config(
            "partitions > 1 with a query needs partition_column",
            "set partition_column to an integer column of the query's result",
        ));
    };
    let row = client
        .query_one(
            "SELECT c.relkind::text, \
             (pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int8)::int8 \
             FROM pg_catalog.pg_class c WHERE c.oid = $1::text::regclass",
            &[&table],
        )
        .map_err(|e| Error::from_pg(&e, &subject))?;
    let relkind: String = row.try_get(0).map_err(|e| Error::internal(e.to_string()))?;
    let blocks: i64 = row.try_get(1).map_err(|e| Error::internal(e.to_string()))?;
    if relkind != "r" && relkind != "m" {
        let what = match relkind.as_str() {
            "v" => "a view",
            "p" => "a partitioned table",
            "f" => "a foreign table",
            _ => "not a plain table",
        };
        return Err(Error::config(
            format!("{subject} is {what}: splitting by ctid needs a plain table"),
            "set partition_column to an integer column to split by its ranges",
        ));
    }
    Ok(Partitioning::Ctid { blocks: u64::try_from(blocks).unwrap_or(0) })
}

/// The WHERE predicate of each partition (one `None` for a single read).
pub fn predicates(
    client: &mut Client,
    partitioning: &Partitioning,
    partitions: usize,
    source: &Source,
    cursor_predicate: Option<&str>,
) -> Result<Vec<Option<String>>> {
    match partitioning {
        Partitioning::Single => Ok(vec![None]),
        Partitioning::Ctid { blocks } => Ok(ctid_ranges(*blocks, partitions)),
        Partitioning::Column { name } => {
            let column = source_column(name);
            let mut statement = format!(
                "SELECT min({column})::int8, max({column})::int8 FROM {}",
                source.sql_from()
            );
            if let Some(predicate) = cursor_predicate {
                statement.push_str(&format!(" WHERE {predicate}"));
            }
            let row = client
                .query_one(statement.as_str(), &[])
                .map_err(|e| Error::from_pg(&e, &source.subject()))?;
            let min: Option<i64> = row.try_get(0).map_err(|e| Error::internal(e.to_string()))?;
            let max: Option<i64> = row.try_get(1).map_err(|e| Error::internal(e.to_string()))?;
            Ok(match (min, max) {
                (Some(min), Some(max)) => column_ranges(&column, min, max, partitions),
                _ => vec![None],
            })
        }
    }
}

/// Ranges of an integer column; NULLs go to the first partition.
pub fn column_ranges(column: &str, min: i64, max: i64, partitions: usize) -> Vec<Option<String>> {
    let span = i128::from(max) - i128::from(min) + 1;
    let count = i128::try_from(partitions).unwrap_or(1).clamp(1, span.max(1));
    if count <= 1 {
        return vec![None];
    }
    let bound = |k: i128| i128::from(min) + span * k / count;
    (0..count)
        .map(|k| {
            let low = bound(k);
            let range = if k == count - 1 {
                format!("{column} >= {low} AND {column} <= {max}")
            } else {
                format!("{column} >= {low} AND {column} < {}", bound(k + 1))
            };
            Some(if k == 0 { format!("({range}) OR {column} IS NULL") } else { range })
        })
        .collect()
}

/// Ranges of blocks by ctid; the last is open-ended (rows in blocks added later are
/// not in the snapshot anyway).
pub fn ctid_ranges(blocks: u64, partitions: usize) -> Vec<Option<String>> {
    let count = u64::try_from(partitions).unwrap_or(1).clamp(1, blocks.max(1));
    if count <= 1 {
        return vec![None];
    }
    let ctid = format!("{ALIAS}.ctid");
    let tid = |block: u64| format!("{}::tid", quote_literal(&format!("({block},0)")));
    let bound = |k: u64| u128::from(blocks) * u128::from(k) / u128::from(count);
    (0..count)
        .map(|k| {
            let low = u64::try_from(bound(k)).unwrap_or(u64::MAX);
            let high = u64::try_from(bound(k + 1)).unwrap_or(u64::MAX);
            Some(if k == 0 {
                format!("{ctid} < {}", tid(high))
            } else if k == count - 1 {
                format!("{ctid} >= {}", tid(low))
            } else {
                format!("{ctid} >= {} AND {ctid} < {}", tid(low), tid(high))
            })
        })
        .collect()
}

/// `_dativo_source."cursor" > <after>`, the incremental filter.
pub fn cursor_predicate(cursor_field: &str, after_sql: &str) -> String {
    format!("{} > {after_sql}", source_column(cursor_field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_ranges_cover_min_to_max() {
        let ranges = column_ranges("c", 1, 10, 3);
        assert_eq!(
            ranges,
            vec![
                Some("(c >= 1 AND c < 4) OR c IS NULL".to_string()),
                Some("c >= 4 AND c < 7".to_string()),
                Some("c >= 7 AND c <= 10".to_string()),
            ]
        );
        assert_eq!(column_ranges("c", 5, 5, 4), vec![None]);
        assert_eq!(column_ranges("c", 1, 2, 8).len(), 2);
        let extreme = column_ranges("c", i64::MIN, i64::MAX, 2);
        assert_eq!(extreme.len(), 2);
        assert!(extreme[1].as_deref().unwrap().ends_with(&format!("<= {}", i64::MAX)));
    }

    #[test]
    fn ctid_ranges_split_blocks() {
        assert_eq!(ctid_ranges(0, 4), vec![None]);
        assert_eq!(ctid_ranges(1, 4), vec![None]);
        let ranges = ctid_ranges(10, 2);
        assert_eq!(
            ranges,
            vec![
                Some("_dativo_source.ctid < '(5,0)'::tid".to_string()),
                Some("_dativo_source.ctid >= '(5,0)'::tid".to_string()),
            ]
        );
        assert_eq!(
            ctid_ranges(10, 3)[1].as_deref(),
            Some("_dativo_source.ctid >= '(3,0)'::tid AND _dativo_source.ctid < '(6,0)'::tid")
        );
    }
}

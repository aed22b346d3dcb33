//! SQL text: quoting identifiers, naming the source, and the statements the reader runs.

/// What to read: a table (or view) by name, or the result of a query.
#[derive(Clone, Debug)]
pub enum Source {
    /// `schema.name` (schema optional), taken literally: quoted, case-sensitive.
    Table { schema: Option<String>, name: String },
    /// A SELECT, run as a subquery.
    Query(String),
}

/// The alias of the source in every statement, so WHERE and ORDER BY can name
/// the source's columns unambiguously (an output column such as `"c"::text`
/// is also named `c`).
pub(crate) const ALIAS: &str = "_dativo_source";

/// `"name"`, with embedded double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for ch in name.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// `'text'`, with embedded single quotes doubled (standard_conforming_strings is on
/// in every supported server).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Source {
    /// How messages name the source (never anything from the URL).
    pub fn subject(&self) -> String {
        match self {
            Source::Table { schema: Some(schema), name } => format!("table {schema}.{name}"),
            Source::Table { schema: None, name } => format!("table {name}"),
            Source::Query(_) => "the query".to_string(),
        }
    }

    /// The quoted table name (`"schema"."name"`), for table sources.
    pub(crate) fn table_identifier(&self) -> Option<String> {
        match self {
            Source::Table { schema: Some(schema), name } => {
                Some(format!("{}.{}", quote_ident(schema), quote_ident(name)))
            }
            Source::Table { schema: None, name } => Some(quote_ident(name)),
            Source::Query(_) => None,
        }
    }

    /// `<source> AS _dativo_source`, for a FROM clause.
    pub(crate) fn sql_from(&self) -> String {
        match (self, self.table_identifier()) {
            (_, Some(table)) => format!("{table} AS {ALIAS}"),
            (Source::Query(query), None) => {
                let query = query.trim().trim_end_matches(|c: char| c == ';' || c.is_whitespace());
                // The newline keeps a trailing "-- comment" from swallowing the parenthesis.
                format!("({query}\n) AS {ALIAS}")
            }
            (Source::Table { .. }, None) => unreachable!("a table source always has an identifier"),
        }
    }
}

/// `_dativo_source."column"`: a column of the source, never an output column.
pub(crate) fn source_column(name: &str) -> String {
    format!("{ALIAS}.{}", quote_ident(name))
}

/// The COPY statement of one partition.
pub(crate) fn copy_statement(
    select_list: &str,
    source: &Source,
    predicates: &[String],
    order_by: Option<&str>,
) -> String {
    let mut query = format!("SELECT {select_list} FROM {}", source.sql_from());
    if !predicates.is_empty() {
        let joined: Vec<String> = predicates.iter().map(|p| format!("({p})")).collect();
        query.push_str(" WHERE ");
        query.push_str(&joined.join(" AND "));
    }
    if let Some(column) = order_by {
        query.push_str(" ORDER BY ");
        query.push_str(&source_column(column));
    }
    format!("COPY ({query}) TO STDOUT (FORMAT binary)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_escaped() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        let table = Source::Table { schema: Some("S".into()), name: "t x".into() };
        assert_eq!(table.sql_from(), "\"S\".\"t x\" AS _dativo_source");
        let query = Source::Query("select 1 -- note\n;; ".into());
        assert_eq!(query.sql_from(), "(select 1 -- note\n) AS _dativo_source");
    }

    #[test]
    fn copy_statement_shape() {
        let source = Source::Table { schema: None, name: "t".into() };
        let sql = copy_statement("\"a\"", &source, &["x > 1".into()], Some("a"));
        assert_eq!(
            sql,
            "COPY (SELECT \"a\" FROM \"t\" AS _dativo_source WHERE (x > 1) \
             ORDER BY _dativo_source.\"a\") TO STDOUT (FORMAT binary)"
        );
    }
}

//! Queries over records (issue 12's document database): a small, Mongo-like JSON syntax,
//! parsed with clear errors, evaluated over a [`RecordSet`] with secondary indexes.
//!
//! ```text
//! {
//!   "where":  { "done": false, "priority": { "$gte": 2 }, "tags": { "$in": ["a", "b"] },
//!               "$or": [ { "owner.name": { "$prefix": "Al" } }, { "due": { "$exists": false } } ] },
//!   "sort":   ["-priority", "title"],
//!   "limit":  10,
//!   "offset": 0
//! }
//! ```
//!
//! `where`: field paths are dot-separated; a plain value means equality; operators `$eq $ne
//! $gt $gte $lt $lte $in $nin $exists $prefix`; `$and` / `$or` take arrays of filters; the
//! entries of one object must all hold. Values compare in one order: null < booleans <
//! numbers (integers and floats by value) < strings < bytes < arrays < objects; ranges only
//! match values of the same kind. `sort`: field paths, `-` for descending; records without
//! the field come first; ties go by record id. Everything but `where` is optional.

mod collection;
mod filter;
mod key;
mod records;

pub use collection::{Collection, CollectionError, WatchId, WatchUpdate};
pub use filter::{Condition, Filter, Path};
pub use key::{compare, Key};
pub use records::{Plan, RecordSet};

use crate::value::Value;

/// A query that does not parse: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad query at `{at}`: {why}")]
pub struct QueryError {
    /// The part of the query at fault.
    pub at: String,
    /// What is wrong with it.
    pub why: String,
}

impl QueryError {
    pub(crate) fn new(at: &str, why: &str) -> QueryError {
        QueryError {
            at: at.to_owned(),
            why: why.to_owned(),
        }
    }
}

/// A sort key: a field, ascending or descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The field.
    pub path: Path,
    /// Descending.
    pub descending: bool,
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Which records.
    pub filter: Filter,
    /// In which order.
    pub sort: Vec<SortKey>,
    /// At most this many.
    pub limit: Option<usize>,
    /// After skipping this many.
    pub offset: usize,
}

impl Query {
    /// Parses a query object (see the module documentation).
    pub fn parse(value: &Value) -> Result<Query, QueryError> {
        let Value::Object(parts) = value else {
            return Err(QueryError::new("query", "a query is an object"));
        };
        let mut query = Query {
            filter: Filter::All,
            sort: Vec::new(),
            limit: None,
            offset: 0,
        };
        for (key, v) in parts {
            match key.as_str() {
                "where" => query.filter = Filter::parse(v)?,
                "sort" => {
                    let Value::Array(keys) = v else {
                        return Err(QueryError::new("sort", "an array of field paths"));
                    };
                    for k in keys {
                        let Value::Str(s) = k else {
                            return Err(QueryError::new("sort", "field paths are strings"));
                        };
                        let (descending, field) = match s.strip_prefix('-') {
                            Some(rest) => (true, rest),
                            None => (false, s.as_str()),
                        };
                        query.sort.push(SortKey {
                            path: Path::parse(field)?,
                            descending,
                        });
                    }
                }
                "limit" => query.limit = Some(count("limit", v)?),
                "offset" => query.offset = count("offset", v)?,
                other => {
                    return Err(QueryError::new(
                        other,
                        "unknown part (where, sort, limit, offset)",
                    ))
                }
            }
        }
        Ok(query)
    }
}

/// A non-negative integer of a query.
fn count(at: &str, v: &Value) -> Result<usize, QueryError> {
    let n = match v {
        Value::I64(n) => Some(*n),
        Value::F64(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15 => Some(*f as i64),
        _ => None,
    };
    n.and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| QueryError::new(at, "a non-negative integer"))
}

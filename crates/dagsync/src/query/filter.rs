//! Filters: the `where` part of a query, parsed from a JSON-like value.

use std::cmp::Ordering;
use std::fmt;

use crate::value::Value;

use super::key::{class, compare};
use super::QueryError;

/// A dotted path into a record (`"address.city"`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<String>);

impl Path {
    /// Parses `"a.b.c"`; every segment must be non-empty.
    pub fn parse(s: &str) -> Result<Path, QueryError> {
        if s.is_empty() || s.split('.').any(str::is_empty) || s.starts_with('$') {
            return Err(QueryError::new(s, "a field path is dot-separated names"));
        }
        Ok(Path(s.split('.').map(str::to_owned).collect()))
    }

    /// The value at this path in `record`, if any.
    pub fn get<'a>(&self, record: &'a Value) -> Option<&'a Value> {
        let mut at = record;
        for key in &self.0 {
            match at {
                Value::Object(map) => at = map.get(key)?,
                _ => return None,
            }
        }
        Some(at)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// A condition on one field.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Equal to.
    Eq(Value),
    /// Not equal to (true for a missing field).
    Ne(Value),
    /// Greater than.
    Gt(Value),
    /// Greater than or equal to.
    Gte(Value),
    /// Less than.
    Lt(Value),
    /// Less than or equal to.
    Lte(Value),
    /// Equal to one of.
    In(Vec<Value>),
    /// Equal to none of (true for a missing field).
    Nin(Vec<Value>),
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// A string starting with.
    Prefix(String),
}

impl Condition {
    /// Whether a field's value (`None`: missing) satisfies the condition.
    pub fn holds(&self, value: Option<&Value>) -> bool {
        let cmp = |other: &Value| value.map(|v| compare(v, other));
        // Ranges compare only within a type class (numbers with numbers, strings with strings).
        let same_class = |other: &Value| value.is_some_and(|v| class(v) == class(other));
        match self {
            Condition::Eq(x) => cmp(x) == Some(Ordering::Equal),
            Condition::Ne(x) => cmp(x) != Some(Ordering::Equal),
            Condition::Gt(x) => same_class(x) && cmp(x) == Some(Ordering::Greater),
            Condition::Gte(x) => same_class(x) && cmp(x) != Some(Ordering::Less),
            Condition::Lt(x) => same_class(x) && cmp(x) == Some(Ordering::Less),
            Condition::Lte(x) => same_class(x) && cmp(x) != Some(Ordering::Greater),
            Condition::In(xs) => xs.iter().any(|x| cmp(x) == Some(Ordering::Equal)),
            Condition::Nin(xs) => !xs.iter().any(|x| cmp(x) == Some(Ordering::Equal)),
            Condition::Exists(want) => value.is_some() == *want,
            Condition::Prefix(p) => {
                matches!(value, Some(Value::Str(s)) if s.starts_with(p.as_str()))
            }
        }
    }
}

/// A filter over records.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Every record.
    All,
    /// A condition on a field.
    Field(Path, Condition),
    /// All of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
}

impl Filter {
    /// Whether `record` passes.
    pub fn matches(&self, record: &Value) -> bool {
        match self {
            Filter::All => true,
            Filter::Field(path, condition) => condition.holds(path.get(record)),
            Filter::And(fs) => fs.iter().all(|f| f.matches(record)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(record)),
        }
    }

    /// Parses a filter object: `{"field": value}` (equality), `{"field": {"$op": ...}}`,
    /// `{"$and": [...]}`, `{"$or": [...]}`; several entries of one object must all hold.
    pub fn parse(value: &Value) -> Result<Filter, QueryError> {
        let Value::Object(entries) = value else {
            return Err(QueryError::new("where", "a filter is an object"));
        };
        let mut all = Vec::new();
        for (key, v) in entries {
            match key.as_str() {
                "$and" | "$or" => {
                    let Value::Array(items) = v else {
                        return Err(QueryError::new(key, "takes an array of filters"));
                    };
                    if items.is_empty() {
                        return Err(QueryError::new(key, "takes at least one filter"));
                    }
                    let parts = items.iter().map(Filter::parse).collect::<Result<_, _>>()?;
                    all.push(if key == "$and" {
                        Filter::And(parts)
                    } else {
                        Filter::Or(parts)
                    });
                }
                k if k.starts_with('$') => {
                    return Err(QueryError::new(
                        k,
                        "unknown operator (use $and or $or here)",
                    ))
                }
                field => {
                    let path = Path::parse(field)?;
                    for condition in parse_conditions(field, v)? {
                        all.push(Filter::Field(path.clone(), condition));
                    }
                }
            }
        }
        Ok(match all.len() {
            0 => Filter::All,
            1 => all.pop().unwrap_or(Filter::All),
            _ => Filter::And(all),
        })
    }
}

/// The conditions of one field: a plain value is equality; an object of `$` operators is
/// their conjunction (an object without operators is equality with that object).
fn parse_conditions(field: &str, v: &Value) -> Result<Vec<Condition>, QueryError> {
    let Value::Object(ops) = v else {
        return Ok(vec![Condition::Eq(v.clone())]);
    };
    if ops.is_empty() || !ops.keys().any(|k| k.starts_with('$')) {
        return Ok(vec![Condition::Eq(v.clone())]);
    }
    let at = |op: &str| format!("{field}.{op}");
    let list = |op: &str, x: &Value| match x {
        Value::Array(items) => Ok(items.clone()),
        _ => Err(QueryError::new(&at(op), "takes an array")),
    };
    ops.iter()
        .map(|(op, x)| {
            Ok(match op.as_str() {
                "$eq" => Condition::Eq(x.clone()),
                "$ne" => Condition::Ne(x.clone()),
                "$gt" => Condition::Gt(x.clone()),
                "$gte" => Condition::Gte(x.clone()),
                "$lt" => Condition::Lt(x.clone()),
                "$lte" => Condition::Lte(x.clone()),
                "$in" => Condition::In(list(op, x)?),
                "$nin" => Condition::Nin(list(op, x)?),
                "$exists" => match x {
                    Value::Bool(b) => Condition::Exists(*b),
                    _ => return Err(QueryError::new(&at(op), "takes true or false")),
                },
                "$prefix" => match x {
                    Value::Str(s) => Condition::Prefix(s.clone()),
                    _ => return Err(QueryError::new(&at(op), "takes a string")),
                },
                other => {
                    return Err(QueryError::new(
                        &at(other),
                        "unknown operator ($eq $ne $gt $gte $lt $lte $in $nin $exists $prefix)",
                    ))
                }
            })
        })
        .collect()
}

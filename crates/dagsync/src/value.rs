//! Plain values stored in containers.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A plain (non-container) value: what JSON can hold, plus 64-bit integers and bytes.
///
/// Values have a total order (floats by `total_cmp`) so they can be members of sets.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A 64-bit float (JS `number`).
    F64(f64),
    /// A 64-bit signed integer (JS `bigint`).
    I64(i64),
    /// A UTF-8 string.
    Str(String),
    /// Raw bytes (JS `Uint8Array`).
    Bytes(Vec<u8>),
    /// An array of values (an opaque value, not a List container).
    Array(Vec<Value>),
    /// An object of values (an opaque value, not a Map container).
    Object(BTreeMap<String, Value>),
}

impl Value {
    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::F64(_) => 2,
            Value::I64(_) => 3,
            Value::Str(_) => 4,
            Value::Bytes(_) => 5,
            Value::Array(_) => 6,
            Value::Object(_) => 7,
        }
    }

    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::F64(a), Value::F64(b)) => a.total_cmp(b),
            (Value::I64(a), Value::I64(b)) => a.cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
            (Value::Array(a), Value::Array(b)) => a.cmp(b),
            (Value::Object(a), Value::Object(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::I64(n)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::F64(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}

/// Writes the value as JSON (bytes as an array of numbers, non-finite floats as `null`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::F64(n) if n.is_finite() => write!(f, "{n}"),
            Value::F64(_) => f.write_str("null"),
            Value::I64(n) => write!(f, "{n}"),
            Value::Str(s) => write_json_string(f, s),
            Value::Bytes(bytes) => {
                f.write_str("[")?;
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{b}")?;
                }
                f.write_str("]")
            }
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_json_string(f, key)?;
                    write!(f, ":{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_total_and_consistent_with_eq() {
        let values = [
            Value::Null,
            Value::Bool(false),
            Value::F64(f64::NAN),
            Value::F64(-0.0),
            Value::F64(0.0),
            Value::I64(-1),
            Value::from("a"),
            Value::Bytes(vec![1]),
            Value::Array(vec![Value::Null]),
            Value::Object(BTreeMap::new()),
        ];
        for a in &values {
            assert_eq!(a, a);
            for b in &values {
                assert_eq!(a.cmp(b), b.cmp(a).reverse());
            }
        }
    }

    #[test]
    fn displays_as_json() {
        let mut object = BTreeMap::new();
        object.insert(
            "k\"".to_owned(),
            Value::Array(vec![Value::I64(1), Value::Null]),
        );
        assert_eq!(Value::Object(object).to_string(), r#"{"k\"":[1,null]}"#);
        assert_eq!(Value::from("a\nb").to_string(), r#""a\nb""#);
    }
}

//! The order queries compare values in: null < booleans < numbers < strings < bytes < arrays <
//! objects; integers and floats compare by numeric value (`1` equals `1.0`).

use std::cmp::Ordering;

use crate::value::Value;

/// Compares two values in query order.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::I64(x), Value::I64(y)) => x.cmp(y),
        (Value::F64(x), Value::F64(y)) => x.total_cmp(y),
        (Value::I64(x), Value::F64(y)) => compare_int_float(*x, *y),
        (Value::F64(x), Value::I64(y)) => compare_int_float(*y, *x).reverse(),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((kp, p), (kq, q)) in x.iter().zip(y) {
                match kp.cmp(kq).then_with(|| compare(p, q)) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            x.len().cmp(&y.len())
        }
        _ if class(a) == class(b) => a.cmp(b),
        _ => class(a).cmp(&class(b)),
    }
}

/// The kind of value in query order (numbers of both types are one kind); ranges compare
/// only values of one kind.
pub(crate) fn class(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::F64(_) | Value::I64(_) => 2,
        Value::Str(_) => 3,
        Value::Bytes(_) => 4,
        Value::Array(_) => 5,
        Value::Object(_) => 6,
    }
}

/// An integer against a float, exactly (no rounding of large integers).
fn compare_int_float(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        // NaN sorts above every number, as `total_cmp` puts positive NaN.
        return Ordering::Less;
    }
    if f >= 9.3e18 {
        return Ordering::Less;
    }
    if f < -9.3e18 {
        return Ordering::Greater;
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => 0.0f64.total_cmp(&(f - t)).then(Ordering::Equal),
        other => other,
    }
}

/// A value as an index key: its query order, as a total order.
#[derive(Clone, Debug)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        compare(&self.0, &other.0) == Ordering::Equal
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_across_types() {
        assert_eq!(compare(&Value::I64(1), &Value::F64(1.0)), Ordering::Equal);
        assert_eq!(compare(&Value::I64(1), &Value::F64(1.5)), Ordering::Less);
        assert_eq!(compare(&Value::F64(-0.5), &Value::I64(0)), Ordering::Less);
        assert_eq!(
            compare(&Value::I64(i64::MAX), &Value::F64(1e19)),
            Ordering::Less
        );
        assert_eq!(
            compare(&Value::I64((1 << 53) + 1), &Value::F64((1u64 << 53) as f64)),
            Ordering::Greater,
            "no rounding"
        );
        assert_eq!(compare(&Value::Null, &Value::Bool(false)), Ordering::Less);
        assert_eq!(
            compare(&Value::I64(5), &Value::Str("1".into())),
            Ordering::Less
        );
    }
}

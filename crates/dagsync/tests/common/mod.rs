//! Helpers shared by the integration tests.

use dagsync::Value;

/// An object value from `(key, value)` pairs.
pub fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

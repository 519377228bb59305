//! Encoding of plain values.

use std::collections::BTreeMap;

use super::bytes::{Reader, Writer};
use crate::error::{DecodeError, Result};
use crate::value::Value;

/// Deepest nesting of arrays/objects a decoder accepts (keeps recursion bounded).
pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) fn write_value(w: &mut Writer, value: &Value) {
    match value {
        Value::Null => w.u8(0),
        Value::Bool(false) => w.u8(1),
        Value::Bool(true) => w.u8(2),
        Value::F64(n) => {
            w.u8(3);
            w.bytes(&n.to_le_bytes());
        }
        Value::I64(n) => {
            w.u8(4);
            w.varint(((n << 1) ^ (n >> 63)) as u64);
        }
        Value::Str(s) => {
            w.u8(5);
            w.str(s);
        }
        Value::Bytes(b) => {
            w.u8(6);
            w.len(b.len());
            w.bytes(b);
        }
        Value::Array(items) => {
            w.u8(7);
            w.len(items.len());
            for item in items {
                write_value(w, item);
            }
        }
        Value::Object(entries) => {
            w.u8(8);
            w.len(entries.len());
            for (key, item) in entries {
                w.str(key);
                write_value(w, item);
            }
        }
    }
}

pub(crate) fn read_value(r: &mut Reader<'_>, depth: usize) -> Result<Value> {
    let offset = r.offset();
    Ok(match r.u8()? {
        0 => Value::Null,
        1 => Value::Bool(false),
        2 => Value::Bool(true),
        3 => Value::F64(f64::from_le_bytes(r.array()?)),
        4 => {
            let z = r.varint()?;
            Value::I64(((z >> 1) as i64) ^ -((z & 1) as i64))
        }
        5 => Value::Str(r.string()?),
        6 => {
            let len = r.len(1)?;
            Value::Bytes(r.bytes(len)?.to_vec())
        }
        tag @ (7 | 8) => {
            if depth >= MAX_DEPTH {
                return Err(DecodeError::TooDeep { offset });
            }
            if tag == 7 {
                let count = r.len(1)?;
                let mut items = Vec::new();
                for _ in 0..count {
                    items.push(read_value(r, depth + 1)?);
                }
                Value::Array(items)
            } else {
                let count = r.len(2)?;
                let mut entries = BTreeMap::new();
                for _ in 0..count {
                    let key = r.string()?;
                    let item = read_value(r, depth + 1)?;
                    if entries.insert(key, item).is_some() {
                        return Err(DecodeError::NotCanonical);
                    }
                }
                Value::Object(entries)
            }
        }
        tag => return Err(DecodeError::UnknownTag { tag, offset }),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(Value::F64),
            any::<i64>().prop_map(Value::I64),
            ".{0,6}".prop_map(Value::Str),
            prop::collection::vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,3}", inner, 0..4).prop_map(Value::Object),
            ]
        })
    }

    proptest! {
        #[test]
        fn values_round_trip(value in arb_value()) {
            let mut w = Writer::default();
            write_value(&mut w, &value);
            let mut r = Reader::new(&w.buf);
            prop_assert_eq!(read_value(&mut r, 0).unwrap(), value);
            prop_assert!(r.finish().is_ok());
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let bytes = [7u8, 1].repeat(100_000);
        let mut r = Reader::new(&bytes);
        assert!(matches!(
            read_value(&mut r, 0),
            Err(DecodeError::TooDeep { .. })
        ));
    }
}

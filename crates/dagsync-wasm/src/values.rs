//! Conversion of values between JS and the core, hand-written over `js-sys` (no serde: it keeps
//! the module small and the mapping exact).
//!
//! | JS | core |
//! | --- | --- |
//! | `null` | `Value::Null` |
//! | `boolean` | `Value::Bool` |
//! | `number` | `Value::F64` |
//! | `bigint` (64-bit signed range) | `Value::I64` |
//! | `string` | `Value::Str` |
//! | `Uint8Array` | `Value::Bytes` |
//! | plain `Array` | `Value::Array` |
//! | plain object (prototype `Object.prototype` or `null`) | `Value::Object` |
//!
//! Anything else (`undefined`, functions, symbols, class instances such as `Date` or `Map`,
//! cyclic or too deeply nested structures, bigints outside the i64 range) is refused with an
//! `invalid-argument` error before the document is touched.

use std::collections::BTreeMap;

use dagsync::{ContainerId, ContainerKind, Item, Value};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::counter::CounterHandle;
use crate::doc::SharedDoc;
use crate::error::{BindingError, JsResult};
use crate::list::ListHandle;
use crate::map::MapHandle;
use crate::register::RegisterHandle;
use crate::set::SetHandle;
use crate::text::TextHandle;

/// How deeply plain arrays and objects may nest (deeper input is refused, not overflowed).
const MAX_DEPTH: usize = 64;

/// The core value of a JS value, or an `invalid-argument` error naming what is wrong.
pub(crate) fn js_to_value(value: &JsValue) -> JsResult<Value> {
    convert(value, 0)
}

fn convert(value: &JsValue, depth: usize) -> JsResult<Value> {
    if depth > MAX_DEPTH {
        return Err(BindingError::invalid(format!(
            "values nest at most {MAX_DEPTH} levels deep (or the value is cyclic)"
        )));
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        return Ok(Value::F64(n));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::Str(s));
    }
    if value.is_bigint() {
        return i64::try_from(value.clone())
            .map(Value::I64)
            .map_err(|_| BindingError::invalid("a bigint value must fit in 64 signed bits"));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(Value::Bytes(bytes.to_vec()));
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut items = Vec::with_capacity(array.length() as usize);
        for item in array.iter() {
            items.push(convert(&item, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    if is_plain_object(value) {
        let object: &Object = value.unchecked_ref();
        let mut entries = BTreeMap::new();
        for entry in Object::entries(object).iter() {
            let pair: Array = entry.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            entries.insert(key, convert(&pair.get(1), depth + 1)?);
        }
        return Ok(Value::Object(entries));
    }
    Err(BindingError::invalid(format!(
        "unsupported value of type {}: use null, a boolean, number, bigint, string, Uint8Array, \
         or a plain array or object of those",
        describe(value)
    )))
}

/// Whether `value` is an object whose prototype is `Object.prototype` or `null`.
fn is_plain_object(value: &JsValue) -> bool {
    if !value.is_object() || value.is_function() {
        return false;
    }
    let proto = Object::get_prototype_of(value);
    proto.is_null() || proto == Object::get_prototype_of(&Object::new().into())
}

/// A short description of a JS value's type for error messages.
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    let kind = value.js_typeof().as_string().unwrap_or_default();
    if kind == "object" {
        let name = Object::get_prototype_of(value)
            .constructor()
            .name()
            .as_string()
            .unwrap_or_default();
        if !name.is_empty() {
            return name;
        }
    }
    kind
}

/// The JS value of a core value.
pub(crate) fn value_to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::F64(n) => JsValue::from_f64(*n),
        Value::I64(n) => JsValue::from(*n),
        Value::Str(s) => JsValue::from_str(s),
        Value::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        Value::Array(items) => items.iter().map(value_to_js).collect::<Array>().into(),
        Value::Object(entries) => {
            let object = Object::new();
            for (key, item) in entries {
                // Defining a data property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(key), &value_to_js(item));
            }
            object.into()
        }
    }
}

/// The JS value of an item: a plain value, or the handle of a nested container.
pub(crate) fn item_to_js(doc: &SharedDoc, item: &Item) -> JsValue {
    match item {
        Item::Value(value) => value_to_js(value),
        Item::Container(id) => handle_to_js(doc, id.clone()),
    }
}

/// The JS value of an optional item (`undefined` for none).
pub(crate) fn option_item_to_js(doc: &SharedDoc, item: Option<&Item>) -> JsValue {
    item.map_or(JsValue::UNDEFINED, |item| item_to_js(doc, item))
}

/// A JS array of items.
pub(crate) fn items_to_js(doc: &SharedDoc, items: &[Item]) -> Array {
    items.iter().map(|item| item_to_js(doc, item)).collect()
}

/// The handle object of the container `id`, of the class matching its kind.
pub(crate) fn handle_to_js(doc: &SharedDoc, id: ContainerId) -> JsValue {
    let doc = SharedDoc::clone(doc);
    match id.kind() {
        ContainerKind::Map => MapHandle::new(doc, id).into(),
        ContainerKind::List => ListHandle::new(doc, id).into(),
        ContainerKind::Text => TextHandle::new(doc, id).into(),
        ContainerKind::Counter => CounterHandle::new(doc, id).into(),
        ContainerKind::Set => SetHandle::new(doc, id).into(),
        ContainerKind::Register => RegisterHandle::new(doc, id).into(),
    }
}

/// The container kind named by a JS string (`"map"`, `"list"`, ...).
pub(crate) fn kind_from_js(kind: &JsValue) -> JsResult<ContainerKind> {
    let kind = string_arg(kind, "the container kind")?;
    ContainerKind::from_name(&kind).ok_or_else(|| {
        BindingError::invalid(format!(
            "unknown container kind {kind:?}: use \"map\", \"list\", \"text\", \"counter\", \
             \"set\" or \"register\""
        ))
    })
}

/// A string argument. wasm-bindgen's own string parameters do not check the type in release
/// builds (a number there corrupts memory), so every string crosses as a `JsValue`.
pub(crate) fn string_arg(value: &JsValue, what: &str) -> JsResult<String> {
    value.as_string().ok_or_else(|| {
        BindingError::invalid(format!("{what} must be a string, got {}", describe(value)))
    })
}

/// A function argument.
pub(crate) fn function_arg(value: JsValue, what: &str) -> JsResult<js_sys::Function> {
    if value.is_function() {
        Ok(value.unchecked_into())
    } else {
        Err(BindingError::invalid(format!(
            "{what} must be a function, got {}",
            describe(&value)
        )))
    }
}

/// A `Uint8Array` argument, copied into wasm memory.
pub(crate) fn bytes_arg(value: &JsValue) -> JsResult<Vec<u8>> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or_else(|| {
            BindingError::invalid(format!("expected a Uint8Array, got {}", describe(value)))
        })
}

/// A JS index or count: a non-negative integer `number` that is a valid position.
pub(crate) fn index_arg(value: &JsValue, what: &str) -> JsResult<usize> {
    let Some(value) = value.as_f64() else {
        return Err(BindingError::new(
            crate::error::ErrorCode::OutOfRange,
            format!("{what} must be a number, got {}", describe(value)),
        ));
    };
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f64 {
        Ok(value as usize)
    } else {
        // Formatting the float would link Rust's float printing into the module: JS does it.
        let shown = js_sys::Number::from(value)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default();
        Err(BindingError::new(
            crate::error::ErrorCode::OutOfRange,
            format!("{what} must be a non-negative integer, got {shown}"),
        ))
    }
}

/// An i64 amount from a JS `number` (an integer) or `bigint`; `undefined` is `default`.
pub(crate) fn amount_from_js(value: &JsValue, default: i64) -> JsResult<i64> {
    if value.is_undefined() {
        return Ok(default);
    }
    if value.is_bigint() {
        return i64::try_from(value.clone())
            .map_err(|_| BindingError::invalid("the amount must fit in 64 signed bits"));
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Ok(n as i64),
        _ => Err(BindingError::invalid(format!(
            "the amount must be a safe integer number or a bigint, got {}",
            describe(value)
        ))),
    }
}

/// Whether an options argument `value` (named `what`) was given: `false` for `undefined` or
/// `null`, `true` for an object, an `invalid-argument` error for anything else.
pub(crate) fn options_given(value: &JsValue, what: &str) -> JsResult<bool> {
    if value.is_undefined() || value.is_null() {
        return Ok(false);
    }
    if !value.is_object() {
        return Err(BindingError::invalid(format!(
            "{what} must be an object, got {}",
            describe(value)
        )));
    }
    Ok(true)
}

/// Field `name` of options object `options`: a non-negative number of milliseconds, or
/// `None` when absent; `what` names it in the error.
pub(crate) fn millis_field(options: &JsValue, name: &str, what: &str) -> JsResult<Option<u64>> {
    let value = js_sys::Reflect::get(options, &JsValue::from_str(name)).unwrap_or_default();
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(ms as u64)),
        _ => Err(BindingError::invalid(format!(
            "{what} must be a non-negative number of milliseconds, got {}",
            describe(&value)
        ))),
    }
}

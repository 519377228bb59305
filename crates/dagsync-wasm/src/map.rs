//! `MapHandle`: a root map of a document.

use dagsync::{Item, Value};
use wasm_bindgen::prelude::*;

use crate::doc::{with_doc_mut, SharedDoc};
use crate::error::{BindingError, ErrorCode};

/// A map container of a document. In this build its values are strings.
#[wasm_bindgen]
pub struct MapHandle {
    doc: SharedDoc,
    name: String,
}

impl MapHandle {
    pub(crate) fn new(doc: SharedDoc, name: String) -> Self {
        MapHandle { doc, name }
    }
}

fn as_string(item: Option<Item>) -> Option<String> {
    match item {
        Some(Item::Value(Value::Str(s))) => Some(s),
        _ => None,
    }
}

#[wasm_bindgen]
impl MapHandle {
    /// Sets `key` to `value`. Throws `DagsyncError` (`"invalid-argument"`) unless `value` is a
    /// string; the map is then unchanged.
    pub fn set(&self, key: &str, value: JsValue) -> Result<(), BindingError> {
        let value = value.as_string().ok_or_else(|| {
            BindingError::new(
                ErrorCode::InvalidArgument,
                format!("map values are strings for now, got {}", describe(&value)),
            )
        })?;
        with_doc_mut(&self.doc, |doc| {
            doc.get_map(&self.name).set(key, value)?;
            doc.commit(None);
            Ok(())
        })?
    }

    /// The value of `key`, or `undefined`.
    pub fn get(&self, key: &str) -> Result<Option<String>, BindingError> {
        with_doc_mut(&self.doc, |doc| as_string(doc.get_map(&self.name).get(key)))
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Result<Vec<String>, BindingError> {
        with_doc_mut(&self.doc, |doc| doc.get_map(&self.name).keys())
    }

    /// The map as a plain object.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<js_sys::Object, BindingError> {
        with_doc_mut(&self.doc, |doc| {
            let object = js_sys::Object::new();
            let map = doc.get_map(&self.name);
            for key in map.keys() {
                let value = as_string(map.get(&key))
                    .map(JsValue::from)
                    .unwrap_or_default();
                // Setting a data property on a fresh plain object cannot fail.
                let _ = js_sys::Reflect::set(&object, &JsValue::from(key), &value);
            }
            object
        })
    }
}

fn describe(value: &JsValue) -> String {
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "a non-string".to_owned())
}

//! `MapHandle`: a map container of values and nested containers.

use dagsync::ContainerId;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::{
    handle_to_js, items_to_js, js_to_value, kind_from_js, option_item_to_js, string_arg,
    value_to_js,
};

/// A map container: string keys to values or nested containers. Concurrent sets of one key
/// keep a deterministic winner (`get`) and show every concurrent value (`conflicts`).
#[wasm_bindgen]
pub struct MapHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for MapHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl MapHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        MapHandle { doc, id }
    }
}

#[wasm_bindgen]
impl MapHandle {
    /// Sets `key` to `value`. Throws `DagsyncError` (`"invalid-argument"`) for a value of an
    /// unsupported type; the map is then unchanged.
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let key = string_arg(&key, "key")?;
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.map(&self.id)?.set(&key, value))
    }

    /// Sets `key` to a new, empty container of `kind` and returns its handle.
    #[wasm_bindgen(js_name = setContainer, skip_typescript)]
    pub fn set_container(&self, key: JsValue, kind: JsValue) -> Result<JsValue, BindingError> {
        let key = string_arg(&key, "key")?;
        let kind = kind_from_js(&kind)?;
        let id = edit(&self.doc, |doc| {
            doc.map(&self.id)?.set_container(&key, kind)
        })?;
        Ok(handle_to_js(&self.doc, id))
    }

    /// The winning value of `key` (a value or a container handle), or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "Item | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, BindingError> {
        let key = string_arg(&key, "key")?;
        let item = edit(&self.doc, |doc| Ok(doc.map(&self.id)?.get(&key)))?;
        Ok(option_item_to_js(&self.doc, item.as_ref()))
    }

    /// Deletes `key` (all the values this replica has seen).
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<(), BindingError> {
        let key = string_arg(&key, "key")?;
        edit(&self.doc, |doc| doc.map(&self.id)?.delete(&key))
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Result<Vec<String>, BindingError> {
        edit(&self.doc, |doc| Ok(doc.map(&self.id)?.keys()))
    }

    /// Every current value of `key`, the winner first (more than one after concurrent sets;
    /// empty when the key has no value).
    #[wasm_bindgen(unchecked_return_type = "Item[]")]
    pub fn conflicts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<Array, BindingError> {
        let key = string_arg(&key, "key")?;
        let items = edit(&self.doc, |doc| Ok(doc.map(&self.id)?.conflicts(&key)))?;
        Ok(items_to_js(&self.doc, &items))
    }

    /// The map as a plain object (nested containers expanded).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: Value }")]
    pub fn to_json(&self) -> Result<JsValue, BindingError> {
        let value = edit(&self.doc, |doc| Ok(doc.map(&self.id)?.to_json()))?;
        Ok(value_to_js(&value))
    }
}

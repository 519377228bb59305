//! `ListHandle`: a list container of values and nested containers.

use dagsync::ContainerId;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::{
    handle_to_js, index_arg, items_to_js, js_to_value, kind_from_js, option_item_to_js, value_to_js,
};

/// A list container: an ordered sequence of values and nested containers in which
/// concurrently inserted runs never interleave.
#[wasm_bindgen]
pub struct ListHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for ListHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl ListHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        ListHandle { doc, id }
    }
}

#[wasm_bindgen]
impl ListHandle {
    /// Inserts `value` before `index` (0 ≤ index ≤ length).
    pub fn insert(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let index = index_arg(&index, "index")?;
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.list(&self.id)?.insert(index, value))?;
        Ok(())
    }

    /// Appends `value`.
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.list(&self.id)?.push(value))?;
        Ok(())
    }

    /// Inserts a new, empty container of `kind` before `index` and returns its handle.
    #[wasm_bindgen(js_name = insertContainer, skip_typescript)]
    pub fn insert_container(&self, index: JsValue, kind: JsValue) -> Result<JsValue, BindingError> {
        let index = index_arg(&index, "index")?;
        let kind = kind_from_js(&kind)?;
        let id = edit(&self.doc, |doc| {
            doc.list(&self.id)?.insert_container(index, kind)
        })?;
        Ok(handle_to_js(&self.doc, id))
    }

    /// Deletes `count` items starting at `index`.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> Result<(), BindingError> {
        let index = index_arg(&index, "index")?;
        let count = index_arg(&count, "count")?;
        edit(&self.doc, |doc| doc.list(&self.id)?.delete(index, count))?;
        Ok(())
    }

    /// The item at `index` (a value or a container handle), or `undefined` past the end.
    #[wasm_bindgen(unchecked_return_type = "Item | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    ) -> Result<JsValue, BindingError> {
        let index = index_arg(&index, "index")?;
        let item = edit(&self.doc, |doc| Ok(doc.list(&self.id)?.get(index)))?;
        Ok(option_item_to_js(&self.doc, item.as_ref()))
    }

    /// Number of items.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<f64, BindingError> {
        edit(&self.doc, |doc| Ok(doc.list(&self.id)?.len() as f64))
    }

    /// All items in order (values, and handles of nested containers).
    #[wasm_bindgen(js_name = toArray, unchecked_return_type = "Item[]")]
    pub fn to_array(&self) -> Result<Array, BindingError> {
        let items = edit(&self.doc, |doc| Ok(doc.list(&self.id)?.to_vec()))?;
        Ok(items_to_js(&self.doc, &items))
    }

    /// The list as plain JS (nested containers expanded).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Value[]")]
    pub fn to_json(&self) -> Result<JsValue, BindingError> {
        let items = edit(&self.doc, |doc| Ok(doc.list(&self.id)?.to_json()))?;
        Ok(value_to_js(&items))
    }
}

//! `SetHandle`: an add-wins observed-remove set of values.

use dagsync::ContainerId;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::{js_to_value, value_to_js};

/// A set container of values: an addition concurrent with a removal wins.
#[wasm_bindgen]
pub struct SetHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for SetHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl SetHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        SetHandle { doc, id }
    }
}

#[wasm_bindgen]
impl SetHandle {
    /// Adds `value`.
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.set(&self.id)?.add(value))
    }

    /// Removes `value` (the additions of it this replica has seen).
    pub fn remove(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.set(&self.id)?.remove(&value))
    }

    /// Whether `value` is a member (values compare by content).
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<bool, BindingError> {
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| Ok(doc.set(&self.id)?.has(&value)))
    }

    /// The members, in the core's total order of values.
    #[wasm_bindgen(unchecked_return_type = "Value[]")]
    pub fn values(&self) -> Result<Array, BindingError> {
        let values = edit(&self.doc, |doc| Ok(doc.set(&self.id)?.values()))?;
        Ok(values.iter().map(value_to_js).collect())
    }
}

//! `RegisterHandle`: a multi-value register.

use dagsync::ContainerId;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::{handle_to_js, items_to_js, js_to_value, kind_from_js, option_item_to_js};

/// A register container: `set` replaces every value it saw; concurrent sets are all kept
/// (`conflicts`) until the next set, with a deterministic winner (`value`).
#[wasm_bindgen]
pub struct RegisterHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for RegisterHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl RegisterHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        RegisterHandle { doc, id }
    }
}

#[wasm_bindgen]
impl RegisterHandle {
    /// Sets the value, replacing every value this replica has seen.
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), BindingError> {
        let value = js_to_value(&value)?;
        edit(&self.doc, |doc| doc.register(&self.id)?.set(value))
    }

    /// Sets the register to a new, empty container of `kind` and returns its handle.
    #[wasm_bindgen(js_name = setContainer, skip_typescript)]
    pub fn set_container(&self, kind: JsValue) -> Result<JsValue, BindingError> {
        let kind = kind_from_js(&kind)?;
        let id = edit(&self.doc, |doc| doc.register(&self.id)?.set_container(kind))?;
        Ok(handle_to_js(&self.doc, id))
    }

    /// The winning value (a value or a container handle), or `undefined` if never set.
    #[wasm_bindgen(getter, unchecked_return_type = "Item | undefined")]
    pub fn value(&self) -> Result<JsValue, BindingError> {
        let item = edit(&self.doc, |doc| Ok(doc.register(&self.id)?.value()))?;
        Ok(option_item_to_js(&self.doc, item.as_ref()))
    }

    /// Every current value, the winner first (more than one after concurrent sets).
    #[wasm_bindgen(unchecked_return_type = "Item[]")]
    pub fn conflicts(&self) -> Result<Array, BindingError> {
        let items = edit(&self.doc, |doc| Ok(doc.register(&self.id)?.conflicts()))?;
        Ok(items_to_js(&self.doc, &items))
    }
}

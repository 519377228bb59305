//! `CounterHandle`: a PN-counter container.

use dagsync::ContainerId;
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::amount_from_js;

/// A counter container: concurrent increments and decrements all count.
#[wasm_bindgen]
pub struct CounterHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for CounterHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl CounterHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        CounterHandle { doc, id }
    }
}

#[wasm_bindgen]
impl CounterHandle {
    /// Adds `by` (default 1): a safe integer `number` or a `bigint` (64-bit, wrapping).
    pub fn increment(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | bigint")] by: JsValue,
    ) -> Result<(), BindingError> {
        let by = amount_from_js(&by, 1)?;
        edit(&self.doc, |doc| doc.counter(&self.id)?.increment(by))
    }

    /// Subtracts `by` (default 1): a safe integer `number` or a `bigint`.
    pub fn decrement(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | bigint")] by: JsValue,
    ) -> Result<(), BindingError> {
        let by = amount_from_js(&by, 1)?;
        edit(&self.doc, |doc| doc.counter(&self.id)?.decrement(by))
    }

    /// The current total as a `number` (exact up to 2^53; `toJSON` of the document gives the
    /// exact 64-bit `bigint`).
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> Result<f64, BindingError> {
        edit(&self.doc, |doc| Ok(doc.counter(&self.id)?.value() as f64))
    }
}

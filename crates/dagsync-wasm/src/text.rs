//! `TextHandle`: a text container, with positions in UTF-16 code units like JS strings.

use dagsync::{ContainerId, StablePosition};
use wasm_bindgen::prelude::*;

use crate::doc::{edit, SharedDoc};
use crate::error::BindingError;
use crate::values::{index_arg, string_arg};

/// A text container: a sequence of characters that merges concurrent edits without
/// interleaving them. Positions and lengths count UTF-16 code units, as JS strings do; a
/// position inside a surrogate pair throws `DagsyncError` (`"out-of-range"`).
#[wasm_bindgen]
pub struct TextHandle {
    doc: SharedDoc,
    id: ContainerId,
}

impl Drop for TextHandle {
    fn drop(&mut self) {
        self.doc.forget_root(&self.id);
    }
}

impl TextHandle {
    pub(crate) fn new(doc: SharedDoc, id: ContainerId) -> Self {
        TextHandle { doc, id }
    }
}

#[wasm_bindgen]
impl TextHandle {
    /// Inserts `text` at UTF-16 offset `index` (0 ≤ index ≤ length).
    pub fn insert(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> Result<(), BindingError> {
        let index = index_arg(&index, "index")?;
        let text = string_arg(&text, "the inserted text")?;
        edit(&self.doc, |doc| {
            doc.text(&self.id)?.insert_utf16(index, &text)
        })?;
        Ok(())
    }

    /// Deletes `length` UTF-16 code units starting at `index`.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] length: JsValue,
    ) -> Result<(), BindingError> {
        let index = index_arg(&index, "index")?;
        let length = index_arg(&length, "length")?;
        edit(&self.doc, |doc| {
            doc.text(&self.id)?.delete_utf16(index, length)
        })?;
        Ok(())
    }

    /// The text as a string.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> Result<String, BindingError> {
        edit(&self.doc, |doc| Ok(doc.text(&self.id)?.to_string()))
    }

    /// The text as a string (so `JSON.stringify` shows the content).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<String, BindingError> {
        self.to_js_string()
    }

    /// A stable position (cursor) before UTF-16 offset `index` (0 ≤ index ≤ length; `length`
    /// gives the end): a string that `indexOf` resolves to an offset after any concurrent or
    /// later edits, local or remote — for carets, selections, comments and anchors. It stays
    /// with the character after it; if that character is deleted, it resolves to where the
    /// character was. Throws `DagsyncError` (`"out-of-range"`) for an offset outside the text
    /// or inside a surrogate pair.
    #[wasm_bindgen(js_name = cursorAt)]
    pub fn cursor_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    ) -> Result<String, BindingError> {
        let index = index_arg(&index, "index")?;
        edit(&self.doc, |doc| {
            Ok(doc.text(&self.id)?.position_at_utf16(index)?.to_string())
        })
    }

    /// The UTF-16 offset a cursor from `cursorAt` (of this text, on any replica) resolves to
    /// now. Throws `DagsyncError` (`"invalid-argument"`) for a string that is not a cursor of
    /// this text.
    #[wasm_bindgen(js_name = indexOf)]
    pub fn index_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cursor: JsValue,
    ) -> Result<f64, BindingError> {
        let cursor: StablePosition = string_arg(&cursor, "the cursor")?.parse()?;
        edit(&self.doc, |doc| {
            Ok(doc.text(&self.id)?.index_of_utf16(&cursor)? as f64)
        })
    }

    /// Length in UTF-16 code units (the `length` of `toString()`).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<f64, BindingError> {
        edit(&self.doc, |doc| Ok(doc.text(&self.id)?.len_utf16() as f64))
    }
}

//! `Doc`: the JS handle of a dagsync document.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::error::{BindingError, ErrorCode, JsResult};
use crate::identity::random_actor;
use crate::map::MapHandle;

/// The shared, interior-mutable core document behind every handle of one `Doc`.
pub(crate) type SharedDoc = Rc<RefCell<dagsync::Doc>>;

/// Runs `f` with the document borrowed mutably; a re-entrant call is a `busy` error, not a panic.
pub(crate) fn with_doc_mut<T>(
    doc: &SharedDoc,
    f: impl FnOnce(&mut dagsync::Doc) -> T,
) -> JsResult<T> {
    let mut guard = doc.try_borrow_mut().map_err(|_| busy())?;
    Ok(f(&mut guard))
}

/// Runs `f` with the document borrowed for reading.
pub(crate) fn with_doc<T>(doc: &SharedDoc, f: impl FnOnce(&dagsync::Doc) -> T) -> JsResult<T> {
    let guard = doc.try_borrow().map_err(|_| busy())?;
    Ok(f(&guard))
}

fn busy() -> BindingError {
    BindingError::new(
        ErrorCode::Busy,
        "the document is in use by a call that has not returned",
    )
}

/// A dagsync document: named root containers that merge concurrent edits.
#[wasm_bindgen]
pub struct Doc {
    inner: SharedDoc,
}

#[wasm_bindgen]
impl Doc {
    /// A new, empty document with a fresh random identity.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Doc {
        Doc::from_core(dagsync::Doc::new(random_actor()))
    }

    /// Hex id of this document's local identity (the author of its local writes).
    #[wasm_bindgen(getter)]
    pub fn actor(&self) -> Result<String, BindingError> {
        with_doc(&self.inner, |doc| doc.actor().to_hex())
    }

    /// The root map `name`, created on first use. Handles stay valid for the document's life.
    #[wasm_bindgen(js_name = getMap)]
    pub fn get_map(&self, name: &str) -> Result<MapHandle, BindingError> {
        with_doc_mut(&self.inner, |doc| {
            doc.get_map(name);
        })?;
        Ok(MapHandle::new(Rc::clone(&self.inner), name.to_owned()))
    }

    /// A compact snapshot of the whole document, for `Doc.load`.
    pub fn save(&self) -> Result<Vec<u8>, BindingError> {
        with_doc_mut(&self.inner, dagsync::Doc::save)
    }

    /// Restores a document saved with `save()`, with a fresh identity for new writes.
    /// Throws `DagsyncError` with code `"corrupt"` (or `"unsupported"`) on bad input.
    pub fn load(bytes: &[u8]) -> Result<Doc, BindingError> {
        let doc = dagsync::Doc::load(bytes, random_actor())?;
        Ok(Doc::from_core(doc))
    }
}

impl Doc {
    fn from_core(doc: dagsync::Doc) -> Doc {
        Doc {
            inner: Rc::new(RefCell::new(doc)),
        }
    }
}

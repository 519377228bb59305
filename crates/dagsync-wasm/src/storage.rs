//! `IndexedDbStorage`: names the IndexedDB database a `Repo` keeps its documents in. The
//! database is opened by the repo (asynchronously, before `create`/`find` resolve); see the
//! `dagsync-idb` crate for what is stored and how.

use wasm_bindgen::prelude::*;

use crate::error::{BindingError, JsResult};
use crate::values::{describe, string_arg};

/// The JS property by which a `Repo` recognizes its storage option.
pub(crate) const STORAGE_PROPERTY: &str = "__dagsyncStorage";

/// Persistence of a `Repo` in the browser's IndexedDB: `new Repo({ storage: new
/// IndexedDbStorage("my-app") })`. Writes are flushed in one transaction per burst; documents,
/// sync states and the repo's identity survive reloads; several tabs may use one database at
/// once (each gets its own identity, and sees the others' changes). Failures (quota exceeded,
/// a failed transaction, a corrupt row) are `repo.on("error")` events; writes are retried.
#[wasm_bindgen]
pub struct IndexedDbStorage {
    name: String,
}

#[wasm_bindgen]
impl IndexedDbStorage {
    /// Storage in the IndexedDB database `name` (created on first use). Throws
    /// `DagsyncError` (`"invalid-argument"`) unless `name` is a non-empty string.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Result<IndexedDbStorage, BindingError> {
        let name = string_arg(&name, "the database name")?;
        if name.is_empty() {
            return Err(BindingError::invalid("the database name must not be empty"));
        }
        Ok(IndexedDbStorage { name })
    }

    /// The database's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The database name, for the `Repo` this storage is given to (not for apps).
    #[wasm_bindgen(getter, js_name = __dagsyncStorage)]
    pub fn registry_name(&self) -> String {
        self.name.clone()
    }
}

/// The database name of a `storage` option: an `IndexedDbStorage`, or `undefined` (memory).
pub(crate) fn database_of(storage: &JsValue) -> JsResult<Option<String>> {
    if storage.is_undefined() || storage.is_null() {
        return Ok(None);
    }
    let name = js_sys::Reflect::get(storage, &JsValue::from_str(STORAGE_PROPERTY))
        .ok()
        .and_then(|n| n.as_string());
    match name {
        Some(name) => Ok(Some(name)),
        None => Err(BindingError::invalid(format!(
            "storage must be an IndexedDbStorage, got {}",
            describe(storage)
        ))),
    }
}

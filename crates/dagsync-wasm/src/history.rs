//! The history as JS: change entries, and documents at past versions (time travel).

use dagsync::{ChangeHash, HistoryEntry};
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::doc::{identity_from_options, with_doc_mut, Doc};
use crate::error::{BindingError, JsResult};
use crate::events::put;
use crate::values::{describe, string_arg};

#[wasm_bindgen(typescript_custom_section)]
const HISTORY_TYPES: &'static str = r#"
/** One change of the history, as listed by `doc.history()`. */
export interface HistoryEntry {
  /** The change's hash (64 hex characters). */
  hash: string;
  /** Its author's public key (64 hex characters). */
  actor: string;
  /** The author's sequence number, starting at 1. */
  seq: number;
  /** Hashes of the changes it depends on. */
  deps: string[];
  /** When it was made: milliseconds since the Unix epoch, by its author's clock. */
  time: number;
  /** Its commit message, if any. */
  message: string | undefined;
}
"#;

/// Parses an array of hex change hashes (`invalid-argument` on anything else).
pub(crate) fn parse_heads(heads: &JsValue) -> JsResult<Vec<ChangeHash>> {
    if !Array::is_array(heads) {
        return Err(BindingError::invalid(format!(
            "heads must be an array of hex strings, got {}",
            describe(heads)
        )));
    }
    let heads: &Array = heads.unchecked_ref();
    heads
        .iter()
        .map(|hex| {
            let hex = string_arg(&hex, "a head")?;
            hex.parse().map_err(|_| {
                BindingError::invalid(format!(
                    "a change hash is 64 hex characters, got {:?}",
                    hex.chars().take(80).collect::<String>()
                ))
            })
        })
        .collect()
}

fn entry_to_js(entry: &HistoryEntry) -> JsValue {
    let object = Object::new();
    put(&object, "hash", &JsValue::from_str(&entry.hash.to_hex()));
    put(&object, "actor", &JsValue::from_str(&entry.actor.to_hex()));
    put(&object, "seq", &JsValue::from_f64(entry.seq as f64));
    let deps: Array = entry
        .deps
        .iter()
        .map(|dep| JsValue::from_str(&dep.to_hex()))
        .collect();
    put(&object, "deps", &deps);
    put(
        &object,
        "time",
        &JsValue::from_f64(entry.time.millis as f64),
    );
    let message = entry
        .message
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str);
    put(&object, "message", &message);
    object.into()
}

#[wasm_bindgen]
impl Doc {
    /// Every change of the history, each after the changes it depends on (pending edits are
    /// committed first).
    #[wasm_bindgen(unchecked_return_type = "HistoryEntry[]")]
    pub fn history(&self) -> Result<Array, BindingError> {
        with_doc_mut(&self.shared(), |doc| {
            doc.history().iter().map(entry_to_js).collect()
        })
    }

    /// A new, editable document holding exactly the history up to `heads` (hex hashes): a
    /// branch from a past version, with the identity of `options.secretKey` or a fresh one.
    /// Throws `DagsyncError` (`"unknown-change"`, `"invalid-argument"`).
    #[wasm_bindgen(js_name = forkAt)]
    pub fn fork_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] heads: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ForkOptions")] options: JsValue,
    ) -> Result<Doc, BindingError> {
        let heads = parse_heads(&heads)?;
        let identity = identity_from_options(&options)?;
        let forked = with_doc_mut(&self.shared(), |doc| {
            let mut copy = doc.fork_at(&heads, identity.actor())?;
            copy.set_identity(identity)?;
            Ok::<_, dagsync::DocError>(copy)
        })??;
        Ok(Doc::from_core(forked))
    }

    /// The document as it was at `heads` (hex hashes), read-only: edits throw `DagsyncError`
    /// (`"read-only"`). Throws `"unknown-change"` for a hash not in the history.
    pub fn view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] heads: JsValue,
    ) -> Result<Doc, BindingError> {
        let heads = parse_heads(&heads)?;
        let view = with_doc_mut(&self.shared(), |doc| doc.view(&heads))??;
        Ok(Doc::from_core(view))
    }
}

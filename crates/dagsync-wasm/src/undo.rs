//! Undo and redo of the local actor's own edits (`doc.enableUndo`, `doc.undo()`, ...): the
//! core's undo manager, with UTF-16 caret positions.

use dagsync::{ContainerId, ContainerKind, UndoConfig, UndoStep};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::doc::{edit, with_doc, with_doc_mut, Doc, SharedDoc};
use crate::error::{BindingError, JsResult};
use crate::events::put;
use crate::values::{describe, handle_to_js, millis_field, options_given};

#[wasm_bindgen(typescript_custom_section)]
const UNDO_TYPES: &'static str = r#"
/** Options of `doc.enableUndo(options)`. */
export interface UndoOptions {
  /** Commits made within this many milliseconds of the previous one join its undo step
   * (default 500; with 0 only commits in the same millisecond do). `doc.stopCapturing()`
   * makes the next commit start a new step whatever the time. */
  captureInterval?: number;
  /** Names of root containers (of any kind): only edits of these and of the containers
   * nested in them are undone. Default: every container. */
  scope?: string[];
}

/** Where an undo or redo changed the document last: put the caret there. */
export interface UndoResult {
  /** The container changed last. */
  container: Container;
  /** For a text (in UTF-16 code units) or a list: the position after the restored content,
   * or where the removed content was. */
  index?: number;
}
"#;

/// Each root name of `scope`, as a root of every kind.
fn scope_of(scope: &JsValue) -> JsResult<Option<Vec<ContainerId>>> {
    if scope.is_undefined() || scope.is_null() {
        return Ok(None);
    }
    let wrong = || {
        BindingError::invalid(format!(
            "scope must be an array of root container names, got {}",
            describe(scope)
        ))
    };
    let array: &Array = scope.dyn_ref().ok_or_else(wrong)?;
    let mut ids = Vec::new();
    for name in array.iter() {
        let name = name.as_string().ok_or_else(wrong)?;
        ids.extend(
            ContainerKind::ALL
                .iter()
                .map(|kind| ContainerId::root(&name, *kind)),
        );
    }
    Ok(Some(ids))
}

/// The `UndoConfig` of JS `UndoOptions`.
fn config_of(options: &JsValue) -> JsResult<UndoConfig> {
    let mut config = UndoConfig::default();
    if !options_given(options, "options")? {
        return Ok(config);
    }
    if let Some(ms) = millis_field(options, "captureInterval", "captureInterval")? {
        config.capture_ms = ms;
    }
    let scope = Reflect::get(options, &JsValue::from_str("scope")).unwrap_or_default();
    config.scope = scope_of(&scope)?;
    Ok(config)
}

/// The JS `UndoResult` of a step (UTF-16 index for a text).
fn step_to_js(doc: &SharedDoc, step: Option<UndoStep>) -> JsResult<JsValue> {
    let Some(step) = step else {
        return Ok(JsValue::UNDEFINED);
    };
    let index = match step.index {
        Some(index) if step.container.kind() == ContainerKind::Text => {
            let chars = index as usize;
            let utf16 = with_doc_mut(doc, |d| {
                d.text(&step.container)
                    .and_then(|text| text.utf16_index(chars))
            })?;
            Some(utf16.unwrap_or(chars))
        }
        other => other.map(|i| i as usize),
    };
    let object = Object::new();
    put(&object, "container", &handle_to_js(doc, step.container));
    if let Some(index) = index {
        put(&object, "index", &JsValue::from_f64(index as f64));
    }
    Ok(object.into())
}

#[wasm_bindgen]
impl Doc {
    /// Starts recording this document's own edits for `undo()` and `redo()` (remote changes
    /// are never undone, and edits others made since are kept). Commits within
    /// `options.captureInterval` ms (default 500) form one step; `options.scope` limits undo
    /// to some root containers. Calling it again changes the options and keeps the stacks.
    /// Throws `DagsyncError` (`"invalid-argument"`) on malformed options.
    #[wasm_bindgen(js_name = enableUndo)]
    pub fn enable_undo(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "UndoOptions")] options: JsValue,
    ) -> Result<(), BindingError> {
        let config = config_of(&options)?;
        with_doc_mut(&self.inner, |doc| doc.enable_undo(config))
    }

    /// Undoes the latest step of this document's own edits by committing inverse edits (the
    /// history is never rewritten). Commits pending edits first. Returns where to put the
    /// caret, or `undefined` when there is nothing to undo.
    #[wasm_bindgen(unchecked_return_type = "UndoResult | undefined")]
    pub fn undo(&self) -> Result<JsValue, BindingError> {
        let step = edit(&self.inner, dagsync::Doc::undo)?;
        step_to_js(&self.inner, step)
    }

    /// Redoes the latest undone step (any new edit of ours clears the redo stack). Returns
    /// where to put the caret, or `undefined` when there is nothing to redo.
    #[wasm_bindgen(unchecked_return_type = "UndoResult | undefined")]
    pub fn redo(&self) -> Result<JsValue, BindingError> {
        let step = edit(&self.inner, dagsync::Doc::redo)?;
        step_to_js(&self.inner, step)
    }

    /// Whether `undo()` has a step to undo.
    #[wasm_bindgen(js_name = canUndo)]
    pub fn can_undo(&self) -> Result<bool, BindingError> {
        with_doc(&self.inner, dagsync::Doc::can_undo)
    }

    /// Whether `redo()` has a step to redo.
    #[wasm_bindgen(js_name = canRedo)]
    pub fn can_redo(&self) -> Result<bool, BindingError> {
        with_doc(&self.inner, dagsync::Doc::can_redo)
    }

    /// Makes the next commit start a new undo step, whatever the time since the last one.
    #[wasm_bindgen(js_name = stopCapturing)]
    pub fn stop_capturing(&self) -> Result<(), BindingError> {
        with_doc_mut(&self.inner, dagsync::Doc::stop_capturing)
    }
}

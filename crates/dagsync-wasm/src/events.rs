//! Change events: the core's patches as plain JS objects, delivered to `subscribe` listeners
//! after the call that caused them has returned (so a listener may read or edit the document).

use dagsync::{Event, Origin, Patch, PatchAction, PathElem};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::doc::SharedDoc;
use crate::values::{item_to_js, items_to_js, option_item_to_js, value_to_js};

#[wasm_bindgen(typescript_custom_section)]
const EVENT_TYPES: &'static str = r#"
/** A step from a root container to a nested one: a root name, a map key or a list index. */
export type PathElement = string | number;

/** One visible change to one container. `path` leads from the root (its first element is the
 * root's name) to the container that changed; it is empty when that container is no longer
 * reachable. Text positions and lengths are in UTF-16 code units. */
export type Patch =
  | { action: "text-insert"; path: PathElement[]; index: number; text: string }
  | { action: "text-delete"; path: PathElement[]; index: number; length: number }
  | { action: "list-insert"; path: PathElement[]; index: number; values: Item[] }
  | { action: "list-delete"; path: PathElement[]; index: number; length: number }
  | { action: "map-put"; path: PathElement[]; key: string; value: Item }
  | { action: "map-delete"; path: PathElement[]; key: string }
  | { action: "counter-add"; path: PathElement[]; delta: number }
  | { action: "set-add"; path: PathElement[]; value: Value }
  | { action: "set-remove"; path: PathElement[]; value: Value }
  | { action: "register-set"; path: PathElement[]; value: Item | undefined };

/** The patches of one local commit or of one batch of applied remote changes. */
export interface ChangeEvent {
  /** `"local"` for this document's commits, `"remote"` for imported or merged changes. */
  origin: "local" | "remote";
  /** What changed, in order. */
  patches: Patch[];
}
"#;

/// Sets `key` on a fresh plain object (cannot fail).
pub(crate) fn put(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// The JS `ChangeEvent` of a core event.
pub(crate) fn event_to_js(doc: &SharedDoc, event: &Event) -> JsValue {
    let object = Object::new();
    let origin = match event.origin {
        Origin::Local => "local",
        Origin::Remote => "remote",
    };
    put(&object, "origin", &JsValue::from_str(origin));
    let patches: Array = event.patches.iter().map(|p| patch_to_js(doc, p)).collect();
    put(&object, "patches", &patches);
    object.into()
}

fn patch_to_js(doc: &SharedDoc, patch: &Patch) -> JsValue {
    let object = Object::new();
    let path: Array = patch
        .path
        .iter()
        .map(|step| match step {
            PathElem::Root(name) | PathElem::Key(name) => JsValue::from_str(name),
            PathElem::Index(i) => JsValue::from_f64(*i as f64),
        })
        .collect();
    let number = |n: u64| JsValue::from_f64(n as f64);
    let action = match &patch.action {
        PatchAction::TextInsert {
            index_utf16, text, ..
        } => {
            put(&object, "index", &number(*index_utf16));
            put(&object, "text", &JsValue::from_str(text));
            "text-insert"
        }
        PatchAction::TextDelete {
            index_utf16,
            len_utf16,
            ..
        } => {
            put(&object, "index", &number(*index_utf16));
            put(&object, "length", &number(*len_utf16));
            "text-delete"
        }
        PatchAction::ListInsert { index, items } => {
            put(&object, "index", &number(*index));
            put(&object, "values", &items_to_js(doc, items));
            "list-insert"
        }
        PatchAction::ListDelete { index, len } => {
            put(&object, "index", &number(*index));
            put(&object, "length", &number(*len));
            "list-delete"
        }
        PatchAction::MapPut { key, value } => {
            put(&object, "key", &JsValue::from_str(key));
            put(&object, "value", &item_to_js(doc, value));
            "map-put"
        }
        PatchAction::MapDelete { key } => {
            put(&object, "key", &JsValue::from_str(key));
            "map-delete"
        }
        PatchAction::CounterAdd { delta } => {
            put(&object, "delta", &JsValue::from_f64(*delta as f64));
            "counter-add"
        }
        PatchAction::SetAdd { value } => {
            put(&object, "value", &value_to_js(value));
            "set-add"
        }
        PatchAction::SetRemove { value } => {
            put(&object, "value", &value_to_js(value));
            "set-remove"
        }
        PatchAction::RegisterSet { value } => {
            put(&object, "value", &option_item_to_js(doc, value.as_ref()));
            "register-set"
        }
    };
    put(&object, "action", &JsValue::from_str(action));
    put(&object, "path", &path);
    object.into()
}

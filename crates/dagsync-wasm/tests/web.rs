//! Browser tests of the bindings, run by `wasm-pack test --headless --chrome`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::{BindingError, Doc};
use js_sys::{Reflect, Uint8Array};
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The JS object a binding error becomes, with its `code` and `name`.
fn thrown(err: BindingError) -> (js_sys::Error, String, String) {
    let value = JsValue::from(err);
    let code = Reflect::get(&value, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    let error: js_sys::Error = value.dyn_into().expect("DagsyncError is a JS Error");
    let name = String::from(error.name());
    (error, code, name)
}

#[wasm_bindgen_test]
fn map_set_get_save_load() {
    let doc = Doc::new();
    assert_eq!(doc.actor().unwrap().len(), 64);
    let map = doc.get_map("meta").unwrap();
    map.set("title", "Hello".into()).unwrap();
    map.set("title", "Hello, world".into()).unwrap();
    assert_eq!(map.get("title").unwrap().as_deref(), Some("Hello, world"));
    let loaded = Doc::load(&doc.save().unwrap()).unwrap();
    assert_ne!(
        loaded.actor().unwrap(),
        doc.actor().unwrap(),
        "a loaded doc gets its own identity"
    );
    let copy = loaded.get_map("meta").unwrap();
    assert_eq!(copy.get("title").unwrap().as_deref(), Some("Hello, world"));
    assert_eq!(copy.keys().unwrap(), vec!["title".to_owned()]);
}

#[wasm_bindgen_test]
fn corrupt_bytes_throw_dagsync_error() {
    let doc = Doc::new();
    doc.get_map("m").unwrap().set("k", "v".into()).unwrap();
    let mut bytes = doc.save().unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let Err(err) = Doc::load(&bytes) else {
        panic!("corrupt bytes must not load");
    };
    let (error, code, name) = thrown(err);
    assert_eq!(code, "corrupt");
    assert_eq!(name, "DagsyncError");
    assert!(String::from(error.message()).contains("checksum"));
}

#[wasm_bindgen_test]
fn wrong_value_type_throws_and_changes_nothing() {
    let doc = Doc::new();
    let map = doc.get_map("m").unwrap();
    map.set("k", "kept".into()).unwrap();
    let before = doc.save().unwrap();
    let err = map
        .set("k", JsValue::from_f64(1.5))
        .expect_err("numbers are not strings yet");
    let (_, code, _) = thrown(err);
    assert_eq!(code, "invalid-argument");
    assert_eq!(map.get("k").unwrap().as_deref(), Some("kept"));
    assert_eq!(doc.save().unwrap(), before);
}

const DB: &str = "dagsync-wasm-test";
const STORE: &str = "docs";

async fn open_db() -> Rexie {
    Rexie::builder(DB)
        .version(1)
        .add_object_store(ObjectStore::new(STORE))
        .build()
        .await
        .expect("IndexedDB opens")
}

#[wasm_bindgen_test]
async fn doc_round_trips_through_indexeddb() {
    Rexie::delete(DB).await.expect("old test database deleted");
    let doc = Doc::new();
    let map = doc.get_map("settings").unwrap();
    map.set("theme", "dark".into()).unwrap();
    map.set("language", "français ✓".into()).unwrap();
    let saved = doc.save().unwrap();

    let db = open_db().await;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .unwrap();
    let store = tx.store(STORE).unwrap();
    let bytes = Uint8Array::from(saved.as_slice());
    store.put(&bytes, Some(&"doc-1".into())).await.unwrap();
    tx.done().await.unwrap();
    db.close();

    // A fresh connection reads what the first one committed.
    let db = open_db().await;
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).unwrap();
    let stored = tx.store(STORE).unwrap().get("doc-1".into()).await.unwrap();
    let stored: Uint8Array = stored
        .expect("row exists")
        .dyn_into()
        .expect("stored as bytes");
    tx.done().await.unwrap();
    db.close();

    assert_eq!(stored.to_vec(), saved);
    let loaded = Doc::load(&stored.to_vec()).unwrap();
    let settings = loaded.get_map("settings").unwrap();
    assert_eq!(settings.get("theme").unwrap().as_deref(), Some("dark"));
    assert_eq!(
        settings.get("language").unwrap().as_deref(),
        Some("français ✓")
    );
    Rexie::delete(DB).await.unwrap();
}

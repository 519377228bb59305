//! Browser tests of persistence: a document saved into IndexedDB and loaded back. Run by
//! `wasm-pack test --headless --chrome` (as are the other files here, one per API group).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::Doc;
use js_sys::Uint8Array;
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
    let doc = Doc::new(JsValue::UNDEFINED).unwrap();
    let map = doc.get_map("settings".into()).unwrap();
    map.set("theme".into(), "dark".into()).unwrap();
    map.set("language".into(), "français ✓".into()).unwrap();
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
    let loaded = Doc::load(stored.into()).unwrap();
    let settings = loaded.get_map("settings".into()).unwrap();
    assert_eq!(settings.get("theme".into()).unwrap(), "dark");
    assert_eq!(settings.get("language".into()).unwrap(), "français ✓");
    Rexie::delete(DB).await.unwrap();
}

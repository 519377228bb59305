//! Browser test of a large document in a `Repo` with IndexedDB storage: the automerge-paper
//! trace (259,778 edits) with its full history is stored and loads back equal.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::trace::{automerge_paper, replay};
use common::{call, get, invoke, object};
use dagsync_wasm::{Doc, IndexedDbStorage, Repo};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn stored_repo(db: &str) -> JsValue {
    let storage: JsValue = IndexedDbStorage::new(db.into()).unwrap().into();
    Repo::new(object(&[("storage", storage)])).unwrap().into()
}

fn text(handle: &JsValue) -> JsValue {
    let text = call(&get(handle, "doc"), "getText", &["t".into()]).unwrap();
    call(&text, "toString", &[]).unwrap()
}

#[wasm_bindgen_test]
async fn the_automerge_paper_document_is_stored_and_loads_back_equal() {
    let db = "wasm-large-paper";
    rexie::Rexie::delete(db).await.unwrap();
    let trace = automerge_paper().await;
    let source: JsValue = Doc::new(JsValue::UNDEFINED).unwrap().into();
    // A change per thousand edits: 260 changes, every operation kept.
    replay(&source, &trace, 1_000);
    let end = get(&trace, "endContent");
    assert_eq!(
        call(
            &call(&source, "getText", &["t".into()]).unwrap(),
            "toString",
            &[]
        )
        .unwrap(),
        end
    );

    let repo = stored_repo(db);
    let handle = invoke(&repo, "create", &[]).await;
    call(&get(&handle, "doc"), "merge", std::slice::from_ref(&source)).unwrap();
    let heads = call(&get(&handle, "doc"), "heads", &[]).unwrap();
    invoke(&handle, "flushed", &[]).await;
    let id = get(&handle, "id");
    invoke(&repo, "close", &[]).await;

    let repo = stored_repo(db);
    let handle = invoke(&repo, "find", &[id]).await;
    assert_eq!(text(&handle), end);
    let loaded = call(&get(&handle, "doc"), "heads", &[]).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&loaded).unwrap(),
        js_sys::JSON::stringify(&heads).unwrap()
    );
    let history = call(&get(&handle, "doc"), "history", &[]).unwrap();
    assert!(js_sys::Array::from(&history).length() >= 1);
    invoke(&repo, "close", &[]).await;
}

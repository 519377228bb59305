//! Browser tests of sync: two documents converge through generateSyncMessage /
//! receiveSyncMessage, a persisted SyncState resumes, bad messages are DagsyncErrors.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::{Doc, SyncState};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Doc {
    Doc::new(JsValue::UNDEFINED).unwrap()
}

fn bytes(v: &[u8]) -> JsValue {
    Uint8Array::from(v).into()
}

/// Exchanges messages until both sides are quiet.
fn converse(a: &Doc, a_state: &SyncState, b: &Doc, b_state: &SyncState) {
    for _ in 0..50 {
        let m1 = a.generate_sync_message(a_state.to_js()).unwrap();
        let m2 = b.generate_sync_message(b_state.to_js()).unwrap();
        if m1.is_none() && m2.is_none() {
            return;
        }
        if let Some(m) = m1 {
            b.receive_sync_message(b_state.to_js(), bytes(&m)).unwrap();
        }
        if let Some(m) = m2 {
            a.receive_sync_message(a_state.to_js(), bytes(&m)).unwrap();
        }
    }
    panic!("sync did not go quiet");
}

fn text(d: &Doc) -> String {
    d.get_text("t".into()).unwrap().to_js_string().unwrap()
}

#[wasm_bindgen_test]
fn two_documents_converge_and_resume() {
    let (a, b) = (doc(), doc());
    a.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0), "hello".into())
        .unwrap();
    a.commit(JsValue::UNDEFINED).unwrap();
    let (to_b, to_a) = (SyncState::new(), SyncState::new());
    converse(&a, &to_b, &b, &to_a);
    assert_eq!(text(&b), "hello");
    let saved = to_b.encode();
    b.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(5), " world".into())
        .unwrap();
    b.commit(JsValue::UNDEFINED).unwrap();
    let to_b = SyncState::decode(bytes(&saved)).unwrap();
    converse(&a, &to_b, &b, &to_a);
    assert_eq!(text(&a), "hello world");
}

#[wasm_bindgen_test]
fn bad_messages_are_dagsync_errors() {
    let b = doc();
    let state = SyncState::new();
    let err = b
        .receive_sync_message(state.to_js(), bytes(&[1, 2, 3]))
        .unwrap_err();
    assert_eq!(err.code.as_str(), "corrupt");
    // Not a SyncState: a DagsyncError, not wasm-bindgen's plain Error.
    for wrong in [JsValue::UNDEFINED, js_sys::Object::new().into(), b.to_js()] {
        let err = b.generate_sync_message(wrong.clone()).unwrap_err();
        assert_eq!(err.code.as_str(), "invalid-argument");
        let err = b.receive_sync_message(wrong, bytes(&[1])).unwrap_err();
        assert_eq!(err.code.as_str(), "invalid-argument");
    }
    assert!(SyncState::decode(bytes(&[9])).is_err());
    assert_eq!(text(&b), "");
}

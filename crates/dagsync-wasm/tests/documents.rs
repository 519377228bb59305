//! Browser tests of documents: identities, commit and heads, toJSON, save and load.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::{Doc, ErrorCode};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(secret_key: &str) -> JsValue {
    let object = Object::new();
    Reflect::set(&object, &"secretKey".into(), &secret_key.into()).unwrap();
    object.into()
}

#[wasm_bindgen_test]
fn identities_are_fresh_or_from_a_secret_key() {
    let a = Doc::new(JsValue::UNDEFINED).unwrap();
    let b = Doc::new(JsValue::NULL).unwrap();
    assert_eq!(a.actor().unwrap().len(), 64);
    assert_ne!(a.actor().unwrap(), b.actor().unwrap());
    let key = "5a".repeat(32);
    let c = Doc::new(options(&key)).unwrap();
    let d = Doc::new(options(&key)).unwrap();
    assert_eq!(c.actor().unwrap(), d.actor().unwrap());
    for bad in [options("xyz"), options(&"5a".repeat(33)), JsValue::from(3)] {
        let err = Doc::new(bad).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
    }
}

#[wasm_bindgen_test]
fn commit_returns_the_hash_that_becomes_the_head() {
    let doc = Doc::new(JsValue::UNDEFINED).unwrap();
    assert_eq!(doc.commit(JsValue::UNDEFINED).unwrap(), None);
    doc.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "hello".into())
        .unwrap();
    let first = String::from(doc.commit(JsValue::UNDEFINED).unwrap().unwrap());
    assert_eq!(doc.heads().unwrap(), vec![first.clone()]);
    doc.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(5.0), "!".into())
        .unwrap();
    let second = String::from(doc.commit("done".into()).unwrap().unwrap());
    assert_ne!(first, second);
    assert_eq!(doc.heads().unwrap(), vec![second]);
}

#[wasm_bindgen_test]
fn save_and_load_keep_content_and_history() {
    let doc = Doc::new(JsValue::UNDEFINED).unwrap();
    doc.get_map("meta".into())
        .unwrap()
        .set("title".into(), "Hello".into())
        .unwrap();
    doc.get_counter("n".into())
        .unwrap()
        .increment(JsValue::from(4))
        .unwrap();
    doc.get_text("body".into())
        .unwrap()
        .insert(JsValue::from(0.0), "día 🌞".into())
        .unwrap();
    doc.commit("v1".into()).unwrap();
    let bytes = doc.save().unwrap();
    let loaded = Doc::load(bytes_js(&bytes)).unwrap();
    assert_ne!(loaded.actor().unwrap(), doc.actor().unwrap());
    assert_eq!(loaded.heads().unwrap(), doc.heads().unwrap());
    assert_eq!(
        loaded
            .get_text("body".into())
            .unwrap()
            .to_js_string()
            .unwrap(),
        "día 🌞"
    );
    assert_eq!(
        loaded.get_text("body".into()).unwrap().length().unwrap(),
        6.0
    );
    assert_eq!(
        loaded.get_counter("n".into()).unwrap().value().unwrap(),
        4.0
    );
    let json = loaded.to_json().unwrap();
    let title = Reflect::get(
        &Reflect::get(&json, &"meta".into()).unwrap(),
        &"title".into(),
    );
    assert_eq!(title.unwrap(), "Hello");
    assert_eq!(loaded.save().unwrap(), bytes);
}

#[wasm_bindgen_test]
fn corrupt_snapshots_are_refused_with_a_code() {
    let doc = Doc::new(JsValue::UNDEFINED).unwrap();
    doc.get_map("m".into())
        .unwrap()
        .set("k".into(), "v".into())
        .unwrap();
    let mut bytes = doc.save().unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let err = Doc::load(bytes_js(&bytes)).err().unwrap();
    assert_eq!(err.code, ErrorCode::Corrupt);
    assert!(err.message.contains("checksum"));
    assert_eq!(
        Doc::load(bytes_js(&[])).err().unwrap().code,
        ErrorCode::Corrupt
    );
}

/// Bytes as the `Uint8Array` JS passes.
fn bytes_js(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

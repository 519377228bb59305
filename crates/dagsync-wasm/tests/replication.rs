//! Browser tests of replication: events, local updates, export/import, fork/merge, history,
//! views and branches.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::cell::RefCell;
use std::rc::Rc;

use dagsync_wasm::{Doc, ErrorCode};
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Doc {
    Doc::new(JsValue::UNDEFINED).unwrap()
}

/// A JS listener that records what it is called with.
fn recorder() -> (Function, Rc<RefCell<Vec<JsValue>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |v| sink.borrow_mut().push(v));
    (closure.into_js_value().unchecked_into(), seen)
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn subscribers_get_local_and_remote_events() {
    let a = doc();
    let (listener, events) = recorder();
    let unsubscribe = a.subscribe(listener.into()).unwrap();
    a.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "hi".into())
        .unwrap();
    assert!(events.borrow().is_empty(), "nothing before commit");
    a.commit(JsValue::UNDEFINED).unwrap();
    {
        let events = events.borrow();
        assert_eq!(events.len(), 1);
        assert_eq!(get(&events[0], "origin"), "local");
        let patch = js_sys::Array::from(&get(&events[0], "patches")).get(0);
        assert_eq!(get(&patch, "action"), "text-insert");
        assert_eq!(get(&patch, "text"), "hi");
    }
    let b = doc();
    let (listener, remote) = recorder();
    b.subscribe(listener.into()).unwrap();
    b.import_changes(bytes_js(&a.export_changes(JsValue::UNDEFINED).unwrap()))
        .unwrap();
    assert_eq!(get(&remote.borrow()[0], "origin"), "remote");

    unsubscribe.call0(&JsValue::UNDEFINED).unwrap();
    a.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "x".into())
        .unwrap();
    a.commit(JsValue::UNDEFINED).unwrap();
    assert_eq!(events.borrow().len(), 1);
}

#[wasm_bindgen_test]
async fn local_updates_import_elsewhere() {
    let a = doc();
    let (listener, updates) = recorder();
    a.subscribe_local_updates(listener.into()).unwrap();
    a.get_list("l".into()).unwrap().push(1.into()).unwrap();
    a.commit(JsValue::UNDEFINED).unwrap();
    a.get_list("l".into()).unwrap().push(2.into()).unwrap();
    a.commit(JsValue::UNDEFINED).unwrap();
    assert_eq!(updates.borrow().len(), 2, "one update per commit");
    // The burst ends (a microtask later) with one more update: the latest change, signed.
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL))
        .await
        .unwrap();
    assert_eq!(updates.borrow().len(), 3);
    let b = doc();
    let applied: Vec<JsValue> = updates
        .borrow()
        .iter()
        .map(|update| {
            let bytes = Uint8Array::new(update).to_vec();
            get(&b.import_changes(bytes_js(&bytes)).unwrap(), "applied")
        })
        .collect();
    // Held until the signature covering both arrives with the last update.
    assert_eq!(
        applied,
        vec![JsValue::from(0), JsValue::from(0), JsValue::from(2)]
    );
    assert_eq!(b.get_list("l".into()).unwrap().length().unwrap(), 2.0);
    assert_eq!(b.heads().unwrap(), a.heads().unwrap());
}

#[wasm_bindgen_test]
fn export_since_heads_fork_and_merge() {
    let a = doc();
    a.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "one".into())
        .unwrap();
    let v1 = String::from(a.commit("v1".into()).unwrap().unwrap());
    let b = a.fork().unwrap();
    assert_ne!(a.actor().unwrap(), b.actor().unwrap());
    a.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(3.0), " two".into())
        .unwrap();
    a.commit(JsValue::UNDEFINED).unwrap();
    let delta = a
        .export_changes(heads_js(std::slice::from_ref(&v1)))
        .unwrap();
    // The delta holds just the change after v1: alone, it waits for v1.
    let alone = doc().import_changes(bytes_js(&delta)).unwrap();
    assert_eq!(get(&alone, "applied"), 0);
    assert_eq!(get(&alone, "pending"), 1);
    let result = b.import_changes(bytes_js(&delta)).unwrap();
    assert_eq!(get(&result, "applied"), 1);
    assert_eq!(get(&result, "pending"), 0);
    b.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), ">".into())
        .unwrap();
    a.merge(b.to_js()).unwrap();
    assert_eq!(
        a.get_text("t".into()).unwrap().to_js_string().unwrap(),
        ">one two"
    );
    assert_eq!(
        a.export_changes(heads_js(&["00".repeat(32)]))
            .unwrap_err()
            .code,
        ErrorCode::UnknownChange
    );
}

#[wasm_bindgen_test]
fn history_view_and_fork_at() {
    let doc = doc();
    doc.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "a".into())
        .unwrap();
    let v1 = String::from(doc.commit("first".into()).unwrap().unwrap());
    doc.get_text("t".into())
        .unwrap()
        .insert(JsValue::from(1.0), "b".into())
        .unwrap();
    let v2 = String::from(doc.commit("second".into()).unwrap().unwrap());
    let history = doc.history().unwrap();
    assert_eq!(history.length(), 2);
    let second = history.get(1);
    assert_eq!(get(&second, "hash"), v2.as_str());
    assert_eq!(get(&second, "message"), "second");
    assert_eq!(get(&second, "seq"), 2);
    assert_eq!(
        js_sys::Array::from(&get(&second, "deps")).get(0),
        v1.as_str()
    );

    let view = doc.view(heads_js(std::slice::from_ref(&v1))).unwrap();
    assert_eq!(
        view.get_text("t".into()).unwrap().to_js_string().unwrap(),
        "a"
    );
    let err = view
        .get_text("t".into())
        .unwrap()
        .insert(JsValue::from(0.0), "x".into())
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ReadOnly);
    let all = bytes_js(&doc.export_changes(JsValue::UNDEFINED).unwrap());
    assert_eq!(
        view.import_changes(all).unwrap_err().code,
        ErrorCode::ReadOnly
    );
    assert_eq!(
        view.merge(doc.to_js()).unwrap_err().code,
        ErrorCode::ReadOnly
    );

    let branch = doc.fork_at(heads_js(&[v1]), JsValue::UNDEFINED).unwrap();
    branch
        .get_text("t".into())
        .unwrap()
        .insert(JsValue::from(1.0), "c".into())
        .unwrap();
    assert_eq!(
        branch.get_text("t".into()).unwrap().to_js_string().unwrap(),
        "ac"
    );
    assert_eq!(
        doc.view(heads_js(&["bad".to_owned()])).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
}

/// Bytes as the `Uint8Array` JS passes.
fn bytes_js(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// Hex heads as the array of strings JS passes.
fn heads_js(heads: &[String]) -> JsValue {
    heads
        .iter()
        .map(|h| JsValue::from_str(h))
        .collect::<js_sys::Array>()
        .into()
}

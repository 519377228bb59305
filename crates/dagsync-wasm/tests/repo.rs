//! Browser tests of the JS `Repo` (API.md "Repo"), driven through its JS methods: create,
//! find, handles and their events, `flushed`, `close`, IndexedDB storage across a reload, two
//! repos on one database (as two tabs), two repos over a network in memory, error events,
//! and bad arguments.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{
    call, code, collector, get, handle_edit as edit, handle_text as text, invoke, object, until,
    wait, MemoryLink,
};
use dagsync_wasm::{IndexedDbStorage, Repo};
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn new_repo(options: JsValue) -> JsValue {
    Repo::new(options).unwrap().into()
}

/// A repo keeping its documents in the IndexedDB database `db`.
fn stored_repo(db: &str) -> JsValue {
    let storage: JsValue = IndexedDbStorage::new(db.into()).unwrap().into();
    new_repo(object(&[("storage", storage)]))
}

/// Deletes the database `name`; returns the name.
async fn fresh(name: &str) -> &str {
    rexie::Rexie::delete(name).await.unwrap();
    name
}

#[wasm_bindgen_test]
async fn create_find_events_flushed_and_close_in_memory() {
    let repo = new_repo(JsValue::UNDEFINED);
    let handle = invoke(&repo, "create", &[]).await;
    let id = get(&handle, "id").as_string().unwrap();
    assert_eq!(id.len(), 32);
    let doc = get(&handle, "doc");
    assert!(
        js_sys::Object::is(&doc, &get(&handle, "doc")),
        "handle.doc is one object"
    );

    let (listener, changes) = collector();
    let off = call(&handle, "on", &["change".into(), listener.into()]).unwrap();
    edit(&handle, 0, "hello");
    assert_eq!(changes.borrow().len(), 1);
    assert_eq!(get(&changes.borrow()[0], "origin"), "local");
    invoke(&handle, "flushed", &[]).await;
    js_sys::Function::from(off)
        .call0(&JsValue::UNDEFINED)
        .unwrap();
    edit(&handle, 5, "!");
    assert_eq!(changes.borrow().len(), 1, "the listener was removed");

    let found = invoke(&repo, "find", &[id.clone().into()]).await;
    assert!(
        js_sys::Object::is(&found, &handle),
        "find gives the same handle"
    );
    assert_eq!(text(&found), "hello!");
    let ids: Array = call(&repo, "docIds", &[]).unwrap().into();
    assert_eq!(ids.length(), 1);
    let stats = call(&repo, "stats", &[]).unwrap();
    assert_eq!(get(&stats, "docs"), 1);
    assert_eq!(get(&stats, "peers"), 0);
    assert_eq!(get(&stats, "pendingWrites"), false);
    assert_eq!(Array::from(&call(&repo, "peers", &[]).unwrap()).length(), 0);

    // A malformed id rejects; an unknown one starts an empty document.
    let bad = wait(call(&repo, "find", &["nope".into()]).unwrap()).await;
    assert_eq!(code(&bad.unwrap_err()), "invalid-argument");
    let other = invoke(&repo, "find", &["ab".repeat(16).into()]).await;
    assert_eq!(text(&other), "");

    invoke(&repo, "close", &[]).await;
    let after = wait(call(&repo, "create", &[]).unwrap()).await;
    assert_eq!(code(&after.unwrap_err()), "closed");
    // The document stays readable.
    assert_eq!(text(&handle), "hello!");
}

#[wasm_bindgen_test]
async fn documents_and_identity_survive_a_reload_from_indexeddb() {
    let db = fresh("wasm-repo-reload").await;
    let repo = stored_repo(db);
    let handle = invoke(&repo, "create", &[]).await;
    let id = get(&handle, "id");
    for (i, word) in ["one ", "two ", "three"].iter().enumerate() {
        edit(&handle, [0, 4, 8][i], word);
    }
    invoke(&handle, "flushed", &[]).await;
    let actor = get(&get(&handle, "doc"), "actor");
    edit(&handle, 13, "!"); // not awaited: close stores it
    invoke(&repo, "close", &[]).await;

    let repo = stored_repo(db);
    let ids: Array = call(&repo, "docIds", &[]).unwrap().into();
    assert_eq!(ids.length(), 0, "nothing before the storage is open");
    let handle = invoke(&repo, "find", &[id]).await;
    assert_eq!(text(&handle), "one two three!");
    assert_eq!(get(&get(&handle, "doc"), "actor"), actor, "same identity");
    // Edits after the reload extend the same history.
    edit(&handle, 0, ">");
    invoke(&handle, "flushed", &[]).await;
    invoke(&repo, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn two_repos_on_one_database_see_each_others_documents_as_tabs_do() {
    let db = fresh("wasm-repo-tabs").await;
    let a = stored_repo(db);
    let b = stored_repo(db);
    let (on_document, documents) = collector();
    call(&b, "on", &["document".into(), on_document.into()]).unwrap();

    let ha = invoke(&a, "create", &[]).await;
    edit(&ha, 0, "from a");
    invoke(&ha, "flushed", &[]).await;
    until("b hears of a's document", || !documents.borrow().is_empty()).await;
    let id = get(&documents.borrow()[0], "id");
    assert_eq!(id, get(&ha, "id"));
    let hb = invoke(&b, "find", &[id]).await;
    assert_ne!(
        get(&get(&ha, "doc"), "actor"),
        get(&get(&hb, "doc"), "actor"),
        "each tab has its own identity"
    );
    until("b has a's text", || text(&hb) == "from a").await;

    // Both write at once; both end with everything.
    edit(&ha, 0, "A");
    edit(&hb, 6, "B");
    invoke(&ha, "flushed", &[]).await;
    invoke(&hb, "flushed", &[]).await;
    until("the tabs converge", || {
        text(&ha) == text(&hb) && text(&ha).contains('A') && text(&ha).contains('B')
    })
    .await;
    invoke(&a, "close", &[]).await;
    invoke(&b, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn two_repos_sync_over_a_network_and_report_peers() {
    let (end_a, end_b) = MemoryLink::pair();
    let a = new_repo(object(&[("network", Array::of1(&end_a).into())]));
    let b = new_repo(object(&[("network", Array::of1(&end_b).into())]));
    let (on_peer, peer_events) = collector();
    call(&a, "on", &["peer".into(), on_peer.into()]).unwrap();

    let ha = invoke(&a, "create", &[]).await;
    edit(&ha, 0, "synced");
    let saw = |kind: &'static str| {
        let events = Rc::clone(&peer_events);
        move || events.borrow().iter().any(|e| get(e, "type") == kind)
    };
    until("a authenticates b", saw("authenticated")).await;
    let peers: Array = call(&a, "peers", &[]).unwrap().into();
    assert_eq!(peers.length(), 1);
    let peer = peers.get(0);
    assert_eq!(get(&peer, "id"), "b");
    assert_eq!(get(&peer, "network"), "memory");
    assert!(get(&peer, "actor").is_string());

    let hb = invoke(&b, "find", &[get(&ha, "id")]).await;
    until("b gets a's document", || text(&hb) == "synced").await;
    let (on_change, remote_changes) = collector();
    call(&ha, "on", &["change".into(), on_change.into()]).unwrap();
    edit(&hb, 0, "re-");
    until("a gets b's edit", || text(&ha) == "re-synced").await;
    assert!(remote_changes
        .borrow()
        .iter()
        .any(|e| get(e, "origin") == "remote"));
    let stats = call(&a, "stats", &[]).unwrap();
    assert!(get(&stats, "framesReceived").as_f64().unwrap() > 0.0);
    // Per peer, the same traffic; and the syncs a confirmed have latencies.
    let per_peer: Array = get(&stats, "perPeer").into();
    assert_eq!(per_peer.length(), 1);
    let traffic = per_peer.get(0);
    assert_eq!(get(&traffic, "id"), "b");
    assert_eq!(get(&traffic, "bytesReceived"), get(&stats, "bytesReceived"));
    let latency = get(&stats, "syncLatencyMs");
    assert!(
        get(&latency, "samples").as_f64().unwrap() >= 1.0,
        "{latency:?}"
    );
    assert!(get(&latency, "p95").as_f64().unwrap() >= get(&latency, "p50").as_f64().unwrap());

    invoke(&b, "close", &[]).await;
    until("a sees b leave", saw("disconnected")).await;
    invoke(&a, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn a_corrupt_row_is_an_error_event_and_the_rest_loads() {
    let db = fresh("wasm-repo-corrupt").await;
    let repo = stored_repo(db);
    let handle = invoke(&repo, "create", &[]).await;
    edit(&handle, 0, "kept");
    let id = get(&handle, "id");
    invoke(&repo, "close", &[]).await;

    // A torn row next to the good ones.
    let rexie = rexie::Rexie::builder(db)
        .version(dagsync_idb::SCHEMA_VERSION)
        .add_object_store(rexie::ObjectStore::new("rows"))
        .add_object_store(rexie::ObjectStore::new("sync_states"))
        .add_object_store(rexie::ObjectStore::new("meta"))
        .build()
        .await
        .unwrap();
    let tx = rexie
        .transaction(&["rows"], rexie::TransactionMode::ReadWrite)
        .unwrap();
    let key = Array::of3(&id, &JsValue::from(1), &"torn.1".into());
    let torn = Uint8Array::from(&b"DSIR\x01\x01garbage"[..]);
    tx.store("rows")
        .unwrap()
        .put(&torn, Some(&key))
        .await
        .unwrap();
    tx.done().await.unwrap();
    rexie.close();

    let repo = stored_repo(db);
    let (on_error, errors) = collector();
    call(&repo, "on", &["error".into(), on_error.into()]).unwrap();
    let handle = invoke(&repo, "find", &[id]).await;
    assert_eq!(text(&handle), "kept");
    until("the error event", || !errors.borrow().is_empty()).await;
    let error = errors.borrow()[0].clone();
    assert_eq!(code(&error), "corrupt");
    assert_eq!(get(&error, "name"), "DagsyncError");
    invoke(&repo, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn bad_arguments_are_dagsync_errors() {
    let err = |r: Result<Repo, dagsync_wasm::BindingError>| r.err().unwrap().code.as_str();
    assert_eq!(err(Repo::new(5.into())), "invalid-argument");
    assert_eq!(
        err(Repo::new(object(&[("storage", 5.into())]))),
        "invalid-argument"
    );
    assert_eq!(
        err(Repo::new(object(&[(
            "network",
            Array::of1(&object(&[])).into()
        )]))),
        "invalid-argument"
    );
    assert_eq!(
        err(Repo::new(object(&[("network", "x".into())]))),
        "invalid-argument"
    );
    assert_eq!(
        err(Repo::new(object(&[("secretKey", "zz".into())]))),
        "invalid-argument"
    );
    assert!(IndexedDbStorage::new(3.into()).is_err());
    assert!(IndexedDbStorage::new("".into()).is_err());

    let repo = new_repo(JsValue::UNDEFINED);
    let thrown = call(
        &repo,
        "on",
        &["nope".into(), js_sys::Function::new_no_args("").into()],
    );
    assert_eq!(code(&thrown.unwrap_err()), "invalid-argument");
    let thrown = call(&repo, "on", &["peer".into(), 5.into()]);
    assert_eq!(code(&thrown.unwrap_err()), "invalid-argument");
    let handle = invoke(&repo, "create", &[]).await;
    let thrown = call(
        &handle,
        "on",
        &["nope".into(), js_sys::Function::new_no_args("").into()],
    );
    assert_eq!(code(&thrown.unwrap_err()), "invalid-argument");
    let thrown = wait(call(&repo, "find", &[7.into()]).unwrap()).await;
    assert_eq!(code(&thrown.unwrap_err()), "invalid-argument");
    invoke(&repo, "close", &[]).await;
    // Closing twice is fine.
    invoke(&repo, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn a_collections_declared_index_is_stored_and_rebuilt_after_a_reload() {
    let db = fresh("wasm-repo-index").await;
    let repo = stored_repo(db);
    let todos = invoke(&repo, "collection", &["todos".into()]).await;
    call(&todos, "ensureIndex", &["owner.name".into()]).unwrap();
    let record = js_sys::JSON::parse(r#"{"owner": {"name": "ada"}, "title": "x"}"#).unwrap();
    call(&todos, "insert", &[record]).unwrap();
    invoke(&repo, "close", &[]).await;

    let repo = stored_repo(db);
    let todos = invoke(&repo, "collection", &["todos".into()]).await;
    let query = js_sys::JSON::parse(r#"{"where": {"owner.name": "ada"}}"#).unwrap();
    let plan = call(&todos, "explain", std::slice::from_ref(&query)).unwrap();
    assert_eq!(
        get(&plan, "index"),
        JsValue::from("owner.name"),
        "no ensureIndex this time"
    );
    let found: Array = call(&todos, "find", &[query]).unwrap().into();
    assert_eq!(found.length(), 1);
    invoke(&repo, "close", &[]).await;
}

//! Browser tests of issue 11 and 12 in JS: presence between two repos over BroadcastChannel
//! and over WebRTC (appear, update, expire), undo of one's own edits with remote edits kept,
//! and a collection's live queries updating on two repos over BroadcastChannel.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{call, collector, get, invoke, object, until, wait};
use dagsync_wasm::{BroadcastChannelNetwork, Repo, WebRtcNetwork};
use js_sys::{Array, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A room no other test uses.
fn room(what: &str) -> String {
    format!("{what}-{}", js_sys::Math::random())
}

fn broadcast(room: &str) -> JsValue {
    BroadcastChannelNetwork::new(room.into()).unwrap().into()
}

fn webrtc(room: &str) -> JsValue {
    let options = object(&[("room", room.into())]);
    WebRtcNetwork::new(options).unwrap().into()
}

/// A repo over `network` whose presence expires after 1.5 s of silence.
fn repo(network: JsValue) -> Repo {
    let presence = object(&[("throttleMs", 0.into()), ("timeoutMs", 1500.into())]);
    let network: JsValue = Array::of1(&network).into();
    Repo::new(object(&[("network", network), ("presence", presence)])).unwrap()
}

fn json(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().as_string().unwrap()
}

/// The names in `handle.presence.get()`.
fn names(handle: &JsValue) -> Vec<String> {
    let states: Array = call(&get(handle, "presence"), "get", &[]).unwrap().into();
    states
        .iter()
        .map(|p| {
            get(&get(&p, "state"), "name")
                .as_string()
                .unwrap_or_default()
        })
        .collect()
}

fn set_presence(handle: &JsValue, state: JsValue) {
    call(&get(handle, "presence"), "set", &[state]).unwrap();
}

/// Presence between two repos over the networks `net` makes: a state appears on the other
/// side with its actor, follows updates, and expires once its repo goes silent.
async fn presence_appears_updates_and_expires(net: fn(&str) -> JsValue, room: &str) {
    let one = repo(net(room));
    let two: JsValue = repo(net(room)).into();
    let handle = wait(one.create().into()).await.unwrap();
    let id = get(&handle, "id");
    let theirs = invoke(&two, "find", &[id]).await;
    let (listener, events) = collector();
    call(&theirs, "on", &["presence".into(), listener.into()]).unwrap();
    until("the peers to authenticate", || {
        let peers: Array = call(&two, "peers", &[]).unwrap().into();
        peers.iter().any(|p| !get(&p, "actor").is_undefined())
    })
    .await;
    set_presence(&handle, object(&[("name", "Ann".into())]));
    until("the presence to appear", || names(&theirs) == ["Ann"]).await;
    let states: Array = call(&get(&theirs, "presence"), "get", &[]).unwrap().into();
    let actor = get(&get(&handle, "doc"), "actor");
    assert_eq!(get(&states.get(0), "actor"), actor, "signed by its actor");
    set_presence(&handle, object(&[("name", "Bob".into())]));
    until("the update", || names(&theirs) == ["Bob"]).await;
    assert!(events
        .borrow()
        .iter()
        .all(|e| get(e, "type").as_string().as_deref() == Some("changed")));
    // The repo goes silent (dropped without close, so no leave): its presence expires.
    drop(one);
    until("the presence to expire", || names(&theirs).is_empty()).await;
    let last = events.borrow().last().cloned().unwrap();
    assert_eq!(json(&get(&last, "type")), "\"gone\"");
    assert_eq!(get(&last, "actor"), actor);
    invoke(&two, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn presence_over_broadcast_channel() {
    presence_appears_updates_and_expires(broadcast, &room("presence-bc")).await;
}

#[wasm_bindgen_test]
async fn presence_over_webrtc() {
    presence_appears_updates_and_expires(webrtc, &room("presence-rtc")).await;
}

/// `handle.doc.getText("t")`.
fn text(handle: &JsValue) -> JsValue {
    call(&get(handle, "doc"), "getText", &["t".into()]).unwrap()
}

fn content(handle: &JsValue) -> String {
    call(&text(handle), "toString", &[])
        .unwrap()
        .as_string()
        .unwrap()
}

/// Types `s` at `at` and commits, as its own undo step.
fn type_at(handle: &JsValue, at: u32, s: &str) {
    let doc = get(handle, "doc");
    call(&text(handle), "insert", &[at.into(), s.into()]).unwrap();
    call(&doc, "commit", &[]).unwrap();
    call(&doc, "stopCapturing", &[]).unwrap();
}

#[wasm_bindgen_test]
async fn undo_takes_back_own_edits_and_keeps_remote_ones() {
    let room = room("undo");
    let one: JsValue = repo(broadcast(&room)).into();
    let two: JsValue = repo(broadcast(&room)).into();
    let mine = invoke(&one, "create", &[]).await;
    let theirs = invoke(&two, "find", &[get(&mine, "id")]).await;
    let doc = get(&mine, "doc");
    call(
        &doc,
        "enableUndo",
        &[object(&[("captureInterval", 0.into())])],
    )
    .unwrap();
    type_at(&mine, 0, "hello");
    until("the text to arrive", || content(&theirs) == "hello").await;
    type_at(&theirs, 5, " world");
    until("their edit to arrive", || content(&mine) == "hello world").await;
    type_at(&mine, 0, "> ");
    until("my second edit to arrive", || {
        content(&theirs) == "> hello world"
    })
    .await;

    let step = call(&doc, "undo", &[]).unwrap();
    assert_eq!(content(&mine), "hello world");
    assert_eq!(
        get(&step, "index").as_f64(),
        Some(0.0),
        "the caret goes where the edit was"
    );
    until("the undo to arrive", || content(&theirs) == "hello world").await;
    call(&doc, "undo", &[]).unwrap();
    assert_eq!(content(&mine), " world", "their edit stays");
    assert!(
        call(&doc, "undo", &[]).unwrap().is_undefined(),
        "nothing of theirs is undone"
    );
    until("the second undo to arrive", || content(&theirs) == " world").await;
    assert_eq!(call(&doc, "canRedo", &[]).unwrap(), JsValue::TRUE);
    call(&doc, "redo", &[]).unwrap();
    until("the redo to arrive", || content(&theirs) == "hello world").await;
    invoke(&one, "close", &[]).await;
    invoke(&two, "close", &[]).await;
}

/// The `title`s of a live query's results.
fn titles(results: &JsValue) -> Vec<String> {
    Array::from(results)
        .iter()
        .map(|r| get(&get(&r, "record"), "title").as_string().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn live_queries_update_on_two_repos_over_broadcast_channel() {
    let room = room("collection");
    let one: JsValue = repo(broadcast(&room)).into();
    let two: JsValue = repo(broadcast(&room)).into();
    let mine = invoke(&one, "collection", &["todos".into()]).await;
    let theirs = invoke(&two, "collection", &["todos".into()]).await;
    assert_eq!(get(&mine, "id"), get(&theirs, "id"));
    call(&theirs, "ensureIndex", &["done".into()]).unwrap();
    let query = JSON::parse(r#"{"where": {"done": false}, "sort": ["title"]}"#).unwrap();
    let (on_mine, seen_mine) = collector();
    let (on_theirs, seen_theirs) = collector();
    call(&mine, "subscribe", &[query.clone(), on_mine.into()]).unwrap();
    call(&theirs, "subscribe", &[query.clone(), on_theirs.into()]).unwrap();
    let latest = |seen: &std::rc::Rc<std::cell::RefCell<Vec<JsValue>>>| {
        titles(seen.borrow().last().unwrap())
    };
    let record =
        |title: &str, done: bool| object(&[("title", title.into()), ("done", done.into())]);
    let a = call(&mine, "insert", &[record("a", false)]).unwrap();
    call(&theirs, "insert", &[record("b", false)]).unwrap();
    call(&theirs, "insert", &[record("c", true)]).unwrap();
    until("both records on both sides", || {
        latest(&seen_mine) == ["a", "b"] && latest(&seen_theirs) == ["a", "b"]
    })
    .await;
    // A remote update moves a record out of the other side's results.
    call(
        &theirs,
        "update",
        &[a.clone(), object(&[("done", true.into())])],
    )
    .unwrap();
    until("the update on my side", || latest(&seen_mine) == ["b"]).await;
    call(
        &mine,
        "update",
        &[a, object(&[("done", false.into()), ("title", "A".into())])],
    )
    .unwrap();
    until("the update on their side", || {
        latest(&seen_theirs) == ["A", "b"]
    })
    .await;
    let plan = call(&theirs, "explain", &[query]).unwrap();
    assert_eq!(json(&plan), r#"{"index":"done","access":"eq"}"#);
    invoke(&one, "close", &[]).await;
    invoke(&two, "close", &[]).await;
}

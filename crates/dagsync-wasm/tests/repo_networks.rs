//! The JS `Repo` over the package's real networks (issue 9): two repos in one page sync a
//! document both ways over `BroadcastChannelNetwork`, and over `WebRtcNetwork` with its
//! signaling on a BroadcastChannel (real RTCPeerConnections: `./x test-wasm` runs this in a
//! private network namespace); peers, their transport and the traffic show in `peers()` and
//! `stats()`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{
    call, collector, get, handle_edit as edit, handle_text as text, invoke, object, until,
};
use dagsync_wasm::{BroadcastChannelNetwork, Repo, WebRtcNetwork};

use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A repo over one network.
fn repo_over(network: JsValue) -> JsValue {
    Repo::new(object(&[("network", Array::of1(&network).into())]))
        .unwrap()
        .into()
}

/// Two repos over networks `a` and `b`: a document made in one is found, edited both ways,
/// and the peers report `kind` with the traffic.
async fn two_repos_sync(a: JsValue, b: JsValue, kind: &str) {
    let (ra, rb) = (repo_over(a), repo_over(b));
    let (on_peer, peer_events) = collector();
    call(&ra, "on", &["peer".into(), on_peer.into()]).unwrap();
    let ha = invoke(&ra, "create", &[]).await;
    edit(&ha, 0, "hello");
    until("the repos authenticate each other", || {
        peer_events
            .borrow()
            .iter()
            .any(|e| get(e, "type") == "authenticated")
    })
    .await;
    let hb = invoke(&rb, "find", &[get(&ha, "id")]).await;
    until("b gets a's document", || text(&hb) == "hello").await;
    edit(&hb, 5, " world");
    until("a gets b's edit", || text(&ha) == "hello world").await;
    let peers: Array = call(&ra, "peers", &[]).unwrap().into();
    assert_eq!(peers.length(), 1);
    assert_eq!(get(&peers.get(0), "network"), kind);
    let stats = call(&ra, "stats", &[]).unwrap();
    let per_peer: Array = get(&stats, "perPeer").into();
    assert!(get(&per_peer.get(0), "bytesReceived").as_f64().unwrap() > 0.0);
    invoke(&rb, "close", &[]).await;
    invoke(&ra, "close", &[]).await;
}

#[wasm_bindgen_test]
async fn two_js_repos_sync_over_broadcast_channel() {
    let room = "repo-bc";
    let a: JsValue = BroadcastChannelNetwork::new(room.into()).unwrap().into();
    let b: JsValue = BroadcastChannelNetwork::new(room.into()).unwrap().into();
    two_repos_sync(a, b, "broadcast-channel").await;
}

#[wasm_bindgen_test]
async fn two_js_repos_sync_over_webrtc() {
    let options = || {
        object(&[
            ("room", "repo-rtc".into()),
            ("broadcastChannel", true.into()),
        ])
    };
    let a: JsValue = WebRtcNetwork::new(options()).unwrap().into();
    let b: JsValue = WebRtcNetwork::new(options()).unwrap().into();
    two_repos_sync(a, b, "webrtc").await;
}

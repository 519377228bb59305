//! Browser tests of the network classes: `BroadcastChannelNetwork` and `WebRtcNetwork` check
//! their arguments (`DagsyncError` with `"invalid-argument"`), register with the repo's
//! registry, and reject manual offers before they are started (`"network"`). Their transports
//! are tested in `crates/dagsync-webrtc` and, under a repo, in `crates/dagsync-testpeer`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::network::from_js;
use dagsync_wasm::{BroadcastChannelNetwork, WebRtcNetwork};
use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn code(error: JsValue) -> String {
    Reflect::get(&error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn options(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

#[wasm_bindgen_test]
fn broadcast_channel_network_checks_its_room() {
    for bad in [JsValue::from(5), JsValue::UNDEFINED, "".into()] {
        let err = BroadcastChannelNetwork::new(bad).err().unwrap();
        assert_eq!(code(err.into()), "invalid-argument");
    }
    let net = BroadcastChannelNetwork::new("room".into()).unwrap();
    assert_eq!(net.room(), "room");
    assert_eq!(net.peer_id().len(), 16);
    assert!(net.peers().is_empty());
    // The repo finds the network behind the JS object; anything else is refused.
    let object = JsValue::from(net);
    assert_eq!(from_js(&object).unwrap().kind(), "broadcast-channel");
    assert!(from_js(&JsValue::from(js_sys::Object::new())).is_err());
}

#[wasm_bindgen_test]
fn webrtc_network_checks_its_options() {
    let bad = [
        "null",
        "{}",
        r#"{"room": ""}"#,
        r#"{"room": 1}"#,
        r#"{"room": "r", "signaling": "ws://localhost:4444"}"#,
        r#"{"room": "r", "signaling": ["http://localhost:4444"]}"#,
        r#"{"room": "r", "signaling": [4444]}"#,
        r#"{"room": "r", "broadcastChannel": "yes"}"#,
        r#"{"room": "r", "iceServers": {}}"#,
        r#"{"room": "r", "iceServers": [{}]}"#,
        r#"{"room": "r", "iceServers": [{"urls": [1]}]}"#,
        r#"{"room": "r", "highWaterMark": -1}"#,
        r#"{"room": "r", "lowWaterMark": 1.5}"#,
        r#"{"room": "r", "highWaterMark": 10, "lowWaterMark": 20}"#,
        r#"{"room": "r", "connectTimeoutMs": 0}"#,
        r#"{"room": "r", "reconnect": 5}"#,
        r#"{"room": "r", "reconnect": {"maxAttempts": "many"}}"#,
    ];
    for json in bad {
        let err = WebRtcNetwork::new(options(json)).err();
        let err = err.unwrap_or_else(|| panic!("accepted {json}"));
        assert_eq!(code(err.into()), "invalid-argument", "{json}");
    }
    let net = WebRtcNetwork::new(options(
        r#"{"room": "r", "signaling": ["ws://127.0.0.1:1", "wss://example.invalid/s"],
            "broadcastChannel": false,
            "iceServers": [{"urls": "stun:stun.example.invalid"},
                           {"urls": ["turn:turn.example.invalid"], "username": "u", "credential": "c"}],
            "highWaterMark": 2000000, "lowWaterMark": 1000, "maxQueueBytes": 1000000,
            "connectTimeoutMs": 5000, "gatherTimeoutMs": 100,
            "reconnect": {"initialDelayMs": 100, "maxDelayMs": 1000, "maxAttempts": 3}}"#,
    ))
    .unwrap();
    assert_eq!(net.room(), "r");
    assert_eq!(net.peer_id().len(), 16);
    assert!(net.peers().is_empty());
    assert_eq!(from_js(&JsValue::from(net)).unwrap().kind(), "webrtc");
}

#[wasm_bindgen_test]
async fn manual_connections_need_a_started_network() {
    let net = WebRtcNetwork::new(options(r#"{"room": "manual"}"#)).unwrap();
    let err = JsFuture::from(net.create_offer()).await.err().unwrap();
    assert_eq!(code(err), "network");
    let err = JsFuture::from(net.accept_offer("not an offer".into()))
        .await
        .err()
        .unwrap();
    assert_eq!(code(err), "invalid-argument");
    let err = JsFuture::from(net.accept_answer(7.into()))
        .await
        .err()
        .unwrap();
    assert_eq!(code(err), "invalid-argument");
}

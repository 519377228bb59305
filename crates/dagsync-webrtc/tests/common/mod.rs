//! Helpers of the browser tests: an event recorder, waiting with a deadline.

#![allow(dead_code)] // each test file uses a part

use std::cell::RefCell;
use std::rc::Rc;

use dagsync_webrtc::{EventSink, NetworkEvent};
use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
}

/// Waits until `done()` holds, checking every 10 ms; panics with `what` after `ms`.
pub async fn wait_until(what: &str, ms: u32, mut done: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !done() {
        if js_sys::Date::now() - start > f64::from(ms) {
            panic!("timed out after {ms} ms waiting for {what}");
        }
        sleep(10).await;
    }
}

/// Records the events a transport reports.
#[derive(Clone, Default)]
pub struct Recorder {
    pub events: Rc<RefCell<Vec<NetworkEvent>>>,
}

impl Recorder {
    pub fn sink(&self) -> EventSink {
        let events = self.events.clone();
        Rc::new(move |e| events.borrow_mut().push(e))
    }

    /// The peers connected now (connects minus disconnects, in order).
    pub fn connected(&self) -> Vec<String> {
        let mut peers = Vec::new();
        for e in self.events.borrow().iter() {
            match e {
                NetworkEvent::PeerConnected { peer, .. } => peers.push(peer.clone()),
                NetworkEvent::PeerDisconnected { peer } => peers.retain(|p| p != peer),
                NetworkEvent::Frame { .. } => {}
            }
        }
        peers
    }

    /// How many times `peer` connected and disconnected.
    pub fn count(&self, peer: &str) -> (usize, usize) {
        let events = self.events.borrow();
        let connects = events
            .iter()
            .filter(|e| matches!(e, NetworkEvent::PeerConnected { peer: p, .. } if p == peer))
            .count();
        let disconnects = events
            .iter()
            .filter(|e| matches!(e, NetworkEvent::PeerDisconnected { peer: p } if p == peer))
            .count();
        (connects, disconnects)
    }

    /// The max_frame of the last connection of `peer`.
    pub fn max_frame(&self, peer: &str) -> Option<usize> {
        self.events.borrow().iter().rev().find_map(|e| match e {
            NetworkEvent::PeerConnected { peer: p, max_frame } if p == peer => Some(*max_frame),
            _ => None,
        })
    }

    /// The frames received from `peer`, in order.
    pub fn frames_from(&self, peer: &str) -> Vec<Vec<u8>> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                NetworkEvent::Frame { peer: p, bytes } if p == peer => Some(bytes.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every frame received.
    pub fn frame_count(&self) -> usize {
        self.events
            .borrow()
            .iter()
            .filter(|e| matches!(e, NetworkEvent::Frame { .. }))
            .count()
    }
}

/// A unique room name per test (tests share one page).
pub fn room(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random())
}

/// Every listener and timer the transports made since `baseline` was taken is released.
pub fn assert_released(baseline: usize) {
    assert_eq!(
        dagsync_webrtc::live_callbacks(),
        baseline,
        "every listener and timer released"
    );
}

//! BroadcastTransport in a real browser: discovery, per-peer addressing, bye, bans, and
//! every callback released on close.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{room, wait_until, Recorder};
use dagsync_webrtc::{
    live_callbacks, BroadcastTransport, NetworkEvent, Transport, BROADCAST_MAX_FRAME,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn tabs_find_each_other_and_frames_reach_only_their_addressee() {
    let baseline = live_callbacks();
    let room = room("bc-pair");
    let (a, b, c) = (
        BroadcastTransport::new(&room),
        BroadcastTransport::new(&room),
        BroadcastTransport::new(&room),
    );
    let (ra, rb, rc) = (
        Recorder::default(),
        Recorder::default(),
        Recorder::default(),
    );
    a.start(ra.sink()).unwrap();
    b.start(rb.sink()).unwrap();
    c.start(rc.sink()).unwrap();
    assert!(
        c.start(rc.sink()).is_err(),
        "a network serves one repo at a time"
    );
    wait_until("a full mesh of 3", 5_000, || {
        ra.connected().len() == 2 && rb.connected().len() == 2 && rc.connected().len() == 2
    })
    .await;
    assert_eq!(rb.max_frame(&a.id()), Some(BROADCAST_MAX_FRAME));
    assert_eq!(a.peers().len(), 2);

    for i in 0..100u32 {
        a.send(&b.id(), &i.to_le_bytes());
    }
    b.send(&a.id(), b"back");
    wait_until("100 frames at b", 5_000, || rb.frame_count() == 100).await;
    wait_until("1 frame at a", 5_000, || ra.frame_count() == 1).await;
    let expected: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_le_bytes().to_vec()).collect();
    assert_eq!(rb.frames_from(&a.id()), expected, "in order, complete");
    assert_eq!(ra.frames_from(&b.id()), vec![b"back".to_vec()]);
    assert_eq!(
        rc.frame_count(),
        0,
        "a third tab sees none of the pair's frames"
    );

    // Leaving says bye: the others drop the peer at once.
    c.close();
    wait_until("c gone at a and b", 5_000, || {
        ra.connected().len() == 1 && rb.connected().len() == 1
    })
    .await;
    a.close();
    b.close();
    common::assert_released(baseline);
}

#[wasm_bindgen_test]
async fn a_dropped_peer_is_told_and_refused_afterwards() {
    let room = room("bc-ban");
    let (a, b) = (
        BroadcastTransport::new(&room),
        BroadcastTransport::new(&room),
    );
    let (ra, rb) = (Recorder::default(), Recorder::default());
    a.start(ra.sink()).unwrap();
    b.start(rb.sink()).unwrap();
    wait_until("a pair", 5_000, || {
        ra.connected().len() == 1 && rb.connected().len() == 1
    })
    .await;
    a.disconnect(&b.id());
    wait_until("b told", 5_000, || rb.connected().is_empty()).await;
    assert!(a.peers().is_empty());
    // b starts over (as a reloaded tab would with the same id): a refuses it.
    b.close();
    b.start(rb.sink()).unwrap();
    common::sleep(300).await;
    assert!(a.peers().is_empty() && b.peers().is_empty());
    // One connection, never reconnected; no event for a's own disconnect.
    assert_eq!(ra.count(&b.id()), (1, 0));
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn a_sink_may_call_back_into_the_transport() {
    // An echo: the sink sends every frame back from inside the callback.
    let room = room("bc-echo");
    let (a, b) = (
        BroadcastTransport::new(&room),
        BroadcastTransport::new(&room),
    );
    let ra = Recorder::default();
    let echo = b.clone();
    let rb = Recorder::default();
    let record = rb.sink();
    b.start(std::rc::Rc::new(move |e| {
        if let NetworkEvent::Frame { peer, bytes } = &e {
            echo.send(peer, bytes);
        }
        record(e);
    }))
    .unwrap();
    a.start(ra.sink()).unwrap();
    wait_until("a pair", 5_000, || {
        ra.connected().len() == 1 && rb.connected().len() == 1
    })
    .await;
    a.send(&b.id(), b"ping");
    wait_until("the echo", 5_000, || ra.frame_count() == 1).await;
    assert_eq!(ra.frames_from(&b.id()), vec![b"ping".to_vec()]);
    a.close();
    b.close();
}

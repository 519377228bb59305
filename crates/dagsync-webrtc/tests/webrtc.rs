//! WebRtcTransport with real RTCPeerConnections in headless Chromium (run inside a network
//! namespace with a non-loopback interface, see `./x test-wasm`): signaling between tabs over
//! BroadcastChannel, frames sized by the connection, backpressure, reconnection after the
//! channels break, manual offer/answer, and every callback released on close.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use common::{room, sleep, wait_until, Recorder};
use dagsync_webrtc::{live_callbacks, Transport, WebRtcConfig, WebRtcTransport, MAX_FRAME_CAP};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn transport(config: &WebRtcConfig) -> WebRtcTransport {
    WebRtcTransport::new(config.clone()).unwrap()
}

async fn pair(config: &WebRtcConfig) -> (WebRtcTransport, Recorder, WebRtcTransport, Recorder) {
    let (a, b) = (transport(config), transport(config));
    let (ra, rb) = (Recorder::default(), Recorder::default());
    a.start(ra.sink()).unwrap();
    b.start(rb.sink()).unwrap();
    assert!(
        a.start(ra.sink()).is_err(),
        "a network serves one repo at a time"
    );
    wait_until("a connected pair", 10_000, || {
        ra.connected().len() == 1 && rb.connected().len() == 1
    })
    .await;
    (a, ra, b, rb)
}

#[wasm_bindgen_test]
async fn two_endpoints_connect_over_broadcast_signaling_and_exchange_frames() {
    let baseline = live_callbacks();
    let config = WebRtcConfig::new(&room("rtc-pair"));
    let (a, ra, b, rb) = pair(&config).await;
    let max = ra.max_frame(&b.id()).unwrap();
    assert!(
        (64 * 1024..=MAX_FRAME_CAP).contains(&max),
        "frames sized by sctp.maxMessageSize: {max}"
    );
    assert_eq!(rb.max_frame(&a.id()), Some(max));

    // Frames of every size up to the limit, both ways, in order.
    let frames: Vec<Vec<u8>> = [1, 100, 16 * 1024, max - 1, max]
        .iter()
        .enumerate()
        .map(|(i, &n)| vec![i as u8; n])
        .collect();
    for f in &frames {
        a.send(&b.id(), f);
        b.send(&a.id(), f);
    }
    wait_until("frames both ways", 10_000, || {
        ra.frame_count() == frames.len() && rb.frame_count() == frames.len()
    })
    .await;
    assert_eq!(rb.frames_from(&a.id()), frames);
    assert_eq!(ra.frames_from(&b.id()), frames);

    // Closing says bye: the other side drops the peer at once.
    a.close();
    wait_until("b sees a leave", 5_000, || rb.connected().is_empty()).await;
    b.close();
    common::assert_released(baseline);
}

#[wasm_bindgen_test]
async fn sends_beyond_the_buffer_queue_and_drain_in_order() {
    let mut config = WebRtcConfig::new(&room("rtc-backpressure"));
    config.high_water = 256 * 1024;
    config.low_water = 64 * 1024;
    let (a, _ra, b, rb) = pair(&config).await;
    let frame = 60 * 1024;
    let count = 400; // 24 MB: far beyond the channel's buffer
    let mut queued_max = 0;
    for i in 0..count {
        let mut f = vec![0u8; frame];
        f[..4].copy_from_slice(&(i as u32).to_le_bytes());
        a.send(&b.id(), &f);
        let (queued, buffered) = a.backlog(&b.id()).unwrap();
        queued_max = queued_max.max(queued);
        assert!(
            buffered as usize <= 256 * 1024 + frame,
            "the channel never buffers much past the high-water mark ({buffered})"
        );
    }
    assert!(
        queued_max > 1 << 20,
        "the queue took the excess ({queued_max})"
    );
    wait_until("every frame", 60_000, || rb.frame_count() == count).await;
    let order: Vec<u32> = rb
        .frames_from(&a.id())
        .iter()
        .map(|f| u32::from_le_bytes([f[0], f[1], f[2], f[3]]))
        .collect();
    assert_eq!(order, (0..count as u32).collect::<Vec<_>>());
    assert_eq!(a.dropped_frames(&b.id()), 0);
    assert_eq!(a.backlog(&b.id()), Some((0, 0)));
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn broken_channels_reconnect_with_backoff() {
    let config = WebRtcConfig::new(&room("rtc-reconnect"));
    let (a, ra, b, rb) = pair(&config).await;
    a.sever();
    wait_until("both see the break", 5_000, || {
        ra.count(&b.id()).1 == 1 && rb.count(&a.id()).1 == 1
    })
    .await;
    wait_until("reconnected", 10_000, || {
        ra.count(&b.id()) == (2, 1) && rb.count(&a.id()) == (2, 1)
    })
    .await;
    a.send(&b.id(), b"after");
    wait_until("a frame over the new link", 5_000, || rb.frame_count() == 1).await;
    // Again: the backoff was reset by the success.
    b.sever();
    wait_until("reconnected again", 10_000, || {
        ra.count(&b.id()) == (3, 2) && rb.count(&a.id()) == (3, 2)
    })
    .await;
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn manual_offer_and_answer_connect_without_signaling() {
    let baseline = live_callbacks();
    let mut config = WebRtcConfig::new(&room("rtc-manual"));
    config.broadcast_signaling = false;
    let (a, b) = (transport(&config), transport(&config));
    let (ra, rb) = (Recorder::default(), Recorder::default());
    assert!(a.create_offer().await.is_err(), "not started yet");
    a.start(ra.sink()).unwrap();
    b.start(rb.sink()).unwrap();
    let offer = a.create_offer().await.unwrap();
    assert!(b.accept_offer("{}").await.is_err());
    assert!(b
        .accept_offer(&offer.replace("offer", "answer"))
        .await
        .is_err());
    let answer = b.accept_offer(&offer).await.unwrap();
    assert!(
        a.accept_answer(&offer).await.is_err(),
        "an offer is no answer"
    );
    a.accept_answer(&answer).await.unwrap();
    assert!(a.accept_answer(&answer).await.is_err(), "answered already");
    wait_until("a manual pair", 10_000, || {
        ra.connected() == [b.id()] && rb.connected() == [a.id()]
    })
    .await;
    b.send(&a.id(), b"hand-made");
    wait_until("a frame", 5_000, || ra.frame_count() == 1).await;
    // An offer never answered is released on close too.
    let _abandoned = a.create_offer().await.unwrap();
    a.close();
    b.close();
    sleep(50).await;
    common::assert_released(baseline);
}

#[wasm_bindgen_test]
async fn invalid_settings_are_refused() {
    let mut config = WebRtcConfig::new("");
    assert!(WebRtcTransport::new(config.clone()).is_err());
    config.room = "r".into();
    config.signaling = vec!["http://example.invalid".into()];
    assert!(WebRtcTransport::new(config.clone()).is_err());
    config.signaling.clear();
    config.low_water = config.high_water + 1;
    assert!(WebRtcTransport::new(config).is_err());
}

#[wasm_bindgen_test]
async fn forged_signals_do_not_cut_an_open_connection() {
    let config = WebRtcConfig::new(&room("rtc-forged"));
    let (a, ra, b, rb) = pair(&config).await;
    // Anyone on the signaling path can claim to be anyone: bye, announce and offer in the
    // other's name, to both.
    let forger = web_sys::BroadcastChannel::new(&format!("dagsync-rtc/{}", config.room)).unwrap();
    for (from, to) in [(b.id(), a.id()), (a.id(), b.id())] {
        for kind in ["bye", "announce", "offer"] {
            let signal = js_sys::Object::new();
            for (key, value) in [("type", kind), ("from", &from), ("to", &to), ("sdp", "v=0")] {
                js_sys::Reflect::set(&signal, &key.into(), &value.into()).unwrap();
            }
            js_sys::Reflect::set(&signal, &"attempt".into(), &999.into()).unwrap();
            forger.post_message(&signal).unwrap();
        }
    }
    sleep(500).await;
    assert_eq!(ra.count(&b.id()), (1, 0), "a kept its connection");
    assert_eq!(rb.count(&a.id()), (1, 0), "b kept its connection");
    a.send(&b.id(), b"still here");
    wait_until("a frame over the same link", 5_000, || {
        rb.frame_count() == 1
    })
    .await;
    forger.close();
    a.close();
    b.close();
}

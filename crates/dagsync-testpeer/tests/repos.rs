//! Core repos syncing over the real browser transports in headless Chromium (WebRTC tests
//! need the network namespace of `./x test-wasm`): two repos over BroadcastChannel and over
//! WebRTC, a partition healed by reconnection, a line of three relaying, a 20-peer mesh, and
//! a garbage-sending peer dropped while the others carry on.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

#[path = "../../dagsync-webrtc/tests/common/mod.rs"]
mod common;

use std::rc::Rc;

use common::{room, wait_until};
use dagsync::repo::DocId;
use dagsync_testpeer::Node;
use dagsync_wasm::network::Network;
use dagsync_webrtc::{BroadcastTransport, NetworkEvent, WebRtcConfig, WebRtcTransport};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn rtc(config: &WebRtcConfig) -> Rc<dyn Network> {
    Rc::new(WebRtcTransport::new(config.clone()).unwrap())
}

fn node(networks: Vec<Rc<dyn Network>>) -> Node {
    Node::new(networks).unwrap()
}

/// Whether every node has document `id` with the same text, containing each of `parts`.
fn converged(nodes: &[&Node], id: &DocId, parts: &[&str]) -> bool {
    let texts: Vec<Option<String>> = nodes.iter().map(|n| n.text(id)).collect();
    let Some(Some(first)) = texts.first() else {
        return false;
    };
    texts.iter().all(|t| t.as_ref() == Some(first)) && parts.iter().all(|p| first.contains(p))
}

#[wasm_bindgen_test]
async fn two_repos_converge_over_broadcast_channel() {
    let room = room("repo-bc");
    let a = node(vec![Rc::new(BroadcastTransport::new(&room))]);
    let b = node(vec![Rc::new(BroadcastTransport::new(&room))]);
    let id = a.create();
    a.append(&id, "from a;");
    wait_until("b has a's document", 10_000, || {
        converged(&[&a, &b], &id, &["from a;"])
    })
    .await;
    b.append(&id, "from b;");
    wait_until("convergence", 10_000, || {
        converged(&[&a, &b], &id, &["from a;", "from b;"])
    })
    .await;
}

#[wasm_bindgen_test]
async fn two_repos_converge_over_webrtc_with_broadcast_signaling() {
    let config = WebRtcConfig::new(&room("repo-rtc"));
    let a = node(vec![rtc(&config)]);
    let b = node(vec![rtc(&config)]);
    let id = a.create();
    a.append(&id, "hello ");
    b.append(&id, "world ");
    wait_until("convergence", 15_000, || {
        converged(&[&a, &b], &id, &["hello ", "world "])
    })
    .await;
    assert_eq!((a.peers(), b.peers()), (1, 1));
    // Over the data channel, each repo proved its identity to the other.
    assert_eq!((a.authenticated(), b.authenticated()), (1, 1));
}

#[wasm_bindgen_test]
async fn a_partition_heals_and_edits_from_both_sides_converge() {
    let mut config = WebRtcConfig::new(&room("repo-partition"));
    config.backoff.initial_ms = 1_500; // the partition lasts that long
    let (ta, tb) = (
        WebRtcTransport::new(config.clone()).unwrap(),
        WebRtcTransport::new(config).unwrap(),
    );
    let a = node(vec![Rc::new(ta.clone())]);
    let b = node(vec![Rc::new(tb)]);
    let id = a.create();
    a.append(&id, "before;");
    wait_until("first sync", 15_000, || {
        converged(&[&a, &b], &id, &["before;"])
    })
    .await;

    // Channels closed: both repos see their peer go.
    ta.sever();
    wait_until("the partition", 5_000, || a.peers() == 0 && b.peers() == 0).await;
    for i in 0..20 {
        a.append(&id, &format!("a{i};"));
        b.append(&id, &format!("b{i};"));
    }
    assert!(!converged(&[&a, &b], &id, &["a19;", "b19;"]));
    // The transports reconnect with backoff; the repos sync what they missed.
    wait_until("reconnection and convergence", 20_000, || {
        converged(&[&a, &b], &id, &["before;", "a19;", "b19;"])
    })
    .await;
    assert_eq!((a.peers(), b.peers()), (1, 1));
}

#[wasm_bindgen_test]
async fn a_line_of_three_relays_both_ways() {
    // a and c share no room: everything between them goes through b.
    let (left, right) = (
        WebRtcConfig::new(&room("line-left")),
        WebRtcConfig::new(&room("line-right")),
    );
    let a = node(vec![rtc(&left)]);
    let b = node(vec![rtc(&left), rtc(&right)]);
    let c = node(vec![rtc(&right)]);
    let id = a.create();
    a.append(&id, "from a;");
    c.append(&id, "from c;");
    wait_until("convergence through b", 20_000, || {
        converged(&[&a, &b, &c], &id, &["from a;", "from c;"])
    })
    .await;
    assert_eq!((a.peers(), b.peers(), c.peers()), (1, 2, 1));
}

#[wasm_bindgen_test]
async fn twenty_peers_in_one_page_converge() {
    let config = WebRtcConfig::new(&room("mesh-20"));
    let nodes: Vec<Node> = (0..20).map(|_| node(vec![rtc(&config)])).collect();
    let id = nodes[0].create();
    let parts: Vec<String> = (0..20).map(|i| format!("<{i}>")).collect();
    for (n, part) in nodes.iter().zip(&parts) {
        n.append(&id, part);
    }
    let refs: Vec<&Node> = nodes.iter().collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    wait_until("20 peers converge", 60_000, || {
        converged(&refs, &id, &parts)
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_peer_sending_garbage_is_dropped_while_the_others_carry_on() {
    let config = WebRtcConfig::new(&room("garbage"));
    // The attacker: a bare transport that answers every connection with garbage frames.
    let attacker = WebRtcTransport::new(config.clone()).unwrap();
    let sender = attacker.clone();
    attacker
        .start(Rc::new(move |event| {
            if let NetworkEvent::PeerConnected { peer, .. } = event {
                for i in 0..64u32 {
                    let junk: Vec<u8> = (0..200).map(|j| (i * 7 + j) as u8).collect();
                    sender.send(&peer, &junk);
                }
            }
        }))
        .unwrap();
    let honest: Vec<Node> = (0..3).map(|_| node(vec![rtc(&config)])).collect();
    let id = honest[0].create();
    for (i, n) in honest.iter().enumerate() {
        n.append(&id, &format!("honest{i};"));
    }
    let refs: Vec<&Node> = honest.iter().collect();
    wait_until("the honest converge", 30_000, || {
        converged(&refs, &id, &["honest0;", "honest1;", "honest2;"])
    })
    .await;
    wait_until("every honest repo banned the attacker", 30_000, || {
        honest.iter().all(|n| n.misbehaviour().0 == 1)
    })
    .await;
    wait_until("the attacker is cut off", 10_000, || {
        attacker.peers().is_empty()
    })
    .await;
    // The others carry on: a new edit still reaches everyone.
    honest[2].append(&id, "after;");
    wait_until("an edit after the attack", 10_000, || {
        converged(&refs, &id, &["after;"])
    })
    .await;
    assert!(honest.iter().all(|n| n.peers() == 2));
    attacker.close();
}

#![doc = include_str!("../README.md")]

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use dagsync::auth::Identity;
use dagsync::repo::{DocId, MemoryStorage, PeerId, Repo, RepoConfig, RepoEvent, RepoStats};
use dagsync_wasm::network::{from_js, Network, NetworkEvent};
use dagsync_webrtc::Timer;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

/// How often the repo is ticked (its retries).
const TICK_MS: u32 = 250;

/// The text every test edits.
const TEXT: &str = "t";

struct Inner {
    repo: Repo,
    networks: Vec<Rc<dyn Network>>,
    /// Called with the id of each document a peer changed.
    on_change: Option<Function>,
    /// Peers the repo banned.
    banned: u64,
    /// Faults the repo reported.
    faults: u64,
}

/// A repo driven by browser networks (see the crate docs).
pub struct Node {
    inner: Rc<RefCell<Inner>>,
    _tick: Timer,
}

/// The repo's name of `peer` of network `net`.
fn peer_id(net: usize, peer: &str) -> PeerId {
    PeerId(format!("{net}:{peer}"))
}

/// The network index and network peer behind a repo peer id.
fn split(peer: &PeerId) -> Option<(usize, &str)> {
    let (net, name) = peer.0.split_once(':')?;
    Some((net.parse().ok()?, name))
}

impl Node {
    /// A repo with a fresh identity over `networks` (started here).
    pub fn new(networks: Vec<Rc<dyn Network>>) -> Result<Node, String> {
        let identity = Identity::generate().map_err(|e| e.to_string())?;
        let repo = Repo::with_identity(
            identity,
            Box::new(MemoryStorage::new()),
            RepoConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        let inner = Rc::new(RefCell::new(Inner {
            repo,
            networks: networks.clone(),
            on_change: None,
            banned: 0,
            faults: 0,
        }));
        for (net, network) in networks.iter().enumerate() {
            let weak = Rc::downgrade(&inner);
            network
                .start(Rc::new(move |event| on_event(&weak, net, event)))
                .map_err(|e| e.to_string())?;
        }
        let weak = Rc::downgrade(&inner);
        let tick = Timer::every(TICK_MS, move || {
            pump(&weak, |s| {
                let _ = s.repo.tick(js_sys::Date::now() as u64);
            });
        });
        Ok(Node { inner, _tick: tick })
    }

    /// A new document.
    pub fn create(&self) -> DocId {
        self.edit(|s| s.repo.create())
            .and_then(Result::ok)
            .unwrap_or(DocId([0; 16]))
    }

    /// Appends `text` to the text of document `id` (created if new) as one change.
    pub fn append(&self, id: &DocId, text: &str) {
        self.edit(|s| {
            let _ = s.repo.create_with_id(*id);
            let _ = s.repo.change(id, |doc| {
                let mut t = doc.get_text(TEXT);
                let end = t.len();
                t.insert(end, text)
            });
        });
    }

    /// The text of document `id`, if the repo has it.
    pub fn text(&self, id: &DocId) -> Option<String> {
        let mut inner = self.inner.borrow_mut();
        let mut doc = inner.repo.doc_mut(id)?;
        let text = doc.get_text(TEXT).to_string();
        Some(text)
    }

    /// The connected peers (of every network).
    pub fn peers(&self) -> usize {
        self.inner.borrow().repo.peers().len()
    }

    /// The connected peers that proved their identity in the repo's signed handshake.
    pub fn authenticated(&self) -> usize {
        let inner = self.inner.borrow();
        let repo = &inner.repo;
        repo.peers()
            .iter()
            .filter(|p| repo.peer_actor(p).is_some())
            .count()
    }

    /// The repo's counters.
    pub fn stats(&self) -> RepoStats {
        self.inner.borrow().repo.stats()
    }

    /// Peers the repo banned, and faults it reported.
    pub fn misbehaviour(&self) -> (u64, u64) {
        let inner = self.inner.borrow();
        (inner.banned, inner.faults)
    }

    /// Closes every network (the repo stays, with its documents).
    pub fn close_networks(&self) {
        let networks = self.inner.borrow().networks.clone();
        for network in networks {
            network.close();
        }
        self.edit(|s| {
            for peer in s.repo.peers() {
                let _ = s.repo.disconnect(&peer);
            }
        });
    }

    /// Starts every network again (after [`Node::close_networks`]).
    pub fn restart_networks(&self) -> Result<(), String> {
        let networks = self.inner.borrow().networks.clone();
        for (net, network) in networks.iter().enumerate() {
            let weak = Rc::downgrade(&self.inner);
            network
                .start(Rc::new(move |event| on_event(&weak, net, event)))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Runs `f` on the state, then sends what the repo queued.
    fn edit<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
        pump(&Rc::downgrade(&self.inner), f)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        for network in &self.inner.borrow().networks {
            network.close();
        }
    }
}

/// An event of network `net` goes into the repo.
fn on_event(weak: &Weak<RefCell<Inner>>, net: usize, event: NetworkEvent) {
    pump(weak, |s| {
        let result = match event {
            NetworkEvent::PeerConnected { peer, max_frame } => s
                .repo
                .connect_with_max_frame(peer_id(net, &peer), max_frame),
            NetworkEvent::PeerDisconnected { peer } => s.repo.disconnect(&peer_id(net, &peer)),
            NetworkEvent::Frame { peer, bytes } => s.repo.receive(&peer_id(net, &peer), &bytes),
        };
        if let Err(dagsync::repo::RepoError::Banned(peer)) = result {
            s.drop_peer(&peer);
        }
    });
}

impl Inner {
    /// Tells the network of `peer` to drop it.
    fn drop_peer(&self, peer: &PeerId) {
        if let Some((net, name)) = split(peer) {
            if let Some(network) = self.networks.get(net) {
                network.disconnect(name);
            }
        }
    }
}

/// Runs `f` on the node's state, sends the frames the repo queued, handles its events, and
/// then (with no borrow held) tells JS which documents changed.
fn pump<R>(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
    let inner = weak.upgrade()?;
    let (result, changed, listener) = {
        let mut s = inner.try_borrow_mut().ok()?;
        let result = f(&mut s);
        let mut changed = Vec::new();
        loop {
            let mut busy = false;
            while let Some((peer, frame)) = s.repo.poll_frame() {
                busy = true;
                if let Some((net, name)) = split(&peer) {
                    if let Some(network) = s.networks.get(net) {
                        network.send(name, &frame);
                    }
                }
            }
            while let Some(event) = s.repo.poll_event() {
                busy = true;
                match event {
                    RepoEvent::DocChanged(id) | RepoEvent::DocAdded(id) => changed.push(id),
                    RepoEvent::PeerBanned { peer, .. } => {
                        s.banned += 1;
                        s.drop_peer(&peer);
                    }
                    RepoEvent::Fault { .. } => s.faults += 1,
                    _ => {}
                }
            }
            if !busy {
                break;
            }
        }
        (result, changed, s.on_change.clone())
    };
    if let Some(listener) = listener {
        for id in changed {
            let _ = listener.call1(&JsValue::NULL, &id.to_string().into());
        }
    }
    Some(result)
}

/// [`Node`] for JS pages (Playwright tests and the network bench): a repo over the networks
/// given (`BroadcastChannelNetwork`s and `WebRtcNetwork`s of this module).
#[wasm_bindgen]
pub struct TestPeer {
    node: Node,
}

fn doc_id(id: &str) -> Result<DocId, JsValue> {
    id.parse()
        .map_err(|_| JsValue::from_str(&format!("not a document id: {id}")))
}

#[wasm_bindgen]
impl TestPeer {
    /// A repo over `networks` (an array of network objects), started at once.
    #[wasm_bindgen(constructor)]
    pub fn new(networks: Array) -> Result<TestPeer, JsValue> {
        let networks = networks
            .iter()
            .map(|n| from_js(&n).map_err(JsValue::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TestPeer {
            node: Node::new(networks).map_err(|e| JsValue::from_str(&e))?,
        })
    }

    /// A new document; its id.
    pub fn create(&self) -> String {
        self.node.create().to_string()
    }

    /// Appends `text` to document `id` (created if new) as one change.
    pub fn append(&self, id: &str, text: &str) -> Result<(), JsValue> {
        self.node.append(&doc_id(id)?, text);
        Ok(())
    }

    /// `count` changes of one character each to document `id`.
    #[wasm_bindgen(js_name = appendMany)]
    pub fn append_many(&self, id: &str, count: u32, ch: char) -> Result<(), JsValue> {
        let id = doc_id(id)?;
        let text = ch.to_string();
        for _ in 0..count {
            self.node.append(&id, &text);
        }
        Ok(())
    }

    /// The text of document `id` (`undefined` if the repo does not have it).
    pub fn text(&self, id: &str) -> Result<Option<String>, JsValue> {
        Ok(self.node.text(&doc_id(id)?))
    }

    /// Connected peers.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> usize {
        self.node.peers()
    }

    /// Peers banned by the repo.
    #[wasm_bindgen(getter)]
    pub fn banned(&self) -> f64 {
        self.node.misbehaviour().0 as f64
    }

    /// Frames and bytes each way: `[framesSent, bytesSent, framesReceived, bytesReceived]`.
    pub fn traffic(&self) -> Vec<f64> {
        let s = self.node.stats();
        [
            s.frames_sent,
            s.bytes_sent,
            s.frames_received,
            s.bytes_received,
        ]
        .map(|n| n as f64)
        .to_vec()
    }

    /// Calls `listener(docId)` whenever a peer changed a document.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(&self, listener: Function) {
        self.node.inner.borrow_mut().on_change = Some(listener);
    }

    /// Closes the networks (a partition); `reconnect()` starts them again.
    pub fn disconnect(&self) {
        self.node.close_networks();
    }

    /// Starts the networks again.
    pub fn reconnect(&self) -> Result<(), JsValue> {
        self.node
            .restart_networks()
            .map_err(|e| JsValue::from_str(&e))
    }
}

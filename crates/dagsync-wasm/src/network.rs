//! The contract between the browser `Repo` and its networks (`BroadcastChannelNetwork`,
//! `WebRtcNetwork`): a network reports peers coming and going and the frames they send, and
//! sends frames to them. It knows nothing about documents; the repo knows nothing about
//! transports.
//!
//! A JS network object is a wasm-bindgen class holding an `Rc<dyn Network>`; it registers that
//! with [`register`] when constructed, and the repo finds it again with [`from_js`]. The
//! transports themselves (and [`NetworkEvent`]) live in the `dagsync-webrtc` crate;
//! `broadcast_network.rs` and `webrtc_network.rs` are their JS classes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::error::{BindingError, ErrorCode};

pub use dagsync_webrtc::NetworkEvent;

/// The JS property holding a network object's registry key.
const KEY_PROPERTY: &str = "__dagsyncNetwork";

/// A transport the repo syncs over.
///
/// A network delivers events only from browser callbacks (messages, timers, promises), never
/// from inside one of these methods, so the repo's event handler may call them.
pub trait Network {
    /// A short name of the transport ("broadcast-channel", "webrtc"), shown with peers.
    fn kind(&self) -> &'static str;
    /// Starts connecting; every later event goes to `events` (until [`Network::close`]). A
    /// network serves one repo at a time: starting a started one is an `invalid-argument`
    /// error; a closed one starts again.
    fn start(&self, events: Rc<dyn Fn(NetworkEvent)>) -> Result<(), BindingError>;
    /// Sends one frame to a connected peer (dropped if the peer is gone: the repo's sync
    /// retries make up for lost frames).
    fn send(&self, peer: &str, frame: &[u8]);
    /// Drops one peer — a misbehaving one, whose frames the repo refused — and refuses it
    /// from now on. No [`NetworkEvent::PeerDisconnected`] follows (the repo knows).
    fn disconnect(&self, peer: &str);
    /// Disconnects every peer and releases every callback; no event follows.
    fn close(&self);
}

thread_local! {
    static NETWORKS: RefCell<BTreeMap<u32, Rc<dyn Network>>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_KEY: RefCell<u32> = const { RefCell::new(1) };
}

/// Registers a network and returns its key. A network class keeps the key and exposes it to
/// JS as a getter named `__dagsyncNetwork` (so [`from_js`] finds the network behind the
/// object), and calls [`unregister`] when freed.
pub fn register(network: Rc<dyn Network>) -> u32 {
    let key = NEXT_KEY.with(|k| {
        let mut k = k.borrow_mut();
        let key = *k;
        *k += 1;
        key
    });
    NETWORKS.with(|n| n.borrow_mut().insert(key, network));
    key
}

/// A network's place in the registry, held by its JS object: unregistered when the object is
/// freed (a repo that started the network keeps its own reference).
#[derive(Debug)]
pub struct Registration {
    key: u32,
}

impl Registration {
    /// Registers `network`.
    pub fn new(network: Rc<dyn Network>) -> Registration {
        Registration {
            key: register(network),
        }
    }

    /// The key; the JS object exposes [`js_key`] of it as `__dagsyncNetwork`.
    pub fn key(&self) -> u32 {
        self.key
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        unregister(self.key);
    }
}

/// The value a JS network object exposes as `__dagsyncNetwork` for registry key `key` (the key
/// tagged with this engine module, so another module's repo refuses the network).
pub fn js_key(key: u32) -> f64 {
    crate::registry::exposed_key(key)
}

/// Forgets the network registered under `key`.
pub fn unregister(key: u32) {
    NETWORKS.with(|n| n.borrow_mut().remove(&key));
}

/// The network behind a JS network object, or an `invalid-argument` error for anything else.
pub fn from_js(object: &JsValue) -> Result<Rc<dyn Network>, BindingError> {
    let not_a_network = || BindingError {
        code: ErrorCode::InvalidArgument,
        message: "expected a BroadcastChannelNetwork or WebRtcNetwork".into(),
    };
    let key = js_sys::Reflect::get(object, &KEY_PROPERTY.into())
        .ok()
        .and_then(|k| k.as_f64())
        .and_then(crate::registry::own_key)
        .ok_or_else(not_a_network)?;
    NETWORKS
        .with(|n| n.borrow().get(&key).cloned())
        .ok_or_else(not_a_network)
}

impl From<dagsync_webrtc::NetworkError> for BindingError {
    fn from(err: dagsync_webrtc::NetworkError) -> Self {
        use dagsync_webrtc::NetworkError as E;
        let code = match err {
            E::InvalidConfig(_) | E::BadSignal(_) | E::AlreadyStarted => ErrorCode::InvalidArgument,
            _ => ErrorCode::Network,
        };
        BindingError::new(code, err.to_string())
    }
}

/// Every transport of `dagsync-webrtc` is a network.
impl<T: dagsync_webrtc::Transport> Network for T {
    fn kind(&self) -> &'static str {
        dagsync_webrtc::Transport::kind(self)
    }

    fn start(&self, events: Rc<dyn Fn(NetworkEvent)>) -> Result<(), BindingError> {
        Ok(dagsync_webrtc::Transport::start(self, events)?)
    }

    fn send(&self, peer: &str, frame: &[u8]) {
        dagsync_webrtc::Transport::send(self, peer, frame);
    }

    fn disconnect(&self, peer: &str) {
        dagsync_webrtc::Transport::disconnect(self, peer);
    }

    fn close(&self) {
        dagsync_webrtc::Transport::close(self);
    }
}

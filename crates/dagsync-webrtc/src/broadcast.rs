//! [`BroadcastTransport`]: same-origin tabs (and workers) talk over `BroadcastChannel`, no
//! server at all.
//!
//! Discovery happens on one channel per room, `dagsync-bc/<room>`: a starting endpoint says
//! `hello`; each endpoint that hears a new one opens a private channel for the pair,
//! `dagsync-bc/<room>/<smaller id>/<larger id>`, and answers `welcome`; the newcomer opens
//! the pair channel too and says `ready` on it, and from then on each side's frames go over
//! the pair channel only (per-peer addressing: nobody else receives them). `hello` repeats
//! every few seconds as a heartbeat; a peer silent for a minute is dropped, and `bye` (on
//! close, or when the page is hidden for good) drops it at once.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::{Rc, Weak};

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, Event, EventTarget, MessageEvent};

use crate::error::{NetworkError, Result};
use crate::event::{Emits, EventSink, NetworkEvent, Outbox, Transport};
use crate::js::{get_string, has_global, now, object, random_id, with_state, Listener, Timer};

/// The largest frame a [`BroadcastTransport`] announces (structured clones have no size
/// limit; this keeps one message from blocking a tab for long).
pub const BROADCAST_MAX_FRAME: usize = 1 << 20;

/// How often an endpoint says `hello` again (its heartbeat).
const HEARTBEAT_MS: u32 = 5_000;

/// A peer not heard from for this long is dropped. Generous: browsers throttle timers of
/// hidden tabs to one run a minute.
const PEER_TIMEOUT_MS: f64 = 75_000.0;

/// A `BroadcastChannel` with its message listener; closed when dropped.
pub(crate) struct Port {
    channel: BroadcastChannel,
    _listener: Listener,
}

impl Port {
    /// Opens the channel `name`; `handler` gets the data of each message.
    pub(crate) fn open(name: &str, mut handler: impl FnMut(JsValue) + 'static) -> Result<Port> {
        let channel = BroadcastChannel::new(name).map_err(|e| NetworkError::browser(&e))?;
        let listener = Listener::new(&channel, "message", move |event: Event| {
            if let Some(message) = event.dyn_ref::<MessageEvent>() {
                handler(message.data());
            }
        });
        Ok(Port {
            channel,
            _listener: listener,
        })
    }

    /// Posts a message (a structured clone reaches every other open channel of the name).
    pub(crate) fn post(&self, message: &JsValue) {
        // Posting fails only on a closed channel or an uncloneable value, neither of which
        // we hand it.
        let _ = self.channel.post_message(message);
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.channel.close();
    }
}

/// A peer reached over its pair channel.
struct Peer {
    port: Port,
    /// Both sides have the pair channel open (`ready` or `welcome` seen).
    connected: bool,
    last_heard: f64,
}

struct State {
    me: Weak<RefCell<State>>,
    room: String,
    id: String,
    out: Outbox,
    lobby: Option<Port>,
    peers: BTreeMap<String, Peer>,
    banned: BTreeSet<String>,
    heartbeat: Option<Timer>,
    pagehide: Option<Listener>,
}

impl Emits for State {
    fn outbox(&mut self) -> &mut Outbox {
        &mut self.out
    }
}

/// Same-origin tabs as peers over `BroadcastChannel` (see the module docs for the protocol).
/// Cheap to clone: clones share one transport.
#[derive(Clone)]
pub struct BroadcastTransport {
    state: Rc<RefCell<State>>,
}

impl std::fmt::Debug for BroadcastTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("BroadcastTransport")
            .field("room", &s.room)
            .field("id", &s.id)
            .field("peers", &s.peers.len())
            .finish()
    }
}

impl BroadcastTransport {
    /// A transport for `room` with a fresh random endpoint id; nothing happens until
    /// [`BroadcastTransport::start`].
    pub fn new(room: &str) -> BroadcastTransport {
        let state = Rc::new_cyclic(|me| {
            RefCell::new(State {
                me: me.clone(),
                room: room.to_owned(),
                id: random_id(),
                out: Outbox::default(),
                lobby: None,
                peers: BTreeMap::new(),
                banned: BTreeSet::new(),
                heartbeat: None,
                pagehide: None,
            })
        });
        BroadcastTransport { state }
    }

    /// The room.
    pub fn room(&self) -> String {
        self.state.borrow().room.clone()
    }

    /// This endpoint's id (how peers name it), random per transport.
    pub fn id(&self) -> String {
        self.state.borrow().id.clone()
    }

    /// The connected peers, sorted.
    pub fn peers(&self) -> Vec<String> {
        let s = self.state.borrow();
        s.peers
            .iter()
            .filter(|(_, p)| p.connected)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

impl Transport for BroadcastTransport {
    fn kind(&self) -> &'static str {
        "broadcast-channel"
    }

    /// Joins the room; events go to `sink` until [`Transport::close`]. A closed
    /// transport starts again (same id); a started one refuses.
    fn start(&self, sink: EventSink) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.out.is_open() {
            return Err(NetworkError::AlreadyStarted);
        }
        if !has_global("BroadcastChannel") {
            return Err(NetworkError::Unsupported("BroadcastChannel"));
        }
        let weak = s.me.clone();
        let lobby = Port::open(&format!("dagsync-bc/{}", s.room), move |data| {
            with_state(&weak, |s| s.on_lobby(&data));
        })?;
        lobby.post(&s.lobby_message("hello", None));
        s.lobby = Some(lobby);
        let weak = s.me.clone();
        s.heartbeat = Some(Timer::every(HEARTBEAT_MS, move || {
            with_state(&weak, State::on_heartbeat);
        }));
        if has_global("addEventListener") {
            let weak = s.me.clone();
            let global: EventTarget = js_sys::global().unchecked_into();
            s.pagehide = Some(Listener::new(&global, "pagehide", move |_| {
                with_state(&weak, State::on_pagehide);
            }));
        }
        s.out.open(sink);
        Ok(())
    }

    /// Sends a frame to a connected peer (dropped if it is not connected).
    fn send(&self, peer: &str, frame: &[u8]) {
        let s = self.state.borrow();
        if let Some(p) = s.peers.get(peer).filter(|p| p.connected) {
            p.port.post(&Uint8Array::from(frame));
        }
    }

    /// Drops a peer (a misbehaving one) and ignores it from now on. No event follows: the
    /// caller knows.
    fn disconnect(&self, peer: &str) {
        let mut s = self.state.borrow_mut();
        s.banned.insert(peer.to_owned());
        if let Some(p) = s.peers.remove(peer) {
            p.port.post(&"bye".into());
        }
    }

    /// Says `bye`, drops every peer and releases every callback. No event follows.
    fn close(&self) {
        let mut s = self.state.borrow_mut();
        s.leave();
        s.out.close();
    }
}

impl State {
    /// A message on the room channel.
    fn lobby_message(&self, kind: &str, to: Option<&str>) -> JsValue {
        object(&[("t", Some(kind)), ("from", Some(&self.id)), ("to", to)]).into()
    }

    fn on_lobby(&mut self, data: &JsValue) {
        let (Some(kind), Some(from)) = (get_string(data, "t"), get_string(data, "from")) else {
            return;
        };
        if from == self.id || self.banned.contains(&from) {
            return;
        }
        match kind.as_str() {
            "hello" => {
                if let Some(p) = self.peers.get_mut(&from) {
                    p.last_heard = now();
                } else if self.open_pair(&from) {
                    let welcome = self.lobby_message("welcome", Some(&from));
                    if let Some(lobby) = &self.lobby {
                        lobby.post(&welcome);
                    }
                }
            }
            "welcome" if get_string(data, "to").as_deref() == Some(self.id.as_str()) => {
                if !self.peers.contains_key(&from) && !self.open_pair(&from) {
                    return;
                }
                if let Some(p) = self.peers.get_mut(&from) {
                    p.port.post(&"ready".into());
                    p.last_heard = now();
                    if !p.connected {
                        p.connected = true;
                        self.out.push(NetworkEvent::PeerConnected {
                            peer: from,
                            max_frame: BROADCAST_MAX_FRAME,
                        });
                    }
                }
            }
            "bye" => self.drop_peer(&from, false),
            _ => {}
        }
    }

    /// Opens the pair channel with `peer`; false if the browser refused.
    fn open_pair(&mut self, peer: &str) -> bool {
        let (a, b) = if self.id.as_str() < peer {
            (self.id.as_str(), peer)
        } else {
            (peer, self.id.as_str())
        };
        let weak = self.me.clone();
        let from = peer.to_owned();
        let port = Port::open(&format!("dagsync-bc/{}/{a}/{b}", self.room), move |data| {
            with_state(&weak, |s| s.on_pair(&from, data));
        });
        match port {
            Ok(port) => {
                self.peers.insert(
                    peer.to_owned(),
                    Peer {
                        port,
                        connected: false,
                        last_heard: now(),
                    },
                );
                true
            }
            Err(_) => false,
        }
    }

    /// A message on the pair channel of `from`: a frame, `ready` or `bye`.
    fn on_pair(&mut self, from: &str, data: JsValue) {
        let Some(p) = self.peers.get_mut(from) else {
            return;
        };
        p.last_heard = now();
        match data.as_string().as_deref() {
            Some("ready") if !p.connected => {
                p.connected = true;
                self.out.push(NetworkEvent::PeerConnected {
                    peer: from.to_owned(),
                    max_frame: BROADCAST_MAX_FRAME,
                });
            }
            Some("bye") => self.drop_peer(from, false),
            Some(_) => {}
            None => {
                if let (true, Some(bytes)) = (p.connected, data.dyn_ref::<Uint8Array>()) {
                    self.out.push(NetworkEvent::Frame {
                        peer: from.to_owned(),
                        bytes: bytes.to_vec(),
                    });
                }
            }
        }
    }

    /// Forgets `peer` (telling it `bye` on the pair channel if `tell`).
    fn drop_peer(&mut self, peer: &str, tell: bool) {
        if let Some(p) = self.peers.remove(peer) {
            if tell {
                p.port.post(&"bye".into());
            }
            if p.connected {
                self.out.push(NetworkEvent::PeerDisconnected {
                    peer: peer.to_owned(),
                });
            }
        }
    }

    /// Says `hello` again and drops the peers that went silent.
    fn on_heartbeat(&mut self) {
        if let Some(lobby) = &self.lobby {
            lobby.post(&self.lobby_message("hello", None));
        }
        let cutoff = now() - PEER_TIMEOUT_MS;
        let silent: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, p)| p.last_heard < cutoff)
            .map(|(id, _)| id.clone())
            .collect();
        for peer in silent {
            self.drop_peer(&peer, true);
        }
    }

    /// The page is going away (or into the back-forward cache): say `bye` and drop every
    /// peer, but keep listening, so a page that comes back is found again by the next `hello`.
    fn on_pagehide(&mut self) {
        if let Some(lobby) = &self.lobby {
            lobby.post(&self.lobby_message("bye", None));
        }
        let peers: Vec<String> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.drop_peer(&peer, false);
        }
    }

    /// Says `bye` and releases every channel, timer and listener (the sink stays).
    fn leave(&mut self) {
        if let Some(lobby) = &self.lobby {
            lobby.post(&self.lobby_message("bye", None));
        }
        self.peers.clear();
        self.lobby = None;
        self.heartbeat = None;
        self.pagehide = None;
    }
}

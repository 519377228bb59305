//! [`WebRtcTransport`]: one `RTCPeerConnection` with one ordered, reliable data channel per
//! peer, set up through signaling (tabs over `BroadcastChannel`, devices through y-webrtc
//! signaling servers) or by hand (offer and answer strings pasted between devices).
//!
//! Who offers: of two endpoints, the one with the smaller id (a deterministic rule, so two
//! endpoints never offer to each other at once; an offer that crosses ours anyway loses to
//! ours if our id is the smaller). The other side asks for an offer with a directed
//! `announce`. A failed or timed-out connection is retried with exponential backoff (the
//! offerer offers again, the other side asks again) until it succeeds, the peer says `bye`,
//! or the retries run out. See [`signal`](self) for the message format.

mod link;
mod signal;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::{Rc, Weak};

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, MessageEvent, RtcPeerConnection, RtcSdpType, WebSocket};

use crate::backoff::{Backoff, BackoffConfig};
use crate::broadcast::Port;
use crate::error::{NetworkError, Result};
use crate::event::{Emits, EventSink, NetworkEvent, Outbox, Transport};
use crate::js::{has_global, object, random_id, with_state, Listener, Timer};
pub use link::MAX_FRAME_CAP;
use link::{describe, set_remote, Link};
use signal::{Kind, Signal, Signaler, Socket};

/// A manual connection waits this long for the other side's answer (a person copies it).
const MANUAL_TIMEOUT_MS: u32 = 10 * 60 * 1000;

/// How often a server connection sends a y-webrtc `ping`.
const PING_MS: u32 = 20_000;

/// A STUN or TURN server (the `RTCIceServer` dictionary).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IceServer {
    /// Its URLs (`stun:…`, `turn:…`, `turns:…`).
    pub urls: Vec<String>,
    /// The TURN user name.
    pub username: Option<String>,
    /// The TURN credential.
    pub credential: Option<String>,
}

/// Settings of a [`WebRtcTransport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebRtcConfig {
    /// The room: endpoints of one room connect to each other.
    pub room: String,
    /// Signaling servers (`ws://` or `wss://` URLs) speaking the y-webrtc protocol.
    pub signaling: Vec<String>,
    /// Signal between same-origin tabs over `BroadcastChannel` too (default true).
    pub broadcast_signaling: bool,
    /// STUN/TURN servers (default none: host candidates only, for the local network).
    pub ice_servers: Vec<IceServer>,
    /// Frames are queued while a channel buffers more than this many bytes (default 1 MiB).
    pub high_water: u32,
    /// The queue is drained when the buffer falls to this many bytes (default 256 KiB).
    pub low_water: u32,
    /// At most this many bytes queue per peer; later frames are dropped (default 64 MiB).
    pub max_queue_bytes: usize,
    /// A connection not open this many milliseconds after it started fails (default 15 s).
    pub connect_timeout_ms: u32,
    /// How long to wait for ICE candidates before sending a description (default 3 s).
    pub gather_timeout_ms: u32,
    /// Spacing of reconnect attempts, to peers and to signaling servers.
    pub backoff: BackoffConfig,
}

impl WebRtcConfig {
    /// The defaults for `room`.
    pub fn new(room: &str) -> WebRtcConfig {
        WebRtcConfig {
            room: room.to_owned(),
            signaling: Vec::new(),
            broadcast_signaling: true,
            ice_servers: Vec::new(),
            high_water: 1 << 20,
            low_water: 256 << 10,
            max_queue_bytes: 64 << 20,
            connect_timeout_ms: 15_000,
            gather_timeout_ms: 3_000,
            backoff: BackoffConfig::default(),
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let invalid = |m: String| Err(NetworkError::InvalidConfig(m));
        if self.room.is_empty() {
            return invalid("the room is empty".into());
        }
        if let Some(url) = self
            .signaling
            .iter()
            .find(|u| !(u.starts_with("ws://") || u.starts_with("wss://")))
        {
            return invalid(format!("signaling URL {url:?} is not ws:// or wss://"));
        }
        if self.low_water > self.high_water {
            return invalid("lowWater is above highWater".into());
        }
        if self.connect_timeout_ms == 0 || self.backoff.initial_ms == 0 {
            return invalid("timeouts must be positive".into());
        }
        Ok(())
    }

    /// The ICE servers as the array `RTCConfiguration.iceServers` takes.
    fn ice_servers_js(&self) -> JsValue {
        let servers = Array::new();
        for server in &self.ice_servers {
            let o = object(&[
                ("username", server.username.as_deref()),
                ("credential", server.credential.as_deref()),
            ]);
            let urls: Array = server.urls.iter().map(|u| JsValue::from_str(u)).collect();
            let _ = js_sys::Reflect::set(&o, &"urls".into(), &urls);
            servers.push(&o);
        }
        servers.into()
    }
}

/// How signaling reaches a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Through the signaler with this index.
    Signaler(usize),
    /// By hand (offer and answer strings): no reconnecting.
    Manual,
}

/// What we know of one peer.
struct Slot {
    route: Route,
    link: Option<Link>,
    backoff: Backoff,
    retry: Option<Timer>,
    /// The peer said `bye` while connected: no retry once the connection closes.
    gone: bool,
}

pub(crate) struct State {
    me: Weak<RefCell<State>>,
    config: WebRtcConfig,
    id: String,
    topic: String,
    out: Outbox,
    signalers: Vec<Signaler>,
    slots: BTreeMap<String, Slot>,
    /// Which peer each link serves, by link id.
    links: BTreeMap<u32, String>,
    /// Manual offers waiting for their answer, by link id.
    pending: BTreeMap<u32, Link>,
    banned: BTreeSet<String>,
    next_link: u32,
}

impl Emits for State {
    fn outbox(&mut self) -> &mut Outbox {
        &mut self.out
    }
}

/// Peers over WebRTC data channels (see the module docs). Cheap to clone: clones share one
/// transport.
#[derive(Clone)]
pub struct WebRtcTransport {
    state: Rc<RefCell<State>>,
}

impl std::fmt::Debug for WebRtcTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("WebRtcTransport")
            .field("room", &s.config.room)
            .field("id", &s.id)
            .field("peers", &s.slots.len())
            .finish()
    }
}

impl WebRtcTransport {
    /// A transport with `config` (checked) and a fresh random endpoint id; nothing happens
    /// until [`WebRtcTransport::start`].
    pub fn new(config: WebRtcConfig) -> Result<WebRtcTransport> {
        config.validate()?;
        let state = Rc::new_cyclic(|me| {
            RefCell::new(State {
                me: me.clone(),
                topic: signal::topic(&config.room),
                config,
                id: random_id(),
                out: Outbox::default(),
                signalers: Vec::new(),
                slots: BTreeMap::new(),
                links: BTreeMap::new(),
                pending: BTreeMap::new(),
                banned: BTreeSet::new(),
                next_link: 1,
            })
        });
        Ok(WebRtcTransport { state })
    }

    /// The settings.
    pub fn config(&self) -> WebRtcConfig {
        self.state.borrow().config.clone()
    }

    /// This endpoint's id (how peers name it), random per transport.
    pub fn id(&self) -> String {
        self.state.borrow().id.clone()
    }

    /// The peers with an open data channel, sorted.
    pub fn peers(&self) -> Vec<String> {
        let s = self.state.borrow();
        s.slots
            .iter()
            .filter(|(_, slot)| slot.link.as_ref().is_some_and(|l| l.open))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Bytes queued for `peer` above the channel's buffer, and bytes the channel buffers
    /// (diagnostics of backpressure).
    pub fn backlog(&self, peer: &str) -> Option<(usize, u32)> {
        let s = self.state.borrow();
        let link = s.slots.get(peer)?.link.as_ref()?;
        Some((link.queued_bytes(), link.buffered_amount()))
    }

    /// Frames dropped for `peer` because its queue was full, on the current connection.
    pub fn dropped_frames(&self, peer: &str) -> u64 {
        let s = self.state.borrow();
        s.slots
            .get(peer)
            .and_then(|slot| slot.link.as_ref())
            .map_or(0, |l| l.dropped)
    }

    /// Closes every data channel as a broken network would, keeping the peers: each side
    /// sees its channel close and reconnects with backoff (tests of partitions).
    pub fn sever(&self) {
        let s = self.state.borrow();
        for link in s.slots.values().filter_map(|slot| slot.link.as_ref()) {
            link.close_channel();
        }
    }

    /// Starts a connection by hand: returns an offer string for the other device to pass to
    /// [`WebRtcTransport::accept_offer`]. The connection opens once its answer is given to
    /// [`WebRtcTransport::accept_answer`] (within ten minutes). Manual connections are not
    /// reconnected.
    pub async fn create_offer(&self) -> Result<String> {
        let (weak, id, pc, gather) = {
            let mut s = self.state.borrow_mut();
            if !s.out.is_open() {
                return Err(NetworkError::NotStarted);
            }
            let id = s.next_link_id();
            let link = Link::new(&s.me, id, true, &s.config, MANUAL_TIMEOUT_MS)?;
            let pc = link.pc.clone();
            s.pending.insert(id, link);
            (s.me.clone(), id, pc, s.config.gather_timeout_ms)
        };
        match describe(&pc, None, gather).await {
            Ok(sdp) => {
                let from = self.id();
                Ok(Signal::description(Kind::Offer, &from, None, id, sdp).to_json())
            }
            Err(e) => {
                with_state(&weak, |s| s.pending.remove(&id));
                Err(NetworkError::browser(&e))
            }
        }
    }

    /// Answers an offer string made by [`WebRtcTransport::create_offer`] on another device:
    /// returns the answer string to hand back to it. The peer connects once the offerer
    /// accepts the answer.
    pub async fn accept_offer(&self, offer: &str) -> Result<String> {
        let offer = Signal::from_json(offer)
            .filter(|s| s.kind == Kind::Offer)
            .ok_or_else(|| NetworkError::BadSignal("not an offer".into()))?;
        let (weak, id, pc, gather, me) = {
            let mut s = self.state.borrow_mut();
            if !s.out.is_open() {
                return Err(NetworkError::NotStarted);
            }
            if offer.from == s.id || s.banned.contains(&offer.from) {
                return Err(NetworkError::BadSignal(
                    "an offer from this endpoint".into(),
                ));
            }
            let id = s.next_link_id();
            let mut link = Link::new(&s.me, id, false, &s.config, MANUAL_TIMEOUT_MS)?;
            link.remote_attempt = offer.attempt;
            let pc = link.pc.clone();
            s.install(&offer.from, Route::Manual, link);
            (
                s.me.clone(),
                id,
                pc,
                s.config.gather_timeout_ms,
                s.id.clone(),
            )
        };
        match describe(&pc, offer.sdp.as_deref(), gather).await {
            Ok(sdp) => {
                let attempt = offer.attempt.unwrap_or_default();
                let answer =
                    Signal::description(Kind::Answer, &me, Some(&offer.from), attempt, sdp);
                Ok(answer.to_json())
            }
            Err(e) => {
                with_state(&weak, |s| s.link_failed(id));
                Err(NetworkError::browser(&e))
            }
        }
    }

    /// Completes a connection started with [`WebRtcTransport::create_offer`] with the answer
    /// string the other device made.
    pub async fn accept_answer(&self, answer: &str) -> Result<()> {
        let answer = Signal::from_json(answer)
            .filter(|s| s.kind == Kind::Answer)
            .ok_or_else(|| NetworkError::BadSignal("not an answer".into()))?;
        let (weak, id, pc) = {
            let mut s = self.state.borrow_mut();
            if answer.to.as_deref() != Some(s.id.as_str()) {
                return Err(NetworkError::BadSignal(
                    "an answer to another endpoint".into(),
                ));
            }
            let Some(mut link) = answer.attempt.and_then(|a| s.pending.remove(&a)) else {
                return Err(NetworkError::BadSignal("answers no pending offer".into()));
            };
            link.answered = true;
            let (id, pc) = (link.id, link.pc.clone());
            s.install(&answer.from, Route::Manual, link);
            (s.me.clone(), id, pc)
        };
        let sdp = answer.sdp.unwrap_or_default();
        if let Err(e) = set_remote(&pc, RtcSdpType::Answer, &sdp).await {
            with_state(&weak, |s| s.link_failed(id));
            return Err(NetworkError::browser(&e));
        }
        Ok(())
    }
}

impl Transport for WebRtcTransport {
    fn kind(&self) -> &'static str {
        "webrtc"
    }

    /// Joins the room on every signaling path; events go to `sink` until
    /// [`Transport::close`]. A closed transport starts again (same id); a started one
    /// refuses.
    fn start(&self, sink: EventSink) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.out.is_open() {
            return Err(NetworkError::AlreadyStarted);
        }
        if !has_global("RTCPeerConnection") {
            return Err(NetworkError::Unsupported("RTCPeerConnection"));
        }
        if s.config.broadcast_signaling && !has_global("BroadcastChannel") {
            return Err(NetworkError::Unsupported("BroadcastChannel"));
        }
        if !s.config.signaling.is_empty() && !has_global("WebSocket") {
            return Err(NetworkError::Unsupported("WebSocket"));
        }
        if s.config.broadcast_signaling {
            let index = s.signalers.len();
            let weak = s.me.clone();
            let port = Port::open(&format!("dagsync-rtc/{}", s.config.room), move |data| {
                if let Some(signal) = Signal::from_js(&data) {
                    with_state(&weak, |s| s.on_signal(index, signal));
                }
            })?;
            s.signalers.push(Signaler::Broadcast(port));
        }
        for url in s.config.signaling.clone() {
            let backoff = Backoff::new(BackoffConfig {
                max_attempts: u32::MAX,
                ..s.config.backoff
            });
            s.signalers.push(Signaler::Server(Socket {
                url,
                ws: None,
                open: false,
                listeners: Vec::new(),
                backoff,
                retry: None,
                ping: None,
            }));
            let index = s.signalers.len() - 1;
            s.connect_socket(index);
        }
        let announce = Signal::new(Kind::Announce, &s.id, None);
        s.broadcast(&announce);
        s.out.open(sink);
        Ok(())
    }

    /// Sends a frame to a connected peer (dropped if it is not connected; queued while its
    /// channel's buffer is full).
    fn send(&self, peer: &str, frame: &[u8]) {
        let mut s = self.state.borrow_mut();
        if let Some(link) = s
            .slots
            .get_mut(peer)
            .and_then(|slot| slot.link.as_mut())
            .filter(|l| l.open)
        {
            link.send(frame);
        }
    }

    /// Drops a peer (a misbehaving one) and refuses it from now on. No event follows: the
    /// caller knows.
    fn disconnect(&self, peer: &str) {
        let mut s = self.state.borrow_mut();
        s.banned.insert(peer.to_owned());
        if let Some(slot) = s.slots.remove(peer) {
            if let Some(link) = &slot.link {
                s.links.remove(&link.id);
            }
        }
    }

    /// Says `bye`, closes every connection and signaling path, and releases every callback.
    /// No event follows.
    fn close(&self) {
        let mut s = self.state.borrow_mut();
        let bye = Signal::new(Kind::Bye, &s.id, None);
        s.broadcast(&bye);
        s.slots.clear();
        s.links.clear();
        s.pending.clear();
        s.signalers.clear();
        s.out.close();
    }
}

impl State {
    fn next_link_id(&mut self) -> u32 {
        let id = self.next_link;
        self.next_link = self.next_link.wrapping_add(1).max(1);
        id
    }

    /// Whether we offer to `peer` (the smaller id does).
    fn offers_to(&self, peer: &str) -> bool {
        self.id.as_str() < peer
    }

    /// Sends `signal` to everyone on every path.
    fn broadcast(&self, signal: &Signal) {
        for signaler in &self.signalers {
            signaler.send(&self.topic, signal);
        }
    }

    /// Sends `signal` along `route`.
    fn signal(&self, route: Route, signal: &Signal) {
        if let Route::Signaler(index) = route {
            if let Some(signaler) = self.signalers.get(index) {
                signaler.send(&self.topic, signal);
            }
        }
    }

    /// The slot of `peer`, created if new, reached along `route` from now on.
    fn slot(&mut self, peer: &str, route: Route) -> &mut Slot {
        let backoff = self.config.backoff;
        let slot = self.slots.entry(peer.to_owned()).or_insert_with(|| Slot {
            route,
            link: None,
            backoff: Backoff::new(backoff),
            retry: None,
            gone: false,
        });
        slot.route = route;
        slot
    }

    /// Makes `link` the connection of `peer` (replacing, and closing, any other).
    fn install(&mut self, peer: &str, route: Route, link: Link) {
        self.links.insert(link.id, peer.to_owned());
        let slot = self.slot(peer, route);
        slot.retry = None;
        slot.gone = false;
        let old = slot.link.replace(link);
        if let Some(old) = old {
            self.links.remove(&old.id);
            if old.open {
                self.out.push(NetworkEvent::PeerDisconnected {
                    peer: peer.to_owned(),
                });
            }
        }
    }

    /// A signaling message arrived on signaler `index`.
    fn on_signal(&mut self, index: usize, signal: Signal) {
        let addressed = signal.to.as_ref().is_none_or(|to| *to == self.id);
        if signal.from == self.id || !addressed || self.banned.contains(&signal.from) {
            return;
        }
        let route = Route::Signaler(index);
        let from = signal.from.as_str();
        match signal.kind {
            Kind::Announce => self.on_announce(from, route, signal.to.is_some()),
            Kind::Offer => {
                if let (Some(attempt), Some(sdp)) = (signal.attempt, &signal.sdp) {
                    self.on_offer(from, route, attempt, sdp.clone());
                }
            }
            Kind::Answer => {
                if let (Some(attempt), Some(sdp)) = (signal.attempt, &signal.sdp) {
                    self.on_answer(from, attempt, sdp.clone());
                }
            }
            Kind::Bye => self.on_bye(from),
        }
    }

    /// `from` is in the room (`directed`: and asks us to offer). Signaling is not
    /// authenticated, so no signal touches an open connection: a forged one cannot cut it
    /// (when the peer really lost the link, our side sees it break too).
    fn on_announce(&mut self, from: &str, route: Route, directed: bool) {
        let linked = self.slot(from, route).link.is_some();
        if self.offers_to(from) {
            if !linked {
                self.connect(from);
            }
        } else if !linked && !directed {
            let ask = Signal::new(Kind::Announce, &self.id, Some(from));
            self.signal(route, &ask);
        }
    }

    /// Starts a connection to `peer` as the offerer.
    fn connect(&mut self, peer: &str) {
        let Some(route) = self.slots.get(peer).map(|s| s.route) else {
            return;
        };
        let id = self.next_link_id();
        let link = match Link::new(
            &self.me,
            id,
            true,
            &self.config,
            self.config.connect_timeout_ms,
        ) {
            Ok(link) => link,
            Err(_) => {
                self.schedule_retry(peer);
                return;
            }
        };
        let pc = link.pc.clone();
        self.install(peer, route, link);
        self.negotiate(peer, id, pc, None);
    }

    /// Makes our description (an offer, or the answer to `offer`) and sends it to `peer`.
    fn negotiate(&self, peer: &str, id: u32, pc: RtcPeerConnection, offer: Option<(u32, String)>) {
        let weak = self.me.clone();
        let gather = self.config.gather_timeout_ms;
        let peer = peer.to_owned();
        spawn_local(async move {
            let described =
                describe(&pc, offer.as_ref().map(|(_, sdp)| sdp.as_str()), gather).await;
            with_state(&weak, |s| {
                let Some(route) = s.current(&peer, id).map(|slot| slot.route) else {
                    return;
                };
                match described {
                    Ok(sdp) => {
                        let (kind, attempt) = match offer {
                            Some((attempt, _)) => (Kind::Answer, attempt),
                            None => (Kind::Offer, id),
                        };
                        let message = Signal::description(kind, &s.id, Some(&peer), attempt, sdp);
                        s.signal(route, &message);
                    }
                    Err(_) => s.link_failed(id),
                }
            });
        });
    }

    /// The slot of `peer` if its link is still link `id`.
    fn current(&self, peer: &str, id: u32) -> Option<&Slot> {
        self.slots
            .get(peer)
            .filter(|slot| slot.link.as_ref().is_some_and(|l| l.id == id))
    }

    /// An offer from `from`: answer it with a new connection (unless we have an open one, we
    /// answered it already, or it crosses our own offer and our id is the smaller).
    fn on_offer(&mut self, from: &str, route: Route, attempt: u32, sdp: String) {
        let ours_wins = self.offers_to(from);
        if let Some(link) = self.slots.get(from).and_then(|s| s.link.as_ref()) {
            if link.open || link.remote_attempt == Some(attempt) || (link.offerer && ours_wins) {
                return;
            }
        }
        let id = self.next_link_id();
        let mut link = match Link::new(
            &self.me,
            id,
            false,
            &self.config,
            self.config.connect_timeout_ms,
        ) {
            Ok(link) => link,
            Err(_) => return,
        };
        link.remote_attempt = Some(attempt);
        let pc = link.pc.clone();
        self.install(from, route, link);
        self.negotiate(from, id, pc, Some((attempt, sdp)));
    }

    /// The answer to our offer `attempt`.
    fn on_answer(&mut self, from: &str, attempt: u32, sdp: String) {
        let Some(link) = self
            .slots
            .get_mut(from)
            .and_then(|s| s.link.as_mut())
            .filter(|l| l.id == attempt && l.offerer && !l.answered)
        else {
            return;
        };
        link.answered = true;
        let pc = link.pc.clone();
        let weak = self.me.clone();
        spawn_local(async move {
            if set_remote(&pc, RtcSdpType::Answer, &sdp).await.is_err() {
                with_state(&weak, |s| s.link_failed(attempt));
            }
        });
    }

    /// `peer` said `bye`: stop trying to reach it. An open connection is left to close by
    /// itself (the peer closes it as it leaves; then it is not retried), so a forged `bye`
    /// cannot cut it.
    fn on_bye(&mut self, peer: &str) {
        if let Some(slot) = self.slots.get_mut(peer) {
            if slot.link.as_ref().is_some_and(|l| l.open) {
                slot.gone = true;
                return;
            }
        }
        if let Some(Slot {
            link: Some(link), ..
        }) = self.slots.remove(peer)
        {
            self.links.remove(&link.id);
        }
    }

    /// The link `id` if it is some peer's current one, with the peer.
    fn link_mut(&mut self, id: u32) -> Option<(String, &mut Link)> {
        let peer = self.links.get(&id)?.clone();
        let link = self
            .slots
            .get_mut(&peer)?
            .link
            .as_mut()
            .filter(|l| l.id == id)?;
        Some((peer, link))
    }

    pub(crate) fn link_open(&mut self, id: u32) {
        let Some((peer, link)) = self.link_mut(id) else {
            return;
        };
        if link.open {
            return;
        }
        link.open = true;
        link.deadline = None;
        let max_frame = link.max_frame();
        if let Some(slot) = self.slots.get_mut(&peer) {
            slot.backoff.reset();
        }
        self.out
            .push(NetworkEvent::PeerConnected { peer, max_frame });
    }

    pub(crate) fn link_frame(&mut self, id: u32, bytes: Vec<u8>) {
        if let Some((peer, link)) = self.link_mut(id) {
            if link.open {
                self.out.push(NetworkEvent::Frame { peer, bytes });
            }
        }
    }

    pub(crate) fn link_drain(&mut self, id: u32) {
        if let Some((_, link)) = self.link_mut(id) {
            link.drain();
        }
    }

    /// Link `id` failed (closed, broke, or timed out): drop it and retry later.
    pub(crate) fn link_failed(&mut self, id: u32) {
        if self.pending.remove(&id).is_some() {
            return;
        }
        let Some(peer) = self.links.remove(&id) else {
            return;
        };
        let Some(slot) = self.slots.get_mut(&peer) else {
            return;
        };
        if slot.link.as_ref().is_none_or(|l| l.id != id) {
            return;
        }
        let was_open = slot.link.take().is_some_and(|l| l.open);
        if was_open {
            self.out
                .push(NetworkEvent::PeerDisconnected { peer: peer.clone() });
        }
        self.schedule_retry(&peer);
    }

    /// Schedules the next attempt to reach `peer`, or forgets it (manual peers, peers that
    /// said `bye`, retries used up).
    fn schedule_retry(&mut self, peer: &str) {
        let Some(slot) = self.slots.get_mut(peer) else {
            return;
        };
        let delay = match slot.route {
            Route::Signaler(_) if !slot.gone => slot.backoff.next_delay(),
            _ => None,
        };
        let Some(delay) = delay else {
            self.slots.remove(peer);
            return;
        };
        let weak = self.me.clone();
        let name = peer.to_owned();
        slot.retry = Some(Timer::once(delay, move || {
            with_state(&weak, |s| s.retry(&name));
        }));
    }

    /// The backoff delay for `peer` passed: offer again, or ask for an offer again (and
    /// schedule the next retry in case nobody answers).
    fn retry(&mut self, peer: &str) {
        let Some(slot) = self.slots.get_mut(peer) else {
            return;
        };
        slot.retry = None;
        if slot.link.is_some() {
            return;
        }
        let route = slot.route;
        if self.offers_to(peer) {
            self.connect(peer);
        } else {
            let ask = Signal::new(Kind::Announce, &self.id, Some(peer));
            self.signal(route, &ask);
            self.schedule_retry(peer);
        }
    }

    /// Opens the connection to signaling server `index`.
    fn connect_socket(&mut self, index: usize) {
        let weak = self.me.clone();
        let Some(Signaler::Server(socket)) = self.signalers.get_mut(index) else {
            return;
        };
        socket.retry = None;
        let ws = match WebSocket::new(&socket.url) {
            Ok(ws) => ws,
            Err(_) => {
                self.socket_closed(index);
                return;
            }
        };
        let on = |handler: fn(&mut State, usize)| {
            let weak = weak.clone();
            move |_: Event| {
                with_state(&weak, |s| handler(s, index));
            }
        };
        let message = {
            let weak = weak.clone();
            let topic = self.topic.clone();
            move |event: Event| {
                let text = event
                    .dyn_ref::<MessageEvent>()
                    .and_then(|m| m.data().as_string());
                if let Some(signal) = text.and_then(|t| signal::from_server(&t, &topic)) {
                    with_state(&weak, |s| s.on_signal(index, signal));
                }
            }
        };
        socket.listeners = vec![
            Listener::new(&ws, "open", on(State::socket_open)),
            Listener::new(&ws, "close", on(State::socket_closed)),
            Listener::new(&ws, "message", message),
        ];
        socket.ws = Some(ws);
    }

    fn socket_open(&mut self, index: usize) {
        let weak = self.me.clone();
        let (subscribe, id) = (signal::subscribe(&self.topic), self.id.clone());
        let Some(Signaler::Server(socket)) = self.signalers.get_mut(index) else {
            return;
        };
        socket.open = true;
        socket.backoff.reset();
        if let (Some(ws), Some(subscribe)) = (&socket.ws, subscribe) {
            let _ = ws.send_with_str(&subscribe);
        }
        socket.ping = Some(Timer::every(PING_MS, move || {
            with_state(&weak, |s| {
                if let Some(Signaler::Server(Socket { ws: Some(ws), .. })) = s.signalers.get(index)
                {
                    let _ = ws.send_with_str(r#"{"type":"ping"}"#);
                }
            });
        }));
        let announce = Signal::new(Kind::Announce, &id, None);
        self.signal(Route::Signaler(index), &announce);
    }

    /// The connection to signaling server `index` closed (or never opened): reconnect later.
    fn socket_closed(&mut self, index: usize) {
        let weak = self.me.clone();
        let Some(Signaler::Server(socket)) = self.signalers.get_mut(index) else {
            return;
        };
        socket.disconnect();
        let delay = socket.backoff.next_delay().unwrap_or(u32::MAX);
        socket.retry = Some(Timer::once(delay, move || {
            with_state(&weak, |s| s.connect_socket(index));
        }));
    }
}

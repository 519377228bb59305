//! Signaling: the messages endpoints exchange to set up a connection, and the paths they
//! travel (a `BroadcastChannel` between tabs, a y-webrtc signaling server over WebSocket).
//!
//! A message is a plain object `{ type, from, to?, attempt?, sdp? }`:
//! - `announce` — "I am in the room" (`to` absent, sent to everyone) or "please connect to
//!   me" (`to` set: the endpoint whose turn it is to offer is asked to);
//! - `offer` / `answer` — a session description with every ICE candidate in it (no
//!   trickling: one message each way), tagged with the offerer's `attempt` number so answers
//!   to an abandoned attempt are ignored;
//! - `bye` — "I am leaving".
//!
//! Between tabs it is posted as is on `dagsync-rtc/<room>`; through a server it is the `data`
//! of a y-webrtc `publish` to the topic `dagsync:<room>` (the server relays it to every
//! subscriber; each endpoint keeps what is addressed to it or to everyone).

use js_sys::{Array, JSON};
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

use crate::backoff::Backoff;
use crate::broadcast::Port;
use crate::js::{get_number, get_string, object, set_number, Listener, Timer};

/// What a signaling message asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Announce,
    Offer,
    Answer,
    Bye,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Announce => "announce",
            Kind::Offer => "offer",
            Kind::Answer => "answer",
            Kind::Bye => "bye",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "announce" => Kind::Announce,
            "offer" => Kind::Offer,
            "answer" => Kind::Answer,
            "bye" => Kind::Bye,
            _ => return None,
        })
    }
}

/// One signaling message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signal {
    pub(crate) kind: Kind,
    pub(crate) from: String,
    pub(crate) to: Option<String>,
    pub(crate) attempt: Option<u32>,
    pub(crate) sdp: Option<String>,
}

impl Signal {
    /// A message with no attempt and no description.
    pub(crate) fn new(kind: Kind, from: &str, to: Option<&str>) -> Signal {
        Signal {
            kind,
            from: from.to_owned(),
            to: to.map(str::to_owned),
            attempt: None,
            sdp: None,
        }
    }

    /// An offer or answer of connection attempt `attempt`.
    pub(crate) fn description(
        kind: Kind,
        from: &str,
        to: Option<&str>,
        attempt: u32,
        sdp: String,
    ) -> Signal {
        Signal {
            attempt: Some(attempt),
            sdp: Some(sdp),
            ..Signal::new(kind, from, to)
        }
    }

    /// The message as a plain JS object.
    pub(crate) fn to_js(&self) -> JsValue {
        let o = object(&[
            ("type", Some(self.kind.as_str())),
            ("from", Some(&self.from)),
            ("to", self.to.as_deref()),
            ("sdp", self.sdp.as_deref()),
        ]);
        if let Some(attempt) = self.attempt {
            set_number(&o, "attempt", f64::from(attempt));
        }
        o.into()
    }

    /// The message a JS value holds, if it is a well-formed one (anything else is ignored:
    /// other apps may share a room or a server).
    pub(crate) fn from_js(value: &JsValue) -> Option<Signal> {
        let kind = Kind::parse(&get_string(value, "type")?)?;
        let from = get_string(value, "from").filter(|f| !f.is_empty() && f.len() <= 64)?;
        let attempt = match get_number(value, "attempt") {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Some(n as u32)
            }
            Some(_) => return None,
            None => None,
        };
        let signal = Signal {
            kind,
            from,
            to: get_string(value, "to"),
            attempt,
            sdp: get_string(value, "sdp"),
        };
        let described = signal.attempt.is_some() && signal.sdp.is_some();
        match kind {
            Kind::Offer | Kind::Answer if !described => None,
            _ => Some(signal),
        }
    }

    /// The message as a JSON string (a manual offer or answer).
    pub(crate) fn to_json(&self) -> String {
        JSON::stringify(&self.to_js())
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }

    /// The message in a JSON string, if it is one.
    pub(crate) fn from_json(text: &str) -> Option<Signal> {
        Signal::from_js(&JSON::parse(text).ok()?)
    }
}

/// The server topic of a room.
pub(crate) fn topic(room: &str) -> String {
    format!("dagsync:{room}")
}

/// A y-webrtc `publish` of `signal` to `topic`, as JSON.
fn publish(topic: &str, signal: &Signal) -> Option<String> {
    let o = object(&[("type", Some("publish")), ("topic", Some(topic))]);
    js_sys::Reflect::set(&o, &"data".into(), &signal.to_js()).ok()?;
    JSON::stringify(&o).ok()?.as_string()
}

/// A y-webrtc `subscribe` to `topic`, as JSON.
pub(crate) fn subscribe(topic: &str) -> Option<String> {
    let o = object(&[("type", Some("subscribe"))]);
    let topics = Array::of1(&topic.into());
    js_sys::Reflect::set(&o, &"topics".into(), &topics).ok()?;
    JSON::stringify(&o).ok()?.as_string()
}

/// The signal a server message carries, if it is a `publish` to `topic` holding one.
pub(crate) fn from_server(text: &str, topic: &str) -> Option<Signal> {
    let message = JSON::parse(text).ok()?;
    if get_string(&message, "type")? != "publish" || get_string(&message, "topic")? != topic {
        return None;
    }
    Signal::from_js(&js_sys::Reflect::get(&message, &"data".into()).ok()?)
}

/// A connection to a signaling server, reconnected with backoff when it drops.
pub(crate) struct Socket {
    pub(crate) url: String,
    pub(crate) ws: Option<WebSocket>,
    pub(crate) open: bool,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) backoff: Backoff,
    pub(crate) retry: Option<Timer>,
    pub(crate) ping: Option<Timer>,
}

impl Socket {
    /// Drops the connection and its callbacks (a retry stays scheduled, if any).
    pub(crate) fn disconnect(&mut self) {
        self.listeners.clear();
        self.ping = None;
        self.open = false;
        if let Some(ws) = self.ws.take() {
            let _ = ws.close();
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// A path signaling messages travel.
pub(crate) enum Signaler {
    /// Tabs of this origin.
    Broadcast(Port),
    /// A signaling server.
    Server(Socket),
}

impl Signaler {
    /// Sends `signal` (dropped if a server connection is down: the attempt it belongs to
    /// times out and is retried).
    pub(crate) fn send(&self, topic: &str, signal: &Signal) {
        match self {
            Signaler::Broadcast(port) => port.post(&signal.to_js()),
            Signaler::Server(socket) => {
                if let (true, Some(ws), Some(text)) =
                    (socket.open, &socket.ws, publish(topic, signal))
                {
                    let _ = ws.send_with_str(&text);
                }
            }
        }
    }
}

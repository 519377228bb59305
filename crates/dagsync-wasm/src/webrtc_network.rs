//! `WebRtcNetwork`: peers over WebRTC data channels, signaled between tabs, through y-webrtc
//! signaling servers, or by hand.

use std::rc::Rc;

use dagsync_webrtc::{IceServer, WebRtcConfig, WebRtcTransport};
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::error::BindingError;
use crate::network::Registration;
use crate::values::{describe, string_arg};

#[wasm_bindgen(typescript_custom_section)]
const OPTIONS: &'static str = r#"
/** A STUN or TURN server, as in `RTCConfiguration.iceServers`. */
export interface IceServer {
  /** `stun:`, `turn:` or `turns:` URLs. */
  urls: string | string[];
  /** The TURN user name. */
  username?: string;
  /** The TURN credential. */
  credential?: string;
}

/** How a `WebRtcNetwork` retries a lost connection: after `initialDelayMs`, then twice as long
 * each time up to `maxDelayMs`, at most `maxAttempts` times in a row. */
export interface ReconnectOptions {
  /** Delay before the first retry. Default: 250 ms. */
  initialDelayMs?: number;
  /** Longest delay. Default: 30000 ms. */
  maxDelayMs?: number;
  /** Retries in a row before the peer is forgotten (until it shows up again). Default: 12. */
  maxAttempts?: number;
}

/** Options of `new WebRtcNetwork(options)`. */
export interface WebRtcNetworkOptions {
  /** The room: networks of one room connect to each other. */
  room: string;
  /** y-webrtc signaling servers (`ws://` or `wss://` URLs, such as `dagsync-signal`'s), for
   * devices. Default: none. */
  signaling?: string[];
  /** Signal between same-origin tabs over `BroadcastChannel` too. Default: true. */
  broadcastChannel?: boolean;
  /** STUN/TURN servers. Default: none (host candidates only: the local network). */
  iceServers?: IceServer[];
  /** Frames queue while a data channel buffers more than this many bytes. Default: 1 MiB. */
  highWaterMark?: number;
  /** The queue drains when the buffer falls to this many bytes. Default: 256 KiB. */
  lowWaterMark?: number;
  /** At most this many bytes queue per peer; later frames are dropped (the repo resends).
   * Default: 64 MiB. */
  maxQueueBytes?: number;
  /** A connection not open this many milliseconds after it started fails and is retried.
   * Default: 15000. */
  connectTimeoutMs?: number;
  /** How long to gather ICE candidates before sending an offer or answer. Default: 3000. */
  gatherTimeoutMs?: number;
  /** Reconnecting with exponential backoff. */
  reconnect?: ReconnectOptions;
}
"#;

/// Peers over WebRTC: one `RTCPeerConnection` with one ordered, reliable data channel per
/// peer. Signaling between tabs over `BroadcastChannel`, between devices through the
/// `signaling` servers, or by hand with `createOffer` / `acceptOffer` / `acceptAnswer`.
/// Pass it to a `Repo` in `network` (a network serves one repo at a time); lost connections
/// are retried with exponential backoff.
#[wasm_bindgen]
pub struct WebRtcNetwork {
    transport: WebRtcTransport,
    registration: Registration,
}

#[wasm_bindgen]
impl WebRtcNetwork {
    /// A network with `options` (see `WebRtcNetworkOptions`). Throws `DagsyncError`
    /// (`"invalid-argument"`) on a missing room or a malformed option. Nothing happens until a
    /// repo starts it.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "WebRtcNetworkOptions")] options: JsValue,
    ) -> Result<WebRtcNetwork, BindingError> {
        let transport = WebRtcTransport::new(config_from_js(&options)?)?;
        let registration = Registration::new(Rc::new(transport.clone()));
        Ok(WebRtcNetwork {
            transport,
            registration,
        })
    }

    /// The room.
    #[wasm_bindgen(getter)]
    pub fn room(&self) -> String {
        self.transport.config().room
    }

    /// This endpoint's id, as its peers name it (random per network object).
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> String {
        self.transport.id()
    }

    /// The ids of the peers with an open data channel, sorted.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.transport.peers()
    }

    /// Starts a connection by hand (no signaling server): resolves to an offer string to pass
    /// to `acceptOffer` on the other device, whose answer goes to `acceptAnswer` here (within
    /// ten minutes). Manual connections are not retried when lost. Rejects with
    /// `DagsyncError` (`"network"`) before a repo started the network.
    #[wasm_bindgen(js_name = createOffer, unchecked_return_type = "Promise<string>")]
    pub fn create_offer(&self) -> Promise {
        let transport = self.transport.clone();
        future_to_promise(async move {
            let offer = transport.create_offer().await.map_err(BindingError::from)?;
            Ok(offer.into())
        })
    }

    /// Answers an offer string from `createOffer` on another device: resolves to the answer
    /// string to give back to it. Rejects with `DagsyncError` (`"invalid-argument"`) on
    /// something that is not an offer.
    #[wasm_bindgen(js_name = acceptOffer, unchecked_return_type = "Promise<string>")]
    pub fn accept_offer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] offer: JsValue,
    ) -> Promise {
        let transport = self.transport.clone();
        future_to_promise(async move {
            let offer = string_arg(&offer, "offer")?;
            let answer = transport
                .accept_offer(&offer)
                .await
                .map_err(BindingError::from)?;
            Ok(answer.into())
        })
    }

    /// Completes a connection started with `createOffer`, with the answer string the other
    /// device made. Rejects with `DagsyncError` (`"invalid-argument"`) on something that
    /// answers no pending offer of this network.
    #[wasm_bindgen(js_name = acceptAnswer, unchecked_return_type = "Promise<void>")]
    pub fn accept_answer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] answer: JsValue,
    ) -> Promise {
        let transport = self.transport.clone();
        future_to_promise(async move {
            let answer = string_arg(&answer, "answer")?;
            transport
                .accept_answer(&answer)
                .await
                .map_err(BindingError::from)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The registry key a repo finds this network by (internal).
    #[wasm_bindgen(getter, js_name = __dagsyncNetwork)]
    pub fn registry_key(&self) -> f64 {
        crate::network::js_key(self.registration.key())
    }
}

/// Reads the fields of a JS options object, checking each one's type.
struct Fields<'a> {
    object: &'a JsValue,
    what: &'static str,
}

impl Fields<'_> {
    fn get(&self, key: &str) -> JsValue {
        Reflect::get(self.object, &key.into()).unwrap_or_default()
    }

    fn error(&self, key: &str, expected: &str, got: &JsValue) -> BindingError {
        BindingError::invalid(format!(
            "{}.{key} must be {expected}, got {}",
            self.what,
            describe(got)
        ))
    }

    fn string(&self, key: &str) -> Result<Option<String>, BindingError> {
        let value = self.get(key);
        if value.is_undefined() {
            return Ok(None);
        }
        value
            .as_string()
            .map(Some)
            .ok_or_else(|| self.error(key, "a string", &value))
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, BindingError> {
        let value = self.get(key);
        if value.is_undefined() {
            return Ok(None);
        }
        value
            .as_bool()
            .map(Some)
            .ok_or_else(|| self.error(key, "a boolean", &value))
    }

    /// A non-negative integer below 2^32.
    fn count(&self, key: &str) -> Result<Option<u32>, BindingError> {
        let value = self.get(key);
        if value.is_undefined() {
            return Ok(None);
        }
        match value.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Ok(Some(n as u32))
            }
            _ => Err(self.error(key, "a non-negative integer", &value)),
        }
    }

    /// A string, or an array of strings.
    fn strings(
        &self,
        key: &str,
        single_allowed: bool,
    ) -> Result<Option<Vec<String>>, BindingError> {
        let value = self.get(key);
        if value.is_undefined() {
            return Ok(None);
        }
        if let (true, Some(s)) = (single_allowed, value.as_string()) {
            return Ok(Some(vec![s]));
        }
        let expected = if single_allowed {
            "a string or an array of strings"
        } else {
            "an array of strings"
        };
        if !Array::is_array(&value) {
            return Err(self.error(key, expected, &value));
        }
        Array::from(&value)
            .iter()
            .map(|item| {
                item.as_string()
                    .ok_or_else(|| self.error(key, expected, &item))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// The settings `options` (a `WebRtcNetworkOptions`) describe.
fn config_from_js(options: &JsValue) -> Result<WebRtcConfig, BindingError> {
    if !options.is_object() {
        return Err(BindingError::invalid(format!(
            "options must be an object with a room, got {}",
            describe(options)
        )));
    }
    let fields = Fields {
        object: options,
        what: "options",
    };
    let room = fields
        .string("room")?
        .filter(|r| !r.is_empty())
        .ok_or_else(|| BindingError::invalid("options.room must be a non-empty string"))?;
    let mut config = WebRtcConfig::new(&room);
    if let Some(urls) = fields.strings("signaling", false)? {
        config.signaling = urls;
    }
    if let Some(on) = fields.boolean("broadcastChannel")? {
        config.broadcast_signaling = on;
    }
    if let Some(n) = fields.count("highWaterMark")? {
        config.high_water = n;
    }
    if let Some(n) = fields.count("lowWaterMark")? {
        config.low_water = n;
    }
    if let Some(n) = fields.count("maxQueueBytes")? {
        config.max_queue_bytes = n as usize;
    }
    if let Some(n) = fields.count("connectTimeoutMs")? {
        config.connect_timeout_ms = n;
    }
    if let Some(n) = fields.count("gatherTimeoutMs")? {
        config.gather_timeout_ms = n;
    }
    let servers = fields.get("iceServers");
    if !servers.is_undefined() {
        if !Array::is_array(&servers) {
            return Err(fields.error("iceServers", "an array", &servers));
        }
        for server in Array::from(&servers).iter() {
            if !server.is_object() {
                return Err(fields.error("iceServers", "an array of objects", &server));
            }
            let server = Fields {
                object: &server,
                what: "options.iceServers[]",
            };
            config.ice_servers.push(IceServer {
                urls: server
                    .strings("urls", true)?
                    .ok_or_else(|| BindingError::invalid("options.iceServers[].urls is missing"))?,
                username: server.string("username")?,
                credential: server.string("credential")?,
            });
        }
    }
    let reconnect = fields.get("reconnect");
    if !reconnect.is_undefined() {
        if !reconnect.is_object() {
            return Err(fields.error("reconnect", "an object", &reconnect));
        }
        let reconnect = Fields {
            object: &reconnect,
            what: "options.reconnect",
        };
        if let Some(n) = reconnect.count("initialDelayMs")? {
            config.backoff.initial_ms = n;
        }
        if let Some(n) = reconnect.count("maxDelayMs")? {
            config.backoff.max_ms = n;
        }
        if let Some(n) = reconnect.count("maxAttempts")? {
            config.backoff.max_attempts = n;
        }
    }
    Ok(config)
}

//! One connection to one peer: an `RTCPeerConnection` with one ordered, reliable data channel
//! (negotiated, id 0, so both sides create it and no `datachannel` event is needed), the
//! listeners it needs, a send queue for backpressure, and a deadline for connecting. Dropping
//! it removes every listener and closes the channel and the connection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Weak;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelInit, RtcDataChannelType,
    RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionState, RtcSdpType,
    RtcSessionDescriptionInit,
};

use super::{State, WebRtcConfig};
use crate::error::{NetworkError, Result};
use crate::js::{get_number, sleep, with_state, Listener, Timer};

/// Frames are at most this big, whatever larger messages the connection allows (big frames
/// make `bufferedAmount` coarse and one message hog the channel).
pub const MAX_FRAME_CAP: usize = 256 * 1024;

/// The frame size when the connection does not tell its `sctp.maxMessageSize`.
const FALLBACK_MAX_FRAME: usize = 64 * 1024;

/// A connection attempt (or an established connection) to one peer.
pub(crate) struct Link {
    /// Our number for this attempt (the `attempt` of our offer when we offer).
    pub(crate) id: u32,
    /// The offerer's attempt number, when we answer.
    pub(crate) remote_attempt: Option<u32>,
    /// Whether we made the offer.
    pub(crate) offerer: bool,
    /// An answer was taken (offerer side).
    pub(crate) answered: bool,
    pub(crate) pc: RtcPeerConnection,
    dc: RtcDataChannel,
    /// The data channel is open.
    pub(crate) open: bool,
    queue: VecDeque<Vec<u8>>,
    queued_bytes: usize,
    high_water: usize,
    max_queue: usize,
    /// Frames dropped because the queue was full.
    pub(crate) dropped: u64,
    listeners: Vec<Listener>,
    /// Fails the attempt if it is not open in time.
    pub(crate) deadline: Option<Timer>,
}

impl Link {
    /// A new connection (not negotiated yet) whose events go to `state` under `id`; it fails
    /// unless open within `deadline_ms`.
    pub(crate) fn new(
        state: &Weak<RefCell<State>>,
        id: u32,
        offerer: bool,
        config: &WebRtcConfig,
        deadline_ms: u32,
    ) -> Result<Link> {
        let rtc_config = RtcConfiguration::new();
        rtc_config.set_ice_servers(&config.ice_servers_js());
        let pc = RtcPeerConnection::new_with_configuration(&rtc_config)
            .map_err(|e| NetworkError::browser(&e))?;
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(0);
        init.set_ordered(true);
        let dc = pc.create_data_channel_with_data_channel_dict("dagsync", &init);
        dc.set_binary_type(RtcDataChannelType::Arraybuffer);
        dc.set_buffered_amount_low_threshold(config.low_water);

        let on = |handler: fn(&mut State, u32)| {
            let state = state.clone();
            move |_: Event| {
                with_state(&state, |s| handler(s, id));
            }
        };
        let message = {
            let state = state.clone();
            move |event: Event| {
                let Some(data) = event.dyn_ref::<MessageEvent>().map(MessageEvent::data) else {
                    return;
                };
                // Binary frames as sent; a text message (never sent by dagsync) is passed on
                // as its bytes for the repo to refuse.
                let bytes = match data.dyn_ref::<ArrayBuffer>() {
                    Some(buffer) => Uint8Array::new(buffer).to_vec(),
                    None => data.as_string().unwrap_or_default().into_bytes(),
                };
                with_state(&state, |s| s.link_frame(id, bytes));
            }
        };
        let connection_state = {
            let state = state.clone();
            let pc = pc.clone();
            move |_: Event| {
                if matches!(
                    pc.connection_state(),
                    RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed
                ) {
                    with_state(&state, |s| s.link_failed(id));
                }
            }
        };
        let listeners = vec![
            Listener::new(&dc, "open", on(State::link_open)),
            Listener::new(&dc, "close", on(State::link_failed)),
            Listener::new(&dc, "bufferedamountlow", on(State::link_drain)),
            Listener::new(&dc, "message", message),
            Listener::new(&pc, "connectionstatechange", connection_state),
        ];
        let deadline = {
            let state = state.clone();
            Timer::once(deadline_ms, move || {
                with_state(&state, |s| s.link_failed(id));
            })
        };
        Ok(Link {
            id,
            remote_attempt: None,
            offerer,
            answered: false,
            pc,
            dc,
            open: false,
            queue: VecDeque::new(),
            queued_bytes: 0,
            high_water: config.high_water as usize,
            max_queue: config.max_queue_bytes,
            dropped: 0,
            listeners,
            deadline: Some(deadline),
        })
    }

    /// The largest frame the connection carries: its `sctp.maxMessageSize`, at most
    /// [`MAX_FRAME_CAP`].
    pub(crate) fn max_frame(&self) -> usize {
        let sctp = js_sys::Reflect::get(&self.pc, &"sctp".into()).unwrap_or(JsValue::NULL);
        match get_number(&sctp, "maxMessageSize") {
            Some(n) if n >= 1024.0 => n.min(MAX_FRAME_CAP as f64) as usize,
            _ => FALLBACK_MAX_FRAME,
        }
    }

    /// Sends a frame, or queues it while the channel's buffer is above the high-water mark
    /// (drained on `bufferedamountlow`). A full queue drops the frame (the repo's retries
    /// make up for it); so does a closing channel, whose `close` event follows.
    pub(crate) fn send(&mut self, frame: &[u8]) {
        if self.queue.is_empty() && self.has_room_for(frame.len()) {
            let _ = self.dc.send_with_u8_array(frame);
        } else if self.queued_bytes + frame.len() > self.max_queue {
            self.dropped += 1;
        } else {
            self.queued_bytes += frame.len();
            self.queue.push_back(frame.to_vec());
        }
    }

    /// Sends queued frames while the buffer has room.
    pub(crate) fn drain(&mut self) {
        while let Some(len) = self.queue.front().map(Vec::len) {
            if !self.has_room_for(len) {
                break;
            }
            if let Some(frame) = self.queue.pop_front() {
                self.queued_bytes -= frame.len();
                let _ = self.dc.send_with_u8_array(&frame);
            }
        }
    }

    fn has_room_for(&self, len: usize) -> bool {
        let buffered = self.dc.buffered_amount() as usize;
        buffered == 0 || buffered + len <= self.high_water
    }

    /// Bytes waiting in the queue (not yet handed to the channel).
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Bytes the channel holds, not yet sent.
    pub(crate) fn buffered_amount(&self) -> u32 {
        self.dc.buffered_amount()
    }

    /// Closes the data channel only, as a broken link would (tests of reconnection).
    pub(crate) fn close_channel(&self) {
        self.dc.close();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.listeners.clear();
        self.deadline = None;
        self.dc.close();
        self.pc.close();
    }
}

/// Sets the remote description.
pub(crate) async fn set_remote(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
) -> std::result::Result<(), JsValue> {
    let description = RtcSessionDescriptionInit::new(kind);
    description.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&description)).await?;
    Ok(())
}

/// Makes our side's description — an offer, or the answer to `remote_offer` — waits (up to
/// `gather_ms`) for ICE gathering to finish, and returns the description with the candidates
/// found.
pub(crate) async fn describe(
    pc: &RtcPeerConnection,
    remote_offer: Option<&str>,
    gather_ms: u32,
) -> std::result::Result<String, JsValue> {
    let made = match remote_offer {
        Some(offer) => {
            set_remote(pc, RtcSdpType::Offer, offer).await?;
            JsFuture::from(pc.create_answer()).await?
        }
        None => JsFuture::from(pc.create_offer()).await?,
    };
    JsFuture::from(pc.set_local_description(made.unchecked_ref())).await?;
    const POLL_MS: u32 = 10;
    let mut waited = 0;
    while pc.ice_gathering_state() != RtcIceGatheringState::Complete && waited < gather_ms {
        sleep(POLL_MS).await;
        waited += POLL_MS;
    }
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| JsValue::from_str("no local description"))
}

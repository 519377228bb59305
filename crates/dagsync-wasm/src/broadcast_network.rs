//! `BroadcastChannelNetwork`: same-origin tabs sync with no server at all.

use std::rc::Rc;

use dagsync_webrtc::BroadcastTransport;
use wasm_bindgen::prelude::*;

use crate::error::BindingError;
use crate::network::Registration;
use crate::values::string_arg;

/// Tabs (and workers) of this origin as peers, over `BroadcastChannel`: no server, no
/// WebRTC. Pass it to a `Repo` in `network`; every tab whose repo uses the same room syncs
/// with this one. A network serves one repo at a time.
#[wasm_bindgen]
pub struct BroadcastChannelNetwork {
    transport: BroadcastTransport,
    registration: Registration,
}

#[wasm_bindgen]
impl BroadcastChannelNetwork {
    /// A network for `room` (a non-empty string). Nothing happens until a repo starts it.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] room: JsValue,
    ) -> Result<BroadcastChannelNetwork, BindingError> {
        let room = string_arg(&room, "room")?;
        if room.is_empty() {
            return Err(BindingError::invalid("room must not be empty"));
        }
        let transport = BroadcastTransport::new(&room);
        let registration = Registration::new(Rc::new(transport.clone()));
        Ok(BroadcastChannelNetwork {
            transport,
            registration,
        })
    }

    /// The room.
    #[wasm_bindgen(getter)]
    pub fn room(&self) -> String {
        self.transport.room()
    }

    /// This endpoint's id, as its peers name it (random per network object).
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> String {
        self.transport.id()
    }

    /// The ids of the connected peers, sorted.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.transport.peers()
    }

    /// The registry key a repo finds this network by (internal).
    #[wasm_bindgen(getter, js_name = __dagsyncNetwork)]
    pub fn registry_key(&self) -> f64 {
        crate::network::js_key(self.registration.key())
    }
}

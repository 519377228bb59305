//! `SyncState` and the sync messages: the sans-IO protocol over any transport.

use wasm_bindgen::prelude::*;

use crate::doc::{with_doc_mut, Doc};
use crate::error::{BindingError, ErrorCode};
use crate::values::bytes_arg;

/// What this document knows of one remote peer's sync session. One per peer; persist it with
/// `encode()` / `SyncState.decode(bytes)` so a reconnect resumes from the last common heads.
#[wasm_bindgen]
pub struct SyncState {
    inner: dagsync::SyncState,
}

#[wasm_bindgen]
impl SyncState {
    /// A new session with a peer (nothing known of it yet).
    #[wasm_bindgen(constructor)]
    pub fn new() -> SyncState {
        SyncState {
            inner: dagsync::SyncState::new(),
        }
    }

    /// The state to persist (the last common heads).
    pub fn encode(&self) -> Vec<u8> {
        self.inner.encode()
    }

    /// A state persisted by `encode`. Throws `DagsyncError` (`"corrupt"`) on bad bytes.
    pub fn decode(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<SyncState, BindingError> {
        let bytes = bytes_arg(&bytes)?;
        let inner = dagsync::SyncState::decode(&bytes)?;
        Ok(SyncState { inner })
    }
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState::new()
    }
}

impl From<dagsync::SyncError> for BindingError {
    fn from(err: dagsync::SyncError) -> Self {
        match err {
            dagsync::SyncError::Malformed(e) | dagsync::SyncError::InvalidChanges(e) => e.into(),
            other => BindingError::new(ErrorCode::Corrupt, other.to_string()),
        }
    }
}

#[wasm_bindgen]
impl Doc {
    /// The next message for the peer `peer` describes, or `undefined` when there is nothing to
    /// say. Send it over any transport; call again after every received message and after
    /// local changes. Commits pending edits first.
    #[wasm_bindgen(js_name = generateSyncMessage)]
    pub fn generate_sync_message(
        &self,
        peer: &mut SyncState,
    ) -> Result<Option<Vec<u8>>, BindingError> {
        with_doc_mut(&self.inner, |doc| {
            doc.commit(None);
            doc.generate_sync_message(&mut peer.inner)
        })
    }

    /// Takes in a message from the peer `peer` describes. Throws `DagsyncError`
    /// (`"corrupt"`, `"bad-hash"`, `"bad-signature"`, `"not-authorized"`, `"invalid-change"`)
    /// on a malformed message or invalid changes; then neither the document nor `peer`
    /// changes.
    #[wasm_bindgen(js_name = receiveSyncMessage)]
    pub fn receive_sync_message(
        &self,
        peer: &mut SyncState,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] message: JsValue,
    ) -> Result<(), BindingError> {
        let message = bytes_arg(&message)?;
        with_doc_mut(&self.inner, |doc| {
            if doc.is_read_only() {
                return Err(BindingError::from(dagsync::DocError::ReadOnly));
            }
            doc.receive_sync_message(&mut peer.inner, &message)
                .map_err(BindingError::from)
        })?
    }
}

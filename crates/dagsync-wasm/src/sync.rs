//! `SyncState` and the sync messages: the sans-IO protocol over any transport.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::doc::{with_doc_mut, Doc};
use crate::error::{BindingError, ErrorCode, JsResult};
use crate::registry::{lookup, Registry};
use crate::values::bytes_arg;

/// A session's state, shared by its JS object and the registry.
pub(crate) struct Session {
    key: u32,
    state: RefCell<dagsync::SyncState>,
}

thread_local! {
    /// Every live `SyncState`, for [`session_arg`].
    static SESSIONS: Registry<Session> = const { Registry::new() };
}

impl Drop for Session {
    fn drop(&mut self) {
        SESSIONS.with(|r| r.remove(self.key));
    }
}

/// The session behind a JS `SyncState` argument (`invalid-argument` for anything else).
fn session_arg(value: &JsValue) -> JsResult<Rc<Session>> {
    lookup(&SESSIONS, value, "__dagsyncSyncState", "a SyncState")
}

/// What this document knows of one remote peer's sync session. One per peer; persist it with
/// `encode()` / `SyncState.decode(bytes)` so a reconnect resumes from the last common heads.
#[wasm_bindgen]
pub struct SyncState {
    inner: Rc<Session>,
}

impl SyncState {
    /// A new JS object of this same session (for Rust callers of the sync methods).
    pub fn to_js(&self) -> JsValue {
        SyncState {
            inner: Rc::clone(&self.inner),
        }
        .into()
    }

    fn wrap(state: dagsync::SyncState) -> SyncState {
        SyncState {
            inner: SESSIONS.with(|r| {
                r.create(|key| Session {
                    key,
                    state: RefCell::new(state),
                })
            }),
        }
    }
}

#[wasm_bindgen]
impl SyncState {
    /// A new session with a peer (nothing known of it yet).
    #[wasm_bindgen(constructor)]
    pub fn new() -> SyncState {
        SyncState::wrap(dagsync::SyncState::new())
    }

    /// The state's registry key (how sync calls recognise a `SyncState` argument).
    #[wasm_bindgen(getter, js_name = __dagsyncSyncState, skip_typescript)]
    pub fn registry_key(&self) -> f64 {
        crate::registry::exposed_key(self.inner.key)
    }

    /// The state to persist (the last common heads).
    pub fn encode(&self) -> Vec<u8> {
        self.inner.state.borrow().encode()
    }

    /// A state persisted by `encode`. Throws `DagsyncError` (`"corrupt"`) on bad bytes.
    pub fn decode(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<SyncState, BindingError> {
        let bytes = bytes_arg(&bytes)?;
        Ok(SyncState::wrap(dagsync::SyncState::decode(&bytes)?))
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
    /// local changes. Commits pending edits first. Throws `DagsyncError`
    /// (`"invalid-argument"`) if `peer` is not a `SyncState`.
    #[wasm_bindgen(js_name = generateSyncMessage)]
    pub fn generate_sync_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SyncState")] peer: JsValue,
    ) -> Result<Option<Vec<u8>>, BindingError> {
        let peer = session_arg(&peer)?;
        let mut state = peer.state.try_borrow_mut().map_err(|_| busy())?;
        with_doc_mut(&self.inner, |doc| {
            doc.commit(None);
            doc.generate_sync_message(&mut state)
        })
    }

    /// Takes in a message from the peer `peer` describes. Throws `DagsyncError`
    /// (`"corrupt"`, `"bad-hash"`, `"bad-signature"`, `"not-authorized"`, `"invalid-change"`)
    /// on a malformed message or invalid changes; then neither the document nor `peer`
    /// changes. A `peer` that is not a `SyncState` is an `"invalid-argument"` error.
    #[wasm_bindgen(js_name = receiveSyncMessage)]
    pub fn receive_sync_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SyncState")] peer: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] message: JsValue,
    ) -> Result<(), BindingError> {
        let peer = session_arg(&peer)?;
        let message = bytes_arg(&message)?;
        let mut state = peer.state.try_borrow_mut().map_err(|_| busy())?;
        with_doc_mut(&self.inner, |doc| {
            if doc.is_read_only() {
                return Err(BindingError::from(dagsync::DocError::ReadOnly));
            }
            doc.receive_sync_message(&mut state, &message)
                .map_err(BindingError::from)
        })?
    }
}

fn busy() -> BindingError {
    BindingError::new(
        ErrorCode::Busy,
        "the sync state is in use by a call that has not returned",
    )
}

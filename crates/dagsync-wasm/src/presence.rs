//! `Presence`: who else is in a document of a `Repo` and what they publish (name, colour,
//! cursors as `text.cursorAt` strings, anything JSON) — ephemeral state the core repo signs,
//! throttles, sends as deltas over the repo's networks and expires; never stored.

use std::rc::Weak;

use dagsync::presence::PresenceConfig;
use dagsync::repo::{DocId, Repo as CoreRepo};
use dagsync::ActorId;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::error::{BindingError, ErrorCode, JsResult};
use crate::events::put;
use crate::repo::{after_core, with_core, RepoInner};
use crate::values::{js_to_value, millis_field, options_given, value_to_js};

#[wasm_bindgen(typescript_custom_section)]
const PRESENCE_TYPES: &'static str = r#"
/** Options of presence, `new Repo({ presence })`. */
export interface PresenceOptions {
  /** At most one presence message per document per this many ms (default 50; updates in
   * between are merged). */
  throttleMs?: number;
  /** A peer not heard from for this long is gone (default 30000); heartbeats go out at a
   * third of it. */
  timeoutMs?: number;
}

/** One peer's presence in a document. */
export interface PeerPresence {
  /** The peer's actor (hex public key): its presence is signed with that key. */
  actor: string;
  /** What it published with `presence.set`. */
  state: Value;
}

/** What `handle.on("presence", listener)` reports. */
export type PresenceEvent =
  /** A peer's presence is new or changed. */
  | { type: "changed"; actor: string; state: Value }
  /** A peer left the document (`presence.leave()`, a closed repo) or went silent for longer
   * than the timeout. */
  | { type: "gone"; actor: string };
"#;

/// The presence of one document of a repo (`handle.presence`).
#[wasm_bindgen]
pub struct Presence {
    id: DocId,
    repo: Weak<RepoInner>,
}

impl Presence {
    pub(crate) fn new(id: DocId, repo: Weak<RepoInner>) -> Presence {
        Presence { id, repo }
    }

    /// Runs `f` on the core repo, then sends what it produced.
    fn with_repo<T>(&self, f: impl FnOnce(&mut CoreRepo) -> T) -> JsResult<T> {
        let repo = self
            .repo
            .upgrade()
            .ok_or_else(|| BindingError::new(ErrorCode::Closed, "the repo is gone"))?;
        let result = with_core(&repo, f)?;
        after_core(&repo);
        Ok(result)
    }
}

#[wasm_bindgen]
impl Presence {
    /// Publishes our state in this document (a plain value, usually an object: name, colour,
    /// `cursor: text.cursorAt(i)`, ...) to every peer the document is shared with. Replaces
    /// the previous state; only what changed travels, at most once per `throttleMs`. Throws
    /// `DagsyncError` (`"invalid-argument"`) for what is not a plain value, `"closed"` after
    /// the repo closed.
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] state: JsValue,
    ) -> Result<(), BindingError> {
        let state = js_to_value(&state)?;
        let now = js_sys::Date::now() as u64;
        self.with_repo(|core| {
            // Brings the repo's clock up to date, so the throttle counts from now.
            core.tick(now)?;
            core.set_presence(&self.id, state)
        })??;
        Ok(())
    }

    /// The peers' presence in this document (ours is not included), sorted by actor.
    #[wasm_bindgen(unchecked_return_type = "PeerPresence[]")]
    pub fn get(&self) -> Result<Array, BindingError> {
        self.with_repo(|core| {
            core.presence(&self.id)
                .iter()
                .map(|(actor, state)| peer_presence(*actor, Some(state)))
                .collect()
        })
    }

    /// Our own state as last set (`undefined` before `set`).
    #[wasm_bindgen(unchecked_return_type = "Value | undefined")]
    pub fn local(&self) -> Result<JsValue, BindingError> {
        self.with_repo(|core| {
            core.local_presence(&self.id)
                .map_or(JsValue::UNDEFINED, |v| value_to_js(&v))
        })
    }

    /// Leaves the document: peers drop our presence at once (a later `set` joins again).
    pub fn leave(&self) -> Result<(), BindingError> {
        self.with_repo(|core| core.leave_presence(&self.id))??;
        Ok(())
    }
}

/// `{ actor, state }` (without `state` when `None`).
pub(crate) fn peer_presence(actor: ActorId, state: Option<&dagsync::Value>) -> JsValue {
    let object = Object::new();
    put(&object, "actor", &JsValue::from_str(&actor.to_hex()));
    if let Some(state) = state {
        put(&object, "state", &value_to_js(state));
    }
    object.into()
}

/// A `PresenceEvent`.
pub(crate) fn presence_event(
    kind: &str,
    actor: ActorId,
    state: Option<&dagsync::Value>,
) -> JsValue {
    let object = peer_presence(actor, state);
    let _ = Reflect::set(
        &object,
        &JsValue::from_str("type"),
        &JsValue::from_str(kind),
    );
    object
}

/// The `PresenceConfig` of the `presence` option of `new Repo` (`undefined`: the defaults).
pub(crate) fn presence_config(options: &JsValue) -> JsResult<PresenceConfig> {
    let mut config = PresenceConfig::default();
    if !options_given(options, "presence")? {
        return Ok(config);
    }
    if let Some(ms) = millis_field(options, "throttleMs", "presence.throttleMs")? {
        config.throttle_ms = ms;
    }
    if let Some(ms) = millis_field(options, "timeoutMs", "presence.timeoutMs")? {
        config.timeout_ms = ms;
    }
    Ok(config)
}

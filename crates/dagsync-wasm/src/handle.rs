//! `DocHandle`: a document of a `Repo` — its id, its `Doc`, change events, and a promise for
//! its changes being stored.

use std::rc::{Rc, Weak};

use dagsync::repo::DocId;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::doc::{Doc, SharedDoc};
use crate::emitter::Emitter;
use crate::error::{BindingError, ErrorCode};
use crate::presence::Presence;
use crate::repo::{promise, RepoInner};

#[wasm_bindgen(typescript_custom_section)]
const HANDLE_TYPES: &'static str = r#"
export interface DocHandle {
  /** Calls `listener` with the patches of every local commit and every batch of changes
   * from peers or other tabs (as `doc.subscribe`); returns a function that removes it. */
  on(event: "change", listener: (event: ChangeEvent) => void): () => void;
  /** Calls `listener` when a peer's presence in the document appears, changes or goes;
   * returns a function that removes it. */
  on(event: "presence", listener: (event: PresenceEvent) => void): () => void;
}
"#;

/// A document of a `Repo`: edit `handle.doc` like any `Doc`; its commits are stored and
/// synced to peers by the repo.
#[wasm_bindgen]
pub struct DocHandle {
    id: DocId,
    doc: JsValue,
    shared: SharedDoc,
    repo: Weak<RepoInner>,
    events: Rc<Emitter>,
}

impl DocHandle {
    /// The handle of document `id`, whose JS `Doc` object is `doc`.
    pub(crate) fn new(
        id: DocId,
        doc: Doc,
        repo: Weak<RepoInner>,
        events: Rc<Emitter>,
    ) -> DocHandle {
        let shared = doc.shared();
        DocHandle {
            id,
            doc: doc.into(),
            shared,
            repo,
            events,
        }
    }
}

#[wasm_bindgen]
impl DocHandle {
    /// The document's id (32 hex characters), for `repo.find(id)` here or on any peer.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.to_string()
    }

    /// The document (always the same object).
    #[wasm_bindgen(getter, unchecked_return_type = "Doc")]
    pub fn doc(&self) -> JsValue {
        self.doc.clone()
    }

    /// Calls `listener` on each `"change"` of the document or `"presence"` event; returns a
    /// function that removes it.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, BindingError> {
        if event.as_string().as_deref() != Some("change") {
            return self.events.on(&event, listener);
        }
        Doc {
            inner: SharedDoc::clone(&self.shared),
        }
        .subscribe(listener)
    }

    /// Presence in this document: `set` ours, `get` the peers', over the repo's networks.
    #[wasm_bindgen(getter)]
    pub fn presence(&self) -> Presence {
        Presence::new(self.id, Weak::clone(&self.repo))
    }

    /// Resolves once every change committed so far is stored (at once for a repo without
    /// storage). Rejects with `DagsyncError` (`"closed"`) if the repo closed first.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn flushed(&self) -> Promise {
        let repo = self.repo.upgrade();
        let id = self.id;
        promise(async move {
            let repo =
                repo.ok_or_else(|| BindingError::new(ErrorCode::Closed, "the repo is gone"))?;
            repo.flushed(id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

//! Documents with a document key: local changes are sealed as one encrypted payload each
//! (except access-list changes, which every peer must read to check permissions); remote
//! encrypted changes are decrypted, validated and applied, and keep their encrypted form in
//! the log so they export (and hash) exactly as they arrived. Without the key, an encrypted
//! change is stored opaque: it joins the history (heads, sync, relaying) but changes no state.

use std::sync::Arc;

use crate::auth::{DocumentKey, ACL_ROOT, ENCRYPTED_ROOT};
use crate::encoding::{canonical_change, read_batch};
use crate::error::ApplyError;

use super::types::{Change, ContainerId, ContainerKind, Op, OpAction};
use super::Doc;

/// What a remote change holds, as far as this document can tell.
pub(super) enum Content {
    /// Plain operations.
    Plain,
    /// Decrypted operations (the change with them instead of its payload), and the payload.
    Decrypted(Box<Change>, Arc<[u8]>),
    /// An encrypted payload this document has no key for.
    Opaque(Arc<[u8]>),
}

/// The container an encrypted payload is filed under.
pub(super) fn encrypted_container() -> ContainerId {
    ContainerId::Root {
        name: ENCRYPTED_ROOT.to_owned(),
        kind: ContainerKind::Map,
    }
}

/// The width and payload of an encrypted change; `None` for a plain one.
fn payload_of(change: &Change) -> Option<(u64, &[u8])> {
    change.ops.iter().find_map(|op| match &op.action {
        OpAction::Encrypted { width, payload } => Some((*width, payload.as_slice())),
        _ => None,
    })
}

impl Doc {
    /// Sets (or clears) the document key. Local changes sealed from now on are encrypted;
    /// encrypted changes already received without the key are decrypted and applied now.
    pub fn set_document_key(&mut self, key: Option<DocumentKey>) {
        self.doc_key = key;
        let opaque = self
            .changes
            .iter()
            .any(|c| c.encrypted.is_some() && c.ops.is_empty());
        if opaque && self.doc_key.is_some() {
            self.seal();
            let (len, patches) = (self.changes.len(), self.patches.len());
            self.roll_back_to(len, patches);
        }
    }

    /// Whether this document has a document key.
    pub fn has_document_key(&self) -> bool {
        self.doc_key.is_some()
    }

    /// Reads a remote change: plain, decrypted with the document key, or opaque.
    pub(super) fn open_change(&self, change: &Change) -> Result<Content, ApplyError> {
        let invalid = |what: &str| ApplyError::Invalid {
            actor: change.actor,
            seq: change.seq,
            what: what.to_owned(),
        };
        let Some((width, payload)) = payload_of(change) else {
            return Ok(Content::Plain);
        };
        if change.ops.len() != 1 || change.ops[0].container != encrypted_container() || width == 0 {
            return Err(invalid(
                "an encrypted payload is a change's only operation, filed under its root",
            ));
        }
        let Some(key) = &self.doc_key else {
            return Ok(Content::Opaque(payload.into()));
        };
        let undecryptable = || invalid("the payload does not decrypt with the document key");
        // A change in a lane (see `doc/lanes.rs`) was sealed under its author's name.
        let (actor, seq) = self.wire_id(change.actor, change.seq);
        let plaintext = key
            .open(payload, &actor, seq, change.start_op)
            .map_err(|_| undecryptable())?;
        let mut inner = read_batch(&plaintext).map_err(|_| undecryptable())?.changes;
        let mut inner = match (inner.pop(), inner.is_empty()) {
            (Some(inner), true) => inner,
            _ => return Err(undecryptable()),
        };
        let same_header = inner.actor == actor
            && inner.seq == seq
            && inner.deps == change.deps
            && inner.start_op == change.start_op
            && inner.time == change.time
            && inner.message == change.message;
        let inner_width = inner
            .ops
            .iter()
            .map(Op::width)
            .try_fold(0u64, u64::checked_add);
        if !same_header || inner_width != Some(width) {
            return Err(invalid(
                "the decrypted operations do not belong to this change",
            ));
        }
        let readable_by_all = |op: &Op| matches!(&op.container, ContainerId::Root { name, .. } if name == ACL_ROOT || name == ENCRYPTED_ROOT);
        if inner.ops.iter().any(readable_by_all) {
            return Err(invalid(
                "access-list operations cannot be encrypted (every peer checks them)",
            ));
        }
        if actor != change.actor {
            // Its own operations are in its lane. (References to other branches' operations
            // inside an encrypted payload are not translated.)
            let own = inner.start_op..inner.start_op.saturating_add(width);
            super::lanes::move_own_references(&mut inner, actor, change.actor, own);
        }
        Ok(Content::Decrypted(Box::new(inner), payload.into()))
    }

    /// Encrypts stored local change `index` with the document key (before it is hashed),
    /// unless it writes the access list.
    pub(super) fn encrypt_local(&mut self, index: u32) {
        let Some(key) = &self.doc_key else {
            return;
        };
        let plain = self.export_change(index);
        let writes_acl = plain
            .ops
            .iter()
            .any(|op| matches!(&op.container, ContainerId::Root { name, .. } if name == ACL_ROOT));
        if writes_acl {
            return;
        }
        let payload = key.seal(
            &canonical_change(&plain),
            &plain.actor,
            plain.seq,
            plain.start_op,
        );
        Arc::make_mut(&mut self.changes[index as usize]).encrypted = Some(payload.into());
    }
}

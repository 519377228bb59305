//! The change log as stored inside a document: compact, with interned actors, and with
//! inserted content pointing into the containers' arenas instead of being copied.

use crate::clock::Hlc;
use crate::dag::ChangeHash;
use crate::id::{ActorIdx, Id};
use crate::value::Value;

use super::types::{ContainerKind, NewItem};

/// What an operation writes, with content kept compactly.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StoredNew {
    Value(Value),
    Container(ContainerKind),
}

impl From<NewItem> for StoredNew {
    fn from(item: NewItem) -> Self {
        match item {
            NewItem::Value(v) => StoredNew::Value(v),
            NewItem::Container(kind) => StoredNew::Container(kind),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StoredAction {
    /// `len` items whose content is at `content..content+len` of the container's arena.
    Insert {
        origin_left: Id,
        origin_right: Id,
        content: u32,
        len: u32,
    },
    Delete {
        start: Id,
        len: u64,
    },
    MapSet {
        key: String,
        value: StoredNew,
        pred: Vec<Id>,
    },
    MapDelete {
        key: String,
        pred: Vec<Id>,
    },
    CounterAdd {
        delta: i64,
    },
    SetAdd {
        value: Value,
    },
    SetRemove {
        value: Value,
        observed: Vec<Id>,
    },
    RegisterSet {
        value: StoredNew,
        pred: Vec<Id>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredOp {
    pub(crate) container: u32,
    pub(crate) action: StoredAction,
}

impl StoredOp {
    /// Operation ids this operation uses.
    pub(crate) fn width(&self) -> u64 {
        match &self.action {
            StoredAction::Insert { len, .. } => u64::from(*len),
            StoredAction::Delete { len, .. } => *len,
            _ => 1,
        }
    }

    /// Folds `next` into `self` when it continues it exactly (typing, backspacing), so that a
    /// burst of keystrokes costs one stored operation. `self_id` and `next_id` are the ids of
    /// the two operations' first items.
    pub(crate) fn try_merge(&mut self, self_id: Id, next: &StoredOp, next_id: Id) -> bool {
        if self.container != next.container || next_id != self_id.plus(self.width()) {
            return false;
        }
        match (&mut self.action, &next.action) {
            (
                StoredAction::Insert {
                    origin_right,
                    content,
                    len,
                    ..
                },
                StoredAction::Insert {
                    origin_left: next_left,
                    origin_right: next_right,
                    content: next_content,
                    len: next_len,
                },
            ) => {
                let continues = *next_left == self_id.plus(u64::from(*len) - 1)
                    && *origin_right == *next_right
                    && *content + *len == *next_content;
                if continues {
                    *len += *next_len;
                }
                continues
            }
            (StoredAction::Delete { start, len }, StoredAction::Delete { start: s, len: l }) => {
                if start.actor != s.actor {
                    return false;
                }
                if s.counter + *l == start.counter {
                    *start = *s;
                    *len += *l;
                    true
                } else if start.counter + *len == s.counter {
                    *len += *l;
                    true
                } else {
                    false
                }
            }
            _ => false,
        }
    }
}

/// A change in the document's log.
#[derive(Clone, Debug)]
pub(crate) struct StoredChange {
    pub(crate) actor: ActorIdx,
    pub(crate) seq: u64,
    /// Indexes (into the log) of the changes this one depends on.
    pub(crate) deps: Vec<u32>,
    pub(crate) start_op: u64,
    pub(crate) end_op: u64,
    pub(crate) time: Hlc,
    pub(crate) message: Option<String>,
    pub(crate) ops: Vec<StoredOp>,
    /// Its hash, once sealed (every change but the open local one).
    pub(crate) hash: Option<ChangeHash>,
    /// The author's signature over the hash, if signed.
    /// Boxed: most changes of a long history are unsigned (one signature covers a burst), and
    /// inline the 64 bytes would be in every one of them.
    pub(crate) signature: Option<Box<crate::dag::Signature>>,
    /// The access-list operations in its causal past and in itself.
    pub(crate) acl: crate::auth::acl::AclSet,
    /// Its operations as one encrypted payload (see `doc/encrypted.rs`): how it is sent and
    /// hashed. Without the document key, `ops` is then empty.
    pub(crate) encrypted: Option<std::sync::Arc<[u8]>>,
}

//! Public types of the document model: container ids and kinds, changes and their operations.

use std::fmt;

use crate::actor::ActorId;
use crate::clock::{Hlc, OpId};
use crate::dag::{ChangeHash, Signature};
use crate::value::Value;

/// The kind of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    /// Keys to values or containers; concurrent sets keep a deterministic winner plus conflicts.
    Map,
    /// An ordered sequence of values or containers.
    List,
    /// A sequence of characters.
    Text,
    /// A PN-counter.
    Counter,
    /// An add-wins observed-remove set of values.
    Set,
    /// A multi-value register.
    Register,
}

impl ContainerKind {
    /// The lower-case name used by the JS API (`"map"`, `"list"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ContainerKind::Map => "map",
            ContainerKind::List => "list",
            ContainerKind::Text => "text",
            ContainerKind::Counter => "counter",
            ContainerKind::Set => "set",
            ContainerKind::Register => "register",
        }
    }

    /// Parses a name produced by [`ContainerKind::name`].
    pub fn from_name(name: &str) -> Option<ContainerKind> {
        Some(match name {
            "map" => ContainerKind::Map,
            "list" => ContainerKind::List,
            "text" => ContainerKind::Text,
            "counter" => ContainerKind::Counter,
            "set" => ContainerKind::Set,
            "register" => ContainerKind::Register,
            _ => return None,
        })
    }

    /// All kinds, in a fixed order.
    pub const ALL: [ContainerKind; 6] = [
        ContainerKind::Map,
        ContainerKind::List,
        ContainerKind::Text,
        ContainerKind::Counter,
        ContainerKind::Set,
        ContainerKind::Register,
    ];
}

impl fmt::Display for ContainerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Names a container the same way on every replica.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerId {
    /// A root container: exists in every document, created on first use.
    Root {
        /// The root's name.
        name: String,
        /// Its kind (roots of different kinds may share a name).
        kind: ContainerKind,
    },
    /// A nested container, named by the operation that created it.
    Child {
        /// The creating operation.
        op: OpId,
        /// Its kind.
        kind: ContainerKind,
    },
}

impl ContainerId {
    /// The container's kind.
    pub fn kind(&self) -> ContainerKind {
        match self {
            ContainerId::Root { kind, .. } | ContainerId::Child { kind, .. } => *kind,
        }
    }

    /// A root container id.
    pub fn root(name: &str, kind: ContainerKind) -> ContainerId {
        ContainerId::Root {
            name: name.to_owned(),
            kind,
        }
    }
}

/// A value as stored in a map, list or register: a plain value or a nested container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A plain value.
    Value(Value),
    /// A nested container.
    Container(ContainerId),
}

/// What an operation writes: a plain value, or a new nested container of a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewItem {
    /// A plain value.
    Value(Value),
    /// A new, empty container; its id is the id of the operation that writes it.
    Container(ContainerKind),
}

/// Names one change: its author and the author's sequence number (1, 2, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeId {
    /// The author.
    pub actor: ActorId,
    /// The author's sequence number, starting at 1.
    pub seq: u64,
}

/// A change: the operations of one or more local transactions, as a node of the history.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The author.
    pub actor: ActorId,
    /// The author's sequence number, starting at 1.
    pub seq: u64,
    /// Hashes of the changes this one depends on (the author's heads when it was made).
    pub deps: Vec<ChangeHash>,
    /// Counter of the first operation; operation `i` has counter `start_op + (ops before it)`.
    pub start_op: u64,
    /// When the change was made.
    pub time: Hlc,
    /// An optional commit message.
    pub message: Option<String>,
    /// The operations, in order.
    pub ops: Vec<Op>,
    /// The author's signature over the change's hash, once the change is signed. The hash
    /// does not cover it (it signs the hash).
    pub signature: Option<Signature>,
}

impl Change {
    /// This change's id.
    pub fn id(&self) -> ChangeId {
        ChangeId {
            actor: self.actor,
            seq: self.seq,
        }
    }

    /// Number of operation ids (counters) the change uses.
    pub fn op_count(&self) -> u64 {
        self.ops.iter().map(Op::width).fold(0, u64::saturating_add)
    }
}

/// One operation of a change.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// The container it applies to.
    pub container: ContainerId,
    /// What it does.
    pub action: OpAction,
}

impl Op {
    /// How many operation ids this operation uses (inserts and deletes: one per item).
    pub fn width(&self) -> u64 {
        match &self.action {
            OpAction::Insert { content, .. } => content.len() as u64,
            OpAction::Delete { len, .. } => *len,
            OpAction::Encrypted { width, .. } => *width,
            _ => 1,
        }
    }
}

/// Inserted sequence content.
#[derive(Clone, Debug, PartialEq)]
pub enum InsertContent {
    /// Characters of a Text.
    Text(String),
    /// Items of a List.
    Items(Vec<NewItem>),
}

impl InsertContent {
    /// Number of items (characters for text).
    pub fn len(&self) -> usize {
        match self {
            InsertContent::Text(s) => s.chars().count(),
            InsertContent::Items(items) => items.len(),
        }
    }

    /// Whether there is nothing to insert.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an operation does.
#[derive(Clone, Debug, PartialEq)]
pub enum OpAction {
    /// Inserts items into a List or Text between two existing items.
    Insert {
        /// The item the first new item was inserted after (`None`: the start).
        origin_left: Option<OpId>,
        /// The item the new items were inserted before (`None`: the end).
        origin_right: Option<OpId>,
        /// The new items; item `i` gets id `op + i`.
        content: InsertContent,
    },
    /// Deletes the items `start .. start+len` (ids of one actor) of a List or Text.
    Delete {
        /// Id of the first deleted item.
        start: OpId,
        /// Number of consecutive ids deleted.
        len: u64,
    },
    /// Sets a map key, replacing the values it observed.
    MapSet {
        /// The key.
        key: String,
        /// The new value or container.
        value: NewItem,
        /// The operations whose values this one replaces.
        pred: Vec<OpId>,
    },
    /// Deletes a map key's observed values.
    MapDelete {
        /// The key.
        key: String,
        /// The operations whose values are deleted.
        pred: Vec<OpId>,
    },
    /// Adds to a counter.
    CounterAdd {
        /// The amount (negative to decrement).
        delta: i64,
    },
    /// Adds a value to a set.
    SetAdd {
        /// The value.
        value: Value,
    },
    /// Removes the observed additions of a value from a set.
    SetRemove {
        /// The value.
        value: Value,
        /// The add operations observed.
        observed: Vec<OpId>,
    },
    /// Sets a register, replacing the values it observed.
    RegisterSet {
        /// The new value or container.
        value: NewItem,
        /// The operations whose values this one replaces.
        pred: Vec<OpId>,
    },
    /// All the operations of a change encrypted with the document key (the only operation of
    /// its change, filed under the root [`crate::auth::ENCRYPTED_ROOT`]): a nonce and the
    /// XChaCha20-Poly1305 ciphertext of the change's plaintext encoding.
    Encrypted {
        /// The total width of the encrypted operations (the op ids they use).
        width: u64,
        /// Nonce and ciphertext.
        payload: Vec<u8>,
    },
}

/// Where a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made on this replica.
    Local,
    /// Received from another replica.
    Remote,
}

/// A step on the way from a root to a nested container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathElem {
    /// A root container's name.
    Root(String),
    /// A map key.
    Key(String),
    /// A list index.
    Index(u64),
}

/// One visible change to one container.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// The container that changed.
    pub container: ContainerId,
    /// How to reach it from the document root (empty if it is no longer reachable).
    pub path: Vec<PathElem>,
    /// What changed.
    pub action: PatchAction,
}

/// What changed in a container.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchAction {
    /// Text inserted at a char index (`index_utf16`: the same position in UTF-16 units).
    TextInsert {
        /// Char index.
        index: u64,
        /// UTF-16 index.
        index_utf16: u64,
        /// The inserted text.
        text: String,
    },
    /// Text deleted.
    TextDelete {
        /// Char index.
        index: u64,
        /// Number of chars.
        len: u64,
        /// UTF-16 index.
        index_utf16: u64,
        /// Number of UTF-16 units.
        len_utf16: u64,
    },
    /// List items inserted.
    ListInsert {
        /// Index of the first item.
        index: u64,
        /// The items.
        items: Vec<Item>,
    },
    /// List items deleted.
    ListDelete {
        /// Index of the first item.
        index: u64,
        /// Number of items.
        len: u64,
    },
    /// A map key now has this (winning) value.
    MapPut {
        /// The key.
        key: String,
        /// The winning value.
        value: Item,
    },
    /// A map key no longer has a value.
    MapDelete {
        /// The key.
        key: String,
    },
    /// A counter changed.
    CounterAdd {
        /// The amount added.
        delta: i64,
    },
    /// A value became a member of a set.
    SetAdd {
        /// The value.
        value: Value,
    },
    /// A value stopped being a member of a set.
    SetRemove {
        /// The value.
        value: Value,
    },
    /// A register's (winning) value changed.
    RegisterSet {
        /// The new winning value (`None`: no value).
        value: Option<Item>,
    },
}

/// The patches of one local commit or one batch of applied remote changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Local or remote.
    pub origin: Origin,
    /// What changed, in order.
    pub patches: Vec<Patch>,
}

/// One change of the history, as listed by [`crate::Doc::history`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The change's hash.
    pub hash: ChangeHash,
    /// Its author.
    pub actor: ActorId,
    /// The author's sequence number.
    pub seq: u64,
    /// Hashes of the changes it depends on.
    pub deps: Vec<ChangeHash>,
    /// When it was made.
    pub time: Hlc,
    /// Its commit message.
    pub message: Option<String>,
}

/// The outcome of [`crate::Doc::apply_changes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// Changes applied now (including buffered ones that became applicable).
    pub applied: usize,
    /// Changes waiting for missing dependencies.
    pub pending: usize,
    /// Buffered changes (from earlier calls) dropped because they proved invalid once their
    /// dependencies arrived, or depend on such a change.
    pub rejected: usize,
}

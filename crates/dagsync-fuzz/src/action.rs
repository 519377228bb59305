//! The random actions the fuzzer performs.

use dagsync::{ContainerId, ContainerKind, Doc, Item, Value};

use crate::rng::Rng;
use crate::NESTED_KINDS;

/// Root names the fuzzer edits.
pub(crate) const TEXT: &str = "text";
pub(crate) const LIST: &str = "list";
pub(crate) const MAP: &str = "map";
const COUNTER: &str = "counter";
const SET: &str = "set";
const REGISTER: &str = "register";

/// One step of a fuzzing run. Positions are taken modulo the current length.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Insert text (may contain characters outside the BMP).
    TextInsert {
        /// Which replica.
        replica: usize,
        /// Position (modulo length + 1).
        pos: usize,
        /// What to insert.
        text: String,
    },
    /// Delete a range of text.
    TextDelete {
        /// Which replica.
        replica: usize,
        /// Position (modulo length).
        pos: usize,
        /// How many chars (clamped).
        len: usize,
    },
    /// Insert a number into the root list.
    ListInsert {
        /// Which replica.
        replica: usize,
        /// Position (modulo length + 1).
        pos: usize,
        /// The value.
        value: i64,
    },
    /// Delete from the root list.
    ListDelete {
        /// Which replica.
        replica: usize,
        /// Position (modulo length).
        pos: usize,
        /// How many items (clamped).
        len: usize,
    },
    /// Set a key of the root map to a number.
    MapSet {
        /// Which replica.
        replica: usize,
        /// Key index (a few keys only, to provoke conflicts).
        key: u8,
        /// The value.
        value: i64,
    },
    /// Set a key of the root map to a new nested container.
    MapSetContainer {
        /// Which replica.
        replica: usize,
        /// Key index.
        key: u8,
        /// Index into [`NESTED_KINDS`].
        kind: u8,
    },
    /// Delete a key of the root map.
    MapDelete {
        /// Which replica.
        replica: usize,
        /// Key index.
        key: u8,
    },
    /// Edit the container nested under a map key, if there is one.
    NestedEdit {
        /// Which replica.
        replica: usize,
        /// Key index.
        key: u8,
        /// Position or amount.
        pos: usize,
    },
    /// Add to the root counter.
    CounterAdd {
        /// Which replica.
        replica: usize,
        /// The amount.
        delta: i64,
    },
    /// Add a small number to the root set.
    SetAdd {
        /// Which replica.
        replica: usize,
        /// The value.
        value: u8,
    },
    /// Remove a small number from the root set.
    SetRemove {
        /// Which replica.
        replica: usize,
        /// The value.
        value: u8,
    },
    /// Set the root register.
    RegisterSet {
        /// Which replica.
        replica: usize,
        /// The value.
        value: i64,
    },
    /// Commit the replica's transaction (with a message every so often).
    Commit {
        /// Which replica.
        replica: usize,
        /// Whether to pass a commit message (which seals the change).
        message: bool,
    },
    /// Deliver `from`'s changes to `to`.
    Sync {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
    },
}

impl Action {
    /// A random action for `replicas` replicas.
    pub fn random(rng: &mut Rng, replicas: usize) -> Action {
        let replica = rng.below(replicas as u64) as usize;
        let pos = rng.below(1000) as usize;
        match rng.below(20) {
            0..=3 => {
                let text = match rng.below(4) {
                    0 => "😀".to_owned(),
                    1 => "ab".to_owned(),
                    2 => "é".to_owned(),
                    _ => ((b'a' + rng.below(26) as u8) as char).to_string(),
                };
                Action::TextInsert { replica, pos, text }
            }
            4 | 5 => Action::TextDelete {
                replica,
                pos,
                len: 1 + rng.below(3) as usize,
            },
            6 => Action::ListInsert {
                replica,
                pos,
                value: rng.below(100) as i64,
            },
            7 => Action::ListDelete {
                replica,
                pos,
                len: 1 + rng.below(2) as usize,
            },
            8 => Action::MapSet {
                replica,
                key: rng.below(3) as u8,
                value: rng.below(100) as i64,
            },
            9 => Action::MapSetContainer {
                replica,
                key: rng.below(3) as u8,
                kind: rng.below(NESTED_KINDS.len() as u64) as u8,
            },
            10 => Action::MapDelete {
                replica,
                key: rng.below(3) as u8,
            },
            11 | 12 => Action::NestedEdit {
                replica,
                key: rng.below(3) as u8,
                pos,
            },
            13 => Action::CounterAdd {
                replica,
                delta: rng.below(21) as i64 - 10,
            },
            14 => Action::SetAdd {
                replica,
                value: rng.below(5) as u8,
            },
            15 => Action::SetRemove {
                replica,
                value: rng.below(5) as u8,
            },
            16 => Action::RegisterSet {
                replica,
                value: rng.below(100) as i64,
            },
            17 | 18 => Action::Commit {
                replica,
                message: rng.below(4) == 0,
            },
            _ => Action::Sync {
                from: replica,
                to: rng.below(replicas as u64) as usize,
            },
        }
    }

    /// The replica an edit or commit acts on (the receiver for a sync).
    pub fn replica(&self) -> usize {
        match self {
            Action::TextInsert { replica, .. }
            | Action::TextDelete { replica, .. }
            | Action::ListInsert { replica, .. }
            | Action::ListDelete { replica, .. }
            | Action::MapSet { replica, .. }
            | Action::MapSetContainer { replica, .. }
            | Action::MapDelete { replica, .. }
            | Action::NestedEdit { replica, .. }
            | Action::CounterAdd { replica, .. }
            | Action::SetAdd { replica, .. }
            | Action::SetRemove { replica, .. }
            | Action::RegisterSet { replica, .. }
            | Action::Commit { replica, .. } => *replica,
            Action::Sync { to, .. } => *to,
        }
    }

    /// Performs an edit or commit on `doc`. Every call made here is valid, so an error is a
    /// bug and panics.
    pub fn edit(&self, doc: &mut Doc) {
        let ok = |r: Result<(), dagsync::DocError>| {
            if let Err(e) = r {
                panic!("a valid edit was refused: {e}");
            }
        };
        match self {
            Action::TextInsert { pos, text, .. } => {
                let mut t = doc.get_text(TEXT);
                let at = pos % (t.len() + 1);
                ok(t.insert(at, text));
            }
            Action::TextDelete { pos, len, .. } => {
                let mut t = doc.get_text(TEXT);
                if !t.is_empty() {
                    let at = pos % t.len();
                    let n = (*len).min(t.len() - at);
                    ok(t.delete(at, n));
                }
            }
            Action::ListInsert { pos, value, .. } => {
                let mut l = doc.get_list(LIST);
                let at = pos % (l.len() + 1);
                ok(l.insert(at, *value));
            }
            Action::ListDelete { pos, len, .. } => {
                let mut l = doc.get_list(LIST);
                if !l.is_empty() {
                    let at = pos % l.len();
                    let n = (*len).min(l.len() - at);
                    ok(l.delete(at, n));
                }
            }
            Action::MapSet { key, value, .. } => {
                ok(doc.get_map(MAP).set(&format!("k{key}"), *value));
            }
            Action::MapSetContainer { key, kind, .. } => {
                let kind = NESTED_KINDS[usize::from(*kind) % NESTED_KINDS.len()];
                ok(doc
                    .get_map(MAP)
                    .set_container(&format!("k{key}"), kind)
                    .map(drop));
            }
            Action::MapDelete { key, .. } => ok(doc.get_map(MAP).delete(&format!("k{key}"))),
            Action::NestedEdit { key, pos, .. } => {
                if let Some(Item::Container(id)) = doc.get_map(MAP).get(&format!("k{key}")) {
                    nested_edit(doc, &id, *pos, ok);
                }
            }
            Action::CounterAdd { delta, .. } => ok(doc.get_counter(COUNTER).increment(*delta)),
            Action::SetAdd { value, .. } => ok(doc.get_set(SET).add(i64::from(*value))),
            Action::SetRemove { value, .. } => {
                ok(doc.get_set(SET).remove(&Value::I64(i64::from(*value))))
            }
            Action::RegisterSet { value, .. } => ok(doc.get_register(REGISTER).set(*value)),
            Action::Commit { message, .. } => {
                doc.commit(message.then_some("checkpoint"));
            }
            Action::Sync { .. } => {}
        }
    }
}

fn nested_edit(
    doc: &mut Doc,
    id: &ContainerId,
    pos: usize,
    ok: impl Fn(Result<(), dagsync::DocError>),
) {
    match id.kind() {
        ContainerKind::Text => {
            if let Ok(mut t) = doc.text(id) {
                let at = pos % (t.len() + 1);
                ok(t.insert(at, "n"));
            }
        }
        ContainerKind::List => {
            if let Ok(mut l) = doc.list(id) {
                if pos % 3 == 0 && !l.is_empty() {
                    let at = pos % l.len();
                    ok(l.delete(at, 1));
                } else {
                    let at = pos % (l.len() + 1);
                    ok(l.insert(at, pos as i64));
                }
            }
        }
        ContainerKind::Counter => {
            if let Ok(mut c) = doc.counter(id) {
                ok(c.increment(pos as i64 % 7 - 3));
            }
        }
        _ => {}
    }
}

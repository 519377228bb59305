//! Undo and redo of the local actor's own edits. Every local edit records its inverse; a
//! commit closes a transaction, and transactions within `capture_ms` of each other form one
//! undo step. Undoing issues the inverses as new local operations (the history is never
//! rewritten) and only ever touches what the local actor wrote: remote edits made since stay.
//! Redo undoes an undo the same way.

use std::collections::HashSet;

use crate::crdt::seq::Lane;
use crate::error::DocError;
use crate::id::Id;
use crate::value::Value;

use super::local::Place;
use super::state::{winner, Parent, Slot, State};
use super::types::{ContainerId, ContainerKind, NewItem};
use super::Doc;

/// How the undo manager groups and scopes edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoConfig {
    /// Transactions committed within this many milliseconds of the previous one join its undo
    /// step (the document's time source decides; see [`Doc::set_time_source`]).
    pub capture_ms: u64,
    /// Only edits of these containers and the containers nested in them are undone; `None`:
    /// every container.
    pub scope: Option<Vec<ContainerId>>,
}

impl Default for UndoConfig {
    fn default() -> Self {
        UndoConfig {
            capture_ms: 500,
            scope: None,
        }
    }
}

/// Where an undo or redo step changed the document last: to put the caret back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoStep {
    /// The container.
    pub container: ContainerId,
    /// For a Text or List, the index after the restored or at the removed content.
    pub index: Option<u64>,
}

/// A container's contents, to recreate a container an edit replaced or deleted.
#[derive(Clone, Debug, PartialEq)]
enum Snapshot {
    Value(Value),
    Map(Vec<(String, Snapshot)>),
    List(Vec<Snapshot>),
    Text(String),
    Counter(i64),
    Set(Vec<Value>),
    Register(Option<Box<Snapshot>>),
}

/// The inverse of one local edit.
#[derive(Clone, Debug)]
enum Inverse {
    /// Items inserted: delete those still visible.
    Inserted { c: u32, id: Id, len: u64 },
    /// Text deleted (the items `spans`, in document order): insert it again where it was.
    TextDeleted {
        c: u32,
        spans: Vec<(Id, u64)>,
        text: String,
    },
    /// List items deleted (the items `spans`): insert them again where they were.
    ListDeleted {
        c: u32,
        spans: Vec<(Id, u64)>,
        items: Vec<Snapshot>,
    },
    /// A map key written (`written`: our write, `None` for a delete), with the value before
    /// and the write that held it.
    MapKey {
        c: u32,
        key: String,
        written: Option<Id>,
        previous: Option<(Snapshot, Id)>,
    },
    /// A register written, with the value before and the write that held it.
    Register {
        c: u32,
        written: Id,
        previous: Option<(Snapshot, Id)>,
    },
    /// A counter incremented by `delta`.
    Counter { c: u32, delta: i64 },
    /// A set value added by operation `op`.
    SetAdded { c: u32, value: Value, op: Id },
    /// A set value removed, with the adds it removed.
    SetRemoved {
        c: u32,
        value: Value,
        removed: Vec<Id>,
    },
}

impl Inverse {
    fn container_mut(&mut self) -> &mut u32 {
        match self {
            Inverse::Inserted { c, .. }
            | Inverse::TextDeleted { c, .. }
            | Inverse::ListDeleted { c, .. }
            | Inverse::MapKey { c, .. }
            | Inverse::Register { c, .. }
            | Inverse::Counter { c, .. }
            | Inverse::SetAdded { c, .. }
            | Inverse::SetRemoved { c, .. } => c,
        }
    }
}

/// One undo (or redo) step: the inverses of its edits, in the order they were made.
#[derive(Clone, Debug)]
struct Group {
    inverses: Vec<Inverse>,
    time: u64,
}

/// Which stack the edits being recorded go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Ordinary edits: the undo stack (and the redo stack empties).
    Undo,
    /// The edits of an undo: the redo stack.
    Redo,
    /// The edits of a redo: the undo stack, keeping the redo stack.
    UndoKeepRedo,
}

/// The undo manager's state, kept by the document.
#[derive(Clone, Debug)]
pub(crate) struct UndoState {
    config: UndoConfig,
    undo: Vec<Group>,
    redo: Vec<Group>,
    /// Inverses of the open transaction.
    current: Vec<Inverse>,
    target: Target,
    /// Recording is off while an undone container's contents are recreated.
    paused: bool,
    /// The next transaction starts a new step whatever the time.
    split: bool,
    /// Items and writes that undo or redo recreated, to their stand-ins: `(first old id,
    /// count, first new id)`. An older step naming the old ids acts on the new ones.
    redirects: Vec<(Id, u64, Id)>,
}

impl UndoState {
    /// Forgets every step (the document was rebuilt; see `doc/lanes.rs`).
    pub(super) fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
        self.current.clear();
        self.redirects.clear();
        self.split = true;
    }

    /// Renumbers the containers the steps refer to (`map`: old index to new, `None` for a
    /// container that no longer exists: its steps go).
    pub(super) fn remap_containers(&mut self, mut map: impl FnMut(u32) -> Option<u32>) {
        let mut remap = |inverses: &mut Vec<Inverse>| {
            inverses.retain_mut(|inv| match map(*inv.container_mut()) {
                Some(c) => {
                    *inv.container_mut() = c;
                    true
                }
                None => false,
            });
        };
        for group in self.undo.iter_mut().chain(self.redo.iter_mut()) {
            remap(&mut group.inverses);
        }
        remap(&mut self.current);
        self.undo.retain(|g| !g.inverses.is_empty());
        self.redo.retain(|g| !g.inverses.is_empty());
    }
}

impl Doc {
    /// Starts recording the local actor's edits for [`Doc::undo`] and [`Doc::redo`].
    pub fn enable_undo(&mut self, config: UndoConfig) {
        self.commit(None);
        self.undo = Some(UndoState {
            config,
            undo: Vec::new(),
            redo: Vec::new(),
            current: Vec::new(),
            target: Target::Undo,
            paused: false,
            split: true,
            redirects: Vec::new(),
        });
    }

    /// Whether there is a step to undo / to redo.
    pub fn can_undo(&self) -> bool {
        self.undo.as_ref().is_some_and(|u| !u.undo.is_empty())
    }

    /// See [`Doc::can_undo`].
    pub fn can_redo(&self) -> bool {
        self.undo.as_ref().is_some_and(|u| !u.redo.is_empty())
    }

    /// Makes the next transaction start a new undo step, whatever the time since the last.
    pub fn stop_capturing(&mut self) {
        if let Some(u) = &mut self.undo {
            u.split = true;
        }
    }

    /// Undoes the latest undo step of the local actor: issues the inverse edits as a new
    /// committed transaction. Returns where it changed the document last (`None`: nothing to
    /// undo, or everything it would undo was changed by others since).
    pub fn undo(&mut self) -> Result<Option<UndoStep>, DocError> {
        self.undo_or_redo(Target::Redo)
    }

    /// Redoes the latest undone step.
    pub fn redo(&mut self) -> Result<Option<UndoStep>, DocError> {
        self.undo_or_redo(Target::UndoKeepRedo)
    }

    fn undo_or_redo(&mut self, target: Target) -> Result<Option<UndoStep>, DocError> {
        self.check_writable_doc()?;
        self.commit(None);
        let Some(u) = &mut self.undo else {
            return Ok(None);
        };
        let stack = if target == Target::Redo {
            &mut u.undo
        } else {
            &mut u.redo
        };
        let Some(group) = stack.pop() else {
            return Ok(None);
        };
        u.target = target;
        u.split = true;
        let mut step = None;
        let mut result = Ok(());
        for inverse in group.inverses.iter().rev() {
            match self.apply_inverse(inverse) {
                Ok(Some(s)) => step = Some(s),
                Ok(None) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.commit(None);
        if let Some(u) = &mut self.undo {
            u.target = Target::Undo;
            u.split = true;
        }
        result.map(|()| step)
    }

    /// Records the inverse of a local edit of container `c` (if undo is on and `c` in scope).
    fn record_inverse(&mut self, mut inverse: Inverse) {
        let c = *inverse.container_mut();
        let in_scope = match &self.undo {
            Some(u) if !u.paused => match &u.config.scope {
                None => true,
                Some(scope) => self.in_scope(c, scope),
            },
            _ => false,
        };
        if let (true, Some(u)) = (in_scope, &mut self.undo) {
            u.current.push(inverse);
        }
    }

    /// Whether container `c` is one of `scope` or nested in one.
    fn in_scope(&self, mut c: u32, scope: &[ContainerId]) -> bool {
        let wanted: HashSet<u32> = scope
            .iter()
            .filter_map(|id| self.resolve_existing(id))
            .collect();
        loop {
            if wanted.contains(&c) {
                return true;
            }
            match &self.containers[c as usize].parent {
                Parent::Root(_) => return false,
                Parent::Child { container, .. } => c = *container,
            }
        }
    }

    /// The index of an existing container, without creating a root.
    pub(super) fn resolve_existing(&self, id: &ContainerId) -> Option<u32> {
        match id {
            ContainerId::Root { name, kind } => self.root_index(name, *kind),
            ContainerId::Child { op, .. } => {
                self.internal_id(*op).and_then(|i| self.child_index(i))
            }
        }
    }

    /// Closes the open transaction's inverses into an undo or redo step (at commit).
    pub(super) fn close_undo_transaction(&mut self) {
        if self.undo.as_ref().is_none_or(|u| u.current.is_empty()) {
            return;
        }
        let now = (self.time_source)();
        let Some(u) = &mut self.undo else {
            return;
        };
        let inverses = std::mem::take(&mut u.current);
        let stack = match u.target {
            Target::Redo => &mut u.redo,
            Target::Undo | Target::UndoKeepRedo => &mut u.undo,
        };
        let joins = !u.split
            && u.target == Target::Undo
            && stack
                .last()
                .is_some_and(|g| now.saturating_sub(g.time) <= u.config.capture_ms);
        match stack.last_mut() {
            Some(group) if joins => {
                group.inverses.extend(inverses);
                group.time = now;
            }
            _ => stack.push(Group {
                inverses,
                time: now,
            }),
        }
        if u.target == Target::Undo {
            u.redo.clear();
            u.split = false;
        }
    }

    // ---- recording hooks, called by the local edits -------------------------------------

    /// Items `id .. id+len` were inserted into sequence `c`.
    pub(super) fn undo_inserted(&mut self, c: u32, id: Id, len: u64) {
        if self.undo.is_some() {
            self.record_inverse(Inverse::Inserted { c, id, len });
        }
    }

    /// The items `spans` of sequence `c` were just deleted (in document order).
    pub(super) fn undo_deleted(&mut self, c: u32, spans: &[(Id, u64)]) {
        if self.undo.is_none() || spans.is_empty() {
            return;
        }
        let inverse = match &self.containers[c as usize].state {
            State::Text(s) => {
                let text = spans
                    .iter()
                    .flat_map(|&(id, n)| (0..n).map(move |k| id.plus(k)))
                    .filter_map(|item| s.seq.content_of(item))
                    .filter_map(|i| s.chars.get(i as usize))
                    .collect();
                Inverse::TextDeleted {
                    c,
                    spans: spans.to_vec(),
                    text,
                }
            }
            State::List(s) => {
                let slots: Vec<Slot> = spans
                    .iter()
                    .flat_map(|&(id, n)| (0..n).map(move |k| id.plus(k)))
                    .filter_map(|item| s.seq.content_of(item))
                    .filter_map(|i| s.items.get(i as usize).cloned())
                    .collect();
                let items = slots.iter().map(|slot| self.snapshot(slot)).collect();
                Inverse::ListDeleted {
                    c,
                    spans: spans.to_vec(),
                    items,
                }
            }
            _ => return,
        };
        self.record_inverse(inverse);
    }

    /// A map, counter, set or register operation with id `id` is about to apply.
    pub(super) fn undo_applying(&mut self, op: &super::log::StoredOp, id: Id) {
        use super::log::StoredAction;
        if self.undo.is_none() {
            return;
        }
        let c = op.container;
        let inverse = match (&op.action, &self.containers[c as usize].state) {
            (StoredAction::MapSet { key, .. }, State::Map(s)) => Inverse::MapKey {
                c,
                key: key.clone(),
                written: Some(id),
                previous: self.winner_snapshot(s.entries.get(key).map(Vec::as_slice)),
            },
            (StoredAction::MapDelete { key, .. }, State::Map(s)) => Inverse::MapKey {
                c,
                key: key.clone(),
                written: None,
                previous: self.winner_snapshot(s.entries.get(key).map(Vec::as_slice)),
            },
            (StoredAction::RegisterSet { .. }, State::Register(s)) => Inverse::Register {
                c,
                written: id,
                previous: self.winner_snapshot(Some(&s.entries)),
            },
            (StoredAction::SetRemove { value, observed }, _) => Inverse::SetRemoved {
                c,
                value: value.clone(),
                removed: observed.clone(),
            },
            (StoredAction::CounterAdd { delta }, _) => Inverse::Counter { c, delta: *delta },
            (StoredAction::SetAdd { value }, _) => Inverse::SetAdded {
                c,
                value: value.clone(),
                op: id,
            },
            _ => return,
        };
        self.record_inverse(inverse);
    }

    // ---- snapshots ------------------------------------------------------------------------

    fn winner_snapshot(&self, entries: Option<&[super::state::Entry]>) -> Option<(Snapshot, Id)> {
        let entry = winner(entries?, &self.actors)?;
        Some((self.snapshot(&entry.slot), entry.id))
    }

    fn snapshot(&self, slot: &Slot) -> Snapshot {
        let c = match slot {
            Slot::Value(v) => return Snapshot::Value(v.clone()),
            Slot::Container(c) => *c,
        };
        match &self.containers[c as usize].state {
            State::Map(s) => Snapshot::Map(
                s.entries
                    .iter()
                    .filter_map(|(k, e)| {
                        winner(e, &self.actors).map(|w| (k.clone(), self.snapshot(&w.slot)))
                    })
                    .collect(),
            ),
            State::List(_) => Snapshot::List(
                self.list_slots(c)
                    .into_iter()
                    .map(|s| self.snapshot(s))
                    .collect(),
            ),
            State::Text(_) => {
                let len = self.seq_len(c, Lane::Items);
                Snapshot::Text(self.text_range(c, 0, len))
            }
            State::Counter(s) => Snapshot::Counter(s.value()),
            State::Set(s) => Snapshot::Set(s.members.keys().cloned().collect()),
            State::Register(s) => Snapshot::Register(
                winner(&s.entries, &self.actors).map(|w| Box::new(self.snapshot(&w.slot))),
            ),
        }
    }

    /// What to write to recreate `snapshot`: a value, or a new container to fill.
    fn new_item(snapshot: &Snapshot) -> NewItem {
        let kind = match snapshot {
            Snapshot::Value(v) => return NewItem::Value(v.clone()),
            Snapshot::Map(_) => ContainerKind::Map,
            Snapshot::List(_) => ContainerKind::List,
            Snapshot::Text(_) => ContainerKind::Text,
            Snapshot::Counter(_) => ContainerKind::Counter,
            Snapshot::Set(_) => ContainerKind::Set,
            Snapshot::Register(_) => ContainerKind::Register,
        };
        NewItem::Container(kind)
    }

    /// Fills the new container `c` made for `snapshot` (recording nothing: undoing its
    /// creation removes it whole).
    fn fill(&mut self, c: u32, snapshot: &Snapshot) -> Result<(), DocError> {
        let paused = self.undo.as_ref().is_some_and(|u| u.paused);
        if let Some(u) = &mut self.undo {
            u.paused = true;
        }
        let result = self.fill_inner(c, snapshot);
        if let Some(u) = &mut self.undo {
            u.paused = paused;
        }
        result
    }

    fn fill_inner(&mut self, c: u32, snapshot: &Snapshot) -> Result<(), DocError> {
        match snapshot {
            Snapshot::Value(_) => Ok(()),
            Snapshot::Map(entries) => {
                for (key, value) in entries {
                    self.map_set(c, key, Self::new_item(value))?;
                    self.fill_child_of_map(c, key, value)?;
                }
                Ok(())
            }
            Snapshot::List(items) => {
                let new: Vec<NewItem> = items.iter().map(Self::new_item).collect();
                self.list_insert(c, 0, new)?;
                self.fill_list_children(c, 0, items)
            }
            Snapshot::Text(text) => self.text_insert(c, 0, text),
            Snapshot::Counter(n) => self.counter_add(c, *n),
            Snapshot::Set(values) => values.iter().try_for_each(|v| self.set_add(c, v.clone())),
            Snapshot::Register(None) => Ok(()),
            Snapshot::Register(Some(value)) => {
                self.register_set(c, Self::new_item(value))?;
                if let Some(child) = self.register_child(c) {
                    self.fill(child, value)?;
                }
                Ok(())
            }
        }
    }

    fn fill_child_of_map(&mut self, c: u32, key: &str, value: &Snapshot) -> Result<(), DocError> {
        if matches!(value, Snapshot::Value(_)) {
            return Ok(());
        }
        let child = match &self.containers[c as usize].state {
            State::Map(s) => s
                .entries
                .get(key)
                .and_then(|e| winner(e, &self.actors))
                .and_then(|w| match w.slot {
                    Slot::Container(child) => Some(child),
                    Slot::Value(_) => None,
                }),
            _ => None,
        };
        match child {
            Some(child) => self.fill(child, value),
            None => Ok(()),
        }
    }

    fn fill_list_children(
        &mut self,
        c: u32,
        index: u64,
        items: &[Snapshot],
    ) -> Result<(), DocError> {
        let children: Vec<Option<u32>> = self
            .list_slots(c)
            .into_iter()
            .skip(index as usize)
            .take(items.len())
            .map(|s| match s {
                Slot::Container(child) => Some(*child),
                Slot::Value(_) => None,
            })
            .collect();
        for (child, item) in children.into_iter().zip(items) {
            if let Some(child) = child {
                self.fill(child, item)?;
            }
        }
        Ok(())
    }

    fn register_child(&self, c: u32) -> Option<u32> {
        match &self.containers[c as usize].state {
            State::Register(s) => match winner(&s.entries, &self.actors)?.slot {
                Slot::Container(child) => Some(child),
                Slot::Value(_) => None,
            },
            _ => None,
        }
    }

    /// Chars `index .. index+len` of text `c`.
    fn text_range(&self, c: u32, index: u64, len: u64) -> String {
        self.text_string(c)
            .chars()
            .skip(index as usize)
            .take(len as usize)
            .collect()
    }

    // ---- applying inverses ----------------------------------------------------------------

    /// The id standing in for `id` now (itself unless undo or redo recreated it).
    fn current_id(&self, mut id: Id) -> Id {
        let Some(u) = &self.undo else {
            return id;
        };
        // Each recreation points at a newer id, so following them ends.
        for _ in 0..=u.redirects.len() {
            let hop = u.redirects.iter().rev().find(|&&(old, n, _)| {
                old.actor == id.actor && id.counter >= old.counter && id.counter - old.counter < n
            });
            match hop {
                Some(&(old, _, new)) => id = new.plus(id.counter - old.counter),
                None => break,
            }
        }
        id
    }

    /// Records that the `n` ids from `old` were recreated as the ids from `new`.
    fn redirect(&mut self, old: Id, n: u64, new: Id) {
        if let Some(u) = &mut self.undo {
            u.redirects.push((old, n, new));
        }
    }

    fn apply_inverse(&mut self, inverse: &Inverse) -> Result<Option<UndoStep>, DocError> {
        let here = |doc: &Doc, c: u32, index: Option<u64>| UndoStep {
            container: doc.container_id(c),
            index,
        };
        match inverse {
            Inverse::Inserted { c, id, len } => {
                // Delete the inserted items still visible, from the last segment back.
                let segments = self.visible_segments(*c, *id, *len);
                let mut at = None;
                for &(index, n) in segments.iter().rev() {
                    match &self.containers[*c as usize].state {
                        State::Text(_) => self.text_delete(*c, index, n)?,
                        _ => self.list_delete(*c, index, n)?,
                    }
                    at = Some(index);
                }
                Ok(at.map(|i| here(self, *c, Some(i))))
            }
            Inverse::TextDeleted { c, spans, text } => {
                let Some(&(first, _)) = spans.first() else {
                    return Ok(None);
                };
                let before = self.current_id(first);
                let new = self.next_id();
                let index = self.text_insert_placed(*c, Place::Before(before), text)?;
                self.redirect_spans(spans, new);
                Ok(Some(here(
                    self,
                    *c,
                    Some(index + text.chars().count() as u64),
                )))
            }
            Inverse::ListDeleted { c, spans, items } => {
                let Some(&(first, _)) = spans.first() else {
                    return Ok(None);
                };
                let before = self.current_id(first);
                let new = self.next_id();
                let fresh: Vec<NewItem> = items.iter().map(Self::new_item).collect();
                let (_, index) = self.list_insert_placed(*c, Place::Before(before), fresh)?;
                self.redirect_spans(spans, new);
                self.fill_list_children(*c, index, items)?;
                Ok(Some(here(self, *c, Some(index + items.len() as u64))))
            }
            Inverse::MapKey {
                c,
                key,
                written,
                previous,
            } => {
                let State::Map(s) = &self.containers[*c as usize].state else {
                    return Ok(None);
                };
                let current: Vec<Id> = s
                    .entries
                    .get(key)
                    .map_or(Vec::new(), |e| e.iter().map(|e| e.id).collect());
                // Only while what we did is still there: later writes by anyone stay.
                let ours = match written {
                    Some(w) => current.contains(&self.current_id(*w)),
                    None => current.is_empty(),
                };
                if !ours {
                    return Ok(None);
                }
                match previous {
                    Some((value, was)) => {
                        let new = self.next_id();
                        self.map_set(*c, key, Self::new_item(value))?;
                        self.redirect(*was, 1, new);
                        self.fill_child_of_map(*c, key, value)?;
                    }
                    None => self.map_delete(*c, key)?,
                }
                Ok(Some(here(self, *c, None)))
            }
            Inverse::Register {
                c,
                written,
                previous,
            } => {
                let State::Register(s) = &self.containers[*c as usize].state else {
                    return Ok(None);
                };
                let written = self.current_id(*written);
                if !s.entries.iter().any(|e| e.id == written) {
                    return Ok(None);
                }
                // A register has no "unset": the write stays if nothing came before.
                let Some((value, was)) = previous else {
                    return Ok(None);
                };
                let new = self.next_id();
                self.register_set(*c, Self::new_item(value))?;
                self.redirect(*was, 1, new);
                if let Some(child) = self.register_child(*c) {
                    self.fill(child, value)?;
                }
                Ok(Some(here(self, *c, None)))
            }
            Inverse::Counter { c, delta } => {
                self.counter_add(*c, delta.wrapping_neg())?;
                Ok(Some(here(self, *c, None)))
            }
            Inverse::SetAdded { c, value, op } => {
                let op = self.current_id(*op);
                let State::Set(s) = &self.containers[*c as usize].state else {
                    return Ok(None);
                };
                // Remove only our add: another's concurrent add of the same value stays.
                if !s.members.get(value).is_some_and(|ops| ops.contains(&op)) {
                    return Ok(None);
                }
                self.set_remove_observed(*c, value, vec![op])?;
                Ok(Some(here(self, *c, None)))
            }
            Inverse::SetRemoved { c, value, removed } => {
                let new = self.next_id();
                self.set_add(*c, value.clone())?;
                for &old in removed {
                    self.redirect(old, 1, new);
                }
                Ok(Some(here(self, *c, None)))
            }
        }
    }

    /// Records that the deleted items `spans` came back, in order, as the ids from `new`.
    fn redirect_spans(&mut self, spans: &[(Id, u64)], new: Id) {
        let mut offset = 0;
        for &(old, n) in spans {
            self.redirect(old, n, new.plus(offset));
            offset += n;
        }
    }

    /// The still-visible parts of items `id .. id+len` of sequence `c`, as `(index, count)`
    /// in document order.
    fn visible_segments(&self, c: u32, id: Id, len: u64) -> Vec<(u64, u64)> {
        let seq = match &self.containers[c as usize].state {
            State::Text(s) => &s.seq,
            State::List(s) => &s.seq,
            _ => return Vec::new(),
        };
        let mut out: Vec<(u64, u64)> = Vec::new();
        for k in 0..len {
            let item = self.current_id(id.plus(k));
            if !seq.is_visible(item) {
                continue;
            }
            let Some(index) = seq.index_of_id(item) else {
                continue;
            };
            match out.last_mut() {
                Some((start, n)) if *start + *n == index => *n += 1,
                _ => out.push((index, 1)),
            }
        }
        out.sort_unstable();
        out
    }
}

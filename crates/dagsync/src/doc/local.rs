//! Local edits: each validates its arguments, applies itself to the container state, records
//! an operation in the current transaction, and (when someone listens) a patch.

use crate::crdt::seq::{Lane, Uniform, Weights};
use crate::error::DocError;
use crate::id::Id;
use crate::value::Value;

use super::log::{StoredAction, StoredNew, StoredOp};
use super::state::{Entry, Parent, Slot, State};
use super::types::{ContainerKind, Item, NewItem, PatchAction};
use super::Doc;

fn out_of_range(index: u64, len: u64, size: u64) -> DocError {
    DocError::OutOfRange { index, len, size }
}

impl Doc {
    fn kind_error(&self, c: u32, expected: ContainerKind) -> DocError {
        DocError::WrongKind {
            expected,
            found: self.containers[c as usize].state.kind(),
        }
    }

    pub(crate) fn push_patch(&mut self, c: u32, action: PatchAction) {
        let path = self.path_of(c);
        let container = self.container_id(c);
        self.patches.push(super::Patch {
            container,
            path,
            action,
        });
    }

    /// Creates the child container written by operation `op` of container `parent`.
    pub(crate) fn create_child(
        &mut self,
        parent: u32,
        op: Id,
        key: Option<String>,
        kind: ContainerKind,
    ) -> u32 {
        self.add_container(
            Parent::Child {
                container: parent,
                op,
                key,
            },
            kind,
        )
    }

    /// Turns what an operation writes into a stored slot (creating a child container).
    pub(crate) fn slot_for(
        &mut self,
        parent: u32,
        op: Id,
        key: Option<String>,
        new: &StoredNew,
    ) -> Slot {
        match new {
            StoredNew::Value(v) => Slot::Value(v.clone()),
            StoredNew::Container(kind) => {
                Slot::Container(self.create_child(parent, op, key, *kind))
            }
        }
    }

    /// Slots for list items inserted by the operation with id `id` (item `k` has id `id + k`).
    pub(crate) fn item_slots(&mut self, c: u32, id: Id, items: Vec<NewItem>) -> Vec<Slot> {
        items
            .into_iter()
            .enumerate()
            .map(|(k, item)| match item {
                NewItem::Value(v) => Slot::Value(v),
                NewItem::Container(kind) => {
                    Slot::Container(self.create_child(c, id.plus(k as u64), None, kind))
                }
            })
            .collect()
    }

    /// Whether `index .. index+len` lies in sequence container `c` of kind `kind`.
    fn check_range(
        &self,
        c: u32,
        kind: ContainerKind,
        index: u64,
        len: u64,
    ) -> Result<(), DocError> {
        let size = match (&self.containers[c as usize].state, kind) {
            (State::Text(s), ContainerKind::Text) => s.seq.len(Lane::Items),
            (State::List(s), ContainerKind::List) => s.seq.len(Lane::Items),
            _ => return Err(self.kind_error(c, kind)),
        };
        if index.checked_add(len).is_none_or(|end| end > size) {
            return Err(out_of_range(index, len, size));
        }
        Ok(())
    }

    /// Removes `value` from set `c`, observing only the add operations `observed` (undoing one
    /// add keeps other adds of the same value).
    pub(crate) fn set_remove_observed(
        &mut self,
        c: u32,
        value: &Value,
        observed: Vec<Id>,
    ) -> Result<(), DocError> {
        self.check_writable(c)?;
        if observed.is_empty() {
            return Ok(());
        }
        let id = self.next_id();
        let op = StoredOp {
            container: c,
            action: StoredAction::SetRemove {
                value: value.clone(),
                observed,
            },
        };
        self.apply_local(op, id);
        Ok(())
    }

    /// Applies and records a local operation whose effect does not depend on positions.
    fn apply_local(&mut self, op: StoredOp, id: Id) {
        self.undo_applying(&op, id);
        self.apply_op(&op, id);
        self.record(op, id);
    }

    pub(crate) fn item_of(&self, slot: &Slot) -> Item {
        match slot {
            Slot::Value(v) => Item::Value(v.clone()),
            Slot::Container(c) => Item::Container(self.container_id(*c)),
        }
    }

    pub(crate) fn text_insert(&mut self, c: u32, index: u64, text: &str) -> Result<(), DocError> {
        self.text_insert_placed(c, Place::Index(index), text)
            .map(|_| ())
    }

    /// Inserts `text` into text `c` at `place`; returns the char index it went to.
    pub(crate) fn text_insert_placed(
        &mut self,
        c: u32,
        place: Place,
        text: &str,
    ) -> Result<u64, DocError> {
        self.check_writable(c)?;
        let id = self.next_id();
        let recording = self.recording();
        let State::Text(state) = &mut self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Text));
        };
        let size = state.seq.len(Lane::Items);
        if let Place::Index(index) = place {
            if index > size {
                return Err(out_of_range(index, 0, size));
            }
        }
        if text.is_empty() {
            return Ok(0);
        }
        let (content, len) = state.chars.push_str(text);
        let (origin_left, origin_right, index) = match place {
            Place::Index(index) => {
                let (l, r) = state
                    .seq
                    .insert_local(index, id, len, content, &state.chars);
                (l, r, index)
            }
            Place::Before(item) => state
                .seq
                .insert_local_before(item, id, len, content, &state.chars)
                .ok_or(DocError::UnknownPosition)?,
        };
        let op = StoredOp {
            container: c,
            action: StoredAction::Insert {
                origin_left,
                origin_right,
                content,
                len,
            },
        };
        self.record(op, id);
        self.undo_inserted(c, id, u64::from(len));
        if recording {
            let State::Text(state) = &self.containers[c as usize].state else {
                return Err(DocError::UnknownContainer);
            };
            let index_utf16 = state.seq.items_to_utf16(index, &state.chars);
            let action = PatchAction::TextInsert {
                index,
                index_utf16,
                text: text.to_owned(),
            };
            self.push_patch(c, action);
        }
        Ok(index)
    }

    pub(crate) fn text_delete(&mut self, c: u32, index: u64, len: u64) -> Result<(), DocError> {
        self.check_writable(c)?;
        self.check_range(c, ContainerKind::Text, index, len)?;
        let recording = self.recording();
        let State::Text(state) = &mut self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Text));
        };
        let size = state.seq.len(Lane::Items);
        if index.checked_add(len).is_none_or(|end| end > size) {
            return Err(out_of_range(index, len, size));
        }
        if len == 0 {
            return Ok(());
        }
        let (index_utf16, len_utf16) = if recording {
            let start = state.seq.items_to_utf16(index, &state.chars);
            (
                start,
                state.seq.items_to_utf16(index + len, &state.chars) - start,
            )
        } else {
            (0, 0)
        };
        let mut spans = std::mem::take(&mut self.scratch_spans);
        state.seq.delete_local(index, len, &state.chars, &mut spans);
        self.record_deletes(c, &spans);
        self.undo_deleted(c, &spans);
        spans.clear();
        self.scratch_spans = spans;
        if recording {
            let action = PatchAction::TextDelete {
                index,
                len,
                index_utf16,
                len_utf16,
            };
            self.push_patch(c, action);
        }
        Ok(())
    }

    fn record_deletes(&mut self, c: u32, spans: &[(Id, u64)]) {
        for &(start, len) in spans {
            let id = self.next_id();
            let op = StoredOp {
                container: c,
                action: StoredAction::Delete { start, len },
            };
            self.record(op, id);
        }
    }

    pub(crate) fn list_insert(
        &mut self,
        c: u32,
        index: u64,
        items: Vec<NewItem>,
    ) -> Result<Vec<Item>, DocError> {
        self.list_insert_placed(c, Place::Index(index), items)
            .map(|(inserted, _)| inserted)
    }

    /// Inserts `items` into list `c` at `place`; returns them and the index they went to.
    pub(crate) fn list_insert_placed(
        &mut self,
        c: u32,
        place: Place,
        items: Vec<NewItem>,
    ) -> Result<(Vec<Item>, u64), DocError> {
        self.check_writable(c)?;
        let id = self.next_id();
        let State::List(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::List));
        };
        let size = state.seq.len(Lane::Items);
        match place {
            Place::Index(index) if index > size => return Err(out_of_range(index, 0, size)),
            Place::Before(item) if state.seq.index_of_id(item).is_none() => {
                return Err(DocError::UnknownPosition)
            }
            _ => {}
        }
        let len = items.len() as u32;
        if len == 0 {
            return Ok((Vec::new(), 0));
        }
        let slots = self.item_slots(c, id, items);
        let inserted: Vec<Item> = slots.iter().map(|s| self.item_of(s)).collect();
        let State::List(state) = &mut self.containers[c as usize].state else {
            return Err(DocError::UnknownContainer);
        };
        let content = state.items.len() as u32;
        state.items.extend(slots);
        let (origin_left, origin_right, index) = match place {
            Place::Index(index) => {
                let (l, r) = state.seq.insert_local(index, id, len, content, &Uniform);
                (l, r, index)
            }
            Place::Before(item) => state
                .seq
                .insert_local_before(item, id, len, content, &Uniform)
                .ok_or(DocError::UnknownPosition)?,
        };
        let op = StoredOp {
            container: c,
            action: StoredAction::Insert {
                origin_left,
                origin_right,
                content,
                len,
            },
        };
        self.record(op, id);
        self.undo_inserted(c, id, u64::from(len));
        if self.recording() {
            let action = PatchAction::ListInsert {
                index,
                items: inserted.clone(),
            };
            self.push_patch(c, action);
        }
        Ok((inserted, index))
    }

    pub(crate) fn list_delete(&mut self, c: u32, index: u64, len: u64) -> Result<(), DocError> {
        self.check_writable(c)?;
        self.check_range(c, ContainerKind::List, index, len)?;
        let State::List(state) = &mut self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::List));
        };
        let size = state.seq.len(Lane::Items);
        if index.checked_add(len).is_none_or(|end| end > size) {
            return Err(out_of_range(index, len, size));
        }
        if len == 0 {
            return Ok(());
        }
        let mut spans = std::mem::take(&mut self.scratch_spans);
        state.seq.delete_local(index, len, &Uniform, &mut spans);
        self.record_deletes(c, &spans);
        self.undo_deleted(c, &spans);
        spans.clear();
        self.scratch_spans = spans;
        if self.recording() {
            self.push_patch(c, PatchAction::ListDelete { index, len });
        }
        Ok(())
    }

    /// Ids of the current writes of a map key or register (what a new write replaces).
    fn observed(entries: Option<&Vec<Entry>>) -> Vec<Id> {
        entries.map_or_else(Vec::new, |e| e.iter().map(|e| e.id).collect())
    }

    pub(crate) fn map_set(&mut self, c: u32, key: &str, value: NewItem) -> Result<Item, DocError> {
        self.check_writable(c)?;
        self.map_set_unchecked(c, key, value)
    }

    /// [`Doc::map_set`] without the local write checks (the access list's own writes).
    pub(crate) fn map_set_unchecked(
        &mut self,
        c: u32,
        key: &str,
        value: NewItem,
    ) -> Result<Item, DocError> {
        let id = self.next_id();
        let State::Map(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Map));
        };
        let pred = Self::observed(state.entries.get(key));
        let value = StoredNew::from(value);
        let op = StoredOp {
            container: c,
            action: StoredAction::MapSet {
                key: key.to_owned(),
                value,
                pred,
            },
        };
        self.apply_local(op, id);
        let State::Map(state) = &self.containers[c as usize].state else {
            return Err(DocError::UnknownContainer);
        };
        let slot = state
            .entries
            .get(key)
            .and_then(|e| e.last())
            .map(|e| e.slot.clone());
        Ok(slot.map_or(Item::Value(Value::Null), |s| self.item_of(&s)))
    }

    pub(crate) fn map_delete(&mut self, c: u32, key: &str) -> Result<(), DocError> {
        self.check_writable(c)?;
        self.map_delete_unchecked(c, key)
    }

    /// [`Doc::map_delete`] without the local write checks (the access list's own writes).
    pub(crate) fn map_delete_unchecked(&mut self, c: u32, key: &str) -> Result<(), DocError> {
        let id = self.next_id();
        let State::Map(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Map));
        };
        let pred = Self::observed(state.entries.get(key));
        if pred.is_empty() {
            return Ok(());
        }
        let op = StoredOp {
            container: c,
            action: StoredAction::MapDelete {
                key: key.to_owned(),
                pred,
            },
        };
        self.apply_local(op, id);
        Ok(())
    }

    pub(crate) fn counter_add(&mut self, c: u32, delta: i64) -> Result<(), DocError> {
        self.check_writable(c)?;
        if !matches!(self.containers[c as usize].state, State::Counter(_)) {
            return Err(self.kind_error(c, ContainerKind::Counter));
        }
        let id = self.next_id();
        let op = StoredOp {
            container: c,
            action: StoredAction::CounterAdd { delta },
        };
        self.apply_local(op, id);
        Ok(())
    }

    pub(crate) fn set_add(&mut self, c: u32, value: Value) -> Result<(), DocError> {
        self.check_writable(c)?;
        if !matches!(self.containers[c as usize].state, State::Set(_)) {
            return Err(self.kind_error(c, ContainerKind::Set));
        }
        let id = self.next_id();
        let op = StoredOp {
            container: c,
            action: StoredAction::SetAdd { value },
        };
        self.apply_local(op, id);
        Ok(())
    }

    pub(crate) fn set_remove(&mut self, c: u32, value: &Value) -> Result<(), DocError> {
        self.check_writable(c)?;
        let State::Set(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Set));
        };
        let observed = state.members.get(value).cloned().unwrap_or_default();
        self.set_remove_observed(c, value, observed)
    }

    pub(crate) fn register_set(&mut self, c: u32, value: NewItem) -> Result<(), DocError> {
        self.check_writable(c)?;
        let State::Register(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Register));
        };
        let pred = Self::observed(Some(&state.entries));
        let value = StoredNew::from(value);
        let id = self.next_id();
        let op = StoredOp {
            container: c,
            action: StoredAction::RegisterSet { value, pred },
        };
        self.apply_local(op, id);
        Ok(())
    }

    /// Applies a map, counter, set or register operation (local or remote: their effect does
    /// not depend on positions) and records its patch. A write of a new container creates it.
    pub(crate) fn apply_op(&mut self, op: &StoredOp, id: Id) {
        let slot = match &op.action {
            StoredAction::MapSet { key, value, .. } => {
                Some(self.slot_for(op.container, id, Some(key.clone()), value))
            }
            StoredAction::RegisterSet { value, .. } => {
                Some(self.slot_for(op.container, id, None, value))
            }
            _ => None,
        };
        self.apply_op_with_slot(op, id, slot);
    }

    /// Applies a map, counter, set or register operation whose written slot (for map and
    /// register writes) is already made, and records its patch.
    pub(crate) fn apply_op_with_slot(&mut self, op: &StoredOp, id: Id, slot: Option<Slot>) {
        let c = op.container;
        let recording = self.recording();
        match &op.action {
            StoredAction::MapSet { key, pred, .. } => {
                let state = &mut self.containers[c as usize].state;
                if let (State::Map(state), Some(slot)) = (state, slot) {
                    let entries = state.entries.entry(key.clone()).or_default();
                    entries.retain(|e| !pred.contains(&e.id));
                    entries.push(Entry { id, slot });
                }
                if recording {
                    self.push_map_patch(c, key);
                }
            }
            StoredAction::MapDelete { key, pred } => {
                if let State::Map(state) = &mut self.containers[c as usize].state {
                    if let Some(entries) = state.entries.get_mut(key) {
                        entries.retain(|e| !pred.contains(&e.id));
                        if entries.is_empty() {
                            state.entries.remove(key);
                        }
                    }
                }
                if recording {
                    self.push_map_patch(c, key);
                }
            }
            StoredAction::CounterAdd { delta } => {
                if let State::Counter(state) = &mut self.containers[c as usize].state {
                    let total = state.per_actor.entry(id.actor).or_insert(0);
                    *total = total.wrapping_add(*delta);
                }
                if recording {
                    self.push_patch(c, PatchAction::CounterAdd { delta: *delta });
                }
            }
            StoredAction::SetAdd { value } => {
                let mut added = false;
                if let State::Set(state) = &mut self.containers[c as usize].state {
                    let tags = state.members.entry(value.clone()).or_default();
                    added = tags.is_empty();
                    tags.push(id);
                }
                if recording && added {
                    self.push_patch(
                        c,
                        PatchAction::SetAdd {
                            value: value.clone(),
                        },
                    );
                }
            }
            StoredAction::SetRemove { value, observed } => {
                let mut removed = false;
                if let State::Set(state) = &mut self.containers[c as usize].state {
                    if let Some(tags) = state.members.get_mut(value) {
                        tags.retain(|t| !observed.contains(t));
                        if tags.is_empty() {
                            state.members.remove(value);
                            removed = true;
                        }
                    }
                }
                if recording && removed {
                    self.push_patch(
                        c,
                        PatchAction::SetRemove {
                            value: value.clone(),
                        },
                    );
                }
            }
            StoredAction::RegisterSet { pred, .. } => {
                let state = &mut self.containers[c as usize].state;
                if let (State::Register(state), Some(slot)) = (state, slot) {
                    state.entries.retain(|e| !pred.contains(&e.id));
                    state.entries.push(Entry { id, slot });
                }
                if recording {
                    let value = self.register_value(c);
                    self.push_patch(c, PatchAction::RegisterSet { value });
                }
            }
            StoredAction::Insert { .. } | StoredAction::Delete { .. } => {}
        }
    }

    fn push_map_patch(&mut self, c: u32, key: &str) {
        let action = match self.map_value(c, key) {
            Some(value) => PatchAction::MapPut {
                key: key.to_owned(),
                value,
            },
            None => PatchAction::MapDelete {
                key: key.to_owned(),
            },
        };
        self.push_patch(c, action);
    }

    /// UTF-16 ↔ char conversions of a text container.
    pub(crate) fn text_utf16_to_chars(&self, c: u32, index: u64) -> Result<u64, DocError> {
        let State::Text(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Text));
        };
        let size = state.seq.len(Lane::Utf16);
        if index > size {
            return Err(out_of_range(index, 0, size));
        }
        if state.chars.bmp_only() {
            return Ok(index);
        }
        state
            .seq
            .utf16_to_items(index, &state.chars)
            .ok_or(DocError::SplitsSurrogatePair(index))
    }

    pub(crate) fn text_chars_to_utf16(&self, c: u32, index: u64) -> Result<u64, DocError> {
        let State::Text(state) = &self.containers[c as usize].state else {
            return Err(self.kind_error(c, ContainerKind::Text));
        };
        let size = state.seq.len(Lane::Items);
        if index > size {
            return Err(out_of_range(index, 0, size));
        }
        if state.chars.bmp_only() {
            return Ok(index);
        }
        Ok(state.seq.items_to_utf16(index, &state.chars))
    }
}

/// UTF-16 weight of some characters of an arena (used by remote deletes' patches).
pub(crate) fn utf16_of(chars: &crate::crdt::seq::TextArena, start: u32, len: u32) -> u64 {
    chars.utf16(start, len)
}

/// Where a local sequence insert goes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    /// Before the visible item at this index (at the end for the length).
    Index(u64),
    /// Right before this item, visible or deleted (to put deleted content back where it was).
    Before(Id),
}

//! Reading the document: values of containers, paths, and the whole document as JSON.

use std::collections::BTreeMap;

use crate::crdt::seq::Lane;
use crate::value::Value;

use super::state::{winner, Parent, Slot, State};
use super::types::{Item, PathElem};
use super::Doc;

impl Doc {
    /// The winning value of a map key.
    pub(crate) fn map_value(&self, c: u32, key: &str) -> Option<Item> {
        let State::Map(state) = &self.containers[c as usize].state else {
            return None;
        };
        let entries = state.entries.get(key)?;
        winner(entries, &self.actors).map(|e| self.item_of(&e.slot))
    }

    /// Every current value of a map key: the winner first, then the conflicting ones.
    pub(crate) fn map_conflicts(&self, c: u32, key: &str) -> Vec<Item> {
        let State::Map(state) = &self.containers[c as usize].state else {
            return Vec::new();
        };
        self.sorted_items(state.entries.get(key).map_or(&[], Vec::as_slice))
    }

    fn sorted_items(&self, entries: &[super::state::Entry]) -> Vec<Item> {
        let mut sorted: Vec<_> = entries.iter().collect();
        // Operation ids are unique: no ties, so the unstable sort gives the same order.
        sorted.sort_unstable_by(|a, b| {
            let key = |e: &super::state::Entry| (e.id.counter, self.actors[e.id.actor as usize]);
            key(b).cmp(&key(a))
        });
        sorted.into_iter().map(|e| self.item_of(&e.slot)).collect()
    }

    pub(crate) fn map_keys(&self, c: u32) -> Vec<String> {
        match &self.containers[c as usize].state {
            State::Map(state) => state.entries.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn register_value(&self, c: u32) -> Option<Item> {
        let State::Register(state) = &self.containers[c as usize].state else {
            return None;
        };
        winner(&state.entries, &self.actors).map(|e| self.item_of(&e.slot))
    }

    pub(crate) fn register_conflicts(&self, c: u32) -> Vec<Item> {
        let State::Register(state) = &self.containers[c as usize].state else {
            return Vec::new();
        };
        self.sorted_items(&state.entries)
    }

    pub(crate) fn text_string(&self, c: u32) -> String {
        let State::Text(state) = &self.containers[c as usize].state else {
            return String::new();
        };
        let mut out = String::with_capacity(state.seq.len(Lane::Items) as usize);
        for run in state.seq.runs().filter(|r| !r.deleted) {
            let start = run.content as usize;
            out.extend(&state.chars[start..start + run.len as usize]);
        }
        out
    }

    pub(crate) fn seq_len(&self, c: u32, lane: Lane) -> u64 {
        match &self.containers[c as usize].state {
            State::Text(state) => state.seq.len(lane),
            State::List(state) => state.seq.len(lane),
            _ => 0,
        }
    }

    pub(crate) fn list_slots(&self, c: u32) -> Vec<&Slot> {
        let State::List(state) = &self.containers[c as usize].state else {
            return Vec::new();
        };
        state
            .seq
            .runs()
            .filter(|r| !r.deleted)
            .flat_map(|r| &state.items[r.content as usize..(r.content + r.len) as usize])
            .collect()
    }

    pub(crate) fn list_get(&self, c: u32, index: u64) -> Option<Item> {
        let State::List(state) = &self.containers[c as usize].state else {
            return None;
        };
        let cursor = state.seq.find_visible(index)?;
        let run = state.seq.run_at(cursor);
        let slot = state.items.get((run.content + cursor.offset) as usize)?;
        Some(self.item_of(slot))
    }

    pub(crate) fn counter_value(&self, c: u32) -> i64 {
        match &self.containers[c as usize].state {
            State::Counter(state) => state.value(),
            _ => 0,
        }
    }

    pub(crate) fn set_values(&self, c: u32) -> Vec<Value> {
        match &self.containers[c as usize].state {
            State::Set(state) => state.members.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn set_has(&self, c: u32, value: &Value) -> bool {
        match &self.containers[c as usize].state {
            State::Set(state) => state.members.contains_key(value),
            _ => false,
        }
    }

    /// The path from the root to container `c`; empty if it is no longer reachable (its key
    /// was overwritten or its list item deleted).
    pub(crate) fn path_of(&self, c: u32) -> Vec<PathElem> {
        let mut path = Vec::new();
        let mut current = c;
        loop {
            match &self.containers[current as usize].parent {
                Parent::Root(name) => {
                    path.push(PathElem::Root(name.clone()));
                    path.reverse();
                    return path;
                }
                Parent::Child { container, op, key } => {
                    // The slot must hold this very container: a container whose creating
                    // operation was undone (see `checkout.rs`) and then merged again is
                    // replaced by a fresh one in the same slot.
                    let holds = |slot: &Slot| matches!(slot, Slot::Container(x) if *x == current);
                    let step = match (&self.containers[*container as usize].state, key) {
                        (State::Map(state), Some(key)) => {
                            let entries = state.entries.get(key).map_or(&[][..], Vec::as_slice);
                            winner(entries, &self.actors)
                                .filter(|e| e.id == *op && holds(&e.slot))
                                .map(|_| PathElem::Key(key.clone()))
                        }
                        (State::List(state), _) => state.seq.cursor_of(*op).and_then(|c| {
                            let run = state.seq.run_at(c);
                            let slot = state.items.get((run.content + c.offset) as usize);
                            (!run.deleted && slot.is_some_and(holds))
                                .then(|| PathElem::Index(state.seq.visible_index(c)))
                        }),
                        (State::Register(state), _) => winner(&state.entries, &self.actors)
                            .filter(|e| e.id == *op && holds(&e.slot))
                            .map(|_| PathElem::Key(String::new())),
                        _ => None,
                    };
                    let Some(step) = step else {
                        return Vec::new();
                    };
                    if !matches!(step, PathElem::Key(ref k) if k.is_empty()) {
                        path.push(step);
                    }
                    current = *container;
                }
            }
        }
    }

    /// A container's content as a plain value (nested containers expanded).
    pub(crate) fn container_json(&self, c: u32) -> Value {
        match &self.containers[c as usize].state {
            State::Map(state) => {
                let mut object = BTreeMap::new();
                for (key, entries) in &state.entries {
                    if let Some(entry) = winner(entries, &self.actors) {
                        object.insert(key.clone(), self.slot_json(&entry.slot));
                    }
                }
                Value::Object(object)
            }
            State::List(_) => Value::Array(
                self.list_slots(c)
                    .into_iter()
                    .map(|s| self.slot_json(s))
                    .collect(),
            ),
            State::Text(_) => Value::Str(self.text_string(c)),
            State::Counter(state) => Value::I64(state.value()),
            State::Set(state) => Value::Array(state.members.keys().cloned().collect()),
            State::Register(state) => winner(&state.entries, &self.actors)
                .map_or(Value::Null, |e| self.slot_json(&e.slot)),
        }
    }

    fn slot_json(&self, slot: &Slot) -> Value {
        match slot {
            Slot::Value(v) => v.clone(),
            Slot::Container(c) => self.container_json(*c),
        }
    }

    /// The whole document as a plain value: an object of the root containers that some
    /// operation of the history targets, by name. Roots of different kinds sharing a name appear once, the later kind in
    /// [`super::ContainerKind::ALL`] order winning.
    pub fn to_json(&self) -> Value {
        let mut roots: Vec<(&String, u32)> = self
            .containers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match &c.parent {
                Parent::Root(name) if c.used => Some((name, i as u32)),
                Parent::Root(_) => None,
                Parent::Child { .. } => None,
            })
            .collect();
        // A root is unique per name and kind: no ties.
        roots.sort_unstable_by_key(|&(name, i)| (name, self.containers[i as usize].state.kind()));
        let mut object = BTreeMap::new();
        for (name, c) in roots {
            object.insert(name.clone(), self.container_json(c));
        }
        Value::Object(object)
    }
}

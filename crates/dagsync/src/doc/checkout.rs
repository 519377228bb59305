//! Checking out a past version: a copy of the document retreated to that version, in time
//! proportional to copying it (cheap: see `shared_vec.rs`) plus what happened since, instead
//! of replaying the history.
//!
//! An operation is in a version exactly when its counter is below its author's limit there
//! (see `version.rs`). Retreating drops the changes outside the version from the log and
//! undoes their effect on the containers their operations touch; the others already hold
//! their state at the version:
//!
//! - a sequence keeps, in its current order, the items of the version, and an item is deleted
//!   when a delete of the version covers it (see `crdt/seq/retreat.rs`);
//! - a map, register, counter or set is reset and the version's operations on it re-applied;
//! - a container created by an operation outside the version becomes dormant: unreachable
//!   and empty, so that merging that operation again creates a fresh one;
//! - a map or register whose values garbage collection freed is reset and replayed too.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::clock::{HlcClock, VersionVector};
use crate::crdt::seq::{IdRanges, Uniform};
use crate::id::Id;

use super::log::{StoredAction, StoredNew, StoredOp};
use super::state::{Slot, State};
use super::version::Version;
use super::Doc;

/// What the changes outside the version did to one container.
#[derive(Default)]
struct Undone {
    /// Items they inserted, as `(first id, length)`.
    inserted: Vec<(Id, u64)>,
    /// Items they deleted.
    deleted: Vec<(Id, u64)>,
}

impl Doc {
    /// A copy of this document at `version`, whose local edits are attributed to `actor`.
    pub(super) fn checkout(&mut self, version: &Version, actor: crate::ActorId) -> Doc {
        let mut doc = self.fork(actor);
        doc.queue.clear();
        if !version.is_whole() {
            let first = version.first_missing();
            doc.retreat_containers(version, first);
            doc.retreat_log(version, first);
        }
        doc
    }

    /// Undoes the effects of the changes outside `version` (from log index `first` on) on the
    /// containers.
    fn retreat_containers(&mut self, version: &Version, first: usize) {
        let mut touched: FxHashMap<u32, Undone> = FxHashMap::default();
        for (i, change) in self.changes.iter().enumerate().skip(first) {
            if version.has_change(i) {
                continue;
            }
            let mut counter = change.start_op;
            for op in &change.ops {
                let id = Id::new(change.actor, counter);
                counter += op.width();
                let undone = touched.entry(op.container).or_default();
                match op.action {
                    StoredAction::Insert { len, .. } => undone.inserted.push((id, u64::from(len))),
                    StoredAction::Delete { start, len } => undone.deleted.push((start, len)),
                    _ => {}
                }
            }
        }
        // Containers whose values were freed (`doc/gc.rs`) get them back from the log.
        for c in std::mem::take(&mut self.collected) {
            touched.entry(c).or_default();
        }
        let mut dormant = Vec::new();
        self.children.retain(|&op, &mut c| {
            let keep = version.contains(op);
            if !keep {
                dormant.push(c);
            }
            keep
        });
        for c in dormant {
            if let Some(container) = self.containers.get_mut(c as usize) {
                container.state = State::new(container.state.kind());
                container.used = false;
            }
            touched.remove(&c);
        }
        // Sequences are cut back in place; the other containers are reset and get the
        // version's operations again.
        let mut sequences: Vec<(u32, Undone)> = Vec::new();
        let mut replayed: FxHashSet<u32> = FxHashSet::default();
        for (c, undone) in touched {
            let Some(container) = self.containers.get_mut(c as usize) else {
                continue;
            };
            if matches!(container.state, State::Text(_) | State::List(_)) {
                sequences.push((c, undone));
            } else {
                container.state = State::new(container.state.kind());
                container.used = false;
                replayed.insert(c);
            }
        }
        let mut revived = self.replay_and_find_revived(version, &replayed, &sequences);
        let limit = |actor| version.limit(actor);
        for (c, undone) in sequences {
            let revived = revived.remove(&c).unwrap_or_default();
            let Some(container) = self.containers.get_mut(c as usize) else {
                continue;
            };
            container.used = match &mut container.state {
                State::Text(state) => {
                    let chars = &state.chars;
                    state.seq.retreat(limit, &undone.inserted, &revived, chars);
                    state.seq.runs().next().is_some()
                }
                State::List(state) => {
                    state
                        .seq
                        .retreat(limit, &undone.inserted, &revived, &Uniform);
                    state.seq.runs().next().is_some()
                }
                _ => container.used,
            };
        }
    }

    /// Applies the version's operations on the `replayed` containers again, in log order, and
    /// returns per sequence the items that only changes outside the version deleted (visible
    /// again at the version).
    fn replay_and_find_revived(
        &mut self,
        version: &Version,
        replayed: &FxHashSet<u32>,
        sequences: &[(u32, Undone)],
    ) -> FxHashMap<u32, IdRanges> {
        let undone_deletes: FxHashMap<u32, IdRanges> = sequences
            .iter()
            .filter(|(_, u)| !u.deleted.is_empty())
            .map(|(c, u)| (*c, IdRanges::from_spans(u.deleted.iter().copied())))
            .collect();
        // A delete comes after the insert of what it deletes, so the version's deletes of those
        // items come after the oldest change inserting one of them.
        let scan_from = if replayed.is_empty() {
            undone_deletes
                .values()
                .flat_map(IdRanges::iter)
                .filter_map(|(start, _)| self.change_of(start))
                .min()
        } else {
            Some(0)
        };
        let mut kept_deletes: FxHashMap<u32, Vec<(Id, u64)>> = FxHashMap::default();
        if let Some(scan_from) = scan_from {
            let mut to_apply: Vec<(usize, usize, Id)> = Vec::new();
            for (i, change) in self.changes.iter().enumerate().skip(scan_from) {
                if !version.has_change(i) {
                    continue;
                }
                let mut counter = change.start_op;
                for (k, op) in change.ops.iter().enumerate() {
                    let id = Id::new(change.actor, counter);
                    counter += op.width();
                    if replayed.contains(&op.container) {
                        to_apply.push((i, k, id));
                    } else if let StoredAction::Delete { start, len } = op.action {
                        let undone = undone_deletes.get(&op.container);
                        if undone.is_some_and(|u| u.intersects(start, len)) {
                            kept_deletes
                                .entry(op.container)
                                .or_default()
                                .push((start, len));
                        }
                    }
                }
            }
            for (i, k, id) in to_apply {
                let change = Arc::clone(&self.changes[i]);
                if let Some(op) = change.ops.get(k) {
                    self.reapply_op(op, id);
                }
            }
        }
        undone_deletes
            .into_iter()
            .map(|(c, undone)| {
                let kept = kept_deletes.remove(&c).unwrap_or_default();
                (c, undone.minus(&IdRanges::from_spans(kept)))
            })
            .collect()
    }

    /// The log index of the change holding operation `id`.
    fn change_of(&self, id: Id) -> Option<usize> {
        let chain = self.by_actor.get(id.actor as usize)?;
        let after = chain.partition_point(|&i| self.changes[i as usize].end_op <= id.counter);
        chain.get(after).map(|&i| i as usize)
    }

    /// Applies a map, register, counter or set operation of the log again; a child container
    /// it writes already exists.
    fn reapply_op(&mut self, op: &StoredOp, id: Id) {
        let written = match &op.action {
            StoredAction::MapSet { key, value, .. } => Some((Some(key), value)),
            StoredAction::RegisterSet { value, .. } => Some((None, value)),
            _ => None,
        };
        let slot = written.map(|(key, value)| match (value, self.child_index(id)) {
            (StoredNew::Container(_), Some(child)) => Slot::Container(child),
            _ => self.slot_for(op.container, id, key.cloned(), value),
        });
        self.apply_op_with_slot(op, id, slot);
        self.containers[op.container as usize].used = true;
    }

    /// Drops the changes outside `version` (from log index `first` on) from the log and
    /// recomputes what derives from it.
    fn retreat_log(&mut self, version: &Version, first: usize) {
        let n = self.changes.len();
        let mut new_index = vec![u32::MAX; n.saturating_sub(first)];
        let mut next = first as u32;
        for (i, slot) in new_index.iter_mut().enumerate() {
            if version.has_change(first + i) {
                *slot = next;
                next += 1;
            }
        }
        let remap = |i: u32| {
            (i as usize)
                .checked_sub(first)
                .map_or(i, |k| new_index.get(k).copied().unwrap_or(u32::MAX))
        };
        for i in first..n {
            if let Some(hash) = self.changes[i].hash {
                if version.has_change(i) {
                    self.by_hash.insert(hash, remap(i as u32));
                } else {
                    self.by_hash.remove(&hash);
                }
            }
        }
        self.changes.retain_after(first, |i| version.has_change(i));
        for i in first..self.changes.len() {
            if self.changes[i].deps.iter().any(|&d| d as usize >= first) {
                for dep in &mut Arc::make_mut(&mut self.changes[i]).deps {
                    *dep = remap(*dep);
                }
            }
        }
        for (actor, chain) in self.by_actor.iter_mut().enumerate() {
            chain.truncate(version.counts.get(actor).copied().unwrap_or(0));
            for index in chain.iter_mut().rev() {
                if (*index as usize) < first {
                    break;
                }
                *index = remap(*index);
            }
        }
        // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
        self.heads = BTreeSet::new();
        self.heads.extend(version.heads.iter().map(|&h| remap(h)));
        let mut vv = VersionVector::new();
        for (actor, chain) in self.by_actor.iter().enumerate() {
            if let Some(&last) = chain.last() {
                vv.set(self.actors[actor], self.changes[last as usize].seq);
            }
        }
        self.version = vv;
        self.next_counter = version.limits.iter().copied().max().unwrap_or(0).max(1);
        self.pending_start = self.next_counter;
        self.open_change = None;
        self.clock = HlcClock::new(self.actor());
        if let Some(time) = version.max_time {
            let physical = (self.time_source)();
            self.clock.receive(time, physical);
        }
    }
}

//! Garbage collection of unreachable containers' values: a record deleted from a collection
//! (a map deleted from its parent map), an item replaced by another… Its container stays in
//! the document, because a concurrent operation made before the deletion may still arrive
//! and must be checked like any other; but once every replica that matters has the version
//! in which it became unreachable, its values are never shown again, and they are freed.
//! What stays is the container's skeleton: operation ids and positions, so validation stays
//! exactly what it is on replicas that did not collect (all honest replicas keep accepting
//! and refusing the same changes).

use crate::clock::VersionVector;
use crate::value::Value;

use super::state::{Slot, State};
use super::Doc;

/// What [`Doc::collect_garbage`] freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Containers whose values were freed.
    pub containers: usize,
    /// Values freed.
    pub values: usize,
}

impl Doc {
    /// Frees the values of containers that are unreachable from every root now and already
    /// were at version `stable` — a version every replica that still writes has (for a repo:
    /// what every known peer has, see `Repo::collect_garbage`). Visible state, history, sync
    /// and validation are unchanged; a view of a past version replays the history and shows
    /// the values again. Seals the open local change.
    pub fn collect_garbage(&mut self, stable: &VersionVector) -> GcReport {
        self.seal();
        let heads: Vec<u32> = self
            .by_actor
            .iter()
            .enumerate()
            .filter_map(|(a, chain)| {
                let have = usize::try_from(stable.get(&self.actors[a])).unwrap_or(usize::MAX);
                chain.get(have.min(chain.len()).checked_sub(1)?).copied()
            })
            .collect();
        let Ok(version) = self.version_of(&heads) else {
            return GcReport::default();
        };
        let actor = self.actor();
        let past = self.checkout(&version, actor);
        let reachable_now = self.reachable();
        let reachable_then = past.reachable();
        let mut report = GcReport::default();
        for (c, reachable) in reachable_now.into_iter().enumerate() {
            if reachable {
                continue;
            }
            let id = self.container_id(c as u32);
            // It must have existed, unreachable, in the stable version: otherwise a replica
            // may still reach it (or not have it at all).
            let Some(then) = past.resolve_existing(&id) else {
                continue;
            };
            if reachable_then[then as usize] {
                continue;
            }
            let freed = self.free_values(c);
            if freed > 0 {
                self.collected.insert(c as u32);
                report.containers += 1;
                report.values += freed;
            }
        }
        report
    }

    /// Which containers (by index) a root leads to.
    fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.containers.len()];
        let mut stack: Vec<u32> = self
            .roots
            .values()
            .flatten()
            .copied()
            .filter(|&c| (c as usize) < seen.len())
            .collect();
        while let Some(c) = stack.pop() {
            if std::mem::replace(&mut seen[c as usize], true) {
                continue;
            }
            let mut push = |slot: &Slot| {
                if let Slot::Container(child) = slot {
                    stack.push(*child);
                }
            };
            match &self.containers[c as usize].state {
                State::Map(m) => m.entries.values().flatten().for_each(|e| push(&e.slot)),
                State::Register(r) => r.entries.iter().for_each(|e| push(&e.slot)),
                // Deleted list items keep their slots: counted as reachable (they cost no
                // values worth collecting, and a list's tombstones are its own business).
                State::List(l) => l.items.iter().for_each(&mut push),
                State::Text(_) | State::Counter(_) | State::Set(_) => {}
            }
        }
        seen
    }

    /// Replaces the values container `c` holds by nulls; returns how many it replaced.
    fn free_values(&mut self, c: usize) -> usize {
        let mut freed = 0;
        let mut free = |slot: &mut Slot| {
            if let Slot::Value(v) = slot {
                if *v != Value::Null {
                    *v = Value::Null;
                    freed += 1;
                }
            }
        };
        match &mut self.containers[c].state {
            State::Map(m) => m
                .entries
                .values_mut()
                .flatten()
                .for_each(|e| free(&mut e.slot)),
            State::Register(r) => r.entries.iter_mut().for_each(|e| free(&mut e.slot)),
            // Maps and registers are rebuilt from the log when a past version needs them (see
            // `doc/checkout.rs`); sequences are retreated in place, so they keep their items,
            // and counters and sets are their values' identities.
            State::List(_) | State::Text(_) | State::Counter(_) | State::Set(_) => {}
        }
        freed
    }
}

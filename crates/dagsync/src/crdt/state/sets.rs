//! Sets: grow-only, two-phase, and observed-remove (add wins).

use std::collections::{BTreeMap, BTreeSet};

use super::Crdt;
use crate::actor::ActorId;

/// A grow-only set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GSet<T: Ord> {
    items: BTreeSet<T>,
}

impl<T: Ord> Default for GSet<T> {
    fn default() -> Self {
        GSet {
            items: BTreeSet::new(),
        }
    }
}

impl<T: Ord + Clone> GSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value.
    pub fn add(&mut self, value: T) {
        self.items.insert(value);
    }

    /// Whether `value` is a member.
    pub fn contains(&self, value: &T) -> bool {
        self.items.contains(value)
    }

    /// The members, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

impl<T: Ord + Clone> Crdt for GSet<T> {
    fn merge(&mut self, other: &Self) {
        self.items.extend(other.items.iter().cloned());
    }
}

/// A two-phase set: a removed value stays removed forever (adding it again has no effect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoPSet<T: Ord> {
    added: GSet<T>,
    removed: GSet<T>,
}

impl<T: Ord> Default for TwoPSet<T> {
    fn default() -> Self {
        TwoPSet {
            added: GSet::default(),
            removed: GSet::default(),
        }
    }
}

impl<T: Ord + Clone> TwoPSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value (no effect once it was removed).
    pub fn add(&mut self, value: T) {
        self.added.add(value);
    }

    /// Removes a value for good.
    pub fn remove(&mut self, value: T) {
        self.removed.add(value);
    }

    /// Whether `value` is a member.
    pub fn contains(&self, value: &T) -> bool {
        self.added.contains(value) && !self.removed.contains(value)
    }

    /// The members, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.added.iter().filter(|v| !self.removed.contains(v))
    }
}

impl<T: Ord + Clone> Crdt for TwoPSet<T> {
    fn merge(&mut self, other: &Self) {
        self.added.merge(&other.added);
        self.removed.merge(&other.removed);
    }
}

/// One addition: its author and the author's counter.
type Dot = (ActorId, u64);

/// An observed-remove set where an add wins over a concurrent remove. Each addition is a
/// unique dot; a remove deletes the dots it has seen; a per-actor context of seen counters
/// tells a removed dot from one not yet received, so no tombstones are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrSet<T: Ord> {
    entries: BTreeMap<T, BTreeSet<Dot>>,
    seen: BTreeMap<ActorId, u64>,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        OrSet {
            entries: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` adds `value`.
    pub fn add(&mut self, actor: ActorId, value: T) {
        let counter = self.seen.get(&actor).copied().unwrap_or(0) + 1;
        self.seen.insert(actor, counter);
        let dots = self.entries.entry(value).or_default();
        dots.clear();
        dots.insert((actor, counter));
    }

    /// Removes `value` (the additions of it this replica has seen).
    pub fn remove(&mut self, value: &T) {
        self.entries.remove(value);
    }

    /// Whether `value` is a member.
    pub fn contains(&self, value: &T) -> bool {
        self.entries.contains_key(value)
    }

    /// The members, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.keys()
    }

    fn covers(seen: &BTreeMap<ActorId, u64>, dot: &Dot) -> bool {
        seen.get(&dot.0).is_some_and(|&c| c >= dot.1)
    }
}

impl<T: Ord + Clone> Crdt for OrSet<T> {
    fn merge(&mut self, other: &Self) {
        let empty = BTreeSet::new();
        // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
        let mut keys: BTreeSet<T> = BTreeSet::new();
        keys.extend(self.entries.keys().chain(other.entries.keys()).cloned());
        for key in keys {
            let ours = self.entries.get(&key).cloned().unwrap_or_default();
            let theirs = other.entries.get(&key).unwrap_or(&empty);
            let kept: BTreeSet<Dot> = ours
                .iter()
                .filter(|d| theirs.contains(d) || !Self::covers(&other.seen, d))
                .chain(
                    theirs
                        .iter()
                        .filter(|d| !ours.contains(d) && !Self::covers(&self.seen, d)),
                )
                .copied()
                .collect();
            if kept.is_empty() {
                self.entries.remove(&key);
            } else {
                self.entries.insert(key, kept);
            }
        }
        for (actor, &counter) in &other.seen {
            let ours = self.seen.entry(*actor).or_insert(0);
            *ours = (*ours).max(counter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::state::laws::{check_laws, replicas};
    use proptest::prelude::*;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    #[test]
    fn or_set_scenario_from_the_issue() {
        let mut ra = OrSet::new();
        let mut rb = OrSet::new();
        ra.add(a(1), "x");
        rb.add(a(2), "y");
        ra.remove(&"y"); // A has not seen B's add
        let (sa, sb) = (ra.clone(), rb.clone());
        ra.merge(&sb);
        rb.merge(&sa);
        for r in [&ra, &rb] {
            assert!(r.contains(&"x") && r.contains(&"y"));
        }
    }

    #[test]
    fn or_set_add_wins_over_concurrent_remove_and_removes_what_it_saw() {
        let mut ra = OrSet::new();
        ra.add(a(1), 7);
        let mut rb = ra.clone();
        ra.remove(&7);
        rb.add(a(2), 7);
        ra.merge(&rb);
        assert!(ra.contains(&7), "add wins");
        let mut rc = ra.clone();
        rc.remove(&7);
        ra.merge(&rc);
        assert!(!ra.contains(&7), "a remove that saw every add removes");
    }

    #[test]
    fn two_p_set_remove_is_final() {
        let mut s = TwoPSet::new();
        s.add(1);
        s.remove(1);
        s.add(1);
        assert!(!s.contains(&1));
        let mut g = GSet::new();
        g.add(2);
        assert_eq!(g.iter().collect::<Vec<_>>(), vec![&2]);
    }

    proptest! {
        #[test]
        fn g_set_laws(states in replicas(|s: &mut GSet<u64>, _actor, step| s.add(step % 5))) {
            check_laws(&states[0], &states[1], &states[2])?;
        }

        #[test]
        fn two_p_set_laws(states in replicas(|s: &mut TwoPSet<u64>, actor, step| {
            if actor == 1 { s.remove(step % 5) } else { s.add(step % 5) }
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }

        #[test]
        fn or_set_laws(states in replicas(|s: &mut OrSet<u64>, actor, step| {
            if step % 3 == 0 { s.remove(&(step % 4)) } else { s.add(ActorId([actor; 32]), step % 4) }
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }
    }
}

//! Registers: last-writer-wins (by hybrid logical clock) and multi-value.

use std::collections::BTreeMap;

use super::Crdt;
use crate::actor::ActorId;
use crate::clock::Hlc;

/// A last-writer-wins register: the write with the greatest timestamp wins. [`Hlc`] orders by
/// physical time, then logical counter, then actor, so ties are impossible between writers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwRegister<T> {
    current: Option<(Hlc, T)>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        LwwRegister { current: None }
    }
}

impl<T: Clone> LwwRegister<T> {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `value` at time `at`; ignored if a later write is already here.
    pub fn set(&mut self, value: T, at: Hlc) {
        if self.current.as_ref().is_none_or(|(t, _)| at > *t) {
            self.current = Some((at, value));
        }
    }

    /// The winning value.
    pub fn get(&self) -> Option<&T> {
        self.current.as_ref().map(|(_, v)| v)
    }

    /// The winning write's timestamp.
    pub fn timestamp(&self) -> Option<Hlc> {
        self.current.as_ref().map(|(t, _)| *t)
    }
}

impl<T: Clone> Crdt for LwwRegister<T> {
    fn merge(&mut self, other: &Self) {
        if let Some((at, value)) = &other.current {
            self.set(value.clone(), *at);
        }
    }
}

/// One write: its author and the author's write counter.
type Dot = (ActorId, u64);

/// A multi-value register: a write replaces every value its writer had seen; concurrent
/// writes are all kept until a later write replaces them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MvRegister<T> {
    values: BTreeMap<Dot, T>,
    /// Per actor, the highest write counter seen.
    seen: BTreeMap<ActorId, u64>,
}

impl<T> Default for MvRegister<T> {
    fn default() -> Self {
        MvRegister {
            values: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }
}

impl<T: Clone> MvRegister<T> {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` writes `value`, replacing every value this replica holds.
    pub fn set(&mut self, actor: ActorId, value: T) {
        let counter = self.seen.get(&actor).copied().unwrap_or(0) + 1;
        self.seen.insert(actor, counter);
        self.values.clear();
        self.values.insert((actor, counter), value);
    }

    /// The current values, ordered by writer.
    pub fn values(&self) -> Vec<&T> {
        self.values.values().collect()
    }

    fn covers(seen: &BTreeMap<ActorId, u64>, dot: &Dot) -> bool {
        seen.get(&dot.0).is_some_and(|&c| c >= dot.1)
    }
}

impl<T: Clone> Crdt for MvRegister<T> {
    fn merge(&mut self, other: &Self) {
        // Keep a value if both have it, or if the side lacking it has not seen it (so it was
        // not overwritten there).
        self.values
            .retain(|dot, _| other.values.contains_key(dot) || !Self::covers(&other.seen, dot));
        for (dot, value) in &other.values {
            if !self.values.contains_key(dot) && !Self::covers(&self.seen, dot) {
                self.values.insert(*dot, value.clone());
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
    use crate::clock::HlcClock;
    use crate::crdt::state::laws::{check_laws, replicas};
    use proptest::prelude::*;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    #[test]
    fn lww_scenario_from_the_issue() {
        let mut clock_a = HlcClock::new(a(1));
        let mut clock_b = HlcClock::new(a(2));
        let mut ra = LwwRegister::new();
        let mut rb = LwwRegister::new();
        ra.set("from A", clock_a.now(1_000));
        rb.set("from B", clock_b.now(1_010)); // 10 ms later
        let (sa, sb) = (ra.clone(), rb.clone());
        ra.merge(&sb);
        rb.merge(&sa);
        assert_eq!(ra.get(), Some(&"from B"));
        assert_eq!(rb.get(), Some(&"from B"));
    }

    #[test]
    fn mv_register_keeps_concurrent_writes_until_overwritten() {
        let mut x = MvRegister::new();
        let mut y = MvRegister::new();
        x.set(a(1), 1);
        y.set(a(2), 2);
        x.merge(&y);
        assert_eq!(x.values(), vec![&1, &2]);
        x.set(a(1), 3);
        y.merge(&x);
        assert_eq!(y.values(), vec![&3]);
    }

    proptest! {
        #[test]
        fn lww_laws(states in replicas(|r: &mut LwwRegister<u64>, actor, step| {
            // The value is a function of the timestamp, as it is for real (unique) writes.
            let at = Hlc { millis: step, logical: 0, actor: ActorId([actor; 32]) };
            r.set(step * 31 + u64::from(actor), at);
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }

        #[test]
        fn mv_laws(states in replicas(|r: &mut MvRegister<u64>, actor, step| {
            r.set(ActorId([actor; 32]), step);
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }
    }
}

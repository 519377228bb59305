//! Grow-only and positive-negative counters.

use std::collections::BTreeMap;

use super::Crdt;
use crate::actor::ActorId;

/// A grow-only counter: each actor's own total; the value is their sum (saturating).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter {
    totals: BTreeMap<ActorId, u64>,
}

impl GCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `by` to `actor`'s total (saturating at `u64::MAX`).
    pub fn increment(&mut self, actor: ActorId, by: u64) {
        let total = self.totals.entry(actor).or_insert(0);
        *total = total.saturating_add(by);
    }

    /// The sum of all actors' totals (saturating).
    pub fn value(&self) -> u64 {
        self.totals.values().fold(0u64, |a, &b| a.saturating_add(b))
    }

    /// `actor`'s own total.
    pub fn total_of(&self, actor: &ActorId) -> u64 {
        self.totals.get(actor).copied().unwrap_or(0)
    }
}

impl Crdt for GCounter {
    fn merge(&mut self, other: &Self) {
        for (actor, &theirs) in &other.totals {
            let ours = self.totals.entry(*actor).or_insert(0);
            *ours = (*ours).max(theirs);
        }
    }
}

/// A counter that can go up and down: two grow-only counters, increments and decrements.
/// The value is computed in `i128` and clamped to the `i64` range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter {
    up: GCounter,
    down: GCounter,
}

impl PnCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `by` (negative to subtract).
    pub fn add(&mut self, actor: ActorId, by: i64) {
        if by >= 0 {
            self.up.increment(actor, by.unsigned_abs());
        } else {
            self.down.increment(actor, by.unsigned_abs());
        }
    }

    /// Adds `by`.
    pub fn increment(&mut self, actor: ActorId, by: i64) {
        self.add(actor, by);
    }

    /// Subtracts `by`.
    pub fn decrement(&mut self, actor: ActorId, by: i64) {
        self.add(actor, by.saturating_neg());
    }

    /// Increments minus decrements, clamped to `i64`.
    pub fn value(&self) -> i64 {
        let v = i128::from(self.up.value()) - i128::from(self.down.value());
        v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

impl Crdt for PnCounter {
    fn merge(&mut self, other: &Self) {
        self.up.merge(&other.up);
        self.down.merge(&other.down);
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
    fn pn_counter_scenario_from_the_issue() {
        let mut ra = PnCounter::new();
        let mut rb = PnCounter::new();
        ra.increment(a(1), 5);
        rb.increment(a(2), 3);
        ra.decrement(a(1), 2);
        let (sa, sb) = (ra.clone(), rb.clone());
        ra.merge(&sb);
        rb.merge(&sa);
        assert_eq!(ra.value(), 6);
        assert_eq!(rb.value(), 6);
    }

    #[test]
    fn g_counter_sums_actors_and_merges_by_max() {
        let mut x = GCounter::new();
        x.increment(a(1), 2);
        let mut y = x.clone();
        y.increment(a(1), 1);
        y.increment(a(2), 4);
        x.merge(&y);
        assert_eq!(x.value(), 7);
        assert_eq!(x.total_of(&a(1)), 3);
    }

    proptest! {
        #[test]
        fn pn_counter_laws(states in replicas(|c: &mut PnCounter, actor, step| {
            c.add(a(actor), step as i64 % 11 - 5);
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }

        #[test]
        fn g_counter_laws(states in replicas(|c: &mut GCounter, actor, step| {
            c.increment(a(actor), step % 7);
        })) {
            check_laws(&states[0], &states[1], &states[2])?;
        }
    }
}

//! Version vectors.

use std::collections::BTreeMap;

use crate::actor::ActorId;

/// How two versions relate causally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CausalOrder {
    /// The first happened before the second.
    Before,
    /// The first happened after the second.
    After,
    /// The same version.
    Equal,
    /// Neither includes the other.
    Concurrent,
}

/// For each actor, the highest sequence number seen (absent means none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionVector(BTreeMap<ActorId, u64>);

impl VersionVector {
    /// An empty vector.
    pub fn new() -> VersionVector {
        VersionVector::default()
    }

    /// The highest sequence number seen from `actor` (0: none).
    pub fn get(&self, actor: &ActorId) -> u64 {
        self.0.get(actor).copied().unwrap_or(0)
    }

    /// Sets `actor`'s entry (0 removes it).
    pub fn set(&mut self, actor: ActorId, seq: u64) {
        if seq == 0 {
            self.0.remove(&actor);
        } else {
            self.0.insert(actor, seq);
        }
    }

    /// Raises `actor`'s entry to at least `seq`.
    pub fn advance(&mut self, actor: ActorId, seq: u64) {
        if seq > self.get(&actor) {
            self.set(actor, seq);
        }
    }

    /// Whether `actor`'s change `seq` is included.
    pub fn includes(&self, actor: &ActorId, seq: u64) -> bool {
        seq <= self.get(actor)
    }

    /// How `self` relates to `other`.
    pub fn compare(&self, other: &VersionVector) -> CausalOrder {
        let mut less = false;
        let mut greater = false;
        for actor in self.0.keys().chain(other.0.keys()) {
            let (a, b) = (self.get(actor), other.get(actor));
            less |= a < b;
            greater |= a > b;
        }
        match (less, greater) {
            (false, false) => CausalOrder::Equal,
            (true, false) => CausalOrder::Before,
            (false, true) => CausalOrder::After,
            (true, true) => CausalOrder::Concurrent,
        }
    }

    /// Pointwise maximum.
    pub fn merge(&mut self, other: &VersionVector) {
        for (actor, &seq) in &other.0 {
            self.advance(*actor, seq);
        }
    }

    /// The element-wise minimum: what both versions hold (for causally closed versions,
    /// the common past).
    pub fn meet(&self, other: &VersionVector) -> VersionVector {
        let mut out = VersionVector::new();
        for (actor, seq) in self.iter() {
            let both = seq.min(other.get(actor));
            if both > 0 {
                out.set(*actor, both);
            }
        }
        out
    }

    /// Entries sorted by actor.
    pub fn iter(&self) -> impl Iterator<Item = (&ActorId, u64)> {
        self.0.iter().map(|(a, &s)| (a, s))
    }

    /// Number of actors with an entry.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no actor has an entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    fn vv(entries: &[(u8, u64)]) -> VersionVector {
        let mut v = VersionVector::new();
        for &(actor, seq) in entries {
            v.set(a(actor), seq);
        }
        v
    }

    #[test]
    fn compare_cases() {
        use CausalOrder::*;
        type Entries = &'static [(u8, u64)];
        let cases: [(Entries, Entries, CausalOrder); 7] = [
            (&[], &[], Equal),
            (&[(1, 2)], &[], After),
            (&[], &[(1, 2)], Before),
            (&[(1, 2), (2, 1)], &[(1, 2), (2, 1)], Equal),
            (&[(1, 1)], &[(1, 2), (2, 5)], Before),
            (&[(1, 2)], &[(2, 1)], Concurrent),
            (&[(1, 3), (2, 1)], &[(1, 2), (2, 4)], Concurrent),
        ];
        for (x, y, expected) in cases {
            assert_eq!(vv(x).compare(&vv(y)), expected, "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn merge_advance_and_includes() {
        let mut x = vv(&[(1, 2)]);
        let y = vv(&[(2, 1)]);
        assert_eq!(x.compare(&y), CausalOrder::Concurrent);
        x.merge(&y);
        assert_eq!(x.compare(&y), CausalOrder::After);
        assert!(x.includes(&a(2), 1) && !x.includes(&a(2), 2));
        assert!(x.includes(&a(9), 0), "sequence 0 is always included");
        x.advance(a(1), 1);
        assert_eq!(x.get(&a(1)), 2, "advance never lowers");
        x.advance(a(1), 5);
        assert_eq!(x.get(&a(1)), 5);
        let listed: Vec<_> = x.iter().map(|(actor, seq)| (*actor, seq)).collect();
        assert_eq!(listed, vec![(a(1), 5), (a(2), 1)], "sorted by actor");
        x.set(a(1), 0);
        assert_eq!(x.len(), 1, "zero entries are not stored");
        assert_eq!(x, vv(&[(2, 1)]), "so equality is structural");
        x.set(a(2), 0);
        assert!(x.is_empty());
    }

    fn arb_vv() -> impl Strategy<Value = VersionVector> {
        prop::collection::vec((0u8..4, 0u64..4), 0..6).prop_map(|entries| vv(&entries))
    }

    proptest! {
        #[test]
        fn compare_agrees_with_merge(x in arb_vv(), y in arb_vv()) {
            let mut joined = x.clone();
            joined.merge(&y);
            let expected = match (joined == y, joined == x) {
                (true, true) => CausalOrder::Equal,
                (true, false) => CausalOrder::Before,
                (false, true) => CausalOrder::After,
                (false, false) => CausalOrder::Concurrent,
            };
            prop_assert_eq!(x.compare(&y), expected);
            let flipped = match expected {
                CausalOrder::Before => CausalOrder::After,
                CausalOrder::After => CausalOrder::Before,
                other => other,
            };
            prop_assert_eq!(y.compare(&x), flipped);
        }

        #[test]
        fn merge_is_a_join(x in arb_vv(), y in arb_vv(), z in arb_vv()) {
            let merged = |p: &VersionVector, q: &VersionVector| {
                let mut out = p.clone();
                out.merge(q);
                out
            };
            prop_assert_eq!(merged(&x, &y), merged(&y, &x));
            prop_assert_eq!(merged(&merged(&x, &y), &z), merged(&x, &merged(&y, &z)));
            prop_assert_eq!(merged(&x, &x), x.clone());
        }
    }
}

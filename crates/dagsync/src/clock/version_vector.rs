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

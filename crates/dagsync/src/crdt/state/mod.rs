//! Standalone state-based CRDTs with `merge`, usable without a document.
//!
//! Each type's `merge` is commutative, associative and idempotent (tested with proptest by
//! one shared helper, `laws`), so replicas that exchange states in any order, any number of
//! times, converge.

mod counters;
mod registers;
mod sets;

#[cfg(test)]
mod laws;

pub use counters::{GCounter, PnCounter};
pub use registers::{LwwRegister, MvRegister};
pub use sets::{GSet, OrSet, TwoPSet};

/// A state-based CRDT: a join-semilattice whose `merge` is the least upper bound.
pub trait Crdt: Clone {
    /// Merges another replica's state into this one.
    fn merge(&mut self, other: &Self);
}

//! Standalone state-based CRDTs with `merge`, usable without a document.
//!
//! Each type's `merge` is commutative, associative and idempotent (tested with proptest by
//! one shared helper, `laws`), so replicas that exchange states in any order, any number of
//! times, converge. `merge` is the method of the [`Crdt`] trait, so bring it into scope:
//!
//! ```
//! use dagsync::crdt::state::{Crdt, PnCounter};
//! use dagsync::ActorId;
//!
//! let (a, b) = (ActorId([1; 32]), ActorId([2; 32]));
//! let mut on_a = PnCounter::new();
//! let mut on_b = PnCounter::new();
//! on_a.increment(a, 5);
//! on_b.increment(b, 3);
//! on_a.decrement(a, 2);
//! let snapshot = on_a.clone();
//! on_a.merge(&on_b);
//! on_b.merge(&snapshot);
//! assert_eq!((on_a.value(), on_b.value()), (6, 6));
//! ```

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

//! Lamport operation ids.

use std::fmt;

use crate::actor::ActorId;

/// The id of one operation: a Lamport counter and the author, ordered by `(counter, actor)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OpId {
    /// The Lamport counter.
    pub counter: u64,
    /// The author.
    pub actor: ActorId,
}

impl OpId {
    /// A new op id.
    pub fn new(counter: u64, actor: ActorId) -> OpId {
        OpId { counter, actor }
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.counter, &self.actor.to_hex()[..8])
    }
}

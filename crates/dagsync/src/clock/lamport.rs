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

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    #[test]
    fn ordered_by_counter_then_actor() {
        assert!(OpId::new(1, a(9)) < OpId::new(2, a(1)));
        assert!(OpId::new(2, a(1)) < OpId::new(2, a(2)));
        assert_eq!(
            OpId::new(2, a(1)),
            OpId {
                counter: 2,
                actor: a(1)
            }
        );
    }

    #[test]
    fn displays_counter_and_short_actor() {
        assert_eq!(OpId::new(3, a(0xab)).to_string(), "3@abababab");
        assert_eq!(OpId::new(0, a(0)).to_string(), "0@00000000");
    }
}

//! Compact, document-local operation ids: a Lamport counter and an interned actor index.

/// Index of an actor in a document's actor table (local to one replica; never sent as is).
pub(crate) type ActorIdx = u32;

/// The id of one operation inside a document: `(counter, actor)`, where the counter is the
/// document's Lamport clock. Converted to [`crate::clock::OpId`] at the API boundary.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub(crate) struct Id {
    pub(crate) counter: u64,
    pub(crate) actor: ActorIdx,
}

impl Id {
    /// The "no item" sentinel (document start for an origin-left, end for an origin-right).
    pub(crate) const NONE: Id = Id {
        counter: u64::MAX,
        actor: ActorIdx::MAX,
    };

    pub(crate) fn new(actor: ActorIdx, counter: u64) -> Id {
        Id { counter, actor }
    }

    pub(crate) fn is_none(self) -> bool {
        self.actor == ActorIdx::MAX
    }

    /// The id `n` operations later by the same actor.
    pub(crate) fn plus(self, n: u64) -> Id {
        Id {
            counter: self.counter + n,
            actor: self.actor,
        }
    }

    pub(crate) fn to_option(self) -> Option<Id> {
        (!self.is_none()).then_some(self)
    }
}

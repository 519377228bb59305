//! Hybrid logical clocks.

use crate::actor::ActorId;

/// A hybrid logical timestamp, ordered by `(millis, logical, actor)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Hlc {
    /// Physical time in milliseconds since the Unix epoch (as the clock saw it).
    pub millis: u64,
    /// Logical counter among timestamps with the same `millis`.
    pub logical: u32,
    /// The replica that issued it (breaks ties).
    pub actor: ActorId,
}

/// Issues monotonic hybrid logical timestamps for one replica. Physical time is always a
/// parameter: the core never reads a clock.
#[derive(Clone, Debug)]
pub struct HlcClock {
    actor: ActorId,
    last: Option<Hlc>,
}

impl HlcClock {
    /// A clock for `actor` that has issued nothing yet.
    pub fn new(actor: ActorId) -> HlcClock {
        HlcClock { actor, last: None }
    }

    /// The last timestamp issued or received.
    pub fn last(&self) -> Option<Hlc> {
        self.last
    }

    fn after(&self, floor_millis: u64, floor_logical: Option<u32>) -> Hlc {
        let (millis, logical) = match floor_logical {
            None => (floor_millis, 0),
            Some(u32::MAX) => (floor_millis.saturating_add(1), 0),
            Some(l) => (floor_millis, l + 1),
        };
        Hlc {
            millis,
            logical,
            actor: self.actor,
        }
    }

    /// A timestamp greater than every one issued or received so far.
    pub fn now(&mut self, physical_ms: u64) -> Hlc {
        let next = match self.last {
            Some(last) if last.millis >= physical_ms => self.after(last.millis, Some(last.logical)),
            _ => self.after(physical_ms, None),
        };
        self.last = Some(next);
        next
    }

    /// Advances past a received timestamp; returns a timestamp greater than it and than every
    /// earlier one.
    pub fn receive(&mut self, remote: Hlc, physical_ms: u64) -> Hlc {
        let top = match self.last {
            Some(last) if last >= remote => last,
            _ => remote,
        };
        let next = if physical_ms > top.millis {
            self.after(physical_ms, None)
        } else {
            self.after(top.millis, Some(top.logical))
        };
        self.last = Some(next);
        next
    }
}

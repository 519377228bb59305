//! Hybrid logical clocks.
//!
//! A timestamp is physical milliseconds, a logical counter and the issuing actor. A replica's
//! [`HlcClock`] issues timestamps strictly greater than every timestamp it has issued or
//! received, whatever the wall clock does: when physical time stands still or goes back, the
//! logical counter grows instead; when it moves forward past the last timestamp, the counter
//! resets to 0.
//!
//! # Clock skew policy
//!
//! Remote timestamps are never rejected, however far in the future they are: every replica
//! must accept every change to converge, and monotonicity matters more than accuracy. A
//! replica that receives a timestamp from a skewed-ahead peer adopts that peer's time and
//! keeps counting from it. [`HlcClock::MAX_DRIFT_MS`] and [`HlcClock::exceeds_drift`] are
//! advisory only, for embedders that want to warn about a peer's clock.
//!
//! At the very top of the range (`millis == u64::MAX` and `logical == u32::MAX`) the clock
//! saturates: it keeps returning that timestamp instead of wrapping around.

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
    /// How far ahead of local physical time (one minute) a remote timestamp may be before
    /// [`HlcClock::exceeds_drift`] reports it. Advisory: [`HlcClock::receive`] never rejects.
    pub const MAX_DRIFT_MS: u64 = 60_000;

    /// A clock for `actor` that has issued nothing yet.
    pub fn new(actor: ActorId) -> HlcClock {
        HlcClock { actor, last: None }
    }

    /// The last timestamp issued or received.
    pub fn last(&self) -> Option<Hlc> {
        self.last
    }

    /// Whether `remote` is more than [`HlcClock::MAX_DRIFT_MS`] ahead of `physical_ms`.
    pub fn exceeds_drift(remote: &Hlc, physical_ms: u64) -> bool {
        remote.millis.saturating_sub(physical_ms) > Self::MAX_DRIFT_MS
    }

    /// The smallest timestamp of this actor after `(millis, logical)`, or at `(millis, 0)`
    /// when `logical` is `None`.
    fn after(&self, millis: u64, logical: Option<u32>) -> Hlc {
        let (millis, logical) = match logical {
            None => (millis, 0),
            Some(u32::MAX) if millis == u64::MAX => (u64::MAX, u32::MAX),
            Some(u32::MAX) => (millis + 1, 0),
            Some(l) => (millis, l + 1),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    fn at(millis: u64, logical: u32, actor: u8) -> Hlc {
        Hlc {
            millis,
            logical,
            actor: a(actor),
        }
    }

    #[test]
    fn monotonic_when_the_wall_clock_goes_back() {
        let mut clock = HlcClock::new(a(1));
        assert_eq!(clock.last(), None);
        let t1 = clock.now(1_000);
        let t2 = clock.now(500);
        let t3 = clock.now(1_000);
        assert!(t1 < t2 && t2 < t3);
        assert_eq!((t2.millis, t2.logical), (1_000, 1));
        assert_eq!((t3.millis, t3.logical), (1_000, 2));
        let t4 = clock.now(2_000);
        assert_eq!((t4.millis, t4.logical), (2_000, 0), "counter resets");
        assert_eq!(clock.last(), Some(t4));
    }

    #[test]
    fn advances_past_a_skewed_ahead_remote() {
        let mut clock = HlcClock::new(a(1));
        clock.now(1_000);
        let remote = at(9_000_000, 3, 2);
        assert!(HlcClock::exceeds_drift(&remote, 1_000), "advisory only");
        let local = clock.receive(remote, 1_000);
        assert!(local > remote, "never rejected, adopted");
        assert_eq!(
            (local.millis, local.logical, local.actor),
            (9_000_000, 4, a(1))
        );
        let next = clock.now(1_001);
        assert!(next > local, "stays ahead after receiving");
    }

    #[test]
    fn receive_from_a_remote_behind_keeps_local_time() {
        let mut clock = HlcClock::new(a(1));
        let t1 = clock.now(5_000);
        let got = clock.receive(at(100, 9, 2), 5_000);
        assert!(got > t1);
        assert_eq!((got.millis, got.logical), (5_000, 1));
        assert!(!HlcClock::exceeds_drift(&at(100, 0, 2), 5_000));
        let fresh = clock.receive(at(100, 9, 2), 6_000);
        assert_eq!(
            (fresh.millis, fresh.logical),
            (6_000, 0),
            "physical time ahead of both"
        );
    }

    #[test]
    fn logical_overflow_moves_to_the_next_millisecond() {
        let mut clock = HlcClock::new(a(1));
        let next = clock.receive(at(5, u32::MAX, 2), 0);
        assert_eq!((next.millis, next.logical), (6, 0));
        assert!(next > at(5, u32::MAX, 2));
        let mut own = HlcClock::new(a(1));
        own.receive(at(7, u32::MAX - 2, 2), 0);
        let last = own.now(0);
        assert_eq!((last.millis, last.logical), (7, u32::MAX));
        let wrapped = own.now(0);
        assert_eq!((wrapped.millis, wrapped.logical), (8, 0));
    }

    #[test]
    fn saturates_at_the_top_of_the_range() {
        let mut clock = HlcClock::new(a(1));
        let top = clock.receive(at(u64::MAX, u32::MAX, 2), 0);
        assert_eq!((top.millis, top.logical), (u64::MAX, u32::MAX));
        let again = clock.now(u64::MAX);
        assert!(again >= top, "never goes back");
    }

    proptest! {
        #[test]
        fn strictly_increasing_over_any_schedule(
            events in prop::collection::vec(
                (any::<bool>(), 0u64..10_000, 0u64..10_000, 0u32..4, 2u8..5),
                1..60,
            )
        ) {
            let mut clock = HlcClock::new(a(1));
            let mut prev: Option<Hlc> = None;
            for (is_receive, physical, remote_ms, remote_logical, remote_actor) in events {
                let t = if is_receive {
                    let remote = at(remote_ms, remote_logical, remote_actor);
                    let t = clock.receive(remote, physical);
                    prop_assert!(t > remote);
                    t
                } else {
                    clock.now(physical)
                };
                prop_assert!(prev.is_none_or(|p| t > p));
                prop_assert!(t.millis >= physical, "never behind physical time");
                prop_assert_eq!(clock.last(), Some(t));
                prev = Some(t);
            }
        }
    }
}

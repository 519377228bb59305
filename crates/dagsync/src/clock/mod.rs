//! Clocks: Lamport operation ids, version vectors, hybrid logical clocks.

mod hlc;
mod lamport;
mod version_vector;

pub use hlc::{Hlc, HlcClock};
pub use lamport::OpId;
pub use version_vector::{CausalOrder, VersionVector};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::ActorId;

    fn a(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    #[test]
    fn version_vectors_compare_and_merge() {
        let mut x = VersionVector::new();
        let mut y = VersionVector::new();
        assert_eq!(x.compare(&y), CausalOrder::Equal);
        x.set(a(1), 2);
        assert_eq!(x.compare(&y), CausalOrder::After);
        assert_eq!(y.compare(&x), CausalOrder::Before);
        y.set(a(2), 1);
        assert_eq!(x.compare(&y), CausalOrder::Concurrent);
        x.merge(&y);
        assert_eq!(x.compare(&y), CausalOrder::After);
        assert!(x.includes(&a(2), 1) && !x.includes(&a(2), 2));
        x.set(a(1), 0);
        assert_eq!(x.len(), 1, "zero entries are not stored");
    }

    #[test]
    fn hlc_is_monotonic_when_the_wall_clock_goes_back() {
        let mut clock = HlcClock::new(a(1));
        let t1 = clock.now(1_000);
        let t2 = clock.now(500);
        let t3 = clock.now(1_000);
        assert!(t1 < t2 && t2 < t3);
        assert_eq!(t2.millis, 1_000);
        let t4 = clock.now(2_000);
        assert_eq!((t4.millis, t4.logical), (2_000, 0));
    }

    #[test]
    fn hlc_advances_past_a_skewed_remote() {
        let mut clock = HlcClock::new(a(1));
        let remote = Hlc {
            millis: 9_000_000,
            logical: 3,
            actor: a(2),
        };
        let local = clock.receive(remote, 1_000);
        assert!(local > remote);
        assert!(clock.now(1_001) > local, "stays ahead after receiving");
    }

    #[test]
    fn hlc_logical_overflow_moves_to_the_next_millisecond() {
        let mut clock = HlcClock::new(a(1));
        let remote = Hlc {
            millis: 5,
            logical: u32::MAX,
            actor: a(2),
        };
        let next = clock.receive(remote, 0);
        assert_eq!((next.millis, next.logical), (6, 0));
        assert!(next > remote);
    }

    #[test]
    fn op_ids_order_by_counter_then_actor() {
        assert!(OpId::new(1, a(9)) < OpId::new(2, a(1)));
        assert!(OpId::new(2, a(1)) < OpId::new(2, a(2)));
        assert_eq!(OpId::new(3, a(0xab)).to_string(), "3@abababab");
    }
}

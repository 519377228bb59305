//! Clocks: Lamport operation ids, version vectors, hybrid logical clocks.

mod hlc;
mod lamport;
mod version_vector;

pub use hlc::{Hlc, HlcClock};
pub use lamport::OpId;
pub use version_vector::{CausalOrder, VersionVector};

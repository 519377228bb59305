//! The signature slot of a change.

use std::fmt;

/// An ed25519 signature (64 bytes) by a change's author over the change's hash. The slot
/// exists in every change and in every format; signing and checking come with write
/// permissions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = crate::hex::encode(&self.0[..6]);
        write!(f, "Signature({hex}…)")
    }
}

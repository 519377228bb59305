//! Actor identities.

use std::fmt;
use std::str::FromStr;

/// The identity of a writer: 32 bytes (an ed25519 public key once signing lands).
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct ActorId(pub [u8; 32]);

impl PartialEq for ActorId {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        crate::bytes32::eq32(&self.0, &other.0)
    }
}

/// Hashes the bytes, as derived (`PartialEq` is written out only to compare by words).
impl std::hash::Hash for ActorId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl ActorId {
    /// Length of an actor id in bytes.
    pub const LEN: usize = 32;

    /// Lower-case hex encoding (64 characters).
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }
}

/// Why a string is not a valid hex actor id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseActorError {
    /// The string does not have exactly 64 characters.
    #[error("an actor id is 64 hex characters, got {0}")]
    Length(usize),
    /// A character is not a hex digit.
    #[error("an actor id contains a non-hex character")]
    NotHex,
}

impl FromStr for ActorId {
    type Err = ParseActorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != Self::LEN * 2 {
            return Err(ParseActorError::Length(s.chars().count()));
        }
        let mut out = [0u8; Self::LEN];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *slot = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(ActorId(out))
    }
}

fn hex_value(c: u8) -> Result<u8, ParseActorError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(ParseActorError::NotHex),
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorId({})", &self.to_hex()[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let actor = ActorId(core::array::from_fn(|i| (i * 37) as u8));
        let hex = actor.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(hex.parse::<ActorId>(), Ok(actor));
        assert_eq!(hex.to_uppercase().parse::<ActorId>(), Ok(actor));
    }

    #[test]
    fn bad_hex_is_rejected() {
        assert_eq!("abc".parse::<ActorId>(), Err(ParseActorError::Length(3)));
        let bad = "g".repeat(64);
        assert_eq!(bad.parse::<ActorId>(), Err(ParseActorError::NotHex));
        // Multi-byte characters must not be split into "hex pairs".
        let wide = "é".repeat(32);
        assert!(wide.parse::<ActorId>().is_err());
    }
}

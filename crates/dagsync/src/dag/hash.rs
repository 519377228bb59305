//! Change hashes.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::doc::Change;
use crate::encoding::canonical_change;

/// The id of a change: SHA-256 of its canonical encoding (which includes its dependencies'
/// hashes, making the history a Merkle-DAG).
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct ChangeHash(pub [u8; 32]);

impl PartialEq for ChangeHash {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        crate::bytes32::eq32(&self.0, &other.0)
    }
}

/// A SHA-256 output is uniformly distributed already: its first 8 bytes are as good a hash
/// key as all 32, at a quarter of the hashing (maps keyed by change hashes are on every
/// path that applies changes). Maps that must resist crafted keys still key their hasher.
impl std::hash::Hash for ChangeHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

impl ChangeHash {
    /// Lower-case hex (64 characters).
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    /// [`ChangeHash::to_hex`] as 64 ASCII bytes, without allocating.
    pub fn hex_digits(&self) -> [u8; 64] {
        crate::hex::encode32(&self.0)
    }
}

impl fmt::Display for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeHash({})", &self.to_hex()[..12])
    }
}

/// Why a string is not a change hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a change hash is 64 hex characters")]
pub struct ParseHashError;

impl FromStr for ChangeHash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(ParseHashError);
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16).ok_or(ParseHashError);
            *slot = (digit(pair[0])? << 4 | digit(pair[1])?) as u8;
        }
        Ok(ChangeHash(out))
    }
}

/// The hash of a change: SHA-256 over a domain tag and its canonical encoding.
pub(crate) fn hash_change(change: &Change) -> ChangeHash {
    hash_canonical(&canonical_change(change))
}

/// The hash of a change given its canonical encoding ([`canonical_change`]).
pub(crate) fn hash_canonical(canonical: &[u8]) -> ChangeHash {
    let mut hasher = Sha256::new();
    hasher.update(b"dagsync change v1\0");
    hasher.update(canonical);
    ChangeHash(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let hash = ChangeHash(core::array::from_fn(|i| (i * 7) as u8));
        assert_eq!(hash.to_hex().parse::<ChangeHash>(), Ok(hash));
        assert!("zz".parse::<ChangeHash>().is_err());
        assert!("é".repeat(32).parse::<ChangeHash>().is_err());
    }
}

/// Hashing for maps keyed by change hashes: multiply-shift universal hashing of the hash's
/// first 8 bytes with a random odd multiplier per map. A SHA-256 output needs no mixing, so a
/// key costs one multiplication instead of a SipHash; and as the multiplier is secret, keys
/// chosen by a peer collide no more often than by chance (the reason maps of untrusted keys
/// are keyed at all).
#[derive(Clone, Debug)]
pub(crate) struct ChangeHashState {
    multiplier: u64,
}

impl Default for ChangeHashState {
    fn default() -> Self {
        thread_local! {
            // A secret seed per thread, from the process's random hash keys.
            static SEED: std::cell::Cell<u64> = std::cell::Cell::new({
                use std::hash::BuildHasher;
                std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64)
            });
        }
        // Each map its own multiplier: the seed advanced, through SplitMix64's finalizer
        // (maps are made on every batch: a SipHash each would show).
        let mut z = SEED.with(|seed| {
            let next = seed.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            seed.set(next);
            next
        });
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ChangeHashState {
            multiplier: (z ^ (z >> 31)) | 1,
        }
    }
}

impl std::hash::BuildHasher for ChangeHashState {
    type Hasher = ChangeHasher;

    fn build_hasher(&self) -> ChangeHasher {
        ChangeHasher {
            multiplier: self.multiplier,
            value: 0,
        }
    }
}

/// The hasher of [`ChangeHashState`].
#[derive(Debug)]
pub(crate) struct ChangeHasher {
    multiplier: u64,
    value: u64,
}

impl std::hash::Hasher for ChangeHasher {
    fn write_u64(&mut self, n: u64) {
        self.value = self.value.rotate_left(5) ^ n;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `ChangeHash` keys are hashed here, and they write one u64; anything else
        // still hashes, byte by byte.
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn finish(&self) -> u64 {
        // The high bits of the product are the well-mixed ones: the table indexes by the low.
        self.value.wrapping_mul(self.multiplier).swap_bytes()
    }
}

/// A map keyed by change hashes (see [`ChangeHashState`]).
pub(crate) type ChangeMap<V> = std::collections::HashMap<ChangeHash, V, ChangeHashState>;

/// A set of change hashes (see [`ChangeHashState`]).
pub(crate) type ChangeSet = std::collections::HashSet<ChangeHash, ChangeHashState>;

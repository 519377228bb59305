//! A Bloom filter of change hashes keyed with a random salt: 10 bits per entry and 7 probes
//! (about 1 % false positives), with probe positions derived from `SHA-256(salt ‖ hash)`, so
//! nobody who does not know the salt can choose changes that collide in it.

use sha2::{Digest, Sha256};

use crate::dag::ChangeHash;

/// Bits per entry.
const BITS_PER_ENTRY: usize = 10;
/// Probes per entry.
const PROBES: u64 = 7;
/// Bytes of the salt.
pub const SALT_LEN: usize = 16;

/// A salted Bloom filter of change hashes, as sent in sync messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BloomFilter {
    salt: [u8; SALT_LEN],
    entries: u32,
    bits: Vec<u8>,
}

/// Number of bytes of a filter sized for `entries` entries.
pub(crate) fn byte_len(entries: usize) -> usize {
    (entries * BITS_PER_ENTRY).div_ceil(8)
}

impl BloomFilter {
    /// A filter holding `hashes`, keyed with `salt`.
    pub fn new<'a>(
        salt: [u8; SALT_LEN],
        hashes: impl ExactSizeIterator<Item = &'a ChangeHash>,
    ) -> BloomFilter {
        let entries = hashes.len();
        let mut filter = BloomFilter {
            salt,
            entries: u32::try_from(entries).unwrap_or(u32::MAX),
            bits: vec![0; byte_len(entries)],
        };
        for hash in hashes {
            filter.insert(hash);
        }
        filter
    }

    /// A filter from its parts as decoded; `bits` must be [`byte_len`]`(entries)` long.
    pub(crate) fn from_parts(salt: [u8; SALT_LEN], entries: u32, bits: Vec<u8>) -> BloomFilter {
        BloomFilter {
            salt,
            entries,
            bits,
        }
    }

    /// The salt the probes are keyed with.
    pub fn salt(&self) -> [u8; SALT_LEN] {
        self.salt
    }

    /// How many entries the filter was sized for.
    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// The filter's bit array.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    fn probes(&self, hash: &ChangeHash) -> impl Iterator<Item = usize> {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(hash.0);
        let digest: [u8; 32] = hasher.finalize().into();
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&digest[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let (a, b) = (word(0), word(1) | 1);
        let bits = (self.bits.len() * 8) as u64;
        (0..PROBES).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) % bits.max(1)) as usize)
    }

    fn insert(&mut self, hash: &ChangeHash) {
        if self.bits.is_empty() {
            return;
        }
        let probes: Vec<usize> = self.probes(hash).collect();
        for bit in probes {
            self.bits[bit / 8] |= 1 << (bit % 8);
        }
    }

    /// Whether `hash` may be in the filter (false positives: about 1 %; no false negatives).
    pub fn contains(&self, hash: &ChangeHash) -> bool {
        if self.bits.is_empty() {
            return false;
        }
        self.probes(hash)
            .all(|bit| self.bits[bit / 8] & (1 << (bit % 8)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(i: u32) -> ChangeHash {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&i.to_le_bytes());
        ChangeHash(Sha256::digest(h).into())
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let inside: Vec<ChangeHash> = (0..10_000).map(hash).collect();
        let filter = BloomFilter::new([7; SALT_LEN], inside.iter());
        assert!(inside.iter().all(|h| filter.contains(h)));
        let false_positives = (10_000..30_000)
            .filter(|&i| filter.contains(&hash(i)))
            .count();
        // 10 bits and 7 probes per entry: about 0.8 %.
        assert!(false_positives < 20_000 / 50, "{false_positives}");
    }

    #[test]
    fn the_salt_changes_which_hashes_collide() {
        let inside: Vec<ChangeHash> = (0..1_000).map(hash).collect();
        let a = BloomFilter::new([1; SALT_LEN], inside.iter());
        let b = BloomFilter::new([2; SALT_LEN], inside.iter());
        let hits_a: Vec<u32> = (1_000..50_000).filter(|&i| a.contains(&hash(i))).collect();
        let both = hits_a.iter().filter(|&&i| b.contains(&hash(i))).count();
        assert!(!hits_a.is_empty());
        assert!(both * 20 < hits_a.len(), "{both} of {}", hits_a.len());
    }

    #[test]
    fn an_empty_filter_contains_nothing() {
        let filter = BloomFilter::new([0; SALT_LEN], [].iter());
        assert!(!filter.contains(&hash(1)));
        assert_eq!(filter.bits().len(), 0);
    }
}

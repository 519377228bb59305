//! Comparing 32-byte ids (actor ids, change hashes) as four words.
//!
//! `[u8; 32] == [u8; 32]` compiles to a call of `memcmp`, which on wasm32 is a byte-by-byte
//! loop (no libc): hash-map lookups keyed by these ids (about 35 per change when loading a
//! history) spent a fifth of loading a keystroke history in it. Four 8-byte words give the
//! same answer.

/// `a == b`, word by word: the differences of the four words ORed together, so that LLVM does
/// not merge the comparisons back into a `memcmp` call.
#[inline(always)]
pub(crate) fn eq32(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let [a0, a1, a2, a3] = words(a);
    let [b0, b1, b2, b3] = words(b);
    ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) == 0
}

#[inline(always)]
fn words(x: &[u8; 32]) -> [u64; 4] {
    let word = |i: usize| {
        u64::from_ne_bytes([
            x[i],
            x[i + 1],
            x[i + 2],
            x[i + 3],
            x[i + 4],
            x[i + 5],
            x[i + 6],
            x[i + 7],
        ])
    };
    [word(0), word(8), word(16), word(24)]
}

#[cfg(test)]
mod tests {
    use super::eq32;

    #[test]
    fn equal_exactly_when_every_byte_is() {
        let a = [7u8; 32];
        assert!(eq32(&a, &a));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 1;
            assert!(!eq32(&a, &b), "byte {i}");
        }
    }
}

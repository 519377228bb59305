//! Lower-case hex, written with a table (formatting each byte with `format!` allocates a
//! string per byte; the JS API returns a change hash as hex on every `commit()`).

/// The two hex digits of `byte`.
fn digits(byte: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [
        DIGITS[usize::from(byte >> 4)],
        DIGITS[usize::from(byte & 0xf)],
    ]
}

/// `bytes` as lower-case hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.extend_from_slice(&digits(byte));
    }
    // Hex digits are ASCII, so this never fails (and is cheaper than pushing `char`s).
    String::from_utf8(out).unwrap_or_default()
}

/// 32 bytes as 64 lower-case hex digits (ASCII), without allocating.
pub(crate) fn encode32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&digits(byte));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::encode(&all), expected);
        for chunk in all.chunks_exact(32) {
            let digits = super::encode32(chunk.try_into().unwrap());
            assert_eq!(digits.as_slice(), super::encode(chunk).as_bytes());
        }
    }
}

//! Primitive readers and writers: LEB128 varints, length-prefixed strings, fixed arrays.

use crate::error::{DecodeError, Result};

/// Appends primitives to a byte buffer.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// Unsigned LEB128.
    pub(crate) fn varint(&mut self, mut value: u64) {
        loop {
            let low = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.buf.push(low);
                return;
            }
            self.buf.push(low | 0x80);
        }
    }

    pub(crate) fn len(&mut self, len: usize) {
        self.varint(len as u64);
    }

    /// Writes these bytes to `w` as length and bytes, and empties this writer (keeping its
    /// buffer).
    pub(crate) fn drain_into(&mut self, w: &mut Writer) {
        w.len(self.buf.len());
        w.bytes(&self.buf);
        self.buf.clear();
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes(s.as_bytes());
    }
}

/// Reads primitives from untrusted bytes; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { input, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.input.len(),
            });
        }
        let out = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// Unsigned LEB128, at most 10 bytes, rejecting overflow and over-long zero padding.
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..10 {
            let byte = self.u8()?;
            let payload = u64::from(byte & 0x7f);
            if i == 9 && payload > 1 {
                return Err(DecodeError::BadVarint { offset: start });
            }
            value |= payload << (7 * i);
            if byte & 0x80 == 0 {
                if byte == 0 && i > 0 {
                    return Err(DecodeError::BadVarint { offset: start });
                }
                return Ok(value);
            }
        }
        Err(DecodeError::BadVarint { offset: start })
    }

    /// A length or count, checked against what the remaining input could hold when each
    /// element takes at least `min_element_size` bytes. This bounds every allocation by the
    /// input size.
    pub(crate) fn len(&mut self, min_element_size: usize) -> Result<usize> {
        let offset = self.pos;
        let len = self.varint()?;
        let fits = usize::try_from(len)
            .ok()
            .filter(|&n| n.saturating_mul(min_element_size.max(1)) <= self.remaining());
        fits.ok_or(DecodeError::LengthOutOfBounds { len, offset })
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        let len = self.len(1)?;
        let offset = self.pos;
        let raw = self.bytes(len)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| DecodeError::InvalidUtf8 { offset })
    }

    pub(crate) fn finish(self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varint_round_trips(value: u64) {
            let mut w = Writer::default();
            w.varint(value);
            let mut r = Reader::new(&w.buf);
            prop_assert_eq!(r.varint().unwrap(), value);
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn string_round_trips(s in ".*") {
            let mut w = Writer::default();
            w.str(&s);
            let mut r = Reader::new(&w.buf);
            prop_assert_eq!(r.string().unwrap(), s);
        }

        #[test]
        fn reader_never_panics(bytes: Vec<u8>) {
            let mut r = Reader::new(&bytes);
            let _ = r.varint();
            let _ = r.string();
            let _ = r.len(8);
        }
    }

    #[test]
    fn rejects_overflowing_and_overlong_varints() {
        let overflow = [0xff; 10];
        assert!(matches!(
            Reader::new(&overflow).varint(),
            Err(DecodeError::BadVarint { offset: 0 })
        ));
        // Ten bytes whose last one carries more than the 64th bit.
        let mut too_big = [0x80; 10];
        too_big[9] = 0x02;
        assert!(Reader::new(&too_big).varint().is_err());
        // Non-canonical padding: 0x80 0x00 encodes zero in two bytes.
        assert!(Reader::new(&[0x80, 0x00]).varint().is_err());
        assert_eq!(
            Reader::new(&[0x80]).varint(),
            Err(DecodeError::Truncated { offset: 1 })
        );
    }

    #[test]
    fn lengths_are_bounded_by_remaining_input() {
        let mut w = Writer::default();
        w.varint(u64::MAX);
        assert!(matches!(
            Reader::new(&w.buf).len(1),
            Err(DecodeError::LengthOutOfBounds { .. })
        ));
        let mut w = Writer::default();
        w.varint(3);
        w.bytes(&[0; 5]);
        // Three 1-byte elements fit in the 5 remaining bytes; three 2-byte elements would not.
        assert_eq!(Reader::new(&w.buf).len(1).unwrap(), 3);
        assert!(Reader::new(&w.buf).len(2).is_err());
    }
}

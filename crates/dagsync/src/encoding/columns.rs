//! Columns: one field of many records stored together, as plain LEB128 varints or run-length
//! encoded, so that similar values sit side by side (and compress well).

use super::bytes::{Reader, Writer};
use crate::error::{DecodeError, Result};

/// Maps a signed integer to an unsigned one with small magnitudes staying small.
pub(crate) fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag`].
pub(crate) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Writes a run-length encoded column of unsigned integers: pairs `(run length, value)`.
#[derive(Default)]
pub(crate) struct RleWriter {
    out: Writer,
    value: u64,
    run: u64,
}

impl RleWriter {
    pub(crate) fn push(&mut self, value: u64) {
        if self.run > 0 && value == self.value {
            self.run += 1;
            return;
        }
        self.flush();
        self.value = value;
        self.run = 1;
    }

    fn flush(&mut self) {
        if self.run > 0 {
            self.out.varint(self.run);
            self.out.varint(self.value);
        }
    }

    /// The encoded column.
    #[cfg(test)]
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.flush();
        self.out.buf
    }

    /// Writes the encoded column to `w` as length and bytes, and empties the writer for the
    /// next batch (keeping its buffer).
    pub(crate) fn drain_into(&mut self, w: &mut Writer) {
        self.flush();
        self.out.drain_into(w);
        self.run = 0;
        self.value = 0;
    }

    /// Bytes written so far (before the pending run).
    pub(crate) fn written(&self) -> usize {
        self.out.buf.len()
    }
}

/// Reads what [`RleWriter`] wrote. A run may not be empty and two adjacent runs may not hold
/// the same value (the encoding is canonical).
pub(crate) struct RleReader<'a> {
    input: Reader<'a>,
    value: u64,
    left: u64,
    started: bool,
}

impl<'a> RleReader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        RleReader {
            input: Reader::new(input),
            value: 0,
            left: 0,
            started: false,
        }
    }

    pub(crate) fn next(&mut self) -> Result<u64> {
        if self.left == 0 {
            let run = self.input.varint()?;
            let value = self.input.varint()?;
            if run == 0 || (self.started && value == self.value) {
                return Err(DecodeError::NotCanonical);
            }
            self.started = true;
            self.value = value;
            self.left = run;
        }
        self.left -= 1;
        Ok(self.value)
    }

    /// Every value was read.
    pub(crate) fn finish(self) -> Result<()> {
        if self.left != 0 {
            return Err(DecodeError::TrailingBytes(self.left as usize));
        }
        self.input.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn rle_round_trips(values in proptest::collection::vec(0u64..4, 0..200)) {
            let mut w = RleWriter::default();
            for &v in &values {
                w.push(v);
            }
            let bytes = w.finish();
            let mut r = RleReader::new(&bytes);
            for &v in &values {
                prop_assert_eq!(r.next().unwrap(), v);
            }
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn zigzag_round_trips(v: i64) {
            prop_assert_eq!(unzigzag(zigzag(v)), v);
        }
    }

    #[test]
    fn rle_rejects_empty_and_split_runs() {
        assert_eq!(
            RleReader::new(&[0, 5]).next(),
            Err(DecodeError::NotCanonical)
        );
        let mut r = RleReader::new(&[1, 5, 1, 5]);
        assert_eq!(r.next(), Ok(5));
        assert_eq!(r.next(), Err(DecodeError::NotCanonical));
        let mut r = RleReader::new(&[2, 5]);
        assert_eq!(r.next(), Ok(5));
        assert!(r.finish().is_err());
    }
}

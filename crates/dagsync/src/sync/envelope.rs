//! The frame both sync formats share: 4 magic bytes, a version byte, the body, and a CRC-32
//! (little-endian) of everything before it.

use crate::encoding::{Reader, Writer};
use crate::error::DecodeError;

const CHECKSUM_LEN: usize = 4;

/// A writer with `magic` and `version` written; fill in the body, then [`close`].
pub(super) fn open_writer(magic: &[u8; 4], version: u8) -> Writer {
    let mut w = Writer::default();
    w.bytes(magic);
    w.u8(version);
    w
}

/// The bytes of `w` with their checksum appended.
pub(super) fn close(mut w: Writer) -> Vec<u8> {
    let checksum = crate::checksum::crc32(&w.buf);
    w.bytes(&checksum.to_le_bytes());
    w.buf
}

/// A reader of the body of `bytes`, after checking the magic, the checksum and the version.
pub(super) fn open_reader<'a>(
    bytes: &'a [u8],
    magic: &[u8; 4],
    version: u8,
) -> Result<Reader<'a>, DecodeError> {
    if bytes.len() < magic.len() || bytes[..magic.len()] != magic[..] {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < magic.len() + 1 + CHECKSUM_LEN {
        return Err(DecodeError::Truncated {
            offset: bytes.len(),
        });
    }
    let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if crate::checksum::crc32(content).to_le_bytes() != checksum {
        return Err(DecodeError::ChecksumMismatch);
    }
    let mut r = Reader::new(&content[magic.len()..]);
    let found = r.u8()?;
    if found != version {
        return Err(DecodeError::UnsupportedVersion(found));
    }
    Ok(r)
}

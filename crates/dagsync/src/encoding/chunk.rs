//! The frame around every encoded chunk: magic, version, type, payload, CRC-32.

use super::bytes::{Reader, Writer};
use super::change::{read_changes, write_changes};
use crate::doc::Change;
use crate::error::{DecodeError, Result};

/// Magic bytes that start every dagsync chunk.
const MAGIC: [u8; 4] = *b"DAGS";
/// The format version this build writes and reads.
const VERSION: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 2;
const CHECKSUM_LEN: usize = 4;

/// What a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkType {
    /// A whole document: every change of its history.
    Document = 0x02,
    /// Some changes (an export).
    Changes = 0x03,
}

/// Frames `changes` as a chunk of type `kind`.
pub(crate) fn encode_chunk(kind: ChunkType, changes: &[Change]) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(&MAGIC);
    w.u8(VERSION);
    w.u8(kind as u8);
    write_changes(&mut w, changes);
    let checksum = crc32fast::hash(&w.buf);
    w.bytes(&checksum.to_le_bytes());
    w.buf
}

/// Checks the frame and decodes the changes of a chunk of type `kind`.
pub(crate) fn decode_chunk(bytes: &[u8], kind: ChunkType) -> Result<Vec<Change>> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(DecodeError::Truncated {
            offset: bytes.len(),
        });
    }
    let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if crc32fast::hash(content).to_le_bytes() != checksum {
        return Err(DecodeError::ChecksumMismatch);
    }
    match (content[4], content[5]) {
        (VERSION, t) if t == kind as u8 => {
            let mut r = Reader::new(&content[HEADER_LEN..]);
            let changes = read_changes(&mut r)?;
            r.finish()?;
            Ok(changes)
        }
        (VERSION, other) => Err(DecodeError::WrongChunkType(other)),
        (version, _) => Err(DecodeError::UnsupportedVersion(version)),
    }
}

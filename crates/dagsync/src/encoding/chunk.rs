//! The frame around every encoded chunk: magic, version, type, (compressed) body, CRC-32.

use super::bytes::{Reader, Writer};
use super::change::{read_batch, write_batch, Batch};
use crate::dag::ChangeHash;
use crate::doc::Change;
use crate::error::{DecodeError, Result};

/// Magic bytes that start every dagsync chunk.
const MAGIC: [u8; 4] = *b"DAGS";
/// The format version this build writes and reads.
const VERSION: u8 = 3;
const HEADER_LEN: usize = MAGIC.len() + 2;
const CHECKSUM_LEN: usize = 4;
/// Bodies smaller than this are stored uncompressed.
const COMPRESS_MIN: usize = 512;
/// A compressed body may expand to at most this many times its size plus [`EXPANSION_SLACK`],
/// or to [`EXPANSION_FLOOR`] whatever its size: decoding never allocates more than a small
/// multiple of its input or a mebibyte. The encoder stores bodies that compress better than
/// this uncompressed. (Without the floor, small documents whose columns compress very well,
/// such as a run of appends, were stored raw: 78 KB for 6,000 typed characters.)
const MAX_EXPANSION: usize = 16;
const EXPANSION_SLACK: usize = 1024;
const EXPANSION_FLOOR: usize = 1 << 20;

/// The largest body a compressed body of `compressed` bytes may declare.
fn expansion_limit(compressed: usize) -> usize {
    (compressed.saturating_mul(MAX_EXPANSION) + EXPANSION_SLACK).max(EXPANSION_FLOOR)
}
/// Deflate level: 3 costs 2.6 % more bytes than zlib's default 6 on automerge-paper and
/// encodes 30 % faster.
const DEFLATE_LEVEL: u8 = 3;

/// What a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkType {
    /// One change.
    Change = 0x01,
    /// A whole document: every change of its history.
    Document = 0x02,
    /// Some changes (an export).
    Changes = 0x03,
}

/// How the body is stored.
const STORED: u8 = 0;
const DEFLATE: u8 = 1;

/// Frames `changes` (with their hashes, same order, causal order) as a chunk of type `kind`.
pub(crate) fn encode_chunk(kind: ChunkType, changes: &[Change], hashes: &[ChangeHash]) -> Vec<u8> {
    frame_body(kind, &write_batch(changes, Some(hashes)))
}

/// Frames the change batch body `write` appends to its argument as a chunk of type `kind`:
/// in place when the body is stored uncompressed (short), so it is not copied. `None` if
/// `write` returns `None`.
pub(crate) fn frame_with(
    kind: ChunkType,
    write: impl FnOnce(&mut Vec<u8>) -> Option<()>,
) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(&MAGIC);
    buf.extend_from_slice(&[VERSION, kind as u8, STORED]);
    write(&mut buf)?;
    if buf.len() - (HEADER_LEN + 1) >= COMPRESS_MIN {
        return Some(frame_body(kind, &buf[HEADER_LEN + 1..]));
    }
    let checksum = crate::checksum::crc32(&buf);
    buf.extend_from_slice(&checksum.to_le_bytes());
    Some(buf)
}

/// Frames a change batch body (see `write_batch`) as a chunk of type `kind`.
pub(crate) fn frame_body(kind: ChunkType, body: &[u8]) -> Vec<u8> {
    let mut w = Writer {
        buf: Vec::with_capacity(HEADER_LEN + 1 + body.len() + CHECKSUM_LEN),
    };
    w.bytes(&MAGIC);
    w.u8(VERSION);
    w.u8(kind as u8);
    let compressed = (body.len() >= COMPRESS_MIN)
        .then(|| miniz_oxide::deflate::compress_to_vec(body, DEFLATE_LEVEL))
        .filter(|c| c.len() + 8 < body.len() && body.len() <= expansion_limit(c.len()));
    match compressed {
        Some(c) => {
            w.u8(DEFLATE);
            w.len(body.len());
            w.bytes(&c);
        }
        None => {
            w.u8(STORED);
            w.bytes(body);
        }
    }
    let checksum = crate::checksum::crc32(&w.buf);
    w.bytes(&checksum.to_le_bytes());
    w.buf
}

/// Checks the frame and decodes the changes of a chunk of type `kind`, verifying the hashes
/// the chunk claims.
pub(crate) fn decode_chunk(bytes: &[u8], kind: ChunkType) -> Result<Batch> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < HEADER_LEN + 1 + CHECKSUM_LEN {
        return Err(DecodeError::Truncated {
            offset: bytes.len(),
        });
    }
    let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if crate::checksum::crc32(content).to_le_bytes() != checksum {
        return Err(DecodeError::ChecksumMismatch);
    }
    match (content[4], content[5]) {
        (VERSION, t) if t == kind as u8 => {}
        (VERSION, other) => return Err(DecodeError::WrongChunkType(other)),
        (version, _) => return Err(DecodeError::UnsupportedVersion(version)),
    }
    let mut r = Reader::new(&content[HEADER_LEN..]);
    let offset = r.offset() + HEADER_LEN;
    match r.u8()? {
        STORED => {
            let body = r.bytes(r.remaining())?;
            read_batch(body)
        }
        DEFLATE => {
            let len_offset = r.offset() + HEADER_LEN;
            let raw_len = r.varint()?;
            let data = r.bytes(r.remaining())?;
            let limit = expansion_limit(data.len());
            let raw_len = usize::try_from(raw_len)
                .ok()
                .filter(|&n| n <= limit)
                .ok_or(DecodeError::LengthOutOfBounds {
                    len: raw_len,
                    offset: len_offset,
                })?;
            let body = miniz_oxide::inflate::decompress_to_vec_with_limit(data, raw_len)
                .map_err(|_| DecodeError::BadCompression)?;
            if body.len() != raw_len {
                return Err(DecodeError::BadCompression);
            }
            read_batch(&body)
        }
        tag => Err(DecodeError::UnknownTag { tag, offset }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Hlc;
    use crate::doc::{ContainerId, ContainerKind, InsertContent, Op, OpAction};
    use crate::ActorId;

    fn change(text: &str) -> Change {
        Change {
            actor: ActorId([1; 32]),
            seq: 1,
            deps: Vec::new(),
            start_op: 1,
            time: Hlc {
                millis: 5,
                logical: 0,
                actor: ActorId([1; 32]),
            },
            message: None,
            ops: vec![Op {
                container: ContainerId::root("t", ContainerKind::Text),
                action: OpAction::Insert {
                    origin_left: None,
                    origin_right: None,
                    content: InsertContent::Text(text.to_owned()),
                },
            }],
            signature: None,
        }
    }

    #[test]
    fn a_change_that_does_not_hash_to_its_claimed_id_is_rejected() {
        let honest = change("pay alice 10");
        let forged = change("pay mallory 10");
        let claimed = crate::dag::hash_change(&honest);
        // Correct checksum, forged content under the honest change's id.
        let bytes = encode_chunk(
            ChunkType::Changes,
            std::slice::from_ref(&forged),
            &[claimed],
        );
        match decode_chunk(&bytes, ChunkType::Changes) {
            Err(DecodeError::HashMismatch { claimed: c, actual }) => {
                assert_eq!(c, claimed);
                assert_eq!(actual, crate::dag::hash_change(&forged));
            }
            other => panic!(
                "expected a hash mismatch, got {:?}",
                other.map(|b| b.hashes)
            ),
        }
        let ok = encode_chunk(
            ChunkType::Changes,
            std::slice::from_ref(&honest),
            &[claimed],
        );
        let batch = decode_chunk(&ok, ChunkType::Changes).unwrap();
        assert_eq!(batch.changes, vec![honest]);
        assert_eq!(batch.hashes, vec![claimed]);
    }

    #[test]
    fn signatures_are_carried_but_not_hashed() {
        let plain = change("x");
        let mut signed = plain.clone();
        signed.signature = Some(crate::dag::Signature([7; 64]));
        let hash = crate::dag::hash_change(&plain);
        assert_eq!(crate::dag::hash_change(&signed), hash);
        let bytes = encode_chunk(ChunkType::Change, &[signed.clone()], &[hash]);
        assert_eq!(
            decode_chunk(&bytes, ChunkType::Change).unwrap().changes,
            vec![signed]
        );
    }

    #[test]
    fn inflation_is_bounded_by_the_input() {
        // A deflate body that claims to expand far beyond the allowed ratio and the floor.
        let raw = vec![0u8; 4 * EXPANSION_FLOOR];
        let data = miniz_oxide::deflate::compress_to_vec(&raw, 6);
        let mut w = Writer::default();
        w.bytes(&MAGIC);
        w.u8(VERSION);
        w.u8(ChunkType::Changes as u8);
        w.u8(DEFLATE);
        w.len(raw.len());
        w.bytes(&data);
        let crc = crate::checksum::crc32(&w.buf);
        w.bytes(&crc.to_le_bytes());
        assert!(matches!(
            decode_chunk(&w.buf, ChunkType::Changes),
            Err(DecodeError::LengthOutOfBounds { .. })
        ));
    }
}

//! The bytes of one row of the `rows` store, and the rows' keys. The format is in the README
//! ("Format"): a magic, a version, the kind, length-prefixed chunks, and a CRC-32 of all that,
//! so a torn or altered row is recognized (and skipped) instead of reaching the core.

use dagsync::repo::DocId;

/// The first bytes of every row.
pub const MAGIC: [u8; 4] = *b"DSIR";
/// The row format this crate writes and reads.
pub const ROW_VERSION: u8 = 1;

/// What a row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    /// A compaction's snapshot: every change of the document its writer knew of.
    Snapshot,
    /// Chunks of changes appended since (one row per document per flush).
    Chunks,
}

impl RowKind {
    /// The number in the key: snapshots sort before chunks, so loading reads them first.
    pub fn code(self) -> u8 {
        match self {
            RowKind::Snapshot => 0,
            RowKind::Chunks => 1,
        }
    }

    /// The kind of a key's or a row's number.
    pub fn from_code(code: u8) -> Option<RowKind> {
        match code {
            0 => Some(RowKind::Snapshot),
            1 => Some(RowKind::Chunks),
            _ => None,
        }
    }
}

/// The key of a row: `[doc (32 hex characters), kind (0 or 1), id]` in IndexedDB. Ids are
/// unique per writer (a random tab id and a counter), so two tabs never write one key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowKey {
    /// The document.
    pub doc: DocId,
    /// Snapshot or chunks.
    pub kind: RowKind,
    /// Unique among the rows of every writer.
    pub id: String,
}

impl std::fmt::Display for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}, {}, {}]", self.doc, self.kind.code(), self.id)
    }
}

/// Why a row's bytes are not a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// Too short, or a length runs past the end.
    #[error("truncated row")]
    Truncated,
    /// The first bytes are not `DSIR`.
    #[error("not a dagsync row (bad magic)")]
    BadMagic,
    /// A row format this version does not know.
    #[error("row format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// The kind byte names no kind, or differs from the key's.
    #[error("row kind {0} is unknown or differs from its key's")]
    BadKind(u8),
    /// The checksum does not match: the row was torn or altered.
    #[error("row checksum mismatch")]
    Checksum,
}

/// The bytes of a row of `kind` holding `chunks`.
pub fn encode(kind: RowKind, chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: usize = chunks.iter().map(|c| c.len() + 4).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 2 + 4 + body + 4);
    out.extend_from_slice(&MAGIC);
    out.push(ROW_VERSION);
    out.push(kind.code());
    out.extend_from_slice(&(chunks.len() as u32).to_le_bytes());
    for chunk in chunks {
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let crc = dagsync::checksum::crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The chunks of a row whose key says it is of `kind`. Never allocates more than the input's
/// size, never panics.
pub fn decode(kind: RowKind, bytes: &[u8]) -> Result<Vec<Vec<u8>>, RowError> {
    const HEADER: usize = MAGIC.len() + 2 + 4;
    if bytes.len() < HEADER + 4 {
        return Err(RowError::Truncated);
    }
    if bytes[..4] != MAGIC {
        return Err(RowError::BadMagic);
    }
    if bytes[4] != ROW_VERSION {
        return Err(RowError::UnsupportedVersion(bytes[4]));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if dagsync::checksum::crc32(body).to_le_bytes() != crc {
        return Err(RowError::Checksum);
    }
    if RowKind::from_code(body[5]) != Some(kind) {
        return Err(RowError::BadKind(body[5]));
    }
    let count = read_u32(body, 6)? as usize;
    let mut at = HEADER;
    // Each chunk takes at least its 4-byte length: a count beyond that is a lie.
    let mut chunks = Vec::with_capacity(count.min((body.len() - at) / 4));
    for _ in 0..count {
        let len = read_u32(body, at)? as usize;
        at += 4;
        let end = at.checked_add(len).ok_or(RowError::Truncated)?;
        chunks.push(body.get(at..end).ok_or(RowError::Truncated)?.to_vec());
        at = end;
    }
    if at != body.len() {
        return Err(RowError::Truncated);
    }
    Ok(chunks)
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, RowError> {
    let word = bytes.get(at..at + 4).ok_or(RowError::Truncated)?;
    Ok(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let chunks = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let bytes = encode(RowKind::Chunks, &chunks);
        assert_eq!(decode(RowKind::Chunks, &bytes), Ok(chunks));
        assert_eq!(
            decode(RowKind::Snapshot, &encode(RowKind::Snapshot, &[])),
            Ok(vec![])
        );
    }

    #[test]
    fn damaged_rows_are_refused_without_panicking() {
        let bytes = encode(RowKind::Snapshot, &[vec![7; 40]]);
        assert_eq!(decode(RowKind::Chunks, &bytes), Err(RowError::BadKind(0)));
        for cut in 0..bytes.len() {
            assert!(decode(RowKind::Snapshot, &bytes[..cut]).is_err());
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(decode(RowKind::Snapshot, &flipped).is_err(), "byte {i}");
        }
        assert_eq!(
            decode(RowKind::Chunks, b"garbage!garbage!"),
            Err(RowError::BadMagic)
        );
    }
}

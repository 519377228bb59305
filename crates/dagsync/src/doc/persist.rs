//! Saving and loading whole documents, exporting and importing changes as bytes.

use crate::actor::ActorId;
use crate::clock::VersionVector;
use crate::encoding::{decode_chunk, encode_chunk, ChunkType};
use crate::error::DecodeError;

use super::types::ApplyReport;
use super::Doc;

impl Doc {
    /// A snapshot of the whole document with its full history (format in `FORMAT.md`).
    /// Seals the open local change, like every export.
    pub fn save(&mut self) -> Vec<u8> {
        let changes = self.changes_since(&VersionVector::new());
        encode_chunk(ChunkType::Document, &changes)
    }

    /// Restores a document from [`Doc::save`] bytes; later local edits are attributed to
    /// `actor`. Corrupt, truncated or inconsistent input is a [`DecodeError`], never a panic.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Doc, DecodeError> {
        let changes = decode_chunk(bytes, ChunkType::Document)?;
        let mut doc = Doc::new(actor);
        let report = doc
            .apply_changes(changes)
            .map_err(|e| DecodeError::InvalidHistory(e.to_string()))?;
        if report.pending > 0 {
            return Err(DecodeError::InvalidHistory(format!(
                "{} changes depend on changes that are not in the snapshot",
                report.pending
            )));
        }
        Ok(doc)
    }

    /// The changes not covered by `since`, as bytes for [`Doc::import_changes`].
    pub fn export_changes(&mut self, since: &VersionVector) -> Vec<u8> {
        let changes = self.changes_since(since);
        encode_chunk(ChunkType::Changes, &changes)
    }

    /// Applies changes exported by [`Doc::export_changes`] (any order, duplicates ignored).
    pub fn import_changes(&mut self, bytes: &[u8]) -> Result<ApplyReport, DecodeError> {
        let changes = decode_chunk(bytes, ChunkType::Changes)?;
        self.apply_changes(changes)
            .map_err(|e| DecodeError::InvalidHistory(e.to_string()))
    }
}

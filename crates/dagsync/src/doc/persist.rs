//! Saving and loading whole documents, exporting and importing changes as bytes.

use crate::actor::ActorId;
use crate::clock::VersionVector;
use crate::encoding::{decode_chunk, encode_chunk, ChunkType};
use crate::error::DecodeError;

use super::batch::Target;
use super::types::{ApplyReport, Change};
use super::Doc;

impl Doc {
    /// A snapshot of the whole document with its full history (format in `FORMAT.md`).
    /// Seals the open local change, like every export.
    pub fn save(&mut self) -> Vec<u8> {
        self.encode_since(ChunkType::Document, &VersionVector::new(), true)
    }

    /// Restores a document from [`Doc::save`] bytes; later local edits are attributed to
    /// `actor`. Corrupt, truncated, forged or inconsistent input is a [`DecodeError`], never a
    /// panic.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Doc, DecodeError> {
        let batch = decode_chunk(bytes, ChunkType::Document)?;
        let mut doc = Doc::new(actor);
        let changes: Vec<_> = batch.hashes.into_iter().zip(batch.changes).collect();
        // A restricted document's snapshot starts with its genesis.
        doc.genesis = Doc::genesis_in(&changes).map_err(DecodeError::InvalidHistory)?;
        let report = doc
            .apply_hashed(changes, Target::Fresh, None)
            .map_err(DecodeError::Rejected)?;
        if report.pending > 0 {
            return Err(DecodeError::InvalidHistory(format!(
                "{} changes depend on changes that are not in the snapshot",
                report.pending
            )));
        }
        Ok(doc)
    }

    /// The changes not covered by `since`, as bytes for [`Doc::import_changes`]. In a
    /// document that requires signatures, another author's unsigned changes are left out
    /// until a signed change of theirs covers them.
    pub fn export_changes(&mut self, since: &VersionVector) -> Vec<u8> {
        self.encode_since(ChunkType::Changes, since, true)
    }

    /// [`Doc::export_changes`] without signing: what an author sends in the middle of a burst
    /// (each local commit as it happens), to sign once at its end with [`Doc::sign_latest`].
    /// Receivers apply these changes at once only from an authenticated channel
    /// ([`Doc::import_changes_from`]); others hold them until the signed copy comes.
    pub fn export_unsigned(&mut self, since: &VersionVector) -> Vec<u8> {
        self.encode_since(ChunkType::Changes, since, false)
    }

    /// [`Doc::export_unsigned`] of the local author's own changes numbered after `seq`: the
    /// same bytes as with `since` = this document's version with the local author at `seq`,
    /// without building that version (`subscribeLocalUpdates` sends this after each commit).
    pub fn export_local_unsigned(&mut self, seq: u64) -> Vec<u8> {
        self.seal();
        let chain = self
            .by_actor
            .get(self.local as usize)
            .map_or(&[][..], Vec::as_slice);
        let from = usize::try_from(seq).map_or(chain.len(), |n| n.min(chain.len()));
        let mut indexes = chain[from..].to_vec();
        indexes.sort_unstable();
        self.chunk_of(ChunkType::Changes, &indexes)
    }

    /// Ends a burst of [`Doc::export_unsigned`] updates: signs the latest local change (its
    /// hash chain covers the earlier ones) and returns it as a one-change batch for
    /// [`Doc::import_changes`], or `None` if it was signed already (or the document has no
    /// identity, or no local change).
    pub fn sign_latest(&mut self) -> Option<Vec<u8>> {
        self.seal();
        self.identity.as_ref()?;
        let latest = *self.by_actor[self.local as usize].last()?;
        if self.changes[latest as usize].signature.is_some() {
            return None;
        }
        self.sign_for_export(&[latest]);
        let change = self.export_change(latest);
        let hash = self.changes[latest as usize].hash?;
        Some(encode_chunk(ChunkType::Changes, &[change], &[hash]))
    }

    /// Applies changes exported by [`Doc::export_changes`] (any order, duplicates ignored;
    /// changes whose dependencies are missing wait, reported as pending). Nothing is applied
    /// if any byte or change is invalid.
    pub fn import_changes(&mut self, bytes: &[u8]) -> Result<ApplyReport, DecodeError> {
        let batch = decode_chunk(bytes, ChunkType::Changes)?;
        self.apply_hashed(
            batch.hashes.into_iter().zip(batch.changes).collect(),
            Target::Existing,
            None,
        )
        .map_err(DecodeError::Rejected)
    }

    /// [`Doc::import_changes`] for bytes received straight from their author `from` over a
    /// channel that authenticated it (see [`Doc::apply_changes_from`]).
    pub fn import_changes_from(
        &mut self,
        bytes: &[u8],
        from: &crate::ActorId,
    ) -> Result<ApplyReport, DecodeError> {
        let batch = decode_chunk(bytes, ChunkType::Changes)?;
        self.apply_hashed(
            batch.hashes.into_iter().zip(batch.changes).collect(),
            Target::Existing,
            Some(from),
        )
        .map_err(DecodeError::Rejected)
    }

    /// The changes after `since` as a chunk of type `kind`, the latest local one signed first
    /// if `sign`.
    fn encode_since(&mut self, kind: ChunkType, since: &VersionVector, sign: bool) -> Vec<u8> {
        self.seal();
        // A snapshot keeps everything; an export only what receivers can authenticate.
        let limits = match kind {
            ChunkType::Document => vec![u64::MAX; self.actors.len()],
            _ => self.relay_limits(),
        };
        let indexes = self.indexes_after(since, &limits);
        if sign {
            self.sign_for_export(&indexes);
        }
        self.chunk_of(kind, &indexes)
    }

    /// The sealed changes at log `indexes` (in log order) as a chunk of type `kind`.
    pub(super) fn chunk_of(&self, kind: ChunkType, indexes: &[u32]) -> Vec<u8> {
        if let (ChunkType::Changes, &[index]) = (kind, indexes) {
            // One new local commit (an update per edit): its bytes are at hand.
            if let Some(chunk) = self.last_sealed_chunk(kind, index) {
                return chunk;
            }
        }
        let changes: Vec<Change> = indexes.iter().map(|&i| self.export_change(i)).collect();
        // Every change is sealed after `seal`, so has its hash.
        let hashes: Vec<_> = indexes
            .iter()
            .filter_map(|&i| self.changes[i as usize].hash)
            .collect();
        encode_chunk(kind, &changes, &hashes)
    }
}

impl Change {
    /// This change's id in the history: SHA-256 of its canonical encoding.
    pub fn hash(&self) -> crate::ChangeHash {
        crate::dag::hash_change(self)
    }

    /// The change as one self-checking chunk (format in `FORMAT.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_chunk(
            ChunkType::Change,
            std::slice::from_ref(self),
            &[self.hash()],
        )
    }

    /// Changes as one change-batch chunk: the format of [`Doc::export_changes`], accepted by
    /// [`Doc::import_changes`] and carried in sync messages. Signatures are kept as they are.
    pub fn batch_to_bytes(changes: &[Change]) -> Vec<u8> {
        let hashes: Vec<crate::ChangeHash> = changes.iter().map(Change::hash).collect();
        encode_chunk(ChunkType::Changes, changes, &hashes)
    }

    /// Decodes [`Change::to_bytes`] output; the change must hash to the id the bytes claim,
    /// otherwise [`DecodeError::HashMismatch`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Change, DecodeError> {
        let batch = decode_chunk(bytes, ChunkType::Change)?;
        let mut changes = batch.changes.into_iter();
        match (changes.next(), changes.next()) {
            (Some(change), None) => Ok(change),
            _ => Err(DecodeError::InvalidHistory(
                "a change chunk holds exactly one change".to_owned(),
            )),
        }
    }
}

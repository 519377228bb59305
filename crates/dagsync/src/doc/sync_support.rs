//! What the sync protocol needs from a document: the changes since some heads, lookups by
//! hash, the dependencies still missing, and batches of changes as bytes. Crate-internal.

use crate::dag::ChangeSet;
use std::collections::HashSet;

use crate::dag::ChangeHash;
use crate::encoding::{decode_chunk, ChunkType};
use crate::error::{DecodeError, DocError};

use super::batch::Target;
use super::types::ApplyReport;
use super::Doc;

impl Doc {
    /// Log indexes (ascending: a causal order) of the changes not in the history of `heads`.
    /// Seals the open local change. Costs about as much as the changes since `heads`.
    pub(crate) fn indexes_since(&mut self, heads: &[ChangeHash]) -> Result<Vec<u32>, DocError> {
        self.seal();
        if heads.is_empty() {
            return Ok((0..self.changes.len() as u32).collect());
        }
        let version = self.version_at(heads)?;
        Ok((version.first_missing()..self.changes.len())
            .filter(|&i| !version.has_change(i))
            .map(|i| i as u32)
            .collect())
    }

    /// The hash of sealed change `index` (every change but the open local one is sealed).
    pub(crate) fn hash_at(&self, index: u32) -> Option<ChangeHash> {
        self.changes.get(index as usize).and_then(|c| c.hash)
    }

    /// Log indexes of the dependencies of change `index`.
    pub(crate) fn deps_at(&self, index: u32) -> &[u32] {
        self.changes
            .get(index as usize)
            .map_or(&[], |c| c.deps.as_slice())
    }

    /// The log index of the applied change with hash `hash`.
    pub(crate) fn index_of(&self, hash: &ChangeHash) -> Option<u32> {
        self.by_hash.get(hash).copied()
    }

    /// Number of received changes waiting for their dependencies (or for authentication).
    pub(crate) fn waiting_count(&self) -> usize {
        self.queue.len()
    }

    /// Whether the change with hash `hash` is applied.
    pub(crate) fn has_change(&self, hash: &ChangeHash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Hashes this document lacks: dependencies of the changes waiting for them, and those
    /// of `wanted` that are neither applied nor waiting. Sorted, without duplicates.
    pub(crate) fn missing_hashes(&self, wanted: &[ChangeHash]) -> Vec<ChangeHash> {
        let mut missing: ChangeSet = Default::default();
        for change in self.queue.values() {
            for dep in &change.deps {
                if !self.by_hash.contains_key(dep) && !self.queue.contains_key(dep) {
                    missing.insert(*dep);
                }
            }
        }
        for hash in wanted {
            if !self.by_hash.contains_key(hash) && !self.queue.contains_key(hash) {
                missing.insert(*hash);
            }
        }
        let mut missing: Vec<ChangeHash> = missing.into_iter().collect();
        missing.sort_unstable();
        missing
    }

    /// The changes at log indexes `indexes` (ascending) as one change-batch chunk, the bytes
    /// [`Doc::import_changes`] reads. Seals the open local change.
    pub(crate) fn encode_indexes(&mut self, indexes: &[u32]) -> Vec<u8> {
        self.seal();
        self.sign_for_export(indexes);
        self.chunk_of(ChunkType::Changes, indexes)
    }

    /// [`Doc::import_changes_from`] (or [`Doc::import_changes`] without `from`), also
    /// returning the hashes of the changes the chunk holds.
    pub(crate) fn import_chunk(
        &mut self,
        bytes: &[u8],
        from: Option<&crate::ActorId>,
    ) -> Result<(ApplyReport, Vec<ChangeHash>), DecodeError> {
        let batch = decode_chunk(bytes, ChunkType::Changes)?;
        let hashes = batch.hashes.clone();
        let report = self
            .apply_hashed(
                batch.hashes.into_iter().zip(batch.changes).collect(),
                Target::Existing,
                from,
            )
            .map_err(DecodeError::Rejected)?;
        Ok((report, hashes))
    }

    /// `indexes` (ascending) without the changes others could not authenticate yet (see
    /// `Doc::relay_limits`) and without their descendants, which would only wait for them.
    pub(crate) fn relayable_only(&self, indexes: Vec<u32>) -> Vec<u32> {
        let limits = self.relay_limits();
        if limits.iter().all(|&l| l == u64::MAX) {
            return indexes;
        }
        let mut held: HashSet<u32> = HashSet::new();
        indexes
            .into_iter()
            .filter(|&i| {
                let keep =
                    self.relayable(i, &limits) && !self.deps_at(i).iter().any(|d| held.contains(d));
                if !keep {
                    held.insert(i);
                }
                keep
            })
            .collect()
    }
}

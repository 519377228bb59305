//! Where a [`Repo`](super::Repo) keeps documents and per-peer sync states: a trait, and an
//! in-memory implementation for tests and for apps without persistence.

use std::collections::BTreeMap;

use super::id::{DocId, PeerId};

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The storage backend reported an error.
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// Stored bytes could not be decoded.
    #[error("stored data of document {doc} is corrupt: {reason}")]
    Corrupt {
        /// The document.
        doc: DocId,
        /// What is wrong.
        reason: String,
    },
}

/// A synchronous key-value view of persistent storage. A document is stored as chunks of
/// changes (`Doc::export_changes` bytes) appended as they happen and compacted now and then;
/// a sync state per (document, peer). Implementations that are asynchronous underneath (such
/// as IndexedDB) buffer writes and load everything before the repo starts.
pub trait Storage {
    /// Every stored document.
    fn doc_ids(&self) -> Result<Vec<DocId>, StorageError>;
    /// The chunks of a document, oldest first (empty if unknown).
    fn load_chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StorageError>;
    /// Appends a chunk of changes to a document.
    fn append_chunk(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError>;
    /// Replaces every chunk of a document with one holding all of them.
    fn compact(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError>;
    /// The sync state stored for a document and a peer.
    fn load_sync_state(&self, doc: &DocId, peer: &PeerId) -> Result<Option<Vec<u8>>, StorageError>;
    /// The peers a sync state of document `doc` is stored for: every peer the document was
    /// ever synced with (garbage collection waits for them; see `Repo::collect_garbage`).
    /// Storage that cannot list them returns none, and only connected peers are waited for.
    fn sync_state_peers(&self, doc: &DocId) -> Result<Vec<PeerId>, StorageError> {
        let _ = doc;
        Ok(Vec::new())
    }
    /// Stores the sync state of a document and a peer.
    fn save_sync_state(
        &mut self,
        doc: &DocId,
        peer: &PeerId,
        state: Vec<u8>,
    ) -> Result<(), StorageError>;
}

/// Storage in memory. Cloning it copies everything (a simulated disk survives a simulated
/// restart by being handed to the next repo).
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    docs: BTreeMap<DocId, Vec<Vec<u8>>>,
    sync_states: BTreeMap<(DocId, PeerId), Vec<u8>>,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// Bytes stored for documents (chunks) and sync states.
    pub fn stored_bytes(&self) -> usize {
        self.docs.values().flatten().map(Vec::len).sum::<usize>()
            + self.sync_states.values().map(Vec::len).sum::<usize>()
    }
}

impl Storage for MemoryStorage {
    fn doc_ids(&self) -> Result<Vec<DocId>, StorageError> {
        Ok(self.docs.keys().copied().collect())
    }

    fn load_chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StorageError> {
        Ok(self.docs.get(doc).cloned().unwrap_or_default())
    }

    fn append_chunk(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.docs.entry(*doc).or_default().push(chunk);
        Ok(())
    }

    fn compact(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.docs.insert(*doc, vec![chunk]);
        Ok(())
    }

    fn load_sync_state(&self, doc: &DocId, peer: &PeerId) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.sync_states.get(&(*doc, peer.clone())).cloned())
    }

    fn sync_state_peers(&self, doc: &DocId) -> Result<Vec<PeerId>, StorageError> {
        Ok(self
            .sync_states
            .keys()
            .filter(|(d, _)| d == doc)
            .map(|(_, p)| p.clone())
            .collect())
    }

    fn save_sync_state(
        &mut self,
        doc: &DocId,
        peer: &PeerId,
        state: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.sync_states.insert((*doc, peer.clone()), state);
        Ok(())
    }
}

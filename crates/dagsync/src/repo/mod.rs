//! A sans-IO repository: many documents by id, a [`Storage`], and peers. The app (or the
//! wasm bindings) feeds it events — a peer connected or disconnected, a frame arrived, time
//! passed — and sends the frames it hands out; the repo decides what to sync. Every document
//! is offered to every peer (announced on connect), documents a peer announces are created
//! and synced, changes are synced on connect and after every local change, and changes
//! received from one peer are passed on to the others, so they travel along any connected
//! topology.

mod id;
mod storage;
mod wire;

use std::collections::{BTreeMap, VecDeque};

use crate::actor::ActorId;
use crate::clock::VersionVector;
use crate::doc::Doc;
use crate::error::DecodeError;
use crate::sync::{split_frames, Reassembler, SyncError, SyncState, DEFAULT_MAX_FRAME};

pub use id::{DocId, ParseDocIdError, PeerId};
pub use storage::{MemoryStorage, Storage, StorageError};
use wire::RepoMessage;

/// The retry wait doubles with each retry that brings no news, up to `2^MAX_BACKOFF_SHIFT`
/// times [`RepoConfig::retry_after_ms`].
pub const MAX_BACKOFF_SHIFT: u32 = 3;

/// Compaction: a document's chunks are merged once there are this many.
const COMPACT_AFTER: usize = 32;

/// Why a repo operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A frame or message from a peer could not be decoded; nothing changed.
    #[error("malformed message from peer {peer}: {source}")]
    Malformed {
        /// The peer.
        peer: PeerId,
        /// What is wrong.
        source: DecodeError,
    },
    /// A frame from a peer was refused; nothing changed.
    #[error("bad frame from peer {peer}: {source}")]
    Frame {
        /// The peer.
        peer: PeerId,
        /// What is wrong.
        source: SyncError,
    },
    /// A sync message from a peer was refused; the document is unchanged.
    #[error("sync of document {doc} with peer {peer} failed: {source}")]
    Sync {
        /// The peer.
        peer: PeerId,
        /// The document.
        doc: DocId,
        /// Why.
        source: SyncError,
    },
    /// No document with this id.
    #[error("no document {0}")]
    UnknownDoc(DocId),
    /// No connected peer with this id.
    #[error("no connected peer {0}")]
    UnknownPeer(PeerId),
    /// A peer offered a document, but the repo holds [`RepoConfig::max_docs`] already.
    #[error("peer {0} offered a document beyond the limit of documents")]
    TooManyDocs(PeerId),
}

/// Something that happened in a [`Repo`], for the app to react to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RepoEvent {
    /// A peer connected.
    PeerConnected(PeerId),
    /// A peer disconnected.
    PeerDisconnected(PeerId),
    /// A document was created because a peer has it.
    DocAdded(DocId),
    /// Changes from a peer were applied to a document.
    DocChanged(DocId),
}

/// Settings of a [`Repo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepoConfig {
    /// Frames are at most this many bytes (64 KiB by default).
    pub max_frame: usize,
    /// A message not answered within this many milliseconds is sent again (see
    /// [`Repo::tick`]).
    pub retry_after_ms: u64,
    /// At most this many documents in the repo: documents peers announce or sync beyond it
    /// are refused ([`RepoError::TooManyDocs`]), so a peer cannot fill memory with empty ones.
    pub max_docs: usize,
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            max_frame: DEFAULT_MAX_FRAME,
            retry_after_ms: 2_000,
            max_docs: 100_000,
        }
    }
}

/// Counters of a [`Repo`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepoStats {
    /// Documents held.
    pub docs: usize,
    /// Peers connected.
    pub peers: usize,
    /// Frames handed out to send.
    pub frames_sent: u64,
    /// Bytes of those frames.
    pub bytes_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Bytes of those frames.
    pub bytes_received: u64,
    /// Frames or messages refused (malformed, invalid changes).
    pub refused: u64,
}

/// A document with what of it is stored.
struct Entry {
    doc: Doc,
    saved: VersionVector,
    chunks: usize,
}

impl Entry {
    /// A new, empty document of `actor`, nothing stored yet.
    fn new(actor: ActorId) -> Entry {
        Entry {
            doc: Doc::new(actor),
            saved: VersionVector::new(),
            chunks: 0,
        }
    }
}

/// One document's sync with one peer.
struct Session {
    state: SyncState,
    /// When we last sent a message (milliseconds, [`Repo::tick`] time).
    last_sent: u64,
    /// When we last received one.
    last_heard: u64,
    /// Retries since the peer's heads last changed (the wait doubles with each, up to 8×).
    retries: u32,
}

/// A connected peer.
struct Peer {
    sessions: BTreeMap<DocId, Session>,
    reassembler: Reassembler,
    next_message_id: u64,
}

/// Many documents, their storage and their peers, driven by events (sans-IO).
///
/// ```
/// use dagsync::repo::{MemoryStorage, PeerId, Repo};
/// use dagsync::ActorId;
///
/// let mut alice = Repo::new(ActorId([1; 32]), Box::new(MemoryStorage::new()))?;
/// let mut bob = Repo::new(ActorId([2; 32]), Box::new(MemoryStorage::new()))?;
/// let id = alice.create()?;
/// alice.change(&id, |doc| doc.get_text("t").insert(0, "hi"))??;
/// alice.connect(PeerId::from("bob"))?;
/// bob.connect(PeerId::from("alice"))?;
/// // Move frames until nobody has anything to send.
/// loop {
///     let mut moved = false;
///     while let Some((_, frame)) = alice.poll_frame() {
///         bob.receive(&PeerId::from("alice"), &frame)?;
///         moved = true;
///     }
///     while let Some((_, frame)) = bob.poll_frame() {
///         alice.receive(&PeerId::from("bob"), &frame)?;
///         moved = true;
///     }
///     if !moved { break; }
/// }
/// let text = bob.doc_mut(&id).map(|d| d.get_text("t").to_string());
/// assert_eq!(text.as_deref(), Some("hi"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Repo {
    actor: ActorId,
    storage: Box<dyn Storage>,
    docs: BTreeMap<DocId, Entry>,
    peers: BTreeMap<PeerId, Peer>,
    outbox: VecDeque<(PeerId, Vec<u8>)>,
    events: VecDeque<RepoEvent>,
    config: RepoConfig,
    now: u64,
    /// Seeds sync-state salts deterministically (simulations), or `None` for real randomness.
    seed: Option<u64>,
    sessions_started: u64,
    stats: RepoStats,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("actor", &self.actor)
            .field("docs", &self.docs.len())
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// A repo whose local edits are attributed to `actor`, holding every document `storage`
    /// has.
    pub fn new(actor: ActorId, storage: Box<dyn Storage>) -> Result<Repo, RepoError> {
        Repo::with_config(actor, storage, RepoConfig::default())
    }

    /// [`Repo::new`] with settings.
    pub fn with_config(
        actor: ActorId,
        storage: Box<dyn Storage>,
        config: RepoConfig,
    ) -> Result<Repo, RepoError> {
        let mut repo = Repo {
            actor,
            storage,
            docs: BTreeMap::new(),
            peers: BTreeMap::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            config,
            now: 0,
            seed: None,
            sessions_started: 0,
            stats: RepoStats::default(),
        };
        for id in repo.storage.doc_ids()? {
            let mut doc = Doc::new(actor);
            let chunks = repo.storage.load_chunks(&id)?;
            for chunk in &chunks {
                doc.import_changes(chunk)
                    .map_err(|e| StorageError::Corrupt {
                        doc: id,
                        reason: e.to_string(),
                    })?;
            }
            let saved = doc.version().clone();
            repo.docs.insert(
                id,
                Entry {
                    doc,
                    saved,
                    chunks: chunks.len(),
                },
            );
        }
        Ok(repo)
    }

    /// Derives the Bloom filter salts of every sync session from `seed` instead of real
    /// randomness: deterministic simulations only (predictable salts can be mined against).
    pub fn set_deterministic_salts(&mut self, seed: u64) {
        self.seed = Some(seed);
    }

    /// The actor local edits are attributed to.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// Gives back the storage (a simulated restart hands it to a new repo).
    pub fn into_storage(self) -> Box<dyn Storage> {
        self.storage
    }

    /// A new empty document with a random id, offered to every connected peer.
    pub fn create(&mut self) -> Result<DocId, RepoError> {
        let id = DocId::random();
        self.create_with_id(id)?;
        Ok(id)
    }

    /// A new empty document with id `id` (no-op if it exists), offered to every peer.
    pub fn create_with_id(&mut self, id: DocId) -> Result<(), RepoError> {
        if self.docs.contains_key(&id) {
            return Ok(());
        }
        self.docs.insert(id, Entry::new(self.actor));
        self.persist(&id)?;
        self.sync_doc_with_all(&id, None)?;
        Ok(())
    }

    /// The ids of the documents, sorted.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// A document.
    pub fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id).map(|e| &e.doc)
    }

    /// A document, mutably, for reads that seal (such as `heads`). Edits should go through
    /// [`Repo::change`], which stores and syncs them.
    pub fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.docs.get_mut(id).map(|e| &mut e.doc)
    }

    /// Edits a document: runs `edit`, commits, stores the new changes and syncs them to every
    /// connected peer. Returns what `edit` returned.
    pub fn change<R>(
        &mut self,
        id: &DocId,
        edit: impl FnOnce(&mut Doc) -> R,
    ) -> Result<R, RepoError> {
        let entry = self.docs.get_mut(id).ok_or(RepoError::UnknownDoc(*id))?;
        let result = edit(&mut entry.doc);
        entry.doc.commit(None);
        self.persist(id)?;
        self.sync_doc_with_all(id, None)?;
        Ok(result)
    }

    /// The sync state of document `id` with connected peer `peer`, once a session started.
    pub fn sync_state(&self, peer: &PeerId, id: &DocId) -> Option<&SyncState> {
        self.peers.get(peer)?.sessions.get(id).map(|s| &s.state)
    }

    /// The connected peers, sorted.
    pub fn peers(&self) -> Vec<PeerId> {
        self.peers.keys().cloned().collect()
    }

    /// A peer connected: announce our documents and start syncing each of them (resuming
    /// from the stored sync states).
    pub fn connect(&mut self, peer: PeerId) -> Result<(), RepoError> {
        if self.peers.contains_key(&peer) {
            return Ok(());
        }
        self.peers.insert(
            peer.clone(),
            Peer {
                sessions: BTreeMap::new(),
                reassembler: Reassembler::default(),
                next_message_id: 0,
            },
        );
        self.events
            .push_back(RepoEvent::PeerConnected(peer.clone()));
        let ids = self.doc_ids();
        self.send(&peer, &RepoMessage::Announce(ids.clone()));
        for id in ids {
            self.sync_doc(&peer, &id)?;
        }
        Ok(())
    }

    /// A peer disconnected: store its sync states and forget the session.
    pub fn disconnect(&mut self, peer: &PeerId) -> Result<(), RepoError> {
        let Some(p) = self.peers.remove(peer) else {
            return Ok(());
        };
        for (id, session) in p.sessions {
            self.storage
                .save_sync_state(&id, peer, session.state.encode())?;
        }
        self.outbox.retain(|(to, _)| to != peer);
        self.events
            .push_back(RepoEvent::PeerDisconnected(peer.clone()));
        Ok(())
    }

    /// A frame arrived from `peer`. Once a message is complete it is handled: documents the
    /// peer announces are created, sync messages are applied (and the changes passed on to
    /// the other peers), replies are queued. A refused frame or message is an error for
    /// that peer only; documents stay as they were.
    pub fn receive(&mut self, peer: &PeerId, frame: &[u8]) -> Result<(), RepoError> {
        let result = self.receive_frame(peer, frame);
        if matches!(
            result,
            Err(RepoError::Frame { .. } | RepoError::Malformed { .. } | RepoError::Sync { .. })
        ) {
            self.stats.refused += 1;
        }
        result
    }

    fn receive_frame(&mut self, peer: &PeerId, frame: &[u8]) -> Result<(), RepoError> {
        let p = self
            .peers
            .get_mut(peer)
            .ok_or_else(|| RepoError::UnknownPeer(peer.clone()))?;
        self.stats.frames_received += 1;
        self.stats.bytes_received += frame.len() as u64;
        let message = match p.reassembler.push(frame) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(()),
            Err(source) => {
                return Err(RepoError::Frame {
                    peer: peer.clone(),
                    source,
                })
            }
        };
        let message = RepoMessage::decode(&message).map_err(|source| RepoError::Malformed {
            peer: peer.clone(),
            source,
        })?;
        match message {
            RepoMessage::Announce(ids) => {
                for id in ids {
                    if !self.docs.contains_key(&id) {
                        if self.docs.len() >= self.config.max_docs {
                            self.stats.refused += 1;
                            return Err(RepoError::TooManyDocs(peer.clone()));
                        }
                        self.events.push_back(RepoEvent::DocAdded(id));
                        self.create_with_id(id)?;
                    }
                }
                Ok(())
            }
            RepoMessage::Sync { doc: id, message } => {
                // A document the peer has and we do not: start it empty, but keep it only if
                // the message is accepted.
                let added = !self.docs.contains_key(&id);
                if added && self.docs.len() >= self.config.max_docs {
                    self.stats.refused += 1;
                    return Err(RepoError::TooManyDocs(peer.clone()));
                }
                if added {
                    self.docs.insert(id, Entry::new(self.actor));
                }
                let result = self.receive_sync(peer, &id, &message);
                if added {
                    if result.is_err() {
                        self.docs.remove(&id);
                        if let Some(p) = self.peers.get_mut(peer) {
                            p.sessions.remove(&id);
                        }
                        return result.map(|_| ());
                    }
                    self.events.push_back(RepoEvent::DocAdded(id));
                    self.persist(&id)?;
                }
                if result? {
                    self.events.push_back(RepoEvent::DocChanged(id));
                    self.persist(&id)?;
                    self.sync_doc_with_all(&id, Some(peer))?;
                } else if added {
                    self.sync_doc_with_all(&id, Some(peer))?;
                }
                self.sync_doc(peer, &id)
            }
        }
    }

    /// Applies a sync message of document `id` (which exists) from `peer`; stores the sync
    /// state. Returns whether the document changed.
    fn receive_sync(
        &mut self,
        peer: &PeerId,
        id: &DocId,
        message: &[u8],
    ) -> Result<bool, RepoError> {
        self.ensure_session(peer, id)?;
        let (Some(entry), Some(p)) = (self.docs.get_mut(id), self.peers.get_mut(peer)) else {
            return Ok(false);
        };
        let Some(session) = p.sessions.get_mut(id) else {
            return Ok(false);
        };
        let before = entry.doc.heads();
        let their_before = session.state.their_heads().map(<[_]>::to_vec);
        entry
            .doc
            .receive_sync_message(&mut session.state, message)
            .map_err(|source| RepoError::Sync {
                peer: peer.clone(),
                doc: *id,
                source,
            })?;
        session.last_heard = self.now;
        if session.state.their_heads() != their_before.as_deref() {
            session.retries = 0;
        }
        let state = session.state.encode();
        let changed = entry.doc.heads() != before;
        self.storage.save_sync_state(id, peer, state)?;
        Ok(changed)
    }

    /// Time passed (`now_ms`, any monotonic clock in milliseconds): every document whose
    /// session with a peer is not known to be in step (the peer's last heads differ from ours)
    /// and has been quiet for [`RepoConfig::retry_after_ms`] starts its sync over, so lost
    /// messages on either side are made up for; the wait doubles with each retry that brings
    /// no news from the peer (up to 8×).
    pub fn tick(&mut self, now_ms: u64) -> Result<(), RepoError> {
        self.now = now_ms;
        let mut due = Vec::new();
        for (peer, p) in &mut self.peers {
            for (id, session) in &mut p.sessions {
                let Some(entry) = self.docs.get_mut(id) else {
                    continue;
                };
                let heads = entry.doc.heads();
                if session.state.their_heads() == Some(heads.as_slice()) {
                    // In step: nothing to tell, nothing to wait for.
                    if session.state.in_flight() {
                        session.state.mark_acknowledged(&heads);
                    }
                    session.retries = 0;
                    continue;
                }
                // Not known to be in step and quiet for a while (a message may have been
                // lost, on either side): start over, waiting longer after each try.
                let wait = self
                    .config
                    .retry_after_ms
                    .saturating_mul(1 << session.retries.min(MAX_BACKOFF_SHIFT));
                let quiet_since = session.last_sent.max(session.last_heard);
                if now_ms.saturating_sub(quiet_since) >= wait {
                    session.retries += 1;
                    due.push((peer.clone(), *id));
                }
            }
        }
        for (peer, id) in due {
            if let Some(session) = self
                .peers
                .get_mut(&peer)
                .and_then(|p| p.sessions.get_mut(&id))
            {
                session.state.timeout();
                session.last_sent = now_ms;
            }
            self.sync_doc(&peer, &id)?;
        }
        Ok(())
    }

    /// The next frame to send, with the peer to send it to.
    pub fn poll_frame(&mut self) -> Option<(PeerId, Vec<u8>)> {
        let next = self.outbox.pop_front();
        if let Some((_, frame)) = &next {
            self.stats.frames_sent += 1;
            self.stats.bytes_sent += frame.len() as u64;
        }
        next
    }

    /// Counters: documents, peers, frames and bytes each way, refusals.
    pub fn stats(&self) -> RepoStats {
        RepoStats {
            docs: self.docs.len(),
            peers: self.peers.len(),
            ..self.stats
        }
    }

    /// Disconnects every peer (storing their sync states) and gives back the storage.
    pub fn close(mut self) -> Result<Box<dyn Storage>, RepoError> {
        for peer in self.peers() {
            self.disconnect(&peer)?;
        }
        Ok(self.storage)
    }

    /// The next event. Events queue until polled (at most a few per received message).
    pub fn poll_event(&mut self) -> Option<RepoEvent> {
        self.events.pop_front()
    }

    /// The session of `peer` for document `id`, created (from the stored sync state) if new.
    fn ensure_session(&mut self, peer: &PeerId, id: &DocId) -> Result<(), RepoError> {
        let exists = self
            .peers
            .get(peer)
            .is_some_and(|p| p.sessions.contains_key(id));
        if exists || !self.peers.contains_key(peer) {
            return Ok(());
        }
        let stored = self.storage.load_sync_state(id, peer)?;
        let mut state = match self.seed {
            Some(seed) => {
                self.sessions_started += 1;
                SyncState::with_seed(seed ^ self.sessions_started.wrapping_mul(0x9E37_79B9))
            }
            None => SyncState::new(),
        };
        if let Some(bytes) = stored {
            // A corrupt stored state only costs a full sync: start fresh.
            if let Ok(restored) = SyncState::decode(&bytes) {
                state.restore_shared_heads(restored.shared_heads());
            }
        }
        if let Some(p) = self.peers.get_mut(peer) {
            p.sessions.insert(
                *id,
                Session {
                    state,
                    last_sent: self.now,
                    last_heard: self.now,
                    retries: 0,
                },
            );
        }
        Ok(())
    }

    /// Generates and queues the next message of document `id` for `peer`, if any.
    fn sync_doc(&mut self, peer: &PeerId, id: &DocId) -> Result<(), RepoError> {
        self.ensure_session(peer, id)?;
        let now = self.now;
        let (Some(entry), Some(p)) = (self.docs.get_mut(id), self.peers.get_mut(peer)) else {
            return Ok(());
        };
        let Some(session) = p.sessions.get_mut(id) else {
            return Ok(());
        };
        if let Some(message) = entry.doc.generate_sync_message(&mut session.state) {
            session.last_sent = now;
            let message = RepoMessage::Sync { doc: *id, message };
            self.send(peer, &message);
        }
        Ok(())
    }

    /// [`Repo::sync_doc`] for every connected peer but `except`.
    fn sync_doc_with_all(&mut self, id: &DocId, except: Option<&PeerId>) -> Result<(), RepoError> {
        let peers: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| Some(*p) != except)
            .cloned()
            .collect();
        for peer in peers {
            self.sync_doc(&peer, id)?;
        }
        Ok(())
    }

    /// Frames `message` for `peer` and queues the frames.
    fn send(&mut self, peer: &PeerId, message: &RepoMessage) {
        let Some(p) = self.peers.get_mut(peer) else {
            return;
        };
        let id = p.next_message_id;
        p.next_message_id += 1;
        for frame in split_frames(&message.encode(), id, self.config.max_frame) {
            self.outbox.push_back((peer.clone(), frame));
        }
    }

    /// Stores the changes of document `id` not stored yet (compacting now and then).
    fn persist(&mut self, id: &DocId) -> Result<(), RepoError> {
        let Some(entry) = self.docs.get_mut(id) else {
            return Ok(());
        };
        if entry.chunks > 0 && entry.doc.version() == &entry.saved {
            return Ok(());
        }
        if entry.chunks + 1 >= COMPACT_AFTER {
            let all = entry.doc.export_changes(&VersionVector::new());
            self.storage.compact(id, all)?;
            entry.chunks = 1;
        } else {
            let chunk = entry.doc.export_changes(&entry.saved);
            self.storage.append_chunk(id, chunk)?;
            entry.chunks += 1;
        }
        entry.saved = entry.doc.version().clone();
        Ok(())
    }
}

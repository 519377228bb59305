//! A sans-IO repository: many documents by id, a [`Storage`], and peers. The app (or the
//! wasm bindings) feeds it events — a peer connected or disconnected, a frame arrived, time
//! passed — and sends the frames it hands out; the repo decides what to sync. Every document
//! is offered to every peer (announced on connect), documents a peer announces are created
//! and synced, changes are synced on connect and after every local change, and changes
//! received from one peer are passed on to the others, so they travel along any connected
//! topology.
//!
//! A repo with an identity ([`Repo::with_identity`]) signs its documents' changes and opens
//! every connection with a handshake: each side sends its actor and a random challenge, and
//! answers the other's challenge with a signature, so each knows which actor the other is
//! ([`RepoEvent::PeerAuthenticated`]). Refused messages are reported as
//! [`RepoEvent::Fault`]s; a peer with too many of them, or an actor banned with
//! [`Repo::ban`], is disconnected ([`RepoEvent::PeerBanned`]).
//!
//! Presence (who is here, where their cursor is) travels with the documents: per document,
//! [`Repo::set_presence`] publishes the local state (signed, throttled, deltas only) to every
//! peer the document is shared with, peers pass on what is new to them, and
//! [`Repo::presence`] tells what everyone published; it is never stored. A share policy
//! ([`Repo::set_share_policy`]) decides which documents each peer sees at all.

mod events;
mod faults;
mod id;
mod peer;
mod presence;
mod storage;
mod trust;
mod wire;

use std::cell::{Ref, RefCell, RefMut};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use crate::actor::ActorId;
use crate::auth::Identity;
use crate::clock::VersionVector;
use crate::doc::Doc;
use crate::error::Equivocation;
use crate::presence::{Presence, PresenceConfig, PresenceEvent};
use crate::sync::{split_frames, SyncState};

pub use events::{RepoConfig, RepoError, RepoEvent, RepoStats, SyncLatency};
pub use faults::PeerFault;
pub use id::{DocId, ParseDocIdError, PeerId};
pub use peer::PeerStats;
use peer::{Handshake, Peer, Session};
pub use storage::{MemoryStorage, Storage, StorageError};
use wire::RepoMessage;

/// A document shared between the repo and whoever edits it (such as the JS `Doc` object).
/// Edits made through it directly are stored and synced by [`Repo::local_change`].
pub type DocCell = Rc<RefCell<Doc>>;

/// Which documents a peer may see: called with a peer and a document, true to share. Every
/// document is shared with every peer by default.
pub type SharePolicy = Box<dyn Fn(&PeerId, &DocId) -> bool>;

/// Frames are never made smaller than this, whatever a link claims.
const MIN_FRAME: usize = 256;

/// The retry wait doubles with each retry that brings no news, up to `2^MAX_BACKOFF_SHIFT`
/// times [`RepoConfig::retry_after_ms`].
pub const MAX_BACKOFF_SHIFT: u32 = 3;

/// A document with what of it is stored.
struct Entry {
    doc: DocCell,
    saved: VersionVector,
    chunks: usize,
    /// Bytes of the last merged chunk, and of the chunks appended after it.
    merged_bytes: usize,
    appended_bytes: usize,
    /// How many of the document's equivocations were reported as events.
    reported: usize,
    /// The stored chunks outgrew the snapshot: the next [`Repo::tick`] compacts them.
    compact_due: bool,
}

/// Document `id` in `cell`, mutably, or [`RepoError::DocBusy`] while it is borrowed elsewhere.
fn borrow_doc<'a>(cell: &'a DocCell, id: &DocId) -> Result<RefMut<'a, Doc>, RepoError> {
    cell.try_borrow_mut().map_err(|_| RepoError::DocBusy(*id))
}

/// Who the repo's documents belong to: an actor, and its key pair when changes are signed.
#[derive(Clone, Debug)]
enum Owner {
    Actor(ActorId),
    Identity(Identity),
}

impl Owner {
    fn actor(&self) -> ActorId {
        match self {
            Owner::Actor(actor) => *actor,
            Owner::Identity(identity) => identity.actor(),
        }
    }

    /// A new, empty document of this owner, nothing stored yet.
    fn new_entry(&self) -> Entry {
        let doc = match self {
            Owner::Actor(actor) => Doc::new(*actor),
            Owner::Identity(identity) => Doc::with_identity(identity.clone()),
        };
        Entry {
            doc: Rc::new(RefCell::new(doc)),
            saved: VersionVector::new(),
            chunks: 0,
            merged_bytes: 0,
            appended_bytes: 0,
            reported: 0,
            compact_due: false,
        }
    }
}

/// Many documents, their storage and their peers, driven by events (sans-IO).
///
/// ```
/// use dagsync::auth::Identity;
/// use dagsync::repo::{MemoryStorage, PeerId, Repo, RepoConfig};
///
/// let config = RepoConfig::default();
/// let alice_key = Identity::from_secret_key([1; 32]);
/// let mut alice = Repo::with_identity(alice_key, Box::new(MemoryStorage::new()), config)?;
/// let mut bob = Repo::with_identity(Identity::from_secret_key([2; 32]), Box::new(MemoryStorage::new()), config)?;
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
/// let text = bob.doc_mut(&id).map(|mut d| d.get_text("t").to_string());
/// assert_eq!(text.as_deref(), Some("hi"));
/// // The handshake told each side who the other is.
/// assert_eq!(bob.peer_actor(&PeerId::from("alice")), Some(alice.actor()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Repo {
    owner: Owner,
    storage: Box<dyn Storage>,
    docs: BTreeMap<DocId, Entry>,
    peers: BTreeMap<PeerId, Peer>,
    banned_actors: BTreeSet<ActorId>,
    banned_peers: BTreeSet<PeerId>,
    outbox: VecDeque<(PeerId, Vec<u8>)>,
    events: VecDeque<RepoEvent>,
    config: RepoConfig,
    presence: BTreeMap<DocId, Presence>,
    presence_config: PresenceConfig,
    share: Option<SharePolicy>,
    now: u64,
    /// Seeds sync-state salts and handshake challenges deterministically (simulations), or
    /// `None` for real randomness.
    seed: Option<u64>,
    sessions_started: u64,
    stats: RepoStats,
    /// The latest sync latencies (ms), oldest first.
    latencies: VecDeque<u64>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("actor", &self.owner.actor())
            .field("docs", &self.docs.len())
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// A repo whose local edits are attributed to `actor` (unsigned, no handshake), holding
    /// every document `storage` has.
    pub fn new(actor: ActorId, storage: Box<dyn Storage>) -> Result<Repo, RepoError> {
        Repo::with_config(actor, storage, RepoConfig::default())
    }

    /// [`Repo::new`] with settings.
    pub fn with_config(
        actor: ActorId,
        storage: Box<dyn Storage>,
        config: RepoConfig,
    ) -> Result<Repo, RepoError> {
        Repo::open(Owner::Actor(actor), storage, config)
    }

    /// A repo whose documents are signed by `identity` (and require remote changes to be
    /// authenticated), which proves its identity to every peer and learns theirs.
    pub fn with_identity(
        identity: Identity,
        storage: Box<dyn Storage>,
        config: RepoConfig,
    ) -> Result<Repo, RepoError> {
        Repo::open(Owner::Identity(identity), storage, config)
    }

    fn open(
        owner: Owner,
        storage: Box<dyn Storage>,
        config: RepoConfig,
    ) -> Result<Repo, RepoError> {
        let mut repo = Repo {
            owner,
            storage,
            docs: BTreeMap::new(),
            peers: BTreeMap::new(),
            banned_actors: BTreeSet::new(),
            banned_peers: BTreeSet::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            config,
            presence: BTreeMap::new(),
            presence_config: PresenceConfig::default(),
            share: None,
            now: 0,
            seed: None,
            sessions_started: 0,
            stats: RepoStats::default(),
            latencies: VecDeque::new(),
        };
        for id in repo.storage.doc_ids()? {
            let mut entry = repo.owner.new_entry();
            let chunks = repo.storage.load_chunks(&id)?;
            {
                let mut doc = entry.doc.borrow_mut();
                for chunk in &chunks {
                    // A chunk the document refuses (damaged on disk) is reported and skipped;
                    // the next compaction writes what the document holds without it.
                    if let Err(e) = doc.import_changes(chunk) {
                        repo.events.push_back(RepoEvent::StoredChunkRefused {
                            doc: id,
                            reason: e.to_string(),
                        });
                    }
                }
                entry.saved = doc.version().clone();
            }
            entry.chunks = chunks.len();
            entry.merged_bytes = chunks.iter().map(Vec::len).max().unwrap_or(0);
            entry.appended_bytes = chunks.iter().map(Vec::len).sum::<usize>() - entry.merged_bytes;
            repo.docs.insert(id, entry);
        }
        Ok(repo)
    }

    /// Derives the Bloom filter salts of every sync session and the handshake challenges from
    /// `seed` instead of real randomness: deterministic simulations only (predictable salts
    /// can be mined against, predictable challenges replayed).
    pub fn set_deterministic_salts(&mut self, seed: u64) {
        self.seed = Some(seed);
    }

    /// The actor local edits are attributed to.
    pub fn actor(&self) -> ActorId {
        self.owner.actor()
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
        self.docs.insert(id, self.owner.new_entry());
        self.persist(&id)?;
        self.sync_doc_with_all(&id, None)?;
        Ok(())
    }

    /// The ids of the documents, sorted.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// A document (`None` if unknown or borrowed mutably through its [`DocCell`]).
    pub fn doc(&self, id: &DocId) -> Option<Ref<'_, Doc>> {
        self.docs.get(id)?.doc.try_borrow().ok()
    }

    /// A document, mutably, for reads that seal (such as `heads`). Edits should go through
    /// [`Repo::change`], or be followed by [`Repo::local_change`], which store and sync them.
    pub fn doc_mut(&mut self, id: &DocId) -> Option<RefMut<'_, Doc>> {
        self.docs.get(id)?.doc.try_borrow_mut().ok()
    }

    /// The document shared: edits made through it are stored and synced when
    /// [`Repo::local_change`] is called.
    pub fn doc_cell(&self, id: &DocId) -> Option<DocCell> {
        self.docs.get(id).map(|e| Rc::clone(&e.doc))
    }

    /// Edits a document: runs `edit`, commits, stores the new changes and syncs them to every
    /// connected peer. Returns what `edit` returned.
    pub fn change<R>(
        &mut self,
        id: &DocId,
        edit: impl FnOnce(&mut Doc) -> R,
    ) -> Result<R, RepoError> {
        let result = {
            let mut doc = self.borrow_doc_mut(id)?;
            edit(&mut doc)
        };
        self.local_change(id)?;
        Ok(result)
    }

    /// After edits made through the document's [`DocCell`]: commits pending operations,
    /// stores the new changes and syncs them to every connected peer.
    pub fn local_change(&mut self, id: &DocId) -> Result<(), RepoError> {
        self.borrow_doc_mut(id)?.commit(None);
        self.persist(id)?;
        self.sync_doc_with_all(id, None)
    }

    /// Changes that someone else sharing the storage (another tab on the same database)
    /// stored for document `id`: imports them (creating the document if new) without storing
    /// them again, and passes them on to connected peers. Returns whether the document
    /// changed.
    pub fn merge_stored_chunk(&mut self, id: &DocId, chunk: &[u8]) -> Result<bool, RepoError> {
        let added = !self.docs.contains_key(id);
        if added {
            self.docs.insert(*id, self.owner.new_entry());
        }
        let entry = self.docs.get_mut(id).ok_or(RepoError::UnknownDoc(*id))?;
        let mut doc = borrow_doc(&entry.doc, id)?;
        let all_stored = doc.version() == &entry.saved;
        let before = doc.heads();
        let imported = doc.import_changes(chunk);
        let changed = doc.heads() != before;
        if imported.is_ok() && all_stored {
            // Everything held is stored now: ours before, theirs by them.
            entry.saved = doc.version().clone();
        }
        drop(doc);
        if let Err(e) = imported {
            if added {
                self.docs.remove(id);
            }
            return Err(StorageError::Corrupt {
                doc: *id,
                reason: e.to_string(),
            }
            .into());
        }
        if entry.chunks == 0 {
            entry.chunks = 1;
        }
        if added {
            self.events.push_back(RepoEvent::DocAdded(*id));
        }
        if changed {
            self.events.push_back(RepoEvent::DocChanged(*id));
            self.report_equivocations(id)?;
        }
        if added || changed {
            self.sync_doc_with_all(id, None)?;
        }
        Ok(changed)
    }

    /// Frees the values of document `id`'s unreachable containers (deleted records…) that
    /// every known peer has seen become unreachable: the peers connected now and every peer
    /// a sync state is stored for, each at the heads both sides last agreed on (see
    /// [`Doc::collect_garbage`]).
    pub fn collect_garbage(&mut self, id: &DocId) -> Result<crate::doc::GcReport, RepoError> {
        let mut agreed: BTreeMap<PeerId, Vec<crate::ChangeHash>> = BTreeMap::new();
        for peer in self.storage.sync_state_peers(id)? {
            if let Some(bytes) = self.storage.load_sync_state(id, &peer)? {
                if let Ok(state) = SyncState::decode(&bytes) {
                    agreed.insert(peer, state.shared_heads().to_vec());
                }
            }
        }
        for (peer, p) in &self.peers {
            if let Some(session) = p.sessions.get(id) {
                agreed.insert(peer.clone(), session.state.shared_heads().to_vec());
            } else if self.shares(peer, id) {
                // Connected, sharing the document, and nothing agreed yet: it has nothing.
                agreed.insert(peer.clone(), Vec::new());
            }
        }
        let mut doc = self.borrow_doc_mut(id)?;
        let mut stable = doc.version().clone();
        for heads in agreed.values() {
            let theirs = doc.version_vector_at(heads).unwrap_or_default();
            stable = stable.meet(&theirs);
        }
        Ok(doc.collect_garbage(&stable))
    }

    /// The sync state of document `id` with connected peer `peer`, once a session started.
    pub fn sync_state(&self, peer: &PeerId, id: &DocId) -> Option<&SyncState> {
        self.peers.get(peer)?.sessions.get(id).map(|s| &s.state)
    }

    /// The connected peers, sorted.
    pub fn peers(&self) -> Vec<PeerId> {
        self.peers.keys().cloned().collect()
    }

    /// The actor a connected peer proved to be in the handshake.
    pub fn peer_actor(&self, peer: &PeerId) -> Option<ActorId> {
        self.peers.get(peer)?.actor()
    }

    /// A peer connected: prove who we are (with an identity), announce our documents and
    /// start syncing each of them (resuming from the stored sync states).
    pub fn connect(&mut self, peer: PeerId) -> Result<(), RepoError> {
        self.connect_with_max_frame(peer, self.config.max_frame)
    }

    /// [`Repo::connect`] over a link that carries frames of at most `max_frame` bytes (at
    /// least 256 are used).
    pub fn connect_with_max_frame(
        &mut self,
        peer: PeerId,
        max_frame: usize,
    ) -> Result<(), RepoError> {
        if self.banned_peers.contains(&peer) {
            return Err(RepoError::Banned(peer));
        }
        if self.peers.contains_key(&peer) {
            return Ok(());
        }
        let nonce = match self.owner {
            Owner::Identity(_) => Some(self.challenge()?),
            Owner::Actor(_) => None,
        };
        self.peers.insert(
            peer.clone(),
            Peer::new(max_frame.max(MIN_FRAME), nonce, self.now),
        );
        self.events
            .push_back(RepoEvent::PeerConnected(peer.clone()));
        match nonce {
            Some(nonce) => {
                // Documents are offered once the handshake completes (or the peer shows it
                // has no identity by sending something else first).
                let actor = self.actor();
                self.send(&peer, &RepoMessage::Hello { actor, nonce });
                Ok(())
            }
            None => self.start_peer(&peer),
        }
    }

    /// Offers `peer` our documents and presence, once.
    pub(super) fn start_peer(&mut self, peer: &PeerId) -> Result<(), RepoError> {
        match self.peers.get_mut(peer) {
            Some(p) if !p.started => p.started = true,
            _ => return Ok(()),
        }
        self.offer_docs(peer)?;
        // The new peer has none of our presence deltas' bases: the next message is full.
        for presence in self.presence.values_mut() {
            if presence.is_set() {
                presence.send_full_state();
            }
        }
        self.flush_presence();
        Ok(())
    }

    /// Where the sync states with `peer` are stored: under the actor it proved to be, so a
    /// reconnect under another transport id resumes; under its transport id otherwise.
    fn state_key(&self, peer: &PeerId) -> PeerId {
        match self.peer_actor(peer) {
            Some(actor) => PeerId(format!("actor:{}", actor.to_hex())),
            None => peer.clone(),
        }
    }

    /// Announces to `peer` the documents shared with it and starts syncing them.
    fn offer_docs(&mut self, peer: &PeerId) -> Result<(), RepoError> {
        let ids: Vec<DocId> = self
            .doc_ids()
            .into_iter()
            .filter(|id| self.shares(peer, id))
            .collect();
        self.send(peer, &RepoMessage::Announce(ids.clone()));
        for id in ids {
            self.sync_doc(peer, &id)?;
        }
        Ok(())
    }

    /// Whether document `id` is shared with `peer` (see [`Repo::set_share_policy`]).
    pub fn shares(&self, peer: &PeerId, id: &DocId) -> bool {
        self.share.as_ref().is_none_or(|policy| policy(peer, id))
    }

    /// Decides which documents each peer sees: announcements, sync and presence of a
    /// document go only to peers `policy` shares it with, and what a peer sends about other
    /// documents is ignored. Documents newly shared with connected peers are offered now.
    pub fn set_share_policy(&mut self, policy: SharePolicy) -> Result<(), RepoError> {
        self.share = Some(policy);
        for peer in self.peers() {
            self.offer_docs(&peer)?;
        }
        Ok(())
    }

    /// A peer disconnected: store its sync states and forget the session.
    pub fn disconnect(&mut self, peer: &PeerId) -> Result<(), RepoError> {
        let key = self.state_key(peer);
        let Some(p) = self.peers.remove(peer) else {
            return Ok(());
        };
        for (id, session) in p.sessions {
            self.storage
                .save_sync_state(&id, &key, session.state.encode())?;
        }
        self.outbox.retain(|(to, _)| to != peer);
        self.events
            .push_back(RepoEvent::PeerDisconnected(peer.clone()));
        Ok(())
    }

    /// A frame arrived from `peer`. Once a message is complete it is handled: documents the
    /// peer announces are created, sync messages are applied (and the changes passed on to
    /// the other peers), replies are queued. A refused frame or message is an error for
    /// that peer only, reported as a [`RepoEvent::Fault`]; documents stay as they were. A
    /// peer with [`RepoConfig::max_faults`] faults is banned.
    pub fn receive(&mut self, peer: &PeerId, frame: &[u8]) -> Result<(), RepoError> {
        if self.banned_peers.contains(peer) {
            return Err(RepoError::Banned(peer.clone()));
        }
        let result = self.receive_frame(peer, frame);
        if let Err(error) = &result {
            if let Some(fault) = PeerFault::of(error) {
                self.stats.refused += 1;
                self.events.push_back(RepoEvent::Fault {
                    peer: peer.clone(),
                    fault,
                });
                let faults = self.peers.get_mut(peer).map(|p| {
                    p.faults += 1;
                    p.stats.refused += 1;
                    p.faults
                });
                if faults.is_some_and(|n| n >= self.config.max_faults) {
                    self.ban_peer(peer)?;
                }
            }
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
        p.stats.frames_received += 1;
        p.stats.bytes_received += frame.len() as u64;
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
        if !matches!(message, RepoMessage::Hello { .. } | RepoMessage::Proof(_)) {
            // A peer that talks without a handshake has no identity (or its handshake got
            // reordered behind): sync with it unproven.
            self.start_peer(peer)?;
        }
        match message {
            RepoMessage::Hello { actor, nonce } => self.receive_hello(peer, actor, &nonce),
            RepoMessage::Proof(signature) => self.receive_proof(peer, &signature),
            RepoMessage::Presence { doc, message } => self.receive_presence(peer, doc, message),
            RepoMessage::Announce(ids) => {
                for id in ids {
                    if !self.docs.contains_key(&id) && self.shares(peer, &id) {
                        if self.docs.len() >= self.config.max_docs {
                            return Err(RepoError::TooManyDocs(peer.clone()));
                        }
                        self.events.push_back(RepoEvent::DocAdded(id));
                        self.create_with_id(id)?;
                    }
                }
                Ok(())
            }
            RepoMessage::Sync { doc: id, message } => {
                if !self.shares(peer, &id) {
                    // Not a document we share with this peer: not its business.
                    return Ok(());
                }
                // A document the peer has and we do not: start it empty, but keep it only if
                // the message is accepted.
                let added = !self.docs.contains_key(&id);
                if added && self.docs.len() >= self.config.max_docs {
                    return Err(RepoError::TooManyDocs(peer.clone()));
                }
                if added {
                    self.docs.insert(id, self.owner.new_entry());
                }
                let result = self.receive_sync(peer, &id, &message);
                if result.is_ok() {
                    self.report_equivocations(&id)?;
                }
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

    /// Reports the equivocations document `id` saw since the last call (the author is to
    /// blame, not the peer that passed the changes on) and bans their authors if configured.
    /// Both branches are kept, so the document still converges (see `Doc::equivocations`).
    fn report_equivocations(&mut self, id: &DocId) -> Result<(), RepoError> {
        let Some(entry) = self.docs.get_mut(id) else {
            return Ok(());
        };
        let new: Vec<Equivocation> = {
            let doc = borrow_doc(&entry.doc, id)?;
            doc.equivocations()
                .get(entry.reported..)
                .unwrap_or(&[])
                .to_vec()
        };
        entry.reported += new.len();
        for evidence in new {
            let Equivocation {
                actor,
                seq,
                existing,
                conflicting,
            } = evidence;
            self.events.push_back(RepoEvent::Equivocation {
                doc: *id,
                actor,
                seq,
                existing,
                conflicting,
            });
            // Our own key used elsewhere is reported, but we cannot ban ourselves.
            if self.config.ban_equivocators
                && actor != self.actor()
                && !self.banned_actors.contains(&actor)
            {
                self.ban(actor)?;
            }
        }
        Ok(())
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
        let (Some(entry), Some(p)) = (self.docs.get(id), self.peers.get_mut(peer)) else {
            return Ok(false);
        };
        let Some(session) = p.sessions.get_mut(id) else {
            return Ok(false);
        };
        let mut doc = borrow_doc(&entry.doc, id)?;
        let before = doc.heads();
        let their_before = session.state.their_heads().map(<[_]>::to_vec);
        doc.receive_sync_message(&mut session.state, message)
            .map_err(|source| RepoError::Sync {
                peer: peer.clone(),
                doc: *id,
                source,
            })?;
        session.last_heard = self.now;
        if session.state.their_heads() != their_before.as_deref() {
            session.retries = 0;
        }
        let in_step = session.state.their_heads() == Some(doc.heads().as_slice());
        if let (true, Some(since)) = (in_step, session.unconfirmed_since) {
            session.unconfirmed_since = None;
            if self.latencies.len() == 1_024 {
                self.latencies.pop_front();
            }
            self.latencies.push_back(self.now.saturating_sub(since));
        }
        let state = session.state.encode();
        let changed = doc.heads() != before;
        drop(doc);
        let key = self.state_key(peer);
        self.storage.save_sync_state(id, &key, state)?;
        Ok(changed)
    }

    /// Time passed (`now_ms`, any monotonic clock in milliseconds): every document whose
    /// session with a peer is not known to be in step (the peer's last heads differ from ours)
    /// and has been quiet for [`RepoConfig::retry_after_ms`] starts its sync over, so lost
    /// messages on either side are made up for; the wait doubles with each retry that brings
    /// no news from the peer (up to 8×). An unanswered handshake challenge is sent again.
    /// Stored documents whose chunks outgrew their snapshot are compacted.
    pub fn tick(&mut self, now_ms: u64) -> Result<(), RepoError> {
        self.now = now_ms;
        self.compact_due()?;
        let mut due = Vec::new();
        let mut hellos = Vec::new();
        for (peer, p) in &mut self.peers {
            if let Handshake::Waiting { nonce, sent, .. } = &mut p.handshake {
                if now_ms.saturating_sub(*sent) >= self.config.retry_after_ms {
                    *sent = now_ms;
                    hellos.push((peer.clone(), *nonce));
                }
            }
            for (id, session) in &mut p.sessions {
                let Some(entry) = self.docs.get(id) else {
                    continue;
                };
                if !self.share.as_ref().is_none_or(|share| share(peer, id)) {
                    continue;
                }
                let Ok(mut doc) = entry.doc.try_borrow_mut() else {
                    continue;
                };
                let heads = doc.heads();
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
        let actor = self.actor();
        for (peer, nonce) in hellos {
            self.send(&peer, &RepoMessage::Hello { actor, nonce });
        }
        self.flush_presence();
        for (id, presence) in &mut self.presence {
            for event in presence.tick(now_ms) {
                if let PresenceEvent::Gone(actor) = event {
                    self.events
                        .push_back(RepoEvent::PresenceGone { doc: *id, actor });
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
        if let Some((peer, frame)) = &next {
            self.stats.frames_sent += 1;
            self.stats.bytes_sent += frame.len() as u64;
            if let Some(p) = self.peers.get_mut(peer) {
                p.stats.frames_sent += 1;
                p.stats.bytes_sent += frame.len() as u64;
            }
        }
        next
    }

    /// Tells the repo the time (ms, the clock of [`Repo::tick`]) without ticking: call it
    /// before `receive` and local changes for precise sync latencies.
    pub fn set_now(&mut self, now_ms: u64) {
        self.now = self.now.max(now_ms);
    }

    /// Traffic with a connected peer.
    pub fn peer_stats(&self, peer: &PeerId) -> Option<PeerStats> {
        self.peers.get(peer).map(|p| p.stats)
    }

    /// Sync latency over the latest (up to 1,024) samples: the time from sending a peer
    /// changes to its confirmation that it has our heads. `None` before the first sample.
    pub fn sync_latency(&self) -> Option<SyncLatency> {
        let mut sorted: Vec<u64> = self.latencies.iter().copied().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let at = |q: usize| sorted[(sorted.len() - 1) * q / 100];
        Some(SyncLatency {
            samples: sorted.len(),
            p50_ms: at(50),
            p95_ms: at(95),
            p99_ms: at(99),
        })
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

    fn borrow_doc_mut(&self, id: &DocId) -> Result<RefMut<'_, Doc>, RepoError> {
        self.docs
            .get(id)
            .map(|entry| borrow_doc(&entry.doc, id))
            .ok_or(RepoError::UnknownDoc(*id))?
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
        let stored = self.storage.load_sync_state(id, &self.state_key(peer))?;
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
            if let Some(actor) = p.actor() {
                state.set_authenticated_peer(actor);
            }
            p.sessions.insert(
                *id,
                Session {
                    state,
                    last_sent: self.now,
                    last_heard: self.now,
                    retries: 0,
                    unconfirmed_since: None,
                },
            );
        }
        Ok(())
    }

    /// Generates and queues the next message of document `id` for `peer`, if any.
    fn sync_doc(&mut self, peer: &PeerId, id: &DocId) -> Result<(), RepoError> {
        self.ensure_session(peer, id)?;
        let now = self.now;
        let (Some(entry), Some(p)) = (self.docs.get(id), self.peers.get_mut(peer)) else {
            return Ok(());
        };
        let Some(session) = p.sessions.get_mut(id) else {
            return Ok(());
        };
        let mut doc = borrow_doc(&entry.doc, id)?;
        let ahead = session.state.their_heads() != Some(doc.heads().as_slice());
        if let Some(message) = doc.generate_sync_message(&mut session.state) {
            drop(doc);
            session.last_sent = now;
            if ahead && session.unconfirmed_since.is_none() {
                session.unconfirmed_since = Some(now);
            }
            let message = RepoMessage::Sync { doc: *id, message };
            self.send(peer, &message);
        }
        Ok(())
    }

    /// The connected peers document `id` is shared with (once their handshake is done), but
    /// `except`.
    pub(super) fn peers_sharing(&self, id: &DocId, except: Option<&PeerId>) -> Vec<PeerId> {
        self.peers
            .iter()
            .filter(|(p, peer)| peer.started && Some(*p) != except && self.shares(p, id))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// [`Repo::sync_doc`] for every connected peer (that shares the document) but `except`.
    fn sync_doc_with_all(&mut self, id: &DocId, except: Option<&PeerId>) -> Result<(), RepoError> {
        for peer in self.peers_sharing(id, except) {
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
        for frame in split_frames(&message.encode(), id, p.max_frame) {
            self.outbox.push_back((peer.clone(), frame));
        }
    }

    /// Stores the changes of document `id` not stored yet, as a new chunk. When the chunks
    /// outgrow the last snapshot, the next [`Repo::tick`] compacts them: writing a snapshot
    /// of a large document takes a while, and it must not hold up applying and passing on
    /// changes (or a live query waiting for them).
    fn persist(&mut self, id: &DocId) -> Result<(), RepoError> {
        let Some(entry) = self.docs.get_mut(id) else {
            return Ok(());
        };
        let mut doc = borrow_doc(&entry.doc, id)?;
        if entry.chunks > 0 && doc.version() == &entry.saved {
            return Ok(());
        }
        let chunk = doc.export_changes(&entry.saved);
        let appended = entry.appended_bytes + chunk.len();
        self.storage.append_chunk(id, chunk)?;
        entry.appended_bytes = appended;
        entry.chunks += 1;
        entry.saved = doc.version().clone();
        let outgrown = appended > entry.merged_bytes.max(self.config.compact_min_bytes);
        if entry.chunks >= 2 && (outgrown || entry.chunks >= self.config.compact_max_chunks) {
            entry.compact_due = true;
        }
        Ok(())
    }

    /// Replaces the stored chunks of every document whose chunks outgrew their snapshot by
    /// one snapshot of the whole document (see [`Repo::persist`]).
    fn compact_due(&mut self) -> Result<(), RepoError> {
        for (id, entry) in &mut self.docs {
            if !entry.compact_due {
                continue;
            }
            let mut doc = borrow_doc(&entry.doc, id)?;
            let all = doc.export_changes(&VersionVector::new());
            entry.saved = doc.version().clone();
            drop(doc);
            entry.merged_bytes = all.len();
            entry.appended_bytes = 0;
            entry.compact_due = false;
            self.storage.compact(id, all)?;
            entry.chunks = 1;
        }
        Ok(())
    }
}

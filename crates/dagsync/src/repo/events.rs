//! What a repo reports and how it is set up: its errors, events, settings and counters.

use crate::actor::ActorId;
use crate::error::DecodeError;
use crate::presence::PresenceError;
use crate::sync::{SyncError, DEFAULT_MAX_FRAME};

use super::{DocId, PeerFault, PeerId, StorageError};

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
    /// A peer's handshake failed: its proof does not verify for the actor it claims, or
    /// came without a claim.
    #[error("peer {0} failed the handshake")]
    Handshake(PeerId),
    /// The peer (or the actor it proved to be) is banned.
    #[error("peer {0} is banned")]
    Banned(PeerId),
    /// The document is borrowed elsewhere (through its [`DocCell`](super::DocCell)) during a repo call.
    #[error("document {0} is in use")]
    DocBusy(DocId),
    /// No secure randomness for a handshake challenge.
    #[error("no secure random source: {0}")]
    NoRandomness(String),
    /// Presence needs an identity to sign with ([`Repo::with_identity`](super::Repo::with_identity)).
    #[error("presence needs a repo with an identity")]
    NoIdentity,
    /// A presence message from a peer was refused.
    #[error("bad presence message from peer {peer}: {source}")]
    Presence {
        /// The peer.
        peer: PeerId,
        /// What is wrong.
        source: PresenceError,
    },
}

/// Something that happened in a [`Repo`](super::Repo), for the app to react to.
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
    /// A chunk of a document stored earlier could not be read back (damaged on disk): it was
    /// skipped, and the next compaction rewrites the document without it.
    StoredChunkRefused {
        /// The document.
        doc: DocId,
        /// Why the document refused it.
        reason: String,
    },
    /// A peer proved, in the handshake, that it holds the key of `actor`.
    PeerAuthenticated {
        /// The peer.
        peer: PeerId,
        /// Its actor (public key).
        actor: ActorId,
    },
    /// A peer sent something refused (its documents are unchanged by it).
    Fault {
        /// The peer.
        peer: PeerId,
        /// What it did.
        fault: PeerFault,
    },
    /// Someone's presence in a document is new or changed (read it with [`Repo::presence`](super::Repo::presence)).
    PresenceChanged {
        /// The document.
        doc: DocId,
        /// Whose presence.
        actor: ActorId,
    },
    /// Someone left a document, or went silent for longer than the presence timeout.
    PresenceGone {
        /// The document.
        doc: DocId,
        /// Who.
        actor: ActorId,
    },
    /// An author signed two different changes with one sequence number. Both branches are
    /// kept, so the document still converges with every honest peer (see
    /// [`crate::Doc::equivocations`]). The two hashes are the evidence; with [`RepoConfig::ban_equivocators`] the
    /// author is banned ([`super::Repo::ban`]).
    Equivocation {
        /// The document.
        doc: DocId,
        /// The author.
        actor: ActorId,
        /// The sequence number both changes claim.
        seq: u64,
        /// The change this repo held first (or planned first, both arriving together).
        existing: crate::ChangeHash,
        /// The other one.
        conflicting: crate::ChangeHash,
    },
    /// A peer was disconnected and is refused from now on: banned with [`Repo::ban`](super::Repo::ban) or
    /// [`Repo::ban_peer`](super::Repo::ban_peer), or after [`RepoConfig::max_faults`] faults.
    PeerBanned {
        /// The peer.
        peer: PeerId,
        /// The actor it proved to be, if it did.
        actor: Option<ActorId>,
    },
}

/// Settings of a [`Repo`](super::Repo).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepoConfig {
    /// Frames are at most this many bytes (64 KiB by default).
    pub max_frame: usize,
    /// A message not answered within this many milliseconds is sent again (see
    /// [`Repo::tick`](super::Repo::tick)).
    pub retry_after_ms: u64,
    /// At most this many documents in the repo: documents peers announce or sync beyond it
    /// are refused ([`RepoError::TooManyDocs`]), so a peer cannot fill memory with empty ones.
    pub max_docs: usize,
    /// A peer is banned after this many refused messages (malformed, invalid changes, failed
    /// handshakes).
    pub max_faults: u32,
    /// A document's appended chunks are merged into one once they outgrow the last merged
    /// one and this many bytes (each byte is then rewritten a bounded number of times:
    /// storing stays linear in what was written)…
    pub compact_min_bytes: usize,
    /// …or once there are this many chunks (loading reads every one).
    pub compact_max_chunks: usize,
    /// Whether an author caught equivocating is banned at once (on by default).
    pub ban_equivocators: bool,
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            max_frame: DEFAULT_MAX_FRAME,
            retry_after_ms: 2_000,
            max_docs: 100_000,
            max_faults: 32,
            compact_min_bytes: 64 * 1024,
            compact_max_chunks: 1_000,
            ban_equivocators: true,
        }
    }
}

/// Sync latency percentiles (see [`Repo::sync_latency`](super::Repo::sync_latency)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncLatency {
    /// How many samples.
    pub samples: usize,
    /// Median, in milliseconds.
    pub p50_ms: u64,
    /// 95th percentile.
    pub p95_ms: u64,
    /// 99th percentile.
    pub p99_ms: u64,
}

/// Counters of a [`Repo`](super::Repo).
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

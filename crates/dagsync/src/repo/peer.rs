//! A connected peer as the repo sees it: its sync sessions (one per document), the frames of
//! its messages being reassembled, and the handshake that proves which actor it is.

use std::collections::BTreeMap;

use crate::actor::ActorId;
use crate::auth::{verify_message, Identity};
use crate::dag::Signature;
use crate::sync::{Reassembler, SyncState};

use super::id::DocId;

/// What a handshake signature signs: this tag, then the verifier's challenge.
const HANDSHAKE_DOMAIN: &[u8] = b"dagsync repo handshake v1";

/// One document's sync with one peer.
pub(super) struct Session {
    pub(super) state: SyncState,
    /// When we last sent a message (milliseconds, [`super::Repo::tick`] time).
    pub(super) last_sent: u64,
    /// When we last received one.
    pub(super) last_heard: u64,
    /// Retries since the peer's heads last changed (the wait doubles with each, up to 8×).
    pub(super) retries: u32,
    /// When we sent changes the peer has not confirmed yet (for the sync latency).
    pub(super) unconfirmed_since: Option<u64>,
}

/// Where the handshake with a peer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Handshake {
    /// The repo has no identity: it neither proves nor asks.
    Off,
    /// Our challenge is out; the peer has not proved its identity yet.
    Waiting {
        /// Our challenge.
        nonce: [u8; 32],
        /// The actor the peer's `Hello` claims, once it arrived.
        claimed: Option<ActorId>,
        /// A proof that arrived before the peer's `Hello` (frames may be reordered), checked
        /// once the claim arrives.
        early_proof: Option<Signature>,
        /// When we last sent our `Hello`.
        sent: u64,
    },
    /// The peer proved it holds the key of this actor.
    Authenticated(ActorId),
}

/// A connected peer.
pub(super) struct Peer {
    pub(super) sessions: BTreeMap<DocId, Session>,
    pub(super) reassembler: Reassembler,
    pub(super) next_message_id: u64,
    /// Frames to this peer are at most this many bytes.
    pub(super) max_frame: usize,
    pub(super) handshake: Handshake,
    /// Whether documents were offered to it. A repo with an identity waits for the
    /// handshake first, so sessions resume from the sync states stored under the peer's
    /// actor (a transport names the same device differently after a reload).
    pub(super) started: bool,
    /// Messages from this peer refused so far.
    pub(super) faults: u32,
    /// Traffic with this peer.
    pub(super) stats: PeerStats,
}

/// Traffic with one peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerStats {
    /// Frames sent to it.
    pub frames_sent: u64,
    /// Bytes of those frames.
    pub bytes_sent: u64,
    /// Frames received from it.
    pub frames_received: u64,
    /// Bytes of those frames.
    pub bytes_received: u64,
    /// Its frames or messages refused.
    pub refused: u64,
}

impl Peer {
    /// A peer that just connected; `nonce` is our challenge when the repo has an identity.
    pub(super) fn new(max_frame: usize, nonce: Option<[u8; 32]>, now: u64) -> Peer {
        Peer {
            sessions: BTreeMap::new(),
            reassembler: Reassembler::default(),
            next_message_id: 0,
            max_frame,
            handshake: match nonce {
                Some(nonce) => Handshake::Waiting {
                    nonce,
                    claimed: None,
                    early_proof: None,
                    sent: now,
                },
                None => Handshake::Off,
            },
            started: false,
            faults: 0,
            stats: PeerStats::default(),
        }
    }

    /// The actor the peer proved to be.
    pub(super) fn actor(&self) -> Option<ActorId> {
        match self.handshake {
            Handshake::Authenticated(actor) => Some(actor),
            _ => None,
        }
    }
}

/// `identity`'s answer to a peer's challenge.
pub(super) fn prove(identity: &Identity, their_nonce: &[u8; 32]) -> Signature {
    identity.sign_message(HANDSHAKE_DOMAIN, their_nonce)
}

/// Whether `signature` proves that the peer holds `claimed`'s key, answering `our_nonce`.
pub(super) fn verify_proof(claimed: &ActorId, our_nonce: &[u8; 32], signature: &Signature) -> bool {
    verify_message(claimed, HANDSHAKE_DOMAIN, our_nonce, signature)
}

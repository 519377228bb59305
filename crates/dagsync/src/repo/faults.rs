//! What a peer did wrong, as the repo reports it.

use crate::error::DecodeError;
use crate::sync::SyncError;

use super::RepoError;

/// A message from a peer that the repo refused. Documents are unchanged by it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerFault {
    /// A frame that could not be reassembled.
    BadFrame(SyncError),
    /// A message that could not be decoded.
    Malformed(DecodeError),
    /// A sync message refused: malformed, or carrying changes that are forged, tampered
    /// with, unauthorized or invalid.
    Refused(SyncError),
    /// A handshake proof that does not verify for the actor the peer claimed.
    BadHandshake,
    /// More documents offered than the repo takes.
    TooManyDocs,
    /// A presence message that does not decode or whose signature is not its sender's.
    BadPresence(crate::presence::PresenceError),
}

impl PeerFault {
    /// The fault behind a failed [`super::Repo::receive`], if the peer is to blame.
    pub fn of(error: &RepoError) -> Option<PeerFault> {
        Some(match error {
            RepoError::Frame { source, .. } => PeerFault::BadFrame(source.clone()),
            RepoError::Malformed { source, .. } => PeerFault::Malformed(source.clone()),
            RepoError::Sync { source, .. } => PeerFault::Refused(source.clone()),
            RepoError::Handshake(_) => PeerFault::BadHandshake,
            RepoError::TooManyDocs(_) => PeerFault::TooManyDocs,
            RepoError::Presence { source, .. } => PeerFault::BadPresence(source.clone()),
            _ => return None,
        })
    }
}

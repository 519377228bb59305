//! Errors of the sync protocol.

use crate::error::DecodeError;

/// Why a sync message (or frame) from a peer was refused. A refused message changes neither
/// the document nor the peer's [`SyncState`](super::SyncState).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The message's bytes are not a well-formed sync message (bad magic, version, checksum,
    /// truncated, trailing bytes, over-long lists, ...).
    #[error("malformed sync message: {0}")]
    Malformed(#[source] DecodeError),
    /// The message is well-formed but the changes it carries are corrupt or break the history
    /// rules (nothing of them was applied).
    #[error("the peer sent invalid changes: {0}")]
    InvalidChanges(#[source] DecodeError),
    /// A frame is malformed or disagrees with the other frames of its message.
    #[error("malformed frame: {0}")]
    BadFrame(&'static str),
    /// A message announced by its frames would be larger than the reassembly limit.
    #[error("a framed message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The size the frames announce (an upper bound).
        size: u64,
        /// The configured limit.
        limit: u64,
    },
}

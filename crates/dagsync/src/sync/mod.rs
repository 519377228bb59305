//! The sans-IO sync protocol: per-peer [`SyncState`], messages generated and received by
//! [`Doc::generate_sync_message`](crate::Doc::generate_sync_message) and
//! [`Doc::receive_sync_message`](crate::Doc::receive_sync_message), salted Bloom filters, and
//! framing of messages into bounded frames. Formats in `FORMAT.md` ("Sync").

mod bloom;
mod envelope;
mod error;
mod frame;
mod message;
mod protocol;
mod state;

pub use bloom::{BloomFilter, SALT_LEN};
pub use error::SyncError;
pub use frame::{split_frames, Reassembler, DEFAULT_MAX_FRAME, FRAME_OVERHEAD};
pub use state::SyncState;

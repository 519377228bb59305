//! The history as a Merkle-DAG: changes named by the SHA-256 hash of their canonical encoding,
//! so naming a change names its whole causal past.

mod hash;
mod signature;

pub(crate) use hash::{hash_canonical, hash_change, ChangeHashState, ChangeMap, ChangeSet};
pub use hash::{ChangeHash, ParseHashError};
pub use signature::Signature;

//! Who wrote a change and who may write. Every actor is an ed25519 key pair and its actor id
//! is the public key ([`Identity`]). An author signs the hash of a change when it seals it;
//! since a change's hash covers its dependencies, and an author's previous change is always
//! among them, one signature authenticates the author's whole chain up to that change.
//! Restricted documents keep an access list ([`acl`]) as document state.

pub mod acl;
mod coverage;
mod encryption;
mod identity;

pub use acl::{Role, ACL_ROOT};
pub(crate) use coverage::Coverage;
pub use encryption::{CryptoError, DocumentKey, ENCRYPTED_ROOT};
pub use identity::{verify_message, verify_signature, Identity, IdentityError};

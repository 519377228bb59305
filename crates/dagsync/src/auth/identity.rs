//! Key pairs and change signatures.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::actor::ActorId;
use crate::dag::{ChangeHash, Signature};

/// What a signature signs: a domain tag, so a change signature can never be taken for a
/// signature over anything else, and the change's hash.
fn signed_message(hash: &ChangeHash) -> [u8; 60] {
    const TAG: &[u8; 28] = b"dagsync change signature v1\0";
    let mut message = [0u8; 60];
    message[..28].copy_from_slice(TAG);
    message[28..].copy_from_slice(&hash.0);
    message
}

/// Why an identity could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The platform has no source of secure randomness.
    #[error("no secure random source: {0}")]
    NoRandomness(String),
}

/// An actor's key pair: the secret key signs changes, the public key is the [`ActorId`].
#[derive(Clone)]
pub struct Identity {
    key: SigningKey,
}

impl Identity {
    /// A new random key pair (from the operating system's or the browser's secure random
    /// source).
    pub fn generate() -> Result<Identity, IdentityError> {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret)
            .map_err(|e| IdentityError::NoRandomness(e.to_string()))?;
        Ok(Identity::from_secret_key(secret))
    }

    /// The key pair of a 32-byte ed25519 secret key.
    pub fn from_secret_key(secret: [u8; 32]) -> Identity {
        Identity {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// The 32-byte secret key (keep it secret: it signs as this actor).
    pub fn secret_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The actor id: the public key.
    pub fn actor(&self) -> ActorId {
        ActorId(self.key.verifying_key().to_bytes())
    }

    /// Signs the change with hash `hash`.
    pub fn sign(&self, hash: &ChangeHash) -> Signature {
        Signature(self.key.sign(&signed_message(hash)).to_bytes())
    }

    /// Signs `body` for the purpose named by `domain` (a tag that no other kind of signed
    /// message uses, so a signature of one kind is never valid as another).
    pub fn sign_message(&self, domain: &[u8], body: &[u8]) -> Signature {
        Signature(self.key.sign(&tagged(domain, body)).to_bytes())
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({:?})", self.actor())
    }
}

/// Whether `signature` is `actor`'s signature of the change with hash `hash`. False for an
/// actor id that is not a valid public key, and for non-canonical (malleable) signatures.
pub fn verify_signature(actor: &ActorId, hash: &ChangeHash, signature: &Signature) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&actor.0) else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
    key.verify_strict(&signed_message(hash), &signature).is_ok()
}

/// Whether `signature` is `actor`'s [`Identity::sign_message`] of `body` under `domain`.
pub fn verify_message(actor: &ActorId, domain: &[u8], body: &[u8], signature: &Signature) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&actor.0) else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
    key.verify_strict(&tagged(domain, body), &signature).is_ok()
}

/// `domain`, a zero byte, then `body`.
fn tagged(domain: &[u8], body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(domain.len() + 1 + body.len());
    message.extend_from_slice(domain);
    message.push(0);
    message.extend_from_slice(body);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_author_and_hash() {
        let alice = Identity::generate().expect("randomness");
        let bob = Identity::from_secret_key([7; 32]);
        assert_ne!(alice.actor(), bob.actor());
        let hash = ChangeHash([1; 32]);
        let signature = alice.sign(&hash);
        assert!(verify_signature(&alice.actor(), &hash, &signature));
        assert!(!verify_signature(&bob.actor(), &hash, &signature));
        assert!(!verify_signature(
            &alice.actor(),
            &ChangeHash([2; 32]),
            &signature
        ));
        let mut flipped = signature;
        flipped.0[10] ^= 1;
        assert!(!verify_signature(&alice.actor(), &hash, &flipped));
        // Not every 32-byte string is a public key; none of them verifies anything.
        assert!(!verify_signature(&ActorId([0xff; 32]), &hash, &signature));
    }

    #[test]
    fn a_secret_key_gives_back_the_same_identity() {
        let alice = Identity::generate().expect("randomness");
        let again = Identity::from_secret_key(alice.secret_key());
        assert_eq!(again.actor(), alice.actor());
        let hash = ChangeHash([3; 32]);
        assert_eq!(
            again.sign(&hash),
            alice.sign(&hash),
            "ed25519 is deterministic"
        );
    }
}

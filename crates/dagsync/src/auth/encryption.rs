//! Encrypted change payloads. With a document key, a change's operations travel and are
//! stored as one XChaCha20-Poly1305 ciphertext; the change's hash and signature cover the
//! ciphertext, so a peer without the key can check, store and forward the change but not
//! read it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::actor::ActorId;

/// Name of the reserved root container an encrypted payload is filed under in the format.
pub const ENCRYPTED_ROOT: &str = "$dagsync.encrypted";

/// Bytes of nonce in front of every payload.
const NONCE_LEN: usize = 24;

/// A 32-byte symmetric document key, shared out of band by the document's readers.
#[derive(Clone, PartialEq, Eq)]
pub struct DocumentKey(pub [u8; 32]);

impl std::fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentKey(…)")
    }
}

/// Why a payload could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// No secure random source for a nonce.
    #[error("no secure random source: {0}")]
    NoRandomness(String),
    /// Wrong key, or the ciphertext or the change it belongs to was altered.
    #[error("the payload does not decrypt with this key")]
    Undecryptable,
}

/// What the ciphertext is bound to: its change's author, seq and first op counter (the
/// change's hash binds the rest), so a payload cannot be moved to another change.
fn associated_data(actor: &ActorId, seq: u64, start_op: u64) -> [u8; 48] {
    let mut aad = [0u8; 48];
    aad[..32].copy_from_slice(&actor.0);
    aad[32..40].copy_from_slice(&seq.to_le_bytes());
    aad[40..].copy_from_slice(&start_op.to_le_bytes());
    aad
}

impl DocumentKey {
    /// A new random key.
    pub fn generate() -> Result<DocumentKey, CryptoError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| CryptoError::NoRandomness(e.to_string()))?;
        Ok(DocumentKey(key))
    }

    /// Encrypts `plaintext` for the change `(actor, seq, start_op)`: a nonce followed by the
    /// ciphertext and its tag. The nonce is a keyed hash of the change and the plaintext
    /// (a synthetic nonce): it never repeats for different plaintexts, and sealing needs no
    /// randomness, so it cannot fail.
    pub(crate) fn seal(
        &self,
        plaintext: &[u8],
        actor: &ActorId,
        seq: u64,
        start_op: u64,
    ) -> Vec<u8> {
        let aad = associated_data(actor, seq, start_op);
        let digest = Sha256::new()
            .chain_update(b"dagsync payload nonce v1\0")
            .chain_update(self.0)
            .chain_update(aad)
            .chain_update(plaintext)
            .finalize();
        let nonce = &digest[..NONCE_LEN];
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        // Encryption itself fails only for plaintexts beyond 256 GiB.
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a payload made by [`DocumentKey::seal`] for the same change.
    pub(crate) fn open(
        &self,
        payload: &[u8],
        actor: &ActorId,
        seq: u64,
        start_op: u64,
    ) -> Result<Vec<u8>, CryptoError> {
        if payload.len() < NONCE_LEN {
            return Err(CryptoError::Undecryptable);
        }
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let aad = associated_data(actor, seq, start_op);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_open_only_with_their_key_and_change() {
        let key = DocumentKey::generate().expect("randomness");
        let actor = ActorId([1; 32]);
        let payload = key.seal(b"secret ops", &actor, 3, 10);
        assert_eq!(
            key.open(&payload, &actor, 3, 10).expect("open"),
            b"secret ops"
        );
        assert!(key.open(&payload, &actor, 4, 10).is_err(), "another change");
        assert!(key.open(&payload, &ActorId([2; 32]), 3, 10).is_err());
        let other = DocumentKey([9; 32]);
        assert!(other.open(&payload, &actor, 3, 10).is_err(), "another key");
        let mut altered = payload.clone();
        *altered.last_mut().expect("tag") ^= 1;
        assert!(key.open(&altered, &actor, 3, 10).is_err());
        assert!(key.open(&payload[..10], &actor, 3, 10).is_err());
        assert_eq!(
            key.seal(b"secret ops", &actor, 3, 10),
            payload,
            "deterministic"
        );
        assert_ne!(
            key.seal(b"other ops", &actor, 3, 10)[..24],
            payload[..24],
            "another plaintext, another nonce"
        );
    }
}

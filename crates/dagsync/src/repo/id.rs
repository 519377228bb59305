//! Names of documents and peers.

use std::fmt;
use std::str::FromStr;

/// The id of a document in a [`Repo`](super::Repo): 16 random bytes, written as 32 hex
/// characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId(pub [u8; 16]);

impl DocId {
    /// A new random id (from the operating system's or the browser's random source).
    pub fn random() -> DocId {
        let mut bytes = [0u8; 16];
        if getrandom::getrandom(&mut bytes).is_err() {
            // No random source: distinct ids from a process-wide counter.
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(1);
            bytes[..8].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        }
        DocId(bytes)
    }
}

impl DocId {
    /// The id every replica derives for the document named `name` in `namespace` (such as
    /// a collection's document, `DocId::named("collection", "todos")`): the first 16 bytes
    /// of SHA-256 over `"dagsync/" namespace 0x00 name`.
    pub fn named(namespace: &str, name: &str) -> DocId {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"dagsync/");
        hasher.update(namespace.as_bytes());
        hasher.update([0]);
        hasher.update(name.as_bytes());
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        DocId(bytes)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

/// Why a string is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a document id is 32 hex characters")]
pub struct ParseDocIdError;

impl FromStr for DocId {
    type Err = ParseDocIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 32 {
            return Err(ParseDocIdError);
        }
        let mut out = [0u8; 16];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16).ok_or(ParseDocIdError);
            *slot = (digit(pair[0])? << 4 | digit(pair[1])?) as u8;
        }
        Ok(DocId(out))
    }
}

/// The id of a remote peer, as the transport names it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PeerId(pub String);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PeerId {
    fn from(s: &str) -> Self {
        PeerId(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_round_trip_through_hex() {
        let id = DocId::random();
        assert_eq!(id.to_string().parse::<DocId>(), Ok(id));
        assert_ne!(DocId::random(), id);
        assert!("xyz".parse::<DocId>().is_err());
    }

    #[test]
    fn named_ids_are_fixed_and_distinct() {
        let todos = DocId::named("collection", "todos");
        assert_eq!(todos, DocId::named("collection", "todos"));
        assert_ne!(todos, DocId::named("collection", "todo"));
        assert_ne!(todos, DocId::named("collectiontodos", ""));
        // Pinned: other implementations derive the same id.
        assert_eq!(todos.to_string().len(), 32);
    }
}

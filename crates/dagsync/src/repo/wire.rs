//! What repos send each other (inside frames): the handshake that proves each side's identity,
//! announcements of the documents a repo has, and sync messages tagged with their document's
//! id. Format in `FORMAT.md` ("Repo
//! messages").

use crate::actor::ActorId;
use crate::dag::Signature;
use crate::encoding::{Reader, Writer};
use crate::error::DecodeError;

use super::id::DocId;

/// First byte of every repo message.
const TAG: u8 = 0xD7;
/// The repo message format version.
const VERSION: u8 = 1;
const ANNOUNCE: u8 = 1;
const SYNC: u8 = 2;
const HELLO: u8 = 3;
const PROOF: u8 = 4;
const PRESENCE: u8 = 5;

/// One repo message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RepoMessage {
    /// The documents the sender has.
    Announce(Vec<DocId>),
    /// A sync message for one document.
    Sync {
        /// The document.
        doc: DocId,
        /// The sync message (`Doc::generate_sync_message` bytes).
        message: Vec<u8>,
    },
    /// The sender's actor (public key) and a fresh challenge for the receiver to sign.
    Hello {
        /// The sender's actor.
        actor: ActorId,
        /// A random challenge.
        nonce: [u8; 32],
    },
    /// The sender's signature of the receiver's challenge, proving it holds the key of the
    /// actor its `Hello` named.
    Proof(Signature),
    /// A presence message (`presence` module) about a document.
    Presence {
        /// The document.
        doc: DocId,
        /// The signed presence message.
        message: Vec<u8>,
    },
}

impl RepoMessage {
    /// The message as bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(TAG);
        w.u8(VERSION);
        match self {
            RepoMessage::Announce(docs) => {
                w.u8(ANNOUNCE);
                w.len(docs.len());
                for d in docs {
                    w.bytes(&d.0);
                }
            }
            RepoMessage::Sync { doc, message } => {
                w.u8(SYNC);
                w.bytes(&doc.0);
                w.bytes(message);
            }
            RepoMessage::Hello { actor, nonce } => {
                w.u8(HELLO);
                w.bytes(&actor.0);
                w.bytes(nonce);
            }
            RepoMessage::Proof(signature) => {
                w.u8(PROOF);
                w.bytes(&signature.0);
            }
            RepoMessage::Presence { doc, message } => {
                w.u8(PRESENCE);
                w.bytes(&doc.0);
                w.bytes(message);
            }
        }
        w.buf
    }

    /// Decodes [`RepoMessage::encode`] output.
    pub(crate) fn decode(bytes: &[u8]) -> Result<RepoMessage, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.u8()? != TAG {
            return Err(DecodeError::BadMagic);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let offset = r.offset();
        match r.u8()? {
            ANNOUNCE => {
                let n = r.len(16)?;
                let mut docs = Vec::with_capacity(n);
                for _ in 0..n {
                    docs.push(DocId(r.array()?));
                }
                r.finish()?;
                Ok(RepoMessage::Announce(docs))
            }
            SYNC => {
                let doc = DocId(r.array()?);
                let message = r.bytes(r.remaining())?.to_vec();
                Ok(RepoMessage::Sync { doc, message })
            }
            HELLO => {
                let actor = ActorId(r.array()?);
                let nonce = r.array()?;
                r.finish()?;
                Ok(RepoMessage::Hello { actor, nonce })
            }
            PROOF => {
                let signature = Signature(r.array()?);
                r.finish()?;
                Ok(RepoMessage::Proof(signature))
            }
            PRESENCE => {
                let doc = DocId(r.array()?);
                let message = r.bytes(r.remaining())?.to_vec();
                Ok(RepoMessage::Presence { doc, message })
            }
            tag => Err(DecodeError::UnknownTag { tag, offset }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        for m in [
            RepoMessage::Announce(vec![DocId([1; 16]), DocId([2; 16])]),
            RepoMessage::Sync {
                doc: DocId([3; 16]),
                message: vec![9, 8, 7],
            },
            RepoMessage::Hello {
                actor: ActorId([4; 32]),
                nonce: [5; 32],
            },
            RepoMessage::Proof(Signature([6; 64])),
            RepoMessage::Presence {
                doc: DocId([7; 16]),
                message: vec![1, 2, 3],
            },
        ] {
            assert_eq!(RepoMessage::decode(&m.encode()), Ok(m));
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes: Vec<u8>) {
            let _ = RepoMessage::decode(&bytes);
            let mut tagged = vec![TAG, VERSION];
            tagged.extend_from_slice(&bytes);
            let _ = RepoMessage::decode(&tagged);
        }
    }
}

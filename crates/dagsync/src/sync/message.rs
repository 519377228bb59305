//! The sync message codec: magic `DSYN`, version, heads, need, have (last sync heads and a
//! salted Bloom filter), a change batch, CRC-32. Format in `FORMAT.md` ("Sync message").

use crate::dag::ChangeHash;
use crate::encoding::{Reader, Writer};
use crate::error::DecodeError;

use super::bloom::{byte_len, BloomFilter, SALT_LEN};
use super::envelope;

/// Magic bytes of a sync message.
const MAGIC: [u8; 4] = *b"DSYN";
/// The sync message format version this build writes and reads.
const VERSION: u8 = 1;
/// At most this many Bloom filter entries are accepted (16 MiB of filter).
const MAX_BLOOM_ENTRIES: u64 = 1 << 24;

/// What a peer says it has: everything in the history of `last_sync`, plus (probably) the
/// changes in `bloom`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Have {
    /// Heads both sides had at the sender's last sync with the receiver.
    pub(crate) last_sync: Vec<ChangeHash>,
    /// The sender's changes since `last_sync` that are not in this message.
    pub(crate) bloom: BloomFilter,
}

/// One sync message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    /// The sender's heads.
    pub(crate) heads: Vec<ChangeHash>,
    /// Hashes the sender asks for.
    pub(crate) need: Vec<ChangeHash>,
    /// What the sender has.
    pub(crate) have: Option<Have>,
    /// The sender had the receiver's `have` when it wrote this message, so the message
    /// carries everything the receiver's filter did not claim.
    pub(crate) answers: bool,
    /// The sender starts over (it lacks the last common heads the receiver named).
    pub(crate) reset: bool,
    /// A change-batch chunk (`FORMAT.md`), empty when the message carries no changes.
    pub(crate) changes: Vec<u8>,
}

/// Flag bit: the message answers the receiver's `have`.
const ANSWERS: u8 = 1;
/// Flag bit: the sender lacks the common heads the receiver named and starts over.
const RESET: u8 = 2;

fn write_hashes(w: &mut Writer, hashes: &[ChangeHash]) {
    w.len(hashes.len());
    for h in hashes {
        w.bytes(&h.0);
    }
}

fn read_hashes(r: &mut Reader<'_>) -> Result<Vec<ChangeHash>, DecodeError> {
    let n = r.len(32)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(ChangeHash(r.array()?));
    }
    Ok(out)
}

impl Message {
    /// The message as bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = envelope::open_writer(&MAGIC, VERSION);
        w.u8((u8::from(self.answers) * ANSWERS) | (u8::from(self.reset) * RESET));
        write_hashes(&mut w, &self.heads);
        write_hashes(&mut w, &self.need);
        match &self.have {
            None => w.u8(0),
            Some(have) => {
                w.u8(1);
                write_hashes(&mut w, &have.last_sync);
                w.bytes(&have.bloom.salt());
                w.varint(u64::from(have.bloom.entries()));
                w.bytes(have.bloom.bits());
            }
        }
        w.len(self.changes.len());
        w.bytes(&self.changes);
        envelope::close(w)
    }

    /// Decodes [`Message::encode`] output. Never panics; allocates at most a small multiple
    /// of the input.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = envelope::open_reader(bytes, &MAGIC, VERSION)?;
        let offset = r.offset();
        let flags = r.u8()?;
        if flags & !(ANSWERS | RESET) != 0 {
            return Err(DecodeError::UnknownTag { tag: flags, offset });
        }
        let heads = read_hashes(&mut r)?;
        let need = read_hashes(&mut r)?;
        let have = match r.u8()? {
            0 => None,
            1 => {
                let last_sync = read_hashes(&mut r)?;
                let salt: [u8; SALT_LEN] = r.array()?;
                let offset = r.offset();
                let entries = r.varint()?;
                if entries > MAX_BLOOM_ENTRIES {
                    return Err(DecodeError::LengthOutOfBounds {
                        len: entries,
                        offset,
                    });
                }
                let bits = r.bytes(byte_len(entries as usize))?.to_vec();
                Some(Have {
                    last_sync,
                    bloom: BloomFilter::from_parts(salt, entries as u32, bits),
                })
            }
            tag => {
                return Err(DecodeError::UnknownTag {
                    tag,
                    offset: r.offset(),
                })
            }
        };
        let len = r.len(1)?;
        let changes = r.bytes(len)?.to_vec();
        r.finish()?;
        Ok(Message {
            heads,
            need,
            have,
            answers: flags & ANSWERS != 0,
            reset: flags & RESET != 0,
            changes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Message {
        let hashes: Vec<ChangeHash> = (0..5u8).map(|i| ChangeHash([i; 32])).collect();
        Message {
            heads: hashes[..2].to_vec(),
            need: hashes[2..3].to_vec(),
            have: Some(Have {
                last_sync: hashes[3..].to_vec(),
                bloom: BloomFilter::new([9; SALT_LEN], hashes.iter()),
            }),
            answers: true,
            reset: true,
            changes: vec![1, 2, 3],
        }
    }

    #[test]
    fn round_trips() {
        let m = sample();
        assert_eq!(Message::decode(&m.encode()), Ok(m));
        let empty = Message {
            heads: vec![],
            need: vec![],
            have: None,
            answers: false,
            reset: false,
            changes: vec![],
        };
        assert_eq!(Message::decode(&empty.encode()), Ok(empty));
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(Message::decode(&bytes[..n]).is_err());
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(Message::decode(&b).is_err(), "flip at {i}");
        }
    }

    /// Re-frames `body` (everything after the magic) with a valid checksum.
    fn with_checksum(body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(body);
        let c = crate::checksum::crc32(&out);
        out.extend_from_slice(&c.to_le_bytes());
        out
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        // version, flags, heads count 2^60.
        let body = [
            VERSION, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10,
        ];
        assert!(matches!(
            Message::decode(&with_checksum(&body)),
            Err(DecodeError::LengthOutOfBounds { .. })
        ));
        // A bloom filter claiming 2^24 + 1 entries.
        let mut body = vec![VERSION, 0, 0, 0, 1, 0];
        body.extend_from_slice(&[0; SALT_LEN]);
        body.extend_from_slice(&[0x81, 0x80, 0x80, 0x08]);
        assert!(Message::decode(&with_checksum(&body)).is_err());
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes: Vec<u8>) {
            let _ = Message::decode(&bytes);
            let _ = Message::decode(&with_checksum(&bytes));
        }
    }
}

//! The document snapshot chunk: header, actor table, maps, CRC-32. Layout in `FORMAT.md`.

use std::collections::BTreeMap;

use super::bytes::{Reader, Writer};
use crate::actor::ActorId;
use crate::doc::{Entry, Maps};
use crate::error::{DecodeError, Result};

/// Magic bytes that start every dagsync chunk.
pub(crate) const MAGIC: [u8; 4] = *b"DAGS";
/// The format version this build writes and reads.
pub(crate) const VERSION: u8 = 0;
/// Chunk type of a document snapshot.
pub(crate) const SNAPSHOT: u8 = 0x01;
const HEADER_LEN: usize = MAGIC.len() + 2;
const CHECKSUM_LEN: usize = 4;
/// The smallest possible encoded entry: empty key, empty value, Lamport 0, actor index 0.
const MIN_ENTRY_LEN: usize = 4;
/// The smallest possible encoded map: empty name, zero entries.
const MIN_MAP_LEN: usize = 2;

pub(crate) fn encode_snapshot(maps: &Maps) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(&MAGIC);
    w.u8(VERSION);
    w.u8(SNAPSHOT);
    encode_maps(&mut w, maps);
    let checksum = crc32fast::hash(&w.buf);
    w.bytes(&checksum.to_le_bytes());
    w.buf
}

pub(crate) fn decode_snapshot(bytes: &[u8]) -> Result<Maps> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(DecodeError::Truncated {
            offset: bytes.len(),
        });
    }
    let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if crc32fast::hash(content).to_le_bytes() != checksum {
        return Err(DecodeError::ChecksumMismatch);
    }
    match (content[4], content[5]) {
        (VERSION, SNAPSHOT) => decode_maps(&content[HEADER_LEN..]),
        (VERSION, other) => Err(DecodeError::WrongChunkType(other)),
        (version, _) => Err(DecodeError::UnsupportedVersion(version)),
    }
}

fn encode_maps(w: &mut Writer, maps: &Maps) {
    let actors: Vec<ActorId> = {
        let mut all: Vec<ActorId> = maps
            .values()
            .flat_map(|entries| entries.values().map(|e| e.actor))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    w.len(actors.len());
    for actor in &actors {
        w.bytes(&actor.0);
    }
    w.len(maps.len());
    for (name, entries) in maps {
        w.str(name);
        w.len(entries.len());
        for (key, entry) in entries {
            w.str(key);
            w.str(&entry.value);
            w.varint(entry.lamport);
            // The table holds every entry's actor, so the search always succeeds.
            let index = actors.binary_search(&entry.actor).unwrap_or_default();
            w.len(index);
        }
    }
}

fn decode_maps(payload: &[u8]) -> Result<Maps> {
    let mut r = Reader::new(payload);
    let actor_count = r.len(ActorId::LEN)?;
    let actors = (0..actor_count)
        .map(|_| r.array().map(ActorId))
        .collect::<Result<Vec<_>>>()?;
    if actors.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(DecodeError::NotCanonical);
    }
    let mut maps = Maps::new();
    for _ in 0..r.len(MIN_MAP_LEN)? {
        let name = r.string()?;
        let mut entries = BTreeMap::new();
        for _ in 0..r.len(MIN_ENTRY_LEN)? {
            let key = r.string()?;
            let value = r.string()?;
            let lamport = r.varint()?;
            let index = r.varint()?;
            let actor = usize::try_from(index)
                .ok()
                .and_then(|i| actors.get(i).copied())
                .ok_or(DecodeError::IndexOutOfRange {
                    index,
                    len: actors.len(),
                })?;
            if entries
                .last_key_value()
                .is_some_and(|(last, _)| *last >= key)
            {
                return Err(DecodeError::NotCanonical);
            }
            entries.insert(
                key,
                Entry {
                    value,
                    lamport,
                    actor,
                },
            );
        }
        if maps.last_key_value().is_some_and(|(last, _)| *last >= name) {
            return Err(DecodeError::NotCanonical);
        }
        maps.insert(name, entries);
    }
    r.finish()?;
    Ok(maps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Maps {
        let entry = |value: &str, lamport, actor| Entry {
            value: value.to_owned(),
            lamport,
            actor: ActorId([actor; 32]),
        };
        let mut maps = Maps::new();
        let meta = maps.entry("meta".to_owned()).or_default();
        meta.insert("title".to_owned(), entry("Notes", 3, 2));
        meta.insert("owner".to_owned(), entry("ada", 1, 1));
        maps.entry("empty".to_owned()).or_default();
        maps
    }

    /// Re-seals a mutated chunk with a valid checksum so the decoder behind it is exercised.
    fn reseal(mut content: Vec<u8>) -> Vec<u8> {
        let checksum = crc32fast::hash(&content);
        content.extend_from_slice(&checksum.to_le_bytes());
        content
    }

    #[test]
    fn header_fields_are_checked() {
        let bytes = encode_snapshot(&sample());
        let content = bytes[..bytes.len() - CHECKSUM_LEN].to_vec();
        let mut newer = content.clone();
        newer[4] = VERSION + 1;
        assert_eq!(
            decode_snapshot(&reseal(newer)),
            Err(DecodeError::UnsupportedVersion(VERSION + 1))
        );
        let mut other = content;
        other[5] = 0x7f;
        assert_eq!(
            decode_snapshot(&reseal(other)),
            Err(DecodeError::WrongChunkType(0x7f))
        );
    }

    #[test]
    fn non_canonical_order_is_rejected() {
        let mut w = Writer::default();
        w.len(0); // no actors
        w.len(2);
        w.str("b");
        w.len(0);
        w.str("a");
        w.len(0);
        assert_eq!(decode_maps(&w.buf), Err(DecodeError::NotCanonical));
    }

    #[test]
    fn actor_index_out_of_range_is_rejected() {
        let mut w = Writer::default();
        w.len(0);
        w.len(1);
        w.str("m");
        w.len(1);
        w.str("k");
        w.str("v");
        w.varint(1);
        w.varint(5);
        assert_eq!(
            decode_maps(&w.buf),
            Err(DecodeError::IndexOutOfRange { index: 5, len: 0 })
        );
    }

    proptest! {
        #[test]
        fn decoding_any_payload_never_panics(payload: Vec<u8>) {
            let _ = decode_maps(&payload);
        }

        #[test]
        fn mutated_resealed_snapshots_never_panic(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
        ) {
            let bytes = encode_snapshot(&sample());
            let mut content = bytes[..bytes.len() - CHECKSUM_LEN].to_vec();
            for (index, value) in flips {
                let i = index.index(content.len());
                content[i] = value;
            }
            if let Ok(maps) = decode_snapshot(&reseal(content)) {
                // Whatever decodes must re-encode canonically to the same bytes' meaning.
                prop_assert_eq!(decode_snapshot(&encode_snapshot(&maps)).unwrap(), maps);
            }
        }
    }
}

//! The document: named root maps of strings, last-writer-wins per key.
//!
//! This is the walking skeleton of the engine; the full container tree replaces it.

use std::collections::BTreeMap;

use crate::actor::ActorId;
use crate::encoding::{decode_snapshot, encode_snapshot};
use crate::error::Result;

/// One key's current value with the Lamport timestamp that decides concurrent writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) value: String,
    pub(crate) lamport: u64,
    pub(crate) actor: ActorId,
}

impl Entry {
    /// Total order of writes: higher Lamport timestamp wins, ties broken by actor id.
    fn wins_over(&self, other: &Entry) -> bool {
        (self.lamport, self.actor) > (other.lamport, other.actor)
    }
}

pub(crate) type Maps = BTreeMap<String, BTreeMap<String, Entry>>;

/// A dagsync document.
///
/// ```
/// use dagsync::{ActorId, Doc};
///
/// let mut doc = Doc::new(ActorId([1; 32]));
/// doc.get_map_mut("meta").set("title", "Notes");
/// let restored = Doc::load(&doc.save(), ActorId([2; 32])).unwrap();
/// assert_eq!(restored.get_map("meta").get("title"), Some("Notes"));
/// ```
#[derive(Debug, Clone)]
pub struct Doc {
    actor: ActorId,
    /// The highest Lamport timestamp seen; the next local write uses one more.
    lamport: u64,
    maps: Maps,
}

impl Doc {
    /// An empty document whose local writes are attributed to `actor`.
    pub fn new(actor: ActorId) -> Self {
        Doc {
            actor,
            lamport: 0,
            maps: Maps::new(),
        }
    }

    /// The actor local writes are attributed to.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// Read access to the root map `name` (empty if it was never written).
    pub fn get_map(&self, name: &str) -> MapRef<'_> {
        MapRef {
            entries: self.maps.get(name),
        }
    }

    /// Write access to the root map `name`, creating it on first use.
    pub fn get_map_mut(&mut self, name: &str) -> MapMut<'_> {
        if !self.maps.contains_key(name) {
            self.maps.insert(name.to_owned(), BTreeMap::new());
        }
        MapMut {
            doc: self,
            name: name.to_owned(),
        }
    }

    /// Names of the root maps, sorted.
    pub fn map_names(&self) -> impl Iterator<Item = &str> {
        self.maps.keys().map(String::as_str)
    }

    /// Merges another replica's state into this one; the result is the same whatever the order.
    pub fn merge(&mut self, other: &Doc) {
        for (name, theirs) in &other.maps {
            let ours = self.maps.entry(name.clone()).or_default();
            for (key, entry) in theirs {
                let replace = ours.get(key).is_none_or(|mine| entry.wins_over(mine));
                if replace {
                    ours.insert(key.clone(), entry.clone());
                }
            }
        }
        self.lamport = self.lamport.max(other.lamport);
    }

    /// A compact snapshot of the whole document (format in `FORMAT.md`).
    pub fn save(&self) -> Vec<u8> {
        encode_snapshot(&self.maps)
    }

    /// Restores a document from [`Doc::save`] bytes; later local writes are attributed to
    /// `actor`. Corrupt or truncated input is a [`crate::DecodeError`], never a panic.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Doc> {
        let maps = decode_snapshot(bytes)?;
        let lamport = maps
            .values()
            .flat_map(|entries| entries.values())
            .map(|entry| entry.lamport)
            .max()
            .unwrap_or(0);
        Ok(Doc {
            actor,
            lamport,
            maps,
        })
    }
}

/// Read-only view of a root map.
#[derive(Debug, Clone, Copy)]
pub struct MapRef<'a> {
    entries: Option<&'a BTreeMap<String, Entry>>,
}

impl<'a> MapRef<'a> {
    /// The current value of `key`.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.entries?.get(key).map(|entry| entry.value.as_str())
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.entries
            .into_iter()
            .flat_map(|e| e.keys().map(String::as_str))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.map_or(0, BTreeMap::len)
    }

    /// Whether the map has no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Write access to a root map, borrowed from its document.
#[derive(Debug)]
pub struct MapMut<'a> {
    doc: &'a mut Doc,
    name: String,
}

impl MapMut<'_> {
    /// Sets `key` to `value`; this write wins over every write this replica has seen.
    pub fn set(&mut self, key: &str, value: &str) {
        self.doc.lamport += 1;
        let entry = Entry {
            value: value.to_owned(),
            lamport: self.doc.lamport,
            actor: self.doc.actor,
        };
        self.doc
            .maps
            .entry(self.name.clone())
            .or_default()
            .insert(key.to_owned(), entry);
    }

    /// The current value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.doc.get_map(&self.name).get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DecodeError;
    use proptest::prelude::*;

    fn actor(n: u8) -> ActorId {
        ActorId([n; 32])
    }

    #[test]
    fn set_get_and_overwrite() {
        let mut doc = Doc::new(actor(1));
        let mut meta = doc.get_map_mut("meta");
        meta.set("title", "a");
        meta.set("title", "b");
        assert_eq!(meta.get("title"), Some("b"));
        assert_eq!(doc.get_map("meta").len(), 1);
        assert_eq!(doc.get_map("missing").get("title"), None);
        assert!(doc.get_map("missing").is_empty());
    }

    #[test]
    fn empty_root_map_survives_save_load() {
        let mut doc = Doc::new(actor(1));
        doc.get_map_mut("empty");
        let loaded = Doc::load(&doc.save(), actor(2)).unwrap();
        assert_eq!(loaded.map_names().collect::<Vec<_>>(), ["empty"]);
    }

    #[test]
    fn later_write_wins_after_merge_both_ways() {
        let mut a = Doc::new(actor(1));
        let mut b = Doc::new(actor(2));
        a.get_map_mut("m").set("k", "from a");
        b.merge(&a);
        b.get_map_mut("m").set("k", "from b"); // saw a's write, so it wins
        a.merge(&b);
        assert_eq!(a.get_map("m").get("k"), Some("from b"));
        assert_eq!(b.get_map("m").get("k"), Some("from b"));
    }

    #[test]
    fn concurrent_writes_pick_the_same_winner_everywhere() {
        let mut a = Doc::new(actor(1));
        let mut b = Doc::new(actor(2));
        a.get_map_mut("m").set("k", "a");
        b.get_map_mut("m").set("k", "b");
        let (a0, b0) = (a.clone(), b.clone());
        a.merge(&b0);
        b.merge(&a0);
        assert_eq!(a.get_map("m").get("k"), b.get_map("m").get("k"));
        assert_eq!(a.get_map("m").get("k"), Some("b")); // equal Lamport: higher actor wins
    }

    #[test]
    fn writes_after_load_win_over_loaded_ones() {
        let mut a = Doc::new(actor(9));
        a.get_map_mut("m").set("k", "old");
        let mut b = Doc::load(&a.save(), actor(1)).unwrap();
        b.get_map_mut("m").set("k", "new");
        a.merge(&b);
        assert_eq!(a.get_map("m").get("k"), Some("new"));
    }

    #[test]
    fn corrupt_bytes_are_typed_errors() {
        let mut doc = Doc::new(actor(1));
        doc.get_map_mut("m").set("k", "v");
        let bytes = doc.save();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x01;
            assert!(Doc::load(&flipped, actor(1)).is_err(), "flip at byte {i}");
        }
        for len in 0..bytes.len() {
            assert!(
                Doc::load(&bytes[..len], actor(1)).is_err(),
                "truncated to {len}"
            );
        }
        assert_eq!(
            Doc::load(b"nope, not a doc", actor(1)).unwrap_err(),
            DecodeError::BadMagic
        );
    }

    /// Three replicas (actors `first_actor..first_actor + 3`) writing at random, then merged.
    /// Separate documents must use separate actors: (Lamport, actor) names one write.
    fn arb_doc(first_actor: u8) -> impl Strategy<Value = Doc> {
        let writes = prop::collection::vec((0u8..3, "[a-c]{0,3}", ".{0,8}", 0u8..3), 0..40);
        writes.prop_map(move |writes| {
            let mut replicas: Vec<Doc> = (0..3)
                .map(move |i| Doc::new(actor(first_actor + i)))
                .collect();
            for (who, key, value, map) in writes {
                let doc = &mut replicas[usize::from(who)];
                doc.get_map_mut(&format!("map{map}")).set(&key, &value);
            }
            let mut merged = replicas[0].clone();
            merged.merge(&replicas[1]);
            merged.merge(&replicas[2]);
            merged
        })
    }

    proptest! {
        #[test]
        fn save_load_round_trips(doc in arb_doc(0)) {
            let loaded = Doc::load(&doc.save(), actor(7)).unwrap();
            prop_assert_eq!(&loaded.maps, &doc.maps);
            prop_assert_eq!(loaded.save(), doc.save());
        }

        #[test]
        fn merge_is_commutative_and_idempotent(a in arb_doc(0), b in arb_doc(3)) {
            let mut ab = a.clone();
            ab.merge(&b);
            let mut ba = b.clone();
            ba.merge(&a);
            prop_assert_eq!(&ab.maps, &ba.maps);
            let mut again = ab.clone();
            again.merge(&b);
            prop_assert_eq!(&again.maps, &ab.maps);
        }

        #[test]
        fn load_never_panics(bytes: Vec<u8>) {
            let _ = Doc::load(&bytes, actor(0));
        }
    }
}

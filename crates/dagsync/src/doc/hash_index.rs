//! The index of sealed changes by hash, cheap to copy: a large base map shared between forks
//! and a small overlay of each copy's own additions, moves and removals, folded into a new
//! base once it grows past a fraction of the base (so every insert stays amortised O(1) and a
//! copy costs the overlay, not the whole index). While no copy shares the base, entries go
//! into the base directly.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::dag::ChangeHash;

/// Change hashes to log indexes.
#[derive(Clone, Debug, Default)]
pub(crate) struct HashIndex {
    base: Arc<FxHashMap<ChangeHash, u32>>,
    /// Entries that differ from `base`: `None` for a removed hash.
    overlay: FxHashMap<ChangeHash, Option<u32>>,
}

impl HashIndex {
    /// The log index of the change with hash `hash`.
    pub(crate) fn get(&self, hash: &ChangeHash) -> Option<&u32> {
        match self.overlay.get(hash) {
            Some(entry) => entry.as_ref(),
            None => self.base.get(hash),
        }
    }

    /// Whether a change with hash `hash` is indexed.
    pub(crate) fn contains_key(&self, hash: &ChangeHash) -> bool {
        self.get(hash).is_some()
    }

    /// Records that the change with hash `hash` has log index `index`.
    pub(crate) fn insert(&mut self, hash: ChangeHash, index: u32) {
        if let Some(base) = Arc::get_mut(&mut self.base) {
            // No copy shares the base: it takes the entry itself (one map insert per sealed
            // change instead of an overlay entry folded in later).
            if !self.overlay.is_empty() {
                self.overlay.remove(&hash);
            }
            base.insert(hash, index);
            return;
        }
        if self.base.get(&hash) == Some(&index) {
            self.overlay.remove(&hash);
        } else {
            self.overlay.insert(hash, Some(index));
            self.fold_if_large();
        }
    }

    /// Forgets the change with hash `hash`.
    pub(crate) fn remove(&mut self, hash: &ChangeHash) {
        if self.base.contains_key(hash) {
            self.overlay.insert(*hash, None);
            self.fold_if_large();
        } else {
            self.overlay.remove(hash);
        }
    }

    /// Number of indexed changes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let mut len = self.base.len();
        for (hash, entry) in &self.overlay {
            match (self.base.contains_key(hash), entry.is_some()) {
                (false, true) => len += 1,
                (true, false) => len -= 1,
                _ => {}
            }
        }
        len
    }

    /// Folds the overlay into a new base once it holds more than an eighth of the base.
    fn fold_if_large(&mut self) {
        if self.overlay.len() <= 64 + self.base.len() / 8 {
            return;
        }
        let base = Arc::make_mut(&mut self.base);
        for (hash, entry) in self.overlay.drain() {
            match entry {
                Some(index) => base.insert(hash, index),
                None => base.remove(&hash),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Behaves like a `HashMap`, and changes to a copy never show in the original.
        #[test]
        fn behaves_like_a_map(ops in prop::collection::vec((any::<bool>(), 0u8..100, 0u32..50), 0..600)) {
            let mut index = HashIndex::default();
            let mut model: HashMap<ChangeHash, u32> = HashMap::new();
            let mut snapshots = Vec::new();
            for (k, (insert, key, value)) in ops.into_iter().enumerate() {
                let hash = ChangeHash([key; 32]);
                if insert {
                    index.insert(hash, value);
                    model.insert(hash, value);
                } else {
                    index.remove(&hash);
                    model.remove(&hash);
                }
                if k % 97 == 0 {
                    snapshots.push((index.clone(), model.clone()));
                }
            }
            snapshots.push((index, model));
            for (index, model) in snapshots {
                prop_assert_eq!(index.len(), model.len());
                for key in 0u8..100 {
                    let hash = ChangeHash([key; 32]);
                    prop_assert_eq!(index.get(&hash), model.get(&hash));
                    prop_assert_eq!(index.contains_key(&hash), model.contains_key(&hash));
                }
            }
        }
    }
}

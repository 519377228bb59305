//! Which leaf holds an item, by id: per actor, a map of disjoint counter ranges to leaves.
//! The maps are shared between copies of a sequence until one of them writes.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::id::{ActorIdx, Id};

/// `start counter → (end counter exclusive, leaf)` for one actor.
type Ranges = BTreeMap<u64, (u64, u32)>;

/// The most recently added range, kept out of the map while it keeps growing (typing
/// appends ids one after another, which then costs O(1) instead of a map update each).
#[derive(Clone, Copy, Debug)]
struct Tail {
    actor: ActorIdx,
    start: u64,
    end: u64,
    leaf: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct IdIndex {
    actors: Vec<Arc<Ranges>>,
    tail: Option<Tail>,
}

impl IdIndex {
    fn ranges_mut(&mut self, actor: ActorIdx) -> &mut Ranges {
        let i = actor as usize;
        if self.actors.len() <= i {
            self.actors.resize_with(i + 1, Default::default);
        }
        Arc::make_mut(&mut self.actors[i])
    }

    /// Moves the tail range into the map.
    fn flush(&mut self) {
        if let Some(t) = self.tail.take() {
            self.ranges_mut(t.actor).insert(t.start, (t.end, t.leaf));
        }
    }

    /// The leaf holding item `id`.
    pub(crate) fn get(&self, id: Id) -> Option<u32> {
        self.entry(id).map(|(_, leaf)| leaf)
    }

    /// The end (exclusive counter) and leaf of the recorded range holding item `id`.
    pub(crate) fn entry(&self, id: Id) -> Option<(u64, u32)> {
        if let Some(t) = self.tail {
            if t.actor == id.actor && id.counter >= t.start && id.counter < t.end {
                return Some((t.end, t.leaf));
            }
        }
        let ranges = self.actors.get(id.actor as usize)?;
        let (_, &(end, leaf)) = ranges.range(..=id.counter).next_back()?;
        (id.counter < end).then_some((end, leaf))
    }

    /// Forgets every item of `actor` with a counter of `limit` or more.
    pub(crate) fn truncate(&mut self, actor: ActorIdx, limit: u64) {
        if let Some(t) = &mut self.tail {
            if t.actor == actor && t.end > limit {
                if t.start >= limit {
                    self.tail = None;
                } else {
                    t.end = limit;
                }
            }
        }
        // The maps are shared with other copies: only write when something goes.
        let Some(ranges) = self.actors.get_mut(actor as usize) else {
            return;
        };
        if ranges.range(limit..).next().is_none()
            && ranges
                .range(..limit)
                .next_back()
                .is_none_or(|(_, &(end, _))| end <= limit)
        {
            return;
        }
        let ranges = Arc::make_mut(ranges);
        drop(ranges.split_off(&limit));
        if let Some((_, (end, _))) = ranges.range_mut(..limit).next_back() {
            if *end > limit {
                *end = limit;
            }
        }
    }

    /// Records that items `start .. start+len`, which are recorded as one range, now live in
    /// `leaf` (a leaf split moving whole runs): one map update, without merging neighbours.
    pub(crate) fn relocate(&mut self, start: Id, len: u64, leaf: u32) {
        self.flush();
        let ranges = self.ranges_mut(start.actor);
        let (lo, hi) = (start.counter, start.counter + len);
        // Usually the moved items are one recorded range or lie inside one: cut it in place
        // (one search and at most two inserts, where `set` also merges neighbours).
        let Some((&s, entry)) = ranges.range_mut(..=lo).next_back() else {
            return self.set(start, len, leaf);
        };
        let (e, old_leaf) = *entry;
        if e < hi {
            return self.set(start, len, leaf);
        }
        if s == lo {
            *entry = (hi, leaf);
        } else {
            entry.0 = lo;
            ranges.insert(lo, (hi, leaf));
        }
        if e > hi {
            ranges.insert(hi, (e, old_leaf));
        }
    }

    /// Records that items `start .. start+len` live in `leaf`, replacing whatever was recorded
    /// for any of them; adjacent ranges of the same leaf are merged.
    pub(crate) fn set(&mut self, start: Id, len: u64, leaf: u32) {
        self.flush();
        let ranges = self.ranges_mut(start.actor);
        let (lo, hi) = (start.counter, start.counter + len);
        // Moving exactly one recorded range (a leaf split moves whole runs) needs no cutting.
        if ranges.get(&lo).is_some_and(|&(end, _)| end == hi) {
            ranges.remove(&lo);
        } else {
            // Cut an entry that starts before `lo` and reaches into the range.
            if let Some((&s, &(e, l))) = ranges.range(..lo).next_back() {
                if e > lo {
                    ranges.insert(s, (lo, l));
                    if e > hi {
                        ranges.insert(hi, (e, l));
                    }
                }
            }
            // Remove or trim entries starting inside the range.
            while let Some((&s, &(e, l))) = ranges.range(lo..hi).next() {
                ranges.remove(&s);
                if e > hi {
                    ranges.insert(hi, (e, l));
                }
            }
        }
        // Insert, merging with neighbours that continue the same leaf.
        let mut new_lo = lo;
        let mut new_hi = hi;
        if let Some((&s, &(e, l))) = ranges.range(..lo).next_back() {
            if e == lo && l == leaf {
                ranges.remove(&s);
                new_lo = s;
            }
        }
        if let Some(&(e, l)) = ranges.get(&hi) {
            if l == leaf {
                ranges.remove(&hi);
                new_hi = e;
            }
        }
        ranges.insert(new_lo, (new_hi, leaf));
    }

    /// Records fresh ids `start .. start+len` (never recorded before) as living in `leaf`.
    pub(crate) fn insert_new(&mut self, start: Id, len: u64, leaf: u32) {
        let (lo, hi) = (start.counter, start.counter + len);
        if let Some(t) = &mut self.tail {
            if t.actor == start.actor && t.end == lo && t.leaf == leaf {
                t.end = hi;
                return;
            }
        }
        self.flush();
        self.tail = Some(Tail {
            actor: start.actor,
            start: lo,
            end: hi,
            leaf,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_overwrite() {
        let mut index = IdIndex::default();
        index.set(Id::new(0, 0), 10, 1);
        index.set(Id::new(0, 4), 3, 2);
        assert_eq!(index.get(Id::new(0, 3)), Some(1));
        assert_eq!(index.get(Id::new(0, 4)), Some(2));
        assert_eq!(index.get(Id::new(0, 6)), Some(2));
        assert_eq!(index.get(Id::new(0, 7)), Some(1));
        assert_eq!(index.get(Id::new(0, 10)), None);
        assert_eq!(index.get(Id::new(1, 0)), None);
        index.set(Id::new(0, 4), 3, 1);
        assert_eq!(index.actors[0].len(), 1, "ranges of one leaf merge back");
        index.insert_new(Id::new(0, 10), 5, 1);
        index.insert_new(Id::new(0, 15), 1, 1);
        assert_eq!(index.get(Id::new(0, 15)), Some(1), "found in the tail");
        index.insert_new(Id::new(1, 0), 2, 3);
        assert_eq!(index.get(Id::new(0, 14)), Some(1), "found after the flush");
        assert_eq!(index.get(Id::new(1, 1)), Some(3));
        index.set(Id::new(1, 1), 1, 4);
        assert_eq!(index.get(Id::new(1, 0)), Some(3));
        assert_eq!(index.get(Id::new(1, 1)), Some(4));
    }

    #[test]
    fn truncate_forgets_ids_from_a_limit_in_that_copy_only() {
        let mut index = IdIndex::default();
        index.set(Id::new(0, 0), 10, 1);
        index.set(Id::new(0, 10), 5, 2);
        index.insert_new(Id::new(0, 20), 5, 3);
        let copy = index.clone();
        index.truncate(0, 12);
        assert_eq!(index.get(Id::new(0, 11)), Some(2));
        assert_eq!(index.get(Id::new(0, 12)), None);
        assert_eq!(index.get(Id::new(0, 21)), None);
        assert_eq!(index.entry(Id::new(0, 3)), Some((10, 1)));
        assert_eq!(copy.get(Id::new(0, 13)), Some(2));
        assert_eq!(copy.get(Id::new(0, 21)), Some(3));
        index.insert_new(Id::new(0, 12), 3, 4);
        index.insert_new(Id::new(1, 0), 1, 4);
        assert_eq!(index.get(Id::new(0, 13)), Some(4));
        assert_eq!(index.get(Id::new(0, 11)), Some(2));
        index.truncate(1, 0);
        assert_eq!(index.get(Id::new(1, 0)), None);
    }
}

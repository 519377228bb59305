//! Sets of operation ids, as sorted disjoint counter ranges per actor (which items some
//! deletes cover, for instance).

use rustc_hash::FxHashMap;

use crate::id::{ActorIdx, Id};

/// A set of operation ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IdRanges {
    /// Per actor, sorted disjoint non-adjacent `start..end` counter ranges.
    by_actor: FxHashMap<ActorIdx, Vec<(u64, u64)>>,
}

impl IdRanges {
    /// The ids of some spans `(first id, length)`, in any order, possibly overlapping.
    pub(crate) fn from_spans(spans: impl IntoIterator<Item = (Id, u64)>) -> IdRanges {
        let mut by_actor: FxHashMap<ActorIdx, Vec<(u64, u64)>> = FxHashMap::default();
        for (start, len) in spans {
            if len > 0 {
                let end = start.counter.saturating_add(len);
                by_actor
                    .entry(start.actor)
                    .or_default()
                    .push((start.counter, end));
            }
        }
        for ranges in by_actor.values_mut() {
            normalize(ranges);
        }
        IdRanges { by_actor }
    }

    /// The ranges as `(first id, length)`, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Id, u64)> + '_ {
        self.by_actor.iter().flat_map(|(&actor, ranges)| {
            ranges
                .iter()
                .map(move |&(start, end)| (Id::new(actor, start), end - start))
        })
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_actor.is_empty()
    }

    /// Whether any of the ids `start .. start+len` is in the set.
    pub(crate) fn intersects(&self, start: Id, len: u64) -> bool {
        let end = start.counter.saturating_add(len);
        self.overlapping(start.actor, start.counter, end)
            .next()
            .is_some()
    }

    /// The parts of the set among counters `lo..hi` of `actor`, in order.
    pub(crate) fn overlapping(
        &self,
        actor: ActorIdx,
        lo: u64,
        hi: u64,
    ) -> impl Iterator<Item = (u64, u64)> + '_ {
        let ranges = self.by_actor.get(&actor).map_or(&[][..], Vec::as_slice);
        let first = ranges.partition_point(|&(_, end)| end <= lo);
        ranges[first..]
            .iter()
            .take_while(move |&&(start, _)| start < hi)
            .map(move |&(start, end)| (start.max(lo), end.min(hi)))
    }

    /// The ids of `self` that are not in `other`.
    pub(crate) fn minus(&self, other: &IdRanges) -> IdRanges {
        let mut by_actor = FxHashMap::default();
        for (&actor, ranges) in &self.by_actor {
            let mut left = Vec::new();
            for &(start, end) in ranges {
                let mut at = start;
                for (s, e) in other.overlapping(actor, start, end) {
                    if s > at {
                        left.push((at, s));
                    }
                    at = e;
                }
                if at < end {
                    left.push((at, end));
                }
            }
            if !left.is_empty() {
                by_actor.insert(actor, left);
            }
        }
        IdRanges { by_actor }
    }
}

/// Sorts ranges and merges overlapping or adjacent ones.
fn normalize(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    *ranges = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(spans: &[(u32, u64, u64)]) -> std::collections::BTreeSet<(u32, u64)> {
        spans
            .iter()
            .flat_map(|&(a, s, l)| (s..s + l).map(move |c| (a, c)))
            .collect()
    }

    fn to_ids(spans: &[(u32, u64, u64)]) -> IdRanges {
        IdRanges::from_spans(spans.iter().map(|&(a, s, l)| (Id::new(a, s), l)))
    }

    proptest! {
        #[test]
        fn matches_a_set_of_ids(
            a in prop::collection::vec((0u32..2, 0u64..30, 0u64..6), 0..8),
            b in prop::collection::vec((0u32..2, 0u64..30, 0u64..6), 0..8),
        ) {
            let (set_a, set_b) = (naive(&a), naive(&b));
            let (ids_a, ids_b) = (to_ids(&a), to_ids(&b));
            prop_assert_eq!(ids_a.is_empty(), set_a.is_empty());
            let diff = ids_a.minus(&ids_b);
            for actor in 0..2 {
                for c in 0..40 {
                    let id = Id::new(actor, c);
                    prop_assert_eq!(ids_a.intersects(id, 1), set_a.contains(&(actor, c)));
                    let expect = set_a.contains(&(actor, c)) && !set_b.contains(&(actor, c));
                    prop_assert_eq!(diff.intersects(id, 1), expect);
                }
                let parts: Vec<_> = ids_a.overlapping(actor, 5, 20).collect();
                let covered: usize = parts.iter().map(|(s, e)| (e - s) as usize).sum();
                let expect = set_a.iter().filter(|&&(x, c)| x == actor && (5..20).contains(&c)).count();
                prop_assert_eq!(covered, expect);
                prop_assert!(parts.windows(2).all(|w| w[0].1 < w[1].0));
            }
        }
    }
}

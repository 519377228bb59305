//! A Fenwick (binary indexed) tree over the leaves of a sequence, with two weight lanes:
//! visible items (chars) and their UTF-16 length. Prefix sums and searches are O(log n).

/// Which weight a position counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    /// Items (Unicode scalar values for text).
    Items,
    /// UTF-16 code units (text only; equal to items for lists).
    Utf16,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Fenwick {
    items: Vec<u64>,
    utf16: Vec<u64>,
}

impl Fenwick {
    /// Builds the tree from per-leaf weights `(items, utf16)` in O(n).
    pub(crate) fn build(weights: impl Iterator<Item = (u64, u64)>) -> Fenwick {
        let (mut items, mut utf16): (Vec<u64>, Vec<u64>) = weights.unzip();
        for lane in [&mut items, &mut utf16] {
            for i in 0..lane.len() {
                let parent = i | (i + 1);
                if parent < lane.len() {
                    lane[parent] += lane[i];
                }
            }
        }
        Fenwick { items, utf16 }
    }

    fn lane(&self, lane: Lane) -> &[u64] {
        match lane {
            Lane::Items => &self.items,
            Lane::Utf16 => &self.utf16,
        }
    }

    /// Adds signed deltas to leaf `pos`.
    pub(crate) fn add(&mut self, pos: usize, items: i64, utf16: i64) {
        let mut i = pos;
        while i < self.items.len() {
            self.items[i] = self.items[i].wrapping_add_signed(items);
            self.utf16[i] = self.utf16[i].wrapping_add_signed(utf16);
            i |= i + 1;
        }
    }

    /// Sum of the weights of leaves `0..pos`.
    pub(crate) fn prefix(&self, pos: usize, lane: Lane) -> u64 {
        let tree = self.lane(lane);
        let mut sum = 0;
        let mut i = pos;
        while i > 0 {
            sum += tree[i - 1];
            i &= i - 1;
        }
        sum
    }

    /// The leaf holding weight offset `target` (the first leaf whose prefix sum including itself
    /// exceeds `target`) and the sum before it; `None` when `target` ≥ the total.
    pub(crate) fn find(&self, target: u64, lane: Lane) -> Option<(usize, u64)> {
        let tree = self.lane(lane);
        let n = tree.len();
        let mut pos = 0usize;
        let mut rest = target;
        let mut step = n.checked_next_power_of_two().unwrap_or(0);
        while step > 0 {
            let next = pos + step;
            if next <= n && tree[next - 1] <= rest {
                rest -= tree[next - 1];
                pos = next;
            }
            step >>= 1;
        }
        (pos < n).then_some((pos, target - rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_naive_sums(weights in prop::collection::vec((0u64..5, 0u64..9), 1..40),
                              updates in prop::collection::vec((any::<prop::sample::Index>(), 0u64..5), 0..20)) {
            let mut naive = weights.clone();
            let mut tree = Fenwick::build(weights.iter().copied());
            for (index, value) in updates {
                let i = index.index(naive.len());
                let delta = value as i64 - naive[i].0 as i64;
                tree.add(i, delta, 0);
                naive[i].0 = value;
            }
            let total: u64 = naive.iter().map(|w| w.0).sum();
            for pos in 0..=naive.len() {
                let expect: u64 = naive[..pos].iter().map(|w| w.0).sum();
                prop_assert_eq!(tree.prefix(pos, Lane::Items), expect);
            }
            for target in 0..total + 2 {
                let expect = (0..naive.len()).find(|&i| naive[..=i].iter().map(|w| w.0).sum::<u64>() > target)
                    .map(|i| (i, naive[..i].iter().map(|w| w.0).sum::<u64>()));
                prop_assert_eq!(tree.find(target, Lane::Items), expect);
            }
        }
    }
}

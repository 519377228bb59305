//! A vector that is cheap to copy: its elements live in fixed-size chunks shared between the
//! copies, and a chunk is copied only when a copy writes to it. Forks and checkouts copy the
//! change log in O(len / CHUNK) this way.

use std::ops::{Index, IndexMut};
use std::sync::Arc;

/// Elements per chunk.
const CHUNK: usize = 128;

/// A copy-on-write chunked vector.
#[derive(Clone, Debug)]
pub(crate) struct SharedVec<T> {
    /// Full chunks of `CHUNK` elements, then possibly one partial chunk.
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for SharedVec<T> {
    fn default() -> Self {
        SharedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> SharedVec<T> {
    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Element `i`, if there is one.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// Appends an element.
    pub(crate) fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => Arc::make_mut(chunk).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
    }

    /// The elements in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Keeps the first `first` elements and, after them, the elements `i` with `keep(i)`.
    pub(crate) fn retain_after(&mut self, first: usize, mut keep: impl FnMut(usize) -> bool) {
        if first >= self.len {
            return;
        }
        let kept: Vec<T> = (first..self.len)
            .filter(|&i| keep(i))
            .filter_map(|i| self.get(i).cloned())
            .collect();
        self.truncate(first);
        for value in kept {
            self.push(value);
        }
    }

    /// Keeps the first `len` elements.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        self.chunks.truncate(len.div_ceil(CHUNK));
        let rest = len % CHUNK;
        if rest > 0 {
            if let Some(last) = self.chunks.last_mut() {
                Arc::make_mut(last).truncate(rest);
            }
        }
        self.len = len;
    }
}

impl<T: Clone> Index<usize> for SharedVec<T> {
    type Output = T;

    /// Element `i`; panics when `i` is out of bounds, like a slice.
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T: Clone> IndexMut<usize> for SharedVec<T> {
    /// Element `i` for writing; panics when `i` is out of bounds, like a slice.
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut Arc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Behaves like a `Vec`, and writes to a copy never show in the original.
        #[test]
        fn behaves_like_a_vec(len in 0usize..400, first in 0usize..450, cut in 0usize..450, step in 1usize..5) {
            let mut model: Vec<usize> = (0..len).collect();
            let mut shared = SharedVec::default();
            for &x in &model {
                shared.push(x);
            }
            let original = shared.clone();
            shared.retain_after(first, |i| i % step == 0);
            model = model.iter().copied().enumerate()
                .filter(|&(i, _)| i < first || i % step == 0).map(|(_, x)| x).collect();
            prop_assert_eq!(shared.iter().copied().collect::<Vec<_>>(), model.clone());
            shared.truncate(cut);
            model.truncate(cut);
            if !model.is_empty() {
                shared[0] += 1000;
                model[0] += 1000;
            }
            shared.push(7);
            model.push(7);
            prop_assert_eq!(shared.len(), model.len());
            prop_assert_eq!(shared.iter().copied().collect::<Vec<_>>(), model.clone());
            for (i, x) in model.iter().enumerate() {
                prop_assert_eq!(shared[i], *x);
            }
            prop_assert_eq!(original.iter().copied().collect::<Vec<_>>(), (0..len).collect::<Vec<_>>());
        }
    }
}

//! The sequence CRDT behind List and Text (YATA family, the "YjsMod"/FugueMax ordering: runs
//! typed concurrently never interleave).
//!
//! Items live in runs ([`Run`]) inside leaves of at most [`MAX_RUNS`] runs; leaves are kept in
//! document order and a Fenwick tree over their visible weights finds a position in
//! O(log n). An id index maps an item id to its leaf, so remote operations that name items by
//! id also resolve in O(log n). Content (characters, list values) lives in an arena owned by
//! the container; runs only point into it.

mod fenwick;
mod id_index;
mod id_ranges;
mod integrate;
mod retreat;
mod run;

pub(crate) use fenwick::Lane;
pub(crate) use id_ranges::IdRanges;
pub(crate) use integrate::PlaceError;
pub(crate) use run::Run;

use std::cell::Cell;

use fenwick::Fenwick;
use id_index::IdIndex;

use crate::id::Id;

/// Leaves split when they hold more runs than this.
const MAX_RUNS: usize = 64;

/// UTF-16 weight of content in the container's arena.
pub(crate) trait Weights {
    /// UTF-16 code units of the `len` items starting at arena index `start`.
    fn utf16(&self, start: u32, len: u32) -> u64;
}

/// List content: every item weighs one unit in both lanes.
pub(crate) struct Uniform;

impl Weights for Uniform {
    fn utf16(&self, _start: u32, len: u32) -> u64 {
        u64::from(len)
    }
}

impl Weights for [char] {
    fn utf16(&self, start: u32, len: u32) -> u64 {
        let (start, len) = (start as usize, len as usize);
        self[start..start + len]
            .iter()
            .map(|c| c.len_utf16() as u64)
            .sum()
    }
}

/// The characters of a Text, in insertion order (runs point into it), remembering whether any
/// lies outside the Basic Multilingual Plane: until one does, a run's UTF-16 length is its
/// character count and weighing runs costs nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextArena {
    chars: Vec<char>,
    astral: bool,
}

impl TextArena {
    /// Appends `text`; returns the arena index of its first character and its length.
    /// Whether every character is in the Basic Multilingual Plane: then a UTF-16 position is
    /// a character position.
    pub(crate) fn bmp_only(&self) -> bool {
        !self.astral
    }

    pub(crate) fn push_str(&mut self, text: &str) -> (u32, u32) {
        let start = self.chars.len() as u32;
        if text.is_ascii() {
            self.chars.extend(text.bytes().map(char::from));
        } else {
            self.chars.extend(text.chars());
            self.astral |= text.chars().any(|c| c.len_utf16() > 1);
        }
        (start, self.chars.len() as u32 - start)
    }
}

impl std::ops::Deref for TextArena {
    type Target = [char];

    fn deref(&self) -> &[char] {
        &self.chars
    }
}

impl Weights for TextArena {
    fn utf16(&self, start: u32, len: u32) -> u64 {
        if self.astral {
            self.chars.utf16(start, len)
        } else {
            u64::from(len)
        }
    }
}

/// Visible `(items, UTF-16 units)` of some runs.
fn weigh<W: Weights + ?Sized>(runs: &[Run], w: &W) -> (u64, u64) {
    runs.iter()
        .filter(|r| !r.deleted)
        .fold((0, 0), |(i, u), r| {
            (i + u64::from(r.len), u + w.utf16(r.content, r.len))
        })
}

/// An item position: run `run` of leaf `leaf`, `offset` items into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) leaf: u32,
    pub(crate) run: u32,
    pub(crate) offset: u32,
}

/// A referenced item does not exist in this sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MissingItem(pub(crate) Id);

#[derive(Clone, Debug)]
struct Leaf {
    runs: Vec<Run>,
    /// Visible items in this leaf.
    items: u64,
    /// Visible UTF-16 code units in this leaf.
    utf16: u64,
    /// This leaf's index in [`Sequence::order`].
    pos: u32,
}

/// The order of all items (visible and deleted) of one List or Text container.
#[derive(Clone, Debug)]
pub(crate) struct Sequence {
    leaves: Vec<Leaf>,
    /// Leaf ids in document order.
    order: Vec<u32>,
    fenwick: Fenwick,
    index: IdIndex,
    items: u64,
    utf16: u64,
    /// The last leaf a position lookup landed in and its first visible index: edits cluster,
    /// so the next lookup usually lands there again without a tree search. Cleared when a
    /// change could move that leaf's start (a split, or weight changing in another leaf).
    hint: Cell<Option<(u32, u64)>>,
}

impl Default for Sequence {
    fn default() -> Self {
        Sequence {
            leaves: vec![Leaf {
                runs: Vec::new(),
                items: 0,
                utf16: 0,
                pos: 0,
            }],
            order: vec![0],
            fenwick: Fenwick::build([(0, 0)].into_iter()),
            index: IdIndex::default(),
            items: 0,
            utf16: 0,
            hint: Cell::new(None),
        }
    }
}

impl Sequence {
    /// Visible length in the given lane.
    pub(crate) fn len(&self, lane: Lane) -> u64 {
        match lane {
            Lane::Items => self.items,
            Lane::Utf16 => self.utf16,
        }
    }

    /// All runs, visible and deleted, in document order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = &Run> + '_ {
        self.order
            .iter()
            .flat_map(move |&leaf| self.leaves[leaf as usize].runs.iter())
    }

    fn run(&self, c: Cursor) -> &Run {
        &self.leaves[c.leaf as usize].runs[c.run as usize]
    }

    /// The run a cursor points into.
    pub(crate) fn run_at(&self, c: Cursor) -> &Run {
        self.run(c)
    }

    /// Document-order sort key of a cursor (never 0, which stands for the document start).
    fn key(&self, c: Cursor) -> (u32, u32, u32) {
        (self.leaves[c.leaf as usize].pos + 1, c.run, c.offset)
    }

    /// The cursor of item `id`.
    pub(crate) fn cursor_of(&self, id: Id) -> Option<Cursor> {
        let leaf = self.index.get(id)?;
        let runs = &self.leaves[leaf as usize].runs;
        let run = runs.iter().position(|r| r.contains(id))?;
        Some(Cursor {
            leaf,
            run: run as u32,
            offset: (id.counter - runs[run].id.counter) as u32,
        })
    }

    /// Whether items `start .. start+len` all exist.
    #[cfg(test)]
    pub(crate) fn contains_range(&self, start: Id, len: u64) -> bool {
        let mut id = start;
        let end = start.counter.saturating_add(len);
        while id.counter < end {
            let Some(c) = self.cursor_of(id) else {
                return false;
            };
            let run = self.run(c);
            id = id.plus(u64::from(run.len - c.offset));
        }
        true
    }

    /// The cursor at the `index`-th visible item (`index` < visible length).
    pub(crate) fn find_visible(&self, index: u64) -> Option<Cursor> {
        let (leaf, before) = match self.hint.get() {
            Some((leaf, start))
                if index >= start && index - start < self.leaves[leaf as usize].items =>
            {
                (leaf, start)
            }
            _ => {
                let (pos, before) = self.fenwick.find(index, Lane::Items)?;
                let leaf = self.order[pos];
                self.hint.set(Some((leaf, before)));
                (leaf, before)
            }
        };
        let mut rest = index - before;
        for (i, run) in self.leaves[leaf as usize].runs.iter().enumerate() {
            let visible = run.visible();
            if rest < visible {
                return Some(Cursor {
                    leaf,
                    run: i as u32,
                    offset: rest as u32,
                });
            }
            rest -= visible;
        }
        None
    }

    /// Number of visible items before cursor `c` (plus none for `c` itself).
    pub(crate) fn visible_index(&self, c: Cursor) -> u64 {
        let leaf = &self.leaves[c.leaf as usize];
        let before_leaf = self.fenwick.prefix(leaf.pos as usize, Lane::Items);
        let before_run: u64 = leaf.runs[..c.run as usize].iter().map(Run::visible).sum();
        let run = &leaf.runs[c.run as usize];
        let within = if run.deleted { 0 } else { u64::from(c.offset) };
        before_leaf + before_run + within
    }

    /// Visible UTF-16 units before cursor `c`.
    fn visible_utf16_index<W: Weights + ?Sized>(&self, c: Cursor, w: &W) -> u64 {
        let leaf = &self.leaves[c.leaf as usize];
        let before_leaf = self.fenwick.prefix(leaf.pos as usize, Lane::Utf16);
        let before_run: u64 = leaf.runs[..c.run as usize]
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| w.utf16(r.content, r.len))
            .sum();
        let run = &leaf.runs[c.run as usize];
        let within = if run.deleted {
            0
        } else {
            w.utf16(run.content, c.offset)
        };
        before_leaf + before_run + within
    }

    /// The first item's cursor, or `None` if the sequence is empty.
    fn first(&self) -> Option<Cursor> {
        self.order
            .iter()
            .find(|&&leaf| !self.leaves[leaf as usize].runs.is_empty())
            .map(|&leaf| Cursor {
                leaf,
                run: 0,
                offset: 0,
            })
    }

    /// The cursor of the first item of the run after `c`'s run, or `None` at the end.
    fn next_run(&self, c: Cursor) -> Option<Cursor> {
        let leaf = &self.leaves[c.leaf as usize];
        if (c.run as usize) + 1 < leaf.runs.len() {
            return Some(Cursor {
                leaf: c.leaf,
                run: c.run + 1,
                offset: 0,
            });
        }
        let next_leaf = *self.order.get(leaf.pos as usize + 1)?;
        Some(Cursor {
            leaf: next_leaf,
            run: 0,
            offset: 0,
        })
    }

    /// The id of the `index`-th visible item (`None` at or past the end).
    pub(crate) fn visible_id(&self, index: u64) -> Option<Id> {
        let c = self.find_visible(index)?;
        Some(self.run(c).id.plus(u64::from(c.offset)))
    }

    /// The number of visible items before item `id`, visible or deleted (where it is, or
    /// was): `None` if the sequence never had it.
    pub(crate) fn index_of_id(&self, id: Id) -> Option<u64> {
        self.cursor_of(id).map(|c| self.visible_index(c))
    }

    /// The content (arena) index of item `id`.
    pub(crate) fn content_of(&self, id: Id) -> Option<u32> {
        self.cursor_of(id).map(|c| self.run(c).content + c.offset)
    }

    /// Whether item `id` exists and is not deleted.
    pub(crate) fn is_visible(&self, id: Id) -> bool {
        self.cursor_of(id).is_some_and(|c| !self.run(c).deleted)
    }

    /// The item after `c`, or `None` at the end.
    fn next_item(&self, c: Cursor) -> Option<Cursor> {
        if c.offset + 1 < self.run(c).len {
            Some(Cursor {
                offset: c.offset + 1,
                ..c
            })
        } else {
            self.next_run(c)
        }
    }

    /// Id of the item before `c` ([`Id::NONE`] at the document start).
    fn id_before(&self, c: Cursor) -> Id {
        if c.offset > 0 {
            return self.run(c).id.plus(u64::from(c.offset) - 1);
        }
        self.run_before(c.leaf, c.run as usize)
            .map_or(Id::NONE, |(leaf, run)| {
                self.leaves[leaf as usize].runs[run].last_id()
            })
    }

    /// The run before position `run` of `leaf` (possibly in an earlier leaf).
    fn run_before(&self, leaf: u32, run: usize) -> Option<(u32, usize)> {
        if run > 0 {
            return Some((leaf, run - 1));
        }
        let pos = self.leaves[leaf as usize].pos as usize;
        self.order[..pos]
            .iter()
            .rev()
            .find(|&&l| !self.leaves[l as usize].runs.is_empty())
            .map(|&l| (l, self.leaves[l as usize].runs.len() - 1))
    }

    /// The id of the last item, visible or not.
    fn last_id(&self) -> Id {
        self.order
            .iter()
            .rev()
            .find_map(|&l| self.leaves[l as usize].runs.last())
            .map_or(Id::NONE, Run::last_id)
    }

    /// Inserts `len` new items with ids `id..` before the `index`-th visible item (at the end
    /// when `index` is the visible length) and returns their `(origin_left, origin_right)`.
    pub(crate) fn insert_local<W: Weights + ?Sized>(
        &mut self,
        index: u64,
        id: Id,
        len: u32,
        content: u32,
        w: &W,
    ) -> (Id, Id) {
        let at = if index >= self.items {
            None
        } else {
            self.find_visible(index)
        };
        self.insert_local_at(at, id, len, content, w)
    }

    /// Inserts `len` new items with ids `id..` right before item `before` (visible or not),
    /// returning their origins and visible index; `None` if `before` is not in the sequence.
    pub(crate) fn insert_local_before<W: Weights + ?Sized>(
        &mut self,
        before: Id,
        id: Id,
        len: u32,
        content: u32,
        w: &W,
    ) -> Option<(Id, Id, u64)> {
        let at = self.cursor_of(before)?;
        let index = self.visible_index(at);
        let (left, right) = self.insert_local_at(Some(at), id, len, content, w);
        Some((left, right, index))
    }

    /// Inserts a local run before cursor `at` (at the end for `None`).
    fn insert_local_at<W: Weights + ?Sized>(
        &mut self,
        at: Option<Cursor>,
        id: Id,
        len: u32,
        content: u32,
        w: &W,
    ) -> (Id, Id) {
        let (origin_left, origin_right) = match at {
            None => (self.last_id(), Id::NONE),
            Some(c) => (self.id_before(c), self.run(c).id.plus(u64::from(c.offset))),
        };
        let run = Run {
            id,
            origin_left,
            origin_right,
            content,
            len,
            deleted: false,
        };
        self.place(at, run, w);
        (origin_left, origin_right)
    }

    /// Puts `run` right before cursor `at` (at the end for `None`), extending the run before
    /// it when `run` continues it.
    fn place<W: Weights + ?Sized>(&mut self, at: Option<Cursor>, run: Run, w: &W) {
        let (leaf, idx) = match at {
            None => {
                let last = *self.order.last().unwrap_or(&0);
                (last, self.leaves[last as usize].runs.len())
            }
            Some(c) if c.offset > 0 => {
                let runs = &mut self.leaves[c.leaf as usize].runs;
                let tail = runs[c.run as usize].split(c.offset);
                runs.insert(c.run as usize + 1, tail);
                (c.leaf, c.run as usize + 1)
            }
            Some(c) => (c.leaf, c.run as usize),
        };
        let weight = (u64::from(run.len), w.utf16(run.content, run.len));
        if let Some((pl, pi)) = self.run_before(leaf, idx) {
            let prev = &mut self.leaves[pl as usize].runs[pi];
            if prev.can_append(&run) {
                prev.len += run.len;
                self.add_weight(pl, weight.0 as i64, weight.1 as i64);
                self.index.insert_new(run.id, u64::from(run.len), pl);
                return;
            }
        }
        self.leaves[leaf as usize].runs.insert(idx, run);
        self.add_weight(leaf, weight.0 as i64, weight.1 as i64);
        self.index.insert_new(run.id, u64::from(run.len), leaf);
        if self.leaves[leaf as usize].runs.len() > MAX_RUNS {
            self.split_leaf(leaf, w);
        }
    }

    fn add_weight(&mut self, leaf: u32, items: i64, utf16: i64) {
        if items == 0 && utf16 == 0 {
            return;
        }
        if self.hint.get().is_some_and(|(hinted, _)| hinted != leaf) {
            self.hint.set(None);
        }
        let l = &mut self.leaves[leaf as usize];
        l.items = l.items.wrapping_add_signed(items);
        l.utf16 = l.utf16.wrapping_add_signed(utf16);
        self.fenwick.add(l.pos as usize, items, utf16);
        self.items = self.items.wrapping_add_signed(items);
        self.utf16 = self.utf16.wrapping_add_signed(utf16);
    }

    fn split_leaf<W: Weights + ?Sized>(&mut self, leaf: u32, w: &W) {
        self.hint.set(None);
        let new_id = self.leaves.len() as u32;
        let old = &mut self.leaves[leaf as usize];
        let half = old.runs.len() / 2;
        let moved: Vec<Run> = old.runs.split_off(half);
        let pos = old.pos as usize;
        let (items, utf16) = weigh(&moved, w);
        old.items -= items;
        old.utf16 -= utf16;
        // Runs split by edits usually continue each other's ids: record maximal id ranges.
        let mut pending: Option<(Id, u64)> = None;
        for run in &moved {
            match &mut pending {
                Some((start, len))
                    if start.actor == run.id.actor && start.counter + *len == run.id.counter =>
                {
                    *len += u64::from(run.len);
                }
                _ => {
                    if let Some((start, len)) = pending.take() {
                        self.index.relocate(start, len, new_id);
                    }
                    pending = Some((run.id, u64::from(run.len)));
                }
            }
        }
        if let Some((start, len)) = pending {
            self.index.relocate(start, len, new_id);
        }
        self.leaves.push(Leaf {
            runs: moved,
            items,
            utf16,
            pos: pos as u32 + 1,
        });
        self.order.insert(pos + 1, new_id);
        for &l in &self.order[pos + 2..] {
            self.leaves[l as usize].pos += 1;
        }
        self.rebuild_fenwick();
    }

    /// Rebuilds the Fenwick tree from the leaves' weights, in document order.
    fn rebuild_fenwick(&mut self) {
        self.fenwick = Fenwick::build(self.order.iter().map(|&l| {
            let leaf = &self.leaves[l as usize];
            (leaf.items, leaf.utf16)
        }));
    }

    /// Deletes `len` visible items starting at visible `index` (the caller checked the range)
    /// and appends the deleted id ranges, in document order, to `out`.
    pub(crate) fn delete_local<W: Weights + ?Sized>(
        &mut self,
        index: u64,
        mut len: u64,
        w: &W,
        out: &mut Vec<(Id, u64)>,
    ) {
        while len > 0 {
            let Some(c) = self.find_visible(index) else {
                return;
            };
            let run = *self.run(c);
            let n = u64::from(run.len - c.offset).min(len);
            let start = run.id.plus(u64::from(c.offset));
            self.mark_deleted(c, n as u32, w);
            match out.last_mut() {
                Some((last, last_len))
                    if last.actor == start.actor && last.counter + *last_len == start.counter =>
                {
                    *last_len += n;
                }
                _ => out.push((start, n)),
            }
            len -= n;
        }
    }

    /// Deletes the items `start .. start+len` by id (already deleted ones stay deleted) and
    /// reports each newly deleted visible span as `(visible index, length, content start,
    /// UTF-16 index)`, positions as they were just before that span was deleted. When an
    /// item is missing, the items before it are deleted already: callers validate the range
    /// first or roll back.
    pub(crate) fn delete_ids<W: Weights + ?Sized>(
        &mut self,
        start: Id,
        len: u64,
        w: &W,
        mut on_deleted: impl FnMut(u64, u64, u32, u64),
    ) -> Result<(), MissingItem> {
        let end = start.counter.checked_add(len).ok_or(MissingItem(start))?;
        let mut id = start;
        while id.counter < end {
            let c = self.cursor_of(id).ok_or(MissingItem(id))?;
            let run = *self.run(c);
            let n = u64::from(run.len - c.offset).min(end - id.counter);
            if !run.deleted {
                let index = self.visible_index(c);
                let index_utf16 = self.visible_utf16_index(c, w);
                self.mark_deleted(c, n as u32, w);
                on_deleted(index, n, run.content + c.offset, index_utf16);
            }
            id = id.plus(n);
        }
        Ok(())
    }

    /// Marks `n` items from cursor `c` (all inside one visible run) deleted.
    fn mark_deleted<W: Weights + ?Sized>(&mut self, c: Cursor, n: u32, w: &W) {
        let leaf = c.leaf as usize;
        let mut i = c.run as usize;
        let runs = &mut self.leaves[leaf].runs;
        if c.offset > 0 {
            let tail = runs[i].split(c.offset);
            runs.insert(i + 1, tail);
            i += 1;
        }
        if n < runs[i].len {
            let tail = runs[i].split(n);
            runs.insert(i + 1, tail);
        }
        runs[i].deleted = true;
        let (content, len) = (runs[i].content, runs[i].len);
        // Merge with deleted neighbours that continue it, keeping the run count low.
        if i + 1 < runs.len() && runs[i].can_append(&runs[i + 1]) {
            runs[i].len += runs[i + 1].len;
            runs.remove(i + 1);
        }
        if i > 0 && runs[i - 1].can_append(&runs[i]) {
            runs[i - 1].len += runs[i].len;
            runs.remove(i);
        }
        self.add_weight(c.leaf, -i64::from(len), -(w.utf16(content, len) as i64));
        if self.leaves[leaf].runs.len() > MAX_RUNS {
            self.split_leaf(c.leaf, w);
        }
    }

    /// Converts a UTF-16 offset into an item offset; `None` if it is past the end or falls
    /// inside a surrogate pair.
    pub(crate) fn utf16_to_items(&self, target: u64, chars: &TextArena) -> Option<u64> {
        if target == self.utf16 {
            return Some(self.items);
        }
        let (pos, before) = self.fenwick.find(target, Lane::Utf16)?;
        let leaf = &self.leaves[self.order[pos] as usize];
        let mut items = self.fenwick.prefix(pos, Lane::Items);
        let mut rest = target - before;
        for run in leaf.runs.iter().filter(|r| !r.deleted) {
            let units = chars.utf16(run.content, run.len);
            if rest >= units {
                rest -= units;
                items += u64::from(run.len);
                continue;
            }
            let start = run.content as usize;
            for c in &chars[start..start + run.len as usize] {
                if rest == 0 {
                    return Some(items);
                }
                let u = c.len_utf16() as u64;
                if rest < u {
                    return None;
                }
                rest -= u;
                items += 1;
            }
        }
        None
    }

    /// Converts an item offset (≤ visible length) into a UTF-16 offset.
    pub(crate) fn items_to_utf16(&self, index: u64, chars: &TextArena) -> u64 {
        let Some(c) = self.find_visible(index) else {
            return self.utf16;
        };
        let leaf = &self.leaves[c.leaf as usize];
        let mut units = self.fenwick.prefix(leaf.pos as usize, Lane::Utf16);
        for run in leaf.runs[..c.run as usize].iter().filter(|r| !r.deleted) {
            units += chars.utf16(run.content, run.len);
        }
        units + chars.utf16(self.run(c).content, c.offset)
    }
}

#[cfg(test)]
impl Sequence {
    /// Panics unless the derived structures (leaf positions and weights, the Fenwick tree, the
    /// id index, the totals) agree with the runs.
    pub(crate) fn assert_consistent<W: Weights + ?Sized>(&self, w: &W) {
        let (mut items, mut utf16) = (0, 0);
        for (pos, &l) in self.order.iter().enumerate() {
            let leaf = &self.leaves[l as usize];
            assert_eq!(leaf.pos as usize, pos, "leaf position");
            assert!(!leaf.runs.is_empty() || self.order.len() == 1, "empty leaf");
            assert!(leaf.runs.len() <= MAX_RUNS, "oversized leaf");
            assert_eq!(
                (leaf.items, leaf.utf16),
                weigh(&leaf.runs, w),
                "leaf weight"
            );
            assert_eq!(
                self.fenwick.prefix(pos, Lane::Items),
                items,
                "fenwick items"
            );
            assert_eq!(
                self.fenwick.prefix(pos, Lane::Utf16),
                utf16,
                "fenwick utf16"
            );
            for run in &leaf.runs {
                assert!(run.len > 0, "empty run");
                for k in [0, u64::from(run.len) - 1] {
                    assert_eq!(self.index.get(run.id.plus(k)), Some(l), "id index");
                }
            }
            items += leaf.items;
            utf16 += leaf.utf16;
        }
        assert_eq!((self.items, self.utf16), (items, utf16), "totals");
    }
}

#[cfg(test)]
mod tests;

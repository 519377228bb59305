//! A run: consecutive items inserted one after another by one actor, stored as one entry.

use crate::id::Id;

/// Consecutive items `id, id+1, …, id+len-1` where each item's origin-left is the item before
/// it, all share one origin-right, sit contiguously in the content arena, and are all deleted or
/// all visible. Runs split when edits land inside them and merge back when they can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    /// Id of the first item.
    pub(crate) id: Id,
    /// Origin-left of the first item ([`Id::NONE`]: the document start).
    pub(crate) origin_left: Id,
    /// Origin-right of every item ([`Id::NONE`]: the document end).
    pub(crate) origin_right: Id,
    /// Index of the first item's content in the container's arena.
    pub(crate) content: u32,
    /// Number of items.
    pub(crate) len: u32,
    /// Whether the items are deleted (tombstones).
    pub(crate) deleted: bool,
}

impl Run {
    pub(crate) fn last_id(&self) -> Id {
        self.id.plus(u64::from(self.len) - 1)
    }

    pub(crate) fn contains(&self, id: Id) -> bool {
        id.actor == self.id.actor
            && id.counter >= self.id.counter
            && id.counter - self.id.counter < u64::from(self.len)
    }

    /// Visible items in this run.
    pub(crate) fn visible(&self) -> u64 {
        if self.deleted {
            0
        } else {
            u64::from(self.len)
        }
    }

    /// Keeps items `..at` in `self` and returns items `at..` as a new run.
    pub(crate) fn split(&mut self, at: u32) -> Run {
        debug_assert!(at > 0 && at < self.len);
        let tail = Run {
            id: self.id.plus(u64::from(at)),
            origin_left: self.id.plus(u64::from(at) - 1),
            origin_right: self.origin_right,
            content: self.content + at,
            len: self.len - at,
            deleted: self.deleted,
        };
        self.len = at;
        tail
    }

    /// Whether `next` continues this run exactly (so the two can be one run).
    pub(crate) fn can_append(&self, next: &Run) -> bool {
        next.id.actor == self.id.actor
            && next.id.counter == self.id.counter + u64::from(self.len)
            && next.origin_left == self.last_id()
            && next.origin_right == self.origin_right
            && next.deleted == self.deleted
            && next.content == self.content + self.len
    }
}

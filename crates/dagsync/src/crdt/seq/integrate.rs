//! Placing a remote insert: the YjsMod / FugueMax rule that keeps concurrent runs apart.
//!
//! A new item goes between its origin-left and origin-right. Items already there that were
//! inserted concurrently are ordered by their own origins, and items with exactly the same
//! origins by actor id, so every replica picks the same place whatever the arrival order.

use super::{Cursor, MissingItem, Run, Sequence, Weights};
use crate::actor::ActorId;
use crate::id::Id;

/// Document-order key; `START` sorts before every item and `END` after.
type Key = (u32, u32, u32);
const START: Key = (0, 0, 0);
const END: Key = (u32::MAX, u32::MAX, u32::MAX);

impl Sequence {
    fn key_of(&self, id: Id, none: Key) -> Result<Key, MissingItem> {
        if id.is_none() {
            return Ok(none);
        }
        self.cursor_of(id)
            .map(|c| self.key(c))
            .ok_or(MissingItem(id))
    }

    /// Whether `origin_left` and `origin_right` were neighbours when the insert naming them
    /// was made: every item between them now must be one its author had not seen, i.e. not
    /// in its causal past (`in_past`). Honest inserts always name neighbours (tombstones
    /// included); integration orders concurrent items correctly only for such inserts, so a
    /// forged insert that skips items would land differently depending on arrival order.
    /// Checks the first item of each run between the origins: the later items of a run come
    /// from the same author, so they are in the past only if the first one is.
    pub(crate) fn origins_adjacent(
        &self,
        origin_left: Id,
        origin_right: Id,
        mut in_past: impl FnMut(Id) -> bool,
    ) -> Result<bool, MissingItem> {
        let mut at = match origin_left.to_option() {
            None => self.first(),
            Some(id) => self.next_item(self.cursor_of(id).ok_or(MissingItem(id))?),
        };
        let right = match origin_right.to_option() {
            None => None,
            Some(id) => Some(self.cursor_of(id).ok_or(MissingItem(id))?),
        };
        loop {
            let Some(c) = at else {
                // Reached the end: adjacent only if the insert's right is the end.
                return Ok(right.is_none());
            };
            if Some(c) == right {
                return Ok(true);
            }
            if in_past(self.run(c).id.plus(u64::from(c.offset))) {
                return Ok(false);
            }
            at = match right {
                Some(r) if r.leaf == c.leaf && r.run == c.run && r.offset > c.offset => Some(r),
                _ => self.next_run(c),
            };
        }
    }

    /// Integrates a run of new items received from another replica and returns the visible
    /// index of its first item. Nothing changes when an origin is missing.
    pub(crate) fn integrate<W: Weights + ?Sized>(
        &mut self,
        new: Run,
        actors: &[ActorId],
        w: &W,
    ) -> Result<u64, MissingItem> {
        let left = match new.origin_left.to_option() {
            None => None,
            Some(id) => Some(self.cursor_of(id).ok_or(MissingItem(id))?),
        };
        let left_key = left.map_or(START, |c| self.key(c));
        let right_key = self.key_of(new.origin_right, END)?;
        let new_actor = actor_of(actors, new.id);

        let mut i = match left {
            None => self.first(),
            Some(c) => self.next_item(c),
        };
        let mut dest = i;
        let mut scanning = false;
        while let Some(c) = i {
            let key = self.key(c);
            if key == right_key {
                break;
            }
            let run = *self.run(c);
            let origin_left_key = if c.offset == 0 {
                self.key_of(run.origin_left, START)?
            } else {
                (key.0, key.1, key.2 - 1)
            };
            if origin_left_key > left_key {
                // This item, and every later item of its run, was inserted after something
                // between our origins: skip to the run's end (or to our origin-right).
                let end = if right_key.0 == key.0 && right_key.1 == key.1 && right_key.2 > key.2 {
                    right_key.2
                } else {
                    run.len
                };
                i = if end < run.len {
                    Some(Cursor { offset: end, ..c })
                } else {
                    self.next_run(c)
                };
                if !scanning {
                    dest = i;
                }
                continue;
            }
            if origin_left_key < left_key {
                break;
            }
            let origin_right_key = self.key_of(run.origin_right, END)?;
            if origin_right_key < right_key {
                scanning = true;
            } else if origin_right_key == right_key {
                let other = actor_of(actors, run.id);
                if new_actor < other {
                    break;
                }
                scanning = false;
            } else {
                scanning = false;
            }
            i = self.next_item(c);
            if !scanning {
                dest = i;
            }
        }
        self.place(dest, new, w);
        let first = self.cursor_of(new.id).ok_or(MissingItem(new.id))?;
        Ok(self.visible_index(first))
    }
}

fn actor_of(actors: &[ActorId], id: Id) -> Option<&ActorId> {
    actors.get(id.actor as usize)
}

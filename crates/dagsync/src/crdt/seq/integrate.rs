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

/// Why a remote insert cannot be placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlaceError {
    /// An origin does not exist in this sequence.
    Missing(Id),
    /// The origins were not neighbours when the insert was made (see [`Sequence::locate`]).
    NotAdjacent,
}

impl From<MissingItem> for PlaceError {
    fn from(e: MissingItem) -> Self {
        PlaceError::Missing(e.0)
    }
}

/// Where a remote insert goes: before `dest` (at the end for `None`), which is visible index
/// `index`. Valid until the sequence changes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spot {
    dest: Option<Cursor>,
    index: u64,
}

impl Sequence {
    fn key_of(&self, id: Id, none: Key) -> Result<Key, MissingItem> {
        if id.is_none() {
            return Ok(none);
        }
        self.cursor_of(id)
            .map(|c| self.key(c))
            .ok_or(MissingItem(id))
    }

    /// Finds where a remote insert of `new` goes, without changing anything.
    ///
    /// Its origins must have been neighbours when it was made: every item between them now
    /// must be one its author had not seen, i.e. not in its causal past (`in_past`). Honest
    /// inserts always name neighbours (tombstones included); the ordering rule below places
    /// concurrent items consistently only for such inserts, so a forged insert that skips
    /// items would land differently depending on arrival order. Only the first item of each
    /// run between the origins is asked about: the later items of a run come from the same
    /// author, so they are in the past only if the first one is.
    pub(crate) fn locate(
        &self,
        new: &Run,
        actors: &[ActorId],
        mut in_past: impl FnMut(Id) -> bool,
    ) -> Result<Spot, PlaceError> {
        let left = match new.origin_left.to_option() {
            None => None,
            Some(id) => Some(self.cursor_of(id).ok_or(MissingItem(id))?),
        };
        let right = match new.origin_right.to_option() {
            None => None,
            Some(id) => Some(self.cursor_of(id).ok_or(MissingItem(id))?),
        };
        let after_left = match left {
            None => self.first(),
            Some(c) => self.next_item(c),
        };
        // The origins' check; when nothing lies between them the new items go right there.
        let mut at = after_left;
        loop {
            let Some(c) = at else {
                if right.is_some() {
                    return Err(PlaceError::NotAdjacent);
                }
                break;
            };
            if Some(c) == right {
                break;
            }
            if in_past(self.run(c).id.plus(u64::from(c.offset))) {
                return Err(PlaceError::NotAdjacent);
            }
            at = match right {
                Some(r) if r.leaf == c.leaf && r.run == c.run && r.offset > c.offset => Some(r),
                _ => self.next_run(c),
            };
        }
        let dest = if after_left == right {
            after_left
        } else {
            self.scan_concurrent(new, left, right, actors)?
        };
        let index = dest.map_or(self.items, |c| self.visible_index(c));
        Ok(Spot { dest, index })
    }

    /// The YjsMod / FugueMax rule: among the items between the origins (all concurrent with
    /// the new ones), find the one the new items go before.
    fn scan_concurrent(
        &self,
        new: &Run,
        left: Option<Cursor>,
        right: Option<Cursor>,
        actors: &[ActorId],
    ) -> Result<Option<Cursor>, MissingItem> {
        let left_key = left.map_or(START, |c| self.key(c));
        let right_key = right.map_or(END, |c| self.key(c));
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
        Ok(dest)
    }

    /// Inserts `new` at `spot` (from [`Sequence::locate`] on the unchanged sequence) and
    /// returns the visible index of its first item.
    pub(crate) fn place_at<W: Weights + ?Sized>(&mut self, spot: Spot, new: Run, w: &W) -> u64 {
        self.place(spot.dest, new, w);
        spot.index
    }

    /// Integrates a run of new items received from another replica, trusting that its
    /// origins were neighbours (tests and local replays), and returns the visible index of
    /// its first item. Nothing changes when an origin is missing.
    #[cfg(test)]
    pub(crate) fn integrate<W: Weights + ?Sized>(
        &mut self,
        new: Run,
        actors: &[ActorId],
        w: &W,
    ) -> Result<u64, PlaceError> {
        let spot = self.locate(&new, actors, |_| false)?;
        Ok(self.place_at(spot, new, w))
    }
}

fn actor_of(actors: &[ActorId], id: Id) -> Option<&ActorId> {
    actors.get(id.actor as usize)
}

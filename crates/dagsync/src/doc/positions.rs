//! Stable positions in a Text or List: a position names the item right after it, so it
//! follows that item through any concurrent edits (for carets, selections, comments).

use std::fmt;
use std::str::FromStr;

use crate::actor::ActorId;
use crate::clock::OpId;
use crate::crdt::seq::Lane;
use crate::error::DocError;

use super::handles::{ListMut, TextMut};
use super::state::State;
use super::Doc;

/// A position in a Text or List that stays put when other edits land: it is anchored to the
/// item after it (`None`: the end). If that item is deleted, the position resolves to where
/// the item was. Written as `"<counter>@<actor hex>"` or `"end"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StablePosition {
    /// The item the position is right before; `None` for the end.
    pub before: Option<OpId>,
}

impl fmt::Display for StablePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.before {
            None => f.write_str("end"),
            Some(op) => write!(f, "{}@{}", op.counter, op.actor.to_hex()),
        }
    }
}

impl FromStr for StablePosition {
    type Err = DocError;

    fn from_str(s: &str) -> Result<Self, DocError> {
        if s == "end" {
            return Ok(StablePosition { before: None });
        }
        let (counter, actor) = s.split_once('@').ok_or(DocError::UnknownPosition)?;
        let counter = counter.parse().map_err(|_| DocError::UnknownPosition)?;
        let actor: ActorId = actor.parse().map_err(|_| DocError::UnknownPosition)?;
        Ok(StablePosition {
            before: Some(OpId::new(counter, actor)),
        })
    }
}

impl Doc {
    /// The stable position before visible item `index` of sequence container `c`.
    fn position_at(&self, c: u32, index: u64) -> Result<StablePosition, DocError> {
        let seq = match &self.containers[c as usize].state {
            State::Text(s) => &s.seq,
            State::List(s) => &s.seq,
            _ => return Err(DocError::UnknownContainer),
        };
        let size = seq.len(Lane::Items);
        if index > size {
            return Err(DocError::OutOfRange {
                index,
                len: 0,
                size,
            });
        }
        Ok(StablePosition {
            before: seq.visible_id(index).map(|id| self.op_id(id)),
        })
    }

    /// The visible index a stable position of sequence container `c` resolves to now.
    fn resolve_position(&self, c: u32, position: &StablePosition) -> Result<u64, DocError> {
        let seq = match &self.containers[c as usize].state {
            State::Text(s) => &s.seq,
            State::List(s) => &s.seq,
            _ => return Err(DocError::UnknownContainer),
        };
        match position.before {
            None => Ok(seq.len(Lane::Items)),
            Some(op) => self
                .internal_id(op)
                .and_then(|id| seq.index_of_id(id))
                .ok_or(DocError::UnknownPosition),
        }
    }
}

impl TextMut<'_> {
    /// A stable position before char `index` (`len()` for the end).
    pub fn position_at(&self, index: usize) -> Result<StablePosition, DocError> {
        self.doc().position_at(self.c(), index as u64)
    }

    /// The char index `position` resolves to now, after whatever edits happened since.
    pub fn index_of(&self, position: &StablePosition) -> Result<usize, DocError> {
        Ok(self.doc().resolve_position(self.c(), position)? as usize)
    }

    /// [`TextMut::position_at`] for a UTF-16 offset.
    pub fn position_at_utf16(&self, index: usize) -> Result<StablePosition, DocError> {
        let chars = self.doc().text_utf16_to_chars(self.c(), index as u64)?;
        self.doc().position_at(self.c(), chars)
    }

    /// [`TextMut::index_of`] as a UTF-16 offset.
    pub fn index_of_utf16(&self, position: &StablePosition) -> Result<usize, DocError> {
        let chars = self.index_of(position)?;
        self.utf16_index(chars)
    }
}

impl ListMut<'_> {
    /// A stable position before item `index` (`len()` for the end).
    pub fn position_at(&self, index: usize) -> Result<StablePosition, DocError> {
        self.doc().position_at(self.c(), index as u64)
    }

    /// The index `position` resolves to now, after whatever edits happened since.
    pub fn index_of(&self, position: &StablePosition) -> Result<usize, DocError> {
        Ok(self.doc().resolve_position(self.c(), position)? as usize)
    }
}

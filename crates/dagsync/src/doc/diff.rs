//! Differences between two versions of the history, as patches.
//!
//! Both versions are checked out (cheaply, see `checkout.rs`). Every item of a sequence either
//! version has is in the current document, in the same order, so one walk over the current
//! runs, asking each version whether an item is there and visible, yields the deletes and
//! inserts with running positions. Maps, registers, counters and sets compare their values.

use std::collections::BTreeSet;

use crate::crdt::seq::{Sequence, Weights};
use crate::dag::ChangeHash;
use crate::error::DocError;
use crate::id::Id;

use super::state::{winner, Entry, Slot, State};
use super::types::{Item, Patch, PatchAction};
use super::Doc;

impl Doc {
    /// The patches that turn the document as it was at `from` into the document as it was at
    /// `to` (either may be an ancestor of the other, or they may be concurrent), in the order
    /// they apply. A patch addresses its container by its path at `to`; a container placed by
    /// an earlier patch (a map value, list item or register value that is a container) starts
    /// empty and gets its whole content from later patches. A root that only `from` uses is
    /// left empty, not removed. Seals the open local change; unknown hashes are
    /// [`DocError::UnknownChange`].
    pub fn diff(&mut self, from: &[ChangeHash], to: &[ChangeHash]) -> Result<Vec<Patch>, DocError> {
        let before = self.version_at(from)?;
        let after = self.version_at(to)?;
        let count = self.containers.len();
        let mut touched = vec![false; count];
        for (i, change) in self.changes.iter().enumerate() {
            if before.has_change(i) != after.has_change(i) {
                for op in &change.ops {
                    if let Some(t) = touched.get_mut(op.container as usize) {
                        *t = true;
                    }
                }
            }
        }
        let mut patches = Vec::new();
        if !touched.contains(&true) {
            return Ok(patches);
        }
        let actor = self.actor();
        let old = self.checkout(&before, actor);
        let new = self.checkout(&after, actor);
        // Containers placed by a patch, whose content is diffed from empty. A child comes
        // after its parent in the container table, so it is known before its turn.
        let mut placed = vec![false; count];
        for c in 0..count as u32 {
            let fresh = placed[c as usize];
            if !touched[c as usize] && !fresh {
                continue;
            }
            let path = new.path_of(c);
            if path.is_empty() {
                continue;
            }
            let old = (!fresh).then_some(&old);
            let mut actions = Vec::new();
            match &self.containers[c as usize].state {
                State::Text(_) | State::List(_) => {
                    self.diff_sequence(c, old, &new, &mut actions, &mut placed);
                }
                State::Map(_) => diff_map(c, old, &new, &mut actions, &mut placed),
                State::Register(_) => diff_register(c, old, &new, &mut actions, &mut placed),
                State::Counter(_) => {
                    let delta = new
                        .counter_value(c)
                        .wrapping_sub(old.map_or(0, |d| d.counter_value(c)));
                    if delta != 0 {
                        actions.push(PatchAction::CounterAdd { delta });
                    }
                }
                State::Set(_) => diff_set(c, old, &new, &mut actions),
            }
            let container = self.container_id(c);
            patches.extend(actions.into_iter().map(|action| Patch {
                container: container.clone(),
                path: path.clone(),
                action,
            }));
        }
        Ok(patches)
    }

    /// Walks the current items of sequence `c`: kept, deleted or inserted between `old`
    /// (`None`: empty) and `new`.
    fn diff_sequence(
        &self,
        c: u32,
        old: Option<&Doc>,
        new: &Doc,
        out: &mut Vec<PatchAction>,
        placed: &mut [bool],
    ) {
        let (seq, chars, items) = match &self.containers[c as usize].state {
            State::Text(s) => (&s.seq, &s.chars[..], &[][..]),
            State::List(s) => (&s.seq, &[][..], s.items.as_slice()),
            _ => return,
        };
        let is_text = matches!(self.containers[c as usize].state, State::Text(_));
        let old_seq = old.and_then(|d| sequence_of(d, c));
        let new_seq = sequence_of(new, c);
        let mut index = 0u64;
        let mut index_utf16 = 0u64;
        // Whether the last action may grow: nothing was kept since it was pushed.
        let mut open = false;
        for run in seq.runs() {
            let mut offset = 0u32;
            while offset < run.len {
                let id = run.id.plus(u64::from(offset));
                let rest = run.len - offset;
                let (was, n_old) = visibility(old_seq, id, rest);
                let (is, n_new) = visibility(new_seq, id, rest);
                let n = rest.min(n_old).min(n_new);
                let content = run.content + offset;
                offset += n;
                let units = if is_text {
                    chars.utf16(content, n)
                } else {
                    u64::from(n)
                };
                match (was, is) {
                    (true, true) => {
                        index += u64::from(n);
                        index_utf16 += units;
                        open = false;
                    }
                    (false, false) => {}
                    (true, false) => {
                        let grown = match out.last_mut() {
                            Some(PatchAction::TextDelete { len, len_utf16, .. }) if open => {
                                *len += u64::from(n);
                                *len_utf16 += units;
                                true
                            }
                            Some(PatchAction::ListDelete { len, .. }) if open => {
                                *len += u64::from(n);
                                true
                            }
                            _ => false,
                        };
                        if !grown {
                            out.push(if is_text {
                                PatchAction::TextDelete {
                                    index,
                                    len: u64::from(n),
                                    index_utf16,
                                    len_utf16: units,
                                }
                            } else {
                                PatchAction::ListDelete {
                                    index,
                                    len: u64::from(n),
                                }
                            });
                        }
                        open = true;
                    }
                    (false, true) => {
                        let range = content as usize..(content + n) as usize;
                        let mut action = if is_text {
                            PatchAction::TextInsert {
                                index,
                                index_utf16,
                                text: chars.get(range).unwrap_or_default().iter().collect(),
                            }
                        } else {
                            let slots = items.get(range).unwrap_or_default();
                            for slot in slots {
                                if let Slot::Container(child) = slot {
                                    mark(placed, *child);
                                }
                            }
                            PatchAction::ListInsert {
                                index,
                                items: slots.iter().map(|s| self.item_of(s)).collect(),
                            }
                        };
                        match (out.last_mut(), &mut action) {
                            (
                                Some(PatchAction::TextInsert { text, .. }),
                                PatchAction::TextInsert { text: more, .. },
                            ) if open => text.push_str(more),
                            (
                                Some(PatchAction::ListInsert { items, .. }),
                                PatchAction::ListInsert { items: more, .. },
                            ) if open => items.append(more),
                            _ => out.push(action),
                        }
                        index += u64::from(n);
                        index_utf16 += units;
                        open = true;
                    }
                }
            }
        }
    }
}

/// The sequence of container `c` in `doc`.
fn sequence_of(doc: &Doc, c: u32) -> Option<&Sequence> {
    match &doc.containers.get(c as usize)?.state {
        State::Text(s) => Some(&s.seq),
        State::List(s) => Some(&s.seq),
        _ => None,
    }
}

/// Whether item `id` is visible in `seq`, and for how many items from it (at most `rest`)
/// that stays so.
fn visibility(seq: Option<&Sequence>, id: Id, rest: u32) -> (bool, u32) {
    let Some(cursor) = seq.and_then(|s| s.cursor_of(id).map(|c| (s, c))) else {
        // Items of a run missing from a version are the run's tail: all of them are missing.
        return (false, rest);
    };
    let (seq, cursor) = cursor;
    let run = seq.run_at(cursor);
    (!run.deleted, run.len - cursor.offset)
}

fn mark(placed: &mut [bool], c: u32) {
    if let Some(p) = placed.get_mut(c as usize) {
        *p = true;
    }
}

/// A map's or register's winning write in `doc` (`None` for no doc).
fn winning<'a>(doc: Option<&'a Doc>, entries: Option<&'a [Entry]>) -> Option<&'a Entry> {
    winner(entries?, &doc?.actors)
}

/// The patch that changes a winning write `old` into `new`, if they differ.
fn put(
    new_doc: &Doc,
    old: Option<&Entry>,
    new: Option<&Entry>,
    placed: &mut [bool],
) -> Option<Option<Item>> {
    if old.map(|e| e.id) == new.map(|e| e.id) {
        return None;
    }
    Some(new.map(|e| {
        if let Slot::Container(child) = e.slot {
            mark(placed, child);
        }
        new_doc.item_of(&e.slot)
    }))
}

fn map_entries(
    doc: Option<&Doc>,
    c: u32,
) -> Option<&std::collections::BTreeMap<String, Vec<Entry>>> {
    match &doc?.containers.get(c as usize)?.state {
        State::Map(s) => Some(&s.entries),
        _ => None,
    }
}

fn diff_map(c: u32, old: Option<&Doc>, new: &Doc, out: &mut Vec<PatchAction>, placed: &mut [bool]) {
    let old_entries = map_entries(old, c);
    let new_entries = map_entries(Some(new), c);
    // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
    let mut keys: BTreeSet<&String> = BTreeSet::new();
    keys.extend(
        old_entries
            .into_iter()
            .chain(new_entries)
            .flat_map(|e| e.keys()),
    );
    for key in keys {
        let was = winning(old, old_entries.and_then(|e| e.get(key)).map(Vec::as_slice));
        let is = winning(
            Some(new),
            new_entries.and_then(|e| e.get(key)).map(Vec::as_slice),
        );
        match put(new, was, is, placed) {
            Some(Some(value)) => out.push(PatchAction::MapPut {
                key: key.clone(),
                value,
            }),
            Some(None) => out.push(PatchAction::MapDelete { key: key.clone() }),
            None => {}
        }
    }
}

fn register_entries(doc: Option<&Doc>, c: u32) -> Option<&[Entry]> {
    match &doc?.containers.get(c as usize)?.state {
        State::Register(s) => Some(&s.entries),
        _ => None,
    }
}

fn diff_register(
    c: u32,
    old: Option<&Doc>,
    new: &Doc,
    out: &mut Vec<PatchAction>,
    placed: &mut [bool],
) {
    let was = winning(old, register_entries(old, c));
    let is = winning(Some(new), register_entries(Some(new), c));
    if let Some(value) = put(new, was, is, placed) {
        out.push(PatchAction::RegisterSet { value });
    }
}

fn diff_set(c: u32, old: Option<&Doc>, new: &Doc, out: &mut Vec<PatchAction>) {
    // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
    let members = |doc: Option<&Doc>| -> BTreeSet<crate::Value> {
        let mut set = BTreeSet::new();
        if let Some(d) = doc {
            set.extend(d.set_values(c));
        }
        set
    };
    let (was, is) = (members(old), members(Some(new)));
    for value in was.difference(&is) {
        out.push(PatchAction::SetRemove {
            value: value.clone(),
        });
    }
    for value in is.difference(&was) {
        out.push(PatchAction::SetAdd {
            value: value.clone(),
        });
    }
}

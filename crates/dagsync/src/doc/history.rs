//! The history as a DAG: listing it, and documents at past versions (time travel).

use std::collections::HashSet;

use crate::actor::ActorId;
use crate::dag::ChangeHash;
use crate::error::{ApplyError, DocError};

use super::types::{ApplyReport, HistoryEntry};
use super::Doc;

impl Doc {
    /// Every change of the history in a topological order (a change after its dependencies).
    /// Seals the open local change.
    pub fn history(&mut self) -> Vec<HistoryEntry> {
        self.seal();
        self.changes
            .iter()
            .filter_map(|c| {
                Some(HistoryEntry {
                    hash: c.hash?,
                    actor: self.actors[c.actor as usize],
                    seq: c.seq,
                    deps: c
                        .deps
                        .iter()
                        .filter_map(|&d| self.changes[d as usize].hash)
                        .collect(),
                    time: c.time,
                    message: c.message.clone(),
                })
            })
            .collect()
    }

    /// Log indexes of `heads` and all their ancestors, in log (topological) order.
    fn ancestry(&mut self, heads: &[ChangeHash]) -> Result<Vec<u32>, DocError> {
        self.seal();
        let mut seen: HashSet<u32> = HashSet::new();
        let mut stack: Vec<u32> = heads
            .iter()
            .map(|h| {
                self.by_hash
                    .get(h)
                    .copied()
                    .ok_or(DocError::UnknownChange(*h))
            })
            .collect::<Result<_, _>>()?;
        while let Some(index) = stack.pop() {
            if seen.insert(index) {
                stack.extend(self.changes[index as usize].deps.iter().copied());
            }
        }
        let mut order: Vec<u32> = seen.into_iter().collect();
        order.sort_unstable();
        Ok(order)
    }

    /// A new document holding exactly the history up to `heads`, whose local edits are
    /// attributed to `actor`: a branch from a past version.
    pub fn fork_at(&mut self, heads: &[ChangeHash], actor: ActorId) -> Result<Doc, DocError> {
        let changes: Vec<_> = self
            .ancestry(heads)?
            .into_iter()
            .map(|i| self.export_change(i))
            .collect();
        let mut doc = Doc::new(actor);
        doc.time_source = self.time_source;
        // The changes come from this document's own (validated) log.
        doc.apply_changes(changes)
            .map_err(|e| DocError::InconsistentHistory(e.to_string()))?;
        Ok(doc)
    }

    /// The document as it was at `heads`, read-only: edits are refused with
    /// [`DocError::ReadOnly`].
    pub fn view(&mut self, heads: &[ChangeHash]) -> Result<Doc, DocError> {
        let actor = self.actor();
        let mut doc = self.fork_at(heads, actor)?;
        doc.read_only = true;
        Ok(doc)
    }

    /// Applies every change `other` has and this document lacks.
    pub fn merge(&mut self, other: &mut Doc) -> Result<ApplyReport, ApplyError> {
        let changes = other.changes_since(&self.version().clone());
        self.apply_changes(changes)
    }
}

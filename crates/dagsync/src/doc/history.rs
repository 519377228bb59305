//! The history as a DAG: listing it, and documents at past versions (time travel).

use crate::actor::ActorId;
use crate::clock::VersionVector;
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
                let (actor, seq) = self.wire_id(self.actors[c.actor as usize], c.seq);
                Some(HistoryEntry {
                    hash: c.hash?,
                    actor,
                    seq,
                    deps: self.dep_hashes(c).collect(),
                    time: c.time,
                    message: c.message.clone(),
                })
            })
            .collect()
    }

    /// A new document holding exactly the history up to `heads` (those changes and their
    /// ancestors), whose local edits are attributed to `actor`: a branch from a past version.
    /// Costs about as much as [`Doc::fork`] plus undoing the changes after that version, not
    /// a replay of the history. Seals the open local change.
    pub fn fork_at(&mut self, heads: &[ChangeHash], actor: ActorId) -> Result<Doc, DocError> {
        let version = self.version_at(heads)?;
        Ok(self.checkout(&version, actor))
    }

    /// The version vector of the version named by `heads` (those changes and their
    /// ancestors): for each author, how many of its changes the version holds. Use it as
    /// `since` of [`Doc::export_changes`] to export what a replica at `heads` lacks. Unknown
    /// hashes are [`DocError::UnknownChange`]. Seals the open local change.
    pub fn version_vector_at(&mut self, heads: &[ChangeHash]) -> Result<VersionVector, DocError> {
        let version = self.version_at(heads)?;
        let mut vector = VersionVector::new();
        for (actor, &count) in version.counts.iter().enumerate() {
            vector.set(self.actors[actor], count as u64);
        }
        Ok(vector)
    }

    /// The document as it was at `heads`, read-only: edits are refused with
    /// [`DocError::ReadOnly`].
    pub fn view(&mut self, heads: &[ChangeHash]) -> Result<Doc, DocError> {
        let actor = self.actor();
        let mut doc = self.fork_at(heads, actor)?;
        doc.read_only = true;
        Ok(doc)
    }

    /// Applies every change `other` has and this document lacks. Costs about as much as the
    /// missing changes (found per author, without scanning `other`'s whole log).
    pub fn merge(&mut self, other: &mut Doc) -> Result<ApplyReport, ApplyError> {
        other.seal();
        let mut missing: Vec<u32> = Vec::new();
        for (actor, chain) in other.by_actor.iter().enumerate() {
            let have = self.version.get(&other.actors[actor]);
            let have = usize::try_from(have).unwrap_or(usize::MAX);
            missing.extend(chain.iter().skip(have));
        }
        // Log order is a causal order.
        missing.sort_unstable();
        other.sign_for_export(&missing);
        let changes: Vec<_> = missing
            .into_iter()
            .map(|i| other.export_change(i))
            .collect();
        self.apply_changes(changes)
    }
}

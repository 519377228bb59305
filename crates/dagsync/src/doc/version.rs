//! Versions of the history: the set of changes named by some heads (those changes and their
//! ancestors), found without walking the whole history.
//!
//! An author's changes form a chain (each depends on the author's previous one) and its
//! operation counters grow along the chain, so a version holds a prefix of every author's
//! chain, and an operation is in a version exactly when its counter is below the end of its
//! author's last change in the version.

use std::collections::{BTreeSet, BinaryHeap};

use crate::clock::Hlc;
use crate::dag::ChangeHash;
use crate::error::DocError;
use crate::id::{ActorIdx, Id};

use super::Doc;

/// The changes of one version of the history (a set of changes closed under dependencies).
pub(super) struct Version {
    /// Every change of the log before this index is in the version.
    bound: usize,
    /// Per log index, flags of the walk; from `bound` on, [`REACHED`] marks the version's
    /// changes.
    flags: Vec<u8>,
    /// Log indexes of the version's heads, ascending.
    pub(super) heads: Vec<u32>,
    /// Per actor index: how many of its changes (a prefix of its chain) are in the version.
    pub(super) counts: Vec<usize>,
    /// Per actor index: operation ids with a counter below this are in the version.
    pub(super) limits: Vec<u64>,
    /// Number of changes in the version.
    len: usize,
    /// The latest timestamp of the changes the walk visited (the heads among them).
    pub(super) max_time: Option<Hlc>,
}

impl Version {
    /// Whether operation (or item) `id` is in the version.
    pub(super) fn contains(&self, id: Id) -> bool {
        id.counter < self.limit(id.actor)
    }

    /// Operation ids of `actor` with a counter below this are in the version.
    pub(super) fn limit(&self, actor: ActorIdx) -> u64 {
        self.limits.get(actor as usize).copied().unwrap_or(0)
    }

    /// Whether change `index` of the log is in the version.
    pub(super) fn has_change(&self, index: usize) -> bool {
        index < self.bound || self.flags.get(index).is_some_and(|f| f & REACHED != 0)
    }

    /// The log index of the first change not in the version (the log's length if none).
    pub(super) fn first_missing(&self) -> usize {
        self.bound
    }

    /// Whether the version is the whole log.
    pub(super) fn is_whole(&self) -> bool {
        self.len == self.flags.len()
    }
}

/// Flags of the ancestry walk: reached (in the version), depended on by another change of the
/// version (so not a head), walked (its dependencies are reached too).
const REACHED: u8 = 1;
const DEPENDED: u8 = 2;
const WALKED: u8 = 4;

impl Doc {
    /// The version named by `heads`: those changes and all their ancestors (and, should an
    /// author's chain be broken, the author's earlier changes). Seals the open local change.
    /// Unknown hashes are [`DocError::UnknownChange`].
    ///
    /// Walks the ancestry from the heads in descending log order and stops as soon as every
    /// change left below is known to be in the version: all the changes before the first one
    /// outside it (per author, the first change past the version's part of its chain). So a
    /// recent version costs about as much as the changes since it, not the whole history.
    pub(super) fn version_at(&mut self, heads: &[ChangeHash]) -> Result<Version, DocError> {
        self.seal();
        let indexes = heads
            .iter()
            .map(|hash| {
                self.by_hash
                    .get(hash)
                    .copied()
                    .ok_or(DocError::UnknownChange(*hash))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        self.version_of(&indexes)
    }

    /// [`Doc::version_at`] for heads given as log indexes (of sealed changes).
    pub(super) fn version_of(&self, heads: &[u32]) -> Result<Version, DocError> {
        let n = self.changes.len();
        let mut flags = vec![0u8; n];
        let mut queue = BinaryHeap::new();
        let mut head_indexes = Vec::with_capacity(heads.len());
        for &index in heads {
            if let Some(f) = flags.get_mut(index as usize) {
                *f |= REACHED;
                queue.push(index);
                head_indexes.push(index);
            }
        }
        head_indexes.sort_unstable();
        head_indexes.dedup();
        let oldest_head = head_indexes.first().copied().unwrap_or(u32::MAX);
        let chains = self.by_actor.len();
        let mut counts = vec![0usize; chains];
        // Per author, the log index of its first change not (yet) known to be in the version.
        let first_out = |actor: usize, count: usize| -> u32 {
            self.by_actor[actor].get(count).copied().unwrap_or(u32::MAX)
        };
        // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
        let mut frontier: BTreeSet<(u32, usize)> = BTreeSet::new();
        frontier.extend((0..chains).map(|a| (first_out(a, 0), a)));
        let mut max_time: Option<Hlc> = None;
        while let Some(index) = queue.pop() {
            let bound = frontier.first().map_or(u32::MAX, |&(first, _)| first);
            // Below both, every change is in the version and no head can be depended on.
            if index < bound && index < oldest_head {
                break;
            }
            let i = index as usize;
            if flags[i] & WALKED != 0 {
                continue;
            }
            flags[i] |= WALKED;
            let change = &self.changes[i];
            max_time = max_time.max(Some(change.time));
            let actor = change.actor as usize;
            let position = usize::try_from(change.seq).unwrap_or(0);
            let chain = self.by_actor.get(actor);
            if position == 0 || chain.and_then(|c| c.get(position - 1)) != Some(&index) {
                return Err(DocError::InconsistentHistory(format!(
                    "change {i} of the log is not its author's change {position}"
                )));
            }
            if position > counts[actor] {
                frontier.remove(&(first_out(actor, counts[actor]), actor));
                counts[actor] = position;
                frontier.insert((first_out(actor, position), actor));
            }
            let previous = position
                .checked_sub(2)
                .and_then(|p| chain.and_then(|c| c.get(p)).copied());
            for dep in change.deps.iter().copied().chain(previous) {
                match flags.get_mut(dep as usize) {
                    Some(f) if dep < index => {
                        if *f & REACHED == 0 {
                            queue.push(dep);
                        }
                        *f |= REACHED | DEPENDED;
                    }
                    _ => {
                        return Err(DocError::InconsistentHistory(format!(
                            "change {i} of the log depends on change {dep}, which is not before it"
                        )))
                    }
                }
            }
        }
        let bound = frontier
            .first()
            .map_or(n, |&(first, _)| first as usize)
            .min(n);
        let len = bound + flags[bound..].iter().filter(|&&f| f & REACHED != 0).count();
        let version_heads = head_indexes
            .into_iter()
            .filter(|&h| flags[h as usize] & DEPENDED == 0)
            .collect();
        let limits = counts
            .iter()
            .enumerate()
            .map(|(actor, &count)| {
                count.checked_sub(1).map_or(0, |last| {
                    self.changes[self.by_actor[actor][last] as usize].end_op
                })
            })
            .collect();
        Ok(Version {
            bound,
            flags,
            heads: version_heads,
            counts,
            limits,
            len,
            max_time,
        })
    }
}

//! Equivocation kept as branches. An author who signs two different changes with one
//! sequence number has forked their own history; refusing the second change would leave
//! honest peers that received the branches in different orders apart forever. Instead, from
//! the first sequence number with two changes on (the fork), each change of that author is
//! applied under a *lane*: an internal actor of its own, `SHA-256("dagsync lane" ‖ author ‖
//! change hash)`, with sequence number 1. Every peer derives the same lanes from the same
//! changes whatever order they came in, so the documents converge.
//!
//! Operation ids on the wire still name the author: a reference `(author, counter)` past the
//! fork is resolved to the lane of the author's change holding that counter in the
//! referencing change's causal past (the one with the smallest hash when several branches
//! hold it). Exported changes name the author again, so hashes and signatures stay valid.
//! A new fork (a first one, or one before the known one) rebuilds the document from its
//! changes with the new lanes (`Doc::fork_into_lanes`).

use crate::dag::ChangeMap;
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::actor::ActorId;
use crate::clock::OpId;
use crate::dag::ChangeHash;
use crate::error::{ApplyError, Equivocation};

use super::batch::Target;
use super::types::{ApplyReport, Change, ContainerId, Op, OpAction, Origin};
use super::Doc;

/// The forked authors of a document and the lanes their changes went into.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lanes {
    /// Per forked author, the first sequence number two of their changes claim.
    fork_seq: HashMap<ActorId, u64>,
    /// Per lane: the author and the change's sequence number on the wire.
    wire: HashMap<ActorId, (ActorId, u64)>,
    /// The evidence, one entry per pair of changes found claiming one number.
    pub(crate) evidence: Vec<Equivocation>,
}

/// The lane of `author`'s change `hash`.
pub(crate) fn lane_actor(author: &ActorId, hash: &ChangeHash) -> ActorId {
    let mut hasher = Sha256::new();
    hasher.update(b"dagsync lane");
    hasher.update(author.0);
    hasher.update(hash.0);
    ActorId(hasher.finalize().into())
}

impl Lanes {
    /// The lanes with `evidence` added: each author's fork moves to the earliest number
    /// claimed twice.
    pub(crate) fn with_evidence(&self, evidence: &[Equivocation]) -> Lanes {
        let mut lanes = self.clone();
        for e in evidence {
            let seq = lanes.fork_seq.entry(e.actor).or_insert(e.seq);
            *seq = (*seq).min(e.seq);
            if !lanes.evidence.contains(e) {
                lanes.evidence.push(e.clone());
            }
        }
        lanes
    }

    /// Whether `evidence` moves a fork (a new forked author, or an earlier number): the
    /// document must then be rebuilt.
    pub(crate) fn moves_a_fork(&self, evidence: &[Equivocation]) -> bool {
        evidence
            .iter()
            .any(|e| self.fork_seq.get(&e.actor).is_none_or(|&s| e.seq < s))
    }

    /// The first forked sequence number of `author`, if they forked.
    pub(crate) fn fork_of(&self, author: &ActorId) -> Option<u64> {
        self.fork_seq.get(author).copied()
    }

    /// The author and wire sequence number of lane `actor`; `None` for a real actor.
    pub(crate) fn wire_of(&self, actor: &ActorId) -> Option<(ActorId, u64)> {
        self.wire.get(actor).copied()
    }

    /// The actor a change of `actor` is attributed to: the author for a lane.
    pub(crate) fn author(&self, actor: &ActorId) -> ActorId {
        self.wire.get(actor).map_or(*actor, |&(author, _)| author)
    }
}

/// Calls `f` on every operation id `op` names (its container's creator included).
fn references_mut(op: &mut Op, mut f: impl FnMut(&mut OpId)) {
    if let ContainerId::Child { op: creator, .. } = &mut op.container {
        f(creator);
    }
    match &mut op.action {
        OpAction::Insert {
            origin_left,
            origin_right,
            ..
        } => origin_left.iter_mut().chain(origin_right).for_each(f),
        OpAction::Delete { start, .. } => f(start),
        OpAction::MapSet { pred, .. }
        | OpAction::MapDelete { pred, .. }
        | OpAction::RegisterSet { pred, .. }
        | OpAction::SetRemove { observed: pred, .. } => pred.iter_mut().for_each(f),
        OpAction::CounterAdd { .. } | OpAction::SetAdd { .. } | OpAction::Encrypted { .. } => {}
    }
}

/// Moves `inner`'s references to its own operations (`author`'s counters in `own`) to
/// `lane`, and the change itself: a decrypted payload of a change in a lane.
pub(super) fn move_own_references(
    inner: &mut Change,
    author: ActorId,
    lane: ActorId,
    own: std::ops::Range<u64>,
) {
    for op in &mut inner.ops {
        references_mut(op, |p| {
            if p.actor == author && own.contains(&p.counter) {
                p.actor = lane;
            }
        });
    }
    inner.actor = lane;
    inner.seq = 1;
}

/// A change a translation may look at: applied (in the log) or in the batch.
struct Node {
    start_op: u64,
    deps: Vec<ChangeHash>,
}

impl Doc {
    /// Every equivocation the document has seen: authors who signed two different changes
    /// with one sequence number, with both hashes. Their branches are both kept (see
    /// `doc/lanes.rs`), so the document converges with every peer holding the same changes.
    pub fn equivocations(&self) -> &[Equivocation] {
        self.lanes.as_ref().map_or(&[], |l| &l.evidence[..])
    }

    /// Applies `candidates` (buffered and given changes) and `conflicts` (given changes whose
    /// number an applied change has) after `evidence` showed new forks: the document is
    /// rebuilt from its changes with the forked authors' changes in lanes, then the batch
    /// applies. If anything fails the document stays as it was. Subscribers get the
    /// difference between the old and the new heads; the undo history is cleared (the
    /// operations it names may have moved into lanes).
    pub(super) fn fork_into_lanes(
        &mut self,
        evidence: Vec<Equivocation>,
        mut candidates: ChangeMap<Change>,
        conflicts: Vec<(ChangeHash, Change)>,
        target: Target,
        from: Option<&ActorId>,
    ) -> Result<ApplyReport, ApplyError> {
        let current = self.lanes.clone().unwrap_or_default();
        if !current.moves_a_fork(&evidence) {
            // Known forks translate their changes; this one is malformed (a change past the
            // fork without its predecessor among its ancestors).
            let e = &evidence[0];
            return Err(super::batch::two_claims(e.actor, e.seq));
        }
        let mut fresh = Doc::new(self.actors[0]);
        for actor in &self.actors[1..] {
            fresh.intern(*actor);
        }
        fresh.local = self.local;
        fresh.clock = self.clock.clone();
        fresh.time_source = self.time_source;
        fresh.identity = self.identity.clone();
        fresh.require_signatures = self.require_signatures;
        fresh.genesis = self.genesis;
        fresh.doc_key = self.doc_key.clone();
        fresh.lanes = Some(current.with_evidence(&evidence));
        let log: Vec<(ChangeHash, Change)> = (0..self.changes.len())
            .filter_map(|i| Some((self.changes[i].hash?, self.export_change(i as u32))))
            .collect();
        let old_heads: Vec<ChangeHash> = self.heads();
        if !log.is_empty() {
            fresh.apply_hashed(log, Target::Fresh, None)?;
        }
        fresh.queue = self.queue.clone();
        fresh.direct = self.direct.clone();
        candidates.retain(|h, _| !self.queue.contains_key(h));
        let given = candidates.into_iter().chain(conflicts).collect();
        let report = fresh.apply_hashed(given, target, from)?;
        // Subscribers saw the old document: tell them what differs.
        let mut patches = Vec::new();
        if !self.subscribers.is_empty() {
            let new_heads = fresh.heads();
            patches = fresh
                .diff(&old_heads, &new_heads)
                .map_err(|e| ApplyError::Invalid {
                    actor: evidence[0].actor,
                    seq: evidence[0].seq,
                    what: format!("rebuilding the document with both branches: {e}"),
                })?;
        }
        fresh.subscribers = std::mem::take(&mut self.subscribers);
        fresh.next_subscriber = self.next_subscriber;
        fresh.undo = self.undo.take().map(|mut undo| {
            undo.clear();
            undo
        });
        *self = fresh;
        self.patches = patches;
        self.emit(Origin::Remote);
        Ok(report)
    }

    /// The author `actor` stands for on the wire: itself, or a lane's author.
    pub(super) fn wire_actor(&self, actor: ActorId) -> ActorId {
        match &self.lanes {
            Some(lanes) => lanes.author(&actor),
            None => actor,
        }
    }

    /// The author and sequence number on the wire of a change applied as `(actor, seq)`.
    pub(super) fn wire_id(&self, actor: ActorId, seq: u64) -> (ActorId, u64) {
        self.lanes
            .as_ref()
            .and_then(|l| l.wire_of(&actor))
            .unwrap_or((actor, seq))
    }

    /// The lanes of the batch's changes past their authors' forks (recorded, so references
    /// naming them resolve): the first pass of translating a batch.
    pub(super) fn assign_lanes(&mut self, batch: &ChangeMap<Change>) -> ChangeMap<ActorId> {
        let Some(lanes) = &self.lanes else {
            return Default::default();
        };
        let mut own = ChangeMap::default();
        for (hash, change) in batch {
            if let Some(fork) = lanes.fork_of(&change.actor) {
                // Past the fork only with its predecessor among its ancestors; otherwise left
                // as it is, for planning to refuse (a gap or a second change with the number).
                if change.seq >= fork
                    && (change.seq == fork || self.has_own_predecessor(change, batch))
                {
                    own.insert(*hash, lane_actor(&change.actor, hash));
                }
            }
        }
        if let Some(lanes) = &mut self.lanes {
            for (hash, lane) in &own {
                lanes
                    .wire
                    .insert(*lane, (batch[hash].actor, batch[hash].seq));
            }
        }
        own
    }

    /// `change` (wire form) as it applies in this document: in its lane `own_lane` (from
    /// [`Doc::assign_lanes`]), and its references to forked authors' operations in theirs.
    /// A reference may name a lane itself, where its author's name would be ambiguous; naming
    /// a lane where the author's name resolves to it is refused, so that every change has one
    /// wire form and re-exports hash the same.
    pub(super) fn translate(
        &self,
        change: &Change,
        own_lane: Option<ActorId>,
        batch: &ChangeMap<Change>,
    ) -> Result<Change, ApplyError> {
        let Some(lanes) = &self.lanes else {
            return Ok(change.clone());
        };
        let mut out = change.clone();
        let mut refs = Vec::new();
        for op in &mut out.ops {
            references_mut(op, |p| refs.push(*p));
        }
        let mut resolved = Vec::with_capacity(refs.len());
        for p in &refs {
            let lane = if let Some((author, _)) = lanes.wire_of(&p.actor) {
                let named = OpId::new(p.counter, author);
                let by_author = self.resolve_lane(&named, change, own_lane, batch);
                if by_author == Some(p.actor) {
                    return Err(ApplyError::Invalid {
                        actor: change.actor,
                        seq: change.seq,
                        what: format!("operation {p} names a lane its author's id resolves to"),
                    });
                }
                None
            } else {
                self.resolve_lane(p, change, own_lane, batch)
            };
            resolved.push(lane);
        }
        let mut next = resolved.into_iter();
        for op in &mut out.ops {
            references_mut(op, |p| {
                if let Some(Some(lane)) = next.next() {
                    p.actor = lane;
                }
            });
        }
        if let Some(lane) = own_lane {
            out.actor = lane;
            out.seq = 1;
        }
        Ok(out)
    }

    /// The lane operation `p` (named by its author) is in, as `change` (wire form, in lane
    /// `own_lane` if any) sees it; `None`: not in a lane.
    fn resolve_lane(
        &self,
        p: &OpId,
        change: &Change,
        own_lane: Option<ActorId>,
        batch: &ChangeMap<Change>,
    ) -> Option<ActorId> {
        let own = change.start_op..change.start_op.saturating_add(change.op_count());
        if p.actor == change.actor && own.contains(&p.counter) {
            return own_lane;
        }
        let fork = self.lanes.as_ref()?.fork_of(&p.actor)?;
        self.lane_holding(p, fork, &change.deps, batch)
    }

    /// Stored change `index`, exported as `change` with internal actors, in its wire form:
    /// its author's name and number, and references named by their authors wherever that
    /// resolves to the same lane (see [`Doc::translate`]).
    pub(super) fn to_wire(&self, change: &mut Change) {
        let Some(lanes) = &self.lanes else {
            return;
        };
        let internal = change.actor;
        let mut own_lane = None;
        if let Some((author, seq)) = lanes.wire_of(&internal) {
            own_lane = Some(internal);
            change.actor = author;
            change.seq = seq;
        }
        let mut refs = Vec::new();
        for op in &mut change.ops {
            references_mut(op, |p| refs.push(*p));
        }
        let wire: Vec<Option<ActorId>> = refs
            .iter()
            .map(|p| {
                let (author, _) = lanes.wire_of(&p.actor)?;
                let named = OpId::new(p.counter, author);
                (self.resolve_lane(&named, change, own_lane, &Default::default()) == Some(p.actor))
                    .then_some(author)
            })
            .collect();
        let mut next = wire.into_iter();
        for op in &mut change.ops {
            references_mut(op, |p| {
                if let Some(Some(author)) = next.next() {
                    p.actor = author;
                }
            });
        }
    }

    /// Whether `change`'s author has a change numbered one less among its ancestors.
    fn has_own_predecessor(&self, change: &Change, batch: &ChangeMap<Change>) -> bool {
        let wanted = change.seq - 1;
        let mut stack: Vec<ChangeHash> = change.deps.clone();
        let mut seen = std::collections::HashSet::new();
        while let Some(h) = stack.pop() {
            if !seen.insert(h) {
                continue;
            }
            let (actor, seq) = match self.by_hash.get(&h) {
                Some(&i) => {
                    let c = &self.changes[i as usize];
                    self.wire_id(self.actors[c.actor as usize], c.seq)
                }
                None => match batch.get(&h) {
                    Some(c) => (c.actor, c.seq),
                    None => continue,
                },
            };
            if actor == change.actor {
                if seq == wanted {
                    return true;
                }
                if seq < wanted {
                    continue;
                }
            }
            if let Some(node) = self.node(&h, batch) {
                stack.extend(node.deps);
            }
        }
        false
    }

    /// The lane whose change holds operation `p` (of an author forked at `fork`) in the
    /// causal past `deps`; `None` when the author's unforked changes hold it (or nothing
    /// does: validation then reports it). Several branches holding it: the smallest hash.
    fn lane_holding(
        &self,
        p: &OpId,
        fork: u64,
        deps: &[ChangeHash],
        batch: &ChangeMap<Change>,
    ) -> Option<ActorId> {
        if let Some(&a) = self.actor_index.get(&p.actor) {
            let held = self.by_actor[a as usize].iter().any(|&i| {
                let c = &self.changes[i as usize];
                c.start_op <= p.counter && p.counter < c.end_op
            });
            if held {
                return None;
            }
        }
        // The author's changes past the fork that hold the counter, applied or in the batch.
        let mut holders: Vec<(ChangeHash, u64)> = Vec::new();
        if let Some(lanes) = &self.lanes {
            for (lane, (author, _)) in &lanes.wire {
                if author != &p.actor {
                    continue;
                }
                let Some(&a) = self.actor_index.get(lane) else {
                    continue;
                };
                for &i in &self.by_actor[a as usize] {
                    let c = &self.changes[i as usize];
                    if c.start_op <= p.counter && p.counter < c.end_op {
                        holders.extend(c.hash.map(|h| (h, c.end_op)));
                    }
                }
            }
        }
        for (h, c) in batch {
            let end = c.start_op.saturating_add(c.op_count());
            if c.actor == p.actor && c.seq >= fork && c.start_op <= p.counter && p.counter < end {
                holders.push((*h, end));
            }
        }
        holders.sort_unstable();
        holders
            .into_iter()
            .find(|&(h, end)| self.reaches(deps, h, end, batch))
            .map(|(h, _)| lane_actor(&p.actor, &h))
    }

    /// Whether `target` (ending at operation counter `target_end`) is among `from` or their
    /// ancestors. A descendant of `target` starts at or past its end, so the walk skips every
    /// change that starts before it.
    fn reaches(
        &self,
        from: &[ChangeHash],
        target: ChangeHash,
        target_end: u64,
        batch: &ChangeMap<Change>,
    ) -> bool {
        let mut stack: Vec<ChangeHash> = from.to_vec();
        let mut seen = std::collections::HashSet::new();
        while let Some(h) = stack.pop() {
            if h == target {
                return true;
            }
            if !seen.insert(h) {
                continue;
            }
            if let Some(node) = self.node(&h, batch) {
                if node.start_op >= target_end {
                    stack.extend(node.deps);
                }
            }
        }
        false
    }

    fn node(&self, hash: &ChangeHash, batch: &ChangeMap<Change>) -> Option<Node> {
        if let Some(&i) = self.by_hash.get(hash) {
            let c = &self.changes[i as usize];
            return Some(Node {
                start_op: c.start_op,
                deps: self.dep_hashes(c).collect(),
            });
        }
        batch.get(hash).map(|c| Node {
            start_op: c.start_op,
            deps: c.deps.clone(),
        })
    }
}

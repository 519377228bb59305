//! What a remote change had seen when it was made (its causal past), as applying it needs to
//! know: an insert's origins must have been neighbours then. Also the rollback used when a
//! change turns out to be invalid only while it is being applied.

use rustc_hash::FxHashMap;

use crate::dag::ChangeHash;
use crate::id::{ActorIdx, Id};

use crate::clock::OpId;
use crate::crdt::seq::{PlaceError, Run};

use super::state::State;
use super::types::{Change, ContainerId};
use super::Doc;

/// The causal past of the change being applied: its dependencies' ancestry.
pub(super) struct CausalPast<'a> {
    /// The change's author: all its earlier operations are in the past.
    pub(super) author: ActorIdx,
    /// The change's dependencies.
    pub(super) deps: &'a [ChangeHash],
    /// The dependencies are exactly the document's heads: everything applied is in the past.
    pub(super) whole_doc: bool,
    /// Operation counter limits of the causal past, per author, when known: then an item is
    /// in the past exactly when its counter is below its author's limit.
    pub(super) limits: Option<FxHashMap<crate::ActorId, u64>>,
    /// Ancestry answers per log index, since runs of one change are often met many times.
    memo: FxHashMap<u32, bool>,
}

impl<'a> CausalPast<'a> {
    pub(super) fn new(author: ActorIdx, deps: &'a [ChangeHash], whole_doc: bool) -> Self {
        CausalPast {
            author,
            deps,
            whole_doc,
            limits: None,
            memo: FxHashMap::default(),
        }
    }
}

impl Doc {
    /// Whether the dependency log indexes `deps` are exactly the current heads.
    pub(super) fn deps_are_heads(&self, deps: &[u32]) -> bool {
        if deps.len() != self.heads.len() {
            return false;
        }
        let mut sorted = deps.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.len() == deps.len() && sorted.iter().eq(self.heads.iter())
    }

    /// Whether applied item `id` is in `past`.
    pub(super) fn item_in_past(&self, past: &mut CausalPast<'_>, id: Id) -> bool {
        if past.whole_doc || id.actor == past.author {
            return true;
        }
        if let Some(limits) = &past.limits {
            let actor = self.actors[id.actor as usize];
            return limits.get(&actor).is_some_and(|&l| id.counter < l);
        }
        let Some(changes) = self.by_actor.get(id.actor as usize) else {
            return false;
        };
        let after = changes.partition_point(|&i| self.changes[i as usize].start_op <= id.counter);
        let Some(&index) = after.checked_sub(1).and_then(|k| changes.get(k)) else {
            return false;
        };
        let Some(hash) = self.changes[index as usize].hash else {
            return false;
        };
        *past.memo.entry(index).or_insert_with(|| {
            self.has_ancestor(past.deps, hash, &Default::default(), &Default::default())
        })
    }

    /// Whether, in the document as it is, items of `change`'s causal past (`deps`: its
    /// dependencies' log indexes) lie between an insert's origins — a forged insert. `false`
    /// when that cannot be told yet (an origin or the container not here).
    pub(super) fn origins_skip_past_items(
        &self,
        limits: &FxHashMap<crate::ActorId, u64>,
        change: &Change,
        deps: &[u32],
        container: &ContainerId,
        origin_left: &Option<OpId>,
        origin_right: &Option<OpId>,
    ) -> bool {
        let Some(c) = self.resolve_existing(container) else {
            return false;
        };
        let seq = match &self.containers[c as usize].state {
            State::Text(s) => &s.seq,
            State::List(s) => &s.seq,
            _ => return false,
        };
        let resolve = |o: &Option<OpId>| match o {
            None => Some(Id::NONE),
            Some(op) => self.internal_id(*op),
        };
        let (Some(left), Some(right)) = (resolve(origin_left), resolve(origin_right)) else {
            return false;
        };
        // The change's author may be new here: then none of its items are in the document.
        let author = self
            .actor_index
            .get(&change.actor)
            .copied()
            .unwrap_or(ActorIdx::MAX);
        let mut past = CausalPast::new(author, &change.deps, self.deps_are_heads(deps));
        past.limits = Some(limits.clone());
        let probe = Run {
            id: Id::NONE,
            origin_left: left,
            origin_right: right,
            content: 0,
            len: 0,
            deleted: false,
        };
        matches!(
            seq.locate(&probe, &self.actors, |item| self
                .item_in_past(&mut past, item)),
            Err(PlaceError::NotAdjacent)
        )
    }

    /// Puts the document back to its first `keep` log entries after a change failed half
    /// applied, by replaying them (they were all valid) into a fresh document. Subscribers,
    /// buffered changes and patches not yet delivered (the first `patches` of them) stay.
    pub(super) fn roll_back_to(&mut self, keep: usize, patches: usize) {
        let mut fresh = Doc::new(self.actor());
        fresh.genesis = self.genesis;
        fresh.doc_key = self.doc_key.clone();
        for index in 0..keep {
            let Some(hash) = self.changes[index].hash else {
                continue;
            };
            let change = self.export_change(index as u32);
            let replayed = fresh.apply_change(change, hash, None);
            debug_assert!(replayed.is_ok(), "an applied change replays: {replayed:?}");
        }
        fresh.subscribers = std::mem::take(&mut self.subscribers);
        fresh.next_subscriber = self.next_subscriber;
        fresh.time_source = self.time_source;
        fresh.queue = std::mem::take(&mut self.queue);
        fresh.direct = std::mem::take(&mut self.direct);
        fresh.identity = self.identity.take();
        fresh.require_signatures = self.require_signatures;
        self.patches.truncate(patches);
        fresh.patches = std::mem::take(&mut self.patches);
        // Undo steps name containers by index, which the replay may number differently.
        if let Some(mut undo) = self.undo.take() {
            let ids: Vec<ContainerId> = (0..self.containers.len() as u32)
                .map(|c| self.container_id(c))
                .collect();
            undo.remap_containers(|c| {
                let id = ids.get(c as usize)?;
                match id {
                    ContainerId::Root { name, kind } => Some(fresh.root(name, *kind)),
                    ContainerId::Child { .. } => fresh.resolve_existing(id),
                }
            });
            fresh.undo = Some(undo);
        }
        *self = fresh;
    }
}

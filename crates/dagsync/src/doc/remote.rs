//! Exchanging changes: exporting the log as public [`Change`]s and applying changes from
//! other replicas (the validation and the application of one change; `batch.rs` drives them).

use crate::dag::{ChangeMap, ChangeSet};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::actor::ActorId;
use crate::clock::{OpId, VersionVector};
use crate::crdt::seq::{PlaceError, Run, Uniform};
use crate::dag::ChangeHash;
use crate::error::{ApplyError, Equivocation};
use crate::id::Id;

use super::causal::CausalPast;
use super::encrypted::{encrypted_container, Content};
use super::local::utf16_of;
use super::log::{StoredAction, StoredChange, StoredNew, StoredOp};
use super::state::{Slot, State};
use super::types::{
    Change, ChangeId, ContainerId, ContainerKind, InsertContent, Item, NewItem, Op, OpAction,
    PatchAction,
};
use super::Doc;

/// Every operation id `op` names: its container's creator, origins, deleted items (the first
/// and last: an author's operations are a chain), predecessors and observed adds.
fn op_references(op: &Op, out: &mut Vec<OpId>) {
    if let ContainerId::Child { op: creator, .. } = &op.container {
        out.push(*creator);
    }
    match &op.action {
        OpAction::Insert {
            origin_left,
            origin_right,
            ..
        } => out.extend(origin_left.iter().chain(origin_right).copied()),
        OpAction::Delete { start, len } => {
            out.push(*start);
            if *len > 1 {
                out.push(OpId::new(
                    start.counter.saturating_add(*len - 1),
                    start.actor,
                ));
            }
        }
        OpAction::MapSet { pred, .. }
        | OpAction::MapDelete { pred, .. }
        | OpAction::RegisterSet { pred, .. }
        | OpAction::SetRemove { observed: pred, .. } => out.extend(pred.iter().copied()),
        OpAction::CounterAdd { .. } | OpAction::SetAdd { .. } | OpAction::Encrypted { .. } => {}
    }
}

/// A causal order of the applicable candidates, and what planning learnt about each.
pub(super) type Plan = (Vec<ChangeHash>, ChangeMap<Planned>);

/// What planning knows of a change that is not applied yet.
pub(super) struct Planned {
    end_op: u64,
}

/// What the changes validated so far in a batch add, so later ones may reference it.
#[derive(Default)]
pub(super) struct Overlay {
    /// Op id ranges per actor.
    ops: FxHashMap<ActorId, Vec<(u64, u64, ChangeHash)>>,
    /// End op of the last change per actor.
    last_end: FxHashMap<ActorId, u64>,
    /// Inserted item ranges per container and actor: `start counter → end counter`.
    items: FxHashMap<ContainerId, FxHashMap<ActorId, BTreeMap<u64, u64>>>,
    /// Containers created.
    containers: FxHashMap<OpId, ContainerKind>,
    /// Leave checking that named sequence items exist to their application (which fails on a
    /// missing one): when a failed batch just discards the document, as a load does.
    pub(super) items_checked_on_apply: bool,
    /// Per change (validated in this batch, or applied and depended on), the operation
    /// counter limits of its causal past and itself: an author's operations below its limit
    /// are in it (see `version.rs`).
    limits: ChangeMap<Arc<FxHashMap<ActorId, u64>>>,
    /// Per change validated in this batch, the limits of its causal past alone (what applying
    /// it needs again).
    pub(super) past: ChangeMap<FxHashMap<ActorId, u64>>,
}

impl Doc {
    /// Every change not covered by `since` (an actor's changes after the seq it names), in a
    /// causal order. Seals the open local change first, so what is exported never changes.
    /// Leaves out what others could not authenticate, as [`Doc::export_changes`] does.
    pub fn changes_since(&mut self, since: &VersionVector) -> Vec<Change> {
        self.seal();
        let limits = self.relay_limits();
        let indexes = self.indexes_after(since, &limits);
        self.sign_for_export(&indexes);
        indexes.into_iter().map(|i| self.export_change(i)).collect()
    }

    /// The change with id `id`, if the document has it (seals the open local change).
    pub fn get_change(&mut self, id: &ChangeId) -> Option<Change> {
        self.seal();
        let index = self.change_index(id)?;
        self.sign_for_export(&[index]);
        Some(self.export_change(index))
    }

    fn change_index(&self, id: &ChangeId) -> Option<u32> {
        let actor = *self.actor_index.get(&id.actor)?;
        let seq = usize::try_from(id.seq).ok()?.checked_sub(1)?;
        self.by_actor[actor as usize].get(seq).copied()
    }

    pub(super) fn export_change(&self, index: u32) -> Change {
        let stored = &self.changes[index as usize];
        let mut change = Change {
            actor: self.actors[stored.actor as usize],
            seq: stored.seq,
            deps: Vec::new(),
            start_op: stored.start_op,
            time: stored.time,
            message: None,
            ops: Vec::new(),
            signature: None,
        };
        self.export_change_into(index, &mut change);
        change
    }

    /// [`Doc::export_change`] into `change`, whose operation and dependency lists are reused
    /// (sealing a change per keystroke would allocate both every time).
    pub(super) fn export_change_into(&self, index: u32, change: &mut Change) {
        let stored = &self.changes[index as usize];
        change.ops.clear();
        match &stored.encrypted {
            // Sent and hashed as it was sealed.
            Some(payload) => change.ops.push(Op {
                container: encrypted_container(),
                action: OpAction::Encrypted {
                    width: stored.end_op - stored.start_op,
                    payload: payload.to_vec(),
                },
            }),
            None => change
                .ops
                .extend(stored.ops.iter().map(|op| self.export_op(op))),
        }
        change.actor = self.actors[stored.actor as usize];
        change.seq = stored.seq;
        // A change's dependencies are always sealed (see `Doc::commit`), so have hashes.
        change.deps.clear();
        change.deps.extend(self.dep_hashes(stored));
        change.start_op = stored.start_op;
        change.time = stored.time;
        change.message.clone_from(&stored.message);
        change.signature = stored.signature.as_deref().copied();
        self.to_wire(change);
    }

    fn export_id(&self, id: Id) -> Option<OpId> {
        id.to_option().map(|id| self.op_id(id))
    }

    fn export_new(new: &StoredNew) -> NewItem {
        match new {
            StoredNew::Value(v) => NewItem::Value(v.clone()),
            StoredNew::Container(kind) => NewItem::Container(*kind),
        }
    }

    fn export_op(&self, op: &StoredOp) -> Op {
        let container = self.container_id(op.container);
        let ids = |ids: &[Id]| ids.iter().map(|&id| self.op_id(id)).collect::<Vec<_>>();
        let action = match &op.action {
            StoredAction::Insert {
                origin_left,
                origin_right,
                content,
                len,
            } => {
                let range = *content as usize..(*content + *len) as usize;
                let content = match &self.containers[op.container as usize].state {
                    State::Text(state) => InsertContent::Text(state.chars[range].iter().collect()),
                    State::List(state) => InsertContent::Items(
                        state.items[range]
                            .iter()
                            .map(|slot| match slot {
                                Slot::Value(v) => NewItem::Value(v.clone()),
                                Slot::Container(c) => {
                                    NewItem::Container(self.containers[*c as usize].state.kind())
                                }
                            })
                            .collect(),
                    ),
                    _ => InsertContent::Items(Vec::new()),
                };
                OpAction::Insert {
                    origin_left: self.export_id(*origin_left),
                    origin_right: self.export_id(*origin_right),
                    content,
                }
            }
            StoredAction::Delete { start, len } => OpAction::Delete {
                start: self.op_id(*start),
                len: *len,
            },
            StoredAction::MapSet { key, value, pred } => OpAction::MapSet {
                key: key.clone(),
                value: Self::export_new(value),
                pred: ids(pred),
            },
            StoredAction::MapDelete { key, pred } => OpAction::MapDelete {
                key: key.clone(),
                pred: ids(pred),
            },
            StoredAction::CounterAdd { delta } => OpAction::CounterAdd { delta: *delta },
            StoredAction::SetAdd { value } => OpAction::SetAdd {
                value: value.clone(),
            },
            StoredAction::SetRemove { value, observed } => OpAction::SetRemove {
                value: value.clone(),
                observed: ids(observed),
            },
            StoredAction::RegisterSet { value, pred } => OpAction::RegisterSet {
                value: Self::export_new(value),
                pred: ids(pred),
            },
        };
        Op { container, action }
    }

    /// A causal order of the candidates whose dependencies are all here or planned (the rest
    /// stay pending). Checks the history rules that span changes: an author's changes are
    /// numbered 1, 2, … with each one's predecessor among its ancestors, and operation
    /// counters grow along every dependency.
    pub(super) fn plan(
        &self,
        candidates: &ChangeMap<Change>,
        arrival: &[ChangeHash],
    ) -> Result<Plan, (ChangeHash, ApplyError)> {
        let mut waiting: ChangeMap<usize> = Default::default();
        let mut dependents: ChangeMap<Vec<ChangeHash>> = Default::default();
        let rank: ChangeMap<usize> = arrival.iter().enumerate().map(|(i, h)| (*h, i)).collect();
        let mut ready: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
        for (i, hash) in arrival.iter().enumerate() {
            let change = &candidates[hash];
            let mut missing = 0;
            for dep in &change.deps {
                if !self.by_hash.contains_key(dep) {
                    missing += 1;
                    dependents.entry(*dep).or_default().push(*hash);
                }
            }
            if missing == 0 {
                ready.push(Reverse(i));
            } else {
                waiting.insert(*hash, missing);
            }
        }
        let mut planned: ChangeMap<Planned> = Default::default();
        let mut by_id: HashMap<ChangeId, ChangeHash> = HashMap::new();
        let mut order = Vec::new();
        while let Some(Reverse(next)) = ready.pop() {
            let hash = arrival[next];
            let change = &candidates[&hash];
            let invalid = |what: &str| {
                let e = ApplyError::Invalid {
                    actor: change.actor,
                    seq: change.seq,
                    what: what.to_owned(),
                };
                (hash, e)
            };
            let applied_seq = self.version.get(&change.actor);
            let previous = if change.seq == applied_seq + 1 {
                self.actor_index
                    .get(&change.actor)
                    .and_then(|&a| self.by_actor[a as usize].last())
                    .and_then(|&i| self.changes[i as usize].hash)
            } else {
                by_id
                    .get(&ChangeId {
                        actor: change.actor,
                        seq: change.seq.wrapping_sub(1),
                    })
                    .copied()
            };
            if change.seq == 0 || (change.seq > 1 && previous.is_none()) {
                return Err(invalid(
                    "the author's previous change is missing (sequence gap)",
                ));
            }
            if let Some(&existing) = by_id.get(&change.id()) {
                // Equivocation if the author's key vouches for both (see `Doc::apply_hashed`).
                let pair = Equivocation {
                    actor: change.actor,
                    seq: change.seq,
                    existing,
                    conflicting: hash,
                };
                return Err((hash, ApplyError::Equivocation(Box::new(pair))));
            }
            let mut deps_end = 0u64;
            for dep in &change.deps {
                deps_end = deps_end.max(self.end_op_of(dep, &planned));
            }
            if change.start_op < deps_end {
                return Err(invalid("operation counters must exceed the dependencies'"));
            }
            if let Some(previous) = previous {
                if !self.has_ancestor(&change.deps, previous, &planned, candidates) {
                    return Err(invalid(
                        "the author's previous change is not among its ancestors",
                    ));
                }
            }
            let end_op = change.start_op.saturating_add(change.op_count());
            planned.insert(hash, Planned { end_op });
            by_id.insert(change.id(), hash);
            order.push(hash);
            if let Some(next) = dependents.remove(&hash) {
                for h in next {
                    if let Some(count) = waiting.get_mut(&h) {
                        *count -= 1;
                        if *count == 0 {
                            waiting.remove(&h);
                            ready.push(Reverse(rank[&h]));
                        }
                    }
                }
            }
        }
        Ok((order, planned))
    }

    /// End op counter of an applied or planned change (0 if unknown).
    fn end_op_of(&self, hash: &ChangeHash, planned: &ChangeMap<Planned>) -> u64 {
        match self.by_hash.get(hash) {
            Some(&i) => self.changes[i as usize].end_op,
            None => planned.get(hash).map_or(0, |p| p.end_op),
        }
    }

    /// Whether `target` is `from` or an ancestor of it, among applied and planned changes.
    /// Descendants of `target` have operation counters past its end, so the walk prunes every
    /// change that ends at or before `target` starts.
    pub(super) fn has_ancestor(
        &self,
        from: &[ChangeHash],
        target: ChangeHash,
        planned: &ChangeMap<Planned>,
        candidates: &ChangeMap<Change>,
    ) -> bool {
        let Some((target_actor, target_seq, target_start)) = (match self.by_hash.get(&target) {
            Some(&i) => {
                let c = &self.changes[i as usize];
                Some((self.actors[c.actor as usize], c.seq, c.start_op))
            }
            None => candidates
                .get(&target)
                .map(|c| (c.actor, c.seq, c.start_op)),
        }) else {
            return false;
        };
        let mut stack: Vec<ChangeHash> = from.to_vec();
        let mut seen: ChangeSet = Default::default();
        while let Some(hash) = stack.pop() {
            if hash == target {
                return true;
            }
            if !seen.insert(hash) {
                continue;
            }
            // One lookup per visited change: applied (in the log) or planned (a candidate).
            let (actor, seq, end_op, node) = match self.by_hash.get(&hash) {
                Some(&i) => {
                    let c = &self.changes[i as usize];
                    (self.actors[c.actor as usize], c.seq, c.end_op, Ok(c))
                }
                None => match candidates.get(&hash) {
                    Some(c) => {
                        let end_op = planned.get(&hash).map_or(0, |p| p.end_op);
                        (c.actor, c.seq, end_op, Err(c))
                    }
                    None => continue,
                },
            };
            if end_op <= target_start {
                continue;
            }
            // An author's changes form a chain (checked when planned): a later change of the
            // target's author descends from the target, an earlier one cannot lead to it.
            if actor == target_actor {
                if seq >= target_seq {
                    return true;
                }
                continue;
            }
            match node {
                Ok(applied) => stack.extend(self.dep_hashes(applied)),
                Err(planned) => stack.extend(planned.deps.iter().copied()),
            }
        }
        false
    }

    /// The hash of the change holding operation `p`: applied, or validated earlier in this
    /// batch (an actor's changes are validated in order, so its ranges ascend).
    fn holder_of(&self, p: &OpId, overlay: &Overlay) -> Option<ChangeHash> {
        if let Some(&actor) = self.actor_index.get(&p.actor) {
            let changes = &self.by_actor[actor as usize];
            let after =
                changes.partition_point(|&i| self.changes[i as usize].start_op <= p.counter);
            if after > 0 {
                let holder = &self.changes[changes[after - 1] as usize];
                if p.counter < holder.end_op {
                    return holder.hash;
                }
            }
        }
        let ranges = overlay.ops.get(&p.actor)?;
        let after = ranges.partition_point(|&(s, _, _)| s <= p.counter);
        (after > 0 && p.counter < ranges[after - 1].1).then(|| ranges[after - 1].2)
    }

    /// Whether operation `p`, named by `change`, is in the change's causal past: it exists and
    /// its counter is below its author's limit in that past (`past`). Operations of the
    /// change's own author are (its earlier changes are its ancestors, and operations of the
    /// change itself are checked where they are named).
    fn in_causal_past(
        &self,
        change: &Change,
        p: &OpId,
        overlay: &Overlay,
        past: &FxHashMap<ActorId, u64>,
    ) -> bool {
        if p.actor == change.actor {
            return true;
        }
        self.holder_of(p, overlay).is_some() && past.get(&p.actor).is_some_and(|&l| p.counter < l)
    }

    /// The operation counter limits of the causal past of `change` (whose dependencies are
    /// applied or validated earlier in this batch), cached in `overlay`.
    fn past_limits(
        &self,
        change: &Change,
        overlay: &mut Overlay,
    ) -> Result<FxHashMap<ActorId, u64>, ApplyError> {
        let mut past: FxHashMap<ActorId, u64> = FxHashMap::default();
        for dep in &change.deps {
            let limits = match overlay.limits.get(dep) {
                Some(l) => l.clone(),
                None => {
                    let index = self.by_hash.get(dep).copied().ok_or_else(|| {
                        ApplyError::MissingReference {
                            actor: change.actor,
                            seq: change.seq,
                            what: format!("dependency {dep}"),
                        }
                    })?;
                    let version = self.version_of(&[index]).map_err(|e| ApplyError::Invalid {
                        actor: change.actor,
                        seq: change.seq,
                        what: e.to_string(),
                    })?;
                    let map: FxHashMap<ActorId, u64> = version
                        .limits
                        .iter()
                        .enumerate()
                        .filter(|(_, &l)| l > 0)
                        .map(|(a, &l)| (self.actors[a], l))
                        .collect();
                    let map = Arc::new(map);
                    overlay.limits.insert(*dep, map.clone());
                    map
                }
            };
            for (actor, &limit) in limits.iter() {
                let entry = past.entry(*actor).or_insert(0);
                *entry = (*entry).max(limit);
            }
        }
        Ok(past)
    }

    pub(super) fn validate(
        &self,
        change: &Change,
        hash: ChangeHash,
        overlay: &mut Overlay,
    ) -> Result<(), ApplyError> {
        match self.open_change(change)? {
            Content::Decrypted(inner, _) => self.validate_plain(&inner, hash, overlay),
            // Opaque: only what is outside the payload (counters, permissions) is checked.
            Content::Plain | Content::Opaque(_) => self.validate_plain(change, hash, overlay),
        }
    }

    fn validate_plain(
        &self,
        change: &Change,
        hash: ChangeHash,
        overlay: &mut Overlay,
    ) -> Result<(), ApplyError> {
        let past = self.past_limits(change, overlay)?;
        let mut referenced: Vec<OpId> = Vec::new();
        let invalid = |what: &str| ApplyError::Invalid {
            actor: change.actor,
            seq: change.seq,
            what: what.to_owned(),
        };
        let missing = |what: String| ApplyError::MissingReference {
            actor: change.actor,
            seq: change.seq,
            what,
        };
        if change.ops.is_empty() {
            return Err(invalid("a change has at least one operation"));
        }
        // Permissions, when the dependencies are applied already; otherwise checked as the
        // change applies.
        let applied_deps: Option<Vec<u32>> = change
            .deps
            .iter()
            .map(|d| self.by_hash.get(d).copied())
            .collect();
        if let Some(deps) = &applied_deps {
            self.check_permission(change, hash, deps)?;
        }
        let widths: Vec<u64> = change.ops.iter().map(Op::width).collect();
        let count = widths
            .iter()
            .try_fold(0u64, |acc, &width| acc.checked_add(width));
        let end = count
            .filter(|&n| n > 0)
            .and_then(|n| change.start_op.checked_add(n))
            .filter(|&end| end < u64::MAX / 2)
            .ok_or_else(|| invalid("operation counters overflow"))?;
        let previous_end = overlay
            .last_end
            .get(&change.actor)
            .copied()
            .unwrap_or_else(|| {
                self.actor_index
                    .get(&change.actor)
                    .and_then(|&a| self.by_actor[a as usize].last())
                    .map_or(1, |&i| self.changes[i as usize].end_op)
            });
        if change.start_op < previous_end.max(1) {
            return Err(invalid(
                "operation ids overlap the author's earlier changes",
            ));
        }
        let mut counter = change.start_op;
        for (op, &width) in change.ops.iter().zip(&widths) {
            // An op may reference ops of earlier changes, of the batch, or earlier in this change.
            let known = |p: &OpId, overlay: &Overlay| {
                self.holder_of(p, overlay).is_some()
                    || (p.actor == change.actor
                        && p.counter >= change.start_op
                        && p.counter < counter)
            };
            let kind = self
                .validate_container(&op.container, overlay)
                .ok_or_else(|| missing(format!("container {:?}", op.container)))?;
            let this_op = OpId::new(counter, change.actor);
            referenced.clear();
            op_references(op, &mut referenced);
            for p in &referenced {
                // The author's own operations: earlier ones only.
                if p.actor == change.actor && p.counter >= counter {
                    return Err(missing(format!("operation {p}, not before this one")));
                }
                if !self.in_causal_past(change, p, overlay, &past) {
                    return Err(missing(format!(
                        "operation {p}, outside the change's causal past"
                    )));
                }
            }
            match &op.action {
                OpAction::Insert {
                    origin_left,
                    origin_right,
                    content,
                } => {
                    match (kind, content) {
                        (ContainerKind::Text, InsertContent::Text(_))
                        | (ContainerKind::List, InsertContent::Items(_)) => {}
                        _ => return Err(invalid("insert content does not match the container")),
                    }
                    if content.is_empty() || content.len() > u32::MAX as usize / 2 {
                        return Err(invalid("an insert has between 1 and 2^31 items"));
                    }
                    for origin in [origin_left, origin_right].into_iter().flatten() {
                        if !overlay.items_checked_on_apply
                            && !self.seq_has(&op.container, origin, 1, overlay)
                        {
                            return Err(missing(format!("item {origin}")));
                        }
                    }
                    // Origins that were not neighbours show for sure as the change applies
                    // (then the batch rolls back); most show already against the document
                    // as it is, which is checked here so a forged insert costs no rollback.
                    if let (Some(deps), false) = (&applied_deps, overlay.items_checked_on_apply) {
                        if self.origins_skip_past_items(
                            &past,
                            change,
                            deps,
                            &op.container,
                            origin_left,
                            origin_right,
                        ) {
                            return Err(invalid(
                                "an insert's origins were not neighbours when it was made",
                            ));
                        }
                    }
                    if let InsertContent::Items(items) = content {
                        for (k, item) in items.iter().enumerate() {
                            if let NewItem::Container(kind) = item {
                                overlay
                                    .containers
                                    .insert(OpId::new(counter + k as u64, change.actor), *kind);
                            }
                        }
                    }
                    let ranges = match overlay.items.get_mut(&op.container) {
                        Some(ranges) => ranges,
                        None => overlay.items.entry(op.container.clone()).or_default(),
                    };
                    ranges
                        .entry(change.actor)
                        .or_default()
                        .insert(counter, counter + width);
                }
                OpAction::Delete { start, len } => {
                    if !matches!(kind, ContainerKind::Text | ContainerKind::List) {
                        return Err(invalid("delete on a container that is not a sequence"));
                    }
                    if *len == 0
                        || (!overlay.items_checked_on_apply
                            && !self.seq_has(&op.container, start, *len, overlay))
                    {
                        return Err(missing(format!("items {start} (+{len})")));
                    }
                }
                OpAction::MapSet { value, pred, .. } | OpAction::RegisterSet { value, pred } => {
                    let expected = if matches!(op.action, OpAction::MapSet { .. }) {
                        ContainerKind::Map
                    } else {
                        ContainerKind::Register
                    };
                    if kind != expected {
                        return Err(invalid("set on a container of another kind"));
                    }
                    if let Some(p) = pred.iter().find(|p| !known(p, overlay)) {
                        return Err(missing(format!("operation {p}")));
                    }
                    if let NewItem::Container(kind) = value {
                        overlay.containers.insert(this_op, *kind);
                    }
                }
                OpAction::MapDelete { pred, .. } => {
                    if kind != ContainerKind::Map {
                        return Err(invalid("map delete on a container of another kind"));
                    }
                    if let Some(p) = pred.iter().find(|p| !known(p, overlay)) {
                        return Err(missing(format!("operation {p}")));
                    }
                }
                OpAction::CounterAdd { .. } => {
                    if kind != ContainerKind::Counter {
                        return Err(invalid("counter add on a container of another kind"));
                    }
                }
                OpAction::SetAdd { .. } => {
                    if kind != ContainerKind::Set {
                        return Err(invalid("set add on a container of another kind"));
                    }
                }
                OpAction::SetRemove { observed, .. } => {
                    if kind != ContainerKind::Set {
                        return Err(invalid("set remove on a container of another kind"));
                    }
                    if let Some(p) = observed.iter().find(|p| !known(p, overlay)) {
                        return Err(missing(format!("operation {p}")));
                    }
                }
                // An opaque payload (`open_change` checked its shape): nothing to look into.
                OpAction::Encrypted { .. } => {}
            }
            counter += width;
        }
        overlay
            .ops
            .entry(change.actor)
            .or_default()
            .push((change.start_op, end, hash));
        overlay.last_end.insert(change.actor, end);
        let mut with_itself = past.clone();
        let own = with_itself.entry(change.actor).or_insert(0);
        *own = (*own).max(end);
        overlay.limits.insert(hash, Arc::new(with_itself));
        overlay.past.insert(hash, past);
        Ok(())
    }

    /// The kind of a container named by a change, if it exists (roots always do).
    fn validate_container(&self, id: &ContainerId, overlay: &Overlay) -> Option<ContainerKind> {
        match id {
            ContainerId::Root { kind, .. } => Some(*kind),
            ContainerId::Child { op, kind } => {
                let existing = self
                    .internal_id(*op)
                    .and_then(|id| self.child_index(id))
                    .map(|c| self.containers[c as usize].state.kind())
                    .or_else(|| overlay.containers.get(op).copied());
                (existing == Some(*kind)).then_some(*kind)
            }
        }
    }

    /// Whether the sequence container `id` has items `start .. start+len`, counting items
    /// inserted by the batch so far.
    fn seq_has(&self, id: &ContainerId, start: &OpId, len: u64, overlay: &Overlay) -> bool {
        let existing = match id {
            ContainerId::Root { name, kind } => self.root_index(name, *kind),
            ContainerId::Child { op, .. } => {
                self.internal_id(*op).and_then(|i| self.child_index(i))
            }
        };
        let seq = existing.and_then(|c| match &self.containers[c as usize].state {
            State::Text(s) => Some(&s.seq),
            State::List(s) => Some(&s.seq),
            _ => None,
        });
        let batch = overlay.items.get(id);
        let Some(end) = start.counter.checked_add(len) else {
            return false;
        };
        let actor = self.actor_index.get(&start.actor).copied();
        let mut counter = start.counter;
        while counter < end {
            let in_doc = seq.zip(actor).and_then(|(seq, actor)| {
                let id = Id::new(actor, counter);
                seq.cursor_of(id).map(|c| {
                    let run = seq.run_at(c);
                    counter - u64::from(c.offset) + u64::from(run.len)
                })
            });
            let in_batch = || {
                let ranges = batch?.get(&start.actor)?;
                let (_, &end) = ranges.range(..=counter).next_back()?;
                (counter < end).then_some(end)
            };
            match in_doc.or_else(in_batch) {
                Some(next) => counter = next,
                None => return false,
            }
        }
        true
    }

    /// Applies a validated change.
    pub(super) fn apply_change(
        &mut self,
        change: Change,
        hash: ChangeHash,
        past_limits: Option<FxHashMap<ActorId, u64>>,
    ) -> Result<(), ApplyError> {
        let (author, seq) = (change.actor, change.seq);
        let invalid = |what: &str| ApplyError::Invalid {
            actor: author,
            seq,
            what: what.to_owned(),
        };
        let actor = self.intern(change.actor);
        let deps = change
            .deps
            .iter()
            .map(|d| {
                self.by_hash
                    .get(d)
                    .copied()
                    .ok_or_else(|| invalid("unknown dependency"))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        // Encrypted: apply the decrypted operations (or none, without the key) and keep the
        // payload, which is what the change's hash covers.
        let signature = change.signature;
        let (change, encrypted, opaque_width) = match self.open_change(&change)? {
            Content::Plain => (change, None, 0),
            Content::Decrypted(inner, payload) => (*inner, Some(payload), 0),
            Content::Opaque(payload) => {
                let width = change.ops.iter().map(Op::width).sum();
                let mut change = change;
                change.ops.clear();
                (change, Some(payload), width)
            }
        };
        self.check_permission(&change, hash, &deps)?;
        let mut past = CausalPast::new(actor, &change.deps, self.deps_are_heads(&deps));
        past.limits = past_limits;
        let mut counter = change.start_op + opaque_width;
        let mut stored_ops = Vec::with_capacity(change.ops.len());
        let mut last: Option<(ContainerId, u32)> = None;
        // The ops move into the log: values are not copied.
        for op in change.ops {
            let c = match &last {
                Some((id, c)) if *id == op.container => *c,
                _ => {
                    let c = self
                        .resolve(&op.container)
                        .map_err(|_| invalid("unknown container"))?;
                    self.containers[c as usize].used = true;
                    last = Some((op.container, c));
                    c
                }
            };
            let id = Id::new(actor, counter);
            let (stored, width) = self.apply_remote_op(c, id, op.action, &mut past)?;
            counter += width;
            stored_ops.push(stored);
        }
        let physical = (self.time_source)();
        self.clock.receive(change.time, physical);
        self.next_counter = self.next_counter.max(counter);
        let index = self.push_change(StoredChange {
            actor,
            seq: change.seq,
            deps,
            start_op: change.start_op,
            end_op: counter,
            time: change.time,
            message: change.message,
            ops: stored_ops,
            hash: Some(hash),
            signature: signature.map(Box::new),
            acl: super::permissions::empty_acl(),
            encrypted,
        });
        self.by_hash.insert(hash, index);
        Ok(())
    }

    fn internal(&self, op: Option<OpId>) -> Id {
        op.and_then(|op| self.internal_id(op)).unwrap_or(Id::NONE)
    }

    fn apply_remote_op(
        &mut self,
        c: u32,
        id: Id,
        action: OpAction,
        past: &mut CausalPast<'_>,
    ) -> Result<(StoredOp, u64), ApplyError> {
        let author = self.actors[id.actor as usize];
        let missing = |what: String| ApplyError::MissingReference {
            actor: author,
            seq: 0,
            what,
        };
        let recording = self.recording();
        let action = match action {
            OpAction::Insert {
                origin_left,
                origin_right,
                content,
            } => {
                let origin_left = self.internal(origin_left);
                let origin_right = self.internal(origin_right);
                let seq = match &self.containers[c as usize].state {
                    State::Text(s) => &s.seq,
                    State::List(s) => &s.seq,
                    _ => return Err(missing("sequence container".to_owned())),
                };
                let probe = Run {
                    id,
                    origin_left,
                    origin_right,
                    content: 0,
                    len: 0,
                    deleted: false,
                };
                let spot = seq
                    .locate(&probe, &self.actors, |item| self.item_in_past(past, item))
                    .map_err(|e| match e {
                        PlaceError::Missing(item) => missing(format!("item {item:?}")),
                        PlaceError::NotAdjacent => ApplyError::Invalid {
                            actor: author,
                            seq: 0,
                            what: "an insert's origins were not neighbours when it was made"
                                .to_owned(),
                        },
                    })?;
                let (content_start, len) = match content {
                    InsertContent::Text(text) => {
                        let State::Text(state) = &mut self.containers[c as usize].state else {
                            return Err(missing("text container".to_owned()));
                        };
                        let (start, len) = state.chars.push_str(&text);
                        let run = Run {
                            id,
                            origin_left,
                            origin_right,
                            content: start,
                            len,
                            deleted: false,
                        };
                        let index = state.seq.place_at(spot, run, &state.chars);
                        if recording {
                            let index_utf16 = state.seq.items_to_utf16(index, &state.chars);
                            self.push_patch(
                                c,
                                PatchAction::TextInsert {
                                    index,
                                    index_utf16,
                                    text,
                                },
                            );
                        }
                        (start, len)
                    }
                    InsertContent::Items(items) => {
                        let slots = self.item_slots(c, id, items);
                        let inserted: Vec<Item> = if recording {
                            slots.iter().map(|s| self.item_of(s)).collect()
                        } else {
                            Vec::new()
                        };
                        let State::List(state) = &mut self.containers[c as usize].state else {
                            return Err(missing("list container".to_owned()));
                        };
                        let start = state.items.len() as u32;
                        let len = slots.len() as u32;
                        state.items.extend(slots);
                        let run = Run {
                            id,
                            origin_left,
                            origin_right,
                            content: start,
                            len,
                            deleted: false,
                        };
                        let index = state.seq.place_at(spot, run, &Uniform);
                        if recording {
                            self.push_patch(
                                c,
                                PatchAction::ListInsert {
                                    index,
                                    items: inserted,
                                },
                            );
                        }
                        (start, len)
                    }
                };
                StoredAction::Insert {
                    origin_left,
                    origin_right,
                    content: content_start,
                    len,
                }
            }
            OpAction::Delete { start, len } => {
                let start = self.internal(Some(start));
                let mut deleted: Vec<(u64, u64, u64, u64)> = Vec::new();
                match &mut self.containers[c as usize].state {
                    State::Text(state) => {
                        let chars = &state.chars;
                        state
                            .seq
                            .delete_ids(start, len, chars, |index, n, content, index_utf16| {
                                let len_utf16 = utf16_of(chars, content, n as u32);
                                deleted.push((index, n, index_utf16, len_utf16));
                            })
                            .map_err(|e| missing(format!("item {:?}", e.0)))?;
                    }
                    State::List(state) => {
                        state
                            .seq
                            .delete_ids(start, len, &Uniform, |index, n, _, _| {
                                deleted.push((index, n, 0, 0));
                            })
                            .map_err(|e| missing(format!("item {:?}", e.0)))?;
                    }
                    _ => return Err(missing("sequence container".to_owned())),
                }
                if recording {
                    let is_text = matches!(self.containers[c as usize].state, State::Text(_));
                    for (index, n, index_utf16, len_utf16) in deleted {
                        let action = if is_text {
                            PatchAction::TextDelete {
                                index,
                                len: n,
                                index_utf16,
                                len_utf16,
                            }
                        } else {
                            PatchAction::ListDelete { index, len: n }
                        };
                        self.push_patch(c, action);
                    }
                }
                StoredAction::Delete { start, len }
            }
            OpAction::MapSet { key, value, pred } => StoredAction::MapSet {
                key,
                value: StoredNew::from(value),
                pred: self.internal_ids(&pred),
            },
            OpAction::MapDelete { key, pred } => StoredAction::MapDelete {
                key,
                pred: self.internal_ids(&pred),
            },
            OpAction::CounterAdd { delta } => StoredAction::CounterAdd { delta },
            OpAction::SetAdd { value } => StoredAction::SetAdd { value },
            OpAction::SetRemove { value, observed } => StoredAction::SetRemove {
                value,
                observed: self.internal_ids(&observed),
            },
            OpAction::RegisterSet { value, pred } => StoredAction::RegisterSet {
                value: StoredNew::from(value),
                pred: self.internal_ids(&pred),
            },
            OpAction::Encrypted { .. } => {
                // `open_change` turns every encrypted change into plain ops or none.
                return Err(ApplyError::Invalid {
                    actor: author,
                    seq: 0,
                    what: "an encrypted payload among other operations".to_owned(),
                });
            }
        };
        let op = StoredOp {
            container: c,
            action,
        };
        let width = op.width();
        self.apply_op(&op, id);
        Ok((op, width))
    }

    fn internal_ids(&self, ids: &[OpId]) -> Vec<Id> {
        ids.iter().filter_map(|&op| self.internal_id(op)).collect()
    }
}

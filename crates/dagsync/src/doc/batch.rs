//! Applying a batch of remote changes: plan a causal order, validate, apply, and keep the
//! document unchanged when the batch is refused. A buffered change that turns out invalid
//! once its dependencies arrive is dropped (with the buffered changes that depend on it), so
//! it cannot block the valid changes that unlocked it.

use crate::dag::{ChangeMap, ChangeSet};

use crate::actor::ActorId;
use crate::auth::Coverage;
use crate::dag::ChangeHash;
use crate::error::{ApplyError, Equivocation};

use super::remote::Overlay;
use super::types::{ApplyReport, Change, Origin};
use super::Doc;

/// The document a batch goes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// A document in use: a refused batch must leave it as it was, so as much as possible is
    /// validated before anything applies (a rollback replays the whole log).
    Existing,
    /// A new document that is discarded if the batch fails (a load): what applying checks
    /// anyway is not checked twice.
    Fresh,
}

impl Doc {
    /// Applies changes from other replicas, in any order: a change waits (is reported as
    /// pending) until the changes it depends on are here; a change already applied is a
    /// no-op. Every change that becomes applicable is validated; if one of the given changes
    /// is invalid the call fails and the document is unchanged. A buffered change from an
    /// earlier call that proves invalid is dropped instead (counted in
    /// [`ApplyReport::rejected`]), together with the buffered changes that depend on it.
    pub fn apply_changes(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<ApplyReport, ApplyError> {
        let hashed: Vec<(ChangeHash, Change)> = changes
            .into_iter()
            .map(|c| (crate::dag::hash_change(&c), c))
            .collect();
        self.apply_hashed(hashed, Target::Existing, None)
    }

    /// [`Doc::apply_changes`] for changes received straight from their author `from`, over a
    /// channel that authenticated `from` (a sync session after its handshake). In a document
    /// that requires signatures, `from`'s unsigned changes are then accepted (live typing
    /// before the burst is sealed and signed); they are relayed to others only once a signed
    /// change of `from` covers them.
    pub fn apply_changes_from(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
        from: &ActorId,
    ) -> Result<ApplyReport, ApplyError> {
        let hashed: Vec<(ChangeHash, Change)> = changes
            .into_iter()
            .map(|c| (crate::dag::hash_change(&c), c))
            .collect();
        self.apply_hashed(hashed, Target::Existing, Some(from))
    }

    /// [`Doc::apply_changes`] for changes whose hashes are already computed.
    pub(super) fn apply_hashed(
        &mut self,
        changes: Vec<(ChangeHash, Change)>,
        target: Target,
        from: Option<&ActorId>,
    ) -> Result<ApplyReport, ApplyError> {
        if self.read_only {
            return Err(ApplyError::Invalid {
                actor: self.actor(),
                seq: 0,
                what: "the document is a read-only view".to_owned(),
            });
        }
        self.seal();
        let mut candidates = self.queue.clone();
        let mut direct = self.direct.clone();
        // Plan in arrival order where causality allows: the buffered changes first (by id),
        // then the new ones as given, so a loaded snapshot keeps its order.
        let mut arrival: Vec<ChangeHash> = candidates.keys().copied().collect();
        arrival.sort_unstable_by_key(|h| candidates[h].id());
        let mut conflicts: Vec<(ChangeHash, Change)> = Vec::new();
        for (hash, change) in changes {
            if self.by_hash.contains_key(&hash) || candidates.contains_key(&hash) {
                // A buffered change now received straight from its author is admitted.
                if from == Some(&change.actor) && candidates.contains_key(&hash) {
                    direct.insert(hash);
                }
                self.adopt_signature(hash, &change, &mut candidates);
                continue;
            }
            if change.seq <= self.version.get(&change.actor) {
                conflicts.push((hash, change));
                continue;
            }
            if from == Some(&change.actor) {
                direct.insert(hash);
            }
            candidates.insert(hash, change);
            arrival.push(hash);
        }
        if !conflicts.is_empty() {
            // An author's number that is taken: equivocation if the author's key vouches.
            let evidence = self.conflict_evidence(&candidates, &conflicts)?;
            return self.fork_into_lanes(evidence, candidates, conflicts, target, from);
        }
        let mut rejected = 0;
        // Authenticate: one signature per author. A forged given change fails the call; a
        // forged buffered one is dropped with what depends on it.
        let coverage = loop {
            let coverage = Coverage::of(&candidates);
            let Some(forged) = coverage.forged else {
                break coverage;
            };
            let error = ApplyError::BadSignature {
                actor: candidates[&forged].actor,
                seq: candidates[&forged].seq,
            };
            rejected += self
                .reject_buffered(forged, &mut candidates, &mut arrival)
                .ok_or(error)?;
        };
        // Every stored signature is one that was checked; the others are covered anyway.
        for (hash, change) in candidates.iter_mut() {
            if !coverage.verified.contains(hash) {
                change.signature = None;
            }
        }
        // Unsigned changes nobody's signature covers wait, unless they came from their author.
        let held: ChangeSet = if self.require_signatures && target == Target::Existing {
            candidates
                .keys()
                .filter(|h| !coverage.covered.contains(*h) && !direct.contains(*h))
                .copied()
                .collect()
        } else {
            Default::default()
        };
        let mut arrival: Vec<ChangeHash> =
            arrival.into_iter().filter(|h| !held.contains(h)).collect();
        loop {
            match self.apply_candidates(&mut candidates, &arrival, target) {
                Ok(applied) => {
                    direct.retain(|h| candidates.contains_key(h));
                    self.direct = direct;
                    self.queue = candidates;
                    if applied > 0 {
                        self.emit(Origin::Remote);
                    }
                    return Ok(ApplyReport {
                        applied,
                        pending: self.queue.len(),
                        rejected,
                    });
                }
                Err((_, ApplyError::Equivocation(pair))) => {
                    // Two changes of the batch claim one number.
                    let evidence = self.batch_evidence(&candidates, *pair)?;
                    return self.fork_into_lanes(
                        vec![evidence],
                        candidates,
                        Vec::new(),
                        target,
                        from,
                    );
                }
                Err((hash, e)) => {
                    rejected += self
                        .reject_buffered(hash, &mut candidates, &mut arrival)
                        .ok_or(e)?;
                }
            }
        }
    }

    /// A copy of a change this document holds unsigned (buffered, or applied straight from
    /// its author) that comes signed — an author signs the last change of a burst after
    /// sending it (see `subscribeLocalUpdates` in the JS binding): the signature is kept if it
    /// verifies, so the buffered changes it covers can apply and the applied ones be relayed.
    /// A bad one is ignored (it must not get a genuine buffered change dropped).
    fn adopt_signature(
        &mut self,
        hash: ChangeHash,
        change: &Change,
        candidates: &mut ChangeMap<Change>,
    ) {
        let Some(signature) = change.signature else {
            return;
        };
        let genuine = || crate::auth::verify_signature(&change.actor, &hash, &signature);
        if let Some(held) = candidates.get_mut(&hash) {
            if held.signature.is_none() && genuine() {
                held.signature = Some(signature);
                if let Some(queued) = self.queue.get_mut(&hash) {
                    queued.signature = Some(signature);
                }
            }
        } else if let Some(&index) = self.by_hash.get(&hash) {
            if self.changes[index as usize].signature.is_none() && genuine() {
                std::sync::Arc::make_mut(&mut self.changes[index as usize]).signature =
                    Some(Box::new(signature));
            }
        }
    }

    /// The evidence for changes whose author already has an applied change with their
    /// sequence number: equivocation, when the author's key vouches for each new one too (its
    /// own signature, or a signed later change of the batch covering it); an invalid change
    /// otherwise (anyone can make up a change in someone else's name).
    fn conflict_evidence(
        &self,
        candidates: &ChangeMap<Change>,
        conflicts: &[(ChangeHash, Change)],
    ) -> Result<Vec<Equivocation>, ApplyError> {
        let mut all = candidates.clone();
        all.extend(conflicts.iter().cloned());
        let coverage = Coverage::of(&all);
        let mut evidence = Vec::new();
        for (hash, change) in conflicts {
            let vouched = coverage.verified.contains(hash) || coverage.covered.contains(hash);
            let existing = self
                .actor_index
                .get(&change.actor)
                .and_then(|&a| {
                    let at = usize::try_from(change.seq).ok()?.checked_sub(1)?;
                    self.by_actor[a as usize].get(at).copied()
                })
                .and_then(|i| self.changes[i as usize].hash);
            match existing {
                Some(existing) if vouched => evidence.push(Equivocation {
                    actor: change.actor,
                    seq: change.seq,
                    existing,
                    conflicting: *hash,
                }),
                _ => return Err(taken(change)),
            }
        }
        Ok(evidence)
    }

    /// `pair` (two changes of the batch with one author and number) as evidence, if the
    /// author's key vouches for both.
    fn batch_evidence(
        &self,
        candidates: &ChangeMap<Change>,
        pair: Equivocation,
    ) -> Result<Equivocation, ApplyError> {
        let coverage = Coverage::of(candidates);
        let vouched = |h: &ChangeHash| {
            self.by_hash.contains_key(h)
                || coverage.verified.contains(h)
                || coverage.covered.contains(h)
        };
        if vouched(&pair.existing) && vouched(&pair.conflicting) {
            Ok(pair)
        } else {
            Err(two_claims(pair.actor, pair.seq))
        }
    }

    /// Plans, validates and applies `candidates`; returns how many applied. On failure, the
    /// hash of the offending change and the error; the document is then as before and
    /// `candidates` holds every change again except the offending one if it was applying.
    fn apply_candidates(
        &mut self,
        candidates: &mut ChangeMap<Change>,
        arrival: &[ChangeHash],
        target: Target,
    ) -> Result<usize, (ChangeHash, ApplyError)> {
        // With forked authors, the changes as they apply here (see `doc/lanes.rs`).
        let mut translated: Option<ChangeMap<Change>> = None;
        if self.lanes.is_some() {
            let own = self.assign_lanes(candidates);
            let mut map = ChangeMap::with_capacity_and_hasher(candidates.len(), Default::default());
            for (h, c) in candidates.iter() {
                let change = self
                    .translate(c, own.get(h).copied(), candidates)
                    .map_err(|e| (*h, e))?;
                map.insert(*h, change);
            }
            translated = Some(map);
        }
        let work = translated.as_ref().unwrap_or(candidates);
        let (order, _) = self.plan(work, arrival)?;
        // Validate all of them before applying any.
        let mut overlay = Overlay::default();
        overlay.items_checked_on_apply = target == Target::Fresh;
        for hash in &order {
            if let Some(change) = work.get(hash) {
                self.validate(change, *hash, &mut overlay)
                    .map_err(|e| (*hash, e))?;
            }
        }
        // Validation saw every change against the document before the batch; whether an
        // insert's origins were neighbours shows only against the document as it applies.
        let (log_before, patches_before) = (self.changes.len(), self.patches.len());
        for hash in &order {
            let change = match &mut translated {
                Some(map) => {
                    candidates.remove(hash);
                    map.remove(hash)
                }
                None => candidates.remove(hash),
            };
            if let Some(change) = change {
                // What the change had seen, as operation counter limits (from validation).
                let past = overlay.past.remove(hash);
                if let Err(e) = self.apply_change(change, *hash, past) {
                    // Give back the changes of the batch applied so far, then undo them.
                    for index in log_before..self.changes.len() {
                        if let Some(applied) = self.changes[index].hash {
                            candidates.insert(applied, self.export_change(index as u32));
                        }
                    }
                    self.roll_back_to(log_before, patches_before);
                    return Err((*hash, e));
                }
            }
        }
        Ok(order.len())
    }

    /// Drops the invalid change `bad` and what depends on it from the buffer and from this
    /// call's candidates, returning how many went, if `bad` was buffered by an earlier call
    /// and none of this call's changes depends on it; `None` (the call fails) otherwise.
    fn reject_buffered(
        &mut self,
        bad: ChangeHash,
        candidates: &mut ChangeMap<Change>,
        arrival: &mut Vec<ChangeHash>,
    ) -> Option<usize> {
        if !self.queue.contains_key(&bad) {
            return None;
        }
        let dropped = self.drop_buffered(bad, candidates);
        let given_depends = dropped.iter().any(|h| !self.queue.contains_key(h));
        self.queue.retain(|h, _| !dropped.contains(h));
        if given_depends {
            return None;
        }
        arrival.retain(|h| candidates.contains_key(h));
        Some(dropped.len())
    }

    /// Removes `bad` and every candidate depending on it (directly or not) from
    /// `candidates`; returns their hashes.
    fn drop_buffered(&self, bad: ChangeHash, candidates: &mut ChangeMap<Change>) -> ChangeSet {
        let mut dropped: ChangeSet = ChangeSet::from_iter([bad]);
        loop {
            let before = dropped.len();
            for (hash, change) in candidates.iter() {
                if change.deps.iter().any(|d| dropped.contains(d)) {
                    dropped.insert(*hash);
                }
            }
            if dropped.len() == before {
                break;
            }
        }
        candidates.retain(|h, _| !dropped.contains(h));
        dropped
    }
}

/// The error for two changes of a batch claiming one author and number, when that is no
/// evidence of equivocation.
pub(super) fn two_claims(actor: ActorId, seq: u64) -> ApplyError {
    ApplyError::Invalid {
        actor,
        seq,
        what: "two changes with this author and sequence number".to_owned(),
    }
}

/// The error for a change whose author's number is taken, without the author's key vouching.
fn taken(change: &Change) -> ApplyError {
    ApplyError::Invalid {
        actor: change.actor,
        seq: change.seq,
        what: "another change with this author and sequence number is already applied".to_owned(),
    }
}

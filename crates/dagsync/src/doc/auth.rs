//! Authenticated documents: a document with an [`Identity`] signs its changes as they leave it
//! (the latest local change of each export covers the earlier ones by its hash chain), and
//! one that requires signatures accepts a remote change only when it is authenticated:
//! covered by its author's signature (its own, or a later change's whose hash chain includes
//! it), or received straight from its author over a channel that authenticated that author
//! (`from` in [`Doc::apply_changes_from`]). It also relays (exports, syncs) only changes that
//! others can authenticate the same way.

use crate::auth::Identity;
use crate::clock::VersionVector;
use crate::error::DocError;
use crate::id::ActorIdx;

use super::Doc;

impl Doc {
    /// A new document whose local changes are signed by `identity` (its actor id is the
    /// public key) and which requires remote changes to be authenticated.
    pub fn with_identity(identity: Identity) -> Doc {
        let mut doc = Doc::new(identity.actor());
        doc.identity = Some(identity);
        doc.require_signatures = true;
        doc
    }

    /// Signs this document's future local changes with `identity`, which must be the key pair
    /// of the document's actor (e.g. after [`Doc::fork`] to `identity.actor()`).
    pub fn set_identity(&mut self, identity: Identity) -> Result<(), DocError> {
        if identity.actor() != self.actor() {
            return Err(DocError::WrongIdentity);
        }
        self.identity = Some(identity);
        Ok(())
    }

    /// The key pair local changes are signed with, if any.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Whether remote changes must be authenticated (on for [`Doc::with_identity`], off for
    /// [`Doc::new`], whose documents are unsigned: for tests and fully trusted settings).
    /// Signatures that are present are always checked.
    pub fn requires_signatures(&self) -> bool {
        self.require_signatures
    }

    /// Turns the requirement of [`Doc::requires_signatures`] on or off.
    pub fn set_require_signatures(&mut self, on: bool) {
        self.require_signatures = on;
    }

    /// For each actor, the highest seq of its changes that others can authenticate: up to
    /// its latest signed change (which covers the earlier ones). Everything for the local
    /// actor and for documents that do not require signatures.
    pub(super) fn relay_limits(&self) -> Vec<u64> {
        let mut limits = (0..self.actors.len())
            .map(|a| {
                let changes = &self.by_actor[a];
                if !self.require_signatures || a as ActorIdx == self.local {
                    return u64::MAX;
                }
                changes
                    .iter()
                    .rev()
                    .map(|&i| &self.changes[i as usize])
                    .find(|c| c.signature.is_some())
                    .map_or(0, |c| c.seq)
            })
            .collect::<Vec<u64>>();
        if self.require_signatures {
            self.lane_relay_limits(&mut limits);
        }
        limits
    }

    /// [`Doc::relay_limits`] for forked authors (see `doc/lanes.rs`), whose changes past the
    /// fork are one per lane: a change is let out when a signed change of its author (on
    /// any branch) has it among its ancestors.
    fn lane_relay_limits(&self, limits: &mut [u64]) {
        let Some(lanes) = &self.lanes else {
            return;
        };
        for (a, actor) in self.actors.iter().enumerate() {
            if lanes.fork_of(actor).is_none() || a as ActorIdx == self.local {
                continue;
            }
            // The author's internal actors: itself and its lanes.
            let own: std::collections::HashSet<ActorIdx> = std::iter::once(a as ActorIdx)
                .chain(self.actors.iter().enumerate().filter_map(|(l, lane)| {
                    (lanes
                        .wire_of(lane)
                        .is_some_and(|(author, _)| author == *actor))
                    .then_some(l as ActorIdx)
                }))
                .collect();
            let mut stack: Vec<u32> = own
                .iter()
                .flat_map(|&x| self.by_actor[x as usize].iter().copied())
                .filter(|&i| self.changes[i as usize].signature.is_some())
                .collect();
            let mut seen = std::collections::HashSet::new();
            while let Some(i) = stack.pop() {
                if !seen.insert(i) {
                    continue;
                }
                let c = &self.changes[i as usize];
                if own.contains(&c.actor) {
                    let limit = &mut limits[c.actor as usize];
                    *limit = (*limit).max(c.seq);
                }
                stack.extend(c.deps.iter().copied());
            }
        }
    }

    /// Log indexes (a causal order) of the changes not covered by `since` (an actor's changes
    /// after the seq it names) that `limits` lets out (see [`Doc::relay_limits`]).
    pub(super) fn indexes_after(&self, since: &VersionVector, limits: &[u64]) -> Vec<u32> {
        // An actor's changes sit in `by_actor` by sequence number (seq s at s - 1), so the
        // ones after `since` are a suffix: no scan of the whole log.
        let mut indexes: Vec<u32> = (0..self.actors.len())
            .flat_map(|a| {
                let after = since.get(&self.actors[a]);
                let chain = &self.by_actor[a];
                let from = usize::try_from(after).map_or(chain.len(), |n| n.min(chain.len()));
                chain[from..].iter().copied()
            })
            .filter(|&i| self.relayable(i, limits))
            .collect();
        indexes.sort_unstable();
        indexes
    }

    /// Whether stored change `index` may be sent to other peers (see [`Doc::relay_limits`]).
    pub(super) fn relayable(&self, index: u32, limits: &[u64]) -> bool {
        let change = &self.changes[index as usize];
        change.seq <= limits[change.actor as usize]
    }
}

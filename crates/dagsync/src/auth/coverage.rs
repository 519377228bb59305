//! Which changes of a batch their authors' signatures cover.
//!
//! A signature signs a change's hash, and the hash covers the change's dependencies: an
//! author's previous change is always among its ancestors, so one signature authenticates
//! the author's chain up to the signed change. Receivers therefore verify one signature per
//! author and batch (on the author's latest signed change) and treat the author's earlier
//! changes that this change descends from as authenticated.

use crate::dag::{ChangeMap, ChangeSet};

use crate::actor::ActorId;
use crate::dag::ChangeHash;
use crate::doc::Change;

use super::verify_signature;

/// The outcome of authenticating a batch.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    /// Changes whose author's signature covers them (their own or a later change's).
    pub(crate) covered: ChangeSet,
    /// The signed changes whose signatures were verified (one per author, or per branch of
    /// an author who forked).
    pub(crate) verified: ChangeSet,
    /// A change whose signature does not verify: a forgery (or bytes altered in transit).
    pub(crate) forged: Option<ChangeHash>,
}

impl Coverage {
    /// Authenticates `changes`: per author, the signature of its latest signed change is
    /// verified, and that change and every change of the same author among its ancestors in
    /// `changes` are covered. A signed change that no verified one covers (a second branch
    /// of an author who forked, see `doc/lanes.rs`) has its own signature verified.
    pub(crate) fn of(changes: &ChangeMap<Change>) -> Coverage {
        // Latest first, so one signature usually covers an author's whole batch; sorted, so
        // the forgery reported is the same whatever the map order.
        let mut signed: Vec<(ActorId, std::cmp::Reverse<u64>, ChangeHash)> = changes
            .iter()
            .filter(|(_, c)| c.signature.is_some())
            .map(|(h, c)| (c.actor, std::cmp::Reverse(c.seq), *h))
            .collect();
        signed.sort_unstable();
        let mut coverage = Coverage::default();
        for (actor, _, top) in signed {
            if coverage.covered.contains(&top) {
                continue;
            }
            let change = &changes[&top];
            let genuine = change
                .signature
                .as_ref()
                .is_some_and(|s| verify_signature(&actor, &top, s));
            if !genuine {
                coverage.forged.get_or_insert(top);
                continue;
            }
            coverage.verified.insert(top);
            // Walk the batch ancestry of the signed change, collecting the author's changes.
            let mut stack = vec![top];
            let mut seen: ChangeSet = Default::default();
            while let Some(hash) = stack.pop() {
                if !seen.insert(hash) {
                    continue;
                }
                let Some(c) = changes.get(&hash) else {
                    continue;
                };
                if c.actor == actor {
                    coverage.covered.insert(hash);
                }
                stack.extend(c.deps.iter().copied());
            }
        }
        coverage
    }
}

//! Write permissions as document state.
//!
//! A restricted document names its genesis change; the genesis's author (the creator) is an
//! admin. The access list lives in the reserved root map [`ACL_ROOT`]: key = an actor id in
//! hex, value = `"writer"` or `"admin"`; deleting a key revokes. Only admins write it. A change
//! is valid only if its author may write in the permission state of its causal past, the
//! access-list operations among its ancestors: for each key, the writes that no other one of
//! them overwrites, and among concurrent ones the most restrictive (a concurrent revoke wins).

use std::sync::Arc;

use crate::actor::ActorId;
use crate::id::Id;
use crate::value::Value;

/// Name of the reserved root map holding the access list.
pub const ACL_ROOT: &str = "$dagsync.acl";

/// What an actor may do in a restricted document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// May edit the document.
    Writer,
    /// May edit the document and its access list.
    Admin,
}

impl Role {
    /// The access-list value naming this role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }

    /// The role an access-list value names, if any.
    pub fn from_value(value: &Value) -> Option<Role> {
        match value {
            Value::Str(s) if s == "writer" => Some(Role::Writer),
            Value::Str(s) if s == "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// One access-list operation of the history.
#[derive(Clone, Debug)]
pub(crate) struct AclEntry {
    /// The operation's id.
    pub(crate) op: Id,
    /// Whose role it sets.
    pub(crate) key: ActorId,
    /// The role it grants; `None` revokes.
    pub(crate) role: Option<Role>,
    /// The access-list operations on the same key it overwrites.
    pub(crate) pred: Vec<Id>,
}

/// The access-list operations in a change's causal past, as sorted indexes into the
/// document's entries. Shared between changes with the same set.
pub(crate) type AclSet = Arc<[u32]>;

/// The union of sets (sorted, deduplicated); reuses an input when it holds all the others.
pub(crate) fn union<'a>(sets: impl IntoIterator<Item = &'a AclSet>) -> AclSet {
    let sets: Vec<&AclSet> = sets.into_iter().collect();
    let Some(largest) = sets.iter().max_by_key(|s| s.len()) else {
        return Arc::from([]);
    };
    if sets
        .iter()
        .all(|s| Arc::ptr_eq(s, largest) || s.iter().all(|x| largest.binary_search(x).is_ok()))
    {
        return Arc::clone(largest);
    }
    let mut all: Vec<u32> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all.into()
}

/// `set` plus `more` (indexes of entries made after every entry of `set`, so larger).
pub(crate) fn extend(set: &AclSet, more: &[u32]) -> AclSet {
    if more.is_empty() {
        return Arc::clone(set);
    }
    let mut all: Vec<u32> = set.to_vec();
    all.extend_from_slice(more);
    all.sort_unstable();
    all.dedup();
    all.into()
}

/// `actor`'s role in the permission state made of the entries `set` (indexes into
/// `entries`) in a document created by `creator`.
pub(crate) fn role_in(
    entries: &[AclEntry],
    set: &[u32],
    creator: &ActorId,
    actor: &ActorId,
) -> Option<Role> {
    let on_key: Vec<&AclEntry> = set
        .iter()
        .filter_map(|&i| entries.get(i as usize))
        .filter(|e| e.key == *actor)
        .collect();
    let current = on_key
        .iter()
        .filter(|e| !on_key.iter().any(|later| later.pred.contains(&e.op)));
    // Concurrent writes: the most restrictive wins (a revoke is `None`, below any role).
    let mut result: Option<Option<Role>> = None;
    for entry in current {
        result = Some(match result {
            None => entry.role,
            Some(r) => r.min(entry.role),
        });
    }
    match result {
        Some(role) => role,
        None if actor == creator => Some(Role::Admin),
        None => None,
    }
}

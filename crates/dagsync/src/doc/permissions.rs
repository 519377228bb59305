//! Restricted documents: write permissions as document state (rules in `auth/acl.rs`).
//!
//! A restricted document knows its genesis change (its id, in effect): the only change
//! without dependencies it accepts. Every other change must have dependencies (so it descends
//! from the genesis), its author must be a writer in the permission state of its causal
//! past, and only admins write the access list. Each stored change carries the set of
//! access-list operations in its causal past, so these checks cost a set union per change.

use std::sync::Arc;

use crate::actor::ActorId;
use crate::auth::acl::{self, AclEntry, AclSet};
use crate::auth::{Role, ACL_ROOT};
use crate::dag::ChangeHash;
use crate::error::{ApplyError, DocError};
use crate::id::Id;

use super::log::{StoredAction, StoredChange, StoredNew};
use super::state::Parent;
use super::types::{Change, ContainerId, ContainerKind, NewItem, OpAction};
use super::Doc;

/// Whether `id` names the reserved access-list root (of any kind).
fn is_acl_root(id: &ContainerId) -> bool {
    matches!(id, ContainerId::Root { name, .. } if name == ACL_ROOT)
}

impl Doc {
    /// Makes this new, empty document restricted: commits its genesis change, in which the
    /// local actor (the creator) becomes an admin, and returns the genesis hash — the
    /// document's id that other replicas pass to [`Doc::restricted_to`].
    pub fn restrict(&mut self) -> Result<ChangeHash, DocError> {
        self.check_writable_doc()?;
        if self.changes.len() > 0 || !self.pending.is_empty() {
            return Err(DocError::NotEmpty);
        }
        let c = self.root(ACL_ROOT, ContainerKind::Map);
        let me = self.actor().to_hex();
        self.map_set_unchecked(c, &me, NewItem::Value(Role::Admin.as_str().into()))?;
        self.commit(Some("restrict: genesis"));
        self.seal();
        let genesis = self.changes[0].hash.ok_or(DocError::NotEmpty)?;
        self.genesis = Some(genesis);
        self.local_role.set(None);
        Ok(genesis)
    }

    /// Makes this new, empty document a replica of the restricted document with genesis
    /// `genesis` (before it receives any change).
    pub fn restricted_to(&mut self, genesis: ChangeHash) -> Result<(), DocError> {
        if self.changes.len() > 0 || !self.pending.is_empty() {
            return Err(DocError::NotEmpty);
        }
        self.genesis = Some(genesis);
        self.local_role.set(None);
        Ok(())
    }

    /// The genesis of a restricted document (`None`: anyone may write).
    pub fn genesis(&self) -> Option<ChangeHash> {
        self.genesis
    }

    /// `actor`'s role at the current version: in an unrestricted document everyone is a
    /// writer; in a restricted one, `None` means no write access.
    pub fn role(&self, actor: &ActorId) -> Option<Role> {
        if self.genesis.is_none() {
            return Some(Role::Writer);
        }
        let creator = self.creator()?;
        let set = acl::union(self.heads.iter().map(|&i| &self.changes[i as usize].acl));
        acl::role_in(&self.acl_entries, &set, &creator, actor)
    }

    /// Gives `actor` `role` in this restricted document (the local actor must be an admin).
    /// Committed and sealed as a change of its own.
    pub fn grant(&mut self, actor: &ActorId, role: Role) -> Result<ChangeHash, DocError> {
        self.write_acl(actor, Some(role))
    }

    /// Takes `actor`'s role away (the local actor must be an admin). Its changes concurrent
    /// with the revocation stay valid; the ones made after seeing it are refused everywhere.
    pub fn revoke(&mut self, actor: &ActorId) -> Result<ChangeHash, DocError> {
        self.write_acl(actor, None)
    }

    fn write_acl(&mut self, actor: &ActorId, role: Option<Role>) -> Result<ChangeHash, DocError> {
        self.check_writable_doc()?;
        if self.genesis.is_none() {
            return Err(DocError::NotRestricted);
        }
        self.commit(None);
        if self.role(&self.actor()) != Some(Role::Admin) {
            return Err(DocError::NotAuthorized);
        }
        let c = self.root(ACL_ROOT, ContainerKind::Map);
        let key = actor.to_hex();
        let message = match role {
            Some(role) => {
                self.map_set_unchecked(c, &key, NewItem::Value(role.as_str().into()))?;
                format!("grant {} to {key}", role.as_str())
            }
            None => {
                self.map_delete_unchecked(c, &key)?;
                format!("revoke {key}")
            }
        };
        self.commit(Some(&message));
        self.seal();
        self.local_role.set(None);
        let head = *self
            .heads
            .iter()
            .next_back()
            .ok_or(DocError::NotAuthorized)?;
        self.changes[head as usize]
            .hash
            .ok_or(DocError::NotAuthorized)
    }

    /// The creator of a restricted document: the genesis's author, once applied.
    fn creator(&self) -> Option<ActorId> {
        let genesis = self.genesis?;
        let index = *self.by_hash.get(&genesis)?;
        Some(self.wire_actor(self.actors[self.changes[index as usize].actor as usize]))
    }

    /// Local edits of container `c`: refused in the reserved access-list root (use
    /// [`Doc::grant`] / [`Doc::revoke`]) and for actors without write access.
    pub(super) fn check_local_write(&self, c: u32) -> Result<(), DocError> {
        if self.is_acl_container(c) {
            return Err(DocError::Reserved);
        }
        if self.genesis.is_none() {
            return Ok(());
        }
        let role = match self.local_role.get() {
            Some(role) => role,
            None => {
                let role = self.role(&self.actor());
                self.local_role.set(Some(role));
                role
            }
        };
        if role.is_none() {
            return Err(DocError::NotAuthorized);
        }
        Ok(())
    }

    fn is_acl_container(&self, c: u32) -> bool {
        matches!(&self.containers[c as usize].parent, Parent::Root(name) if name == ACL_ROOT)
    }

    /// The access-list operations in the causal past of a change depending on `deps` (log
    /// indexes).
    fn acl_of_deps(&self, deps: &[u32]) -> AclSet {
        acl::union(deps.iter().map(|&d| &self.changes[d as usize].acl))
    }

    /// Checks a remote change against the permission rules, with its dependencies applied
    /// (`deps`: their log indexes).
    pub(super) fn check_permission(
        &self,
        change: &Change,
        hash: ChangeHash,
        deps: &[u32],
    ) -> Result<(), ApplyError> {
        let refuse = |what: &str| ApplyError::NotAuthorized {
            actor: change.actor,
            seq: change.seq,
            what: what.to_owned(),
        };
        let acl_ops = change.ops.iter().filter(|op| is_acl_root(&op.container));
        let Some(genesis) = self.genesis else {
            if acl_ops.count() > 0 {
                return Err(refuse("access-list operations in an unrestricted document"));
            }
            return Ok(());
        };
        let role = if hash == genesis {
            if !deps.is_empty() {
                return Err(refuse("the genesis has no dependencies"));
            }
            Some(Role::Admin)
        } else {
            if deps.is_empty() {
                return Err(refuse("a second root: not part of this document"));
            }
            let creator = self
                .creator()
                .ok_or_else(|| refuse("the genesis is missing"))?;
            acl::role_in(
                &self.acl_entries,
                &self.acl_of_deps(deps),
                &creator,
                &self.wire_actor(change.actor),
            )
        };
        if role.is_none() {
            return Err(refuse("the author may not write here"));
        }
        for op in acl_ops {
            if role != Some(Role::Admin) {
                return Err(refuse("only admins change the access list"));
            }
            let ContainerId::Root {
                kind: ContainerKind::Map,
                ..
            } = op.container
            else {
                return Err(refuse("the access list is a map"));
            };
            let key = match &op.action {
                OpAction::MapSet {
                    key,
                    value: NewItem::Value(value),
                    ..
                } if Role::from_value(value).is_some() => key,
                OpAction::MapDelete { key, .. } => key,
                _ => return Err(refuse("an access-list entry is \"writer\" or \"admin\"")),
            };
            if key.parse::<ActorId>().is_err() {
                return Err(refuse("an access-list key is an actor id in hex"));
            }
        }
        Ok(())
    }

    /// Records the access-list operations of `change` (being added to the log) and returns
    /// the access-list set of its causal past and itself.
    pub(super) fn acl_for_new_change(&mut self, change: &StoredChange) -> AclSet {
        let past = self.acl_of_deps(&change.deps);
        if self.genesis.is_none() {
            return past;
        }
        let mut added = Vec::new();
        let mut counter = change.start_op;
        for op in &change.ops {
            let id = Id::new(change.actor, counter);
            counter += op.width();
            if !self.is_acl_container(op.container) {
                continue;
            }
            let (key, role, pred) = match &op.action {
                StoredAction::MapSet {
                    key,
                    value: StoredNew::Value(value),
                    pred,
                } => (key, Role::from_value(value), pred),
                StoredAction::MapDelete { key, pred } => (key, None, pred),
                _ => continue,
            };
            let Ok(key) = key.parse::<ActorId>() else {
                continue;
            };
            let index = match self.acl_by_op.get(&id) {
                Some(&i) => i,
                None => {
                    self.acl_entries.push(AclEntry {
                        op: id,
                        key,
                        role,
                        pred: pred.clone(),
                    });
                    let i = self.acl_entries.len() as u32 - 1;
                    self.acl_by_op.insert(id, i);
                    i
                }
            };
            added.push(index);
        }
        if !added.is_empty() {
            self.local_role.set(None);
        }
        acl::extend(&past, &added)
    }

    /// A snapshot's genesis: its one root change that writes the access list, if any.
    pub(super) fn genesis_in(
        changes: &[(ChangeHash, Change)],
    ) -> Result<Option<ChangeHash>, String> {
        let mut found = None;
        for (hash, change) in changes {
            if change.deps.is_empty() && change.ops.iter().any(|op| is_acl_root(&op.container)) {
                if found.is_some() {
                    return Err("two genesis changes".to_owned());
                }
                found = Some(*hash);
            }
        }
        Ok(found)
    }
}

/// An empty access-list set.
pub(super) fn empty_acl() -> AclSet {
    Arc::from([])
}

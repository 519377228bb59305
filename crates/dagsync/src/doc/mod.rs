//! The document: a tree of containers under named roots, edited in transactions whose
//! operations become changes of the history, and merged with changes from other replicas.

mod auth;
mod batch;
mod causal;
mod checkout;
mod diff;
mod encrypted;
mod gc;
mod handles;
mod hash_index;
mod history;
mod json;
mod lanes;
mod local;
mod log;
mod permissions;
mod persist;
mod positions;
mod remote;
mod shared_vec;
mod state;
mod sync_support;
mod types;
mod undo;
mod version;

use crate::dag::{ChangeMap, ChangeSet};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

pub use gc::GcReport;
pub use handles::{CounterMut, ListMut, MapMut, RegisterMut, SetMut, TextMut};
pub use positions::StablePosition;
pub use types::{
    ApplyReport, Change, ChangeId, ContainerId, ContainerKind, Event, HistoryEntry, InsertContent,
    Item, NewItem, Op, OpAction, Origin, Patch, PatchAction, PathElem,
};
pub use undo::{UndoConfig, UndoStep};

use crate::actor::ActorId;
use crate::auth::acl::AclEntry;
use crate::auth::{DocumentKey, Identity, Role};
use crate::clock::{HlcClock, OpId, VersionVector};
use crate::dag::ChangeHash;
use crate::error::DocError;
use crate::id::{ActorIdx, Id};
use hash_index::HashIndex;
use log::{StoredChange, StoredOp};
use shared_vec::SharedVec;
use state::{Container, Parent, State};

/// No container of this kind under this root name yet.
const NO_ROOT: u32 = u32::MAX;

fn kind_slot(kind: ContainerKind) -> usize {
    ContainerKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

type Subscriber = Box<dyn FnMut(&Event)>;

/// A dagsync document.
///
/// ```
/// use dagsync::{ActorId, Doc};
///
/// let mut alice = Doc::new(ActorId([1; 32]));
/// alice.get_text("body").insert(0, "Hello")?;
/// alice.commit(None);
///
/// let mut bob = alice.fork(ActorId([2; 32]));
/// bob.get_text("body").insert(5, ", world")?;
/// bob.commit(None);
///
/// alice.apply_changes(bob.changes_since(alice.version()))?;
/// assert_eq!(alice.get_text("body").to_string(), "Hello, world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Doc {
    /// Interned actors; index 0 is not special.
    actors: Vec<ActorId>,
    actor_index: FxHashMap<ActorId, ActorIdx>,
    local: ActorIdx,
    containers: Vec<Container>,
    /// Root containers by name, one slot per kind.
    roots: FxHashMap<String, [u32; 6]>,
    /// Nested containers by the id of the operation that created them.
    children: FxHashMap<Id, u32>,
    /// The next unused Lamport counter.
    next_counter: u64,
    /// The log, shared between forks: a change is copied only when a fork modifies it.
    changes: SharedVec<Arc<StoredChange>>,
    /// For each actor, its changes' log indexes in seq order.
    by_actor: Vec<Vec<u32>>,
    /// Log indexes of the changes no other change depends on.
    heads: BTreeSet<u32>,
    version: VersionVector,
    /// The local change that later local commits may still extend (until sealed).
    open_change: Option<u32>,
    /// The canonical bytes of the change sealed last, kept for exporting it alone (the
    /// update `subscribeLocalUpdates` sends after each commit) without encoding it again.
    last_sealed: Option<LastSealed>,
    /// The change exported to seal the last one, kept for its buffers (see `seal_change`).
    spare_change: Option<Change>,
    /// Operations of the current transaction, and the counter of the first one.
    pending: Vec<StoredOp>,
    pending_start: u64,
    /// Start id of the last pending operation (to merge keystrokes into one op).
    pending_last: Id,
    /// Reused buffer for the id spans a local delete removes.
    scratch_spans: Vec<(Id, u64)>,
    patches: Vec<Patch>,
    clock: HlcClock,
    time_source: fn() -> u64,
    subscribers: Vec<(u64, Subscriber)>,
    next_subscriber: u64,
    /// Sealed changes by hash.
    by_hash: HashIndex,
    /// Remote changes waiting for their dependencies, by hash.
    queue: ChangeMap<Change>,
    /// The buffered changes that came straight from their authors (see `doc/auth.rs`).
    direct: ChangeSet,
    read_only: bool,
    /// Unreachable maps and registers whose values were freed (see `doc/gc.rs`).
    collected: FxHashSet<u32>,
    /// The local actor's key pair: sealed local changes are signed with it.
    identity: Option<Identity>,
    /// Accept an unsigned remote change only when a signed later change of its author covers
    /// it, or it came straight from its author (see `doc/auth.rs`).
    require_signatures: bool,
    /// A restricted document's genesis (see `doc/permissions.rs`).
    genesis: Option<ChangeHash>,
    /// The access-list operations of the history, and their indexes by op id.
    acl_entries: Vec<AclEntry>,
    acl_by_op: FxHashMap<Id, u32>,
    /// The local actor's role at the current heads, once computed.
    local_role: Cell<Option<Option<Role>>>,
    /// The document key: local changes are encrypted with it, remote ones decrypted.
    doc_key: Option<DocumentKey>,
    /// The undo manager, once enabled.
    undo: Option<undo::UndoState>,
    /// The root container looked up last (see `Doc::root`).
    last_root: Option<u32>,
    /// Forked authors' changes and their lanes, once an equivocation was seen (see
    /// `doc/lanes.rs`).
    lanes: Option<lanes::Lanes>,
}

/// A sealed change's canonical bytes (see `Doc::last_sealed`).
struct LastSealed {
    index: u32,
    hash: ChangeHash,
    canonical: Vec<u8>,
}

fn zero_time() -> u64 {
    0
}

impl Doc {
    /// An empty document whose local edits are attributed to `actor`.
    pub fn new(actor: ActorId) -> Doc {
        let mut doc = Doc {
            actors: Vec::new(),
            actor_index: FxHashMap::default(),
            local: 0,
            containers: Vec::new(),
            roots: FxHashMap::default(),
            children: FxHashMap::default(),
            next_counter: 1,
            changes: SharedVec::default(),
            by_actor: Vec::new(),
            heads: BTreeSet::new(),
            version: VersionVector::new(),
            open_change: None,
            last_sealed: None,
            spare_change: None,
            pending: Vec::new(),
            pending_start: 1,
            pending_last: Id::NONE,
            scratch_spans: Vec::new(),
            patches: Vec::new(),
            clock: HlcClock::new(actor),
            time_source: zero_time,
            subscribers: Vec::new(),
            next_subscriber: 0,
            by_hash: HashIndex::default(),
            queue: Default::default(),
            direct: Default::default(),
            read_only: false,
            collected: FxHashSet::default(),
            identity: None,
            require_signatures: false,
            genesis: None,
            acl_entries: Vec::new(),
            acl_by_op: FxHashMap::default(),
            local_role: Cell::new(None),
            doc_key: None,
            undo: None,
            last_root: None,
            lanes: None,
        };
        doc.local = doc.intern(actor);
        doc
    }

    /// The actor local edits are attributed to.
    pub fn actor(&self) -> ActorId {
        self.actors[self.local as usize]
    }

    /// Sets the wall clock (milliseconds since the Unix epoch) used to time changes. The core
    /// never reads a clock itself; without a time source every change has physical time 0 and
    /// the hybrid logical clock still orders them.
    pub fn set_time_source(&mut self, now_ms: fn() -> u64) {
        self.time_source = now_ms;
    }

    /// The highest sequence number applied from each actor.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// The hashes of the changes no other change depends on, sorted: they name this version
    /// exactly. Seals the open local change, so the heads stay valid names of this version.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.seal();
        let mut heads: Vec<ChangeHash> = self
            .heads
            .iter()
            .filter_map(|&i| self.changes[i as usize].hash)
            .collect();
        heads.sort_unstable();
        heads
    }

    /// Number of changes in the history.
    pub fn change_count(&self) -> usize {
        self.changes.len()
    }

    /// Whether this document refuses edits (a view of a past version).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn change_id(&self, index: u32) -> ChangeId {
        let change = &self.changes[index as usize];
        ChangeId {
            actor: self.actors[change.actor as usize],
            seq: change.seq,
        }
    }

    fn intern(&mut self, actor: ActorId) -> ActorIdx {
        if let Some(&idx) = self.actor_index.get(&actor) {
            return idx;
        }
        let idx = self.actors.len() as ActorIdx;
        self.actors.push(actor);
        self.actor_index.insert(actor, idx);
        self.by_actor.push(Vec::new());
        idx
    }

    fn op_id(&self, id: Id) -> OpId {
        OpId::new(id.counter, self.actors[id.actor as usize])
    }

    fn internal_id(&self, op: OpId) -> Option<Id> {
        // Most documents have a handful of authors: comparing keys beats hashing one.
        let actor = if self.actors.len() <= 8 {
            self.actors.iter().position(|a| *a == op.actor)? as ActorIdx
        } else {
            *self.actor_index.get(&op.actor)?
        };
        Some(Id::new(actor, op.counter))
    }

    /// The container index of an existing root.
    fn root_index(&self, name: &str, kind: ContainerKind) -> Option<u32> {
        let idx = self.roots.get(name)?[kind_slot(kind)];
        (idx != NO_ROOT).then_some(idx)
    }

    /// The container index of an existing nested container.
    fn child_index(&self, op: Id) -> Option<u32> {
        self.children.get(&op).copied()
    }

    /// The container index for a root, creating the root on first use.
    fn root(&mut self, name: &str, kind: ContainerKind) -> u32 {
        // Apps look the same root up for every keystroke: remember the last one.
        if let Some(idx) = self.last_root {
            let last = &self.containers[idx as usize];
            if last.state.kind() == kind && matches!(&last.parent, Parent::Root(n) if n == name) {
                return idx;
            }
        }
        let idx = match self.root_index(name, kind) {
            Some(idx) => idx,
            None => self.add_container(Parent::Root(name.to_owned()), kind),
        };
        self.last_root = Some(idx);
        idx
    }

    fn add_container(&mut self, parent: Parent, kind: ContainerKind) -> u32 {
        let idx = self.containers.len() as u32;
        match &parent {
            Parent::Root(name) => {
                self.roots.entry(name.clone()).or_insert([NO_ROOT; 6])[kind_slot(kind)] = idx;
            }
            Parent::Child { op, .. } => {
                self.children.insert(*op, idx);
            }
        }
        self.containers.push(Container {
            parent,
            state: State::new(kind),
            used: false,
        });
        idx
    }

    /// The public id of container `idx`.
    fn container_id(&self, idx: u32) -> ContainerId {
        let container = &self.containers[idx as usize];
        let kind = container.state.kind();
        match &container.parent {
            Parent::Root(name) => ContainerId::Root {
                name: name.clone(),
                kind,
            },
            Parent::Child { op, .. } => ContainerId::Child {
                op: self.op_id(*op),
                kind,
            },
        }
    }

    /// The container index of a public id (roots are created on first use).
    fn resolve(&mut self, id: &ContainerId) -> Result<u32, DocError> {
        match id {
            ContainerId::Root { name, kind } => Ok(self.root(name, *kind)),
            ContainerId::Child { op, kind } => {
                let idx = self
                    .internal_id(*op)
                    .and_then(|id| self.child_index(id))
                    .ok_or(DocError::UnknownContainer)?;
                let found = self.containers[idx as usize].state.kind();
                if found != *kind {
                    return Err(DocError::WrongKind {
                        expected: *kind,
                        found,
                    });
                }
                Ok(idx)
            }
        }
    }

    /// Registers a handler called with the patches of every local commit and every batch of
    /// applied remote changes. Returns an id for [`Doc::unsubscribe`].
    pub fn subscribe(&mut self, handler: impl FnMut(&Event) + 'static) -> u64 {
        let id = self.next_subscriber;
        self.next_subscriber += 1;
        self.subscribers.push((id, Box::new(handler)));
        id
    }

    /// Removes a handler; returns whether it was registered.
    pub fn unsubscribe(&mut self, id: u64) -> bool {
        let before = self.subscribers.len();
        self.subscribers.retain(|(i, _)| *i != id);
        self.subscribers.len() != before
    }

    fn recording(&self) -> bool {
        !self.subscribers.is_empty()
    }

    fn emit(&mut self, origin: Origin) {
        if self.patches.is_empty() {
            return;
        }
        let event = Event {
            origin,
            patches: std::mem::take(&mut self.patches),
        };
        for (_, handler) in &mut self.subscribers {
            handler(&event);
        }
    }

    /// Allocates `width` op ids for a local operation and records it in the transaction.
    fn record(&mut self, op: StoredOp, id: Id) {
        self.containers[op.container as usize].used = true;
        let width = op.width();
        self.next_counter = id.counter + width;
        if let Some(last) = self.pending.last_mut() {
            if last.try_merge(self.pending_last, &op, id) {
                return;
            }
        } else {
            self.pending_start = id.counter;
        }
        self.pending_last = id;
        self.pending.push(op);
    }

    fn next_id(&self) -> Id {
        Id::new(self.local, self.next_counter)
    }

    fn check_writable_doc(&self) -> Result<(), DocError> {
        if self.read_only {
            Err(DocError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Whether the local actor may edit container `c` now.
    fn check_writable(&self, c: u32) -> Result<(), DocError> {
        self.check_writable_doc()?;
        self.check_local_write(c)
    }

    /// Ends the current transaction: its operations become part of a change of the history
    /// and subscribers get its patches. Consecutive commits without a message extend one open
    /// change until it is sealed (by a message, by exporting changes, or by applying remote
    /// changes), so keystroke commits do not cost a history node each. Returns the id of the
    /// change holding the operations, or `None` if the transaction was empty.
    pub fn commit(&mut self, message: Option<&str>) -> Option<ChangeId> {
        if self.pending.is_empty() {
            return None;
        }
        self.close_undo_transaction();
        let end_op = self.next_counter;
        let index = match self.open_change {
            Some(open) if message.is_none() => {
                let change = Arc::make_mut(&mut self.changes[open as usize]);
                let last_start = Id::new(change.actor, change_last_op_start(change));
                let first_start = Id::new(change.actor, self.pending_start);
                // Drain (not take) so the transaction buffer keeps its capacity.
                let mut ops = self.pending.drain(..);
                if let Some(first) = ops.next() {
                    let merged = change
                        .ops
                        .last_mut()
                        .is_some_and(|last| last.try_merge(last_start, &first, first_start));
                    if !merged {
                        change.ops.push(first);
                    }
                }
                change.ops.extend(ops);
                change.end_op = end_op;
                open
            }
            _ => {
                // A change with a message depends on the open change, which must be sealed.
                if let Some(open) = self.open_change.take() {
                    self.seal_change(open);
                }
                let physical = (self.time_source)();
                let time = self.clock.now(physical);
                let seq = self.by_actor[self.local as usize].len() as u64 + 1;
                let change = StoredChange {
                    actor: self.local,
                    seq,
                    deps: self.heads.iter().copied().collect(),
                    start_op: self.pending_start,
                    end_op,
                    time,
                    message: message.map(str::to_owned),
                    // Copied out at their exact size: the transaction buffer keeps its
                    // capacity, and a keystroke's change does not hold a growth's spare room
                    // for as long as the history lives.
                    ops: self.pending.drain(..).collect(),
                    hash: None,
                    signature: None,
                    acl: permissions::empty_acl(),
                    encrypted: None,
                };
                let index = self.push_change(change);
                if message.is_some() {
                    self.seal_change(index);
                } else {
                    self.open_change = Some(index);
                }
                index
            }
        };
        self.pending_last = Id::NONE;
        self.emit(Origin::Local);
        Some(self.change_id(index))
    }

    /// Adds a change to the log, making it a head and its dependencies non-heads.
    fn push_change(&mut self, mut change: StoredChange) -> u32 {
        change.acl = self.acl_for_new_change(&change);
        self.local_role.set(None);
        let index = self.changes.len() as u32;
        for dep in &change.deps {
            self.heads.remove(dep);
        }
        self.heads.insert(index);
        self.by_actor[change.actor as usize].push(index);
        self.version
            .set(self.actors[change.actor as usize], change.seq);
        self.changes.push(Arc::new(change));
        index
    }

    /// Seals the open local change: later commits start a new change.
    fn seal(&mut self) {
        self.commit(None);
        if let Some(open) = self.open_change.take() {
            self.seal_change(open);
        }
    }

    /// [`Doc::commit`], then seals the change the pending edits went into and returns its hash
    /// (`None` if nothing was pending). A local change depends on every head it saw, so it is
    /// then the only head; this finds its hash without listing the heads.
    pub fn commit_sealed(&mut self, message: Option<&str>) -> Option<ChangeHash> {
        let id = self.commit(message)?;
        self.seal();
        let index = *self
            .by_actor
            .get(self.local as usize)?
            .get(usize::try_from(id.seq.checked_sub(1)?).ok()?)?;
        self.changes[index as usize].hash
    }

    /// The hashes of a stored change's dependencies. Dependencies are always sealed (see
    /// [`Doc::commit`]), so every one has its hash.
    fn dep_hashes<'a>(&'a self, change: &'a StoredChange) -> impl Iterator<Item = ChangeHash> + 'a {
        change
            .deps
            .iter()
            .filter_map(|&d| self.changes[d as usize].hash)
    }

    /// Computes and records the hash of change `index`, which no longer changes.
    fn seal_change(&mut self, index: u32) {
        self.encrypt_local(index);
        // The buffer of the change sealed before is reused, unless a large change grew it.
        let mut canonical = self
            .last_sealed
            .take()
            .map(|last| last.canonical)
            .filter(|buffer| buffer.capacity() <= 1 << 16)
            .unwrap_or_default();
        let mut change = match self.spare_change.take() {
            Some(mut spare) => {
                self.export_change_into(index, &mut spare);
                spare
            }
            None => self.export_change(index),
        };
        crate::encoding::canonical_change_into(&change, &mut canonical);
        // The operations' contents go; the lists stay unless a large change grew them.
        change.ops.clear();
        if change.ops.capacity() <= 64 && change.deps.capacity() <= 64 {
            self.spare_change = Some(change);
        }
        let hash = crate::dag::hash_canonical(&canonical);
        let change = Arc::make_mut(&mut self.changes[index as usize]);
        change.hash = Some(hash);
        self.by_hash.insert(hash, index);
        self.last_sealed = Some(LastSealed {
            index,
            hash,
            canonical,
        });
    }

    /// A chunk of type `kind` holding just change `index`, made from the canonical bytes kept
    /// when it was sealed, if it is the change sealed last and carries no signature.
    fn last_sealed_chunk(&self, kind: crate::encoding::ChunkType, index: u32) -> Option<Vec<u8>> {
        let last = self.last_sealed.as_ref().filter(|l| l.index == index)?;
        let change = self.changes.get(index as usize)?;
        if change.hash != Some(last.hash) || change.signature.is_some() {
            return None;
        }
        crate::encoding::frame_with(kind, |out| {
            crate::encoding::unsigned_change_body(&last.canonical, &last.hash, out)
        })
    }

    /// Signs the latest local change among the log indexes `indexes`, which are about to leave
    /// the document: its hash chain covers the local changes before it, so one signature per
    /// export authenticates them all, however many commits sealed them.
    fn sign_for_export(&mut self, indexes: &[u32]) {
        let Some(identity) = &self.identity else {
            return;
        };
        let local = self.local;
        let Some(&last) = indexes
            .iter()
            .filter(|&&i| self.changes[i as usize].actor == local)
            .max()
        else {
            return;
        };
        let change = &self.changes[last as usize];
        if let (Some(hash), None) = (change.hash, &change.signature) {
            let signature = identity.sign(&hash);
            Arc::make_mut(&mut self.changes[last as usize]).signature = Some(Box::new(signature));
        }
    }

    /// A copy of this document whose local edits are attributed to `actor` (pending edits are
    /// committed first). Subscribers are not copied.
    pub fn fork(&mut self, actor: ActorId) -> Doc {
        self.seal();
        let mut copy = Doc {
            actors: self.actors.clone(),
            actor_index: self.actor_index.clone(),
            local: 0,
            containers: self.containers.clone(),
            roots: self.roots.clone(),
            children: self.children.clone(),
            next_counter: self.next_counter,
            changes: self.changes.clone(),
            by_actor: self.by_actor.clone(),
            heads: self.heads.clone(),
            version: self.version.clone(),
            open_change: None,
            last_sealed: None,
            spare_change: None,
            pending: Vec::new(),
            pending_start: self.next_counter,
            pending_last: Id::NONE,
            scratch_spans: Vec::new(),
            patches: Vec::new(),
            clock: HlcClock::new(actor),
            time_source: self.time_source,
            subscribers: Vec::new(),
            next_subscriber: 0,
            by_hash: self.by_hash.clone(),
            queue: self.queue.clone(),
            direct: self.direct.clone(),
            read_only: false,
            collected: self.collected.clone(),
            identity: None,
            require_signatures: self.require_signatures,
            genesis: self.genesis,
            acl_entries: self.acl_entries.clone(),
            acl_by_op: self.acl_by_op.clone(),
            local_role: Cell::new(None),
            doc_key: self.doc_key.clone(),
            undo: None,
            last_root: None,
            lanes: self.lanes.clone(),
        };
        if let Some(last) = self.clock.last() {
            let physical = (self.time_source)();
            copy.clock.receive(last, physical);
        }
        copy.local = copy.intern(actor);
        copy
    }
}

/// Counter of the first id of the last operation of a stored change.
fn change_last_op_start(change: &StoredChange) -> u64 {
    let last_width = change.ops.last().map_or(0, StoredOp::width);
    change.end_op - last_width
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Doc")
            .field("actor", &self.actor())
            .field("changes", &self.changes.len())
            .field("containers", &self.containers.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod tests;

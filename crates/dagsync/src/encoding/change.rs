//! Columnar encoding of a batch of changes (see `FORMAT.md`, "Change batch body").
//!
//! Each field of the changes, and each field of their operations, is one column. Within a
//! batch a dependency on an earlier change of the batch is a back-reference instead of a
//! 32-byte hash, operation ids are stored relative to the operation that mentions them, and
//! inserted text is one UTF-8 column, so keystroke histories shrink to a few bytes per edit.

use crate::dag::ChangeMap;
use std::collections::HashMap;

use super::bytes::{Reader, Writer};
use super::columns::{unzigzag, zigzag, RleReader, RleWriter};
use super::value::{read_value, write_value};
use crate::actor::ActorId;
use crate::clock::{Hlc, OpId};
use crate::dag::{hash_change, ChangeHash, Signature};
use crate::doc::{Change, ContainerId, ContainerKind, InsertContent, NewItem, Op, OpAction};
use crate::error::{DecodeError, Result};

/// Actors sorted and deduplicated; changes name them by index.
struct ActorTable(Vec<ActorId>);

impl ActorTable {
    /// The actors `changes` mention, collected in `actors` (an empty buffer to reuse).
    fn of(changes: &[Change], mut actors: Vec<ActorId>) -> ActorTable {
        // Most mentions repeat the last actor: skip those before sorting.
        let mut mention = |actor: &ActorId| {
            if actors.last() != Some(actor) {
                actors.push(*actor);
            }
        };
        for change in changes {
            mention(&change.actor);
            mention(&change.time.actor);
            for op in &change.ops {
                op_actors(op, &mut mention);
            }
        }
        actors.sort_unstable();
        actors.dedup();
        ActorTable(actors)
    }

    fn index(&self, actor: &ActorId) -> u64 {
        // Every actor of the encoded changes is in the table (see `of`).
        self.0.binary_search(actor).unwrap_or_default() as u64
    }

    fn get(&self, index: u64) -> Result<ActorId> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.0.get(i).copied())
            .ok_or(DecodeError::IndexOutOfRange {
                index,
                len: self.0.len(),
            })
    }

    fn write(&self, w: &mut Writer) {
        w.len(self.0.len());
        for actor in &self.0 {
            w.bytes(&actor.0);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<ActorTable> {
        let count = r.len(ActorId::LEN)?;
        let actors = (0..count)
            .map(|_| r.array().map(ActorId))
            .collect::<Result<Vec<_>>>()?;
        if actors.windows(2).any(|p| p[0] >= p[1]) {
            return Err(DecodeError::NotCanonical);
        }
        Ok(ActorTable(actors))
    }
}

/// Calls `mention` with every actor `op` names.
fn op_actors(op: &Op, mention: &mut impl FnMut(&ActorId)) {
    if let ContainerId::Child { op, .. } = &op.container {
        mention(&op.actor);
    }
    match &op.action {
        OpAction::Insert {
            origin_left,
            origin_right,
            ..
        } => origin_left
            .iter()
            .chain(origin_right)
            .for_each(|o| mention(&o.actor)),
        OpAction::Delete { start, .. } => mention(&start.actor),
        OpAction::MapSet { pred, .. }
        | OpAction::MapDelete { pred, .. }
        | OpAction::RegisterSet { pred, .. }
        | OpAction::SetRemove { observed: pred, .. } => pred.iter().for_each(|p| mention(&p.actor)),
        OpAction::CounterAdd { .. } | OpAction::SetAdd { .. } | OpAction::Encrypted { .. } => {}
    }
}

fn kind_byte(kind: ContainerKind) -> u8 {
    ContainerKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0) as u8
}

fn read_kind(r: &mut Reader<'_>) -> Result<ContainerKind> {
    let offset = r.offset();
    let tag = r.u8()?;
    ContainerKind::ALL
        .get(usize::from(tag))
        .copied()
        .ok_or(DecodeError::UnknownTag { tag, offset })
}

/// The columns of a batch body, in their order on the wire.
#[derive(Clone, Copy)]
enum Col {
    ChangeActor,
    ChangeSeq,
    DepCount,
    Deps,
    StartOp,
    Millis,
    Logical,
    TimeActor,
    Message,
    MessageText,
    Signed,
    SignatureBytes,
    OpCount,
    OpContainer,
    OpAction,
    OpLen,
    RefActor,
    RefCounter,
    Text,
    Misc,
}

const COLUMNS: usize = 20;

/// Column writers for one batch.
#[derive(Default)]
struct Columns {
    change_actor: RleWriter,
    change_seq: RleWriter,
    dep_count: RleWriter,
    deps: Writer,
    start_op: Writer,
    millis: RleWriter,
    logical: RleWriter,
    time_actor: RleWriter,
    message: RleWriter,
    message_text: Writer,
    signed: RleWriter,
    signature_bytes: Writer,
    op_count: Writer,
    op_container: RleWriter,
    op_action: RleWriter,
    op_len: RleWriter,
    ref_actor: RleWriter,
    ref_counter: Writer,
    text: Writer,
    misc: Writer,
}

thread_local! {
    /// Column writers kept between batches: encoding a change allocates a buffer per column
    /// otherwise, and every sealed change is encoded (to hash it) at least once.
    static SPARE_COLUMNS: std::cell::RefCell<Option<Columns>> = const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// The actor table and external dependencies of the last batch, kept like
    /// [`SPARE_COLUMNS`] (sealing a change per keystroke would allocate both every time).
    static SPARE_ACTORS: std::cell::RefCell<Vec<ActorId>> = const { std::cell::RefCell::new(Vec::new()) };
    static SPARE_EXTERNAL: std::cell::RefCell<Vec<ChangeHash>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The buffer kept in `slot`, empty (a new one if there is none).
fn take_spare<T: 'static>(
    slot: &'static std::thread::LocalKey<std::cell::RefCell<Vec<T>>>,
) -> Vec<T> {
    slot.with(|spare| std::mem::take(&mut *spare.borrow_mut()))
}

/// Keeps `buffer` in `slot` for the next batch, emptied, unless it grew large.
fn give_back<T: 'static>(
    slot: &'static std::thread::LocalKey<std::cell::RefCell<Vec<T>>>,
    mut buffer: Vec<T>,
) {
    if buffer.capacity() <= 1024 {
        buffer.clear();
        slot.with(|spare| *spare.borrow_mut() = buffer);
    }
}

impl Columns {
    /// Empty column writers, reusing the buffers of an earlier batch if there are some.
    fn reused() -> Columns {
        SPARE_COLUMNS
            .with(|spare| spare.borrow_mut().take())
            .unwrap_or_default()
    }

    /// Writes every column to `w` (length and bytes, in column order), then keeps the emptied
    /// writers for the next batch unless they grew large.
    fn write_and_recycle(mut self, w: &mut Writer) {
        let mut capacity = 0;
        for column in self.columns_mut() {
            match column {
                ColumnMut::Rle(c) => c.drain_into(w),
                ColumnMut::Plain(c) => {
                    capacity += c.buf.capacity();
                    c.drain_into(w)
                }
            }
        }
        if capacity <= 1 << 16 {
            SPARE_COLUMNS.with(|spare| *spare.borrow_mut() = Some(self));
        }
    }

    /// The columns in their order in the format.
    fn columns_mut(&mut self) -> [ColumnMut<'_>; COLUMNS] {
        [
            ColumnMut::Rle(&mut self.change_actor),
            ColumnMut::Rle(&mut self.change_seq),
            ColumnMut::Rle(&mut self.dep_count),
            ColumnMut::Plain(&mut self.deps),
            ColumnMut::Plain(&mut self.start_op),
            ColumnMut::Rle(&mut self.millis),
            ColumnMut::Rle(&mut self.logical),
            ColumnMut::Rle(&mut self.time_actor),
            ColumnMut::Rle(&mut self.message),
            ColumnMut::Plain(&mut self.message_text),
            ColumnMut::Rle(&mut self.signed),
            ColumnMut::Plain(&mut self.signature_bytes),
            ColumnMut::Plain(&mut self.op_count),
            ColumnMut::Rle(&mut self.op_container),
            ColumnMut::Rle(&mut self.op_action),
            ColumnMut::Rle(&mut self.op_len),
            ColumnMut::Rle(&mut self.ref_actor),
            ColumnMut::Plain(&mut self.ref_counter),
            ColumnMut::Plain(&mut self.text),
            ColumnMut::Plain(&mut self.misc),
        ]
    }

    /// Bytes written so far over all columns (to size the output once).
    fn written(&mut self) -> usize {
        self.columns_mut()
            .iter()
            .map(|c| match c {
                ColumnMut::Rle(c) => c.written() + 16,
                ColumnMut::Plain(c) => c.buf.len(),
            })
            .sum()
    }
}

/// One column writer of [`Columns`].
enum ColumnMut<'a> {
    Rle(&'a mut RleWriter),
    Plain(&'a mut Writer),
}

/// Action tags (the `OpAction` column).
mod tag {
    pub(super) const INSERT_TEXT: u64 = 0;
    pub(super) const INSERT_ITEMS: u64 = 1;
    pub(super) const DELETE: u64 = 2;
    pub(super) const MAP_SET: u64 = 3;
    pub(super) const MAP_DELETE: u64 = 4;
    pub(super) const COUNTER_ADD: u64 = 5;
    pub(super) const SET_ADD: u64 = 6;
    pub(super) const SET_REMOVE: u64 = 7;
    pub(super) const REGISTER_SET: u64 = 8;
    pub(super) const ENCRYPTED: u64 = 9;
}

/// Distinct values numbered in order of first appearance (a batch's containers, its external
/// dependencies). Up to [`Numbering::SMALL`] values are found by a linear search; the map is
/// built only past that, so encoding one change allocates none.
struct Numbering<K, S> {
    values: Vec<K>,
    index: std::collections::HashMap<K, u64, S>,
}

impl<K: Copy + Eq + std::hash::Hash, S: std::hash::BuildHasher + Default> Numbering<K, S> {
    const SMALL: usize = 8;

    /// Numbers `values` (an empty buffer to reuse).
    fn new(values: Vec<K>) -> Self {
        Numbering {
            values,
            index: Default::default(),
        }
    }

    /// The number of `value`, the next one if it is new.
    fn slot(&mut self, value: K) -> u64 {
        if self.values.len() <= Self::SMALL {
            if let Some(i) = self.values.iter().position(|v| *v == value) {
                return i as u64;
            }
        } else if let Some(&i) = self.index.get(&value) {
            return i;
        }
        let i = self.values.len() as u64;
        self.values.push(value);
        if self.values.len() == Self::SMALL + 1 {
            self.index = self.values.iter().copied().zip(0..).collect();
        } else if self.values.len() > Self::SMALL {
            self.index.insert(value, i);
        }
        i
    }
}

/// Encodes one batch.
struct Encoder<'a> {
    actors: ActorTable,
    containers: Numbering<&'a ContainerId, rustc_hash::FxBuildHasher>,
    last_container: Option<(&'a ContainerId, u64)>,
    external: Numbering<ChangeHash, crate::dag::ChangeHashState>,
    cols: Columns,
    bases: RefBases,
}

/// What the counters of origin-right and delete references are relative to: the counter of
/// the previous reference of the same kind in the batch (0 at its start). Typing keeps one
/// right origin for many inserts, and deleting a run of characters one by one walks their
/// counters down or up by one, so these columns repeat a byte where an offset from the
/// operation's own counter would change with every operation. Left origins stay relative to
/// the operation (typing: the previous character, offset 1).
#[derive(Default)]
struct RefBases {
    right: u64,
    delete: u64,
}

impl<'a> Encoder<'a> {
    fn container(&mut self, id: &'a ContainerId) -> u64 {
        // Consecutive operations usually target the same container.
        if let Some(&(last, i)) = self.last_container.as_ref() {
            if std::ptr::eq(last, id) || last == id {
                return i;
            }
        }
        let i = self.containers.slot(id);
        self.last_container = Some((id, i));
        i
    }

    /// An id an operation mentions: actor in the RLE column, counter relative to `base` (see
    /// [`RefBases`]). Returns the counter written, if any.
    fn reference(&mut self, id: Option<&OpId>, base: u64) -> Option<u64> {
        match id {
            None => {
                self.cols.ref_actor.push(0);
                None
            }
            Some(id) => {
                self.cols.ref_actor.push(self.actors.index(&id.actor) + 1);
                self.cols
                    .ref_counter
                    .varint(zigzag(base.wrapping_sub(id.counter) as i64));
                Some(id.counter)
            }
        }
    }

    fn misc_ids(&mut self, ids: &[OpId], at: u64) {
        self.cols.misc.len(ids.len());
        for id in ids {
            self.cols.misc.varint(self.actors.index(&id.actor));
            self.cols
                .misc
                .varint(zigzag(at.wrapping_sub(id.counter) as i64));
        }
    }

    fn misc_new(&mut self, item: &NewItem) {
        match item {
            NewItem::Value(v) => {
                self.cols.misc.u8(0);
                write_value(&mut self.cols.misc, v);
            }
            NewItem::Container(kind) => {
                self.cols.misc.u8(1);
                self.cols.misc.u8(kind_byte(*kind));
            }
        }
    }

    /// Encodes `op` (with id counter `at`) and returns its width ([`Op::width`]).
    fn op(&mut self, op: &'a Op, at: u64) -> u64 {
        let container = self.container(&op.container);
        self.cols.op_container.push(container);
        let (action, len) = match &op.action {
            OpAction::Insert {
                origin_left,
                origin_right,
                content,
            } => {
                self.reference(origin_left.as_ref(), at);
                if let Some(right) = self.reference(origin_right.as_ref(), self.bases.right) {
                    self.bases.right = right;
                }
                match content {
                    InsertContent::Text(text) => {
                        self.cols.text.bytes(text.as_bytes());
                        (tag::INSERT_TEXT, text.chars().count() as u64)
                    }
                    InsertContent::Items(items) => {
                        for item in items {
                            self.misc_new(item);
                        }
                        (tag::INSERT_ITEMS, items.len() as u64)
                    }
                }
            }
            OpAction::Delete { start, len } => {
                self.reference(Some(start), self.bases.delete);
                self.bases.delete = start.counter;
                (tag::DELETE, *len)
            }
            OpAction::MapSet { key, value, pred } => {
                self.cols.misc.str(key);
                self.misc_new(value);
                self.misc_ids(pred, at);
                (tag::MAP_SET, 0)
            }
            OpAction::MapDelete { key, pred } => {
                self.cols.misc.str(key);
                self.misc_ids(pred, at);
                (tag::MAP_DELETE, 0)
            }
            OpAction::CounterAdd { delta } => {
                self.cols.misc.varint(zigzag(*delta));
                (tag::COUNTER_ADD, 0)
            }
            OpAction::SetAdd { value } => {
                write_value(&mut self.cols.misc, value);
                (tag::SET_ADD, 0)
            }
            OpAction::SetRemove { value, observed } => {
                write_value(&mut self.cols.misc, value);
                self.misc_ids(observed, at);
                (tag::SET_REMOVE, 0)
            }
            OpAction::RegisterSet { value, pred } => {
                self.misc_new(value);
                self.misc_ids(pred, at);
                (tag::REGISTER_SET, 0)
            }
            OpAction::Encrypted { width, payload } => {
                self.cols.misc.len(payload.len());
                self.cols.misc.bytes(payload);
                (tag::ENCRYPTED, *width)
            }
        };
        self.cols.op_action.push(action);
        self.cols.op_len.push(len);
        match action {
            tag::INSERT_TEXT | tag::INSERT_ITEMS | tag::DELETE | tag::ENCRYPTED => len,
            _ => 1,
        }
    }
}

/// Which changes' signatures a batch carries: per author, only that of its latest signed
/// change. An author's later change descends from all its earlier ones, so that one signature
/// covers them through the hash chain (DESIGN.md "Security model"); the others would cost 64
/// bytes each for nothing (a signed update per keystroke would otherwise be kept forever).
/// An author with two changes of one number (a fork, see `doc/lanes.rs`) keeps the
/// signature of every signed change no later signed change of theirs descends from.
/// Without `hashes` (the canonical form) none: the result is empty.
fn covering_signatures(changes: &[Change], hashes: Option<&[ChangeHash]>) -> Vec<bool> {
    if hashes.is_none() {
        // The canonical form (what a hash covers) carries no signature at all.
        return Vec::new();
    }
    let mut latest: HashMap<ActorId, (u64, usize)> = HashMap::new();
    // A batch is in a causal order, so an unforked author's numbers only grow along it.
    let mut last_seq: Vec<(ActorId, u64)> = Vec::new();
    let mut slot: HashMap<ActorId, usize> = HashMap::new();
    let mut at = 0;
    let mut forked: std::collections::HashSet<ActorId> = Default::default();
    for (i, change) in changes.iter().enumerate() {
        if last_seq.get(at).is_none_or(|(a, _)| *a != change.actor) {
            let next = last_seq.len();
            at = *slot.entry(change.actor).or_insert(next);
            if at == next {
                last_seq.push((change.actor, 0));
            }
        }
        if change.seq <= last_seq[at].1 {
            forked.insert(change.actor);
        }
        last_seq[at].1 = last_seq[at].1.max(change.seq);
        if change.signature.is_some() {
            let entry = latest.entry(change.actor).or_insert((change.seq, i));
            if change.seq >= entry.0 {
                *entry = (change.seq, i);
            }
        }
    }
    let mut keep = vec![false; changes.len()];
    for (_, i) in latest.into_values() {
        keep[i] = true;
    }
    let Some(hashes) = hashes.filter(|_| !forked.is_empty()) else {
        return keep;
    };
    let index: ChangeMap<usize> = hashes.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    // Signed changes of forked authors that a later signed change of theirs descends from.
    let mut covered = vec![false; changes.len()];
    for (top, change) in changes.iter().enumerate() {
        if change.signature.is_none() || !forked.contains(&change.actor) {
            continue;
        }
        let mut stack: Vec<usize> = change
            .deps
            .iter()
            .filter_map(|d| index.get(d).copied())
            .collect();
        let mut seen = std::collections::HashSet::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            if changes[i].actor == change.actor && i != top {
                covered[i] = true;
            }
            stack.extend(changes[i].deps.iter().filter_map(|d| index.get(d).copied()));
        }
    }
    for (i, change) in changes.iter().enumerate() {
        if forked.contains(&change.actor) {
            keep[i] = change.signature.is_some() && !covered[i];
        }
    }
    keep
}

/// Encodes `changes` as a batch body. With `hashes` (the changes' own hashes, same order), a
/// dependency on an earlier change of the batch becomes a back-reference, and the batch
/// claims the hashes of its heads (changes no later change of the batch depends on), which
/// the decoder verifies. Without, every dependency is stored as a hash, nothing is claimed and
/// signatures are left out: that is the canonical encoding of a single change, which its hash
/// covers.
pub(crate) fn write_batch(changes: &[Change], hashes: Option<&[ChangeHash]>) -> Vec<u8> {
    let mut out = Vec::new();
    write_batch_into(changes, hashes, &mut out);
    out
}

/// [`write_batch`] appending to `out` (a buffer to reuse).
fn write_batch_into(changes: &[Change], hashes: Option<&[ChangeHash]>, out: &mut Vec<u8>) {
    let mut enc = Encoder {
        actors: ActorTable::of(changes, take_spare(&SPARE_ACTORS)),
        containers: Numbering::new(Vec::new()),
        last_container: None,
        external: Numbering::new(take_spare(&SPARE_EXTERNAL)),
        cols: Columns::reused(),
        bases: RefBases::default(),
    };
    let in_batch: ChangeMap<usize> = hashes
        .map(|h| h.iter().enumerate().map(|(i, h)| (*h, i)).collect())
        .unwrap_or_default();
    // Which changes a later one depends on, and where each one's counters end: only a batch
    // with hashes refers to its own changes.
    let in_batch_len = if hashes.is_some() { changes.len() } else { 0 };
    let mut referenced = vec![false; in_batch_len];
    let mut end_ops: Vec<u64> = Vec::with_capacity(in_batch_len);
    // Per actor (by index in the table), its last seq in the batch (none for one change).
    let mut last_seq: Vec<u64> = vec![
        0;
        if changes.len() > 1 {
            enc.actors.0.len()
        } else {
            0
        }
    ];
    let mut last_millis = 0u64;
    let mut last_logical = 0u32;
    let covering_signature = covering_signatures(changes, hashes);
    for (i, change) in changes.iter().enumerate() {
        let actor = enc.actors.index(&change.actor);
        enc.cols.change_actor.push(actor);
        let prev = last_seq
            .get_mut(actor as usize)
            .map_or(0, |last| std::mem::replace(last, change.seq));
        enc.cols
            .change_seq
            .push(zigzag(change.seq.wrapping_sub(prev).wrapping_sub(1) as i64));
        enc.cols.dep_count.push(change.deps.len() as u64);
        let mut expected_start = 1u64;
        for dep in &change.deps {
            match in_batch.get(dep).filter(|&&j| j < i) {
                Some(&j) => {
                    referenced[j] = true;
                    expected_start = expected_start.max(end_ops[j]);
                    enc.cols.deps.varint(2 * (i - j) as u64);
                }
                None => {
                    let index = enc.external.slot(*dep);
                    enc.cols.deps.varint(2 * index + 1);
                }
            }
        }
        enc.cols
            .start_op
            .varint(zigzag(change.start_op.wrapping_sub(expected_start) as i64));
        enc.cols
            .millis
            .push(zigzag(change.time.millis.wrapping_sub(last_millis) as i64));
        enc.cols
            .logical
            .push(logical_delta(&change.time, last_millis, last_logical));
        last_millis = change.time.millis;
        last_logical = change.time.logical;
        enc.cols
            .time_actor
            .push(enc.actors.index(&change.time.actor));
        match &change.message {
            None => enc.cols.message.push(0),
            Some(m) => {
                enc.cols.message.push(m.len() as u64 + 1);
                enc.cols.message_text.bytes(m.as_bytes());
            }
        }
        // The canonical form (no `hashes`) leaves the signature out: it signs the hash.
        match change
            .signature
            .as_ref()
            .filter(|_| covering_signature.get(i) == Some(&true))
        {
            None => enc.cols.signed.push(0),
            Some(sig) => {
                enc.cols.signed.push(1);
                enc.cols.signature_bytes.bytes(&sig.0);
            }
        }
        enc.cols.op_count.len(change.ops.len());
        let mut at = change.start_op;
        for op in &change.ops {
            at = at.wrapping_add(enc.op(op, at));
        }
        if hashes.is_some() {
            end_ops.push(at);
        }
    }
    let mut w = Writer {
        buf: std::mem::take(out),
    };
    w.buf
        .reserve(enc.cols.written() + 64 + 33 * (enc.external.values.len() + changes.len()));
    enc.actors.write(&mut w);
    w.len(enc.external.values.len());
    for hash in &enc.external.values {
        w.bytes(&hash.0);
    }
    match hashes {
        Some(hashes) => {
            let heads: Vec<usize> = (0..changes.len()).filter(|&i| !referenced[i]).collect();
            w.len(heads.len());
            for i in heads {
                w.len(i);
                w.bytes(&hashes[i].0);
            }
        }
        None => w.len(0),
    }
    w.len(enc.containers.values.len());
    for id in &enc.containers.values {
        match id {
            ContainerId::Root { name, kind } => {
                w.u8(kind_byte(*kind));
                w.str(name);
            }
            ContainerId::Child { op, kind } => {
                w.u8(kind_byte(*kind) | 0x80);
                w.varint(enc.actors.index(&op.actor));
                w.varint(op.counter);
            }
        }
    }
    w.len(changes.len());
    enc.cols.write_and_recycle(&mut w);
    give_back(&SPARE_ACTORS, enc.actors.0);
    give_back(&SPARE_EXTERNAL, enc.external.values);
    *out = w.buf;
}

/// The canonical bytes of one change, which its hash covers.
pub(crate) fn canonical_change(change: &Change) -> Vec<u8> {
    write_batch(std::slice::from_ref(change), None)
}

/// [`canonical_change`] into `out`, which is cleared first (a buffer to reuse).
pub(crate) fn canonical_change_into(change: &Change, out: &mut Vec<u8>) {
    out.clear();
    write_batch_into(std::slice::from_ref(change), None, out);
}

/// Appends to `out` the body [`write_batch`] writes for one unsigned change with its hash
/// (an export of just that change), made from the change's canonical bytes instead of
/// encoding it again: the two differ only in the claims, none in the canonical form and the
/// change's own hash in the export. `None` (nothing appended) if `canonical` is not a
/// canonical body. A signed change needs [`write_batch`]: an export carries its signature,
/// the canonical form never does.
pub(crate) fn unsigned_change_body(
    canonical: &[u8],
    hash: &ChangeHash,
    out: &mut Vec<u8>,
) -> Option<()> {
    let mut r = Reader::new(canonical);
    for _ in 0..2 {
        // The actor ids, then the dependencies' hashes: a count and 32 bytes each.
        let n = usize::try_from(r.varint().ok()?).ok()?;
        r.bytes(n.checked_mul(32)?).ok()?;
    }
    let claims_at = r.offset();
    if r.varint().ok()? != 0 {
        return None;
    }
    out.reserve(canonical.len() + 2 + hash.0.len());
    out.extend_from_slice(&canonical[..claims_at]);
    // One claim: change 0 hashes to `hash`.
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&hash.0);
    out.extend_from_slice(&canonical[r.offset()..]);
    Some(())
}

/// A decoded batch: changes in batch order with their verified hashes.
pub(crate) struct Batch {
    pub(crate) changes: Vec<Change>,
    pub(crate) hashes: Vec<ChangeHash>,
}

/// Column readers for one batch.
struct Readers<'a> {
    change_actor: RleReader<'a>,
    change_seq: RleReader<'a>,
    dep_count: RleReader<'a>,
    deps: Reader<'a>,
    start_op: Reader<'a>,
    millis: RleReader<'a>,
    logical: RleReader<'a>,
    time_actor: RleReader<'a>,
    message: RleReader<'a>,
    message_text: Reader<'a>,
    signed: RleReader<'a>,
    signature_bytes: Reader<'a>,
    op_count: Reader<'a>,
    op_container: RleReader<'a>,
    op_action: RleReader<'a>,
    op_len: RleReader<'a>,
    ref_actor: RleReader<'a>,
    ref_counter: Reader<'a>,
    text: Reader<'a>,
    misc: Reader<'a>,
}

impl<'a> Readers<'a> {
    fn new(cols: [&'a [u8]; COLUMNS]) -> Self {
        let rle = |c: Col| RleReader::new(cols[c as usize]);
        let plain = |c: Col| Reader::new(cols[c as usize]);
        Readers {
            change_actor: rle(Col::ChangeActor),
            change_seq: rle(Col::ChangeSeq),
            dep_count: rle(Col::DepCount),
            deps: plain(Col::Deps),
            start_op: plain(Col::StartOp),
            millis: rle(Col::Millis),
            logical: rle(Col::Logical),
            time_actor: rle(Col::TimeActor),
            message: rle(Col::Message),
            message_text: plain(Col::MessageText),
            signed: rle(Col::Signed),
            signature_bytes: plain(Col::SignatureBytes),
            op_count: plain(Col::OpCount),
            op_container: rle(Col::OpContainer),
            op_action: rle(Col::OpAction),
            op_len: rle(Col::OpLen),
            ref_actor: rle(Col::RefActor),
            ref_counter: plain(Col::RefCounter),
            text: plain(Col::Text),
            misc: plain(Col::Misc),
        }
    }

    /// Every column was read to its end.
    fn finish(self) -> Result<()> {
        for rle in [
            self.change_actor,
            self.change_seq,
            self.dep_count,
            self.millis,
            self.logical,
            self.time_actor,
            self.message,
            self.signed,
            self.op_container,
            self.op_action,
            self.op_len,
            self.ref_actor,
        ] {
            rle.finish()?;
        }
        for plain in [
            self.deps,
            self.start_op,
            self.message_text,
            self.signature_bytes,
            self.op_count,
            self.ref_counter,
            self.text,
            self.misc,
        ] {
            plain.finish()?;
        }
        Ok(())
    }
}

/// Every decoded op owns a copy of its container's id, so a long root name named by many ops
/// is copied many times: the copies may total at most this many bytes per body byte (plus
/// [`NAME_COPY_SLACK`]), or decoding would allocate quadratically in its input.
const NAME_COPY_FACTOR: usize = 64;
const NAME_COPY_SLACK: usize = 64 * 1024;

/// Decodes one batch.
struct Decoder<'a> {
    actors: ActorTable,
    containers: Vec<ContainerId>,
    cols: Readers<'a>,
    /// Bytes of root names the ops decoded so far may still copy.
    name_budget: usize,
    bases: RefBases,
}

/// The logical-clock column's value of `time`: when the millisecond did not change (a burst
/// of commits in one millisecond), zigzag(the counter's step from the previous change's − 1),
/// usually 0; otherwise the counter itself, usually 0 after a new millisecond.
fn logical_delta(time: &Hlc, last_millis: u64, last_logical: u32) -> u64 {
    if time.millis == last_millis {
        zigzag(i64::from(time.logical) - i64::from(last_logical) - 1)
    } else {
        u64::from(time.logical)
    }
}

/// Inverse of [`logical_delta`]; a counter outside `u32` is not canonical.
fn logical_from_delta(value: u64, same_millis: bool, last_logical: u32) -> Result<u32> {
    let logical = if same_millis {
        (i64::from(last_logical) + 1)
            .checked_add(unzigzag(value))
            .and_then(|l| u32::try_from(l).ok())
    } else {
        u32::try_from(value).ok()
    };
    logical.ok_or(DecodeError::NotCanonical)
}

fn relative(at: u64, delta: u64) -> u64 {
    at.wrapping_sub(unzigzag(delta) as u64)
}

impl Decoder<'_> {
    fn actor(&self, index: u64) -> Result<ActorId> {
        self.actors.get(index)
    }

    fn reference(&mut self, base: u64) -> Result<Option<OpId>> {
        match self.cols.ref_actor.next()? {
            0 => Ok(None),
            a => {
                let actor = self.actor(a - 1)?;
                let counter = relative(base, self.cols.ref_counter.varint()?);
                Ok(Some(OpId::new(counter, actor)))
            }
        }
    }

    fn misc_ids(&mut self, at: u64) -> Result<Vec<OpId>> {
        let count = self.cols.misc.len(2)?;
        (0..count)
            .map(|_| {
                let index = self.cols.misc.varint()?;
                let actor = self.actor(index)?;
                let counter = relative(at, self.cols.misc.varint()?);
                Ok(OpId::new(counter, actor))
            })
            .collect()
    }

    fn misc_new(&mut self) -> Result<NewItem> {
        let r = &mut self.cols.misc;
        let offset = r.offset();
        match r.u8()? {
            0 => Ok(NewItem::Value(read_value(r, 0)?)),
            1 => Ok(NewItem::Container(read_kind(r)?)),
            tag => Err(DecodeError::UnknownTag { tag, offset }),
        }
    }

    fn text(&mut self, chars: u64) -> Result<String> {
        let r = &mut self.cols.text;
        let offset = r.offset();
        let rest = r.bytes(r.remaining())?;
        // Take `chars` characters: find where the `chars`-th one ends.
        let mut end = 0usize;
        let mut taken = 0u64;
        while taken < chars {
            let Some(&lead) = rest.get(end) else {
                return Err(DecodeError::Truncated {
                    offset: offset + end,
                });
            };
            end += match lead {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => {
                    return Err(DecodeError::InvalidUtf8 {
                        offset: offset + end,
                    })
                }
            };
            taken += 1;
        }
        let taken_bytes = rest.get(..end).ok_or(DecodeError::Truncated {
            offset: offset + rest.len(),
        })?;
        let text = std::str::from_utf8(taken_bytes)
            .map_err(|_| DecodeError::InvalidUtf8 { offset })?
            .to_owned();
        // Give back what was not taken.
        let mut fresh = Reader::new(&rest[end..]);
        std::mem::swap(r, &mut fresh);
        Ok(text)
    }

    /// Decodes the op with id counter `at`; returns it with its width ([`Op::width`]).
    fn op(&mut self, at: u64) -> Result<(Op, u64)> {
        let index = self.cols.op_container.next()?;
        let container = usize::try_from(index)
            .ok()
            .and_then(|i| self.containers.get(i))
            .cloned()
            .ok_or(DecodeError::IndexOutOfRange {
                index,
                len: self.containers.len(),
            })?;
        if let ContainerId::Root { name, .. } = &container {
            self.name_budget = self
                .name_budget
                .checked_sub(name.len())
                .ok_or(DecodeError::TooLarge)?;
        }
        let action_tag = self.cols.op_action.next()?;
        let len = self.cols.op_len.next()?;
        let no_len = |action: OpAction| {
            if len == 0 {
                Ok(action)
            } else {
                Err(DecodeError::NotCanonical)
            }
        };
        let action = match action_tag {
            // An insert has at least one item (so it takes at least one byte of its text or
            // misc column, which bounds the operations a body can declare).
            tag::INSERT_TEXT | tag::INSERT_ITEMS if len == 0 => {
                return Err(DecodeError::NotCanonical)
            }
            tag::INSERT_TEXT | tag::INSERT_ITEMS => {
                let origin_left = self.reference(at)?;
                let origin_right = self.reference(self.bases.right)?;
                if let Some(right) = &origin_right {
                    self.bases.right = right.counter;
                }
                let content = if action_tag == tag::INSERT_TEXT {
                    InsertContent::Text(self.text(len)?)
                } else {
                    // Each item takes at least two bytes of the misc column.
                    let count = usize::try_from(len)
                        .ok()
                        .filter(|&n| n.saturating_mul(2) <= self.cols.misc.remaining())
                        .ok_or(DecodeError::LengthOutOfBounds {
                            len,
                            offset: self.cols.misc.offset(),
                        })?;
                    InsertContent::Items(
                        (0..count).map(|_| self.misc_new()).collect::<Result<_>>()?,
                    )
                };
                OpAction::Insert {
                    origin_left,
                    origin_right,
                    content,
                }
            }
            tag::DELETE => {
                let start = self
                    .reference(self.bases.delete)?
                    .ok_or(DecodeError::NotCanonical)?;
                self.bases.delete = start.counter;
                OpAction::Delete { start, len }
            }
            tag::MAP_SET => no_len(OpAction::MapSet {
                key: self.cols.misc.string()?,
                value: self.misc_new()?,
                pred: self.misc_ids(at)?,
            })?,
            tag::MAP_DELETE => no_len(OpAction::MapDelete {
                key: self.cols.misc.string()?,
                pred: self.misc_ids(at)?,
            })?,
            tag::COUNTER_ADD => no_len(OpAction::CounterAdd {
                delta: unzigzag(self.cols.misc.varint()?),
            })?,
            tag::SET_ADD => no_len(OpAction::SetAdd {
                value: read_value(&mut self.cols.misc, 0)?,
            })?,
            tag::SET_REMOVE => no_len(OpAction::SetRemove {
                value: read_value(&mut self.cols.misc, 0)?,
                observed: self.misc_ids(at)?,
            })?,
            tag::REGISTER_SET => no_len(OpAction::RegisterSet {
                value: self.misc_new()?,
                pred: self.misc_ids(at)?,
            })?,
            tag::ENCRYPTED => {
                let r = &mut self.cols.misc;
                let n = r.len(1)?;
                let payload = r.bytes(n)?.to_vec();
                OpAction::Encrypted {
                    width: len,
                    payload,
                }
            }
            other => {
                return Err(DecodeError::UnknownTag {
                    tag: u8::try_from(other).unwrap_or(u8::MAX),
                    offset: 0,
                })
            }
        };
        let width = match action {
            OpAction::Insert { .. } | OpAction::Delete { .. } | OpAction::Encrypted { .. } => len,
            _ => 1,
        };
        Ok((Op { container, action }, width))
    }
}

/// A dependency as decoded: an earlier change of the batch, or a hash.
enum Dep {
    Earlier(usize),
    Hash(ChangeHash),
}

/// Decodes a batch body, computing every change's hash and checking the claimed ones.
pub(crate) fn read_batch(body: &[u8]) -> Result<Batch> {
    let mut r = Reader::new(body);
    let actors = ActorTable::read(&mut r)?;
    let external_count = r.len(32)?;
    let external = (0..external_count)
        .map(|_| r.array().map(ChangeHash))
        .collect::<Result<Vec<_>>>()?;
    let claim_count = r.len(33)?;
    let claims = (0..claim_count)
        .map(|_| Ok((r.len(0)?, ChangeHash(r.array()?))))
        .collect::<Result<Vec<_>>>()?;
    let container_count = r.len(2)?;
    let mut containers = Vec::with_capacity(container_count);
    for _ in 0..container_count {
        let offset = r.offset();
        let byte = r.u8()?;
        let kind = ContainerKind::ALL
            .get(usize::from(byte & 0x7f))
            .copied()
            .ok_or(DecodeError::UnknownTag { tag: byte, offset })?;
        containers.push(if byte & 0x80 == 0 {
            ContainerId::Root {
                name: r.string()?,
                kind,
            }
        } else {
            let actor = actors.get(r.varint()?)?;
            ContainerId::Child {
                op: OpId::new(r.varint()?, actor),
                kind,
            }
        });
    }
    let change_count = r.varint()?;
    let mut cols: [&[u8]; COLUMNS] = [&[]; COLUMNS];
    for col in &mut cols {
        let len = r.len(1)?;
        *col = r.bytes(len)?;
    }
    r.finish()?;
    // Every change takes at least one byte of each of the op-count and start-op columns, so
    // the changes reserved below take at most a fraction of `Change`'s size per body byte.
    let min_column = [Col::OpCount, Col::StartOp]
        .iter()
        .map(|&c| cols[c as usize].len())
        .min()
        .unwrap_or(0);
    let change_count = usize::try_from(change_count)
        .ok()
        .filter(|&n| n <= min_column)
        .ok_or(DecodeError::LengthOutOfBounds {
            len: change_count,
            offset: 0,
        })?;
    let mut dec = Decoder {
        actors,
        containers,
        cols: Readers::new(cols),
        name_budget: body
            .len()
            .saturating_mul(NAME_COPY_FACTOR)
            .saturating_add(NAME_COPY_SLACK),
        bases: RefBases::default(),
    };
    let mut changes: Vec<Change> = Vec::with_capacity(change_count);
    let mut hashes: Vec<ChangeHash> = Vec::with_capacity(change_count);
    let mut end_ops: Vec<u64> = Vec::with_capacity(change_count);
    let mut last_seq: HashMap<ActorId, u64> = HashMap::new();
    let mut last_millis = 0u64;
    let mut last_logical = 0u32;
    let mut deps: Vec<Dep> = Vec::new();
    for i in 0..change_count {
        let actor_index = dec.cols.change_actor.next()?;
        let actor = dec.actor(actor_index)?;
        let prev = last_seq.get(&actor).copied().unwrap_or(0);
        let seq = prev
            .wrapping_add(1)
            .wrapping_add(unzigzag(dec.cols.change_seq.next()?) as u64);
        last_seq.insert(actor, seq);
        let dep_count = dec.cols.dep_count.next()?;
        deps.clear();
        let mut expected_start = 1u64;
        for _ in 0..dep_count {
            let offset = dec.cols.deps.offset();
            let raw = dec.cols.deps.varint()?;
            let out_of_range = |index| DecodeError::IndexOutOfRange {
                index,
                len: external.len(),
            };
            if raw % 2 == 0 {
                let back = usize::try_from(raw / 2)
                    .ok()
                    .filter(|&b| b >= 1 && b <= i)
                    .ok_or(DecodeError::LengthOutOfBounds { len: raw, offset })?;
                expected_start = expected_start.max(end_ops[i - back]);
                deps.push(Dep::Earlier(i - back));
            } else {
                let index = raw / 2;
                let hash = usize::try_from(index)
                    .ok()
                    .and_then(|k| external.get(k))
                    .ok_or(out_of_range(index))?;
                deps.push(Dep::Hash(*hash));
            }
        }
        let start_op = expected_start.wrapping_add(unzigzag(dec.cols.start_op.varint()?) as u64);
        let millis = last_millis.wrapping_add(unzigzag(dec.cols.millis.next()?) as u64);
        let logical = logical_from_delta(
            dec.cols.logical.next()?,
            millis == last_millis,
            last_logical,
        )?;
        last_millis = millis;
        last_logical = logical;
        let time_actor_index = dec.cols.time_actor.next()?;
        let time_actor = dec.actor(time_actor_index)?;
        let message = match dec.cols.message.next()? {
            0 => None,
            n => {
                let len = usize::try_from(n - 1).map_err(|_| DecodeError::NotCanonical)?;
                let offset = dec.cols.message_text.offset();
                let raw = dec.cols.message_text.bytes(len)?;
                Some(
                    std::str::from_utf8(raw)
                        .map_err(|_| DecodeError::InvalidUtf8 { offset })?
                        .to_owned(),
                )
            }
        };
        let signature = match dec.cols.signed.next()? {
            0 => None,
            1 => Some(Signature(dec.cols.signature_bytes.array()?)),
            _ => return Err(DecodeError::NotCanonical),
        };
        let count_offset = dec.cols.op_count.offset();
        let op_count = dec.cols.op_count.varint()?;
        // Every op takes at least one byte of the text, reference-counter or misc column (an
        // insert has at least one item, a delete names its start, the others write misc).
        let op_count = usize::try_from(op_count)
            .ok()
            .filter(|&n| {
                n <= dec.cols.text.remaining()
                    + dec.cols.ref_counter.remaining()
                    + dec.cols.misc.remaining()
            })
            .ok_or(DecodeError::LengthOutOfBounds {
                len: op_count,
                offset: count_offset,
            })?;
        let mut ops = Vec::with_capacity(op_count);
        let mut at = start_op;
        for _ in 0..op_count {
            let (op, width) = dec.op(at)?;
            at = at.wrapping_add(width);
            ops.push(op);
        }
        end_ops.push(at);
        let change = Change {
            actor,
            seq,
            deps: deps
                .iter()
                .map(|d| match d {
                    Dep::Earlier(j) => hashes[*j],
                    Dep::Hash(h) => *h,
                })
                .collect(),
            start_op,
            time: Hlc {
                millis,
                logical,
                actor: time_actor,
            },
            message,
            ops,
            signature,
        };
        hashes.push(hash_change(&change));
        changes.push(change);
    }
    dec.cols.finish()?;
    for (index, claimed) in claims {
        let actual = hashes.get(index).ok_or(DecodeError::IndexOutOfRange {
            index: index as u64,
            len: hashes.len(),
        })?;
        if *actual != claimed {
            return Err(DecodeError::HashMismatch {
                claimed,
                actual: *actual,
            });
        }
    }
    Ok(Batch { changes, hashes })
}

#[cfg(test)]
mod tests {
    use super::Numbering;

    /// Numbers stay the same when the numbering passes from linear search to its map.
    #[test]
    fn numbering_is_stable_past_the_small_size() {
        let mut numbering: Numbering<u32, rustc_hash::FxBuildHasher> = Numbering::new(Vec::new());
        let values: Vec<u32> = (0..30).map(|i| i * 7919 % 101).collect();
        for (i, &v) in values.iter().enumerate() {
            assert_eq!(numbering.slot(v), i as u64);
        }
        for round in 0..2 {
            for (i, &v) in values.iter().enumerate().rev() {
                assert_eq!(numbering.slot(v), i as u64, "round {round}");
            }
        }
        assert_eq!(numbering.values, values);
    }
}

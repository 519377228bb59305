//! Row-wise encoding of changes (one after another), with an actor table.

use super::bytes::{Reader, Writer};
use super::value::{read_value, write_value};
use crate::actor::ActorId;
use crate::clock::{Hlc, OpId};
use crate::dag::ChangeHash;
use crate::doc::{Change, ContainerId, ContainerKind, InsertContent, NewItem, Op, OpAction};
use crate::error::{DecodeError, Result};

/// Smallest encoded change: actor, seq, deps, start, 3 time fields, message flag, op count.
const MIN_CHANGE_LEN: usize = 9;
/// Smallest encoded op: container tag, name length, kind, action tag, one more byte.
const MIN_OP_LEN: usize = 5;

/// Actors sorted and deduplicated; changes name them by index.
pub(crate) struct ActorTable(Vec<ActorId>);

impl ActorTable {
    pub(crate) fn of(changes: &[Change]) -> ActorTable {
        let mut actors: Vec<ActorId> = Vec::new();
        for change in changes {
            actors.push(change.actor);
            actors.push(change.time.actor);
            for op in &change.ops {
                op_actors(op, &mut actors);
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

    /// Reads an actor index and resolves it.
    fn read_actor(&self, r: &mut Reader<'_>) -> Result<ActorId> {
        let index = r.varint()?;
        self.get(index)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.len(self.0.len());
        for actor in &self.0 {
            w.bytes(&actor.0);
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<ActorTable> {
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

fn op_actors(op: &Op, out: &mut Vec<ActorId>) {
    if let ContainerId::Child { op, .. } = &op.container {
        out.push(op.actor);
    }
    match &op.action {
        OpAction::Insert {
            origin_left,
            origin_right,
            ..
        } => out.extend(origin_left.iter().chain(origin_right).map(|o| o.actor)),
        OpAction::Delete { start, .. } => out.push(start.actor),
        OpAction::MapSet { pred, .. }
        | OpAction::MapDelete { pred, .. }
        | OpAction::RegisterSet { pred, .. }
        | OpAction::SetRemove { observed: pred, .. } => out.extend(pred.iter().map(|p| p.actor)),
        OpAction::CounterAdd { .. } | OpAction::SetAdd { .. } => {}
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

fn write_op_id(w: &mut Writer, t: &ActorTable, id: &OpId) {
    w.varint(id.counter);
    w.varint(t.index(&id.actor));
}

fn read_op_id(r: &mut Reader<'_>, t: &ActorTable) -> Result<OpId> {
    let counter = r.varint()?;
    let actor = t.read_actor(r)?;
    Ok(OpId::new(counter, actor))
}

fn write_ids(w: &mut Writer, t: &ActorTable, ids: &[OpId]) {
    w.len(ids.len());
    for id in ids {
        write_op_id(w, t, id);
    }
}

fn read_ids(r: &mut Reader<'_>, t: &ActorTable) -> Result<Vec<OpId>> {
    let count = r.len(2)?;
    (0..count).map(|_| read_op_id(r, t)).collect()
}

fn write_new(w: &mut Writer, item: &NewItem) {
    match item {
        NewItem::Value(v) => {
            w.u8(0);
            write_value(w, v);
        }
        NewItem::Container(kind) => {
            w.u8(1);
            w.u8(kind_byte(*kind));
        }
    }
}

fn read_new(r: &mut Reader<'_>) -> Result<NewItem> {
    let offset = r.offset();
    match r.u8()? {
        0 => Ok(NewItem::Value(read_value(r, 0)?)),
        1 => Ok(NewItem::Container(read_kind(r)?)),
        tag => Err(DecodeError::UnknownTag { tag, offset }),
    }
}

pub(crate) fn write_change(w: &mut Writer, t: &ActorTable, change: &Change) {
    w.varint(t.index(&change.actor));
    w.varint(change.seq);
    w.len(change.deps.len());
    for dep in &change.deps {
        w.bytes(&dep.0);
    }
    w.varint(change.start_op);
    w.varint(change.time.millis);
    w.varint(u64::from(change.time.logical));
    w.varint(t.index(&change.time.actor));
    match &change.message {
        None => w.u8(0),
        Some(m) => {
            w.u8(1);
            w.str(m);
        }
    }
    w.len(change.ops.len());
    for op in &change.ops {
        write_op(w, t, op);
    }
}

pub(crate) fn read_change(r: &mut Reader<'_>, t: &ActorTable) -> Result<Change> {
    let actor = t.read_actor(r)?;
    let seq = r.varint()?;
    let dep_count = r.len(32)?;
    let mut deps = Vec::with_capacity(dep_count);
    for _ in 0..dep_count {
        deps.push(ChangeHash(r.array()?));
    }
    let start_op = r.varint()?;
    let millis = r.varint()?;
    let logical_offset = r.offset();
    let logical = u32::try_from(r.varint()?).map_err(|_| DecodeError::BadVarint {
        offset: logical_offset,
    })?;
    let time_actor = t.read_actor(r)?;
    let offset = r.offset();
    let message = match r.u8()? {
        0 => None,
        1 => Some(r.string()?),
        tag => return Err(DecodeError::UnknownTag { tag, offset }),
    };
    let op_count = r.len(MIN_OP_LEN)?;
    let mut ops = Vec::with_capacity(op_count);
    for _ in 0..op_count {
        ops.push(read_op(r, t)?);
    }
    Ok(Change {
        actor,
        seq,
        deps,
        start_op,
        time: Hlc {
            millis,
            logical,
            actor: time_actor,
        },
        message,
        ops,
    })
}

fn write_op(w: &mut Writer, t: &ActorTable, op: &Op) {
    match &op.container {
        ContainerId::Root { name, kind } => {
            w.u8(0);
            w.str(name);
            w.u8(kind_byte(*kind));
        }
        ContainerId::Child { op, kind } => {
            w.u8(1);
            write_op_id(w, t, op);
            w.u8(kind_byte(*kind));
        }
    }
    match &op.action {
        OpAction::Insert {
            origin_left,
            origin_right,
            content,
        } => {
            w.u8(0);
            for origin in [origin_left, origin_right] {
                match origin {
                    None => w.u8(0),
                    Some(id) => {
                        w.u8(1);
                        write_op_id(w, t, id);
                    }
                }
            }
            match content {
                InsertContent::Text(text) => {
                    w.u8(0);
                    w.str(text);
                }
                InsertContent::Items(items) => {
                    w.u8(1);
                    w.len(items.len());
                    for item in items {
                        write_new(w, item);
                    }
                }
            }
        }
        OpAction::Delete { start, len } => {
            w.u8(1);
            write_op_id(w, t, start);
            w.varint(*len);
        }
        OpAction::MapSet { key, value, pred } => {
            w.u8(2);
            w.str(key);
            write_new(w, value);
            write_ids(w, t, pred);
        }
        OpAction::MapDelete { key, pred } => {
            w.u8(3);
            w.str(key);
            write_ids(w, t, pred);
        }
        OpAction::CounterAdd { delta } => {
            w.u8(4);
            w.varint(((delta << 1) ^ (delta >> 63)) as u64);
        }
        OpAction::SetAdd { value } => {
            w.u8(5);
            write_value(w, value);
        }
        OpAction::SetRemove { value, observed } => {
            w.u8(6);
            write_value(w, value);
            write_ids(w, t, observed);
        }
        OpAction::RegisterSet { value, pred } => {
            w.u8(7);
            write_new(w, value);
            write_ids(w, t, pred);
        }
    }
}

fn read_op(r: &mut Reader<'_>, t: &ActorTable) -> Result<Op> {
    let offset = r.offset();
    let container = match r.u8()? {
        0 => {
            let name = r.string()?;
            ContainerId::Root {
                name,
                kind: read_kind(r)?,
            }
        }
        1 => {
            let op = read_op_id(r, t)?;
            ContainerId::Child {
                op,
                kind: read_kind(r)?,
            }
        }
        tag => return Err(DecodeError::UnknownTag { tag, offset }),
    };
    let offset = r.offset();
    let action = match r.u8()? {
        0 => {
            let mut origins = [None, None];
            for origin in &mut origins {
                let offset = r.offset();
                *origin = match r.u8()? {
                    0 => None,
                    1 => Some(read_op_id(r, t)?),
                    tag => return Err(DecodeError::UnknownTag { tag, offset }),
                };
            }
            let offset = r.offset();
            let content = match r.u8()? {
                0 => InsertContent::Text(r.string()?),
                1 => {
                    let count = r.len(2)?;
                    InsertContent::Items((0..count).map(|_| read_new(r)).collect::<Result<_>>()?)
                }
                tag => return Err(DecodeError::UnknownTag { tag, offset }),
            };
            let [origin_left, origin_right] = origins;
            OpAction::Insert {
                origin_left,
                origin_right,
                content,
            }
        }
        1 => OpAction::Delete {
            start: read_op_id(r, t)?,
            len: r.varint()?,
        },
        2 => OpAction::MapSet {
            key: r.string()?,
            value: read_new(r)?,
            pred: read_ids(r, t)?,
        },
        3 => OpAction::MapDelete {
            key: r.string()?,
            pred: read_ids(r, t)?,
        },
        4 => {
            let z = r.varint()?;
            OpAction::CounterAdd {
                delta: ((z >> 1) as i64) ^ -((z & 1) as i64),
            }
        }
        5 => OpAction::SetAdd {
            value: read_value(r, 0)?,
        },
        6 => OpAction::SetRemove {
            value: read_value(r, 0)?,
            observed: read_ids(r, t)?,
        },
        7 => OpAction::RegisterSet {
            value: read_new(r)?,
            pred: read_ids(r, t)?,
        },
        tag => return Err(DecodeError::UnknownTag { tag, offset }),
    };
    Ok(Op { container, action })
}

/// Encodes changes after an actor table.
pub(crate) fn write_changes(w: &mut Writer, changes: &[Change]) {
    let table = ActorTable::of(changes);
    table.write(w);
    w.len(changes.len());
    for change in changes {
        write_change(w, &table, change);
    }
}

/// Decodes what [`write_changes`] wrote.
pub(crate) fn read_changes(r: &mut Reader<'_>) -> Result<Vec<Change>> {
    let table = ActorTable::read(r)?;
    let count = r.len(MIN_CHANGE_LEN)?;
    let mut changes = Vec::with_capacity(count);
    for _ in 0..count {
        changes.push(read_change(r, &table)?);
    }
    Ok(changes)
}

/// The canonical bytes of one change, which its hash covers: its own actor table, then the
/// change exactly as [`write_change`] writes it.
pub(crate) fn canonical_change(change: &Change) -> Vec<u8> {
    let table = ActorTable::of(std::slice::from_ref(change));
    let mut w = Writer::default();
    table.write(&mut w);
    write_change(&mut w, &table, change);
    w.buf
}

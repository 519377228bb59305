//! Per-container state: what each kind of container holds, and how operations change it.

use std::collections::BTreeMap;

use crate::crdt::seq::{Sequence, TextArena};
use crate::id::{ActorIdx, Id};
use crate::value::Value;

use super::types::ContainerKind;

/// A stored map/list/register item: a value, or a child container (by container index).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot {
    Value(Value),
    Container(u32),
}

/// One write to a map key or register: the operation id decides the winner.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: Id,
    pub(crate) slot: Slot,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct TextState {
    pub(crate) seq: Sequence,
    pub(crate) chars: TextArena,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ListState {
    pub(crate) seq: Sequence,
    pub(crate) items: Vec<Slot>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MapState {
    /// Every key's current writes (more than one while concurrent writes conflict).
    pub(crate) entries: BTreeMap<String, Vec<Entry>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct CounterState {
    /// Each actor's total contribution.
    pub(crate) per_actor: BTreeMap<ActorIdx, i64>,
}

impl CounterState {
    pub(crate) fn value(&self) -> i64 {
        self.per_actor
            .values()
            .fold(0i64, |a, &b| a.wrapping_add(b))
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct SetState {
    /// Each member's add operations not yet removed.
    pub(crate) members: BTreeMap<Value, Vec<Id>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct RegisterState {
    pub(crate) entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
pub(crate) enum State {
    Map(MapState),
    List(ListState),
    Text(TextState),
    Counter(CounterState),
    Set(SetState),
    Register(RegisterState),
}

impl State {
    pub(crate) fn new(kind: ContainerKind) -> State {
        match kind {
            ContainerKind::Map => State::Map(MapState::default()),
            ContainerKind::List => State::List(ListState::default()),
            ContainerKind::Text => State::Text(TextState::default()),
            ContainerKind::Counter => State::Counter(CounterState::default()),
            ContainerKind::Set => State::Set(SetState::default()),
            ContainerKind::Register => State::Register(RegisterState::default()),
        }
    }

    pub(crate) fn kind(&self) -> ContainerKind {
        match self {
            State::Map(_) => ContainerKind::Map,
            State::List(_) => ContainerKind::List,
            State::Text(_) => ContainerKind::Text,
            State::Counter(_) => ContainerKind::Counter,
            State::Set(_) => ContainerKind::Set,
            State::Register(_) => ContainerKind::Register,
        }
    }
}

/// Where a container hangs in the tree.
#[derive(Clone, Debug)]
pub(crate) enum Parent {
    Root(String),
    /// Created by operation `op` in container `container` (a map key, list item or register).
    Child {
        container: u32,
        op: Id,
        key: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Container {
    pub(crate) parent: Parent,
    pub(crate) state: State,
    /// Whether any operation of the history targets it (roots only show in JSON then, so
    /// merely looking a root up changes nothing visible).
    pub(crate) used: bool,
}

/// Among concurrent writes the one with the greatest `(counter, actor id)` wins.
pub(crate) fn winner<'a>(entries: &'a [Entry], actors: &[crate::ActorId]) -> Option<&'a Entry> {
    entries
        .iter()
        .max_by_key(|e| (e.id.counter, actors.get(e.id.actor as usize)))
}

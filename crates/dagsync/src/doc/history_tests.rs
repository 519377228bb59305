//! Time travel checked against replaying the history. On random concurrent histories over
//! every container kind (nested ones included), `fork_at` (a checkout: clone + retreat) must
//! equal the document built by applying the version's changes to an empty one (the old
//! `fork_at`, kept here as the oracle), keep its internal structures consistent, take further
//! edits like the replay does, and merge back; `diff` patches must turn one version's content
//! into another's.

use std::collections::{BTreeSet, HashMap, HashSet};

use proptest::prelude::*;

use super::state::{Parent, State};
use super::*;
use crate::crdt::seq::{Lane, Uniform};
use crate::value::Value;

fn actor(n: u8) -> ActorId {
    ActorId([n; 32])
}

/// The replay oracle (the old `fork_at`): the version's changes applied to an empty document.
fn replay(doc: &mut Doc, heads: &[ChangeHash], actor: ActorId) -> Doc {
    let history = doc.history();
    let changes = doc.changes_since(&VersionVector::new());
    let deps: HashMap<ChangeHash, Vec<ChangeHash>> =
        history.iter().map(|e| (e.hash, e.deps.clone())).collect();
    let mut keep = HashSet::new();
    let mut stack = heads.to_vec();
    while let Some(hash) = stack.pop() {
        if keep.insert(hash) {
            stack.extend(deps[&hash].iter().copied());
        }
    }
    let mut out = Doc::new(actor);
    let report = out
        .apply_changes(
            history
                .iter()
                .zip(changes)
                .filter(|(e, _)| keep.contains(&e.hash))
                .map(|(_, c)| c),
        )
        .unwrap();
    assert_eq!(report.pending, 0);
    out
}

/// One random step of a history: an edit (`kind` 0..8), a commit (8, 9: with a message) or a
/// sync from replica `target` (10: `merge`, 11: `apply_changes`).
#[derive(Clone, Debug)]
struct Step {
    kind: u8,
    replica: u8,
    target: u8,
    op: u8,
    pos: u16,
    value: u8,
}

fn steps(max: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0u8..12,
            0u8..3,
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<u8>(),
        )
            .prop_map(|(kind, replica, target, op, pos, value)| Step {
                kind,
                replica,
                target,
                op,
                pos,
                value,
            }),
        1..max,
    )
}

const ROOTS: [(&str, ContainerKind); 6] = [
    ("text", ContainerKind::Text),
    ("list", ContainerKind::List),
    ("map", ContainerKind::Map),
    ("counter", ContainerKind::Counter),
    ("set", ContainerKind::Set),
    ("reg", ContainerKind::Register),
];

/// The containers edits pick from, in an order every document agrees on: the roots and the
/// reachable nested containers, by id.
fn targets(doc: &mut Doc) -> Vec<u32> {
    for (name, kind) in ROOTS {
        doc.root(name, kind);
    }
    let mut targets: Vec<(ContainerId, u32)> = (0..doc.containers.len() as u32)
        .filter(|&c| !doc.path_of(c).is_empty())
        .map(|c| (doc.container_id(c), c))
        .collect();
    targets.sort();
    targets.into_iter().map(|(_, c)| c).collect()
}

/// Performs the edit of step `s` (positions taken modulo the length, so it is always valid).
fn edit(doc: &mut Doc, s: &Step) {
    let targets = targets(doc);
    let c = targets[s.target as usize % targets.len()];
    let pos = u64::from(s.pos);
    let value = Value::I64(i64::from(s.value));
    let nested = NewItem::Container(ContainerKind::ALL[s.value as usize % 6]);
    let len = doc.seq_len(c, Lane::Items);
    let result = match doc.containers[c as usize].state.kind() {
        ContainerKind::Text if s.op % 3 < 2 || len == 0 => {
            let text = ["a", "bc", "😀", "é"][s.value as usize % 4];
            doc.text_insert(c, pos % (len + 1), text)
        }
        ContainerKind::Text => {
            let at = pos % len;
            doc.text_delete(c, at, (1 + u64::from(s.value % 3)).min(len - at))
        }
        ContainerKind::List if s.op % 4 < 2 || len == 0 => {
            let item = if s.op % 4 == 0 {
                NewItem::Value(value)
            } else {
                nested
            };
            doc.list_insert(c, pos % (len + 1), vec![item]).map(drop)
        }
        ContainerKind::List => {
            let at = pos % len;
            doc.list_delete(c, at, (1 + u64::from(s.value % 2)).min(len - at))
        }
        ContainerKind::Map => {
            let key = format!("k{}", s.pos % 3);
            match s.op % 4 {
                0 | 1 => doc.map_set(c, &key, NewItem::Value(value)).map(drop),
                2 => doc.map_set(c, &key, nested).map(drop),
                _ => doc.map_delete(c, &key),
            }
        }
        ContainerKind::Counter => doc.counter_add(c, i64::from(s.value) - 128),
        ContainerKind::Set => {
            let member = Value::I64(i64::from(s.value % 5));
            if s.op % 2 == 0 {
                doc.set_add(c, member)
            } else {
                doc.set_remove(c, &member)
            }
        }
        ContainerKind::Register if s.op % 3 < 2 => doc.register_set(c, NewItem::Value(value)),
        ContainerKind::Register => doc.register_set(c, nested),
    };
    result.unwrap();
}

fn pair(docs: &mut [Doc], a: usize, b: usize) -> (&mut Doc, &mut Doc) {
    assert_ne!(a, b);
    if a < b {
        let (x, y) = docs.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = docs.split_at_mut(a);
        (&mut y[0], &mut x[b])
    }
}

/// Plays `steps` on three replicas, then merges everything into the first. Returns it and the
/// heads recorded along the way.
fn build(steps: &[Step]) -> (Doc, Vec<Vec<ChangeHash>>) {
    let mut docs: Vec<Doc> = (1..=3).map(|i| Doc::new(actor(i))).collect();
    let mut checkpoints = Vec::new();
    for s in steps {
        let r = s.replica as usize % 3;
        match s.kind {
            0..=7 => edit(&mut docs[r], s),
            8 | 9 => {
                let message = (s.kind == 9).then_some("m");
                if docs[r].commit(message).is_some() {
                    checkpoints.push(docs[r].heads());
                }
            }
            _ => {
                let from = s.target as usize % 3;
                if from != r {
                    let (to, from) = pair(&mut docs, r, from);
                    if s.kind == 10 {
                        to.merge(from).unwrap();
                    } else {
                        let changes = from.changes_since(to.version());
                        to.apply_changes(changes).unwrap();
                    }
                    checkpoints.push(to.heads());
                }
            }
        }
    }
    for r in 1..3 {
        let (to, from) = pair(&mut docs, 0, r);
        to.merge(from).unwrap();
    }
    let full = docs.swap_remove(0);
    (full, checkpoints)
}

/// Heads to travel to: a recorded version, the union of two (often concurrent), two random
/// changes, or nothing.
fn pick(
    full: &mut Doc,
    checkpoints: &[Vec<ChangeHash>],
    (mode, a, b): (u8, u16, u16),
) -> Vec<ChangeHash> {
    let all: Vec<ChangeHash> = full.history().iter().map(|e| e.hash).collect();
    let (a, b) = (a as usize, b as usize);
    match mode % 4 {
        0 if !checkpoints.is_empty() => checkpoints[a % checkpoints.len()].clone(),
        1 if !checkpoints.is_empty() => {
            let mut heads = checkpoints[a % checkpoints.len()].clone();
            heads.extend(&checkpoints[b % checkpoints.len()]);
            heads
        }
        2 if !all.is_empty() => vec![all[a % all.len()], all[b % all.len()]],
        _ => Vec::new(),
    }
}

/// Everything visible: JSON, and per reachable container its full content (conflicts too).
fn content(doc: &mut Doc) -> String {
    let mut out = format!("{}\n", doc.to_json());
    for c in targets(doc) {
        let id = doc.container_id(c);
        let detail = match doc.containers[c as usize].state.kind() {
            ContainerKind::Text => {
                let text = doc.text_string(c);
                assert_eq!(
                    doc.seq_len(c, Lane::Utf16) as usize,
                    text.encode_utf16().count()
                );
                text
            }
            ContainerKind::List => format!(
                "{:?}",
                doc.list_slots(c)
                    .into_iter()
                    .map(|s| doc.item_of(s))
                    .collect::<Vec<_>>()
            ),
            ContainerKind::Map => format!(
                "{:?}",
                doc.map_keys(c)
                    .iter()
                    .map(|k| (k.clone(), doc.map_conflicts(c, k)))
                    .collect::<Vec<_>>()
            ),
            ContainerKind::Register => format!("{:?}", doc.register_conflicts(c)),
            ContainerKind::Counter => doc.counter_value(c).to_string(),
            ContainerKind::Set => format!("{:?}", doc.set_values(c)),
        };
        out.push_str(&format!("{id:?}: {detail}\n"));
    }
    out
}

/// The history's metadata: heads, version, and the changes (as a set).
fn meta(doc: &mut Doc) -> String {
    let mut history: Vec<String> = doc.history().iter().map(|e| format!("{e:?}")).collect();
    history.sort();
    format!(
        "heads {:?}\nversion {:?}\nnext {}\n{}",
        doc.heads(),
        doc.version(),
        doc.next_counter,
        history.join("\n")
    )
}

/// Panics unless the log's indexes, the heads, the version and the sequences agree.
fn assert_consistent(doc: &Doc) {
    let n = doc.changes.len();
    let sealed = n - usize::from(doc.open_change.is_some());
    assert_eq!(doc.by_hash.len(), sealed, "by_hash size");
    let mut depended = HashSet::new();
    for i in 0..n {
        let change = &doc.changes[i];
        match change.hash {
            Some(hash) => assert_eq!(doc.by_hash.get(&hash), Some(&(i as u32))),
            None => assert_eq!(doc.open_change, Some(i as u32), "unsealed change"),
        }
        assert_eq!(
            doc.by_actor[change.actor as usize][change.seq as usize - 1],
            i as u32
        );
        for &d in &change.deps {
            assert!((d as usize) < i, "dependency after its dependent");
            depended.insert(d);
        }
        assert!(change.end_op <= doc.next_counter, "next counter");
    }
    let heads: BTreeSet<u32> = (0..n as u32).filter(|i| !depended.contains(i)).collect();
    assert_eq!(heads, doc.heads, "heads");
    for (a, chain) in doc.by_actor.iter().enumerate() {
        assert_eq!(
            doc.version.get(&doc.actors[a]),
            chain.len() as u64,
            "version"
        );
    }
    assert!(doc.queue.is_empty());
    for container in &doc.containers {
        match &container.state {
            State::Text(s) => s.seq.assert_consistent(&s.chars),
            State::List(s) => s.seq.assert_consistent(&Uniform),
            _ => {}
        }
    }
    for (&op, &c) in &doc.children {
        assert!(
            matches!(&doc.containers[c as usize].parent, Parent::Child { op: o, .. } if *o == op)
        );
    }
}

fn kind_of(id: &ContainerId) -> ContainerKind {
    match id {
        ContainerId::Root { kind, .. } | ContainerId::Child { kind, .. } => *kind,
    }
}

/// The JSON of an empty container.
fn empty(kind: ContainerKind) -> Value {
    match kind {
        ContainerKind::Map => Value::Object(Default::default()),
        ContainerKind::List | ContainerKind::Set => Value::Array(Vec::new()),
        ContainerKind::Text => Value::Str(String::new()),
        ContainerKind::Counter => Value::I64(0),
        ContainerKind::Register => Value::Null,
    }
}

fn item_json(item: &Item) -> Value {
    match item {
        Item::Value(v) => v.clone(),
        Item::Container(id) => empty(kind_of(id)),
    }
}

fn utf16_len(s: &str, chars: usize) -> u64 {
    s.chars().take(chars).map(|c| c.len_utf16() as u64).sum()
}

/// Applies a patch to the JSON of a document, checking its UTF-16 positions.
fn apply_patch(model: &mut Value, patch: &Patch) {
    let mut target = model;
    for elem in &patch.path {
        target = match (elem, target) {
            (PathElem::Root(name), Value::Object(o)) => o
                .entry(name.clone())
                .or_insert_with(|| empty(kind_of(&patch.container))),
            (PathElem::Key(key), Value::Object(o)) => o.get_mut(key).unwrap(),
            (PathElem::Index(i), Value::Array(a)) => &mut a[*i as usize],
            (elem, target) => panic!("path {elem:?} does not fit {target:?}"),
        };
    }
    match (&patch.action, target) {
        (
            PatchAction::TextInsert {
                index,
                index_utf16,
                text,
            },
            Value::Str(s),
        ) => {
            assert_eq!(utf16_len(s, *index as usize), *index_utf16);
            let at = s
                .char_indices()
                .nth(*index as usize)
                .map_or(s.len(), |(b, _)| b);
            s.insert_str(at, text);
        }
        (
            PatchAction::TextDelete {
                index,
                len,
                index_utf16,
                len_utf16,
            },
            Value::Str(s),
        ) => {
            let (index, len) = (*index as usize, *len as usize);
            assert_eq!(utf16_len(s, index), *index_utf16);
            assert_eq!(utf16_len(s, index + len) - utf16_len(s, index), *len_utf16);
            *s = s
                .chars()
                .enumerate()
                .filter(|(i, _)| *i < index || *i >= index + len)
                .map(|(_, c)| c)
                .collect();
        }
        (PatchAction::ListInsert { index, items }, Value::Array(a)) => {
            let at = *index as usize;
            a.splice(at..at, items.iter().map(item_json));
        }
        (PatchAction::ListDelete { index, len }, Value::Array(a)) => {
            a.drain(*index as usize..(*index + *len) as usize);
        }
        (PatchAction::MapPut { key, value }, Value::Object(o)) => {
            o.insert(key.clone(), item_json(value));
        }
        (PatchAction::MapDelete { key }, Value::Object(o)) => {
            o.remove(key);
        }
        (PatchAction::CounterAdd { delta }, Value::I64(n)) => *n = n.wrapping_add(*delta),
        (PatchAction::SetAdd { value }, Value::Array(a)) => {
            if let Err(at) = a.binary_search(value) {
                a.insert(at, value.clone());
            }
        }
        (PatchAction::SetRemove { value }, Value::Array(a)) => a.retain(|v| v != value),
        (PatchAction::RegisterSet { value }, target) => {
            *target = value.as_ref().map_or(Value::Null, item_json);
        }
        (action, target) => panic!("{action:?} does not fit {target:?}"),
    }
}

/// Drops empty roots (a root only the other version uses is left empty by a diff).
fn without_empty_roots(json: Value) -> Value {
    match json {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(_, v)| {
                    !matches!(v, Value::Null | Value::I64(0))
                        && !matches!(v, Value::Str(s) if s.is_empty())
                        && !matches!(v, Value::Array(a) if a.is_empty())
                        && !matches!(v, Value::Object(o) if o.is_empty())
                })
                .collect(),
        ),
        other => other,
    }
}

type Pick = (u8, u16, u16);

fn picks() -> impl Strategy<Value = Vec<Pick>> {
    prop::collection::vec((any::<u8>(), any::<u16>(), any::<u16>()), 1..4)
}

proptest! {
    /// `fork_at` equals the replay, is consistent inside, edits like it, and merges back.
    #[test]
    fn fork_at_equals_the_replay(steps in steps(70), picks in picks(), edits in steps(12)) {
        let (mut full, checkpoints) = build(&steps);
        let full_content = content(&mut full);
        for p in picks {
            let heads = pick(&mut full, &checkpoints, p);
            let mut checkout = full.fork_at(&heads, actor(9)).unwrap();
            let mut replayed = replay(&mut full, &heads, actor(9));
            assert_consistent(&checkout);
            prop_assert_eq!(content(&mut checkout), content(&mut replayed));
            prop_assert_eq!(meta(&mut checkout), meta(&mut replayed));
            let view = full.view(&heads).unwrap();
            prop_assert!(view.is_read_only());
            prop_assert_eq!(view.to_json(), checkout.to_json());

            // The same further edits give the same documents.
            for s in &edits {
                let s = Step { kind: 0, ..s.clone() };
                edit(&mut checkout, &s);
                edit(&mut replayed, &s);
            }
            checkout.commit(None);
            replayed.commit(None);
            assert_consistent(&checkout);
            prop_assert_eq!(content(&mut checkout), content(&mut replayed));

            // Merging the branch into the full document converges like merging the replay,
            // and the branch can take back everything it lacks.
            let mut with_checkout = full.fork(actor(10));
            let mut with_replayed = full.fork(actor(10));
            with_checkout.merge(&mut checkout).unwrap();
            with_replayed.merge(&mut replayed).unwrap();
            prop_assert_eq!(content(&mut with_checkout), content(&mut with_replayed));
            checkout.merge(&mut full).unwrap();
            assert_consistent(&checkout);
            prop_assert_eq!(checkout.heads(), with_checkout.heads());
            prop_assert_eq!(content(&mut checkout), content(&mut with_checkout));
        }
        // Time travel leaves the document itself alone.
        prop_assert_eq!(content(&mut full), full_content);
    }

    /// A checkout of a checkout is the checkout of the intersection's version.
    #[test]
    fn fork_at_twice(steps in steps(60), first in picks(), second in picks()) {
        let (mut full, checkpoints) = build(&steps);
        let heads = pick(&mut full, &checkpoints, first[0]);
        let mut outer = full.fork_at(&heads, actor(9)).unwrap();
        let outer_history: HashSet<ChangeHash> = outer.history().iter().map(|e| e.hash).collect();
        let inner_heads: Vec<ChangeHash> = pick(&mut full, &checkpoints, second[0])
            .into_iter()
            .filter(|h| outer_history.contains(h))
            .collect();
        let mut inner = outer.fork_at(&inner_heads, actor(8)).unwrap();
        let mut direct = replay(&mut full, &inner_heads, actor(8));
        assert_consistent(&inner);
        prop_assert_eq!(content(&mut inner), content(&mut direct));
        prop_assert_eq!(meta(&mut inner), meta(&mut direct));
    }

    /// Applying `diff(a, b)` to the JSON at `a` gives the JSON at `b`.
    #[test]
    fn diff_turns_one_version_into_another(steps in steps(70), picks in picks()) {
        let (mut full, checkpoints) = build(&steps);
        let mut versions: Vec<Vec<ChangeHash>> =
            picks.into_iter().map(|p| pick(&mut full, &checkpoints, p)).collect();
        versions.push(full.heads());
        versions.push(Vec::new());
        for a in &versions {
            for b in &versions {
                let patches = full.diff(a, b).unwrap();
                let mut model = full.view(a).unwrap().to_json();
                for patch in &patches {
                    apply_patch(&mut model, patch);
                }
                let expected = full.view(b).unwrap().to_json();
                prop_assert_eq!(without_empty_roots(model), without_empty_roots(expected));
                if a == b {
                    prop_assert!(patches.is_empty());
                }
            }
        }
    }
}

#[test]
fn unknown_heads_are_refused() {
    let mut doc = Doc::new(actor(1));
    doc.get_text("t").insert(0, "x").unwrap();
    let missing = ChangeHash([7; 32]);
    assert_eq!(
        doc.fork_at(&[missing], actor(2)).unwrap_err(),
        DocError::UnknownChange(missing)
    );
    assert!(doc.view(&[missing]).is_err());
    assert!(doc.diff(&[], &[missing]).is_err());
}

#[test]
fn fork_at_drops_containers_created_later_and_merges_them_back() {
    let mut doc = Doc::new(actor(1));
    doc.get_map("m").set("a", 1).unwrap();
    doc.commit(Some("one"));
    let before = doc.heads();
    let child = doc
        .get_map("m")
        .set_container("t", ContainerKind::Text)
        .unwrap();
    doc.text(&child).unwrap().insert(0, "hi").unwrap();
    doc.get_text("body").insert(0, "later").unwrap();
    doc.commit(None);
    let mut past = doc.fork_at(&before, actor(2)).unwrap();
    assert_eq!(past.to_json().to_string(), r#"{"m":{"a":1}}"#);
    assert!(past.text(&child).is_err());
    assert_consistent(&past);
    past.merge(&mut doc).unwrap();
    assert_eq!(past.to_json(), doc.to_json());
    assert_eq!(past.text(&child).unwrap().to_string(), "hi");
}

#[test]
fn diff_of_a_text_edit_has_positions_in_chars_and_utf16() {
    let mut doc = Doc::new(actor(1));
    doc.get_text("t").insert(0, "a😀c").unwrap();
    let a = doc.heads();
    doc.get_text("t").delete(2, 1).unwrap();
    doc.get_text("t").insert(2, "xy").unwrap();
    let b = doc.heads();
    let actions: Vec<PatchAction> = doc
        .diff(&a, &b)
        .unwrap()
        .into_iter()
        .map(|p| p.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            PatchAction::TextDelete {
                index: 2,
                len: 1,
                index_utf16: 3,
                len_utf16: 1
            },
            PatchAction::TextInsert {
                index: 2,
                index_utf16: 3,
                text: "xy".into()
            },
        ]
    );
}

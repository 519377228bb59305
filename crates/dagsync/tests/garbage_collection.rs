//! Garbage collection of deleted records (issue 12): values of containers no root reaches
//! any more are freed once every known peer has seen them go; nothing visible changes, past
//! versions still show them, and late concurrent edits are checked and merged exactly as on
//! replicas that did not collect.

use dagsync::query::Collection;
use dagsync::repo::{MemoryStorage, PeerId, Repo, RepoConfig};
use dagsync::{ActorId, Doc, Identity, Value};

mod common;
use common::obj;

#[path = "common/repos.rs"]
mod repos;
use repos::pump;

fn record(title: &str) -> Value {
    obj(&[
        ("title", Value::from(title)),
        ("body", Value::from(&*"x".repeat(1_000))),
    ])
}

/// A document with a collection of `n` records, `deleted` of them deleted afterwards.
fn notebook(n: usize, deleted: usize) -> (Doc, Vec<String>) {
    let mut doc = Doc::new(ActorId([1; 32]));
    let mut notes = Collection::open(&mut doc, "notes");
    let ids: Vec<String> = (0..n)
        .map(|i| {
            let id = format!("note{i:03}");
            notes
                .insert_with_id(&mut doc, &id, &record(&format!("note {i}")))
                .expect("insert");
            id
        })
        .collect();
    doc.commit(Some("written"));
    for id in &ids[..deleted] {
        notes.delete(&mut doc, id).expect("delete");
    }
    doc.commit(Some("deleted"));
    (doc, ids)
}

#[test]
fn deleted_records_values_are_freed_and_nothing_visible_changes() {
    let (mut doc, _) = notebook(20, 5);
    let before = (doc.heads(), doc.to_json());
    let written = doc.history()[0].hash;
    // The version before the deletion frees nothing: the records were reachable there.
    let early = doc.version_vector_at(&[written]).expect("known");
    assert_eq!(doc.collect_garbage(&early).values, 0);
    let now = doc.version().clone();
    let report = doc.collect_garbage(&now);
    assert_eq!(report.containers, 5);
    assert_eq!(report.values, 10);
    assert_eq!((doc.heads(), doc.to_json()), before);
    // The past still shows them, as written.
    let past = doc.view(&[written]).expect("view");
    let notes = field(&past.to_json(), "notes").cloned().expect("notes");
    assert!(matches!(&notes, Value::Object(o) if o.len() == 20));
    let first = field(&notes, "note000").and_then(|n| field(n, "title"));
    assert_eq!(first, Some(&Value::from("note 0")));
    // A save holds the whole history: a reload shows the same, and its past too.
    let mut loaded = Doc::load(&doc.save(), ActorId([2; 32])).expect("load");
    assert_eq!(loaded.to_json(), before.1);
    let loaded_past = loaded.view(&[written]).expect("view").to_json();
    assert_eq!(field(&loaded_past, "notes"), Some(&notes));
}

#[test]
fn late_concurrent_edits_of_a_collected_record_merge_as_anywhere_else() {
    let (mut a, ids) = notebook(3, 0);
    // b has the records, then edits one while a deletes it.
    let mut b = Doc::new(ActorId([2; 32]));
    b.merge(&mut a).expect("merge");
    let mut notes_a = Collection::open(&mut a, "notes");
    notes_a.delete(&mut a, &ids[0]).expect("delete");
    a.commit(None);
    let mut notes_b = Collection::open(&mut b, "notes");
    notes_b
        .update(
            &mut b,
            &ids[0],
            &obj(&[("title", Value::from("edited meanwhile"))]),
        )
        .expect("update");
    b.commit(None);
    // a collects (as if everyone it knows had seen the delete), c does not.
    let mut c = a.fork(ActorId([3; 32]));
    let now = a.version().clone();
    assert_eq!(a.collect_garbage(&now).containers, 1);
    for doc in [&mut a, &mut c] {
        doc.merge(&mut b).expect("b's edit is valid everywhere");
    }
    assert_eq!(a.heads(), c.heads());
    assert_eq!(a.to_json(), c.to_json());
    let notes = field(&a.to_json(), "notes").cloned().expect("notes");
    assert!(field(&notes, &ids[0]).is_none(), "deleted wins");
    // Forged edits of the collected record are refused by both alike.
    let mut forger = b.fork(ActorId([9; 32]));
    forger
        .get_text("other")
        .insert(0, "unrelated")
        .expect("edit");
    forger.commit(None);
    let mut bad = forger.changes_since(&b.version().clone());
    if let Some(op) = bad[0].ops.first_mut() {
        op.container = dagsync::ContainerId::Child {
            op: dagsync::clock::OpId {
                actor: ActorId([7; 32]),
                counter: 123_456,
            },
            kind: dagsync::ContainerKind::Map,
        };
    }
    let ra = a.apply_changes(bad.clone()).is_ok();
    let rc = c.apply_changes(bad).is_ok();
    assert_eq!(ra, rc);
}

fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(fields) => fields.get(key),
        _ => None,
    }
}

#[test]
fn a_repo_collects_only_what_every_known_peer_has_seen() {
    let config = RepoConfig::default();
    let mut a = Repo::with_identity(
        Identity::from_secret_key([1; 32]),
        Box::new(MemoryStorage::new()),
        config,
    )
    .expect("memory");
    let mut b = Repo::with_identity(
        Identity::from_secret_key([2; 32]),
        Box::new(MemoryStorage::new()),
        config,
    )
    .expect("memory");
    let x = a.create().expect("create");
    a.change(&x, |d| {
        let mut notes = Collection::open(d, "notes");
        notes
            .insert_with_id(d, "n1", &record("one"))
            .expect("insert");
    })
    .expect("doc");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    // b goes away; a deletes the record: b has not seen it, so nothing is collected.
    a.disconnect(&PeerId::from("b")).expect("disconnect");
    b.disconnect(&PeerId::from("a")).expect("disconnect");
    a.change(&x, |d| {
        let mut notes = Collection::open(d, "notes");
        notes.delete(d, "n1").expect("delete");
    })
    .expect("doc");
    assert_eq!(a.collect_garbage(&x).expect("doc").containers, 0);
    // Once b has synced the deletion, it goes.
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    assert_eq!(a.collect_garbage(&x).expect("doc").containers, 1);
}

//! Unit tests of the document model: every container kind, local and remote.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::error::ApplyError;
use crate::value::Value;

fn actor(n: u8) -> ActorId {
    ActorId([n; 32])
}

/// Sends every change `from` has that `to` lacks.
fn sync(from: &mut Doc, to: &mut Doc) {
    let changes = from.changes_since(to.version());
    to.apply_changes(changes).unwrap();
}

fn json(doc: &Doc) -> String {
    doc.to_json().to_string()
}

#[test]
fn text_edits_locally_and_merges_concurrently() {
    let mut a = Doc::new(actor(1));
    a.get_text("t").insert(0, "hello").unwrap();
    a.commit(None);
    let mut b = a.fork(actor(2));
    a.get_text("t").insert(5, " world").unwrap();
    a.commit(None);
    b.get_text("t").delete(0, 1).unwrap();
    b.get_text("t").insert(0, "J").unwrap();
    b.commit(None);
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    assert_eq!(a.get_text("t").to_string(), "Jello world");
    assert_eq!(json(&a), json(&b));
}

#[test]
fn utf16_positions() {
    let mut doc = Doc::new(actor(1));
    let mut text = doc.get_text("t");
    text.insert(0, "a😀b").unwrap();
    assert_eq!(text.len(), 3);
    assert_eq!(text.len_utf16(), 4);
    assert_eq!(text.utf16_index(2).unwrap(), 3);
    assert_eq!(text.char_index(3).unwrap(), 2);
    assert_eq!(text.char_index(2), Err(DocError::SplitsSurrogatePair(2)));
    text.insert_utf16(3, "c").unwrap();
    assert_eq!(text.to_string(), "a😀cb");
    text.delete_utf16(1, 2).unwrap();
    assert_eq!(text.to_string(), "acb");
    assert!(text.delete_utf16(2, 5).is_err());
    assert_eq!(text.to_string(), "acb");
}

#[test]
fn out_of_range_edits_change_nothing() {
    let mut doc = Doc::new(actor(1));
    doc.get_text("t").insert(0, "abc").unwrap();
    let before = json(&doc);
    assert!(matches!(
        doc.get_text("t").insert(4, "x"),
        Err(DocError::OutOfRange { .. })
    ));
    assert!(doc.get_text("t").delete(2, 2).is_err());
    assert!(doc.get_text("t").delete(usize::MAX, 2).is_err());
    assert!(doc.get_list("l").delete(0, 1).is_err());
    assert_eq!(json(&doc), before);
}

#[test]
fn map_conflicts_and_deterministic_winner() {
    let mut a = Doc::new(actor(1));
    let mut b = Doc::new(actor(2));
    a.get_map("m").set("k", "from a").unwrap();
    b.get_map("m").set("k", "from b").unwrap();
    a.commit(None);
    b.commit(None);
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    let winner = a.get_map("m").get("k");
    assert_eq!(winner, b.get_map("m").get("k"));
    assert_eq!(winner, Some(Item::Value(Value::from("from b"))));
    assert_eq!(a.get_map("m").conflicts("k").len(), 2);
    // A later set that saw both replaces both.
    a.get_map("m").set("k", "resolved").unwrap();
    a.commit(None);
    sync(&mut a, &mut b);
    assert_eq!(
        b.get_map("m").conflicts("k"),
        vec![Item::Value("resolved".into())]
    );
    b.get_map("m").delete("k").unwrap();
    b.commit(None);
    sync(&mut b, &mut a);
    assert_eq!(a.get_map("m").get("k"), None);
    assert_eq!(json(&a), r#"{"m":{}}"#);
}

#[test]
fn nested_containers_sync_and_show_in_json() {
    let mut a = Doc::new(actor(1));
    let notes = a
        .get_list("notes")
        .insert_container(0, ContainerKind::Map)
        .unwrap();
    let body = a
        .map(&notes)
        .unwrap()
        .set_container("body", ContainerKind::Text)
        .unwrap();
    a.text(&body).unwrap().insert(0, "hi").unwrap();
    let likes = a
        .map(&notes)
        .unwrap()
        .set_container("likes", ContainerKind::Counter)
        .unwrap();
    a.counter(&likes).unwrap().increment(3).unwrap();
    let tags = a
        .map(&notes)
        .unwrap()
        .set_container("tags", ContainerKind::Set)
        .unwrap();
    a.set(&tags).unwrap().add("x").unwrap();
    a.commit(Some("first note"));
    let mut b = Doc::new(actor(2));
    sync(&mut a, &mut b);
    assert_eq!(
        json(&b),
        r#"{"notes":[{"body":"hi","likes":3,"tags":["x"]}]}"#
    );
    b.text(&body).unwrap().insert(2, "!").unwrap();
    b.counter(&likes).unwrap().decrement(1).unwrap();
    b.commit(None);
    sync(&mut b, &mut a);
    assert_eq!(
        json(&a),
        r#"{"notes":[{"body":"hi!","likes":2,"tags":["x"]}]}"#
    );
    assert!(a.text(&likes).is_err(), "a counter is not a text");
}

#[test]
fn counter_scenario_from_the_issue() {
    let mut a = Doc::new(actor(1));
    let mut b = Doc::new(actor(2));
    a.get_counter("n").increment(5).unwrap();
    a.commit(None);
    b.get_counter("n").increment(3).unwrap();
    b.commit(None);
    a.get_counter("n").decrement(2).unwrap();
    a.commit(None);
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    assert_eq!(a.get_counter("n").value(), 6);
    assert_eq!(b.get_counter("n").value(), 6);
}

#[test]
fn set_add_wins_over_concurrent_remove() {
    let mut a = Doc::new(actor(1));
    a.get_set("s").add("x").unwrap();
    a.commit(None);
    let mut b = a.fork(actor(2));
    a.get_set("s").remove(&"x".into()).unwrap();
    a.commit(None);
    b.get_set("s").add("x").unwrap();
    b.get_set("s").add("y").unwrap();
    b.commit(None);
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    assert_eq!(
        a.get_set("s").values(),
        vec![Value::from("x"), Value::from("y")]
    );
    assert_eq!(json(&a), json(&b));
}

#[test]
fn register_keeps_concurrent_values_until_next_set() {
    let mut a = Doc::new(actor(1));
    let mut b = Doc::new(actor(2));
    a.get_register("r").set(1i64).unwrap();
    b.get_register("r").set(2i64).unwrap();
    a.commit(None);
    b.commit(None);
    sync(&mut a, &mut b);
    sync(&mut b, &mut a);
    assert_eq!(a.get_register("r").conflicts().len(), 2);
    assert_eq!(a.get_register("r").value(), b.get_register("r").value());
    a.get_register("r").set(3i64).unwrap();
    a.commit(None);
    sync(&mut a, &mut b);
    assert_eq!(
        b.get_register("r").conflicts(),
        vec![Item::Value(Value::I64(3))]
    );
}

#[test]
fn list_operations() {
    let mut doc = Doc::new(actor(1));
    let mut list = doc.get_list("l");
    list.push(1i64).unwrap();
    list.push("two").unwrap();
    list.insert(0, true).unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.get(1), Some(Item::Value(Value::I64(1))));
    list.delete(0, 2).unwrap();
    assert_eq!(list.to_vec(), vec![Item::Value("two".into())]);
    assert_eq!(list.get(5), None);
}

#[test]
fn out_of_order_delivery_waits_and_duplicates_are_noops() {
    let mut a = Doc::new(actor(1));
    let mut changes = Vec::new();
    for word in ["one ", "two ", "three"] {
        let end = a.get_text("t").len();
        a.get_text("t").insert(end, word).unwrap();
        a.commit(Some("word"));
        changes.extend(a.changes_since(&changes_version(&changes)));
    }
    assert_eq!(changes.len(), 3);
    let mut b = Doc::new(actor(2));
    let report = b
        .apply_changes([changes[2].clone(), changes[1].clone()])
        .unwrap();
    assert_eq!(
        report,
        ApplyReport {
            applied: 0,
            pending: 2,
            rejected: 0
        }
    );
    assert_eq!(b.get_text("t").to_string(), "");
    let report = b
        .apply_changes([changes[0].clone(), changes[0].clone()])
        .unwrap();
    assert_eq!(
        report,
        ApplyReport {
            applied: 3,
            pending: 0,
            rejected: 0
        }
    );
    assert_eq!(b.get_text("t").to_string(), "one two three");
    let report = b.apply_changes(changes.clone()).unwrap();
    assert_eq!(
        report,
        ApplyReport {
            applied: 0,
            pending: 0,
            rejected: 0
        }
    );
    assert_eq!(b.heads(), a.heads());
}

fn changes_version(changes: &[Change]) -> VersionVector {
    let mut v = VersionVector::new();
    for c in changes {
        v.advance(c.actor, c.seq);
    }
    v
}

#[test]
fn invalid_changes_are_rejected_and_change_nothing() {
    let mut a = Doc::new(actor(1));
    a.get_text("t").insert(0, "abc").unwrap();
    a.commit(None);
    let good = a.changes_since(&VersionVector::new());
    let mut b = Doc::new(actor(2));
    b.apply_changes(good.clone()).unwrap();
    let before = json(&b);

    a.get_text("t").insert(1, "x").unwrap();
    a.commit(None);
    let mut next = a.changes_since(b.version());
    assert_eq!(next.len(), 1);
    let original = next[0].clone();

    // An origin that does not exist.
    if let OpAction::Insert { origin_left, .. } = &mut next[0].ops[0].action {
        *origin_left = Some(OpId::new(999, actor(9)));
    }
    assert!(matches!(
        b.apply_changes(next.clone()),
        Err(ApplyError::MissingReference { .. })
    ));
    // A delete on a counter.
    let mut wrong = original.clone();
    wrong.ops[0].container = ContainerId::root("t", ContainerKind::Counter);
    assert!(matches!(
        b.apply_changes([wrong]),
        Err(ApplyError::Invalid { .. })
    ));
    // Op ids overlapping the author's earlier change.
    let mut overlap = original.clone();
    overlap.start_op = 1;
    assert!(b.apply_changes([overlap]).is_err());
    // A batch with one bad change applies none of it.
    let mut bad_second = original.clone();
    bad_second.seq += 1;
    bad_second.deps = vec![crate::dag::hash_change(&original)];
    bad_second.start_op += 10;
    bad_second.ops[0].container = ContainerId::Child {
        op: OpId::new(1, actor(1)),
        kind: ContainerKind::Map,
    };
    assert!(b.apply_changes([original.clone(), bad_second]).is_err());
    assert_eq!(json(&b), before);
    assert_eq!(b.version().get(&actor(1)), 1);
    b.apply_changes([original]).unwrap();
    assert_eq!(b.get_text("t").to_string(), "axbc");
}

#[test]
fn events_carry_patches_for_local_and_remote_changes() {
    let events: Rc<RefCell<Vec<Event>>> = Rc::default();
    let mut a = Doc::new(actor(1));
    let sink = Rc::clone(&events);
    a.subscribe(move |e| sink.borrow_mut().push(e.clone()));
    a.get_text("t").insert(0, "h😀").unwrap();
    a.get_map("m").set("k", 1i64).unwrap();
    a.commit(None);
    {
        let seen = events.borrow();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].origin, Origin::Local);
        assert_eq!(seen[0].patches.len(), 2);
        assert_eq!(
            seen[0].patches[0].action,
            PatchAction::TextInsert {
                index: 0,
                index_utf16: 0,
                text: "h😀".into()
            }
        );
        assert_eq!(seen[0].patches[0].path, vec![PathElem::Root("t".into())]);
    }
    let mut b = Doc::new(actor(2));
    sync(&mut a, &mut b);
    b.get_text("t").insert(2, "!").unwrap();
    b.get_text("t").delete(0, 1).unwrap();
    b.commit(None);
    sync(&mut b, &mut a);
    let seen = events.borrow();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].origin, Origin::Remote);
    assert_eq!(
        seen[1].patches,
        vec![
            Patch {
                container: ContainerId::root("t", ContainerKind::Text),
                path: vec![PathElem::Root("t".into())],
                action: PatchAction::TextInsert {
                    index: 2,
                    index_utf16: 3,
                    text: "!".into()
                },
            },
            Patch {
                container: ContainerId::root("t", ContainerKind::Text),
                path: vec![PathElem::Root("t".into())],
                action: PatchAction::TextDelete {
                    index: 0,
                    len: 1,
                    index_utf16: 0,
                    len_utf16: 1
                },
            },
        ]
    );
}

#[test]
fn keystroke_commits_coalesce_until_sealed() {
    let mut a = Doc::new(actor(1));
    for (i, c) in "hello".chars().enumerate() {
        a.get_text("t").insert(i, &c.to_string()).unwrap();
        a.commit(None);
    }
    assert_eq!(a.change_count(), 1);
    let exported = a.changes_since(&VersionVector::new());
    assert_eq!(exported[0].ops.len(), 1, "typing is one insert op");
    a.get_text("t").insert(5, "!").unwrap();
    a.commit(None);
    assert_eq!(a.change_count(), 2, "export sealed the first change");
    a.get_text("t").insert(6, "?").unwrap();
    a.commit(Some("done"));
    assert_eq!(
        a.change_count(),
        3,
        "a message starts and seals its own change"
    );
}

#[test]
fn read_only_and_kind_errors() {
    let mut doc = Doc::new(actor(1));
    let id = doc
        .get_map("m")
        .set_container("c", ContainerKind::List)
        .unwrap();
    assert!(matches!(doc.map(&id), Err(DocError::WrongKind { .. })));
    let missing = ContainerId::Child {
        op: OpId::new(77, actor(3)),
        kind: ContainerKind::Map,
    };
    assert!(matches!(doc.map(&missing), Err(DocError::UnknownContainer)));
}

#[test]
fn version_vector_at_heads_exports_what_a_replica_there_lacks() {
    let mut a = Doc::new(actor(1));
    a.get_text("t").insert(0, "one").unwrap();
    a.commit(Some("first"));
    let old_heads = a.heads();
    let mut b = a.view(&old_heads).unwrap().fork(actor(2));
    a.get_text("t").insert(3, " two").unwrap();
    a.commit(Some("second"));
    let since = a.version_vector_at(&old_heads).unwrap();
    assert_eq!(since.get(&actor(1)), 1);
    let new_heads = a.heads();
    assert_eq!(a.version_vector_at(&new_heads).unwrap().get(&actor(1)), 2);
    let report = b.import_changes(&a.export_changes(&since)).unwrap();
    assert_eq!((report.applied, report.pending), (1, 0));
    assert_eq!(b.get_text("t").to_string(), "one two");
    let unknown = ChangeHash([9; 32]);
    assert_eq!(
        a.version_vector_at(&[unknown]),
        Err(DocError::UnknownChange(unknown))
    );
}

#[test]
fn a_refused_import_keeps_its_typed_apply_error() {
    let mut a = Doc::new(actor(1));
    a.get_text("t").insert(0, "x").unwrap();
    a.commit(None);
    let bytes = a.export_changes(&VersionVector::new());
    let heads = a.heads();
    let mut view = a.view(&heads).unwrap();
    let Err(crate::DecodeError::Rejected(ApplyError::Invalid { .. })) = view.import_changes(&bytes)
    else {
        panic!("a read-only view refuses imports with a typed error");
    };
}

/// The update of one new local change is built from the canonical bytes kept when it was
/// sealed; it must be exactly what the general batch encoder writes for it, for every kind of
/// operation, with dependencies on other authors, messages, signatures and encryption around.
#[test]
fn one_change_export_equals_the_general_encoding() {
    fn check(doc: &mut Doc, since: &mut VersionVector) -> Vec<u8> {
        let update = doc.export_unsigned(since);
        // `since` lacks only local changes: the local-only export is the same.
        let seq = since.get(&doc.actor());
        assert_eq!(doc.export_local_unsigned(seq), update);
        // `changes_since` signs what it exports; the update was unsigned.
        let mut changes = doc.changes_since(since);
        assert_eq!(changes.len(), 1);
        changes[0].signature = None;
        let hashes = [changes[0].hash()];
        let general =
            crate::encoding::encode_chunk(crate::encoding::ChunkType::Changes, &changes, &hashes);
        assert_eq!(update, general);
        *since = doc.version().clone();
        update
    }
    for (identity, key) in [
        (None, None),
        (Some(crate::Identity::from_secret_key([7; 32])), None),
        (None, Some(crate::auth::DocumentKey([9; 32]))),
    ] {
        let mut a = match identity {
            Some(identity) => Doc::with_identity(identity),
            None => Doc::new(actor(1)),
        };
        a.set_document_key(key.clone());
        let mut since = VersionVector::new();
        a.get_text("t").insert(0, "héllo 😀").unwrap();
        a.commit(None);
        check(&mut a, &mut since);
        // A body long enough to be deflated.
        let long: String = (0..3000u32)
            .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
            .collect();
        a.get_text("t").insert(3, &long).unwrap();
        a.commit(None);
        let deflated = check(&mut a, &mut since);
        // (An encrypted payload does not compress: stored.)
        assert_eq!(deflated[6], u8::from(key.is_none()), "the body is deflated");
        a.get_text("t").delete(1, 3).unwrap();
        a.commit(Some("a message"));
        check(&mut a, &mut since);
        let mut b = a.fork(actor(2));
        b.get_map("m").set("k", Value::I64(-5)).unwrap();
        b.get_list("l").push(Value::Str("x".into())).unwrap();
        b.get_counter("c").increment(3).unwrap();
        b.commit(None);
        let from_b = b.changes_since(a.version());
        a.apply_changes(from_b).unwrap();
        a.get_map("m").set("k", Value::Bool(true)).unwrap();
        a.get_set("s").add(Value::F64(1.5)).unwrap();
        a.get_register("r").set(Value::Null).unwrap();
        a.get_text("t").insert(0, "ab").unwrap();
        a.commit(None);
        since.set(actor(2), b.version().get(&actor(2)));
        // The export after an exported signed burst: still the same bytes.
        let signed = a.export_changes(&since);
        assert!(!signed.is_empty());
        a.get_text("t").insert(2, "c").unwrap();
        a.commit(None);
        let mut local_only = a.version().clone();
        local_only.set(a.actor(), a.version().get(&a.actor()) - 1);
        check(&mut a, &mut local_only);
    }
}

#[test]
fn commit_sealed_returns_the_hash_of_the_new_head() {
    let mut a = Doc::new(actor(1));
    assert_eq!(a.commit_sealed(None), None);
    let mut b = a.fork(actor(2));
    // A commit without a message extends the open change; one with a message seals it first
    // and makes its own.
    let cases = [(None, 1), (Some("second"), 3), (None, 4)];
    for (i, (message, seq)) in cases.into_iter().enumerate() {
        a.get_text("t").insert(0, "x").unwrap();
        // Edits committed without sealing first: `commit_sealed` seals what they went into.
        a.commit(None);
        a.get_text("t").insert(0, "y").unwrap();
        let hash = a.commit_sealed(message).unwrap();
        assert_eq!(a.heads(), vec![hash]);
        let last = a.history().last().unwrap().clone();
        assert_eq!((last.hash, last.seq), (hash, seq));
        // A concurrent change merged in: the next local change depends on both heads.
        b.get_map("m").set("k", Value::I64(i as i64)).unwrap();
        b.commit(None);
        let from_b = b.changes_since(a.version());
        a.apply_changes(from_b).unwrap();
        assert_eq!(a.heads().len(), 2);
    }
    assert_eq!(a.commit_sealed(Some("nothing pending")), None);
}

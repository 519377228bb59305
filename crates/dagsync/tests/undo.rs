//! Undo and redo: the local actor's own edits only, as new operations, keeping remote edits.

use std::cell::Cell;

use dagsync::{ActorId, ContainerKind, Doc, Item, UndoConfig, Value};

fn alice() -> Doc {
    let mut doc = Doc::new(ActorId([1; 32]));
    doc.enable_undo(UndoConfig::default());
    doc
}

/// Sends `from`'s changes to `to` (one direction).
fn send(from: &mut Doc, to: &mut Doc) {
    let changes = from.changes_since(to.version());
    to.apply_changes(changes).expect("apply");
}

fn text(doc: &mut Doc) -> String {
    doc.get_text("t").to_string()
}

fn type_at(doc: &mut Doc, index: usize, s: &str) {
    doc.get_text("t").insert(index, s).expect("insert");
    doc.commit(None);
    doc.stop_capturing();
}

#[test]
fn undo_and_redo_walk_the_local_steps() {
    let mut a = alice();
    type_at(&mut a, 0, "hello");
    type_at(&mut a, 5, " world");
    assert!(a.can_undo() && !a.can_redo());
    let step = a.undo().expect("undo").expect("a step");
    assert_eq!(text(&mut a), "hello");
    assert_eq!(step.index, Some(5), "where the caret goes");
    a.undo().expect("undo");
    assert_eq!(text(&mut a), "");
    assert_eq!(a.undo().expect("nothing left"), None);
    a.redo().expect("redo");
    assert_eq!(text(&mut a), "hello");
    a.redo().expect("redo");
    assert_eq!(text(&mut a), "hello world");
    assert!(!a.can_redo());
    // A new edit after an undo empties the redo stack.
    a.undo().expect("undo");
    type_at(&mut a, 5, "!");
    assert!(!a.can_redo());
    assert_eq!(text(&mut a), "hello!");
}

#[test]
fn undo_keeps_remote_text_typed_in_between() {
    let mut a = alice();
    type_at(&mut a, 0, "hello");
    let mut b = a.fork(ActorId([2; 32]));
    b.get_text("t").insert(2, "XY").expect("insert");
    b.commit(None);
    send(&mut b, &mut a);
    assert_eq!(text(&mut a), "heXYllo");
    a.undo().expect("undo");
    assert_eq!(text(&mut a), "XY", "only alice's characters go");
    send(&mut a, &mut b);
    assert_eq!(text(&mut b), "XY");
}

#[test]
fn undoing_a_delete_restores_the_text_where_it_was() {
    let mut a = alice();
    type_at(&mut a, 0, "one two three");
    a.get_text("t").delete(3, 4).expect("delete ' two'");
    a.commit(None);
    let mut b = a.fork(ActorId([2; 32]));
    b.get_text("t").insert(0, ">> ").expect("insert");
    b.commit(None);
    send(&mut b, &mut a);
    assert_eq!(text(&mut a), ">> one three");
    let step = a.undo().expect("undo").expect("a step");
    assert_eq!(text(&mut a), ">> one two three");
    assert_eq!(step.index, Some(10));
    a.redo().expect("redo");
    assert_eq!(text(&mut a), ">> one three");
}

#[test]
fn map_overwrites_undo_to_the_previous_value_unless_someone_wrote_since() {
    let mut a = alice();
    a.get_map("m").set("k", 1i64).expect("set");
    a.commit(None);
    a.stop_capturing();
    a.get_map("m").set("k", 2i64).expect("set");
    a.commit(None);
    a.undo().expect("undo");
    assert_eq!(a.get_map("m").get("k"), Some(Item::Value(Value::I64(1))));
    a.redo().expect("redo");
    assert_eq!(a.get_map("m").get("k"), Some(Item::Value(Value::I64(2))));
    // Bob overwrites the key after alice: alice's undo leaves bob's value.
    let mut b = a.fork(ActorId([2; 32]));
    b.get_map("m").set("k", 3i64).expect("set");
    b.commit(None);
    send(&mut b, &mut a);
    a.undo().expect("undo");
    assert_eq!(a.get_map("m").get("k"), Some(Item::Value(Value::I64(3))));
    // Undoing the first write (key was absent before) deletes the key... which bob owns now.
    a.undo().expect("undo");
    assert_eq!(a.get_map("m").get("k"), Some(Item::Value(Value::I64(3))));
}

#[test]
fn counters_and_sets_undo_only_the_local_contribution() {
    let mut a = alice();
    let mut b = a.fork(ActorId([2; 32]));
    a.get_counter("n").increment(5).expect("add");
    a.get_set("s").add("x").expect("add");
    a.commit(None);
    b.get_counter("n").increment(3).expect("add");
    b.get_set("s").add("x").expect("add");
    b.commit(None);
    send(&mut b, &mut a);
    a.undo().expect("undo");
    assert_eq!(a.get_counter("n").value(), 3);
    assert!(
        a.get_set("s").has(&Value::from("x")),
        "bob's add of the same value stays"
    );
    send(&mut a, &mut b);
    assert_eq!(b.to_json(), a.to_json());
}

#[test]
fn a_list_move_undoes_to_the_original_order() {
    let mut a = alice();
    for (i, v) in ["a", "b", "c"].into_iter().enumerate() {
        a.get_list("l").insert(i, v).expect("insert");
    }
    a.commit(None);
    a.stop_capturing();
    // Move "a" to the end: delete and insert in one transaction.
    a.get_list("l").delete(0, 1).expect("delete");
    a.get_list("l").insert(2, "a").expect("insert");
    a.commit(None);
    assert_eq!(a.to_json().to_string(), r#"{"l":["b","c","a"]}"#);
    a.undo().expect("undo");
    assert_eq!(a.to_json().to_string(), r#"{"l":["a","b","c"]}"#);
}

#[test]
fn others_changes_are_never_undone_and_scope_limits_what_is() {
    let mut a = Doc::new(ActorId([1; 32]));
    let scope = vec![a.get_text("t").id()];
    a.enable_undo(UndoConfig {
        capture_ms: 500,
        scope: Some(scope),
    });
    let mut b = a.fork(ActorId([2; 32]));
    type_at(&mut b, 0, "bob's");
    send(&mut b, &mut a);
    assert!(!a.can_undo(), "remote edits are not alice's to undo");
    a.get_map("m").set("k", "v").expect("set");
    a.commit(None);
    assert!(!a.can_undo(), "the map is out of scope");
    type_at(&mut a, 5, " and alice's");
    a.undo().expect("undo");
    assert_eq!(text(&mut a), "bob's");
    assert_eq!(a.get_map("m").get("k"), Some(Item::Value(Value::from("v"))));
}

thread_local! {
    static NOW: Cell<u64> = const { Cell::new(1_000) };
}

fn now() -> u64 {
    NOW.with(Cell::get)
}

#[test]
fn edits_within_the_capture_interval_form_one_step() {
    let mut a = Doc::new(ActorId([1; 32]));
    a.set_time_source(now);
    a.enable_undo(UndoConfig {
        capture_ms: 300,
        scope: None,
    });
    for (i, ch) in "abc".chars().enumerate() {
        NOW.with(|n| n.set(1_000 + 100 * i as u64));
        a.get_text("t").insert(i, &ch.to_string()).expect("insert");
        a.commit(None);
    }
    NOW.with(|n| n.set(5_000));
    a.get_text("t").insert(3, "d").expect("insert");
    a.commit(None);
    a.undo().expect("undo");
    assert_eq!(text(&mut a), "abc", "the late keystroke is its own step");
    a.undo().expect("undo");
    assert_eq!(text(&mut a), "", "the quick keystrokes went together");
}

#[test]
fn a_replaced_nested_container_comes_back_with_its_contents() {
    let mut a = alice();
    let inner = a
        .get_map("m")
        .set_container("profile", ContainerKind::Map)
        .expect("container");
    a.map(&inner).expect("map").set("name", "Ada").expect("set");
    let list = a
        .map(&inner)
        .expect("map")
        .set_container("tags", ContainerKind::List)
        .expect("list");
    a.list(&list).expect("list").insert(0, "x").expect("insert");
    a.commit(None);
    a.stop_capturing();
    let before = a.to_json();
    a.get_map("m").set("profile", "gone").expect("overwrite");
    a.commit(None);
    a.undo().expect("undo");
    assert_eq!(a.to_json(), before);
}

/// Random interleavings: alice (lowercase) types and deletes anywhere, bob (uppercase) only
/// types, both sync now and then. Undoing all of alice's steps leaves exactly bob's text;
/// redoing them all gives back the text from before the undos.
#[test]
fn undoing_everything_leaves_exactly_the_others_text() {
    use dagsync_fuzz::Rng;
    for seed in 0..40u64 {
        let mut rng = Rng::new(seed);
        let mut a = alice();
        let mut b = a.fork(ActorId([2; 32]));
        let mut bob_chars = 0usize;
        for _ in 0..60 {
            match rng.below(5) {
                0 | 1 => {
                    let len = a.get_text("t").len();
                    let at = rng.below(len as u64 + 1) as usize;
                    let ch = char::from(b'a' + rng.below(26) as u8);
                    a.get_text("t").insert(at, &ch.to_string()).expect("insert");
                    a.commit(None);
                    if rng.below(3) == 0 {
                        a.stop_capturing();
                    }
                }
                2 => {
                    let len = a.get_text("t").len();
                    if len > 0 {
                        let at = rng.below(len as u64) as usize;
                        let n = 1 + rng.below((len - at).min(3) as u64) as usize;
                        a.get_text("t").delete(at, n).expect("delete");
                        a.commit(None);
                        a.stop_capturing();
                    }
                }
                3 => {
                    let len = b.get_text("t").len();
                    let at = rng.below(len as u64 + 1) as usize;
                    let ch = char::from(b'A' + rng.below(26) as u8);
                    b.get_text("t").insert(at, &ch.to_string()).expect("insert");
                    b.commit(None);
                    bob_chars += 1;
                }
                _ => {
                    send(&mut a, &mut b);
                    send(&mut b, &mut a);
                }
            }
        }
        send(&mut b, &mut a);
        let before = text(&mut a);
        while a.can_undo() {
            a.undo().expect("undo");
        }
        let after = text(&mut a);
        assert!(
            after.chars().all(|c| c.is_ascii_uppercase()),
            "seed {seed}: {after:?}"
        );
        assert_eq!(after.chars().count(), bob_chars, "seed {seed}: {after:?}");
        while a.can_redo() {
            a.redo().expect("redo");
        }
        assert_eq!(text(&mut a), before, "seed {seed}");
        send(&mut a, &mut b);
        assert_eq!(text(&mut b), before, "seed {seed}");
    }
}

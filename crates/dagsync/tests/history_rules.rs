//! The rules that span changes: author chains, sequence numbers, counters, the causal buffer.

#![allow(clippy::unwrap_used)] // a test fails loudly on purpose

use dagsync::clock::VersionVector;
use dagsync::{ActorId, ApplyError, Change, Doc};

fn two_changes() -> (Change, Change) {
    let mut a = Doc::new(ActorId([1; 32]));
    a.get_text("t").insert(0, "ab").unwrap();
    a.commit(Some("one"));
    a.get_text("t").insert(2, "cd").unwrap();
    a.commit(Some("two"));
    let mut changes = a.changes_since(&VersionVector::new());
    let second = changes.pop().unwrap();
    (changes.pop().unwrap(), second)
}

fn refused(result: Result<dagsync::ApplyReport, ApplyError>, what: &str) {
    match result {
        Err(ApplyError::Invalid { what: w, .. }) => assert!(w.contains(what), "{w}"),
        other => panic!("expected refusal ({what}), got {other:?}"),
    }
}

#[test]
fn a_change_must_descend_from_its_authors_previous_change() {
    let (first, mut second) = two_changes();
    second.deps.clear();
    let mut b = Doc::new(ActorId([2; 32]));
    refused(
        b.apply_changes([first.clone(), second.clone()]),
        "previous change is not among its ancestors",
    );
    assert_eq!(b.change_count(), 0, "nothing applied");
    b.apply_changes([first]).unwrap();
    refused(
        b.apply_changes([second]),
        "previous change is not among its ancestors",
    );
    assert_eq!(b.change_count(), 1);
}

#[test]
fn counters_must_exceed_the_dependencies() {
    let (first, mut second) = two_changes();
    second.start_op = 1;
    let mut b = Doc::new(ActorId([2; 32]));
    refused(b.apply_changes([first, second]), "counters");
}

#[test]
fn sequence_gaps_and_duplicates_are_refused() {
    let (first, second) = two_changes();
    let mut gap = second.clone();
    gap.seq = 3;
    let mut b = Doc::new(ActorId([2; 32]));
    refused(b.apply_changes([first.clone(), gap]), "sequence gap");
    let mut twin = second.clone();
    twin.message = Some("a different second change".to_owned());
    refused(b.apply_changes([first, second, twin]), "sequence number");
    assert_eq!(b.change_count(), 0);
}

#[test]
fn missing_dependencies_wait_then_apply() {
    let (first, second) = two_changes();
    let mut b = Doc::new(ActorId([2; 32]));
    let report = b.apply_changes([second.clone()]).unwrap();
    assert_eq!((report.applied, report.pending), (0, 1));
    let report = b.apply_changes([second]).unwrap();
    assert_eq!(
        (report.applied, report.pending),
        (0, 1),
        "a duplicate is a no-op"
    );
    let report = b.apply_changes([first]).unwrap();
    assert_eq!((report.applied, report.pending), (2, 0));
    assert_eq!(b.get_text("t").to_string(), "abcd");
}

#[test]
fn long_chains_plan_in_linear_time() {
    // 20,000 sealed changes applied in reverse order: the planner must not be quadratic.
    let mut a = Doc::new(ActorId([1; 32]));
    for i in 0..20_000u64 {
        a.get_counter("n").increment(1).unwrap();
        a.commit(Some(if i % 2 == 0 { "even" } else { "odd" }));
    }
    let mut changes = a.changes_since(&VersionVector::new());
    changes.reverse();
    let mut b = Doc::new(ActorId([2; 32]));
    let report = b.apply_changes(changes).unwrap();
    assert_eq!((report.applied, report.pending), (20_000, 0));
    assert_eq!(b.get_counter("n").value(), 20_000);
}

#[test]
fn long_map_histories_validate_in_linear_time() {
    // Every change overwrites one key, so each names its predecessor's operation.
    let mut a = Doc::new(ActorId([1; 32]));
    for i in 0..20_000i64 {
        a.get_map("m").set("k", i).unwrap();
        a.commit(Some("set"));
    }
    let bytes = a.save();
    let b = Doc::load(&bytes, ActorId([2; 32])).unwrap();
    assert_eq!(b.to_json(), a.to_json());
    assert_eq!(b.change_count(), 20_000);
}

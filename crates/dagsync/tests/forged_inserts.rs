//! Inserts whose origins were not neighbours when they were made. Honest replicas always name
//! the items right before and after the new ones (tombstones included); the ordering rule
//! relies on it, so an insert that skips items would be placed differently depending on the
//! order changes arrive in. Every replica refuses such a change, whatever the order, and a
//! refusal changes nothing.

use dagsync::clock::OpId;
use dagsync::{ActorId, ApplyError, Change, Doc, InsertContent, OpAction};

fn actor(n: u8) -> ActorId {
    ActorId([n; 32])
}

/// The single insert of `change`'s first op, as `(origin_left, origin_right)`.
fn origins_mut(change: &mut Change) -> (&mut Option<OpId>, &mut Option<OpId>) {
    match &mut change.ops[0].action {
        OpAction::Insert {
            origin_left,
            origin_right,
            content: InsertContent::Text(_),
        } => (origin_left, origin_right),
        other => panic!("expected a text insert, got {other:?}"),
    }
}

/// A base change writing "base", two honest concurrent inserts at the start and the end, and
/// a forged insert at the start whose origin-right skips to the "e" of "base".
fn scenario() -> (Change, Change, Change, Change) {
    let mut a = Doc::new(actor(1));
    a.get_text("t").insert(0, "base").expect("insert");
    a.commit(None);
    let base = a.changes_since(&Default::default()).remove(0);
    let edit = |n: u8, index: usize, text: &str| {
        let mut doc = Doc::new(actor(n));
        doc.apply_changes([base.clone()]).expect("base applies");
        let before = doc.version().clone();
        doc.get_text("t").insert(index, text).expect("insert");
        doc.commit(None);
        doc.changes_since(&before).remove(0)
    };
    let start = edit(2, 0, "x");
    let end = edit(3, 4, "y");
    let mut forged = edit(4, 0, "z");
    let (left, right) = origins_mut(&mut forged);
    assert_eq!(*left, None);
    let e = OpId::new(
        right.expect("honest origin-right: 'b'").counter + 3,
        actor(1),
    );
    *right = Some(e);
    (base, start, end, forged)
}

fn is_origin_refusal(e: &ApplyError) -> bool {
    e.to_string().contains("origins were not neighbours")
}

#[test]
fn a_forged_insert_is_refused_in_every_arrival_order() {
    let (base, start, end, forged) = scenario();
    let changes = [base, start, end, forged];
    let mut outcomes = std::collections::BTreeSet::new();
    // All 24 orders, one change per call. The forged change is refused when it is given, or,
    // when it came before the base and waited for it, dropped from the buffer.
    let mut order = [0usize, 1, 2, 3];
    let mut count = 0;
    permute(&mut order, 0, &mut |order| {
        count += 1;
        let mut doc = Doc::new(actor(9));
        let mut refused = 0;
        for &i in order {
            let before = (doc.to_json(), doc.heads());
            match doc.apply_changes([changes[i].clone()]) {
                // Buffered while its dependency was missing, dropped once it arrived.
                Ok(report) => refused += report.rejected,
                Err(e) => {
                    assert!(is_origin_refusal(&e), "{e}");
                    assert_eq!(
                        (doc.to_json(), doc.heads()),
                        before,
                        "a refusal changes nothing"
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!(
            refused, 1,
            "the forged change is refused once, in order {order:?}"
        );
        outcomes.insert(doc.to_json().to_string());
    });
    assert_eq!(count, 24);
    assert_eq!(outcomes.len(), 1, "{outcomes:#?}");
    assert!(
        outcomes.iter().next().unwrap().contains("xbasey"),
        "{outcomes:?}"
    );
}

fn permute(items: &mut [usize; 4], k: usize, visit: &mut impl FnMut(&[usize; 4])) {
    if k == items.len() {
        visit(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, visit);
        items.swap(k, i);
    }
}

#[test]
fn a_batch_failing_half_applied_is_rolled_back() {
    let (base, start, end, forged) = scenario();
    let mut doc = Doc::new(actor(9));
    doc.apply_changes([base]).expect("base applies");
    doc.get_text("local").insert(0, "mine").expect("local edit");
    doc.commit(None);
    let events = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = events.clone();
    doc.subscribe(move |_| seen.set(seen.get() + 1));
    let before = (doc.to_json(), doc.heads(), doc.change_count());
    // The forged change depends on an honest one of the same batch, so it can only be
    // checked once that one applied: it fails while being applied, after the honest ones.
    let mut forged = forged;
    forged.deps = vec![start.hash()];
    forged.start_op += 10;
    let e = doc
        .apply_changes([start.clone(), end.clone(), forged])
        .expect_err("the batch is refused");
    assert!(is_origin_refusal(&e), "{e}");
    assert_eq!((doc.to_json(), doc.heads(), doc.change_count()), before);
    assert_eq!(events.get(), 0, "no event for a refused batch");
    // The document still works: local edits, the honest changes, the subscriber.
    doc.get_text("local").insert(4, "!").expect("local edit");
    doc.commit(None);
    doc.apply_changes([start, end])
        .expect("honest changes apply");
    assert_eq!(doc.get_text("t").to_string(), "xbasey");
    assert_eq!(doc.get_text("local").to_string(), "mine!");
    assert!(events.get() >= 2);
    let reloaded = Doc::load(&doc.save(), actor(10)).expect("snapshot loads");
    assert_eq!(reloaded.to_json(), doc.to_json());
}

#[test]
fn an_insert_skipping_items_of_its_own_batch_is_refused() {
    let (base, _, _, forged) = scenario();
    let mut doc = Doc::new(actor(9));
    let e = doc
        .apply_changes([base, forged])
        .expect_err("the skipped items arrive in the same batch");
    assert!(is_origin_refusal(&e), "{e}");
    assert_eq!(doc.change_count(), 0);
    assert!(doc.heads().is_empty());
}

#[test]
fn an_origin_right_before_the_origin_left_is_refused() {
    let (base, _, _, mut forged) = scenario();
    let (left, right) = origins_mut(&mut forged);
    let e_id = right.expect("forged origin-right");
    *left = Some(e_id);
    *right = Some(OpId::new(e_id.counter - 3, e_id.actor));
    let mut doc = Doc::new(actor(9));
    doc.apply_changes([base]).expect("base applies");
    let e = doc.apply_changes([forged]).expect_err("refused");
    assert!(is_origin_refusal(&e), "{e}");
    assert_eq!(doc.get_text("t").to_string(), "base");
}

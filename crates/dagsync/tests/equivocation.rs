//! Equivocation kept as branches: an author who signs two different changes with one sequence
//! number (one key on two devices that never synced, or a malicious one) has forked their
//! history. Every honest peer keeps both branches, reports the evidence, and converges with
//! the others whatever order the changes came in.

use dagsync::{ActorId, Change, Doc, Identity};
use proptest::prelude::*;

fn identity(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

fn append(doc: &mut Doc, text: &str, message: &str) {
    let len = doc.get_text("t").len();
    doc.get_text("t").insert(len, text).expect("insert");
    doc.commit(Some(message));
}

/// Alice's key on a phone and a laptop that synced once, then both wrote changes 2 and 3
/// (text, a map key both set, a list) on their own. Returns (phone, laptop, phone's branch,
/// laptop's branch), each branch signed.
fn forked_author() -> (Doc, Doc, Vec<Change>, Vec<Change>) {
    let mut phone = Doc::with_identity(identity(1));
    append(&mut phone, "base ", "base");
    let base = phone.version().clone();
    let mut laptop = Doc::with_identity(identity(1));
    laptop
        .import_changes(&phone.export_changes(&Default::default()))
        .expect("import");
    for (doc, name) in [(&mut phone, "phone"), (&mut laptop, "laptop")] {
        append(doc, &format!("{name} one;"), "one");
        // Exporting signs the latest change: each change here carries its own signature.
        doc.changes_since(&base);
        doc.get_map("m").set("device", name).expect("set");
        doc.get_list("l").push(name).expect("push");
        append(doc, &format!("{name} two;"), "two");
    }
    let phone_branch = phone.changes_since(&base);
    let laptop_branch = laptop.changes_since(&base);
    assert_eq!(phone_branch.len(), 2);
    assert_eq!(phone_branch[0].seq, laptop_branch[0].seq);
    assert_ne!(phone_branch[0].hash(), laptop_branch[0].hash());
    (phone, laptop, phone_branch, laptop_branch)
}

fn base_of(phone: &mut Doc) -> Vec<Change> {
    let all = phone.changes_since(&Default::default());
    all.into_iter().filter(|c| c.seq == 1).collect()
}

/// A peer's view: its JSON, its heads (sorted) and the evidence (as unordered pairs).
fn view(doc: &mut Doc) -> (String, Vec<dagsync::ChangeHash>, Option<(ActorId, u64)>) {
    let mut heads = doc.heads();
    heads.sort();
    // Which pairs a peer catches depends on the order changes came in; the first number
    // claimed twice does not.
    let first = doc.equivocations().iter().map(|e| (e.actor, e.seq)).min();
    (doc.to_json().to_string(), heads, first)
}

#[test]
fn branches_received_in_any_order_converge() {
    let (mut phone, _laptop, phone_branch, laptop_branch) = forked_author();
    let base = base_of(&mut phone);
    let peer = |n: u8| {
        let mut doc = Doc::with_identity(identity(n));
        doc.apply_changes(base.clone()).expect("base");
        doc
    };
    let (mut bob, mut carol, mut dave) = (peer(2), peer(3), peer(4));
    bob.apply_changes(phone_branch.clone()).expect("phone");
    bob.apply_changes(laptop_branch.clone()).expect("laptop");
    carol.apply_changes(laptop_branch.clone()).expect("laptop");
    carol.apply_changes(phone_branch.clone()).expect("phone");
    // Both branches in one batch, interleaved.
    let mut both: Vec<Change> = laptop_branch.iter().chain(&phone_branch).cloned().collect();
    both.reverse();
    dave.apply_changes(both).expect("both");
    let expected = view(&mut bob);
    assert_eq!(expected.1.len(), 2, "one head per branch");
    assert_eq!(expected.2, Some((identity(1).actor(), 2)), "the fork");
    for text in ["phone one;", "phone two;", "laptop one;", "laptop two;"] {
        assert!(expected.0.contains(text), "{} lacks {text}", expected.0);
    }
    assert_eq!(view(&mut carol), expected);
    assert_eq!(view(&mut dave), expected);
    // What a forked document saves and exports loads back the same, hashes intact.
    let mut loaded = Doc::load(&bob.save(), ActorId([9; 32])).expect("load");
    assert_eq!(view(&mut loaded), expected);
    let mut erin = Doc::new(ActorId([5; 32]));
    erin.import_changes(&carol.export_changes(&Default::default()))
        .expect("import");
    assert_eq!(view(&mut erin), expected);
    // The history names the author, not the internal lanes.
    let authors: std::collections::BTreeSet<ActorId> =
        bob.history().into_iter().map(|e| e.actor).collect();
    assert_eq!(
        authors.into_iter().collect::<Vec<_>>(),
        vec![identity(1).actor()]
    );
}

#[test]
fn honest_edits_on_either_branch_survive_and_converge() {
    let (mut phone, _laptop, phone_branch, laptop_branch) = forked_author();
    let base = base_of(&mut phone);
    let mut bob = Doc::with_identity(identity(2));
    let mut carol = Doc::with_identity(identity(3));
    bob.apply_changes(base.clone()).expect("base");
    carol.apply_changes(base).expect("base");
    bob.apply_changes(phone_branch.clone()).expect("phone");
    carol.apply_changes(laptop_branch.clone()).expect("laptop");
    // Each edits inside the branch it saw: inserts after, and deletes, the author's text.
    let (b0, c0) = (bob.version().clone(), carol.version().clone());
    bob.get_text("t").insert(8, "[bob]").expect("insert");
    bob.get_text("t").delete(5, 2).expect("delete");
    bob.get_map("m").set("device", "bob's").expect("set");
    bob.commit(Some("bob"));
    carol.get_text("t").insert(9, "[carol]").expect("insert");
    carol.get_text("t").delete(5, 3).expect("delete");
    carol.get_list("l").delete(0, 1).expect("delete");
    carol.commit(Some("carol"));
    let from_bob = bob.changes_since(&b0);
    let from_carol = carol.changes_since(&c0);
    bob.apply_changes(laptop_branch.clone()).expect("laptop");
    bob.apply_changes(from_carol.clone()).expect("carol");
    carol.apply_changes(from_bob.clone()).expect("bob");
    carol.apply_changes(phone_branch.clone()).expect("phone");
    let expected = view(&mut bob);
    assert_eq!(view(&mut carol), expected);
    assert!(expected.0.contains("[bob]") && expected.0.contains("[carol]"));
    // Now one who holds both branches edits right after text of each branch: everyone
    // resolves those references the same way.
    let before = bob.version().clone();
    let text = bob.get_text("t").to_string();
    let mut spots: Vec<usize> = ["laptop two;", "phone two;"]
        .iter()
        .map(|needle| {
            text[..text.find(needle).expect("present") + needle.len()]
                .chars()
                .count()
        })
        .collect();
    spots.sort_unstable();
    for at in spots.into_iter().rev() {
        bob.get_text("t").insert(at, "!").expect("insert");
    }
    bob.get_text("t").delete(0, 2).expect("delete");
    bob.commit(Some("after both"));
    carol
        .apply_changes(bob.changes_since(&before))
        .expect("bob again");
    let mut dave = Doc::new(ActorId([4; 32]));
    dave.import_changes(&carol.export_changes(&Default::default()))
        .expect("all");
    let expected = view(&mut bob);
    assert_eq!(view(&mut carol), expected);
    assert_eq!(view(&mut dave), expected);
    assert!(expected.0.contains("laptop two;!") && expected.0.contains("phone two;!"));
}

#[test]
fn a_change_claiming_a_taken_number_without_the_authors_key_is_refused() {
    let (mut phone, _laptop, phone_branch, laptop_branch) = forked_author();
    let base = base_of(&mut phone);
    let mut bob = Doc::with_identity(identity(2));
    bob.apply_changes(base).expect("base");
    bob.apply_changes(phone_branch).expect("phone");
    let before = view(&mut bob);
    // Unsigned, and signed by someone else: no evidence against the author, nothing kept.
    let mut forged = laptop_branch.clone();
    for c in &mut forged {
        c.signature = None;
    }
    assert!(bob.apply_changes(forged.clone()).is_err());
    forged[1].signature = Some(identity(3).sign(&forged[1].hash()));
    assert!(bob.apply_changes(forged).is_err());
    assert_eq!(view(&mut bob), before);
    assert!(bob.equivocations().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Three peers get the author's two branches and two honest peers' edits made on top of
    /// either branch, one change at a time in random orders: they all converge.
    #[test]
    fn any_delivery_order_converges(seeds in proptest::collection::vec(any::<u64>(), 3)) {
        let (mut phone, _laptop, phone_branch, laptop_branch) = forked_author();
        let base = base_of(&mut phone);
        let mut all: Vec<Change> = base.clone();
        all.extend(phone_branch.iter().cloned());
        all.extend(laptop_branch.iter().cloned());
        for (n, branch) in [(6u8, &phone_branch), (7u8, &laptop_branch)] {
            let mut honest = Doc::with_identity(identity(n));
            honest.apply_changes(base.clone()).expect("base");
            honest.apply_changes(branch.clone()).expect("branch");
            let before = honest.version().clone();
            honest.get_text("t").insert(6, "<h>").expect("insert");
            honest.get_text("t").delete(9, 2).expect("delete");
            honest.commit(None);
            all.extend(honest.changes_since(&before));
        }
        let mut views = Vec::new();
        for seed in seeds {
            let mut order = all.clone();
            // A small deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut doc = Doc::with_identity(identity(9));
            for change in order {
                doc.apply_changes([change]).expect("apply");
            }
            prop_assert_eq!(doc.change_count(), all.len());
            views.push(view(&mut doc));
        }
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[1], &views[2]);
    }
}

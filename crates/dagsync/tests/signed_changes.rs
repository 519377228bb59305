//! Signed changes: documents with an identity sign what they seal, receivers that require
//! signatures accept a change only when its author's signature covers it (its own, or a
//! later change's whose hash chain includes it) or when it came straight from its author,
//! and they relay only what others can authenticate.

use dagsync::{ActorId, ApplyError, Change, Doc, Identity};

fn identity(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

/// `doc`'s changes since `before`, after typing `text` at the end of "t" in `commits`
/// commits, each sealed (a commit message seals).
fn type_changes(doc: &mut Doc, text: &str, commits: usize) -> Vec<Change> {
    let before = doc.version().clone();
    let chunk = text.len().div_ceil(commits);
    for (i, piece) in text.as_bytes().chunks(chunk).enumerate() {
        let len = doc.get_text("t").len();
        doc.get_text("t")
            .insert(len, std::str::from_utf8(piece).expect("ascii"))
            .expect("insert");
        doc.commit(Some(&format!("part {i}")));
    }
    doc.changes_since(&before)
}

fn unsigned(mut changes: Vec<Change>) -> Vec<Change> {
    for c in &mut changes {
        c.signature = None;
    }
    changes
}

#[test]
fn one_signature_per_export_covers_every_sealed_change() {
    let mut alice = Doc::with_identity(identity(1));
    assert_eq!(alice.actor(), identity(1).actor());
    let changes = type_changes(&mut alice, "hello world", 3);
    assert_eq!(changes.len(), 3);
    // Commits seal (each has its hash) without signing; the export signs its latest local
    // change, whose hash chain covers the others.
    let signed: Vec<_> = changes.iter().filter(|c| c.signature.is_some()).collect();
    assert_eq!(signed.len(), 1);
    let last = changes.last().expect("three");
    let signature = last.signature.expect("the latest is signed");
    assert!(dagsync::auth::verify_signature(
        &last.actor,
        &last.hash(),
        &signature
    ));
    let mut bob = Doc::with_identity(identity(2));
    let report = bob.apply_changes(changes).expect("authentic changes apply");
    assert_eq!((report.applied, report.pending), (3, 0));
    assert_eq!(bob.get_text("t").to_string(), "hello world");
    // A single change handed out on its own is signed too.
    let before = alice.version().clone();
    alice.get_text("t").insert(0, "> ").expect("insert");
    let id = alice.commit(Some("quote")).expect("a change");
    let single = alice.get_change(&id).expect("it exists");
    assert!(single.signature.is_some());
    assert_eq!(alice.changes_since(&before).len(), 1);
    bob.apply_changes([single]).expect("authenticated");
    assert_eq!(bob.get_text("t").to_string(), "> hello world");
}

#[test]
fn a_forged_signature_is_refused_and_changes_nothing() {
    let mut alice = Doc::with_identity(identity(1));
    let mut changes = type_changes(&mut alice, "abc", 1);
    let mut bob = Doc::with_identity(identity(2));
    changes[0].signature.as_mut().expect("signed").0[3] ^= 0x40;
    let e = bob.apply_changes(changes).expect_err("refused");
    assert!(matches!(e, ApplyError::BadSignature { .. }), "{e}");
    assert_eq!(bob.change_count(), 0);
    assert_eq!(bob.get_text("t").to_string(), "");
}

#[test]
fn a_change_signed_by_someone_else_than_its_author_is_refused() {
    let mut alice = Doc::with_identity(identity(1));
    let mut changes = type_changes(&mut alice, "abc", 1);
    // Mallory signs Alice's change with her own key.
    let hash = changes[0].hash();
    changes[0].signature = Some(identity(3).sign(&hash));
    let mut bob = Doc::with_identity(identity(2));
    let e = bob.apply_changes(changes).expect_err("refused");
    assert!(matches!(e, ApplyError::BadSignature { .. }), "{e}");
}

#[test]
fn an_unsigned_change_claiming_another_author_waits_and_is_never_relayed() {
    // Mallory writes a change in Alice's name: she cannot sign it.
    let mut forger = Doc::new(identity(1).actor());
    let forged = type_changes(&mut forger, "not alice", 1);
    assert!(forged[0].signature.is_none());
    let mut bob = Doc::with_identity(identity(2));
    // Relayed, and even "straight from" Mallory: not from its claimed author.
    let report = bob.apply_changes(forged.clone()).expect("buffered");
    assert_eq!((report.applied, report.pending), (0, 1));
    let report = bob
        .apply_changes_from(forged, &identity(3).actor())
        .expect("buffered");
    assert_eq!((report.applied, report.pending), (0, 1));
    assert_eq!(bob.get_text("t").to_string(), "");
    let mut carol = Doc::with_identity(identity(4));
    carol
        .import_changes(&bob.export_changes(&Default::default()))
        .expect("imports");
    assert_eq!(carol.change_count(), 0);
}

#[test]
fn unsigned_changes_straight_from_their_author_apply_and_are_relayed_once_covered() {
    let mut alice = Doc::with_identity(identity(1));
    let tail = unsigned(type_changes(&mut alice, "live typing", 4));
    let mut bob = Doc::with_identity(identity(2));
    let report = bob
        .apply_changes_from(tail.clone(), &identity(1).actor())
        .expect("from the author");
    assert_eq!((report.applied, report.pending), (4, 0));
    assert_eq!(bob.get_text("t").to_string(), "live typing");
    // Bob does not relay Alice's unsigned tail: Carol could not authenticate it.
    let export = bob.export_changes(&Default::default());
    let mut carol = Doc::with_identity(identity(4));
    carol.import_changes(&export).expect("imports");
    assert_eq!(carol.change_count(), 0);
    assert!(bob.changes_since(&Default::default()).is_empty());
    // Relayed by someone else instead, the same tail waits for a covering signature.
    let mut dave = Doc::with_identity(identity(5));
    let report = dave.apply_changes(tail).expect("buffered");
    assert_eq!((report.applied, report.pending), (0, 4));
    // Alice seals and signs her next burst: it covers the tail.
    let covering = type_changes(&mut alice, "!", 1);
    assert!(covering[0].signature.is_some());
    bob.apply_changes(covering.clone()).expect("signed");
    let report = dave.apply_changes(covering).expect("covers the tail");
    assert_eq!((report.applied, report.pending), (5, 0));
    assert_eq!(dave.get_text("t").to_string(), "live typing!");
    // Now Bob relays all of it.
    carol
        .import_changes(&bob.export_changes(&Default::default()))
        .expect("imports");
    assert_eq!(carol.get_text("t").to_string(), "live typing!");
    assert_eq!(carol.heads(), alice.heads());
}

#[test]
fn one_signature_covers_a_burst_and_altered_earlier_signatures_do_not_matter() {
    let mut alice = Doc::with_identity(identity(1));
    let mut changes = type_changes(&mut alice, "one two three four", 4);
    // Only the last change keeps a signature; an earlier one carries garbage.
    for c in &mut changes[..3] {
        c.signature = None;
    }
    changes[1].signature = Some(dagsync::Signature([9; 64]));
    let mut bob = Doc::with_identity(identity(2));
    let report = bob
        .apply_changes(changes)
        .expect("the last signature covers all");
    assert_eq!((report.applied, report.pending), (4, 0));
    // Bob keeps only signatures he checked, so what he relays verifies everywhere.
    let mut carol = Doc::with_identity(identity(4));
    carol
        .import_changes(&bob.export_changes(&Default::default()))
        .expect("imports");
    assert_eq!(carol.get_text("t").to_string(), "one two three four");
}

#[test]
fn a_forged_change_is_refused_on_arrival_even_before_its_dependencies() {
    let mut alice = Doc::with_identity(identity(1));
    let first = type_changes(&mut alice, "base", 1);
    let second = type_changes(&mut alice, "+", 1);
    let mut forged = second.clone();
    forged[0].signature = Some(dagsync::Signature([7; 64]));
    let mut bob = Doc::with_identity(identity(2));
    // Checked when it arrives, not when its dependency does: it never blocks anything.
    let e = bob.apply_changes(forged).expect_err("refused");
    assert!(matches!(e, ApplyError::BadSignature { .. }), "{e}");
    let report = bob.apply_changes(first).expect("the dependency applies");
    assert_eq!((report.applied, report.pending), (1, 0));
    let report = bob
        .apply_changes(second)
        .expect("the genuine change applies");
    assert_eq!((report.applied, report.pending), (1, 0));
    assert_eq!(bob.get_text("t").to_string(), "base+");
}

#[test]
fn replayed_changes_are_no_ops() {
    let mut alice = Doc::with_identity(identity(1));
    let changes = type_changes(&mut alice, "once", 2);
    let mut bob = Doc::with_identity(identity(2));
    bob.apply_changes(changes.clone()).expect("applies");
    let heads = bob.heads();
    for _ in 0..3 {
        let report = bob.apply_changes(changes.clone()).expect("no-op");
        assert_eq!((report.applied, report.pending), (0, 0));
    }
    assert_eq!(bob.heads(), heads);
    assert_eq!(bob.get_text("t").to_string(), "once");
}

#[test]
fn snapshots_keep_signatures_and_reload() {
    let mut alice = Doc::with_identity(identity(1));
    type_changes(&mut alice, "saved", 2);
    let bytes = alice.save();
    let mut loaded = Doc::load(&bytes, identity(1).actor()).expect("loads");
    loaded.set_identity(identity(1)).expect("same actor");
    assert!(loaded.set_identity(identity(2)).is_err());
    loaded.set_require_signatures(true);
    let mut bob = Doc::with_identity(identity(2));
    bob.import_changes(&loaded.export_changes(&Default::default()))
        .expect("authenticated");
    assert_eq!(bob.get_text("t").to_string(), "saved");
    // A snapshot whose signature was altered does not load.
    let mut changes = alice.changes_since(&Default::default());
    let last = changes.len() - 1;
    changes[last].signature = Some(dagsync::Signature([1; 64]));
    let mut relay = Doc::new(ActorId([9; 32]));
    assert!(relay.apply_changes(changes).is_err());
}

#[test]
fn merge_between_signed_documents_carries_unsigned_commits() {
    let mut alice = Doc::with_identity(identity(1));
    type_changes(&mut alice, "one", 1);
    let mut bob = alice.fork(identity(2).actor());
    bob.set_identity(identity(2)).expect("same actor");
    bob.set_require_signatures(true);
    // Bob seals several commits without exporting them; merging signs the latest.
    for part in [" two", " three"] {
        let len = bob.get_text("t").len();
        bob.get_text("t").insert(len, part).expect("insert");
        bob.commit(Some("part"));
    }
    let report = alice.merge(&mut bob).expect("authenticated");
    assert_eq!((report.applied, report.pending), (2, 0));
    assert_eq!(alice.get_text("t").to_string(), "one two three");
}

#[test]
fn saves_and_exports_carry_one_signature_per_author_however_often_it_signed() {
    // An update exported after every keystroke signs each change; the document keeps them,
    // but what it saves and exports needs only each author's latest signature.
    let mut alice = Doc::with_identity(identity(1));
    let mut bob = Doc::with_identity(identity(2));
    let mut sent = alice.version().clone();
    for i in 0..200 {
        alice.get_text("t").insert(i, "x").expect("insert");
        alice.commit(Some("keystroke"));
        let update = alice.export_changes(&sent);
        sent = alice.version().clone();
        bob.import_changes(&update).expect("each update is signed");
    }
    let signed = alice
        .changes_since(&Default::default())
        .iter()
        .filter(|c| c.signature.is_some())
        .count();
    assert!(
        signed >= 199,
        "{signed} of the changes were signed on their way out"
    );
    let saved = alice.save();
    assert!(
        saved.len() < 200 * 64,
        "{} B: signatures were kept",
        saved.len()
    );
    // Everything still authenticates through the one signature left.
    let mut carol = Doc::with_identity(identity(3));
    let report = carol
        .import_changes(&alice.export_changes(&Default::default()))
        .expect("covered by the latest signature");
    assert_eq!((report.applied, report.pending), (200, 0));
    assert_eq!(carol.get_text("t").to_string(), "x".repeat(200));
    let mut loaded = Doc::load(&saved, ActorId([9; 32])).expect("load");
    assert_eq!(loaded.heads(), bob.heads());
}

#[test]
fn an_author_signing_two_changes_with_one_seq_is_caught_with_both_hashes() {
    // Alice's key on two devices that do not sync: both write change 2.
    let mut phone = Doc::with_identity(identity(1));
    phone.get_text("t").insert(0, "base ").expect("insert");
    phone.commit(Some("base"));
    let base = phone.version().clone();
    let mut laptop = Doc::with_identity(identity(1));
    laptop
        .import_changes(&phone.export_changes(&Default::default()))
        .expect("import");
    phone
        .get_text("t")
        .insert(5, "from the phone")
        .expect("insert");
    phone.commit(Some("phone"));
    laptop
        .get_text("t")
        .insert(5, "from the laptop")
        .expect("insert");
    laptop.commit(Some("laptop"));
    let from_laptop = laptop.export_changes(&base);
    let mut bob = Doc::with_identity(identity(2));
    bob.import_changes(&phone.export_changes(&Default::default()))
        .expect("import");
    assert!(bob.equivocations().is_empty());
    // Both branches are kept (see tests/equivocation.rs); the evidence names both.
    bob.import_changes(&from_laptop)
        .expect("both branches kept");
    let (phone_head, laptop_head) = (phone.heads()[0], laptop.heads()[0]);
    assert_eq!(bob.equivocations().len(), 1);
    let evidence = &bob.equivocations()[0];
    assert_eq!(evidence.actor, identity(1).actor());
    assert_eq!(evidence.seq, 2);
    assert_eq!(
        (evidence.existing, evidence.conflicting),
        (phone_head, laptop_head)
    );
    let mut heads = bob.heads();
    heads.sort();
    let mut both = vec![phone_head, laptop_head];
    both.sort();
    assert_eq!(heads, both);
    // Someone else's change in Alice's name with that number is no evidence against her.
    let mut carol = Doc::with_identity(identity(3));
    carol
        .import_changes(&phone.export_changes(&Default::default()))
        .expect("import");
    let before = (carol.heads(), carol.to_json());
    let mut forged = unsigned(laptop.changes_since(&base));
    forged[0].signature = Some(identity(3).sign(&forged[0].hash()));
    assert!(matches!(
        carol.apply_changes(forged),
        Err(ApplyError::Invalid { .. })
    ));
    assert!(carol.equivocations().is_empty());
    assert_eq!((carol.heads(), carol.to_json()), before, "nothing changed");
}

#[test]
fn a_burst_sent_unsigned_applies_once_the_signed_copy_of_its_last_change_comes() {
    let mut alice = Doc::with_identity(identity(1));
    let mut bob = Doc::with_identity(identity(2));
    let mut updates = Vec::new();
    for word in ["one ", "two ", "three"] {
        let since = alice.version().clone();
        let len = alice.get_text("t").len();
        alice.get_text("t").insert(len, word).expect("insert");
        alice.commit(Some(word));
        updates.push(alice.export_unsigned(&since));
    }
    for update in &updates {
        let report = bob.import_changes(update).expect("held, not refused");
        assert_eq!(report.applied, 0, "not authenticated yet");
    }
    let seal = alice.sign_latest().expect("the burst's signature");
    assert!(alice.sign_latest().is_none(), "signed once");
    // A copy with a bad signature is ignored: the held changes stay, nothing is dropped.
    let id = dagsync::ChangeId {
        actor: alice.actor(),
        seq: 3,
    };
    let mut bad = alice.get_change(&id).expect("latest");
    bad.signature = Some(identity(3).sign(&bad.hash()));
    let report = bob.apply_changes([bad]).expect("ignored");
    assert_eq!((report.applied, report.pending, report.rejected), (0, 3, 0));
    let report = bob.import_changes(&seal).expect("signed copy");
    assert_eq!((report.applied, report.pending), (3, 0));
    assert_eq!(bob.get_text("t").to_string(), "one two three");
    // Bob can now pass the burst on: the signature covers it.
    let mut carol = Doc::with_identity(identity(3));
    let report = carol
        .import_changes(&bob.export_changes(&Default::default()))
        .expect("relayed");
    assert_eq!((report.applied, report.pending), (3, 0));
}

//! Documents with a document key: changes travel as XChaCha20-Poly1305 ciphertext whose hash
//! and signature every peer can check, so a peer without the key verifies, stores and
//! forwards them without reading them.

use dagsync::auth::{DocumentKey, Role};
use dagsync::{ApplyError, Change, Doc, Identity};

fn id(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

fn keyed(n: u8, key: &DocumentKey) -> Doc {
    let mut doc = Doc::with_identity(id(n));
    doc.set_document_key(Some(key.clone()));
    doc
}

fn write(doc: &mut Doc, text: &str) -> Vec<Change> {
    let before = doc.version().clone();
    let len = doc.get_text("t").len();
    doc.get_text("t").insert(len, text).expect("insert");
    doc.commit(Some("edit"));
    doc.changes_since(&before)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_keyless_relay_forwards_what_it_cannot_read() {
    let key = DocumentKey([42; 32]);
    let mut alice = keyed(1, &key);
    let mut bob = keyed(2, &key);
    let mut relay = Doc::with_identity(id(3));
    write(&mut alice, "top secret plan");
    let export = alice.export_changes(&Default::default());
    assert!(!contains(&export, b"secret"), "the plaintext never leaves");
    relay
        .import_changes(&export)
        .expect("the relay checks and stores");
    assert_eq!(relay.heads(), alice.heads());
    assert_eq!(relay.get_text("t").to_string(), "", "the relay cannot read");
    bob.import_changes(&relay.export_changes(&Default::default()))
        .expect("bob reads");
    assert_eq!(bob.get_text("t").to_string(), "top secret plan");
    // And back: Bob's edit reaches Alice through the relay.
    write(&mut bob, ", revised");
    relay
        .import_changes(&bob.export_changes(relay.version()))
        .expect("stored");
    alice
        .import_changes(&relay.export_changes(alice.version()))
        .expect("read");
    assert_eq!(alice.get_text("t").to_string(), "top secret plan, revised");
    assert_eq!(alice.heads(), bob.heads());
    assert_eq!(relay.heads(), bob.heads());
    assert_eq!(relay.change_count(), 2);
    // Given the key later, the relay reads everything it stored.
    relay.set_document_key(Some(key));
    assert_eq!(relay.get_text("t").to_string(), "top secret plan, revised");
}

#[test]
fn forged_or_altered_encrypted_changes_are_refused_without_the_key() {
    let key = DocumentKey([42; 32]);
    let mut alice = keyed(1, &key);
    let changes = write(&mut alice, "payload");
    // A flipped ciphertext byte changes the hash: the signature no longer verifies.
    let mut altered = changes.clone();
    if let dagsync::OpAction::Encrypted { payload, .. } = &mut altered[0].ops[0].action {
        payload[30] ^= 1;
    } else {
        panic!("an encrypted change");
    }
    let mut relay = Doc::with_identity(id(3));
    let e = relay.apply_changes(altered).expect_err("refused");
    assert!(matches!(e, ApplyError::BadSignature { .. }), "{e}");
    // A signature by someone else than the author.
    let mut forged = changes.clone();
    forged[0].signature = Some(id(9).sign(&forged[0].hash()));
    let e = relay.apply_changes(forged).expect_err("refused");
    assert!(matches!(e, ApplyError::BadSignature { .. }), "{e}");
    assert_eq!(relay.change_count(), 0);
    relay.apply_changes(changes).expect("the genuine change");
    assert_eq!(relay.change_count(), 1);
}

#[test]
fn the_wrong_key_cannot_read_and_refuses() {
    let mut alice = keyed(1, &DocumentKey([42; 32]));
    let changes = write(&mut alice, "payload");
    let mut eve = keyed(5, &DocumentKey([43; 32]));
    let e = eve.apply_changes(changes).expect_err("refused");
    assert!(e.to_string().contains("does not decrypt"), "{e}");
    assert_eq!(eve.change_count(), 0);
}

#[test]
fn snapshots_stay_encrypted() {
    let key = DocumentKey([42; 32]);
    let mut alice = keyed(1, &key);
    write(&mut alice, "saved secret");
    let bytes = alice.save();
    assert!(!contains(&bytes, b"secret"));
    let mut without = Doc::load(&bytes, id(4).actor()).expect("loads opaque");
    assert_eq!(without.get_text("t").to_string(), "");
    assert_eq!(without.heads(), alice.heads());
    let mut with = Doc::load(&bytes, id(4).actor()).expect("loads");
    with.set_document_key(Some(key));
    assert_eq!(with.get_text("t").to_string(), "saved secret");
    assert_eq!(with.heads(), alice.heads());
}

#[test]
fn access_lists_stay_readable_so_a_keyless_relay_checks_permissions() {
    let key = DocumentKey([42; 32]);
    let mut owner = keyed(1, &key);
    let genesis = owner.restrict().expect("new document");
    owner.grant(&id(2).actor(), Role::Writer).expect("grant");
    write(&mut owner, "owner text");
    let history = owner.changes_since(&Default::default());
    let mut relay = Doc::with_identity(id(3));
    relay.restricted_to(genesis).expect("empty");
    relay
        .apply_changes(history.clone())
        .expect("genesis, grant and an encrypted edit");
    assert_eq!(relay.role(&id(2).actor()), Some(Role::Writer));
    // A stranger with the key writes an encrypted change on top of the document; the
    // keyless relay cannot read it but refuses it: its author may not write.
    let mut open_copy = keyed(7, &key);
    let mut change = write(&mut open_copy, "intrusion").remove(0);
    change.deps = relay.heads();
    change.start_op = 10_000;
    change.signature = Some(id(7).sign(&change.hash()));
    let e = relay.apply_changes([change]).expect_err("not a writer");
    assert!(matches!(e, ApplyError::NotAuthorized { .. }), "{e}");
}

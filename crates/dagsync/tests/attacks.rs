//! Faulty and malicious peers against honest ones, over the sync protocol (issue 6): honest
//! peers refuse what is forged or unauthorized, identically, keep everything valid, report
//! the fault as a typed error, and converge.

use dagsync::auth::{DocumentKey, Role};
use dagsync::{Change, ChangeHash, Doc, Identity, SyncError, SyncState};

fn id(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

/// A replica of restricted document `genesis` for identity `n`.
fn member(n: u8, genesis: ChangeHash) -> Doc {
    let mut doc = Doc::with_identity(id(n));
    doc.restricted_to(genesis).expect("empty");
    doc
}

/// One sync session between `a` and `b`; `wire` may change (or drop, by emptying) each
/// message in flight, and is told the direction (`true`: a → b). Returns the errors the
/// receivers reported; stops when both are quiet.
fn session(a: &mut Doc, b: &mut Doc, mut wire: impl FnMut(bool, &mut Vec<u8>)) -> Vec<SyncError> {
    let (mut a_to_b, mut b_to_a) = (SyncState::with_seed(1), SyncState::with_seed(2));
    let mut errors = Vec::new();
    for _ in 0..40 {
        let m1 = a.generate_sync_message(&mut a_to_b);
        let m2 = b.generate_sync_message(&mut b_to_a);
        if m1.is_none() && m2.is_none() {
            break;
        }
        if let Some(mut m) = m1 {
            wire(true, &mut m);
            if !m.is_empty() {
                if let Err(e) = b.receive_sync_message(&mut b_to_a, &m) {
                    errors.push(e);
                }
            }
        }
        if let Some(mut m) = m2 {
            wire(false, &mut m);
            if !m.is_empty() {
                if let Err(e) = a.receive_sync_message(&mut a_to_b, &m) {
                    errors.push(e);
                }
            }
        }
    }
    errors
}

fn clean(a: &mut Doc, b: &mut Doc) {
    let errors = session(a, b, |_, _| {});
    assert!(errors.is_empty(), "{errors:?}");
}

fn write(doc: &mut Doc, text: &str) {
    let len = doc.get_text("t").len();
    doc.get_text("t").insert(len, text).expect("write");
    doc.commit(Some("edit"));
}

/// An owner, two writers and the document's genesis.
fn team() -> (Doc, Doc, Doc, ChangeHash) {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    owner.grant(&id(2).actor(), Role::Writer).expect("grant");
    owner.grant(&id(3).actor(), Role::Writer).expect("grant");
    write(&mut owner, "owner;");
    let mut bob = member(2, genesis);
    let mut carol = member(3, genesis);
    clean(&mut owner, &mut bob);
    clean(&mut owner, &mut carol);
    (owner, bob, carol, genesis)
}

#[test]
fn bytes_tampered_in_transit_are_refused_and_the_retry_converges() {
    let (mut owner, mut bob, _, _) = team();
    write(&mut owner, " more;");
    write(&mut bob, " bob;");
    let before = (bob.heads(), bob.to_json());
    let mut flips = 0;
    let errors = session(&mut owner, &mut bob, |to_b, m| {
        if to_b && m.len() > 40 {
            let at = m.len() / 2 + flips;
            m[at] ^= 0x20;
            flips += 1;
        }
    });
    assert!(!errors.is_empty(), "tampering is detected");
    // Nothing of the owner's reached bob; his own edit is intact.
    assert!(bob.to_json().to_string().contains("bob;"));
    assert!(!bob.to_json().to_string().contains("more;"));
    assert_eq!(bob.heads().len(), before.0.len());
    clean(&mut owner, &mut bob);
    assert_eq!(owner.heads(), bob.heads());
    assert_eq!(owner.to_json(), bob.to_json());
}

#[test]
fn a_garbage_flood_changes_nothing() {
    let (mut owner, mut bob, _, _) = team();
    let before = (bob.heads(), bob.to_json());
    let mut state = SyncState::with_seed(3);
    let mut seed = 7u64;
    let mut refused = 0;
    for n in 0..2_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 33) as usize % 300;
        let garbage: Vec<u8> = (0..len)
            .map(|i| (seed.rotate_left(i as u32 % 64) >> 7) as u8 ^ n as u8)
            .collect();
        if bob.receive_sync_message(&mut state, &garbage).is_err() {
            refused += 1;
        }
    }
    assert!(refused > 1_900, "{refused} of 2000 refused");
    assert_eq!((bob.heads(), bob.to_json()), before);
    write(&mut owner, " after the flood");
    clean(&mut owner, &mut bob);
    assert_eq!(owner.to_json(), bob.to_json());
}

#[test]
fn replayed_messages_are_harmless() {
    let (mut owner, mut bob, _, _) = team();
    write(&mut owner, " once");
    let mut recorded: Vec<Vec<u8>> = Vec::new();
    let errors = session(&mut owner, &mut bob, |to_b, m| {
        if to_b {
            recorded.push(m.clone());
        }
    });
    assert!(errors.is_empty(), "{errors:?}");
    let json = bob.to_json();
    let heads = bob.heads();
    // The same messages again, in a fresh session and in reverse order.
    let mut state = SyncState::with_seed(9);
    for m in recorded.iter().rev() {
        let _ = bob.receive_sync_message(&mut state, m);
    }
    assert_eq!((bob.heads(), bob.to_json()), (heads, json));
}

#[test]
fn a_relay_cannot_slip_in_changes_in_someone_elses_name() {
    let (mut owner, mut bob, mut carol, genesis) = team();
    // Mallory runs a lax replica (no signature checks) holding a change in bob's name that
    // bob never signed: she can store it, but honest peers will not take it from her.
    let mut mallory = member(9, genesis);
    clean(&mut owner, &mut mallory);
    mallory.set_require_signatures(false);
    let mut forged: Change = {
        let mut fake = bob.fork(id(2).actor());
        fake.set_require_signatures(false);
        let before = fake.version().clone();
        fake.get_text("t")
            .insert(0, "bob says: pay mallory; ")
            .expect("write");
        fake.commit(Some("forged"));
        fake.changes_since(&before).remove(0)
    };
    forged.signature = None;
    mallory
        .apply_changes([forged.clone()])
        .expect("a lax replica stores it");
    assert!(mallory.get_text("t").to_string().starts_with("bob says"));
    // Carol syncs with mallory: the unsigned change in bob's name waits, never applies.
    clean(&mut carol, &mut mallory);
    assert!(!carol.get_text("t").to_string().contains("pay mallory"));
    // A forged signature (mallory's key) is refused outright.
    let mut signed = forged.clone();
    signed.signature = Some(id(9).sign(&signed.hash()));
    let mut laxer = Doc::new(id(9).actor());
    laxer.restricted_to(genesis).expect("empty");
    laxer.set_require_signatures(false);
    assert!(
        laxer.apply_changes([signed]).is_err(),
        "present signatures are checked"
    );
    // Bob's real edits still flow everywhere.
    write(&mut bob, " bob;");
    clean(&mut bob, &mut carol);
    clean(&mut carol, &mut owner);
    assert_eq!(owner.to_json(), carol.to_json());
    assert!(!owner.get_text("t").to_string().contains("pay mallory"));
}

#[test]
fn a_revoked_writers_later_changes_are_refused_by_everyone() {
    let (mut owner, mut bob, mut carol, genesis) = team();
    // Concurrently: the owner revokes bob, bob writes (not having seen it).
    owner.revoke(&id(2).actor()).expect("revoke");
    write(&mut bob, " concurrent;");
    clean(&mut bob, &mut carol);
    clean(&mut carol, &mut owner);
    assert!(owner.get_text("t").to_string().contains("concurrent;"));
    // Bob learns of the revocation; a change he makes after it (by hand, through a lax
    // relay) is refused by every honest peer.
    clean(&mut owner, &mut bob);
    assert!(bob.get_text("t").insert(0, "x").is_err());
    let mut late = {
        // Bob's own last change, made again on top of what he knows now.
        let mut change = bob
            .changes_since(&Default::default())
            .into_iter()
            .rev()
            .find(|c| c.actor == id(2).actor())
            .expect("bob wrote");
        change.seq = bob.version().get(&id(2).actor()) + 1;
        change.deps = bob.heads();
        change.start_op += 100_000;
        change
    };
    late.signature = Some(id(2).sign(&late.hash()));
    let mut relay = member(8, genesis);
    clean(&mut owner, &mut relay);
    relay.set_require_signatures(false);
    assert!(
        relay.apply_changes([late.clone()]).is_err(),
        "not authorized"
    );
    for doc in [&mut owner, &mut carol] {
        let e = doc.apply_changes([late.clone()]).expect_err("refused");
        assert!(e.to_string().contains("not authorized"), "{e}");
    }
    clean(&mut owner, &mut carol);
    assert_eq!(owner.to_json(), carol.to_json());
}

#[test]
fn a_keyless_relay_forwards_encrypted_changes_between_keyed_peers() {
    let key = DocumentKey([5; 32]);
    let mut alice = Doc::with_identity(id(1));
    alice.set_document_key(Some(key.clone()));
    let mut bob = Doc::with_identity(id(2));
    bob.set_document_key(Some(key));
    let mut relay = Doc::with_identity(id(3));
    write(&mut alice, "for bob's eyes");
    clean(&mut alice, &mut relay);
    clean(&mut relay, &mut bob);
    assert_eq!(bob.get_text("t").to_string(), "for bob's eyes");
    assert_eq!(relay.get_text("t").to_string(), "");
    write(&mut bob, " only");
    clean(&mut bob, &mut relay);
    clean(&mut relay, &mut alice);
    assert_eq!(alice.get_text("t").to_string(), "for bob's eyes only");
    assert_eq!(alice.heads(), bob.heads());
    assert_eq!(relay.heads(), bob.heads());
}

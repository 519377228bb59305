//! The sync protocol between two documents: divergence, persistence, data loss, malformed
//! input, and the poisoning attack.

use dagsync::sync::{BloomFilter, SALT_LEN};
use dagsync::{ActorId, ChangeHash, Doc, SyncError, SyncState};
use dagsync_fuzz::{Action, Rng};

/// Applies `n` random edits (each committed) to `doc`.
fn edit(doc: &mut Doc, rng: &mut Rng, n: usize) {
    let mut done = 0;
    while done < n {
        let action = Action::random(rng, 1);
        if matches!(action, Action::Sync { .. }) {
            continue;
        }
        action.edit(doc);
        doc.commit(None);
        doc.heads();
        done += 1;
    }
}

/// Symmetric rounds: both sides generate, then both receive. Returns the number of rounds
/// until the heads were equal, and the bytes sent.
fn sync(a: &mut Doc, sa: &mut SyncState, b: &mut Doc, sb: &mut SyncState) -> (usize, usize) {
    let mut bytes = 0;
    let mut converged_at = None;
    for round in 1..=50 {
        let ma = a.generate_sync_message(sa);
        let mb = b.generate_sync_message(sb);
        if ma.is_none() && mb.is_none() {
            break;
        }
        if let Some(m) = ma {
            bytes += m.len();
            b.receive_sync_message(sb, &m).expect("valid message");
        }
        if let Some(m) = mb {
            bytes += m.len();
            a.receive_sync_message(sa, &m).expect("valid message");
        }
        if converged_at.is_none() && a.heads() == b.heads() {
            converged_at = Some(round);
        }
    }
    assert_eq!(a.heads(), b.heads(), "did not converge");
    assert_eq!(a.to_json(), b.to_json());
    (converged_at.unwrap_or(0), bytes)
}

fn pair(shared: usize, seed: u64) -> (Doc, Doc, Rng) {
    let mut rng = Rng::new(seed);
    let mut a = Doc::new(ActorId([1; 32]));
    edit(&mut a, &mut rng, shared);
    let b = a.fork(ActorId([2; 32]));
    (a, b, rng)
}

#[test]
fn first_contact_converges_and_then_goes_quiet() {
    let (mut a, mut b, mut rng) = pair(50, 1);
    edit(&mut a, &mut rng, 20);
    edit(&mut b, &mut rng, 30);
    let (mut sa, mut sb) = (SyncState::with_seed(1), SyncState::with_seed(2));
    let (rounds, _) = sync(&mut a, &mut sa, &mut b, &mut sb);
    assert!(rounds <= 2, "{rounds} rounds");
    assert!(a.generate_sync_message(&mut sa).is_none());
    assert!(b.generate_sync_message(&mut sb).is_none());
}

#[test]
fn a_resumed_session_converges_in_one_round_trip() {
    let (mut a, mut b, mut rng) = pair(200, 2);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sync(&mut a, &mut sa, &mut b, &mut sb);
    // Apart for a while; the states are persisted and restored.
    edit(&mut a, &mut rng, 40);
    edit(&mut b, &mut rng, 25);
    let mut sa = SyncState::decode(&sa.encode()).expect("decodes");
    let mut sb = SyncState::decode(&sb.encode()).expect("decodes");
    let own_bytes = a.export_changes(b.version()).len() + b.export_changes(a.version()).len();
    let (rounds, bytes) = sync(&mut a, &mut sa, &mut b, &mut sb);
    assert_eq!(rounds, 1);
    assert!(
        bytes <= own_bytes + own_bytes / 10 + 2048,
        "{bytes} vs {own_bytes}"
    );
}

#[test]
fn one_side_strictly_ahead() {
    let (mut a, mut b, mut rng) = pair(100, 3);
    edit(&mut a, &mut rng, 100);
    let (rounds, _) = sync(&mut a, &mut SyncState::new(), &mut b, &mut SyncState::new());
    assert!(rounds <= 2);
    // Ahead with known common heads: one round.
    edit(&mut b, &mut rng, 10);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sync(&mut a, &mut sa, &mut b, &mut sb);
    edit(&mut b, &mut rng, 10);
    assert_eq!(sync(&mut a, &mut sa, &mut b, &mut sb).0, 1);
}

#[test]
fn a_peer_that_lost_its_data_gets_a_full_resync() {
    let (mut a, mut b, mut rng) = pair(100, 4);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sync(&mut a, &mut sa, &mut b, &mut sb);
    edit(&mut a, &mut rng, 10);
    // b loses everything, including its sync state; a still remembers the common heads.
    let mut b = Doc::new(ActorId([3; 32]));
    let mut sb = SyncState::new();
    let (rounds, _) = sync(&mut a, &mut sa, &mut b, &mut sb);
    assert!(rounds <= 3, "{rounds}");
    assert_eq!(b.change_count(), a.change_count());
    // And when b kept its (now wrong) sync state.
    let mut c = Doc::new(ActorId([4; 32]));
    let mut sc = sb.clone();
    let mut sa2 = SyncState::decode(&sa.encode()).expect("decodes");
    sync(&mut a, &mut sa2, &mut c, &mut sc);
}

#[test]
fn both_sides_diverged_by_thousands_of_changes() {
    let (mut a, mut b, mut rng) = pair(500, 5);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sync(&mut a, &mut sa, &mut b, &mut sb);
    edit(&mut a, &mut rng, 3_000);
    edit(&mut b, &mut rng, 3_000);
    assert_eq!(sync(&mut a, &mut sa, &mut b, &mut sb).0, 1);
    // Without common heads (fresh states): the filters decide; false positives cost a round.
    edit(&mut a, &mut rng, 2_000);
    edit(&mut b, &mut rng, 2_000);
    let (rounds, _) = sync(&mut a, &mut SyncState::new(), &mut b, &mut SyncState::new());
    assert!(rounds <= 3, "{rounds}");
}

#[test]
fn malformed_messages_are_typed_errors_and_change_nothing() {
    let (mut a, mut b, mut rng) = pair(20, 6);
    edit(&mut a, &mut rng, 5);
    let mut sa = SyncState::new();
    let mut sb = SyncState::new();
    sync(&mut a, &mut sa, &mut b, &mut sb);
    edit(&mut a, &mut rng, 5);
    let message = a.generate_sync_message(&mut sa).expect("a message");
    let heads = b.heads();
    let shared = sb.shared_heads().to_vec();
    for bad in [
        vec![],
        b"nonsense".to_vec(),
        message[..message.len() / 2].to_vec(),
        {
            let mut m = message.clone();
            m[10] ^= 0xff;
            m
        },
    ] {
        let err = b.receive_sync_message(&mut sb, &bad).expect_err("refused");
        assert!(matches!(err, SyncError::Malformed(_)), "{err:?}");
        assert_eq!(b.heads(), heads);
        assert_eq!(sb.shared_heads(), shared.as_slice());
    }
    b.receive_sync_message(&mut sb, &message)
        .expect("the real one is fine");
}

#[test]
fn invalid_changes_are_refused_for_that_peer() {
    // A change that reuses an author's sequence number with other content.
    let mut a = Doc::new(ActorId([1; 32]));
    a.get_map("m").set("k", 1i64).expect("edit");
    a.commit(None);
    let mut forged = Doc::new(ActorId([1; 32]));
    forged.get_map("m").set("k", 2i64).expect("edit");
    forged.commit(None);
    let mut sf = SyncState::new();
    let mut sa = SyncState::new();
    let first = a.generate_sync_message(&mut sa).expect("message");
    forged
        .receive_sync_message(&mut sf, &first)
        .expect("heads only");
    let reply = forged
        .generate_sync_message(&mut sf)
        .expect("reply with changes");
    let heads = a.heads();
    let err = a
        .receive_sync_message(&mut sa, &reply)
        .expect_err("refused");
    assert!(matches!(err, SyncError::InvalidChanges(_)), "{err:?}");
    assert_eq!(a.heads(), heads);
}

#[test]
fn duplicated_reordered_and_lost_messages_still_converge() {
    for seed in 0..40u64 {
        let (mut a, mut b, mut rng) = pair(30, 100 + seed);
        let (mut sa, mut sb) = (SyncState::with_seed(seed), SyncState::with_seed(!seed));
        sync(&mut a, &mut sa, &mut b, &mut sb);
        edit(&mut a, &mut rng, 15);
        edit(&mut b, &mut rng, 15);
        let mut to_a: Vec<Vec<u8>> = Vec::new();
        let mut to_b: Vec<Vec<u8>> = Vec::new();
        for _ in 0..200 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                to_b.push(m);
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                to_a.push(m);
            }
            for (queue, doc, state) in [(&mut to_a, &mut a, &mut sa), (&mut to_b, &mut b, &mut sb)]
            {
                if queue.is_empty() {
                    continue;
                }
                let i = rng.below(queue.len() as u64) as usize;
                let m = queue.swap_remove(i);
                match rng.below(6) {
                    0 => {}                     // lost
                    1 => queue.push(m.clone()), // duplicated (delivered later)
                    _ => doc.receive_sync_message(state, &m).expect("valid"),
                }
                if rng.below(2) == 0 {
                    continue;
                }
            }
            if to_a.is_empty() && to_b.is_empty() && sa.in_flight() {
                sa.timeout();
            }
            if to_a.is_empty() && to_b.is_empty() && sb.in_flight() {
                sb.timeout();
            }
        }
        // Then a clean network.
        sa.timeout();
        sb.timeout();
        sync(&mut a, &mut sa, &mut b, &mut sb);
    }
}

/// Mines a chain of `n` changes by a fresh author on top of `doc`, each of whose hashes is
/// a false positive of `filter`.
fn mine_chain(doc: &mut Doc, filter: &BloomFilter, n: usize) -> (usize, Vec<ChangeHash>) {
    let mut attacker = doc.fork(ActorId([66; 32]));
    let mut tries = 0;
    let mut mined = Vec::new();
    for _ in 0..n {
        loop {
            tries += 1;
            let mut trial = attacker.fork(ActorId([66; 32]));
            trial.get_map("m").set("nonce", tries as i64).expect("edit");
            trial.commit(Some("mined"));
            let head = trial.heads()[0];
            if filter.contains(&head) {
                attacker = trial;
                mined.push(head);
                break;
            }
        }
    }
    doc.merge(&mut attacker).expect("valid changes");
    (tries, mined)
}

#[test]
fn a_mined_chain_cannot_stall_sync() {
    let (mut a, mut b, mut rng) = pair(100, 7);
    edit(&mut a, &mut rng, 30);
    // The attacker knows a's changes and the salt a will use (a fixed, known salt), and mines
    // changes (given to b) that a's filter falsely claims.
    let salt = [42u8; SALT_LEN];
    let a_hashes: Vec<ChangeHash> = a.history().iter().map(|e| e.hash).collect();
    let filter = BloomFilter::new(salt, a_hashes.iter());
    let (_, mined) = mine_chain(&mut b, &filter, 10);
    assert_eq!(mined.len(), 10);
    let (rounds, _) = sync(
        &mut a.fork(ActorId([1; 32])),
        &mut SyncState::with_fixed_salt(salt),
        &mut b.fork(ActorId([2; 32])),
        &mut SyncState::new(),
    );
    assert!(rounds <= 3, "known salt: {rounds} rounds");
    // With the real, random salt the mined hashes are ordinary.
    let (rounds, _) = sync(&mut a, &mut SyncState::new(), &mut b, &mut SyncState::new());
    assert!(rounds <= 2, "random salt: {rounds} rounds");
}

#[test]
fn signed_documents_sync_and_relay_through_a_middle_peer() {
    use dagsync::Identity;
    let mut a = Doc::with_identity(Identity::from_secret_key([1; 32]));
    let mut b = Doc::with_identity(Identity::from_secret_key([2; 32]));
    let mut c = Doc::with_identity(Identity::from_secret_key([3; 32]));
    let mut rng = Rng::new(8);
    edit(&mut a, &mut rng, 20);
    edit(&mut c, &mut rng, 20);
    let (mut ab, mut ba) = (SyncState::new(), SyncState::new());
    let (mut bc, mut cb) = (SyncState::new(), SyncState::new());
    for _ in 0..3 {
        sync(&mut a, &mut ab, &mut b, &mut ba);
        sync(&mut b, &mut bc, &mut c, &mut cb);
    }
    assert_eq!(a.heads(), c.heads());
    assert_eq!(a.to_json(), c.to_json());
}

#[test]
fn a_long_live_session_keeps_its_bookkeeping_small() {
    let (mut a, mut b, mut rng) = pair(10, 9);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    for _ in 0..50 {
        edit(&mut a, &mut rng, 3);
        edit(&mut b, &mut rng, 3);
        sync(&mut a, &mut sa, &mut b, &mut sb);
    }
    // Both in step: the states hold no per-change bookkeeping, and persist in a few bytes.
    assert!(format!("{sa:?}").len() < 2_000, "{sa:?}");
    assert!(sa.encode().len() <= 4 + 1 + 1 + 2 * 32 + 4);
}

/// Rounds until neither side has anything to say (at most `limit`), without asserting
/// convergence.
fn rounds_until_quiet(
    a: &mut Doc,
    sa: &mut SyncState,
    b: &mut Doc,
    sb: &mut SyncState,
    limit: usize,
) -> Option<usize> {
    for round in 0..limit {
        let ma = a.generate_sync_message(sa);
        let mb = b.generate_sync_message(sb);
        if ma.is_none() && mb.is_none() {
            return Some(round);
        }
        if let Some(m) = ma {
            b.receive_sync_message(sb, &m).expect("valid message");
        }
        if let Some(m) = mb {
            a.receive_sync_message(sa, &m).expect("valid message");
        }
    }
    None
}

#[test]
fn changes_the_peer_holds_back_do_not_make_sync_ping_pong() {
    use dagsync::Identity;
    // An unsigned document talking to one that requires signatures: its changes are held
    // (not authenticated), so the heads never agree; the sessions must still go quiet.
    let mut rng = Rng::new(10);
    let mut plain = Doc::new(ActorId([1; 32]));
    edit(&mut plain, &mut rng, 5);
    let mut strict = Doc::with_identity(Identity::from_secret_key([2; 32]));
    let (mut sp, mut ss) = (SyncState::new(), SyncState::new());
    let rounds = rounds_until_quiet(&mut plain, &mut sp, &mut strict, &mut ss, 30);
    assert!(rounds.is_some_and(|r| r <= 6), "{rounds:?}");
    assert_ne!(plain.heads(), strict.heads());
    // When the channel authenticates the plain peer, its changes are taken from it. (A fresh
    // document: the core does not yet re-admit changes it already holds when they come again
    // straight from their author.)
    let mut strict = Doc::with_identity(Identity::from_secret_key([2; 32]));
    let mut ss = SyncState::new();
    ss.set_authenticated_peer(plain.actor());
    let mut sp = SyncState::new();
    let rounds = rounds_until_quiet(&mut plain, &mut sp, &mut strict, &mut ss, 30);
    assert!(rounds.is_some());
    assert_eq!(plain.heads(), strict.heads());
}

#[test]
fn restricted_and_encrypted_documents_sync_through_a_keyless_relay() {
    use dagsync::auth::{DocumentKey, Role};
    use dagsync::Identity;
    let key = DocumentKey([9; 32]);
    let mut owner = Doc::with_identity(Identity::from_secret_key([1; 32]));
    let genesis = owner.restrict().expect("restrict");
    let writer = Identity::from_secret_key([2; 32]);
    owner.grant(&writer.actor(), Role::Writer).expect("grant");
    owner.set_document_key(Some(key.clone()));
    owner.get_text("t").insert(0, "secret").expect("edit");
    owner.commit(None);
    // The relay has no key; the writer has it.
    let mut relay = Doc::with_identity(Identity::from_secret_key([3; 32]));
    relay.restricted_to(genesis).expect("genesis");
    let mut replica = Doc::with_identity(writer);
    replica.restricted_to(genesis).expect("genesis");
    replica.set_document_key(Some(key));
    let (mut or, mut ro) = (SyncState::new(), SyncState::new());
    let (mut rw, mut wr) = (SyncState::new(), SyncState::new());
    // The relay cannot read the text, so only heads are compared with it.
    let quiet = |a: &mut Doc, sa: &mut SyncState, b: &mut Doc, sb: &mut SyncState| {
        assert!(rounds_until_quiet(a, sa, b, sb, 20).is_some());
        assert_eq!(a.heads(), b.heads());
    };
    quiet(&mut owner, &mut or, &mut relay, &mut ro);
    quiet(&mut relay, &mut rw, &mut replica, &mut wr);
    assert_eq!(replica.get_text("t").to_string(), "secret");
    replica
        .get_text("t")
        .insert(6, "!")
        .expect("a writer may write");
    replica.commit(None);
    quiet(&mut replica, &mut wr, &mut relay, &mut rw);
    quiet(&mut relay, &mut ro, &mut owner, &mut or);
    assert_eq!(owner.get_text("t").to_string(), "secret!");
}

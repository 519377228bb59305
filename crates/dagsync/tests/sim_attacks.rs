//! Faulty peers among honest ones on the simulated network, through the repo (issue 6): a
//! forged signature, a change in another author's name, a revoked writer's later change,
//! bytes tampered with in transit, replayed frames, a garbage flood, and a keyless relay.
//! Honest peers refuse what is bad identically, report the fault, lose nothing and converge.

use dagsync::auth::{DocumentKey, Role};
use dagsync::repo::{PeerFault, PeerId, RepoError, RepoEvent};
use dagsync::{Change, ChangeHash, Doc};
use dagsync_fuzz::sim::{identity, Misbehaviour, NetConfig, Sim};

/// A network that loses, duplicates and reorders frames, between signing repos.
fn signed_net() -> NetConfig {
    NetConfig {
        loss: 20,
        duplicate: 20,
        signed: true,
        ..NetConfig::default()
    }
}

/// Honest nodes `0..honest` in a random topology, node `honest` (the faulty one) linked to
/// every one of them.
fn network(honest: usize, seed: u64) -> Sim {
    let mut sim = Sim::new(honest + 1, seed, signed_net());
    for i in 1..honest {
        let j = sim.rng.below(i as u64) as usize;
        sim.add_link(i, j);
    }
    for i in 0..honest {
        sim.add_link(i, honest);
    }
    sim
}

/// [`network`] with node 4 behaving as `faulty`, after `rounds` rounds of edits by `writers`
/// and `ms` milliseconds to settle.
fn settled(
    seed: u64,
    faulty: Misbehaviour,
    writers: std::ops::Range<usize>,
    rounds: usize,
    ms: u64,
) -> Sim {
    let mut sim = network(4, seed);
    sim.set_faulty(4, faulty);
    edits(&mut sim, writers, rounds);
    converge(&mut sim, ms);
    sim
}

fn edits(sim: &mut Sim, nodes: std::ops::Range<usize>, rounds: usize) {
    for _ in 0..rounds {
        let i = nodes.start + sim.rng.below(nodes.len() as u64) as usize;
        sim.edit(i);
        sim.run(20);
    }
}

fn converge(sim: &mut Sim, ms: u64) {
    sim.run(ms);
    if let Err(e) = sim.check_converged() {
        panic!("honest peers did not converge: {e}\n{}", sim.describe());
    }
}

/// The faults node `at` reported about node `from`.
fn faults(sim: &Sim, at: usize, from: usize) -> Vec<PeerFault> {
    let peer = PeerId(format!("p{from}"));
    sim.events
        .iter()
        .filter_map(|(i, e)| match e {
            RepoEvent::Fault { peer: p, fault } if *i == at && *p == peer => Some(fault.clone()),
            _ => None,
        })
        .collect()
}

fn banned(sim: &Sim, at: usize, from: usize) -> bool {
    let peer = PeerId(format!("p{from}"));
    sim.events
        .iter()
        .any(|(i, e)| *i == at && matches!(e, RepoEvent::PeerBanned { peer: p, .. } if *p == peer))
}

fn text(sim: &mut Sim, i: usize) -> String {
    let doc = sim.doc;
    sim.repo_mut(i)
        .doc_mut(&doc)
        .map(|d| d.to_json().to_string())
        .unwrap_or_default()
}

/// A repo sync message pushing `change` (FORMAT.md "Sync message" inside "Repo message"):
/// what a faulty peer sends when no honest document would hold the change.
fn push(sim: &Sim, change: &Change) -> Vec<u8> {
    fn uvarint(out: &mut Vec<u8>, mut n: u64) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let chunk = Change::batch_to_bytes(std::slice::from_ref(change));
    let mut message = b"DSYN\x01\x00".to_vec();
    uvarint(&mut message, 1);
    message.extend_from_slice(&change.hash().0);
    message.extend_from_slice(&[0, 0]); // no needs, no filter
    uvarint(&mut message, chunk.len() as u64);
    message.extend_from_slice(&chunk);
    let crc = crc32fast::hash(&message);
    message.extend_from_slice(&crc.to_le_bytes());
    let mut repo_message = vec![0xD7, 1, 2];
    repo_message.extend_from_slice(&sim.doc.0);
    repo_message.extend_from_slice(&message);
    repo_message
}

/// Node `i`'s latest change of the shared document.
fn latest_change_of(sim: &mut Sim, i: usize) -> Change {
    let doc = sim.doc;
    let actor = identity(i, 0).actor();
    let mut d = sim.repo_mut(i).doc_mut(&doc).expect("doc");
    d.changes_since(&Default::default())
        .into_iter()
        .rev()
        .find(|c| c.actor == actor)
        .expect("node wrote")
}

fn refused_with(sim: &Sim, to: usize, what: &str) -> bool {
    sim.refused
        .iter()
        .any(|(t, _, e)| *t == to && e.to_string().contains(what))
}

/// A new change in node `author`'s name on top of what it has, writing `text`, signed by
/// node `signer`'s key.
fn forge(sim: &mut Sim, author: usize, signer: usize, text: &str) -> Change {
    let doc = sim.doc;
    let mut fake: Doc = {
        let mut d = sim.repo_mut(author).doc_mut(&doc).expect("doc");
        d.fork(identity(author, 0).actor())
    };
    fake.set_require_signatures(false);
    let before = fake.version().clone();
    fake.get_text("t").insert(0, text).expect("edit");
    fake.commit(Some("forged"));
    let mut forged = fake.changes_since(&before).remove(0);
    forged.signature = Some(identity(signer, 0).sign(&forged.hash()));
    forged
}

/// Node 4 pushes `change` to every honest node; they keep editing; they must converge.
fn push_to_all_and_converge(sim: &mut Sim, change: &Change) {
    let message = push(sim, change);
    for to in 0..4 {
        sim.inject(4, to, &message);
    }
    edits(sim, 0..4, 10);
    converge(sim, 10_000);
}

#[test]
fn a_forged_signature_is_refused_by_every_honest_peer() {
    let mut sim = settled(11, Misbehaviour::Honest, 0..4, 20, 5_000);
    // Node 1's key, but the signature altered (as a forger without the key would produce).
    let mut forged = forge(&mut sim, 1, 1, "p1 says: pay mallory");
    forged.signature.as_mut().expect("signed").0[10] ^= 0x20;
    push_to_all_and_converge(&mut sim, &forged);
    for to in 0..4 {
        // Node 1 may have made its own change with that number by the time the forgery
        // arrives: then that is what it is refused for.
        let why = if to == 1 { "" } else { "signature" };
        assert!(refused_with(&sim, to, why), "p{to}: {:?}", sim.refused);
        assert!(faults(&sim, to, 4)
            .iter()
            .any(|f| matches!(f, PeerFault::Refused(_))));
        assert!(!text(&mut sim, to).contains("pay mallory"));
    }
}

#[test]
fn a_change_in_another_authors_name_never_lands() {
    let mut sim = settled(12, Misbehaviour::Honest, 0..4, 20, 5_000);
    // Mallory (node 4) writes as node 1, signing with her own key.
    let forged = forge(&mut sim, 1, 4, "p1 says: pay mallory");
    push_to_all_and_converge(&mut sim, &forged);
    for to in 0..4 {
        assert!(refused_with(&sim, to, "signature"), "p{to}");
        assert!(!text(&mut sim, to).contains("pay mallory"));
    }
}

#[test]
fn a_revoked_writers_later_change_is_refused_everywhere() {
    let mut sim = network(4, 13);
    let doc = sim.doc;
    let genesis: ChangeHash = sim
        .repo_mut(0)
        .change(&doc, |d| d.restrict())
        .expect("doc")
        .expect("empty document");
    for i in 1..5 {
        sim.repo_mut(0)
            .change(&doc, |d| d.grant(&identity(i, 0).actor(), Role::Writer))
            .expect("doc")
            .expect("admin");
        let repo = sim.repo_mut(i);
        repo.create_with_id(doc).expect("create");
        repo.doc_mut(&doc)
            .expect("doc")
            .restricted_to(genesis)
            .expect("empty");
    }
    sim.set_faulty(4, Misbehaviour::Honest);
    // Everyone learns of the grants before writing.
    converge(&mut sim, 5_000);
    edits(&mut sim, 0..5, 20);
    converge(&mut sim, 10_000);
    // The owner revokes node 4, which learns of it, then signs a change made after it.
    sim.repo_mut(0)
        .change(&doc, |d| d.revoke(&identity(4, 0).actor()))
        .expect("doc")
        .expect("admin");
    converge(&mut sim, 10_000);
    let late = {
        let mut change = latest_change_of(&mut sim, 4);
        let mut d = sim.repo_mut(4).doc_mut(&doc).expect("doc");
        change.seq = d.version().get(&identity(4, 0).actor()) + 1;
        change.deps = d.heads();
        change.start_op += 100_000;
        change.signature = Some(identity(4, 0).sign(&change.hash()));
        change
    };
    push_to_all_and_converge(&mut sim, &late);
    for to in 0..4 {
        assert!(
            refused_with(&sim, to, "not authorized"),
            "p{to}: {:?}",
            sim.refused
        );
    }
}

#[test]
fn bytes_tampered_in_transit_are_refused_and_honest_paths_carry_everything() {
    let sim = settled(14, Misbehaviour::Tamper, 0..5, 40, 30_000);
    let reported: usize = (0..4).map(|i| faults(&sim, i, 4).len()).sum();
    assert!(reported > 0, "tampering went unnoticed");
    assert!(sim
        .refused
        .iter()
        .all(|(to, from, _)| *from == 4 || *to == 4));
}

#[test]
fn replayed_frames_are_harmless() {
    let mut sim = settled(15, Misbehaviour::Replay, 0..5, 40, 30_000);
    // The replaying node's own edits arrived too: it is in step with the others.
    let doc = sim.doc;
    let heads = |sim: &mut Sim, i: usize| sim.repo_mut(i).doc_mut(&doc).map(|mut d| d.heads());
    assert_eq!(heads(&mut sim, 4), heads(&mut sim, 0));
}

#[test]
fn a_garbage_flood_gets_the_peer_banned_and_changes_nothing() {
    let mut sim = settled(16, Misbehaviour::Garbage, 0..4, 40, 60_000);
    for i in 0..4 {
        assert!(banned(&sim, i, 4), "p{i} never banned the flooder");
        assert!(!sim.repo_mut(i).peers().contains(&PeerId::from("p4")));
    }
    assert!(sim.refused.iter().any(|(_, _, e)| matches!(
        e,
        RepoError::Frame { .. } | RepoError::Malformed { .. } | RepoError::Sync { .. }
    )));
    assert!(sim
        .refused
        .iter()
        .any(|(_, _, e)| matches!(e, RepoError::Banned(_))));
}

#[test]
fn a_keyless_relay_forwards_encrypted_changes_between_keyed_peers() {
    let mut sim = Sim::new(3, 17, signed_net());
    let doc = sim.doc;
    let key = DocumentKey([9; 32]);
    for i in [0, 2] {
        let repo = sim.repo_mut(i);
        repo.create_with_id(doc).expect("create");
        repo.doc_mut(&doc)
            .expect("doc")
            .set_document_key(Some(key.clone()));
    }
    sim.line();
    for _ in 0..30 {
        let i = if sim.rng.below(2) == 0 { 0 } else { 2 };
        sim.edit(i);
        sim.run(20);
    }
    sim.run(20_000);
    let heads = |sim: &mut Sim, i: usize| sim.repo_mut(i).doc_mut(&doc).map(|mut d| d.heads());
    assert_eq!(heads(&mut sim, 0), heads(&mut sim, 2));
    assert_eq!(
        heads(&mut sim, 1),
        heads(&mut sim, 0),
        "the relay holds it all"
    );
    assert_eq!(text(&mut sim, 0), text(&mut sim, 2));
    assert_ne!(text(&mut sim, 0), "{}");
    assert_eq!(text(&mut sim, 1), "{}", "the relay cannot read");
}

#[test]
fn an_author_signing_two_branches_is_reported_banned_and_both_branches_converge() {
    let mut sim = settled(17, Misbehaviour::Honest, 0..5, 20, 5_000);
    // Node 4 signs two different changes with one number and shows each half one of them.
    let x = forge(&mut sim, 4, 4, "branch X;");
    let y = forge(&mut sim, 4, 4, "branch Y;");
    assert_eq!((x.actor, x.seq), (y.actor, y.seq));
    let (to_x, to_y) = (push(&sim, &x), push(&sim, &y));
    for to in 0..4 {
        sim.inject(4, to, if to < 2 { &to_x } else { &to_y });
    }
    edits(&mut sim, 0..4, 10);
    converge(&mut sim, 20_000);
    let expected = text(&mut sim, 0);
    assert!(
        expected.contains("branch X;") && expected.contains("branch Y;"),
        "{expected}"
    );
    for at in 0..4 {
        assert_eq!(text(&mut sim, at), expected, "p{at} converged");
        let caught = sim.events.iter().any(|(i, e)| {
            *i == at
                && matches!(e, RepoEvent::Equivocation { actor, existing, conflicting, .. }
                    if *actor == identity(4, 0).actor()
                        && [x.hash(), y.hash()].contains(existing)
                        && [x.hash(), y.hash()].contains(conflicting))
        });
        assert!(caught, "p{at} reported both hashes");
        assert!(banned(&sim, at, 4), "p{at} banned the equivocator");
    }
}

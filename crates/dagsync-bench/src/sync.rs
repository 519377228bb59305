//! The sync benchmark: two replicas with a shared history that diverge by `d` changes per
//! side, synced with dagsync's protocol; round trips, wire bytes and time. Also random small
//! divergent scenarios and the poisoning case (changes mined against a known filter salt).

use std::time::{Duration, Instant};

use dagsync::sync::{BloomFilter, SALT_LEN};
use dagsync::{ActorId, ChangeHash, Doc, SyncState};

pub use dagsync_fuzz::Rng;

/// A document with `n` changes by actor 1 (see [`make_changes`]).
pub fn base_doc(n: usize, seed: u64) -> Result<Doc, String> {
    let mut doc = Doc::new(ActorId([1; 32]));
    make_changes(&mut doc, &mut Rng::new(seed), n)?;
    Ok(doc)
}

/// Makes `n` changes on `doc`, each a few operations (a text insert, sometimes a delete, a map
/// set), each sealed into its own change.
pub fn make_changes(doc: &mut Doc, rng: &mut Rng, n: usize) -> Result<(), String> {
    for _ in 0..n {
        let len = doc.get_text("text").len() as u64;
        let pos = rng.below(len + 1) as usize;
        let word = ["alpha ", "beta ", "gamma ", "δέλτα ", "x"][rng.below(5) as usize];
        doc.get_text("text")
            .insert(pos, word)
            .map_err(|e| e.to_string())?;
        if len > 20 && rng.below(3) == 0 {
            let at = rng.below(len - 5) as usize;
            doc.get_text("text")
                .delete(at, 3)
                .map_err(|e| e.to_string())?;
        }
        let key = format!("k{}", rng.below(16));
        doc.get_map("map")
            .set(&key, rng.below(1000) as i64)
            .map_err(|e| e.to_string())?;
        doc.commit(None);
        // Reading the heads seals the change: the next commit starts a new one.
        doc.heads();
    }
    Ok(())
}

/// Makes `n` changes on `doc` that reference only its own actor's operations: each appends
/// a word to the text root `own` and sets a key of the map root `own` (so validating them
/// needs no walk through the other side's history).
pub fn make_own_changes(doc: &mut Doc, own: &str, rng: &mut Rng, n: usize) -> Result<(), String> {
    for i in 0..n {
        let len = doc.get_text(own).len();
        let word = ["alpha ", "beta ", "gamma ", "δέλτα ", "x"][rng.below(5) as usize];
        doc.get_text(own)
            .insert(len, word)
            .map_err(|e| e.to_string())?;
        doc.get_map(own)
            .set("n", i as i64)
            .map_err(|e| e.to_string())?;
        doc.commit(None);
        doc.heads();
    }
    Ok(())
}

/// [`diverge`] with [`make_own_changes`] edits: measures the protocol and the import at
/// scale without the validation walks that edits of each other's text need.
pub fn diverge_own(base: &mut Doc, d: usize, seed: u64) -> Result<DivergeRow, String> {
    diverge_by(base, d, seed, |doc, side, rng, d| {
        make_own_changes(doc, side, rng, d)
    })
}

/// The outcome of one sync.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncRun {
    /// Rounds (one message each way, sent at once) until both had the same heads.
    pub rounds: usize,
    /// Messages sent until both sides went quiet (acknowledgements included).
    pub messages: usize,
    /// Bytes of every message sent until both sides went quiet.
    pub wire_bytes: usize,
    /// Wall time until both sides went quiet (generating, encoding, decoding, applying).
    pub time: Duration,
    /// The part of `time` spent receiving messages (decoding, validating and applying
    /// changes).
    pub receive_time: Duration,
}

/// Syncs `a` and `b` in rounds (both generate, then both receive) until neither has anything
/// to say. Fails if a message is refused or they do not converge within 100 rounds.
pub fn run_sync(
    a: &mut Doc,
    sa: &mut SyncState,
    b: &mut Doc,
    sb: &mut SyncState,
) -> Result<SyncRun, String> {
    let mut run = SyncRun::default();
    let start = Instant::now();
    let mut converged = None;
    for round in 1..=100 {
        let ma = a.generate_sync_message(sa);
        let mb = b.generate_sync_message(sb);
        if ma.is_none() && mb.is_none() {
            run.time = start.elapsed();
            if a.heads() != b.heads() {
                return Err("both sides went quiet with different heads".to_owned());
            }
            run.rounds = converged.unwrap_or(0);
            return Ok(run);
        }
        for (m, doc, state) in [(ma, &mut *b, &mut *sb), (mb, &mut *a, &mut *sa)] {
            if let Some(m) = m {
                run.messages += 1;
                run.wire_bytes += m.len();
                let t = Instant::now();
                doc.receive_sync_message(state, &m)
                    .map_err(|e| e.to_string())?;
                run.receive_time += t.elapsed();
            }
        }
        if converged.is_none() && a.heads() == b.heads() {
            converged = Some(round);
        }
    }
    Err("no convergence within 100 rounds".to_owned())
}

/// One row of the divergence table.
#[derive(Clone, Copy, Debug)]
pub struct DivergeRow {
    /// Changes of shared history.
    pub history: usize,
    /// New changes per side.
    pub d: usize,
    /// The sync.
    pub run: SyncRun,
    /// Bytes of the missing changes in the change-batch format (`export_changes` of each
    /// side's changes the other lacks), both directions.
    pub own_bytes: usize,
}

/// Two replicas of `base` (its history shared) synced once, so each side's [`SyncState`]
/// knows the common heads (persisted and restored); then each makes `d` changes and the sync
/// after that is measured.
pub fn diverge(base: &mut Doc, d: usize, seed: u64) -> Result<DivergeRow, String> {
    diverge_by(base, d, seed, |doc, _, rng, d| make_changes(doc, rng, d))
}

/// [`diverge`] with the changes each side (`"a"`, `"b"`) makes given by `make`.
fn diverge_by(
    base: &mut Doc,
    d: usize,
    seed: u64,
    make: impl Fn(&mut Doc, &str, &mut Rng, usize) -> Result<(), String>,
) -> Result<DivergeRow, String> {
    let mut rng = Rng::new(seed);
    let mut a = base.fork(ActorId([1; 32]));
    let mut b = base.fork(ActorId([2; 32]));
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    run_sync(&mut a, &mut sa, &mut b, &mut sb)?;
    let mut sa = SyncState::decode(&sa.encode()).map_err(|e| e.to_string())?;
    let mut sb = SyncState::decode(&sb.encode()).map_err(|e| e.to_string())?;
    make(&mut a, "a", &mut rng, d)?;
    make(&mut b, "b", &mut rng, d)?;
    let own_bytes = a.export_changes(b.version()).len() + b.export_changes(a.version()).len();
    let run = run_sync(&mut a, &mut sa, &mut b, &mut sb)?;
    if a.to_json() != b.to_json() {
        return Err("same heads but different content".to_owned());
    }
    Ok(DivergeRow {
        history: base.change_count(),
        d,
        run,
        own_bytes,
    })
}

/// The same divergence, but the two replicas never synced with each other before: fresh
/// sync states on both sides (first contact), so the Bloom filters cover whole histories.
pub fn first_contact(base: &mut Doc, d: usize, seed: u64) -> Result<DivergeRow, String> {
    let mut rng = Rng::new(seed);
    let mut a = base.fork(ActorId([1; 32]));
    let mut b = base.fork(ActorId([2; 32]));
    make_changes(&mut a, &mut rng, d)?;
    make_changes(&mut b, &mut rng, d)?;
    let own_bytes = a.export_changes(b.version()).len() + b.export_changes(a.version()).len();
    let run = run_sync(&mut a, &mut SyncState::new(), &mut b, &mut SyncState::new())?;
    Ok(DivergeRow {
        history: base.change_count(),
        d,
        run,
        own_bytes,
    })
}

/// Random small divergent scenarios: per seed a shared history of 0–200 changes, 1–50 new
/// changes on one or both sides; `resumed` says whether the sides synced before (sync states
/// know the common heads) or meet for the first time. Returns how many converged in 1, 2
/// and more rounds.
pub fn random_scenarios(seeds: u64, resumed: bool) -> Result<[usize; 3], String> {
    let mut counts = [0usize; 3];
    for seed in 0..seeds {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37) ^ 0x5eed);
        let mut a = Doc::new(ActorId([1; 32]));
        let history = rng.below(201) as usize;
        make_changes(&mut a, &mut rng, history)?;
        let mut b = a.fork(ActorId([2; 32]));
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        if resumed {
            run_sync(&mut a, &mut sa, &mut b, &mut sb)?;
        }
        let (da, db) = match rng.below(3) {
            0 => (1 + rng.below(50), 0),
            1 => (0, 1 + rng.below(50)),
            _ => (1 + rng.below(50), 1 + rng.below(50)),
        };
        make_changes(&mut a, &mut rng, da as usize)?;
        make_changes(&mut b, &mut rng, db as usize)?;
        let run = run_sync(&mut a, &mut sa, &mut b, &mut sb)?;
        counts[run.rounds.clamp(1, 3) - 1] += 1;
    }
    Ok(counts)
}

/// The poisoning case.
#[derive(Clone, Copy, Debug)]
pub struct Poisoning {
    /// Changes the attacker mined.
    pub mined: usize,
    /// Candidate changes it hashed to find them.
    pub tries: usize,
    /// Rounds when the victim's filter used the salt the attacker mined against.
    pub rounds_known_salt: usize,
    /// Rounds with the protocol's random per-session salt.
    pub rounds_random_salt: usize,
    /// How many mined changes are false positives of a filter keyed with a random salt.
    pub hits_random_salt: usize,
}

/// The poisoning setup of [`mined_setup`].
pub struct Mined {
    /// The victim: shared history plus 20 changes of its own.
    pub victim: Doc,
    /// The victim's peer: the shared history plus the mined chain.
    pub peer: Doc,
    /// The salt the attacker mined against.
    pub salt: [u8; SALT_LEN],
    /// The mined changes' hashes.
    pub mined: Vec<ChangeHash>,
    /// Candidate changes hashed to find them.
    pub tries: usize,
}

/// A victim (first contact, filter over its whole history) and its peer, after an attacker
/// who knows the salt of the victim's filter mined a chain of `chain` changes (given to the
/// peer) whose hashes are all false positives of that filter.
pub fn mined_setup(history: usize, chain: usize, seed: u64) -> Result<Mined, String> {
    let mut rng = Rng::new(seed);
    let mut victim = Doc::new(ActorId([1; 32]));
    make_changes(&mut victim, &mut rng, history)?;
    let mut peer = victim.fork(ActorId([2; 32]));
    make_changes(&mut victim, &mut rng, 20)?;
    let salt = [0x5A; SALT_LEN];
    let victim_hashes: Vec<ChangeHash> = victim.history().iter().map(|e| e.hash).collect();
    let filter = BloomFilter::new(salt, victim_hashes.iter());
    let mut attacker = peer.fork(ActorId([66; 32]));
    let mut tries = 0usize;
    let mut mined: Vec<ChangeHash> = Vec::new();
    while mined.len() < chain {
        tries += 1;
        let mut trial = attacker.fork(ActorId([66; 32]));
        trial
            .get_map("map")
            .set("nonce", tries as i64)
            .map_err(|e| e.to_string())?;
        trial.commit(Some("mined"));
        let head = trial.heads()[0];
        if filter.contains(&head) {
            attacker = trial;
            mined.push(head);
        }
    }
    peer.merge(&mut attacker).map_err(|e| e.to_string())?;
    Ok(Mined {
        victim,
        peer,
        salt,
        mined,
        tries,
    })
}

/// An attacker who knows the protocol, the victim's changes and the salt its filter will use
/// mines a chain of `chain` changes (see [`mined_setup`]). Then the victim syncs with the
/// peer, once with the known salt and once with a random one.
pub fn poisoning(history: usize, chain: usize, seed: u64) -> Result<Poisoning, String> {
    let Mined {
        mut victim,
        mut peer,
        salt,
        mined,
        tries,
    } = mined_setup(history, chain, seed)?;
    let victim_hashes: Vec<ChangeHash> = victim.history().iter().map(|e| e.hash).collect();
    let known = run_sync(
        &mut victim.fork(ActorId([1; 32])),
        &mut SyncState::with_fixed_salt(salt),
        &mut peer.fork(ActorId([2; 32])),
        &mut SyncState::new(),
    )?;
    let random = run_sync(
        &mut victim,
        &mut SyncState::new(),
        &mut peer,
        &mut SyncState::new(),
    )?;
    let mut rng = Rng::new(seed ^ 0xA5A5);
    let mut real_salt = [0u8; SALT_LEN];
    for byte in &mut real_salt {
        *byte = rng.below(256) as u8;
    }
    let fresh = BloomFilter::new(real_salt, victim_hashes.iter());
    Ok(Poisoning {
        mined: mined.len(),
        tries,
        rounds_known_salt: known.rounds,
        rounds_random_salt: random.rounds,
        hits_random_salt: mined.iter().filter(|h| fresh.contains(h)).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_scenarios_converge() {
        let [one, _, _] = random_scenarios(300, true).expect("converges");
        assert!(one >= 297, "{one} of 300 in one round");
        random_scenarios(100, false).expect("converges");
    }

    #[test]
    fn divergence_and_poisoning_run() {
        let mut base = base_doc(300, 1).expect("builds");
        let row = diverge(&mut base, 50, 2).expect("syncs");
        assert_eq!(row.run.rounds, 1);
        assert!(row.run.wire_bytes <= row.own_bytes + row.own_bytes / 10 + 2048);
        first_contact(&mut base, 50, 3).expect("syncs");
        let p = poisoning(300, 5, 4).expect("runs");
        assert!(p.rounds_known_salt <= 3 && p.rounds_random_salt <= 3);
    }

    /// Whatever the honest peer's salt (and so its own false positives), the mined chain
    /// costs at most one round more than first contact's two.
    #[test]
    fn poisoning_never_takes_more_than_three_rounds() {
        let Mined {
            mut victim,
            mut peer,
            salt,
            ..
        } = mined_setup(300, 20, 5).expect("mines");
        for k in 0..60 {
            let run = run_sync(
                &mut victim.fork(ActorId([1; 32])),
                &mut SyncState::with_fixed_salt(salt),
                &mut peer.fork(ActorId([2; 32])),
                &mut SyncState::with_seed(k),
            )
            .expect("syncs");
            assert!(
                run.rounds <= 3,
                "honest salt seed {k}: {} rounds",
                run.rounds
            );
        }
    }
}

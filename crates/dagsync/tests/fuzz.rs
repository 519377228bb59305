//! Seeded multi-replica fuzzing: random edits of every kind on 3–5 replicas, delivered in
//! random order with duplicates, must converge to identical state, JSON and heads.

use dagsync_fuzz::Fuzzer;

/// Seeds per replica count; `DAGSYNC_FUZZ_SEEDS` raises it for longer runs.
fn seeds() -> u64 {
    std::env::var("DAGSYNC_FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

#[test]
fn random_edits_converge() {
    for replicas in 3..=5 {
        for seed in 0..seeds() {
            let mut fuzzer = Fuzzer::new(replicas, seed);
            fuzzer.run_random(150);
            fuzzer.sync_all();
            if let Err(e) = fuzzer.check_converged() {
                panic!("replicas={replicas} seed={seed}: {e}");
            }
        }
    }
}

#[test]
fn converged_replicas_save_and_load_identically() {
    for seed in 0..10 {
        let mut fuzzer = Fuzzer::new(3, 1000 + seed);
        fuzzer.run_random(120);
        fuzzer.sync_all();
        let json = fuzzer.docs[0].to_json().to_string();
        let bytes = fuzzer.docs[1].save();
        let mut loaded = dagsync::Doc::load(&bytes, dagsync::ActorId([99; 32])).unwrap();
        assert_eq!(loaded.to_json().to_string(), json, "seed {seed}");
        assert_eq!(loaded.heads(), fuzzer.docs[0].heads());
    }
}

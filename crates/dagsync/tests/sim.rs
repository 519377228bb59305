//! Repos over the deterministic simulated network of `dagsync_fuzz::sim`: loss,
//! duplication, reordering, partitions and heals, restarts; once healed and quiet, every
//! peer has the same heads and the same state.

use dagsync_fuzz::sim::{NetConfig, Sim};
use proptest::prelude::*;

fn perfect() -> NetConfig {
    NetConfig {
        loss: 0,
        duplicate: 0,
        ..NetConfig::default()
    }
}

fn settle_and_check(sim: &mut Sim) {
    assert!(sim.settle(600_000), "the network never went quiet");
    if let Err(e) = sim.check_converged() {
        panic!("not converged at {} ms: {e}\n{}", sim.now(), sim.describe());
    }
}

#[test]
fn a_line_converges_through_the_middle() {
    let mut sim = Sim::new(3, 1, perfect());
    sim.line();
    sim.run(200);
    for round in 0..20 {
        sim.edit(if round % 2 == 0 { 0 } else { 2 });
        sim.run(30);
    }
    settle_and_check(&mut sim);
}

#[test]
fn a_line_converges_over_a_bad_network() {
    for seed in 0..5 {
        let mut sim = Sim::new(5, seed, NetConfig::default());
        sim.line();
        for _ in 0..40 {
            let i = sim.rng.below(5) as usize;
            sim.edit(i);
            sim.run(20);
        }
        settle_and_check(&mut sim);
    }
}

#[test]
fn twenty_peers_in_a_random_topology_converge() {
    let mut sim = Sim::new(20, 7, NetConfig::default());
    sim.random_topology(10);
    for _ in 0..150 {
        let i = sim.rng.below(20) as usize;
        sim.edit(i);
        sim.run(15);
    }
    settle_and_check(&mut sim);
}

#[test]
fn partitions_heal_and_converge() {
    let mut sim = Sim::new(6, 3, NetConfig::default());
    sim.random_topology(4);
    sim.run(500);
    sim.partition(&[0, 1, 2]);
    for _ in 0..60 {
        let i = sim.rng.below(6) as usize;
        sim.edit(i);
        sim.run(25);
    }
    sim.heal();
    settle_and_check(&mut sim);
}

#[test]
fn restarts_with_and_without_storage() {
    let mut sim = Sim::new(4, 11, NetConfig::default());
    sim.random_topology(2);
    for step in 0..80 {
        let i = sim.rng.below(4) as usize;
        sim.edit(i);
        sim.run(20);
        if step == 30 {
            sim.restart(1, true);
        }
        if step == 50 {
            sim.restart(2, false);
        }
    }
    settle_and_check(&mut sim);
    // A node that lost everything while the others kept their sync states with it.
    sim.restart(3, false);
    settle_and_check(&mut sim);
}

#[test]
fn frames_smaller_than_messages_are_reassembled() {
    let config = NetConfig {
        max_frame: 100,
        ..NetConfig::default()
    };
    let mut sim = Sim::new(3, 5, config);
    sim.line();
    for _ in 0..40 {
        let i = sim.rng.below(3) as usize;
        sim.edit(i);
        sim.run(10);
    }
    settle_and_check(&mut sim);
}

/// `steps` random steps on `sim`: a partition, a heal or a restart (each 1 in `odds`), an edit
/// otherwise, then up to `max_ms` of network time; finally every link is healed.
fn random_scenario(sim: &mut Sim, steps: usize, odds: u64, max_ms: u64) {
    let n = sim.len();
    for _ in 0..steps {
        match sim.rng.below(odds) {
            0 => {
                let side: Vec<usize> = (0..n).filter(|_| sim.rng.below(2) == 0).collect();
                sim.partition(&side);
            }
            1 => sim.heal(),
            2 => {
                let i = sim.rng.below(n as u64) as usize;
                let keep = sim.rng.below(3) != 0;
                sim.restart(i, keep);
            }
            _ => {
                let i = sim.rng.below(n as u64) as usize;
                sim.edit(i);
            }
        }
        let ms = sim.rng.below(max_ms);
        sim.run(ms);
    }
    sim.heal();
}

proptest! {
    // 24 cases by default; `PROPTEST_CASES=1000 cargo test --release --test sim` for a soak.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    /// Random scenarios: edits, partitions, heals and restarts on a random topology over a
    /// lossy, duplicating, reordering network; healed and quiet, all peers agree.
    #[test]
    fn random_scenarios_converge(seed in any::<u64>(), n in 2usize..7, steps in 10usize..60) {
        let mut sim = Sim::new(n, seed, NetConfig::default());
        sim.random_topology(n / 2);
        random_scenario(&mut sim, steps, 20, 100);
        prop_assert!(sim.settle(600_000), "never quiet");
        let result = sim.check_converged();
        prop_assert!(result.is_ok(), "{:?}\n{}", result, sim.describe());
    }

    /// The same over a harsh network: a fifth of the frames lost, a fifth duplicated, frames
    /// of 200 bytes, up to 10 peers.
    #[test]
    fn random_scenarios_converge_over_a_harsh_network(seed in any::<u64>(), n in 2usize..11, steps in 10usize..80) {
        let config = NetConfig {
            loss: 200,
            duplicate: 200,
            max_latency: 150,
            max_frame: 200,
            ..NetConfig::default()
        };
        let mut sim = Sim::new(n, seed, config);
        sim.random_topology(n / 3);
        random_scenario(&mut sim, steps, 25, 150);
        prop_assert!(sim.settle(3_600_000), "never quiet");
        let result = sim.check_converged();
        prop_assert!(result.is_ok(), "{:?}\n{}", result, sim.describe());
    }
}

#[test]
fn signing_peers_with_handshakes_converge_over_a_bad_network_with_restarts() {
    for seed in 0..3 {
        let mut sim = Sim::new(
            6,
            100 + seed,
            NetConfig {
                signed: true,
                ..NetConfig::default()
            },
        );
        sim.random_topology(3);
        for round in 0..60 {
            let i = sim.rng.below(6) as usize;
            sim.edit(i);
            if round % 20 == 19 {
                sim.restart(i, true);
            }
            sim.run(20);
        }
        settle_and_check(&mut sim);
        let authenticated = sim
            .events
            .iter()
            .filter(|(_, e)| matches!(e, dagsync::repo::RepoEvent::PeerAuthenticated { .. }))
            .count();
        assert!(
            authenticated >= 2 * 5,
            "{authenticated} handshakes completed"
        );
        assert!(sim.refused.is_empty());
    }
}

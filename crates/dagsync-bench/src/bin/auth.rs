//! `auth`: what signed changes cost. Per-operation signing and verification, the
//! automerge-paper replay with and without an identity (keystroke commits coalesce into one
//! change, signed when sealed), a history where every edit is its own signed change, and
//! importing that history (one signature verified per author and batch).
//!
//! ```text
//! cargo run -p dagsync-bench --profile bench-native --bin auth [-- --runs N]
//! ```

use std::time::{Duration, Instant};

use dagsync::{ActorId, ChangeHash, Doc, Identity};
use dagsync_traces::Trace;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time_runs(runs: usize, mut work: impl FnMut()) -> Duration {
    work();
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                work();
                start.elapsed()
            })
            .collect(),
    )
}

/// Replays `edits` edits of `trace` into `doc`; with `seal_each`, every edit is committed with
/// a message, so it becomes a sealed (and, with an identity, signed) change of its own.
fn replay(doc: &mut Doc, trace: &Trace, edits: usize, seal_each: bool) {
    for patch in trace.txns.iter().flat_map(|t| &t.patches).take(edits) {
        let mut text = doc.get_text("text");
        if patch.del > 0 {
            text.delete(patch.pos, patch.del).expect("delete in range");
        }
        if !patch.ins.is_empty() {
            text.insert(patch.pos, &patch.ins).expect("insert in range");
        }
        doc.commit(seal_each.then_some("e"));
    }
}

fn main() {
    let mut runs = 5;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--runs", Some(n)) => runs = n,
            _ => {
                eprintln!("usage: auth [--runs N]");
                std::process::exit(2);
            }
        }
    }
    let trace = dagsync_traces::load(dagsync_traces::named("automerge-paper")).expect("trace");
    let all = trace.patch_count();
    let identity = Identity::from_secret_key([7; 32]);
    println!("median of {runs} runs after a warm-up");

    // Raw operations.
    let n = 10_000;
    let hashes: Vec<ChangeHash> = (0..n as u32)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            ChangeHash(h)
        })
        .collect();
    let sign = time_runs(runs, || {
        for h in &hashes {
            std::hint::black_box(identity.sign(h));
        }
    });
    let signatures: Vec<_> = hashes.iter().map(|h| identity.sign(h)).collect();
    let actor = identity.actor();
    let verify = time_runs(runs, || {
        for (h, s) in hashes.iter().zip(&signatures) {
            assert!(dagsync::auth::verify_signature(&actor, h, s));
        }
    });
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!("sign one change hash                 {:>9.2} µs", per(sign));
    println!(
        "verify one signature                 {:>9.2} µs",
        per(verify)
    );

    // The automerge-paper replay (one commit per edit) and a final save.
    let replay_time = |signed: bool| {
        time_runs(runs, || {
            let mut doc = if signed {
                Doc::with_identity(identity.clone())
            } else {
                Doc::new(ActorId([7; 32]))
            };
            replay(&mut doc, &trace, all, false);
            std::hint::black_box(doc.save());
        })
    };
    let plain = replay_time(false);
    let signed = replay_time(true);
    println!(
        "automerge-paper replay + save        {:>9.2} ms unsigned, {:.2} ms signed ({:+.2} %)",
        plain.as_secs_f64() * 1e3,
        signed.as_secs_f64() * 1e3,
        (signed.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );

    // Every edit its own sealed change: the worst case for signing.
    let edits = 20_000;
    let sealed_time = |signed: bool| {
        time_runs(runs, || {
            let mut doc = if signed {
                Doc::with_identity(identity.clone())
            } else {
                Doc::new(ActorId([7; 32]))
            };
            replay(&mut doc, &trace, edits, true);
        })
    };
    let plain = sealed_time(false);
    let signed = sealed_time(true);
    println!(
        "{edits} edits, one sealed change each {:>8.2} ms unsigned, {:.2} ms signed: {:.2} µs per change for signing",
        plain.as_secs_f64() * 1e3,
        signed.as_secs_f64() * 1e3,
        (signed.as_secs_f64() - plain.as_secs_f64()) * 1e6 / edits as f64
    );

    // Importing that history: one verified signature covers the author's chain.
    let mut author = Doc::with_identity(identity.clone());
    replay(&mut author, &trace, edits, true);
    let changes = author.changes_since(&Default::default());
    let import = |require: bool| {
        time_runs(runs, || {
            let mut doc = Doc::with_identity(Identity::from_secret_key([8; 32]));
            doc.set_require_signatures(require);
            let report = doc.apply_changes(changes.clone()).expect("valid history");
            assert_eq!(report.applied, edits);
        })
    };
    let trusting = import(false);
    let checking = import(true);
    println!(
        "import {edits} signed changes          {:>9.2} ms (signatures required: {:.2} ms; checking each one would add {:.0} ms)",
        trusting.as_secs_f64() * 1e3,
        checking.as_secs_f64() * 1e3,
        per(verify) * edits as f64 / 1e3
    );
}

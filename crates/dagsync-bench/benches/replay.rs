//! Criterion versions of the trace replays (one transaction per edit).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use dagsync_bench::engines::{Dagsync, DiamondTypes, Engine, Loro};

fn replays(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    for name in ["automerge-paper", "seph-blog1"] {
        let trace = dagsync_traces::load(dagsync_traces::named(name)).expect("trace loads");
        for engine in [&Dagsync as &dyn Engine, &DiamondTypes, &Loro] {
            group.bench_function(format!("{name}/{}", engine.name()), |b| {
                b.iter(|| engine.replay_sequential(&trace))
            });
        }
    }
    group.finish();
}

fn merges(c: &mut Criterion) {
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    for engine in [&Dagsync as &dyn Engine, &DiamondTypes, &Loro] {
        group.bench_function(format!("2x10k/{}", engine.name()), |b| {
            b.iter(|| engine.merge_concurrent(10_000, 42))
        });
    }
    group.finish();
}

criterion_group!(benches, replays, merges);
criterion_main!(benches);

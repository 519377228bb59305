//! Criterion versions of the `bench` workloads: trace replays (one transaction per edit, final
//! save) and the two-replica merge, for every engine. Long runs, so few samples.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use dagsync_bench::workloads::runners;

fn replays(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for name in ["automerge-paper", "seph-blog1", "friendsforever"] {
        let trace = dagsync_traces::load(dagsync_traces::named(name)).expect("trace loads");
        for runner in runners() {
            group.bench_function(format!("{name}/{}", runner.name), |b| {
                b.iter(|| (runner.replay)(black_box(&trace)).expect("replay succeeds"))
            });
        }
    }
    group.finish();
}

fn merges(c: &mut Criterion) {
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for runner in runners() {
        group.bench_function(format!("2x10k/{}", runner.name), |b| {
            b.iter(|| (runner.merge)(black_box(10_000), 42).expect("merge succeeds"))
        });
    }
    group.finish();
}

criterion_group!(benches, replays, merges);
criterion_main!(benches);

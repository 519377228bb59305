//! Running a workload several times and reporting its median time and peak heap.

use std::time::{Duration, Instant};

use crate::alloc;

/// Time and memory of one workload.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    /// Median wall time.
    pub time: Duration,
    /// Peak heap above the level before the run (max over runs), in bytes. Zero when the
    /// counting allocator is not installed.
    pub peak_heap: usize,
}

/// Runs `work` once to warm up, then `runs` times; the median time and the largest peak.
pub fn measure<T>(runs: usize, mut work: impl FnMut() -> T) -> (Measurement, T) {
    let mut last = work();
    let mut times = Vec::with_capacity(runs);
    let mut peak_heap = 0;
    for _ in 0..runs.max(1) {
        drop(last);
        let base = alloc::reset_peak();
        let start = Instant::now();
        last = work();
        times.push(start.elapsed());
        peak_heap = peak_heap.max(alloc::peak().saturating_sub(base));
    }
    times.sort();
    let time = times[times.len() / 2];
    (Measurement { time, peak_heap }, last)
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Mebibytes with two decimals.
pub fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

//! Running a workload several times and reporting its median time and peak heap.

use std::time::{Duration, Instant};

use crate::alloc;
use crate::engines::Result;
use crate::workloads::Outcome;

/// Time and memory of one workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measurement {
    /// Median wall time of the measured runs.
    pub time: Duration,
    /// Median time of the workload's inner phase (see [`Outcome::phase`]), if it has one.
    pub phase: Option<Duration>,
    /// Peak heap above the level at the start of a run (the largest over the measured runs),
    /// in bytes. Zero when the counting allocator is not the global allocator.
    pub peak_heap: usize,
}

/// Runs `work` once to warm up, then `runs` times (at least once); returns the median time,
/// the median phase, the largest peak and the last run's outcome. Stops at the first error.
pub fn measure(
    runs: usize,
    mut work: impl FnMut() -> Result<Outcome>,
) -> Result<(Measurement, Outcome)> {
    let mut last = work()?;
    let mut times = Vec::with_capacity(runs);
    let mut phases = Vec::with_capacity(runs);
    let mut peak_heap = 0;
    for _ in 0..runs.max(1) {
        drop(last);
        let base = alloc::reset_peak();
        let start = Instant::now();
        last = work()?;
        times.push(start.elapsed());
        peak_heap = peak_heap.max(alloc::peak().saturating_sub(base));
        phases.extend(last.phase);
    }
    let measurement = Measurement {
        time: median(&mut times).unwrap_or_default(),
        phase: median(&mut phases),
        peak_heap,
    };
    Ok((measurement, last))
}

/// Runs `work` once to warm up, then `runs` times (at least once), timing only `work`: each
/// result goes to `check` afterwards, untimed (so the check and dropping the result are not
/// measured). Returns the median time; stops at the first error of either.
pub fn median_time<T>(
    runs: usize,
    mut work: impl FnMut() -> Result<T>,
    mut check: impl FnMut(T) -> Result<()>,
) -> Result<Duration> {
    check(work()?)?;
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let result = work()?;
        times.push(start.elapsed());
        check(result)?;
    }
    Ok(median(&mut times).unwrap_or_default())
}

fn median(values: &mut [Duration]) -> Option<Duration> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Mebibytes with two decimals.
pub fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

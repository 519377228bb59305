//! `bench`: prints dagsync's numbers beside diamond-types' and Loro's from the same run, as
//! ratios.
//!
//! `bench [--runs N]` runs the standard table; `bench replay FILE...` replays trace files.

use std::process::ExitCode;
use std::time::Duration;

use dagsync_bench::alloc::CountingAlloc;
use dagsync_bench::engines::{replay, Dagsync, DiamondTypes, Engine, Loro, Outcome};
use dagsync_bench::measure::{measure, mib, ms, Measurement};
use dagsync_traces::Trace;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Row {
    workload: String,
    engine: &'static str,
    result: Option<(Measurement, Outcome)>,
}

fn engines() -> Vec<Box<dyn Engine>> {
    vec![Box::new(Dagsync), Box::new(DiamondTypes), Box::new(Loro)]
}

fn print_rows(rows: &[Row]) {
    println!(
        "{:<34} {:<14} {:>11} {:>11} {:>12} {:>9} {:>9}",
        "workload", "engine", "time", "peak heap", "encoded B", "time ×", "heap ×"
    );
    let mut base: Option<&Measurement> = None;
    for row in rows {
        let Some((m, outcome)) = &row.result else {
            println!("{:<34} {:<14} {:>11}", row.workload, row.engine, "n/a");
            continue;
        };
        if row.engine == "dagsync" {
            base = Some(m);
        }
        let (time_ratio, heap_ratio) = match base {
            Some(b) if row.engine != "dagsync" => (
                format!("{:.2}", b.time.as_secs_f64() / m.time.as_secs_f64()),
                format!("{:.2}", b.peak_heap as f64 / m.peak_heap.max(1) as f64),
            ),
            _ => (String::new(), String::new()),
        };
        println!(
            "{:<34} {:<14} {:>11} {:>11} {:>12} {:>9} {:>9}",
            row.workload,
            row.engine,
            ms(m.time),
            mib(m.peak_heap),
            outcome.encoded,
            time_ratio,
            heap_ratio
        );
    }
    println!("(× columns: dagsync divided by the engine on that line; below 1 means dagsync is faster/smaller)");
}

/// Replays `trace` with every engine; `Err` when an engine's text differs from endContent.
fn replay_rows(label: &str, trace: &Trace, runs: usize) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for engine in engines() {
        let result = if replay(engine.as_ref(), trace).is_some() {
            let (m, outcome) = measure(runs, || replay(engine.as_ref(), trace));
            outcome.map(|o| (m, o))
        } else {
            None
        };
        if let Some((_, outcome)) = &result {
            if outcome.text != trace.end_content {
                let at = outcome
                    .text
                    .chars()
                    .zip(trace.end_content.chars())
                    .position(|(a, b)| a != b)
                    .unwrap_or(
                        outcome
                            .text
                            .chars()
                            .count()
                            .min(trace.end_content.chars().count()),
                    );
                return Err(format!(
                    "{label}: {} does not reproduce endContent (first difference at char {at})",
                    engine.name()
                ));
            }
        }
        rows.push(Row {
            workload: label.to_owned(),
            engine: engine.name(),
            result,
        });
    }
    Ok(rows)
}

fn merge_rows(edits: usize, runs: usize) -> Vec<Row> {
    engines()
        .into_iter()
        .map(|engine| {
            let mut times: Vec<Duration> = Vec::new();
            let (m, outcome) = measure(runs, || {
                let o = engine.merge_concurrent(edits, 42);
                times.push(o.merge_time.unwrap_or_default());
                o
            });
            times.sort();
            let merge = Measurement {
                time: times[times.len() / 2],
                peak_heap: m.peak_heap,
            };
            Row {
                workload: format!("merge 2×{}k concurrent edits", edits / 1000),
                engine: engine.name(),
                result: Some((merge, outcome)),
            }
        })
        .collect()
}

fn load(path: &std::path::Path) -> Result<Trace, String> {
    dagsync_traces::load(path).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 5;
    let mut rest = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--runs" {
            runs = iter.next().and_then(|n| n.parse().ok()).unwrap_or(runs);
        } else {
            rest.push(arg);
        }
    }
    let result = match rest.first().map(String::as_str) {
        Some("replay") if rest.len() > 1 => (|| {
            let mut rows = Vec::new();
            for file in &rest[1..] {
                let path = std::path::Path::new(file);
                let trace = load(path)?;
                let label = path
                    .file_name()
                    .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
                rows.extend(replay_rows(&label, &trace, runs)?);
            }
            Ok(rows)
        })(),
        None => (|| {
            let mut rows = Vec::new();
            for name in ["automerge-paper", "seph-blog1", "friendsforever"] {
                let trace = load(&dagsync_traces::named(name))?;
                let label = format!("{name} ({} edits)", trace.patch_count());
                rows.extend(replay_rows(&label, &trace, runs)?);
            }
            rows.extend(merge_rows(10_000, runs));
            Ok(rows)
        })(),
        Some(_) => {
            Err("usage: bench [--runs N] | bench [--runs N] replay FILE.json.gz...".to_owned())
        }
    };
    match result {
        Ok(rows) => {
            print_rows(&rows);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

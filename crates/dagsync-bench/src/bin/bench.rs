//! `bench`: dagsync's numbers beside diamond-types' and Loro's from the same run, with
//! ratios dagsync ÷ other.
//!
//! ```text
//! bench [--runs N] [--edits N] [--seed N] [--engines a,b]   the standard tables
//! bench persistence [--runs N] [--engines a,b]              the persistence table only
//! bench replay [--runs N] [--engines a,b] FILE.json.gz...   replay trace files
//! bench sync [--seeds N] [--max-d N]                        dagsync's sync protocol
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use dagsync_bench::alloc::CountingAlloc;
use dagsync_bench::measure::{measure, mib, ms, Measurement};
use dagsync_bench::workloads::{first_difference, runners, Outcome, Persistence, Runner};
use dagsync_traces::{Kind, Trace};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const USAGE: &str = "usage:
  bench [--runs N] [--edits N] [--seed N] [--engines NAME,...]
      trace replays (one transaction per edit, final save), a merge of two replicas with
      N (default 10000) concurrent random edits each, then the persistence table
  bench persistence [--runs N] [--engines NAME,...]
      the persistence table only: save size, load, export + import of the automerge-paper
      and seph-blog1 documents (one commit per edit), texts checked against endContent
  bench replay [--runs N] [--engines NAME,...] FILE.json.gz...
      replays trace files (sequential or concurrent, detected), checks endContent
  bench sync [--seeds N] [--max-d N]
      dagsync's sync protocol: histories of 10k and 100k changes diverging by d changes per
      side (d in 1, 10, ..., 10000, 20000, 40000, 100000 up to --max-d, default 10000), N (default 1000) random small divergent
      scenarios, and the poisoning case
options:
  --runs N       measured runs per workload after one warm-up run (default 5); time is the median
  --engines L    comma-separated subset of: dagsync, diamond-types, loro (default: all built;
                 loro needs the default `loro` feature)";

/// Which tables `bench` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The standard workloads, then the persistence table.
    Standard,
    /// The persistence table only.
    Persistence,
    /// Replays of the given files.
    Replay,
    /// The sync tables.
    Sync,
}

struct Options {
    runs: usize,
    edits: usize,
    seed: u64,
    runners: Vec<Runner>,
    mode: Mode,
    files: Vec<String>,
    seeds: u64,
    max_d: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        edits: 10_000,
        seed: 42,
        runners: runners(),
        mode: Mode::Standard,
        files: Vec::new(),
        seeds: 1000,
        max_d: 10_000,
    };
    let mut args = std::env::args().skip(1);
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v:?}\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => options.runs = number("--runs", value("--runs")?)?.max(1) as usize,
            "--edits" => options.edits = number("--edits", value("--edits")?)? as usize,
            "--seed" => options.seed = number("--seed", value("--seed")?)?,
            "--seeds" => options.seeds = number("--seeds", value("--seeds")?)?,
            "--max-d" => options.max_d = number("--max-d", value("--max-d")?)? as usize,
            "--engines" => {
                let list = value("--engines")?;
                let all = runners();
                options.runners = Vec::new();
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let runner = all
                        .iter()
                        .find(|r| r.name == name)
                        .ok_or_else(|| format!("unknown engine {name:?}\n{USAGE}"))?;
                    if !options.runners.iter().any(|r| r.name == name) {
                        options.runners.push(*runner);
                    }
                }
                // dagsync first: the ratios are relative to it.
                options.runners.sort_by_key(|r| r.name != "dagsync");
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "replay" if options.mode == Mode::Standard => options.mode = Mode::Replay,
            "persistence" if options.mode == Mode::Standard => options.mode = Mode::Persistence,
            "sync" if options.mode == Mode::Standard => options.mode = Mode::Sync,
            _ if options.mode == Mode::Replay && !arg.starts_with("--") => files.push(arg),
            _ => return Err(format!("unexpected argument {arg:?}\n{USAGE}")),
        }
    }
    if options.mode == Mode::Replay {
        if files.is_empty() {
            return Err(format!("replay needs at least one file\n{USAGE}"));
        }
        options.files = files;
    }
    if options.runners.is_empty() {
        return Err(format!("no engines selected\n{USAGE}"));
    }
    Ok(options)
}

/// Prints rows as they are measured; the ratio columns compare with the workload's dagsync row.
struct Table {
    base: Option<Measurement>,
    failures: Vec<String>,
}

impl Table {
    fn new(runs: usize) -> Table {
        println!(
            "median of {runs} runs after a warm-up; peak heap above the level at the start of a \
             run; ratios = dagsync / other (below 1: dagsync faster / smaller)"
        );
        println!(
            "{:<40} {:<14} {:>10} {:>10} {:>11} {:>10} {:>7} {:>7}",
            "workload", "engine", "time", "merge", "peak heap", "saved B", "time×", "heap×"
        );
        Table {
            base: None,
            failures: Vec::new(),
        }
    }

    fn start_workload(&mut self) {
        self.base = None;
    }

    fn row(
        &mut self,
        workload: &str,
        engine: &str,
        result: Result<(Measurement, Outcome), String>,
    ) {
        let (m, outcome) = match result {
            Ok(r) => r,
            Err(e) => {
                println!("{workload:<40} {engine:<14} {:>10}", "FAILED");
                self.failures.push(format!("{workload}: {engine}: {e}"));
                return;
            }
        };
        let (time_ratio, heap_ratio) = match self.base {
            Some(b) if engine != "dagsync" => (
                format!(
                    "{:.2}",
                    b.time.as_secs_f64() / m.time.as_secs_f64().max(1e-9)
                ),
                format!("{:.2}", b.peak_heap as f64 / m.peak_heap.max(1) as f64),
            ),
            _ => (String::new(), String::new()),
        };
        if engine == "dagsync" {
            self.base = Some(m);
        }
        println!(
            "{:<40} {:<14} {:>10} {:>10} {:>11} {:>10} {:>7} {:>7}",
            workload,
            engine,
            ms(m.time),
            m.phase.map(ms).unwrap_or_default(),
            mib(m.peak_heap),
            outcome.saved.map(|n| n.to_string()).unwrap_or_default(),
            time_ratio,
            heap_ratio
        );
    }
}

/// Reports the failures on stderr; exit status 1 if there were any.
fn finish(failures: Vec<String>) -> ExitCode {
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    for failure in &failures {
        eprintln!("bench: FAILED {failure}");
    }
    ExitCode::FAILURE
}

/// Replays `trace` with every engine and checks the text against endContent.
fn replay_rows(table: &mut Table, label: &str, trace: &Trace, options: &Options) {
    table.start_workload();
    for runner in &options.runners {
        let result = measure(options.runs, || (runner.replay)(trace))
            .map_err(|e| e.to_string())
            .and_then(|(m, outcome)| {
                if outcome.text == trace.end_content {
                    Ok((m, outcome))
                } else {
                    Err(format!(
                        "final text differs from endContent at char {} (text has {} chars, \
                         endContent {})",
                        first_difference(&outcome.text, &trace.end_content),
                        outcome.text.chars().count(),
                        trace.end_content.chars().count()
                    ))
                }
            });
        table.row(label, runner.name, result);
    }
}

/// The persistence table, printed row by row; ratios compare with the trace's dagsync row.
struct PersistenceTable {
    base: Option<Persistence>,
}

/// Milliseconds with two decimals (loads take a few ms).
fn ms2(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `dagsync / other` with two decimals.
fn ratio(dagsync: f64, other: f64) -> String {
    format!("{:.2}", dagsync / other.max(1e-12))
}

impl PersistenceTable {
    fn new(runs: usize) -> PersistenceTable {
        println!();
        println!(
            "persistence: the document of each trace, built once by replaying it (one commit per \
             edit); median of {runs} runs after a warm-up; every loaded / imported text checked \
             against endContent; ratios = dagsync / other (below 1: dagsync faster / smaller)"
        );
        println!(
            "  saved B = save() with full history; load = the library's load call only (may \
             defer work); load+text = until the text is a String; export B = every change as \
             one update; exp+imp = export + import into an empty doc + text"
        );
        println!(
            "{:<16} {:<14} {:>9} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7} {:>7} {:>7} {:>7}",
            "trace",
            "engine",
            "saved B",
            "load",
            "load+text",
            "export B",
            "exp+imp",
            "saved×",
            "load×",
            "l+t×",
            "exp B×",
            "e+i×"
        );
        PersistenceTable { base: None }
    }

    fn row(
        &mut self,
        failures: &mut Vec<String>,
        trace: &str,
        engine: &str,
        result: Result<Persistence, String>,
    ) {
        let p = match result {
            Ok(p) => p,
            Err(e) => {
                println!("{trace:<16} {engine:<14} {:>9}", "FAILED");
                failures.push(format!("persistence {trace}: {engine}: {e}"));
                return;
            }
        };
        let ratios = match self.base {
            Some(b) if engine != "dagsync" => [
                ratio(b.saved as f64, p.saved as f64),
                ratio(b.load.as_secs_f64(), p.load.as_secs_f64()),
                ratio(b.load_text.as_secs_f64(), p.load_text.as_secs_f64()),
                ratio(b.exported as f64, p.exported as f64),
                ratio(b.export_import.as_secs_f64(), p.export_import.as_secs_f64()),
            ],
            _ => Default::default(),
        };
        if engine == "dagsync" {
            self.base = Some(p);
        }
        let [saved_r, load_r, load_text_r, exported_r, export_import_r] = ratios;
        println!(
            "{:<16} {:<14} {:>9} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7} {:>7} {:>7} {:>7}",
            trace,
            engine,
            p.saved,
            ms2(p.load),
            ms2(p.load_text),
            p.exported,
            ms2(p.export_import),
            saved_r,
            load_r,
            load_text_r,
            exported_r,
            export_import_r
        );
    }
}

/// The persistence table for automerge-paper and seph-blog1.
fn persistence_rows(failures: &mut Vec<String>, options: &Options) {
    let mut table = PersistenceTable::new(options.runs);
    for name in ["automerge-paper", "seph-blog1"] {
        let trace = match dagsync_traces::load(dagsync_traces::named(name)) {
            Ok(trace) => trace,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        table.base = None;
        for runner in &options.runners {
            let result = (runner.persistence)(&trace, options.runs).map_err(|e| e.to_string());
            table.row(failures, name, runner.name, result);
        }
    }
}

/// Percent with one decimal.
fn percent(part: usize, whole: usize) -> String {
    format!("{:.1} %", part as f64 * 100.0 / whole.max(1) as f64)
}

/// The sync tables: divergence after a resumed session and at first contact, random
/// scenarios, poisoning.
fn sync_tables(options: &Options) -> Vec<String> {
    let mut failures = Vec::new();
    println!(
        "sync: two replicas of a history of H changes (each a few operations, one actor), each \
         side then makes d changes; rounds = message exchanges (one message each way, sent at \
         once) until both have the same heads; wire B = every message until both are quiet \
         (acknowledgements included); own B = the missing changes' own bytes (export_changes \
         of each side's new changes, both directions); time = until both are quiet"
    );
    for resumed in [true, false] {
        println!();
        println!(
            "{}",
            if resumed {
                "resumed session (sync states from an earlier sync, persisted and restored):"
            } else {
                "first contact (fresh sync states: Bloom filters over the whole history):"
            }
        );
        println!(
            "{:>8} {:>7} {:>7} {:>5} {:>11} {:>11} {:>12} {:>9} {:>11} {:>11}",
            "H",
            "d",
            "rounds",
            "msgs",
            "wire B",
            "own B",
            "wire-own B",
            "wire/own",
            "time",
            "receiving"
        );
        for history in [10_000usize, 100_000] {
            let mut base = match dagsync_bench::sync::base_doc(history, options.seed) {
                Ok(doc) => doc,
                Err(e) => {
                    failures.push(format!("sync base {history}: {e}"));
                    continue;
                }
            };
            for d in [1usize, 10, 100, 1_000, 10_000, 20_000, 40_000, 100_000]
                .into_iter()
                .filter(|&d| d <= options.max_d)
            {
                let row = if resumed {
                    dagsync_bench::sync::diverge(&mut base, d, options.seed + d as u64)
                } else {
                    dagsync_bench::sync::first_contact(&mut base, d, options.seed + d as u64)
                };
                match row {
                    Ok(r) => print_sync_row(&r),
                    Err(e) => {
                        println!("{history:>8} {d:>7} FAILED");
                        failures.push(format!("sync H={history} d={d}: {e}"));
                    }
                }
            }
        }
    }
    println!();
    println!(
        "scale, resumed session, edits referencing only the side's own operations (each side \
         appends to its own text and map; validation needs no ancestry walks):"
    );
    match dagsync_bench::sync::base_doc(100_000, options.seed) {
        Ok(mut base) => {
            for d in [10_000usize, 100_000] {
                match dagsync_bench::sync::diverge_own(&mut base, d, options.seed) {
                    Ok(r) => print_sync_row(&r),
                    Err(e) => failures.push(format!("sync scale d={d}: {e}")),
                }
            }
        }
        Err(e) => failures.push(format!("sync scale base: {e}")),
    }
    println!();
    println!(
        "random divergent scenarios ({} seeds: shared history 0-200 changes, 1-50 new changes \
         on one side or both):",
        options.seeds
    );
    for resumed in [true, false] {
        match dagsync_bench::sync::random_scenarios(options.seeds, resumed) {
            Ok([one, two, more]) => {
                let n = one + two + more;
                println!(
                    "  {:<14} 1 round: {:>4} ({})  2 rounds: {:>4} ({})  3+: {:>4} ({})",
                    if resumed { "resumed" } else { "first contact" },
                    one,
                    percent(one, n),
                    two,
                    percent(two, n),
                    more,
                    percent(more, n)
                );
            }
            Err(e) => failures.push(format!("random scenarios: {e}")),
        }
    }
    println!();
    println!(
        "poisoning: an attacker mines a chain of changes whose hashes are false positives of the \
         victim's filter under a salt it knows (the victim's history: 2,000 + 20 changes)"
    );
    for chain in [10usize, 50] {
        match dagsync_bench::sync::poisoning(2_000, chain, options.seed) {
            Ok(p) => println!(
                "  chain {:>3}: {:>7} candidates hashed; rounds with the known salt: {}; with \
                 the random salt: {}; mined changes that hit a randomly salted filter: {}/{}",
                p.mined,
                p.tries,
                p.rounds_known_salt,
                p.rounds_random_salt,
                p.hits_random_salt,
                p.mined
            ),
            Err(e) => failures.push(format!("poisoning: {e}")),
        }
    }
    failures
}

fn describe(trace: &Trace) -> String {
    match trace.kind {
        Kind::Sequential => format!("{} edits", trace.patch_count()),
        Kind::Concurrent => format!("{} agents, {} edits", trace.num_agents, trace.patch_count()),
    }
}

/// One row of the sync tables.
fn print_sync_row(r: &dagsync_bench::sync::DivergeRow) {
    println!(
        "{:>8} {:>7} {:>7} {:>5} {:>11} {:>11} {:>12} {:>9.3} {:>11} {:>11}",
        r.history,
        r.d,
        r.run.rounds,
        r.run.messages,
        r.run.wire_bytes,
        r.own_bytes,
        r.run.wire_bytes as i64 - r.own_bytes as i64,
        r.run.wire_bytes as f64 / r.own_bytes.max(1) as f64,
        ms2(r.run.time),
        ms2(r.run.receive_time)
    );
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let failures = match options.mode {
        Mode::Replay => {
            let mut table = Table::new(options.runs);
            for file in &options.files {
                let label = Path::new(file)
                    .file_name()
                    .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
                match dagsync_traces::load(file) {
                    Ok(trace) => replay_rows(&mut table, &label, &trace, &options),
                    Err(e) => table.failures.push(format!("{file}: {e}")),
                }
            }
            table.failures
        }
        Mode::Standard => {
            let mut table = Table::new(options.runs);
            for name in ["automerge-paper", "seph-blog1", "friendsforever"] {
                match dagsync_traces::load(dagsync_traces::named(name)) {
                    Ok(trace) => {
                        let label = format!("{name} ({})", describe(&trace));
                        replay_rows(&mut table, &label, &trace, &options);
                    }
                    Err(e) => table.failures.push(format!("{name}: {e}")),
                }
            }
            let label = format!("merge 2 replicas × {} edits", options.edits);
            table.start_workload();
            for runner in &options.runners {
                let result = measure(options.runs, || (runner.merge)(options.edits, options.seed))
                    .map_err(|e| e.to_string());
                table.row(&label, runner.name, result);
            }
            persistence_rows(&mut table.failures, &options);
            table.failures
        }
        Mode::Persistence => {
            let mut failures = Vec::new();
            persistence_rows(&mut failures, &options);
            failures
        }
        Mode::Sync => sync_tables(&options),
    };
    finish(failures)
}

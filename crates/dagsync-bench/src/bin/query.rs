//! `query`: the document database's query engine over 100,000 records — indexed equality and
//! range query latency, a full scan for comparison, and update throughput with indexes.
//!
//! ```text
//! cargo run -p dagsync-bench --profile bench-native --bin query
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dagsync::query::{Path, Query, RecordSet};
use dagsync::Value;

fn record(i: u64) -> Value {
    let mut fields = BTreeMap::new();
    fields.insert("done".to_owned(), Value::Bool(i % 7 == 0));
    fields.insert("priority".to_owned(), Value::I64((i % 1000) as i64));
    fields.insert("owner".to_owned(), Value::Str(format!("user{}", i % 5000)));
    fields.insert("title".to_owned(), Value::Str(format!("task number {i}")));
    Value::Object(fields)
}

fn parse(json: &[(&str, Value)]) -> Query {
    let mut q = BTreeMap::new();
    q.insert(
        "where".to_owned(),
        Value::Object(
            json.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
    );
    Query::parse(&Value::Object(q)).expect("valid query")
}

fn median_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut hits = 0;
    for _ in 0..runs {
        let t = Instant::now();
        hits = f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[runs / 2], hits)
}

fn main() {
    let n = 100_000u64;
    let mut set = RecordSet::new();
    let t = Instant::now();
    for i in 0..n {
        set.upsert(&format!("r{i:06}"), record(i));
    }
    let load = t.elapsed();
    let t = Instant::now();
    set.add_index(Path::parse("owner").expect("path"));
    set.add_index(Path::parse("priority").expect("path"));
    let index_build = t.elapsed();
    println!("{n} records: inserted in {load:.2?}, two indexes built in {index_build:.2?}");

    let eq = parse(&[("owner", Value::Str("user42".into()))]);
    let range = {
        let mut cond = BTreeMap::new();
        cond.insert("$gte".to_owned(), Value::I64(500));
        cond.insert("$lt".to_owned(), Value::I64(502));
        parse(&[("priority", Value::Object(cond))])
    };
    let scan = parse(&[("title", Value::Str("task number 4242".into()))]);
    for (name, query) in [
        ("indexed equality", &eq),
        ("indexed range", &range),
        ("full scan", &scan),
    ] {
        let plan = set.explain(query);
        let (time, hits) = median_of(101, || set.find(query).len());
        println!(
            "{name:<18} {:>10.3} ms  {hits:>4} hits  (index: {}, {})",
            time.as_secs_f64() * 1e3,
            plan.index.as_deref().unwrap_or("none"),
            plan.access
        );
    }

    let updates = 100_000u64;
    let t = Instant::now();
    for i in 0..updates {
        let id = format!("r{:06}", (i * 7919) % n);
        set.upsert(&id, record(i + n));
    }
    let elapsed = t.elapsed();
    println!(
        "updates with two indexes: {:.0} records/s ({updates} in {elapsed:.2?})",
        updates as f64 / elapsed.as_secs_f64()
    );
}

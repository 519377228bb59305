//! Benchmarks of collections in headless Chromium (issue 12). They print numbers and assert
//! none; they are `#[ignore]`d so `./x test-wasm` skips them. Run them optimized:
//!
//! ```sh
//! wasm-pack test --release --headless --chrome crates/dagsync-wasm --test bench_collection -- --include-ignored --nocapture
//! ```
//!
//! 1. 100k records loaded from IndexedDB: the records are inserted through the JS API (one
//!    commit each) into a stored repo, which is closed; the clock runs from `new Repo` to
//!    `await repo.collection(name)` resolving with every record loaded (opening the database,
//!    reading the rows, building the document — timed apart by an `await repo.find(id)` of
//!    the collection's document first —, then filling the record set). Then building an
//!    index and the median of indexed equality queries.
//! 2. Live-query update after a remote change: a second repo (in memory, linked in the page)
//!    syncs the 100k records, the first subscribes to an indexed query; the clock runs from
//!    the second repo's `update` call to the first one's listener call (commit, sync message,
//!    transport in a microtask, applying the change, updating the live query, building the
//!    results). Median of 50.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // benchmarks fail loudly on purpose

mod common;

use common::{call, get, invoke, median, now, object, until, wait, MemoryLink};
use dagsync_wasm::{IndexedDbStorage, Repo};
use js_sys::{Array, Function, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RECORDS: u32 = 100_000;
const DB: &str = "bench-collection";

fn stored_repo(network: Option<JsValue>) -> JsValue {
    let storage: JsValue = IndexedDbStorage::new(DB.into()).unwrap().into();
    let mut options = vec![("storage", storage)];
    if let Some(network) = network {
        options.push(("network", Array::of1(&network).into()));
    }
    Repo::new(object(&options)).unwrap().into()
}

/// Inserts `n` records `{ n, group: n % 100, title, done }`, yielding a task every 1000.
async fn fill(repo: &JsValue, collection: &JsValue, n: u32) {
    let run = Function::new_with_args(
        "repo, todos, n",
        "return (async () => {\
           const task = () => new Promise((r) => setTimeout(r, 0));\
           for (let i = 0; i < n; i++) {\
             todos.insert({ n: i, group: i % 100, title: 'record ' + i, done: i % 3 === 0 });\
             if (i % 1000 === 999) await task();\
           }\
           await (await repo.find(todos.id)).flushed();\
         })()",
    );
    wait(
        run.call3(&JsValue::UNDEFINED, repo, collection, &n.into())
            .unwrap(),
    )
    .await
    .unwrap();
}

#[wasm_bindgen_test]
#[ignore]
async fn bench_collection_load_query_and_live_update() {
    rexie::Rexie::delete(DB).await.unwrap();
    let repo = stored_repo(None);
    let todos = invoke(&repo, "collection", &["bench".into()]).await;
    let t0 = now();
    fill(&repo, &todos, RECORDS).await;
    console_log!(
        "collection: {RECORDS} inserts stored in {:.0} ms",
        now() - t0
    );
    invoke(&repo, "close", &[]).await;

    // 1. Load from IndexedDB.
    let (link_a, link_b) = MemoryLink::pair();
    let t0 = now();
    let repo = stored_repo(Some(link_a));
    let id = dagsync::repo::DocId::named("collection", "bench").to_string();
    invoke(&repo, "find", &[id.into()]).await;
    let found = now() - t0;
    let todos = invoke(&repo, "collection", &["bench".into()]).await;
    let loaded = now() - t0;
    let size = get(&todos, "size").as_f64().unwrap();
    console_log!(
        "collection: {size} records loaded from IndexedDB in {loaded:.0} ms \
         (repo open with the document: {found:.0} ms, records read into the collection: {:.0} ms)",
        loaded - found
    );
    let t0 = now();
    call(&todos, "ensureIndex", &["group".into()]).unwrap();
    console_log!("collection: index on group built in {:.1} ms", now() - t0);
    let query = JSON::parse(r#"{"where": {"group": 7}, "sort": ["n"], "limit": 10}"#).unwrap();
    let samples: Vec<f64> = (0..50)
        .map(|_| {
            let t0 = now();
            call(&todos, "find", std::slice::from_ref(&query)).unwrap();
            now() - t0
        })
        .collect();
    console_log!(
        "collection: indexed query (group = 7 of 100, sorted, limit 10) median {:.3} ms, plan {}",
        median(samples),
        JSON::stringify(&call(&todos, "explain", std::slice::from_ref(&query)).unwrap()).unwrap()
    );

    // 2. Live-query update after a remote change.
    let other: JsValue = Repo::new(object(&[("network", Array::of1(&link_b).into())]))
        .unwrap()
        .into();
    let theirs = invoke(&other, "collection", &["bench".into()]).await;
    let t0 = now();
    until("the records to sync", || {
        get(&theirs, "size").as_f64() == Some(f64::from(RECORDS))
    })
    .await;
    console_log!(
        "collection: {RECORDS} records synced to a second repo in {:.0} ms",
        now() - t0
    );
    let stamps = Array::new();
    let listener = Function::new_with_args("stamps", "return () => stamps.push(performance.now())")
        .call1(&JsValue::UNDEFINED, &stamps)
        .unwrap();
    call(&todos, "subscribe", &[query.clone(), listener]).unwrap();
    let first = call(&theirs, "find", &[query]).unwrap();
    let id = get(&Array::from(&first).get(0), "id");
    let mut samples = Vec::new();
    for i in 0..50u32 {
        let before = stamps.length();
        let t0 = now();
        let patch = object(&[("title", format!("changed {i}").into())]);
        call(&theirs, "update", &[id.clone(), patch]).unwrap();
        until("the live query update", || stamps.length() > before).await;
        samples.push(stamps.get(before).as_f64().unwrap() - t0);
    }
    let slowest = (0..samples.len())
        .max_by(|a, b| samples[*a].total_cmp(&samples[*b]))
        .unwrap();
    console_log!(
        "collection: live-query update after a remote change ({RECORDS} records): median {:.2} ms, \
         max {:.2} ms (sample {slowest} of 0..50), first {:.2} ms",
        median(samples.clone()),
        samples[slowest],
        samples[0]
    );
    invoke(&other, "close", &[]).await;
    invoke(&repo, "close", &[]).await;
}

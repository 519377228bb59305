//! Benchmarks of IndexedDB persistence in headless Chromium (issue 8). They print numbers and
//! assert none; they are `#[ignore]`d so `./x test-wasm` skips them. Run them optimized:
//!
//! ```sh
//! wasm-pack test --release --headless --chrome crates/dagsync-wasm --test bench_idb -- --include-ignored --nocapture
//! ```
//!
//! 1. Changes persisted per second, one commit per change, sustained: the JS loop edits and
//!    commits; the repo stores each commit as its own chunk (a microtask after the commit);
//!    the loop yields a task every `batch` changes so IndexedDB and timers run; the clock
//!    stops when `handle.flushed()` resolves after the last change.
//! 2. The automerge-paper document with full history: load time from IndexedDB (opening the
//!    database and reading every row; building the repo, which imports the rows; and the
//!    whole `new Repo` + `await repo.find(id)` of the JS API), and the bytes IndexedDB holds
//!    next to `save()`, before and after a compaction.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // benchmarks fail loudly on purpose

mod common;

use common::trace::{automerge_paper, replay};
use common::{call, get, invoke, median, now, object, wait};
use dagsync::repo::{Repo as CoreRepo, RepoConfig};
use dagsync_idb::IdbStorage;
use dagsync_wasm::{Doc, IndexedDbStorage, Repo};
use js_sys::Function;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn stored_repo(db: &str) -> JsValue {
    let storage: JsValue = IndexedDbStorage::new(db.into()).unwrap().into();
    Repo::new(object(&[("storage", storage)])).unwrap().into()
}

/// `[loop ms, until flushed ms]` of `n` single-character changes, one commit each.
async fn persist_changes(handle: &JsValue, n: u32, batch: u32) -> (f64, f64) {
    let run = Function::new_with_args(
        "handle, n, batch",
        "return (async () => {\
           const doc = handle.doc;\
           const text = doc.getText('t');\
           const base = text.length;\
           const task = () => new Promise((r) => {\
             const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0);\
           });\
           const t0 = performance.now();\
           for (let i = 0; i < n; i++) {\
             text.insert(base + i, 'x');\
             doc.commit();\
             await null;\
             if (i % batch === batch - 1) await task();\
           }\
           const t1 = performance.now();\
           await handle.flushed();\
           return [t1 - t0, performance.now() - t0];\
         })()",
    );
    let times = wait(
        run.call3(&JsValue::UNDEFINED, handle, &n.into(), &batch.into())
            .unwrap(),
    )
    .await
    .unwrap();
    let times = js_sys::Array::from(&times);
    (
        times.get(0).as_f64().unwrap(),
        times.get(1).as_f64().unwrap(),
    )
}

#[wasm_bindgen_test]
#[ignore]
async fn bench_changes_persisted_per_second() {
    let db = "bench-changes";
    rexie::Rexie::delete(db).await.unwrap();
    let repo = stored_repo(db);
    let handle = invoke(&repo, "create", &[]).await;
    // Warm-up.
    persist_changes(&handle, 2_000, 100).await;
    for (n, batch) in [(20_000, 100), (20_000, 1_000), (5_000, 1)] {
        let (looped, flushed) = persist_changes(&handle, n, batch).await;
        console_log!(
            "changes persisted: {n} changes, a task yield every {batch}: loop {looped:.0} ms, \
             flushed after {flushed:.0} ms -> {:.0} changes/s",
            f64::from(n) / flushed * 1000.0
        );
    }
    // Let the repo's timer (every 500 ms) compact what the benchmark appended.
    common::sleep(1_200).await;
    invoke(&handle, "flushed", &[]).await;
    let save = js_sys::Uint8Array::from(call(&get(&handle, "doc"), "save", &[]).unwrap()).length();
    invoke(&repo, "close", &[]).await;
    let storage = IdbStorage::open(db).await.unwrap();
    let stored = storage.stored_bytes().await.unwrap();
    console_log!(
        "after the changes benchmark: IndexedDB {} B in {} rows vs save() {save} B -> {:.3}x",
        stored.total(),
        stored.rows,
        stored.total() as f64 / f64::from(save)
    );
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
#[ignore]
async fn bench_automerge_paper_load_and_bytes() {
    let trace = automerge_paper().await;
    // As the core's persistence benchmark builds it (its commits coalesce into one change),
    // and with one sealed change per edit (each JS `commit()` seals).
    for (commit_every, what) in [(u32::MAX, "one change"), (1, "one change per edit")] {
        paper_load_and_bytes(&trace, commit_every, what).await;
    }
}

async fn paper_load_and_bytes(trace: &JsValue, commit_every: u32, what: &str) {
    let db = "bench-paper";
    rexie::Rexie::delete(db).await.unwrap();
    let source: JsValue = Doc::new(JsValue::UNDEFINED).unwrap().into();
    let t0 = now();
    replay(&source, trace, commit_every);
    console_log!("automerge-paper, {what}: replayed in {:.0} ms", now() - t0);

    let repo = stored_repo(db);
    let handle = invoke(&repo, "create", &[]).await;
    call(&get(&handle, "doc"), "merge", &[source]).unwrap();
    invoke(&handle, "flushed", &[]).await;
    let id = get(&handle, "id");
    invoke(&repo, "close", &[]).await;
    let doc_id = id.as_string().unwrap().parse().unwrap();

    // Load: the storage's open (IndexedDB reads) and the core repo's build (imports).
    let (mut opens, mut builds, mut js_loads) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let t0 = now();
        let storage = IdbStorage::open(db).await.unwrap();
        let t1 = now();
        let core = CoreRepo::with_identity(
            storage.identity(),
            Box::new(storage.clone()),
            RepoConfig::default(),
        )
        .unwrap();
        let t2 = now();
        assert!(core.doc(&doc_id).is_some());
        drop(core);
        storage.close().await.unwrap();
        opens.push(t1 - t0);
        builds.push(t2 - t1);

        let t0 = now();
        let repo = stored_repo(db);
        let handle = invoke(&repo, "find", std::slice::from_ref(&id)).await;
        let t1 = now();
        let text = call(&get(&handle, "doc"), "getText", &["t".into()]).unwrap();
        assert_eq!(
            call(&text, "toString", &[]).unwrap(),
            get(trace, "endContent")
        );
        invoke(&repo, "close", &[]).await;
        js_loads.push(t1 - t0);
    }
    console_log!(
        "automerge-paper, {what}: load from IndexedDB (median of 5): open+read {:.1} ms, repo \
         build (import) {:.1} ms; JS new Repo + find {:.1} ms",
        median(opens),
        median(builds),
        median(js_loads)
    );

    // Bytes: as stored after the import, then after the repo compacts.
    let storage = IdbStorage::open(db).await.unwrap();
    let mut core = CoreRepo::with_identity(
        storage.identity(),
        Box::new(storage.clone()),
        RepoConfig::default(),
    )
    .unwrap();
    let report = |when: &str, core: &mut CoreRepo, stored: dagsync_idb::StoredBytes| {
        let save = core.doc_mut(&doc_id).unwrap().save().len();
        console_log!(
            "automerge-paper, {what}, {when}: IndexedDB {} B in {} rows (+{} B sync states, {} \
             B meta) vs save() {save} B -> {:.3}x",
            stored.row_bytes,
            stored.rows,
            stored.sync_bytes,
            stored.meta_bytes,
            stored.total() as f64 / save as f64
        );
    };
    report(
        "as stored",
        &mut core,
        storage.stored_bytes().await.unwrap(),
    );
    let mut edits = 0;
    while edits < 64 && !(edits > 0 && storage.known_rows().0 == 1) {
        core.change(&doc_id, |d| d.get_text("t").insert(0, "%"))
            .unwrap()
            .unwrap();
        // The repo's timer compacts when the chunks outgrew the snapshot.
        core.tick(0).unwrap();
        storage.flush().await.unwrap();
        edits += 1;
    }
    let when = format!("after a compaction ({edits} more changes, each flushed)");
    report(&when, &mut core, storage.stored_bytes().await.unwrap());
    drop(core);
    storage.close().await.unwrap();
}

/// Per-change costs in the core, to see where persisting one commit at a time goes: editing
/// and committing, sealing (hashing) each change as the JS `commit()` does, exporting each
/// change on its own (one signature each), and a compaction's export of everything.
#[wasm_bindgen_test]
#[ignore]
async fn bench_where_the_time_of_a_change_goes() {
    use dagsync::clock::VersionVector;
    use dagsync::repo::MemoryStorage;
    use dagsync::Identity;

    const N: usize = 5_000;
    let per_change = |total: f64| total / N as f64 * 1000.0;
    let mut doc = dagsync::Doc::with_identity(Identity::generate().unwrap());
    let t0 = now();
    for i in 0..N {
        doc.get_text("t").insert(i, "x").unwrap();
        doc.commit(None);
    }
    let edit = now() - t0;
    let t0 = now();
    for i in N..2 * N {
        doc.get_text("t").insert(i, "x").unwrap();
        doc.commit(None);
        doc.heads();
    }
    let sealed = now() - t0;
    let t0 = now();
    for i in 2 * N..3 * N {
        doc.get_text("t").insert(i, "x").unwrap();
        doc.commit(None);
        let since = doc.version().clone();
        doc.heads();
        let _ = doc.export_changes(&since);
    }
    let exported = now() - t0;
    let t0 = now();
    let all = doc.export_changes(&VersionVector::new());
    let export_all = now() - t0;
    console_log!(
        "per change (µs): insert+commit {:.1}; + seal (hash) {:.1}; + export alone (sign) {:.1}; \
         export of all {} changes: {export_all:.1} ms, {} B",
        per_change(edit),
        per_change(sealed),
        per_change(exported),
        3 * N,
        all.len()
    );

    let mut repo = CoreRepo::with_identity(
        Identity::generate().unwrap(),
        Box::new(MemoryStorage::new()),
        RepoConfig::default(),
    )
    .unwrap();
    let id = repo.create().unwrap();
    for round in 0..4 {
        let t0 = now();
        for i in 0..N {
            repo.change(&id, |d| d.get_text("t").insert(round * N + i, "x"))
                .unwrap()
                .unwrap();
        }
        console_log!(
            "core Repo.change, memory storage, changes {}..{}: {:.1} µs per change (each stored \
             alone, compaction every 32)",
            round * N,
            (round + 1) * N,
            per_change(now() - t0)
        );
    }
}

//! IndexedDB storage in a real browser (`wasm-pack test --headless --chrome crates/dagsync-idb`,
//! run by `./x test-wasm`): persistence across a fresh open, compaction, a flush aborted
//! mid-way, two writers on one database, corrupt rows, schema versions. No test asserts a
//! time: waits are for events, bounded in count only so a broken build fails instead of
//! hanging.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync::repo::{DocId, Repo, RepoConfig, RepoEvent, Storage};
use dagsync_idb::{encode_row, IdbError, IdbStorage, RowKind};
use js_sys::{Array, Promise, Uint8Array};
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh database named `name` (deleted first).
async fn fresh(name: &str) {
    Rexie::delete(name).await.unwrap();
}

async fn sleep(ms: i32) {
    let timeout =
        js_sys::Function::new_with_args("ms", "return new Promise(r => setTimeout(r, ms))");
    let promise: Promise = timeout
        .call1(&JsValue::UNDEFINED, &JsValue::from(ms))
        .unwrap()
        .into();
    JsFuture::from(promise).await.unwrap();
}

/// Waits (yielding to the event loop) until `storage` has chunks from another tab.
async fn incoming(storage: &IdbStorage) -> Vec<(DocId, Vec<u8>)> {
    for _ in 0..2_000 {
        let chunks = storage.take_incoming();
        if !chunks.is_empty() {
            return chunks;
        }
        sleep(5).await;
    }
    panic!("no announcement from the other storage arrived");
}

fn repo_over(storage: &IdbStorage) -> Repo {
    Repo::with_identity(
        storage.identity(),
        Box::new(storage.clone()),
        // Small documents compact too (by default only past 64 KiB of appended chunks).
        RepoConfig {
            compact_min_bytes: 256,
            ..RepoConfig::default()
        },
    )
    .unwrap()
}

/// A fresh database `db`, its storage, a repo over it, and a new document of the repo.
async fn start(db: &str) -> (IdbStorage, Repo, DocId) {
    fresh(db).await;
    let storage = IdbStorage::open(db).await.unwrap();
    let mut repo = repo_over(&storage);
    let id = repo.create().unwrap();
    (storage, repo, id)
}

/// The text of document `id` as a fresh storage of database `db` loads it (a reload).
async fn reloaded_text(db: &str, id: &DocId) -> String {
    let storage = IdbStorage::open(db).await.unwrap();
    let mut repo = repo_over(&storage);
    let loaded = text(&mut repo, id);
    drop(repo);
    storage.close().await.unwrap();
    loaded
}

fn text(repo: &mut Repo, id: &DocId) -> String {
    repo.doc_mut(id).unwrap().get_text("t").to_string()
}

/// Inserts `s` at `at` in document `id`, then lets the repo's timer run (which compacts the
/// stored chunks when due, as the browser binding's timer does).
fn insert(repo: &mut Repo, id: &DocId, at: usize, s: &str) {
    repo.change(id, |d| d.get_text("t").insert(at, s))
        .unwrap()
        .unwrap();
    repo.tick(0).unwrap();
}

#[wasm_bindgen_test]
async fn persisted_documents_load_equal_in_a_fresh_storage_with_the_same_identity() {
    let db = "idb-persist";
    fresh(db).await;
    let storage = IdbStorage::open(db).await.unwrap();
    assert!(storage.take_errors().is_empty());
    let mut repo = repo_over(&storage);
    let id = repo.create().unwrap();
    insert(&mut repo, &id, 0, "hello");
    insert(&mut repo, &id, 5, " world");
    let other = repo.create().unwrap();
    insert(&mut repo, &other, 0, "second");
    let heads = repo.doc_mut(&id).unwrap().heads();
    let actor = repo.actor();
    assert!(storage.has_pending());
    storage.flushed().await.unwrap();
    assert!(!storage.has_pending());
    drop(repo);
    storage.close().await.unwrap();

    let storage = IdbStorage::open(db).await.unwrap();
    let mut repo = repo_over(&storage);
    assert_eq!(repo.actor(), actor, "a reload keeps the identity");
    assert_eq!(repo.doc_ids().len(), 2);
    assert_eq!(text(&mut repo, &id), "hello world");
    assert_eq!(text(&mut repo, &other), "second");
    assert_eq!(repo.doc_mut(&id).unwrap().heads(), heads);
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn compaction_keeps_everything_and_stores_little_more_than_save() {
    let db = "idb-compact";
    let (storage, mut repo, id) = start(db).await;
    let mut expected = String::new();
    // Until the repo has compacted at least twice and just did (one row left), flushing
    // every few changes so rows accumulate in IndexedDB between compactions.
    let mut changes = 0;
    loop {
        let word = format!("w{changes} ");
        insert(&mut repo, &id, expected.len(), &word);
        expected.push_str(&word);
        changes += 1;
        if changes % 7 == 0 {
            storage.flush().await.unwrap();
        }
        if changes > 70 && storage.known_rows().0 == 1 {
            break;
        }
        assert!(changes < 200, "the repo never compacted");
    }
    storage.flush().await.unwrap();
    let save = repo.doc_mut(&id).unwrap().save().len();
    let stored = storage.stored_bytes().await.unwrap();
    assert_eq!(stored.rows, 1, "the snapshot replaced every other row");
    assert!(
        stored.row_bytes as f64 <= 1.5 * save as f64,
        "stored {stored:?} vs save() {save}"
    );
    storage.close().await.unwrap();
    assert_eq!(reloaded_text(db, &id).await, expected);
}

#[wasm_bindgen_test]
async fn a_flush_aborted_mid_way_keeps_what_was_committed_and_is_retried() {
    let db = "idb-abort";
    let (storage, mut repo, id) = start(db).await;
    insert(&mut repo, &id, 0, "committed");
    storage.flush().await.unwrap();

    insert(&mut repo, &id, 9, " retried");
    // Every flush fails until the test says otherwise (background retries included).
    storage.abort_next_flushes(u32::MAX);
    let failed = storage.flush().await;
    assert!(
        matches!(failed, Err(IdbError::Transaction(_))),
        "{failed:?}"
    );
    // Memory is intact and the writes are still queued.
    assert_eq!(text(&mut repo, &id), "committed retried");
    assert!(storage.has_pending());

    // What a reload would see now (the page died mid-flush): the committed part only.
    assert_eq!(reloaded_text(db, &id).await, "committed");

    // The retry writes the rest.
    storage.abort_next_flushes(0);
    storage.flush().await.unwrap();
    assert!(!storage.has_pending());
    assert_eq!(reloaded_text(db, &id).await, "committed retried");
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn two_writers_on_one_database_lose_nothing_and_converge() {
    let db = "idb-two-writers";
    fresh(db).await;
    let s1 = IdbStorage::open(db).await.unwrap();
    let s2 = IdbStorage::open(db).await.unwrap();
    let mut r1 = repo_over(&s1);
    let mut r2 = repo_over(&s2);
    assert_ne!(
        r1.actor(),
        r2.actor(),
        "each storage holds its own identity"
    );

    let id = r1.create().unwrap();
    insert(&mut r1, &id, 0, "base");
    s1.flush().await.unwrap();
    for (doc, chunk) in incoming(&s2).await {
        r2.merge_stored_chunk(&doc, &chunk).unwrap();
    }
    assert_eq!(text(&mut r2, &id), "base");

    // Both write the document at once, many times, compacting along the way.
    for round in 0..40 {
        insert(&mut r1, &id, 0, "x");
        insert(&mut r2, &id, 0, "y");
        if round % 5 == 4 {
            let (f1, f2) = futures_join(s1.flush(), s2.flush()).await;
            f1.unwrap();
            f2.unwrap();
            for (doc, chunk) in incoming(&s1).await {
                r1.merge_stored_chunk(&doc, &chunk).unwrap();
            }
            for (doc, chunk) in incoming(&s2).await {
                r2.merge_stored_chunk(&doc, &chunk).unwrap();
            }
        }
    }
    let t1 = text(&mut r1, &id);
    let t2 = text(&mut r2, &id);
    assert_eq!(t1, t2, "both repos converged");
    assert_eq!(t1.matches('x').count(), 40);
    assert_eq!(t1.matches('y').count(), 40);
    assert!(t1.ends_with("base"));
    assert!(s1.take_errors().is_empty() && s2.take_errors().is_empty());
    s1.close().await.unwrap();
    s2.close().await.unwrap();

    // And the database holds all of it.
    assert_eq!(reloaded_text(db, &id).await, t1);
}

/// Both futures, polled together.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let a = Box::pin(a);
    let b = Box::pin(b);
    let mut a_out = None;
    let mut b_out = None;
    let mut a = Some(a);
    let mut b = Some(b);
    std::future::poll_fn(move |cx| {
        if let Some(f) = a.as_mut() {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                a_out = Some(v);
                a = None;
            }
        }
        if let Some(f) = b.as_mut() {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                b_out = Some(v);
                b = None;
            }
        }
        if a.is_none() && b.is_none() {
            std::task::Poll::Ready((a_out.take().unwrap(), b_out.take().unwrap()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

async fn put_rows(db: &str, rows: &[(JsValue, JsValue)]) {
    let rexie = Rexie::builder(db)
        .version(dagsync_idb::SCHEMA_VERSION)
        .add_object_store(ObjectStore::new("rows"))
        .add_object_store(ObjectStore::new("sync_states"))
        .add_object_store(ObjectStore::new("meta"))
        .build()
        .await
        .unwrap();
    let tx = rexie
        .transaction(&["rows", "meta"], TransactionMode::ReadWrite)
        .unwrap();
    for (key, value) in rows {
        let store = if key.is_string() { "meta" } else { "rows" };
        tx.store(store)
            .unwrap()
            .put(value, Some(key))
            .await
            .unwrap();
    }
    tx.done().await.unwrap();
    rexie.close();
}

fn row_key(doc: &DocId, kind: RowKind, id: &str) -> JsValue {
    let code = match kind {
        RowKind::Snapshot => 0,
        RowKind::Chunks => 1,
    };
    Array::of3(&doc.to_string().into(), &JsValue::from(code), &id.into()).into()
}

#[wasm_bindgen_test]
async fn corrupt_rows_are_skipped_with_errors_and_the_rest_loads() {
    let db = "idb-corrupt";
    let (storage, mut repo, id) = start(db).await;
    insert(&mut repo, &id, 0, "intact");
    drop(repo);
    storage.close().await.unwrap();

    let mut torn = encode_row(RowKind::Chunks, &[vec![1, 2, 3, 4]]);
    torn.truncate(torn.len() - 3);
    put_rows(
        db,
        &[
            // A torn write (bad checksum), a value that is not bytes, a key of another shape.
            (
                row_key(&id, RowKind::Chunks, "zz.1"),
                Uint8Array::from(&torn[..]).into(),
            ),
            (row_key(&id, RowKind::Chunks, "zz.2"), "not bytes".into()),
            (
                Array::of1(&"x".into()).into(),
                Uint8Array::new_with_length(4).into(),
            ),
        ],
    )
    .await;

    let storage = IdbStorage::open(db).await.unwrap();
    let errors = storage.take_errors();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors
        .iter()
        .all(|e| matches!(e, IdbError::CorruptRow { .. })));
    let mut repo = repo_over(&storage);
    assert_eq!(text(&mut repo, &id), "intact");
    drop(repo);
    storage.close().await.unwrap();

    // A row whose checksum is right but whose changes the repo refuses: found and dropped,
    // and the document loads without it.
    let bogus = encode_row(RowKind::Chunks, &[b"not a chunk of changes".to_vec()]);
    put_rows(
        db,
        &[(
            row_key(&id, RowKind::Chunks, "zz.3"),
            Uint8Array::from(&bogus[..]).into(),
        )],
    )
    .await;
    let storage = IdbStorage::open(db).await.unwrap();
    let identity = storage.identity();
    // The repo skips it and says so.
    let mut repo = repo_over(&storage);
    assert_eq!(text(&mut repo, &id), "intact");
    let events: Vec<RepoEvent> = std::iter::from_fn(|| repo.poll_event()).collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, RepoEvent::StoredChunkRefused { doc, .. } if *doc == id)));
    drop(repo);
    // The storage can forget it at once (its row goes with the next compaction).
    assert!(storage.drop_refused_chunk(&id, &identity));
    assert!(!storage.drop_refused_chunk(&id, &identity));
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_database_of_a_newer_schema_is_refused_untouched() {
    let db = "idb-schema";
    fresh(db).await;
    let newer = (dagsync_idb::SCHEMA_VERSION + 1).to_le_bytes();
    put_rows(
        db,
        &[("schema".into(), Uint8Array::from(&newer[..]).into())],
    )
    .await;
    let opened = IdbStorage::open(db).await;
    assert!(
        matches!(opened, Err(IdbError::UnsupportedSchema { found, .. }) if found == dagsync_idb::SCHEMA_VERSION + 1),
        "{opened:?}"
    );
    // A current database records its version on first open.
    fresh(db).await;
    let storage = IdbStorage::open(db).await.unwrap();
    assert!(storage.stored_bytes().await.unwrap().meta_bytes >= 4 + 32);
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn sync_states_persist_per_document_and_peer() {
    let db = "idb-sync-states";
    fresh(db).await;
    let mut storage = IdbStorage::open(db).await.unwrap();
    let doc = DocId([7; 16]);
    let peer = dagsync::repo::PeerId::from("peer-1");
    storage.save_sync_state(&doc, &peer, vec![1, 2, 3]).unwrap();
    storage.save_sync_state(&doc, &peer, vec![4, 5]).unwrap();
    storage.close().await.unwrap();
    let storage = IdbStorage::open(db).await.unwrap();
    assert_eq!(
        storage.load_sync_state(&doc, &peer).unwrap(),
        Some(vec![4, 5])
    );
    storage.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn hiding_the_page_flushes_the_burst_at_once() {
    let db = "idb-pagehide";
    let (storage, mut repo, id) = start(db).await;
    storage.flush().await.unwrap();
    // Let the flush timer already running pass, then make a burst wait a minute: only the
    // page-hide flush can store the next edit in time.
    pause(200).await;
    storage.set_burst_ms(60_000);
    let rows = storage.stored_bytes().await.unwrap().rows;
    insert(&mut repo, &id, 0, "last words");
    pause(200).await;
    assert_eq!(
        storage.stored_bytes().await.unwrap().rows,
        rows,
        "the burst waits"
    );
    let hide = js_sys::Function::new_no_args("globalThis.dispatchEvent(new Event('pagehide'))");
    hide.call0(&JsValue::UNDEFINED).unwrap();
    let mut waited = 0;
    while storage.stored_bytes().await.unwrap().rows == rows {
        assert!(
            waited < 5_000,
            "not stored {waited} ms after the page was hidden"
        );
        pause(10).await;
        waited += 10;
    }
    assert_eq!(reloaded_text(db, &id).await, "last words");
    storage.close().await.unwrap();
}

/// Waits `ms` milliseconds.
async fn pause(ms: i32) {
    JsFuture::from(Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .unwrap()
            .dyn_into::<js_sys::Function>()
            .unwrap();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .unwrap();
    }))
    .await
    .unwrap();
}

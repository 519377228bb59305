//! The IndexedDB side, through rexie: the schema, reading everything at open, reading rows
//! another tab announced, and writing one batch in one readwrite transaction.

use std::future::Future;
use std::pin::Pin;

use dagsync::repo::{DocId, PeerId};
use js_sys::{Array, Uint8Array};
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::IdbError;
use crate::row::{RowKey, RowKind};
use crate::state::Batch;

/// The schema version: IndexedDB's database version and the `schema` entry of `meta`.
/// Version 1: the stores below. A later version adds its stores here (rexie deletes stores
/// it is not given) and its data migrations to `db::upgrade`.
pub const SCHEMA_VERSION: u32 = 1;
/// Rows of change chunks and snapshots, keyed `[doc, kind, id]`.
pub const ROWS: &str = "rows";
/// Sync states, keyed `[doc, peer]`.
pub const SYNC: &str = "sync_states";
/// Metadata: `schema` (the schema version), `identity:N` (secret keys), keyed by name.
pub const META: &str = "meta";
/// The metadata key of the schema version.
pub const SCHEMA_KEY: &str = "schema";

/// Opens (creating or upgrading the stores of) the database `name`.
pub async fn open(name: &str) -> Result<Rexie, IdbError> {
    Rexie::builder(name)
        .version(SCHEMA_VERSION)
        .add_object_store(ObjectStore::new(ROWS))
        .add_object_store(ObjectStore::new(SYNC))
        .add_object_store(ObjectStore::new(META))
        .build()
        .await
        .map_err(|e| IdbError::Unavailable {
            name: name.to_owned(),
            reason: IdbError::from_rexie(&e).to_string(),
        })
}

/// Brings the data of a database at schema version `from` to [`SCHEMA_VERSION`] (the stores
/// already are). Returns the metadata to write, if any.
pub fn upgrade(from: Option<u32>) -> Result<Option<u32>, IdbError> {
    match from {
        // A new database: record its version.
        None => Ok(Some(SCHEMA_VERSION)),
        Some(SCHEMA_VERSION) => Ok(None),
        Some(found) if found > SCHEMA_VERSION => Err(IdbError::UnsupportedSchema {
            found,
            supported: SCHEMA_VERSION,
        }),
        // Versions before 1 never existed; a later version migrates rows here, step by step.
        Some(_) => Ok(Some(SCHEMA_VERSION)),
    }
}

/// Every entry of the three stores, as (key, value) pairs.
#[derive(Default)]
pub struct Everything {
    /// The `rows` store.
    pub rows: Vec<(JsValue, JsValue)>,
    /// The `sync_states` store.
    pub sync: Vec<(JsValue, JsValue)>,
    /// The `meta` store.
    pub meta: Vec<(JsValue, JsValue)>,
}

fn failed(err: rexie::Error) -> IdbError {
    IdbError::from_rexie(&err)
}

/// Reads every store in one read-only transaction (two requests per store: keys and values,
/// in the same order).
pub async fn read_all(db: &Rexie) -> Result<Everything, IdbError> {
    let tx = db
        .transaction(&[ROWS, SYNC, META], TransactionMode::ReadOnly)
        .map_err(failed)?;
    let mut out = Everything::default();
    for (name, target) in [
        (ROWS, &mut out.rows),
        (SYNC, &mut out.sync),
        (META, &mut out.meta),
    ] {
        let store = tx.store(name).map_err(failed)?;
        let keys = store.get_all_keys(None, None);
        let values = store.get_all(None, None);
        let (keys, values) = futures_util::future::join(keys, values).await;
        let (keys, values) = (keys.map_err(failed)?, values.map_err(failed)?);
        *target = keys.into_iter().zip(values).collect();
    }
    tx.done().await.map_err(failed)?;
    Ok(out)
}

/// The values of rows `keys` (`None` for rows that are gone).
pub async fn read_rows(db: &Rexie, keys: &[RowKey]) -> Result<Vec<Option<JsValue>>, IdbError> {
    let tx = db
        .transaction(&[ROWS], TransactionMode::ReadOnly)
        .map_err(failed)?;
    let store = tx.store(ROWS).map_err(failed)?;
    let js_keys: Vec<JsValue> = keys.iter().map(row_key_to_js).collect();
    let gets = js_keys.iter().map(|k| store.get(k.clone()));
    let values = futures_util::future::join_all(gets).await;
    let values = values.into_iter().collect::<Result<Vec<_>, _>>();
    tx.done().await.map_err(failed)?;
    values.map_err(failed)
}

/// A pending request of a write batch.
type Request<'a> = Pin<Box<dyn Future<Output = rexie::Result<()>> + 'a>>;

/// Writes `batch` in one readwrite transaction: row puts (snapshots first), the deletes of
/// rows those snapshots replace, sync states, metadata. All of it commits or none of it.
/// With `abort_after_writes` (tests) the transaction is aborted once every request has
/// succeeded, as when the page dies mid-flush.
pub async fn write(db: &Rexie, batch: &Batch, abort_after_writes: bool) -> Result<(), IdbError> {
    let tx = db
        .transaction(&[ROWS, SYNC, META], TransactionMode::ReadWrite)
        .map_err(failed)?;
    let rows = tx.store(ROWS).map_err(failed)?;
    let sync = tx.store(SYNC).map_err(failed)?;
    let meta = tx.store(META).map_err(failed)?;
    let row_puts: Vec<(JsValue, JsValue)> = batch
        .puts
        .iter()
        .map(|(key, bytes)| (row_key_to_js(key), bytes_to_js(bytes)))
        .collect();
    let deletes: Vec<JsValue> = batch.deletes.iter().map(row_key_to_js).collect();
    let sync_puts: Vec<(JsValue, JsValue)> = batch
        .sync_states
        .iter()
        .map(|(doc, peer, state)| (sync_key_to_js(doc, peer), bytes_to_js(state)))
        .collect();
    let meta_puts: Vec<(JsValue, JsValue)> = batch
        .meta
        .iter()
        .map(|(key, value)| (JsValue::from_str(key), bytes_to_js(value)))
        .collect();
    // Every request is issued at once (join_all polls them in order), then awaited together.
    let mut requests: Vec<Request<'_>> = Vec::new();
    for (key, value) in &row_puts {
        requests.push(Box::pin(async {
            rows.put(value, Some(key)).await.map(drop)
        }));
    }
    for key in &deletes {
        requests.push(Box::pin(rows.delete(key.clone())));
    }
    for (key, value) in &sync_puts {
        requests.push(Box::pin(async {
            sync.put(value, Some(key)).await.map(drop)
        }));
    }
    for (key, value) in &meta_puts {
        requests.push(Box::pin(async {
            meta.put(value, Some(key)).await.map(drop)
        }));
    }
    let results = futures_util::future::join_all(requests).await;
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        // A failed request aborts the transaction: nothing of it is committed.
        return Err(failed(e));
    }
    if abort_after_writes {
        tx.abort().await.map_err(failed)?;
        return Err(IdbError::Transaction(
            "aborted after its writes (fault injected by a test)".into(),
        ));
    }
    match tx.done().await.map_err(failed)? {
        rexie::TransactionResult::Committed => Ok(()),
        // Aborted by the browser without a failed request: most often the quota at commit.
        rexie::TransactionResult::Aborted => Err(IdbError::Transaction(
            "the transaction was aborted by the browser (quota or shutdown)".into(),
        )),
    }
}

/// Bytes held by the values of every store (what `save()` is compared with).
pub async fn stored_bytes(db: &Rexie) -> Result<StoredBytes, IdbError> {
    let everything = read_all(db).await?;
    let len = |entries: &[(JsValue, JsValue)]| -> usize {
        entries
            .iter()
            .map(|(_, v)| v.dyn_ref::<Uint8Array>().map_or(0, |a| a.length() as usize))
            .sum()
    };
    Ok(StoredBytes {
        rows: everything.rows.len(),
        row_bytes: len(&everything.rows),
        sync_bytes: len(&everything.sync),
        meta_bytes: len(&everything.meta),
    })
}

/// What the database holds, by store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoredBytes {
    /// Rows of the `rows` store.
    pub rows: usize,
    /// Bytes of their values (snapshots and chunks with their row envelopes).
    pub row_bytes: usize,
    /// Bytes of sync states.
    pub sync_bytes: usize,
    /// Bytes of metadata (schema version, identities).
    pub meta_bytes: usize,
}

impl StoredBytes {
    /// Every value byte.
    pub fn total(&self) -> usize {
        self.row_bytes + self.sync_bytes + self.meta_bytes
    }
}

/// A byte array as a fresh JS `Uint8Array`.
pub fn bytes_to_js(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

/// The IndexedDB key of a row: `[doc, kind, id]`.
pub fn row_key_to_js(key: &RowKey) -> JsValue {
    Array::of3(
        &JsValue::from_str(&key.doc.to_string()),
        &JsValue::from_f64(f64::from(key.kind.code())),
        &JsValue::from_str(&key.id),
    )
    .into()
}

/// The row key of an IndexedDB key, if it is one.
pub fn row_key_from_js(key: &JsValue) -> Option<RowKey> {
    let parts: &Array = key.dyn_ref()?;
    if parts.length() != 3 {
        return None;
    }
    let doc: DocId = parts.get(0).as_string()?.parse().ok()?;
    let code = parts.get(1).as_f64()?;
    let kind = RowKind::from_code(u8::try_from(code as i64).ok()?)?;
    let id = parts.get(2).as_string()?;
    Some(RowKey { doc, kind, id })
}

/// The IndexedDB key of a sync state: `[doc, peer]`.
pub fn sync_key_to_js(doc: &DocId, peer: &PeerId) -> JsValue {
    Array::of2(
        &JsValue::from_str(&doc.to_string()),
        &JsValue::from_str(&peer.0),
    )
    .into()
}

/// The document and peer of a sync state's key, if it is one.
pub fn sync_key_from_js(key: &JsValue) -> Option<(DocId, PeerId)> {
    let parts: &Array = key.dyn_ref()?;
    if parts.length() != 2 {
        return None;
    }
    let doc = parts.get(0).as_string()?.parse().ok()?;
    Some((doc, PeerId(parts.get(1).as_string()?)))
}

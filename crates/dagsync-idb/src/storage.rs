//! [`IdbStorage`]: the core's synchronous [`Storage`] answered from memory, with writes queued
//! and flushed to IndexedDB in the background (one readwrite transaction per burst), rows of
//! other tabs picked up through a `BroadcastChannel`, and an identity per tab kept across
//! reloads.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use dagsync::auth::Identity;
use dagsync::repo::{DocId, PeerId, Storage, StorageError};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use rexie::Rexie;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{BroadcastChannel, MessageEvent};

use crate::db::{self, StoredBytes};
use crate::error::{describe_js, IdbError};
use crate::row::{self, RowKey};
use crate::state::{Batch, State};

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    fn sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = tryLock)]
    fn try_lock(name: &str) -> Promise;
    fn lock(name: &str) -> Promise;
    #[wasm_bindgen(js_name = randomId)]
    fn random_id() -> String;
    #[wasm_bindgen(js_name = onPageHide)]
    fn on_page_hide(callback: &Function) -> Function;
}

/// Writes of one burst are coalesced: a flush starts this long after the first write.
pub const BURST_MS: u32 = 50;
/// The first retry of a failed flush waits this long; each further failure doubles it, up to
/// 32 times.
pub const RETRY_MS: u32 = 1_000;
/// How many tabs (identity slots) may use one database at once.
const MAX_IDENTITY_SLOTS: u32 = 64;

/// Flush bookkeeping.
#[derive(Default)]
struct Control {
    /// A timer will start a flush.
    scheduled: bool,
    /// A flush is under way.
    running: bool,
    /// Consecutive failed flushes.
    failures: u32,
    /// A flush was due while one was under way: another follows it.
    again: bool,
    /// Test hook: this many next flushes are aborted after their writes.
    abort_next: u32,
    /// Resolved when the flush under way ends.
    idle: Vec<Function>,
    /// Resolved once writes up to the count are committed.
    durable: Vec<(u64, Function)>,
}

/// The channel's `onmessage` closure, owned by the storage and dropped on close.
type MessageHandler = Closure<dyn FnMut(MessageEvent)>;

/// The page-hide closure, and the function that stops listening with it.
type PageHideListener = (Closure<dyn FnMut()>, Function);

struct Inner {
    name: String,
    writer: String,
    db: RefCell<Option<Rc<Rexie>>>,
    state: RefCell<State>,
    identity: RefCell<Option<Identity>>,
    control: RefCell<Control>,
    errors: RefCell<Vec<IdbError>>,
    listener: RefCell<Option<Rc<dyn Fn()>>>,
    before_flush: RefCell<Option<Rc<dyn Fn()>>>,
    channel: RefCell<Option<BroadcastChannel>>,
    on_message: RefCell<Option<MessageHandler>>,
    release_identity: RefCell<Option<Function>>,
    /// Flushes at once when the page is hidden or left (see [`IdbStorage::flush_on_page_hide`]):
    /// the closure, and the function that stops listening.
    on_page_hide: RefCell<Option<PageHideListener>>,
    /// How long a burst's writes wait ([`BURST_MS`]; tests lengthen it).
    burst_ms: Cell<u32>,
    closed: Cell<bool>,
}

/// A repo's storage in the IndexedDB database of a name: see the crate documentation.
/// Cloning gives another handle to the same storage (the repo holds one, the app another).
#[derive(Clone)]
pub struct IdbStorage {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for IdbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStorage")
            .field("name", &self.inner.name)
            .field("writer", &self.inner.writer)
            .finish_non_exhaustive()
    }
}

impl IdbStorage {
    /// Opens the database `name` (creating or upgrading it), takes an identity slot no other
    /// open storage of this database holds (its key is created and stored on first use, so a
    /// reload gets the same identity back), and reads every row, sync state and key into
    /// memory. Corrupt rows are skipped and reported by [`IdbStorage::take_errors`].
    pub async fn open(name: &str) -> Result<IdbStorage, IdbError> {
        let db = db::open(name).await?;
        let writer = random_id();
        let (slot, release) = match claim_identity_slot(name).await {
            Ok(claimed) => claimed,
            Err(e) => {
                db.close();
                return Err(e);
            }
        };
        let inner = Rc::new(Inner {
            name: name.to_owned(),
            writer: writer.clone(),
            db: RefCell::new(Some(Rc::new(db))),
            state: RefCell::new(State::new(writer)),
            identity: RefCell::new(None),
            control: RefCell::new(Control::default()),
            errors: RefCell::new(Vec::new()),
            listener: RefCell::new(None),
            before_flush: RefCell::new(None),
            channel: RefCell::new(None),
            on_message: RefCell::new(None),
            release_identity: RefCell::new(release),
            on_page_hide: RefCell::new(None),
            burst_ms: Cell::new(BURST_MS),
            closed: Cell::new(false),
        });
        let storage = IdbStorage { inner };
        // Listen before reading, so no other tab's announcement falls in between (a row both
        // read and announced is merged twice, which changes nothing).
        storage.listen();
        storage.flush_on_page_hide();
        if let Err(e) = storage.load(slot).await {
            storage.shut_down();
            return Err(e);
        }
        if storage.inner.state.borrow().has_queued() {
            storage.flush().await?;
        }
        Ok(storage)
    }

    /// Reads everything and fills the state; queues the schema version and a new identity
    /// where they are missing.
    async fn load(&self, slot: u32) -> Result<(), IdbError> {
        let db = self.db()?;
        let everything = db::read_all(&db).await?;
        let mut errors = Vec::new();
        let mut schema = None;
        let mut secret = None;
        let identity_key = format!("identity:{slot}");
        for (key, value) in &everything.meta {
            let key = key.as_string().unwrap_or_default();
            if key == db::SCHEMA_KEY {
                // Four bytes, little-endian; anything else reads as a newer, unknown layout.
                let bytes = value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec);
                schema = Some(
                    bytes
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map_or(u32::MAX, u32::from_le_bytes),
                );
            } else if key == identity_key {
                let bytes = value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec);
                match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
                    Some(key) => secret = Some(key),
                    None => errors.push(IdbError::CorruptRow {
                        key: format!("meta {identity_key}"),
                        reason: "not a 32-byte secret key: a new identity replaces it".into(),
                    }),
                }
            }
        }
        let write_schema = db::upgrade(schema)?;
        let mut state = self.inner.state.borrow_mut();
        for (key, value) in &everything.rows {
            match decode_row(key, value) {
                Ok((key, chunks)) => state.load_row(key, chunks),
                Err(e) => errors.push(e),
            }
        }
        for (key, value) in &everything.sync {
            match (db::sync_key_from_js(key), value.dyn_ref::<Uint8Array>()) {
                (Some((doc, peer)), Some(bytes)) => {
                    state.load_sync_state(doc, peer, bytes.to_vec())
                }
                // A lost sync state only costs a full sync with that peer.
                _ => errors.push(IdbError::CorruptRow {
                    key: format!("sync state {}", describe_key(key)),
                    reason: "not a sync state".into(),
                }),
            }
        }
        if let Some(version) = write_schema {
            state.put_meta(db::SCHEMA_KEY.into(), version.to_le_bytes().to_vec());
        }
        let identity = match secret {
            Some(secret) => Identity::from_secret_key(secret),
            None => {
                let identity = Identity::generate().map_err(|e| IdbError::Unavailable {
                    name: self.inner.name.clone(),
                    reason: e.to_string(),
                })?;
                state.put_meta(identity_key, identity.secret_key().to_vec());
                identity
            }
        };
        drop(state);
        *self.inner.identity.borrow_mut() = Some(identity);
        self.inner.errors.borrow_mut().extend(errors);
        Ok(())
    }

    /// The identity of this storage's slot: the same after a reload (while no other tab of
    /// the same database holds the slot).
    pub fn identity(&self) -> Identity {
        match self.inner.identity.borrow().as_ref() {
            Some(identity) => identity.clone(),
            // Set by `open` before the storage is handed out.
            None => unreachable_identity(),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Calls `listener` (later, from the event loop) whenever errors or other tabs' chunks
    /// arrive: see [`IdbStorage::take_errors`] and [`IdbStorage::take_incoming`].
    pub fn set_listener(&self, listener: Rc<dyn Fn()>) {
        *self.inner.listener.borrow_mut() = Some(listener);
    }

    /// Calls `hook` at the start of every flush, before the queued writes are taken: a repo
    /// that defers storing local commits (to coalesce a burst of them into one chunk) stores
    /// them there. See [`IdbStorage::request_flush`].
    pub fn set_before_flush(&self, hook: Rc<dyn Fn()>) {
        *self.inner.before_flush.borrow_mut() = Some(hook);
    }

    /// Makes sure a flush starts within [`BURST_MS`] even if nothing is queued yet (the
    /// before-flush hook will queue it).
    pub fn request_flush(&self) {
        schedule(&self.inner, self.inner.burst_ms.get());
    }

    /// Failures since the last call: corrupt rows skipped at open, flushes that failed (their
    /// writes are retried), rows of other tabs that could not be read.
    pub fn take_errors(&self) -> Vec<IdbError> {
        std::mem::take(&mut *self.inner.errors.borrow_mut())
    }

    /// Chunks other tabs (or other storages of this database) wrote since the last call, for
    /// the repo to merge. They count as stored: a compaction of this storage replaces them.
    pub fn take_incoming(&self) -> Vec<(DocId, Vec<u8>)> {
        self.inner.state.borrow_mut().take_incoming()
    }

    /// Finds the first chunk of `doc` that a document of `identity` refuses to import and
    /// forgets it (its row is deleted by the next compaction). For a repo that failed to load
    /// `doc`: it is built again without the chunk. Returns whether a chunk was dropped.
    pub fn drop_refused_chunk(&self, doc: &DocId, identity: &Identity) -> bool {
        let chunks = self.inner.state.borrow().chunks(doc);
        let mut scratch = dagsync::Doc::with_identity(identity.clone());
        let refused = chunks
            .iter()
            .position(|chunk| scratch.import_changes(chunk).is_err());
        match refused {
            Some(index) => self.inner.state.borrow_mut().remove_chunk(doc, index),
            None => false,
        }
    }

    /// Whether writes wait for a flush.
    pub fn has_pending(&self) -> bool {
        self.inner.state.borrow().has_queued()
    }

    /// Rows this storage knows and the bytes of their chunks (in memory).
    pub fn known_rows(&self) -> (usize, usize) {
        self.inner.state.borrow().rows()
    }

    /// Writes everything queued now, in one readwrite transaction (after a flush under way
    /// ends). On failure nothing of it is committed, the writes stay queued, a retry is
    /// scheduled, and the error is returned (and not reported again by `take_errors`).
    pub async fn flush(&self) -> Result<(), IdbError> {
        self.wait_idle().await;
        self.inner.control.borrow_mut().running = true;
        let result = run_once(&self.inner).await;
        finish_run(&self.inner, &result);
        result
    }

    /// Resolves once every write queued before the call is committed (waiting through
    /// retries). Fails only if the storage is closed first.
    pub async fn flushed(&self) -> Result<(), IdbError> {
        let target = self.inner.state.borrow().queued();
        if self.inner.state.borrow().durable() >= target {
            return Ok(());
        }
        if self.inner.closed.get() {
            return Err(IdbError::Closed);
        }
        let (promise, resolve) = promise_and_resolver();
        self.inner
            .control
            .borrow_mut()
            .durable
            .push((target, resolve));
        schedule(&self.inner, self.inner.burst_ms.get());
        let _ = JsFuture::from(promise).await;
        if self.inner.state.borrow().durable() >= target {
            Ok(())
        } else {
            Err(IdbError::Closed)
        }
    }

    /// What the database holds (read from IndexedDB, every store).
    pub async fn stored_bytes(&self) -> Result<StoredBytes, IdbError> {
        let db = self.db()?;
        db::stored_bytes(&db).await
    }

    /// Flushes, then closes: stops listening to other tabs, releases the identity slot and
    /// the connection. The flush's error, if any, is returned (the storage closes anyway).
    pub async fn close(&self) -> Result<(), IdbError> {
        if self.inner.closed.get() {
            return Ok(());
        }
        let result = if self.has_pending() {
            self.flush().await
        } else {
            Ok(())
        };
        self.shut_down();
        result
    }

    /// Test hook: a burst's writes wait `ms` instead of [`BURST_MS`].
    #[doc(hidden)]
    pub fn set_burst_ms(&self, ms: u32) {
        self.inner.burst_ms.set(ms);
    }

    /// Test hook: the next `count` flushes are aborted after all their writes succeeded, as
    /// when the page dies mid-flush.
    #[doc(hidden)]
    pub fn abort_next_flushes(&self, count: u32) {
        self.inner.control.borrow_mut().abort_next = count;
    }

    fn db(&self) -> Result<Rc<Rexie>, IdbError> {
        self.inner.db.borrow().clone().ok_or(IdbError::Closed)
    }

    async fn wait_idle(&self) {
        loop {
            let promise = {
                let mut control = self.inner.control.borrow_mut();
                if !control.running {
                    return;
                }
                let (promise, resolve) = promise_and_resolver();
                control.idle.push(resolve);
                promise
            };
            let _ = JsFuture::from(promise).await;
        }
    }

    /// Subscribes to the database's channel: other tabs announce the rows they put and
    /// delete.
    fn listen(&self) {
        let Ok(channel) = BroadcastChannel::new(&channel_name(&self.inner.name)) else {
            // No BroadcastChannel: this storage still works, it just hears no other tab.
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                on_announcement(&inner, &event.data());
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.inner.channel.borrow_mut() = Some(channel);
        *self.inner.on_message.borrow_mut() = Some(on_message);
    }

    /// Writes of the current burst would wait up to [`BURST_MS`]; a page being closed may
    /// not live that long, so hiding or leaving the page starts the flush at once (nothing
    /// the user wrote is lost to the burst window).
    fn flush_on_page_hide(&self) {
        let weak = Rc::downgrade(&self.inner);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                flush_now(&inner);
            }
        });
        let stop = on_page_hide(callback.as_ref().unchecked_ref());
        *self.inner.on_page_hide.borrow_mut() = Some((callback, stop));
    }

    fn shut_down(&self) {
        let inner = &self.inner;
        inner.closed.set(true);
        if let Some((_callback, stop)) = inner.on_page_hide.borrow_mut().take() {
            let _ = stop.call0(&JsValue::UNDEFINED);
        }
        if let Some(channel) = inner.channel.borrow_mut().take() {
            channel.set_onmessage(None);
            channel.close();
        }
        inner.on_message.borrow_mut().take();
        if let Some(release) = inner.release_identity.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        if let Some(db) = inner.db.borrow_mut().take() {
            // The last handle closes the connection (a flush under way holds one until it
            // ends).
            if let Ok(db) = Rc::try_unwrap(db) {
                db.close();
            }
        }
        inner.before_flush.borrow_mut().take();
        let waiters = std::mem::take(&mut inner.control.borrow_mut().durable);
        for (_, resolve) in waiters {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        inner.listener.borrow_mut().take();
    }
}

fn unreachable_identity() -> Identity {
    // `open` sets the identity before handing the storage out; this is never reached, and a
    // fixed key is still better than a panic crossing into JS.
    Identity::from_secret_key([0; 32])
}

impl Storage for IdbStorage {
    fn doc_ids(&self) -> Result<Vec<DocId>, StorageError> {
        Ok(self.inner.state.borrow().doc_ids())
    }

    fn load_chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StorageError> {
        Ok(self.inner.state.borrow().chunks(doc))
    }

    fn append_chunk(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.write(|state| state.append(*doc, chunk))
    }

    fn compact(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.write(|state| state.compact(*doc, chunk))
    }

    fn load_sync_state(&self, doc: &DocId, peer: &PeerId) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.inner.state.borrow().sync_state(doc, peer))
    }

    fn sync_state_peers(&self, doc: &DocId) -> Result<Vec<PeerId>, StorageError> {
        Ok(self.inner.state.borrow().sync_state_peers(doc))
    }

    fn save_sync_state(
        &mut self,
        doc: &DocId,
        peer: &PeerId,
        state: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.write(|s| s.save_sync_state(*doc, peer.clone(), state))
    }
}

impl IdbStorage {
    /// Queues a write and makes sure a flush follows.
    fn write(&self, f: impl FnOnce(&mut State)) -> Result<(), StorageError> {
        if self.inner.closed.get() {
            return Err(StorageError::Backend(IdbError::Closed.to_string()));
        }
        f(&mut self.inner.state.borrow_mut());
        schedule(&self.inner, self.inner.burst_ms.get());
        Ok(())
    }
}

/// Starts a flush now (the page is going away): unless one is under way, which then flushes
/// again when it ends.
fn flush_now(inner: &Rc<Inner>) {
    if inner.closed.get() {
        return;
    }
    {
        let mut control = inner.control.borrow_mut();
        if control.running {
            control.again = true;
            return;
        }
        control.running = true;
    }
    let inner = Rc::clone(inner);
    spawn_local(async move {
        let result = run_once(&inner).await;
        if let Err(e) = &result {
            report(&inner, e.clone());
        }
        finish_run(&inner, &result);
    });
}

/// Starts a flush `delay_ms` from now unless one is scheduled already.
fn schedule(inner: &Rc<Inner>, delay_ms: u32) {
    {
        let mut control = inner.control.borrow_mut();
        if control.scheduled || inner.closed.get() {
            return;
        }
        control.scheduled = true;
    }
    let weak: Weak<Inner> = Rc::downgrade(inner);
    spawn_local(async move {
        let _ = JsFuture::from(sleep(delay_ms)).await;
        let Some(inner) = weak.upgrade() else {
            return;
        };
        inner.control.borrow_mut().scheduled = false;
        if inner.closed.get() {
            return;
        }
        if inner.control.borrow().running {
            // The flush under way schedules the next one when it ends (the writes due may
            // not be queued yet: a before-flush hook queues them).
            inner.control.borrow_mut().again = true;
            return;
        }
        inner.control.borrow_mut().running = true;
        let result = run_once(&inner).await;
        if let Err(e) = &result {
            report(&inner, e.clone());
        }
        finish_run(&inner, &result);
    });
}

/// After a flush: wakes those waiting for it, and schedules the next one (sooner after a
/// success, later after each failure).
fn finish_run(inner: &Rc<Inner>, result: &Result<(), IdbError>) {
    let (idle, failures, again) = {
        let mut control = inner.control.borrow_mut();
        control.running = false;
        let again = std::mem::take(&mut control.again);
        if result.is_ok() {
            control.failures = 0;
        } else {
            control.failures += 1;
        }
        (std::mem::take(&mut control.idle), control.failures, again)
    };
    for resolve in idle {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
    if inner.closed.get() {
        return;
    }
    if failures > 0 {
        schedule(inner, RETRY_MS.saturating_mul(1 << (failures - 1).min(5)));
    } else if again || inner.state.borrow().has_queued() {
        schedule(inner, inner.burst_ms.get());
    }
}

/// One flush: takes the queued writes and writes them in one transaction (holding the
/// database's compaction lock if the batch compacts, so tabs compact one at a time).
async fn run_once(inner: &Rc<Inner>) -> Result<(), IdbError> {
    let db = inner.db.borrow().clone().ok_or(IdbError::Closed)?;
    let hook = inner.before_flush.borrow().clone();
    if let Some(hook) = hook {
        hook();
    }
    let batch = inner.state.borrow_mut().take_batch();
    if batch.puts.is_empty()
        && batch.deletes.is_empty()
        && batch.sync_states.is_empty()
        && batch.meta.is_empty()
    {
        inner.state.borrow_mut().committed(&batch);
        resolve_durable(inner);
        return Ok(());
    }
    let abort = {
        let mut control = inner.control.borrow_mut();
        let abort = control.abort_next > 0;
        control.abort_next = control.abort_next.saturating_sub(1);
        abort
    };
    let release = if batch.compacts() {
        let lock_name = format!("dagsync-idb:{}:compact", inner.name);
        JsFuture::from(lock(&lock_name))
            .await
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
    } else {
        None
    };
    let result = db::write(&db, &batch, abort).await;
    if let Some(release) = release {
        let _ = release.call0(&JsValue::UNDEFINED);
    }
    drop(db);
    match result {
        Ok(()) => {
            announce(inner, &batch);
            inner.state.borrow_mut().committed(&batch);
            resolve_durable(inner);
            Ok(())
        }
        Err(e) => {
            inner.state.borrow_mut().failed(batch);
            Err(e)
        }
    }
}

fn resolve_durable(inner: &Inner) {
    let durable = inner.state.borrow().durable();
    let ready: Vec<Function> = {
        let mut control = inner.control.borrow_mut();
        let (ready, waiting) = std::mem::take(&mut control.durable)
            .into_iter()
            .partition(|(target, _)| *target <= durable);
        control.durable = waiting;
        ready.into_iter().map(|(_, f)| f).collect()
    };
    for resolve in ready {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}

/// Reports an error to the listener.
fn report(inner: &Inner, error: IdbError) {
    inner.errors.borrow_mut().push(error);
    wake(inner);
}

fn wake(inner: &Inner) {
    let listener = inner.listener.borrow().clone();
    if let Some(listener) = listener {
        listener();
    }
}

fn channel_name(db: &str) -> String {
    format!("dagsync-idb:{db}")
}

/// Tells the other tabs which rows a committed batch put and deleted.
fn announce(inner: &Inner, batch: &Batch) {
    let channel = inner.channel.borrow();
    let Some(channel) = channel.as_ref() else {
        return;
    };
    if batch.puts.is_empty() && batch.deletes.is_empty() {
        return;
    }
    let message = Object::new();
    let put: Array = batch
        .puts
        .iter()
        .map(|(k, _)| db::row_key_to_js(k))
        .collect();
    let deleted: Array = batch.deletes.iter().map(db::row_key_to_js).collect();
    let _ = Reflect::set(&message, &"writer".into(), &inner.writer.as_str().into());
    let _ = Reflect::set(&message, &"put".into(), &put);
    let _ = Reflect::set(&message, &"deleted".into(), &deleted);
    // A closed channel or an unclonable message only costs the other tabs a late merge.
    let _ = channel.post_message(&message);
}

/// Another tab announced rows: forget the deleted ones, read and hand over the new ones.
fn on_announcement(inner: &Rc<Inner>, data: &JsValue) {
    let field = |name: &str| Reflect::get(data, &JsValue::from_str(name)).unwrap_or_default();
    if field("writer").as_string().as_deref() == Some(inner.writer.as_str()) {
        return;
    }
    let keys = |name: &str| -> Vec<RowKey> {
        field(name)
            .dyn_into::<Array>()
            .map(|a| a.iter().filter_map(|k| db::row_key_from_js(&k)).collect())
            .unwrap_or_default()
    };
    let deleted = keys("deleted");
    let put = keys("put");
    let unseen: Vec<RowKey> = {
        let mut state = inner.state.borrow_mut();
        state.foreign_deletes(&deleted);
        put.into_iter().filter(|k| state.is_unseen(k)).collect()
    };
    if unseen.is_empty() {
        return;
    }
    let Some(db) = inner.db.borrow().clone() else {
        return;
    };
    let weak = Rc::downgrade(inner);
    spawn_local(async move {
        let values = db::read_rows(&db, &unseen).await;
        drop(db);
        let Some(inner) = weak.upgrade() else {
            return;
        };
        match values {
            Ok(values) => {
                let mut errors = Vec::new();
                for (key, value) in unseen.into_iter().zip(values) {
                    // A row deleted before we read it was replaced by a snapshot: the
                    // announcement of that snapshot follows.
                    let Some(value) = value else { continue };
                    match decode_value(&key, &value) {
                        Ok(chunks) => inner.state.borrow_mut().foreign_row(key, chunks),
                        Err(e) => errors.push(e),
                    }
                }
                inner.errors.borrow_mut().extend(errors);
            }
            Err(e) => inner.errors.borrow_mut().push(e),
        }
        wake(&inner);
    });
}

fn describe_key(key: &JsValue) -> String {
    js_sys::JSON::stringify(key)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| describe_js(key))
}

/// A row as read: its key and chunks, or why it is skipped.
fn decode_row(key: &JsValue, value: &JsValue) -> Result<(RowKey, Vec<Vec<u8>>), IdbError> {
    let Some(row_key) = db::row_key_from_js(key) else {
        return Err(IdbError::CorruptRow {
            key: describe_key(key),
            reason: "not a row key ([doc, kind, id])".into(),
        });
    };
    let chunks = decode_value(&row_key, value)?;
    Ok((row_key, chunks))
}

fn decode_value(key: &RowKey, value: &JsValue) -> Result<Vec<Vec<u8>>, IdbError> {
    let corrupt = |reason: String| IdbError::CorruptRow {
        key: key.to_string(),
        reason,
    };
    let bytes = value
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| corrupt("the value is not a Uint8Array".into()))?
        .to_vec();
    row::decode(key.kind, &bytes).map_err(|e| corrupt(e.to_string()))
}

/// Takes the first identity slot no other open storage of `db` holds (a Web Lock per slot,
/// held until close). Returns the slot and the lock's release function.
async fn claim_identity_slot(db: &str) -> Result<(u32, Option<Function>), IdbError> {
    for slot in 0..MAX_IDENTITY_SLOTS {
        let name = format!("dagsync-idb:{db}:identity:{slot}");
        let claimed = JsFuture::from(try_lock(&name))
            .await
            .map_err(|e| IdbError::Unavailable {
                name: db.to_owned(),
                reason: format!("Web Locks failed: {}", describe_js(&e)),
            })?;
        if let Ok(release) = claimed.dyn_into::<Function>() {
            return Ok((slot, Some(release)));
        }
    }
    Err(IdbError::Unavailable {
        name: db.to_owned(),
        reason: format!("{MAX_IDENTITY_SLOTS} storages of this database are open already"),
    })
}

/// A pending promise and the function resolving it.
fn promise_and_resolver() -> (Promise, Function) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, _reject| slot = Some(resolve));
    // The executor runs synchronously, so the slot is filled.
    let resolve = slot.unwrap_or_else(|| Function::new_no_args(""));
    (promise, resolve)
}

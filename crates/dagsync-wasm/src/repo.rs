//! `Repo`: many documents with storage and networks. It drives the core's sans-IO repo:
//! network events become `connect`/`receive`/`disconnect`, frames it hands out go to
//! `Network::send`, a timer calls `tick`, commits made through a handle's `Doc` become
//! `local_change` (stored and synced), chunks another tab stored are merged, and the core's
//! events become JS events. Everything the core is asked happens in a microtask after the
//! call or event that caused it, never re-entrantly.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::{Rc, Weak};

use dagsync::auth::Identity;
use dagsync::presence::PresenceConfig;
use dagsync::repo::{
    DocId, MemoryStorage, PeerFault, PeerId, Repo as CoreRepo, RepoConfig, RepoError, RepoEvent,
    Storage,
};
use dagsync_idb::IdbStorage;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

use crate::collection::CollectionState;
use crate::doc::{deliver_events, identity_from_options, Doc, SharedDoc};
use crate::emitter::Emitter;
use crate::error::{BindingError, ErrorCode, JsResult};
use crate::events::put;
use crate::handle::DocHandle;
use crate::network::{self, Network, NetworkEvent};
use crate::presence::{presence_config, presence_event};
use crate::storage::database_of;
use crate::values::{describe, string_arg};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(id: &JsValue);
}

/// How often the repo's timer calls the core's `tick` (retries of unanswered syncs).
const TICK_MS: i32 = 500;

/// Every this many ticks (a minute) the repo frees deleted records of its collections that
/// every known peer has seen deleted.
const GC_TICKS: u32 = 120;

#[wasm_bindgen(typescript_custom_section)]
const REPO_TYPES: &'static str = r#"
import type { DagsyncError } from "./errors.js";

/** A network a `Repo` syncs over (`BroadcastChannelNetwork`, `WebRtcNetwork`). */
export interface RepoNetwork {
  readonly __dagsyncNetwork: number;
}

/** Options of `new Repo(options)`. */
export interface RepoOptions {
  /** Where documents persist; in memory without it. */
  storage?: IndexedDbStorage;
  /** The networks to sync over. */
  network?: RepoNetwork[];
  /** The repo's identity (64 hex characters of an ed25519 secret key) when it has no
   * storage; with storage the identity is the one stored (created on first use). */
  secretKey?: string;
  /** How presence (`handle.presence`) is paced and when silent peers expire. */
  presence?: PresenceOptions;
}

/** A connected peer. */
export interface PeerInfo {
  /** The peer's id within its network. */
  id: string;
  /** The kind of network it is connected over ("broadcast-channel", "webrtc", ...). */
  network: string;
  /** The actor (hex public key) the peer proved to be, once its handshake is done. */
  actor?: string;
}

/** What `repo.on("peer", listener)` reports. */
export interface PeerEvent {
  type: "connected" | "authenticated" | "disconnected" | "banned";
  peer: PeerInfo;
}

/** What `repo.on("document", listener)` reports: a document that a peer or another tab
 * (sharing the storage) has, now in this repo too. */
export interface DocumentEvent {
  id: string;
}

/** The events of a `Repo`. */
export interface RepoEventMap {
  peer: PeerEvent;
  document: DocumentEvent;
  /** Failures outside any call: storage (`"quota-exceeded"`, `"storage-failed"`,
   * `"corrupt"` rows skipped), and peers' refused messages (`"bad-signature"`, ...). */
  error: DagsyncError;
}

/** Counters of a `Repo`. */
export interface RepoStats {
  docs: number;
  peers: number;
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Frames or messages refused. */
  refused: number;
  /** Whether writes wait for a flush to storage. */
  pendingWrites: boolean;
  /** Time from sending a peer changes to its confirmation (latest 1,024 syncs); null before any. */
  syncLatencyMs: { samples: number; p50: number; p95: number; p99: number } | null;
  /** Traffic with each connected peer. */
  perPeer: PeerTraffic[];
}

/** Traffic with one connected peer. */
export interface PeerTraffic extends PeerInfo {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Its frames or messages refused. */
  refused: number;
}

export interface Repo {
  /** Calls `listener` on each event `event`; returns a function that removes it. */
  on<K extends keyof RepoEventMap>(event: K, listener: (event: RepoEventMap[K]) => void): () => void;
}
"#;

/// Where the repo stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Opening,
    Open,
    Closed,
}

/// A network's peer, as the core knows it: `"<network index>:<peer>"`.
fn core_peer(network: usize, peer: &str) -> PeerId {
    PeerId(format!("{network}:{peer}"))
}

/// The network index and the network's peer id of a core peer.
fn split_peer(peer: &PeerId) -> Option<(usize, &str)> {
    let (index, remote) = peer.0.split_once(':')?;
    Some((index.parse().ok()?, remote))
}

/// The tick timer: its interval id and the closure it calls (owned here, dropped on close).
type Timer = (JsValue, Closure<dyn FnMut()>);

/// A document of the repo, as JS sees it.
struct Open {
    shared: SharedDoc,
    handle: JsValue,
    /// The handle's `"presence"` listeners.
    events: Rc<Emitter>,
}

pub(crate) struct RepoInner {
    phase: Cell<Phase>,
    core: RefCell<Option<CoreRepo>>,
    /// Why opening failed (every later call rejects with it).
    failure: RefCell<Option<BindingError>>,
    /// Resolved once open (or failed), for calls made before.
    waiting: RefCell<Vec<Function>>,
    storage: RefCell<Option<IdbStorage>>,
    networks: Vec<Rc<dyn Network>>,
    inbox: RefCell<VecDeque<(usize, NetworkEvent)>>,
    dirty: RefCell<BTreeSet<DocId>>,
    scheduled: Cell<bool>,
    docs: RefCell<BTreeMap<DocId, Open>>,
    emitter: Rc<Emitter>,
    timer: RefCell<Option<Timer>>,
    presence: PresenceConfig,
    /// Open collections by document, with their JS object (always the same).
    pub(crate) collections: RefCell<BTreeMap<DocId, (Rc<CollectionState>, JsValue)>>,
    /// Documents shared over some networks only (`repo.share`): their network indexes.
    sharing: Rc<RefCell<BTreeMap<DocId, BTreeSet<usize>>>>,
    /// Timer ticks since the last garbage collection.
    ticks: Cell<u32>,
}

/// Documents kept in storage and synced with peers over networks: `new Repo({ storage,
/// network: [...] })`, then `await repo.create()` or `await repo.find(id)` for a handle whose
/// `doc` is edited like any `Doc` (commits are stored and synced automatically).
#[wasm_bindgen]
pub struct Repo {
    pub(crate) inner: Rc<RepoInner>,
}

#[wasm_bindgen]
impl Repo {
    /// A repo with `options.storage` (an `IndexedDbStorage`; in memory without it) and
    /// `options.network` (networks to sync over). Opening the storage happens in the
    /// background; `create` and `find` wait for it. Throws `DagsyncError`
    /// (`"invalid-argument"`) on malformed options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "RepoOptions")] options: JsValue,
    ) -> Result<Repo, BindingError> {
        let field = |name: &str| -> JsValue {
            if options.is_object() {
                Reflect::get(&options, &JsValue::from_str(name)).unwrap_or_default()
            } else {
                JsValue::UNDEFINED
            }
        };
        if !(options.is_undefined() || options.is_null() || options.is_object()) {
            return Err(BindingError::invalid(format!(
                "options must be an object, got {}",
                describe(&options)
            )));
        }
        let database = database_of(&field("storage"))?;
        let networks = networks_of(&field("network"))?;
        let presence = presence_config(&field("presence"))?;
        // Without storage the identity comes from the options (checked now, used at open).
        let identity = match database {
            Some(_) => None,
            None => Some(identity_from_options(&options)?),
        };
        let inner = Rc::new(RepoInner {
            phase: Cell::new(Phase::Opening),
            core: RefCell::new(None),
            failure: RefCell::new(None),
            waiting: RefCell::new(Vec::new()),
            storage: RefCell::new(None),
            networks,
            inbox: RefCell::new(VecDeque::new()),
            dirty: RefCell::new(BTreeSet::new()),
            scheduled: Cell::new(false),
            docs: RefCell::new(BTreeMap::new()),
            emitter: Emitter::new(&["peer", "document", "error"]),
            timer: RefCell::new(None),
            presence,
            collections: RefCell::new(BTreeMap::new()),
            sharing: Rc::new(RefCell::new(BTreeMap::new())),
            ticks: Cell::new(0),
        });
        let opening = Rc::clone(&inner);
        spawn_local(async move {
            let result = open(&opening, database, identity).await;
            if let Err(error) = result {
                opening.phase.set(Phase::Closed);
                opening.emitter.emit("error", &error.clone().into());
                *opening.failure.borrow_mut() = Some(error);
            }
            for resolve in std::mem::take(&mut *opening.waiting.borrow_mut()) {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        });
        Ok(Repo { inner })
    }

    /// A new, empty document (offered to every connected peer): resolves to its handle.
    #[wasm_bindgen(unchecked_return_type = "Promise<DocHandle>")]
    pub fn create(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            ready(&inner).await?;
            let id = with_core(&inner, CoreRepo::create)??;
            after_core(&inner);
            handle_of(&inner, id)
        })
    }

    /// The handle of the document `id` (32 hex characters). A document this repo does not
    /// have yet starts empty and fills as peers or other tabs sync it. Rejects with
    /// `DagsyncError` (`"invalid-argument"`) on a malformed id.
    #[wasm_bindgen(unchecked_return_type = "Promise<DocHandle>")]
    pub fn find(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        let inner = Rc::clone(&self.inner);
        let id = string_arg(&id, "the document id").and_then(|id| {
            id.parse::<DocId>().map_err(|_| {
                BindingError::invalid(format!("a document id is 32 hex characters, got {id:?}"))
            })
        });
        promise(async move {
            let id = id?;
            ready(&inner).await?;
            with_core(&inner, |core| core.create_with_id(id))??;
            after_core(&inner);
            handle_of(&inner, id)
        })
    }

    /// The ids of the documents the repo holds, sorted (empty until the storage is open).
    #[wasm_bindgen(js_name = docIds)]
    pub fn doc_ids(&self) -> Vec<String> {
        with_core(&self.inner, |core| {
            core.doc_ids().iter().map(ToString::to_string).collect()
        })
        .unwrap_or_default()
    }

    /// The connected peers.
    #[wasm_bindgen(unchecked_return_type = "PeerInfo[]")]
    pub fn peers(&self) -> Array {
        let inner = &self.inner;
        with_core(inner, |core| {
            core.peers()
                .iter()
                .map(|peer| peer_info(inner, core, peer))
                .collect::<Array>()
        })
        .unwrap_or_default()
    }

    /// Counters: documents, peers, frames and bytes each way, refusals, pending writes.
    #[wasm_bindgen(unchecked_return_type = "RepoStats")]
    pub fn stats(&self) -> JsValue {
        let object = Object::new();
        let stats = with_core(&self.inner, |core| core.stats()).unwrap_or_default();
        let number = |n: u64| JsValue::from_f64(n as f64);
        put(&object, "docs", &number(stats.docs as u64));
        put(&object, "peers", &number(stats.peers as u64));
        put(&object, "framesSent", &number(stats.frames_sent));
        put(&object, "bytesSent", &number(stats.bytes_sent));
        put(&object, "framesReceived", &number(stats.frames_received));
        put(&object, "bytesReceived", &number(stats.bytes_received));
        put(&object, "refused", &number(stats.refused));
        let latency = with_core(&self.inner, |core| core.sync_latency())
            .ok()
            .flatten();
        let latency_value = match latency {
            Some(l) => {
                let o = Object::new();
                put(&o, "samples", &number(l.samples as u64));
                put(&o, "p50", &number(l.p50_ms));
                put(&o, "p95", &number(l.p95_ms));
                put(&o, "p99", &number(l.p99_ms));
                o.into()
            }
            None => JsValue::NULL,
        };
        put(&object, "syncLatencyMs", &latency_value);
        let per_peer = with_core(&self.inner, |core| {
            core.peers()
                .iter()
                .filter_map(|peer| {
                    let traffic = core.peer_stats(peer)?;
                    let o: Object = peer_info(&self.inner, core, peer).into();
                    put(&o, "framesSent", &number(traffic.frames_sent));
                    put(&o, "bytesSent", &number(traffic.bytes_sent));
                    put(&o, "framesReceived", &number(traffic.frames_received));
                    put(&o, "bytesReceived", &number(traffic.bytes_received));
                    put(&o, "refused", &number(traffic.refused));
                    Some(JsValue::from(o))
                })
                .collect::<Array>()
        })
        .unwrap_or_default();
        put(&object, "perPeer", &per_peer);
        let pending = !self.inner.dirty.borrow().is_empty()
            || self
                .inner
                .storage
                .borrow()
                .as_ref()
                .is_some_and(IdbStorage::has_pending);
        put(&object, "pendingWrites", &JsValue::from_bool(pending));
        object.into()
    }

    /// Calls `listener` on each `event`: `"peer"`, `"document"` or `"error"`. Returns a
    /// function that removes the listener.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, BindingError> {
        self.inner.emitter.on(&event, listener)
    }

    /// Leaves the presence of every document, stores what is pending, disconnects every
    /// peer (storing their sync states), closes the networks and the storage. Documents stay
    /// readable; later edits are neither stored nor synced. Resolves once everything is written (rejects with the storage's error if the
    /// last flush failed).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            // Calls made before the storage opened see it open first.
            let _ = ready(&inner).await;
            if inner.phase.get() == Phase::Closed {
                return Ok(JsValue::UNDEFINED);
            }
            process(&inner);
            // Peers drop our presence at once instead of waiting for it to expire.
            let ids: Vec<DocId> = inner.docs.borrow().keys().copied().collect();
            let left = with_core(&inner, |core| {
                ids.iter().try_for_each(|id| core.leave_presence(id))
            });
            report_result(&inner, left.and_then(|r| r.map_err(BindingError::from)));
            after_core(&inner);
            inner.phase.set(Phase::Closed);
            if let Some((id, _closure)) = inner.timer.borrow_mut().take() {
                clear_interval(&id);
            }
            for network in &inner.networks {
                network.close();
            }
            let core = inner.core.borrow_mut().take();
            let closed = core.map(CoreRepo::close);
            for open in inner.docs.borrow().values() {
                open.shared.set_changed_hook(None);
                open.events.clear();
            }
            inner.collections.borrow_mut().clear();
            let storage = inner.storage.borrow_mut().take();
            let flushed = match storage {
                Some(storage) => storage.close().await.map_err(BindingError::from),
                None => Ok(()),
            };
            inner.emitter.clear();
            if let Some(Err(e)) = closed {
                return Err(e.into());
            }
            flushed?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl Drop for RepoInner {
    fn drop(&mut self) {
        // A repo freed without `close()`: stop the timer and the networks.
        if let Some((id, _closure)) = self.timer.get_mut().take() {
            clear_interval(&id);
        }
        if self.phase.get() != Phase::Closed {
            for network in &self.networks {
                network.close();
            }
        }
    }
}

impl RepoInner {
    /// The shared document behind the handle of document `id`, once it has one.
    pub(crate) fn shared_doc(&self, id: &DocId) -> Option<SharedDoc> {
        self.docs.borrow().get(id).map(|o| Rc::clone(&o.shared))
    }

    /// The index of `network` among the repo's networks.
    pub(crate) fn network_index(&self, network: &Rc<dyn Network>) -> Option<usize> {
        self.networks
            .iter()
            .position(|n| std::ptr::addr_eq(Rc::as_ptr(n), Rc::as_ptr(network)))
    }

    /// Shares document `id` over the networks `networks` (indexes) only.
    pub(crate) fn share(self: &Rc<Self>, id: DocId, networks: BTreeSet<usize>) -> JsResult<()> {
        self.sharing.borrow_mut().insert(id, networks);
        let sharing = Rc::clone(&self.sharing);
        let policy = Box::new(move |peer: &PeerId, doc: &DocId| {
            let Some((index, _)) = split_peer(peer) else {
                return true;
            };
            sharing
                .borrow()
                .get(doc)
                .is_none_or(|networks| networks.contains(&index))
        });
        with_core(self, |core| core.set_share_policy(policy))??;
        after_core(self);
        Ok(())
    }

    /// Resolves once the document's pending changes are stored (immediately without storage).
    pub(crate) async fn flushed(self: &Rc<Self>, id: DocId) -> JsResult<()> {
        if self.dirty.borrow().contains(&id) {
            process(self);
        }
        let storage = self.storage.borrow().clone();
        match storage {
            Some(storage) => Ok(storage.flushed().await?),
            None => Ok(()),
        }
    }
}

/// A JS promise of a binding future (its error becomes a rejection with a `DagsyncError`).
pub(crate) fn promise(
    future: impl std::future::Future<Output = JsResult<JsValue>> + 'static,
) -> Promise {
    future_to_promise(async move { future.await.map_err(JsValue::from) })
}

/// The networks of the `network` option: an array of network objects, or `undefined`.
fn networks_of(value: &JsValue) -> JsResult<Vec<Rc<dyn Network>>> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !Array::is_array(value) {
        return Err(BindingError::invalid(format!(
            "network must be an array of networks, got {}",
            describe(value)
        )));
    }
    let array: &Array = value.unchecked_ref();
    array.iter().map(|n| network::from_js(&n)).collect()
}

/// Opens the storage, builds the core repo, starts the networks and the timer.
async fn open(
    inner: &Rc<RepoInner>,
    database: Option<String>,
    identity: Option<Identity>,
) -> JsResult<()> {
    let (storage, identity): (Option<IdbStorage>, Identity) = match database {
        Some(name) => {
            let storage = IdbStorage::open(&name).await?;
            let identity = storage.identity();
            (Some(storage), identity)
        }
        None => match identity {
            Some(identity) => (None, identity),
            None => (None, Identity::generate()?),
        },
    };
    let mut core = build_core(identity, storage.as_ref())?;
    core.set_presence_config(inner.presence.clone());
    *inner.core.borrow_mut() = Some(core);
    if let Some(storage) = &storage {
        let weak = Rc::downgrade(inner);
        storage.set_listener(Rc::new(move || {
            if let Some(inner) = weak.upgrade() {
                schedule(&inner);
            }
        }));
        let weak = Rc::downgrade(inner);
        storage.set_before_flush(Rc::new(move || {
            if let Some(inner) = weak.upgrade() {
                process(&inner);
            }
        }));
    }
    *inner.storage.borrow_mut() = storage;
    inner.phase.set(Phase::Open);
    for (index, network) in inner.networks.iter().enumerate() {
        let weak = Rc::downgrade(inner);
        let events: Rc<dyn Fn(NetworkEvent)> = Rc::new(move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.inbox.borrow_mut().push_back((index, event));
                schedule(&inner);
            }
        });
        if let Err(error) = network.start(events) {
            inner.emitter.emit("error", &error.into());
        }
    }
    let weak = Rc::downgrade(inner);
    let tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = weak.upgrade() {
            let now = js_sys::Date::now() as u64;
            let result = with_core(&inner, |core| core.tick(now));
            report_result(&inner, result.and_then(|r| r.map_err(BindingError::from)));
            let ticks = inner.ticks.get() + 1;
            inner.ticks.set(ticks % GC_TICKS);
            if ticks == GC_TICKS {
                collect_garbage(&inner);
            }
            after_core(&inner);
        }
    });
    let id = set_interval(tick.as_ref().unchecked_ref(), TICK_MS);
    // In Node a pending interval keeps the process alive: a repo never closed must not.
    if let Ok(unref) = Reflect::get(&id, &JsValue::from_str("unref")) {
        if let Some(unref) = unref.dyn_ref::<Function>() {
            let _ = unref.call0(&id);
        }
    }
    *inner.timer.borrow_mut() = Some((id, tick));
    // Corrupt rows skipped while opening, and anything else the storage said.
    schedule(inner);
    Ok(())
}

/// The core repo over `storage` (or memory). A stored chunk the core refuses (its row's
/// checksum was right, its changes are not) is skipped by the core and reported as an error
/// event (see `after_core`), so one bad chunk never blocks loading the rest.
fn build_core(identity: Identity, storage: Option<&IdbStorage>) -> JsResult<CoreRepo> {
    let config = RepoConfig::default();
    let storage: Box<dyn Storage> = match storage {
        Some(storage) => Box::new(storage.clone()),
        None => Box::new(MemoryStorage::new()),
    };
    Ok(CoreRepo::with_identity(identity, storage, config)?)
}

/// Frees the values of deleted records (unreachable containers) of every open collection
/// that every known peer has seen (`Repo::collect_garbage`); returns the containers and the
/// values freed.
pub(crate) fn collect_garbage(inner: &Rc<RepoInner>) -> (usize, usize) {
    let ids: Vec<DocId> = inner.collections.borrow().keys().copied().collect();
    let mut freed = (0, 0);
    for id in ids {
        let result = with_core(inner, |core| core.collect_garbage(&id));
        match result.and_then(|r| r.map_err(BindingError::from)) {
            Ok(report) => {
                freed.0 += report.containers;
                freed.1 += report.values;
            }
            Err(error) => report_result(inner, Err(error)),
        }
    }
    freed
}

/// Waits until the repo is open; fails if opening failed or the repo is closed.
pub(crate) async fn ready(inner: &Rc<RepoInner>) -> JsResult<()> {
    if inner.phase.get() == Phase::Opening {
        let promise = Promise::new(&mut |resolve, _| inner.waiting.borrow_mut().push(resolve));
        let _ = JsFuture::from(promise).await;
    }
    if let Some(failure) = inner.failure.borrow().clone() {
        return Err(failure);
    }
    match inner.phase.get() {
        Phase::Open => Ok(()),
        _ => Err(closed()),
    }
}

fn closed() -> BindingError {
    BindingError::new(ErrorCode::Closed, "the repo is closed")
}

/// Runs `f` on the core repo (a `closed` error before it opens or after it closes, a `busy`
/// error if the core is in use further up the stack).
pub(crate) fn with_core<T>(inner: &RepoInner, f: impl FnOnce(&mut CoreRepo) -> T) -> JsResult<T> {
    let mut core = inner.core.try_borrow_mut().map_err(|_| {
        BindingError::new(
            ErrorCode::Busy,
            "the repo is in use by a call that has not returned",
        )
    })?;
    let core = core.as_mut().ok_or_else(closed)?;
    Ok(f(core))
}

/// The handle of document `id` (created once, then the same object).
pub(crate) fn handle_of(inner: &Rc<RepoInner>, id: DocId) -> JsResult<JsValue> {
    if let Some(open) = inner.docs.borrow().get(&id) {
        return Ok(open.handle.clone());
    }
    let cell = with_core(inner, |core| core.doc_cell(&id))?
        .ok_or_else(|| BindingError::invalid(format!("no document {id}")))?;
    let weak = Rc::downgrade(inner);
    let changed: Rc<dyn Fn()> = Rc::new(move || {
        if let Some(inner) = weak.upgrade() {
            inner.dirty.borrow_mut().insert(id);
            local_commit(&inner);
        }
    });
    let doc = Doc::from_cell(cell, Some(changed));
    let shared = doc.shared();
    let events = Emitter::new(&["change", "presence"]);
    let handle: JsValue = DocHandle::new(id, doc, Rc::downgrade(inner), Rc::clone(&events)).into();
    inner.docs.borrow_mut().insert(
        id,
        Open {
            shared,
            handle: handle.clone(),
            events,
        },
    );
    Ok(handle)
}

/// A document of the repo got local changes. With peers (or without storage) they are stored
/// and synced in a microtask, so peers see every keystroke at once. Without peers they wait
/// for the storage's next flush (at most `BURST_MS` later), which stores every commit of the
/// burst as one chunk: one export and one signature per burst instead of per commit.
fn local_commit(inner: &Rc<RepoInner>) {
    let has_peers = with_core(inner, |core| core.stats().peers > 0).unwrap_or(true);
    let storage = inner.storage.borrow().clone();
    match storage {
        Some(storage) if !has_peers => storage.request_flush(),
        _ => schedule(inner),
    }
}

/// Makes sure [`process`] runs in a microtask.
fn schedule(inner: &Rc<RepoInner>) {
    if inner.scheduled.replace(true) {
        return;
    }
    let weak: Weak<RepoInner> = Rc::downgrade(inner);
    spawn_local(async move {
        if let Some(inner) = weak.upgrade() {
            inner.scheduled.set(false);
            process(&inner);
        }
    });
}

/// Feeds the core what arrived (other tabs' chunks, network events, local commits), then
/// hands out what it produced.
fn process(inner: &Rc<RepoInner>) {
    crate::memory::reserve_ahead();
    if inner.phase.get() != Phase::Open {
        return;
    }
    let storage = inner.storage.borrow().clone();
    let incoming = storage
        .as_ref()
        .map(IdbStorage::take_incoming)
        .unwrap_or_default();
    let events: Vec<(usize, NetworkEvent)> = inner.inbox.borrow_mut().drain(..).collect();
    let dirty: Vec<DocId> = std::mem::take(&mut *inner.dirty.borrow_mut())
        .into_iter()
        .collect();
    let mut errors: Vec<BindingError> = Vec::new();
    let fed = with_core(inner, |core| {
        // The clock of the sync latencies (ticks only come every 500 ms).
        core.set_now(js_sys::Date::now() as u64);
        for (doc, chunk) in &incoming {
            if let Err(e) = core.merge_stored_chunk(doc, chunk) {
                errors.push(e.into());
            }
        }
        for (index, event) in events {
            let result = match event {
                NetworkEvent::PeerConnected { peer, max_frame } => {
                    core.connect_with_max_frame(core_peer(index, &peer), max_frame)
                }
                NetworkEvent::PeerDisconnected { peer } => {
                    core.disconnect(&core_peer(index, &peer))
                }
                NetworkEvent::Frame { peer, bytes } => {
                    core.receive(&core_peer(index, &peer), &bytes)
                }
            };
            // What a peer did wrong is reported by the core's `Fault` event.
            if let Err(e) = result {
                if !is_peer_fault(&e) {
                    errors.push(e.into());
                }
            }
        }
        for id in dirty {
            if let Err(e) = core.local_change(&id) {
                errors.push(e.into());
            }
        }
    });
    if let Err(e) = fed {
        // Busy further up the stack: everything waits for the next turn.
        errors.push(e);
        schedule(inner);
    }
    for error in errors {
        inner.emitter.emit("error", &error.into());
    }
    if let Some(storage) = storage {
        for error in storage.take_errors() {
            inner
                .emitter
                .emit("error", &BindingError::from(error).into());
        }
    }
    after_core(inner);
}

/// Whether a failed `receive` is the peer's fault (reported by a core event).
fn is_peer_fault(error: &RepoError) -> bool {
    matches!(
        error,
        RepoError::Frame { .. }
            | RepoError::Malformed { .. }
            | RepoError::Sync { .. }
            | RepoError::Handshake(_)
            | RepoError::TooManyDocs(_)
            | RepoError::Banned(_)
            | RepoError::UnknownPeer(_)
    )
}

fn report_result(inner: &RepoInner, result: JsResult<()>) {
    if let Err(error) = result {
        if error.code != ErrorCode::Closed {
            inner.emitter.emit("error", &error.into());
        }
    }
}

/// Sends the frames the core handed out and turns its events into JS events.
pub(crate) fn after_core(inner: &Rc<RepoInner>) {
    let mut js_events: Vec<(&'static str, JsValue)> = Vec::new();
    let mut changed: Vec<DocId> = Vec::new();
    let mut presence: Vec<(DocId, JsValue)> = Vec::new();
    let drained = with_core(inner, |core| {
        while let Some((peer, frame)) = core.poll_frame() {
            if let Some((index, remote)) = split_peer(&peer) {
                if let Some(network) = inner.networks.get(index) {
                    network.send(remote, &frame);
                }
            }
        }
        while let Some(event) = core.poll_event() {
            match event {
                RepoEvent::PeerConnected(peer) => {
                    js_events.push(("peer", peer_event(inner, core, "connected", &peer)));
                }
                RepoEvent::PeerAuthenticated { peer, .. } => {
                    js_events.push(("peer", peer_event(inner, core, "authenticated", &peer)));
                }
                RepoEvent::PeerDisconnected(peer) => {
                    js_events.push(("peer", peer_event(inner, core, "disconnected", &peer)));
                }
                RepoEvent::PeerBanned { peer, .. } => {
                    js_events.push(("peer", peer_event(inner, core, "banned", &peer)));
                    // The transport drops it too, so it cannot keep costing us.
                    if let Some((index, remote)) = split_peer(&peer) {
                        if let Some(network) = inner.networks.get(index) {
                            network.disconnect(remote);
                        }
                    }
                }
                RepoEvent::Fault { peer, fault } => {
                    js_events.push(("error", fault_error(&peer, fault).into()));
                }
                RepoEvent::DocAdded(id) => {
                    let object = Object::new();
                    put(&object, "id", &JsValue::from_str(&id.to_string()));
                    js_events.push(("document", object.into()));
                }
                RepoEvent::DocChanged(id) => changed.push(id),
                RepoEvent::StoredChunkRefused { doc, reason } => {
                    let error = BindingError::new(
                        ErrorCode::Corrupt,
                        format!(
                            "a stored chunk of document {doc} was refused and skipped: {reason}"
                        ),
                    );
                    js_events.push(("error", error.into()));
                }
                RepoEvent::PresenceChanged { doc, actor } => {
                    let states = core.presence(&doc);
                    presence.push((doc, presence_event("changed", actor, states.get(&actor))));
                }
                RepoEvent::PresenceGone { doc, actor } => {
                    presence.push((doc, presence_event("gone", actor, None)));
                }
                _ => {}
            }
        }
    });
    if drained.is_err() {
        return;
    }
    for id in changed {
        let shared = inner.docs.borrow().get(&id).map(|o| Rc::clone(&o.shared));
        if let Some(shared) = shared {
            if let Err(error) = deliver_events(&shared) {
                js_events.push(("error", error.into()));
            }
        }
        let collection = inner
            .collections
            .borrow()
            .get(&id)
            .map(|(c, _)| Rc::clone(c));
        if let Some(collection) = collection {
            if let Err(error) = collection.pump() {
                js_events.push(("error", error.into()));
            }
        }
    }
    for (name, value) in js_events {
        inner.emitter.emit(name, &value);
    }
    for (id, event) in presence {
        let events = inner.docs.borrow().get(&id).map(|o| Rc::clone(&o.events));
        if let Some(events) = events {
            events.emit("presence", &event);
        }
    }
}

/// A `PeerInfo` object.
fn peer_info(inner: &RepoInner, core: &CoreRepo, peer: &PeerId) -> JsValue {
    let object = Object::new();
    let (index, remote) = split_peer(peer).unwrap_or((usize::MAX, peer.0.as_str()));
    put(&object, "id", &JsValue::from_str(remote));
    let kind = inner.networks.get(index).map_or("unknown", |n| n.kind());
    put(&object, "network", &JsValue::from_str(kind));
    if let Some(actor) = core.peer_actor(peer) {
        put(&object, "actor", &JsValue::from_str(&actor.to_hex()));
    }
    object.into()
}

/// A `PeerEvent` object.
fn peer_event(inner: &RepoInner, core: &CoreRepo, kind: &str, peer: &PeerId) -> JsValue {
    let object = Object::new();
    put(&object, "type", &JsValue::from_str(kind));
    put(&object, "peer", &peer_info(inner, core, peer));
    object.into()
}

/// The `DagsyncError` of something a peer sent that was refused.
fn fault_error(peer: &PeerId, fault: PeerFault) -> BindingError {
    let remote = split_peer(peer).map_or(peer.0.as_str(), |(_, r)| r);
    let (code, what) = match fault {
        PeerFault::BadFrame(e) | PeerFault::Refused(e) => {
            let what = e.to_string();
            (BindingError::from(e).code, what)
        }
        PeerFault::Malformed(e) => {
            let what = e.to_string();
            (BindingError::from(e).code, what)
        }
        PeerFault::BadHandshake => (
            ErrorCode::PeerRefused,
            "a handshake that does not verify".into(),
        ),
        PeerFault::TooManyDocs => (
            ErrorCode::PeerRefused,
            "more documents than the repo takes".into(),
        ),
        _ => (ErrorCode::PeerRefused, "a refused message".into()),
    };
    BindingError::new(code, format!("peer {remote} sent {what}"))
}

//! `Doc`: the JS handle of a dagsync document, and the shared state behind all its handles.

use std::cell::RefCell;
use std::rc::Rc;

use dagsync::auth::Identity;
use dagsync::clock::VersionVector;
use dagsync::repo::DocCell;
use dagsync::{ActorId, ContainerId, ContainerKind, Event};
use js_sys::{Function, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::counter::CounterHandle;
use crate::error::{report_listener_error, BindingError, ErrorCode, JsResult};
use crate::events::{event_to_js, put};
use crate::history::parse_heads;
use crate::list::ListHandle;
use crate::map::MapHandle;
use crate::register::RegisterHandle;
use crate::registry::{lookup, Registry};
use crate::set::SetHandle;
use crate::text::TextHandle;
use crate::values::{bytes_arg, describe, function_arg, string_arg, value_to_js};

#[wasm_bindgen(typescript_custom_section)]
const DOC_TYPES: &'static str = r#"
/** Options of `new Doc(options)`. */
export interface DocOptions {
  /** The 32-byte ed25519 secret key of the document's identity, as 64 hex characters. */
  secretKey?: string;
}

/** Options of `doc.forkAt(heads, options)`. */
export interface ForkOptions {
  /** The secret key (64 hex characters) of the fork's identity; a fresh one without it. */
  secretKey?: string;
}

/** What `doc.importChanges` did. */
export interface ImportResult {
  /** Changes applied now (including earlier pending ones that became applicable). */
  applied: number;
  /** Changes waiting for missing dependencies. */
  pending: number;
}
"#;

/// Listeners of one document and what was delivered to them.
#[derive(Default)]
struct Listeners {
    next_id: u32,
    /// `subscribe` callbacks (shared, so delivering to them copies no list).
    changes: Rc<Vec<(u32, Function)>>,
    /// `subscribeLocalUpdates` callbacks.
    local: Rc<Vec<(u32, Function)>>,
    /// The core subscription filling `Shared::queue`, while a `subscribe` listener exists
    /// (local updates need no events: they follow the local actor's sequence number, so a
    /// document with only those does not record patches).
    core_subscription: Option<u64>,
    /// The local actor's changes up to this sequence number were delivered as updates.
    local_sent: u64,
    /// The burst's signed update is queued (see [`seal_burst`]).
    seal_scheduled: bool,
}

/// One document and its listeners, shared by the `Doc` and every container handle (and, for
/// a document of a `Repo`, with the core repo through the same [`DocCell`]).
pub(crate) struct Shared {
    /// The key JS objects of this document expose as `__dagsyncDoc` (see `registry.rs`).
    key: u32,
    doc: DocCell,
    listeners: RefCell<Listeners>,
    /// Core events not yet delivered to JS listeners.
    queue: Rc<RefCell<Vec<Event>>>,
    /// Called after a call that added changes to the document (a commit, an import, a
    /// merge): the repo holding the document stores and syncs them.
    changed: RefCell<Option<Rc<dyn Fn()>>>,
    /// The JS handles of root containers handed out (`doc.getText(name)` and the like), so
    /// asking again returns the same object instead of making (and later collecting) a new
    /// one per call. Each holds this `Shared`: the cycle is cut when a `Doc` goes.
    roots: RefCell<Vec<(ContainerKind, String, JsValue)>>,
    /// The root asked for last: its kind, the name as JS passed it, and the handle (asking
    /// for the same root in a loop then costs one string comparison in JS).
    last_root: RefCell<Option<(ContainerKind, JsValue, JsValue)>>,
}

/// The shared, interior-mutable document behind every handle of one `Doc`.
pub(crate) type SharedDoc = Rc<Shared>;

thread_local! {
    /// Every live document, for [`doc_arg`].
    static DOCS: Registry<Shared> = const { Registry::new() };
}

impl Drop for Shared {
    fn drop(&mut self) {
        DOCS.with(|r| r.remove(self.key));
    }
}

/// The document behind a JS `Doc` argument (`invalid-argument` for anything else).
pub(crate) fn doc_arg(value: &JsValue) -> JsResult<SharedDoc> {
    lookup(&DOCS, value, "__dagsyncDoc", "a Doc")
}

/// Runs `f` with the document borrowed mutably (a re-entrant call is a `busy` error, not a
/// panic), then delivers the events the call caused.
pub(crate) fn with_doc_mut<T>(
    shared: &SharedDoc,
    f: impl FnOnce(&mut dagsync::Doc) -> T,
) -> JsResult<T> {
    crate::memory::reserve_ahead();
    let hook = shared.changed.borrow().clone();
    let (result, changed) = {
        let mut guard = shared.doc.try_borrow_mut().map_err(|_| busy())?;
        // Only a document of a repo pays for the comparison.
        let before = hook.as_ref().map(|_| guard.version().clone());
        let result = f(&mut guard);
        let changed = before.is_some_and(|before| &before != guard.version());
        (result, changed)
    };
    flush(shared)?;
    if changed {
        if let Some(hook) = hook {
            hook();
        }
    }
    Ok(result)
}

impl Shared {
    /// A handle of container `id` was freed (`handle.free()` from JS, or collected): if it is
    /// a cached root handle, it must not be handed out again.
    pub(crate) fn forget_root(&self, id: &ContainerId) {
        let ContainerId::Root { name, kind } = id else {
            return;
        };
        if let Ok(mut roots) = self.roots.try_borrow_mut() {
            roots.retain(|(k, n, _)| !(k == kind && n == name));
        }
        if let Ok(mut last) = self.last_root.try_borrow_mut() {
            if last
                .as_ref()
                .is_some_and(|(k, n, _)| k == kind && n.as_string().as_deref() == Some(name))
            {
                last.take();
            }
        }
    }

    /// Sets (or, with `None`, removes) the function called after calls that add changes.
    #[cfg(feature = "repo")]
    pub(crate) fn set_changed_hook(&self, hook: Option<Rc<dyn Fn()>>) {
        *self.changed.borrow_mut() = hook;
    }
}

/// Tells the repo holding the document (if any) that it has new changes.
fn notify_changed(shared: &SharedDoc) {
    let hook = shared.changed.borrow().clone();
    if let Some(hook) = hook {
        hook();
    }
}

/// Delivers the events core calls (made by a repo) queued to the document's JS listeners.
#[cfg(feature = "repo")]
pub(crate) fn deliver_events(shared: &SharedDoc) -> JsResult<()> {
    flush(shared)
}

/// [`with_doc_mut`] for a core call that may refuse with a [`dagsync::DocError`].
pub(crate) fn edit<T>(
    shared: &SharedDoc,
    f: impl FnOnce(&mut dagsync::Doc) -> Result<T, dagsync::DocError>,
) -> JsResult<T> {
    Ok(with_doc_mut(shared, f)??)
}

/// Runs `f` with the document borrowed for reading.
pub(crate) fn with_doc<T>(shared: &SharedDoc, f: impl FnOnce(&dagsync::Doc) -> T) -> JsResult<T> {
    let guard = shared.doc.try_borrow().map_err(|_| busy())?;
    Ok(f(&guard))
}

fn busy() -> BindingError {
    BindingError::new(
        ErrorCode::Busy,
        "the document is in use by a call that has not returned",
    )
}

/// Delivers queued events to `subscribe` listeners and, after a local commit, the new local
/// changes to `subscribeLocalUpdates` listeners. Listener exceptions are reported, not thrown.
fn flush(shared: &SharedDoc) -> JsResult<()> {
    let events: Vec<Event> = std::mem::take(&mut *shared.queue.borrow_mut());
    let (changes, local) = {
        let listeners = shared.listeners.borrow();
        (Rc::clone(&listeners.changes), Rc::clone(&listeners.local))
    };
    let this = JsValue::UNDEFINED;
    if !changes.is_empty() {
        for event in &events {
            let value = event_to_js(shared, event);
            for (_, callback) in changes.iter() {
                if let Err(error) = callback.call1(&this, &value) {
                    report_listener_error(error);
                }
            }
        }
    }
    if !local.is_empty() {
        let update = {
            let mut doc = shared.doc.try_borrow_mut().map_err(|_| busy())?;
            let actor = doc.actor();
            let sent = shared.listeners.borrow().local_sent;
            let now = doc.version().get(&actor);
            if now <= sent {
                // No new local commit.
                return Ok(());
            }
            // Unsigned: one signature per burst, when it ends (see `seal_burst`).
            let bytes = doc.export_local_unsigned(sent);
            shared.listeners.borrow_mut().local_sent = now;
            Uint8Array::from(bytes.as_slice())
        };
        for (_, callback) in local.iter() {
            if let Err(error) = callback.call1(&this, &update) {
                report_listener_error(error);
            }
        }
        let schedule = !std::mem::replace(&mut shared.listeners.borrow_mut().seal_scheduled, true);
        if schedule {
            let shared = shared.clone();
            wasm_bindgen_futures::spawn_local(async move { seal_burst(&shared) });
        }
    }
    Ok(())
}

/// Ends a burst of local updates (the synchronous run of JS that made them: this runs as a
/// microtask after it): signs the latest local change, whose hash chain covers the burst, and
/// delivers it to `subscribeLocalUpdates` listeners as one more update. Signing each update
/// instead would cost an ed25519 signature (~125 µs in wasm) per keystroke.
fn seal_burst(shared: &SharedDoc) {
    shared.listeners.borrow_mut().seal_scheduled = false;
    let local = shared.listeners.borrow().local.clone();
    if local.is_empty() {
        return;
    }
    let Ok(mut doc) = shared.doc.try_borrow_mut() else {
        // In use (not expected between tasks): try again in the next microtask.
        shared.listeners.borrow_mut().seal_scheduled = true;
        let shared = shared.clone();
        wasm_bindgen_futures::spawn_local(async move { seal_burst(&shared) });
        return;
    };
    let signed = doc.sign_latest();
    drop(doc);
    if let Some(bytes) = signed {
        let update = Uint8Array::from(bytes.as_slice());
        for (_, callback) in local.iter() {
            if let Err(error) = callback.call1(&JsValue::UNDEFINED, &update) {
                report_listener_error(error);
            }
        }
    }
}

/// The id of the root container `name` (a JS string) of `kind`.
fn root(name: &JsValue, kind: ContainerKind) -> JsResult<ContainerId> {
    Ok(ContainerId::root(&string_arg(name, "name")?, kind))
}

/// The wall clock for change timestamps (milliseconds since the Unix epoch).
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A 32-byte secret key from 64 hex characters.
fn parse_secret_key(hex: &str) -> JsResult<Identity> {
    let bytes: ActorId = hex.parse().map_err(|_| {
        BindingError::invalid("secretKey must be 64 hex characters (a 32-byte ed25519 secret key)")
    })?;
    Ok(Identity::from_secret_key(bytes.0))
}

/// The identity named by `options.secretKey`, or a fresh one.
pub(crate) fn identity_from_options(options: &JsValue) -> JsResult<Identity> {
    if options.is_undefined() || options.is_null() {
        return Ok(Identity::generate()?);
    }
    if !options.is_object() {
        return Err(BindingError::invalid(format!(
            "options must be an object, got {}",
            describe(options)
        )));
    }
    let key = Reflect::get(options, &JsValue::from_str("secretKey")).unwrap_or_default();
    if key.is_undefined() {
        return Ok(Identity::generate()?);
    }
    match key.as_string() {
        Some(hex) => parse_secret_key(&hex),
        None => Err(BindingError::invalid(format!(
            "secretKey must be a hex string, got {}",
            describe(&key)
        ))),
    }
}

/// A dagsync document: named root containers that merge concurrent edits, with a history of
/// signed, hash-linked changes. Edits join a pending transaction that `commit()` ends.
#[wasm_bindgen]
pub struct Doc {
    pub(crate) inner: SharedDoc,
}

#[wasm_bindgen]
impl Doc {
    /// A new, empty document. Its identity is the ed25519 key pair of `options.secretKey`
    /// (64 hex characters), or a fresh random one; its local changes are signed with it.
    /// Throws `DagsyncError` (`"invalid-argument"`) on a malformed key.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "DocOptions")] options: JsValue,
    ) -> Result<Doc, BindingError> {
        let identity = identity_from_options(&options)?;
        Ok(Doc::from_core(dagsync::Doc::with_identity(identity)))
    }

    /// The document's registry key (how `merge` recognises a `Doc` argument).
    #[wasm_bindgen(getter, js_name = __dagsyncDoc, skip_typescript)]
    pub fn registry_key(&self) -> f64 {
        crate::registry::exposed_key(self.inner.key)
    }

    /// Hex public key of this document's identity (the author of its local changes).
    #[wasm_bindgen(getter)]
    pub fn actor(&self) -> Result<String, BindingError> {
        with_doc(&self.inner, |doc| doc.actor().to_hex())
    }

    /// Ends the pending transaction: its edits become a change of the history (sealed: it is
    /// named by its hash from now on) and `subscribe` listeners get its patches. Returns the
    /// hex hash of the new change, or `undefined` when there was nothing to commit.
    pub fn commit(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] message: JsValue,
    ) -> Result<Option<JsString>, BindingError> {
        let message = if message.is_undefined() || message.is_null() {
            None
        } else {
            Some(string_arg(&message, "the commit message")?)
        };
        with_doc_mut(&self.inner, |doc| {
            // The hash names the change only once it is sealed.
            // Hex digits are ASCII; the string is made in JS from them (no Rust string).
            doc.commit_sealed(message.as_deref()).map(|hash| {
                let digits = hash.hex_digits();
                JsString::from(std::str::from_utf8(&digits).unwrap_or_default())
            })
        })
    }

    /// The hex hashes of the changes no other change depends on, sorted: they name this
    /// version exactly. Commits pending edits first.
    pub fn heads(&self) -> Result<Vec<String>, BindingError> {
        with_doc_mut(&self.inner, |doc| {
            doc.heads().iter().map(|hash| hash.to_hex()).collect()
        })
    }

    /// The whole document as plain JS: an object of the used root containers by name (texts
    /// as strings, lists and sets as arrays, counters as bigints, registers as their value).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Record<string, any>")]
    pub fn to_json(&self) -> Result<JsValue, BindingError> {
        with_doc(&self.inner, |doc| value_to_js(&doc.to_json()))
    }

    /// Calls `listener` with the patches of every local commit and every batch of applied
    /// remote changes, after the call that made them returns. Returns a function that removes
    /// the listener. An exception thrown by the listener is reported, not thrown to the caller.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: ChangeEvent) => void")] listener: JsValue,
    ) -> Result<Function, BindingError> {
        self.add_listener(function_arg(listener, "the listener")?, false)
    }

    /// Calls `listener` with the bytes of each local commit (for `importChanges` on another
    /// replica), after the call that committed returns. Delivering an update seals the change.
    /// Updates are not signed one by one: when the burst ends (a microtask after the JS that
    /// made the commits), one more update carries the signature of the latest change, which
    /// covers the burst. A replica that requires signatures holds the unsigned updates as
    /// pending until that one arrives. Returns a function that removes the listener.
    #[wasm_bindgen(js_name = subscribeLocalUpdates, unchecked_return_type = "() => void")]
    pub fn subscribe_local_updates(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(update: Uint8Array) => void")] listener: JsValue,
    ) -> Result<Function, BindingError> {
        self.add_listener(function_arg(listener, "the listener")?, true)
    }

    /// A compact snapshot of the whole document with its full history, for `Doc.load`.
    /// Commits pending edits first.
    pub fn save(&self) -> Result<Vec<u8>, BindingError> {
        with_doc_mut(&self.inner, dagsync::Doc::save)
    }

    /// Restores a document saved with `save()`, with a fresh identity for new changes.
    /// Throws `DagsyncError` with code `"corrupt"`, `"unsupported"`, `"bad-hash"`,
    /// `"bad-signature"` or `"not-authorized"` on bad input.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<Doc, BindingError> {
        let bytes = bytes_arg(&bytes)?;
        let identity = Identity::generate()?;
        let mut doc = dagsync::Doc::load(&bytes, identity.actor())?;
        doc.set_identity(identity)?;
        doc.set_require_signatures(true);
        Ok(Doc::from_core(doc))
    }

    /// The changes not in the history of the version `since` names (hex heads; default: all
    /// changes), as bytes for `importChanges`. Commits pending edits first. Throws
    /// `DagsyncError` (`"unknown-change"`) if a head is not in this document's history.
    #[wasm_bindgen(js_name = exportChanges)]
    pub fn export_changes(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string[]")] since: JsValue,
    ) -> Result<Vec<u8>, BindingError> {
        let heads = if since.is_undefined() || since.is_null() {
            None
        } else {
            Some(parse_heads(&since)?)
        };
        with_doc_mut(&self.inner, |doc| {
            let version = match heads {
                Some(heads) => doc.version_vector_at(&heads)?,
                None => VersionVector::new(),
            };
            Ok(doc.export_changes(&version))
        })?
    }

    /// Applies changes from `exportChanges` or `subscribeLocalUpdates` of any replica, in any
    /// order; duplicates are ignored and changes missing dependencies wait (`pending`). Nothing
    /// is applied if any byte or change is invalid: throws `DagsyncError` (`"corrupt"`,
    /// `"bad-hash"`, `"bad-signature"`, `"not-authorized"`, `"invalid-change"`, ...).
    #[wasm_bindgen(js_name = importChanges, unchecked_return_type = "ImportResult")]
    pub fn import_changes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<JsValue, BindingError> {
        let bytes = bytes_arg(&bytes)?;
        let report = with_doc_mut(&self.inner, |doc| {
            if doc.is_read_only() {
                return Err(BindingError::from(dagsync::DocError::ReadOnly));
            }
            Ok(doc.import_changes(&bytes)?)
        })??;
        let object = Object::new();
        put(
            &object,
            "applied",
            &JsValue::from_f64(report.applied as f64),
        );
        put(
            &object,
            "pending",
            &JsValue::from_f64(report.pending as f64),
        );
        Ok(object.into())
    }

    /// A copy of this document with a fresh identity (pending edits are committed first).
    /// Listeners are not copied.
    pub fn fork(&self) -> Result<Doc, BindingError> {
        let identity = Identity::generate()?;
        let forked = with_doc_mut(&self.inner, |doc| {
            let mut copy = doc.fork(identity.actor());
            copy.set_identity(identity).map(|()| copy)
        })??;
        Ok(Doc::from_core(forked))
    }

    /// Applies every change `other` has and this document lacks (pending edits of both are
    /// committed first). Throws `DagsyncError` if one of them is refused; nothing is applied
    /// then.
    /// Throws `DagsyncError` (`"invalid-argument"`) if `other` is not a `Doc`.
    pub fn merge(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Doc")] other: JsValue,
    ) -> Result<(), BindingError> {
        let other = Doc {
            inner: doc_arg(&other)?,
        };
        if Rc::ptr_eq(&self.inner, &other.inner) {
            return with_doc_mut(&self.inner, |doc| {
                doc.heads();
            });
        }
        let result = {
            let mut theirs = other.inner.doc.try_borrow_mut().map_err(|_| busy())?;
            let mut ours = self.inner.doc.try_borrow_mut().map_err(|_| busy())?;
            if ours.is_read_only() {
                return Err(dagsync::DocError::ReadOnly.into());
            }
            ours.merge(&mut theirs)
        };
        // Both borrows are released: listeners of either document may use both.
        flush(&self.inner)?;
        // Sealing `other` may have committed its pending edits.
        flush(&other.inner)?;
        notify_changed(&self.inner);
        notify_changed(&other.inner);
        result.map(drop).map_err(BindingError::from)
    }
}

impl Doc {
    /// A new JS object of this same document (for Rust callers of the `JsValue`-taking
    /// methods, such as `merge`).
    pub fn to_js(&self) -> JsValue {
        Doc {
            inner: self.shared(),
        }
        .into()
    }

    /// A `Doc` owning a core document.
    pub(crate) fn from_core(doc: dagsync::Doc) -> Doc {
        Doc::from_cell(Rc::new(RefCell::new(doc)), None)
    }

    /// A `Doc` sharing a document with a repo: `changed` is called after calls that add
    /// changes to it.
    pub(crate) fn from_cell(cell: DocCell, changed: Option<Rc<dyn Fn()>>) -> Doc {
        if let Ok(mut doc) = cell.try_borrow_mut() {
            doc.set_time_source(now_ms);
        }
        Doc {
            inner: DOCS.with(|r| {
                r.create(|key| Shared {
                    key,
                    doc: cell,
                    listeners: RefCell::new(Listeners::default()),
                    queue: Rc::new(RefCell::new(Vec::new())),
                    changed: RefCell::new(changed),
                    roots: RefCell::new(Vec::new()),
                    last_root: RefCell::new(None),
                })
            }),
        }
    }

    /// The cached JS handle of root `name` of `kind`, made with `make` the first time.
    fn root_handle(
        &self,
        name: &JsValue,
        kind: ContainerKind,
        make: impl FnOnce(SharedDoc, ContainerId) -> JsValue,
    ) -> JsResult<JsValue> {
        if let Some((k, n, handle)) = self.inner.last_root.borrow().as_ref() {
            if *k == kind && n == name {
                return Ok(handle.clone());
            }
        }
        let js_name = name.clone();
        let name = string_arg(name, "name")?;
        let cached = self
            .inner
            .roots
            .borrow()
            .iter()
            .find(|(k, n, _)| *k == kind && *n == name)
            .map(|(_, _, handle)| handle.clone());
        let handle = match cached {
            Some(handle) => handle,
            None => {
                let handle = make(self.shared(), ContainerId::root(&name, kind));
                let mut roots = self.inner.roots.borrow_mut();
                // A document with many roots keeps the first ones only: the rest are made
                // per call.
                roots.retain(|(k, n, _)| !(*k == kind && *n == name));
                if roots.len() < 64 {
                    roots.push((kind, name, handle.clone()));
                }
                handle
            }
        };
        *self.inner.last_root.borrow_mut() = Some((kind, js_name, handle.clone()));
        Ok(handle)
    }

    /// The shared state, for a new handle.
    pub(crate) fn shared(&self) -> SharedDoc {
        Rc::clone(&self.inner)
    }

    fn add_listener(&self, listener: Function, local: bool) -> JsResult<Function> {
        let shared = &self.inner;
        let mut doc = shared.doc.try_borrow_mut().map_err(|_| busy())?;
        let mut listeners = shared.listeners.borrow_mut();
        if !local && listeners.core_subscription.is_none() {
            let queue = Rc::clone(&shared.queue);
            let id = doc.subscribe(move |event| queue.borrow_mut().push(event.clone()));
            listeners.core_subscription = Some(id);
        }
        if local && listeners.local.is_empty() {
            // Earlier changes count as delivered: seal them so later commits start new ones.
            doc.heads();
            listeners.local_sent = doc.version().get(&doc.actor());
        }
        let id = listeners.next_id;
        listeners.next_id += 1;
        if local {
            Rc::make_mut(&mut listeners.local).push((id, listener));
        } else {
            Rc::make_mut(&mut listeners.changes).push((id, listener));
        }
        drop(listeners);
        drop(doc);
        // Sealing above may have committed pending edits: that event predates the listener.
        shared.queue.borrow_mut().clear();
        let weak = Rc::downgrade(shared);
        let unsubscribe = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = weak.upgrade() {
                remove_listener(&shared, id);
            }
        });
        Ok(unsubscribe.into_js_value().unchecked_into())
    }
}

/// Removes listener `id`; drops the core subscription when no listener is left.
fn remove_listener(shared: &Shared, id: u32) {
    let mut listeners = shared.listeners.borrow_mut();
    Rc::make_mut(&mut listeners.changes).retain(|(i, _)| *i != id);
    Rc::make_mut(&mut listeners.local).retain(|(i, _)| *i != id);
    if listeners.changes.is_empty() {
        if let Some(subscription) = listeners.core_subscription {
            // Unsubscribing while the document is busy keeps the (harmless) core subscription.
            if let Ok(mut doc) = shared.doc.try_borrow_mut() {
                doc.unsubscribe(subscription);
                listeners.core_subscription = None;
                shared.queue.borrow_mut().clear();
            }
        }
    }
}

/// The root-container getters of `Doc`: for JS, `get<Kind>(name)` handing out one cached
/// handle object per root; for Rust (the binding's tests), `get_<kind>(name)` making a handle.
macro_rules! root_getters {
    ($(($kind:ident, $js:ident, $js_name:literal, $ts:literal, $rust:ident, $handle:ident, $doc:literal)),* $(,)?) => {
        #[wasm_bindgen]
        impl Doc {
            $(
                #[doc = $doc]
                #[wasm_bindgen(js_name = $js_name, unchecked_return_type = $ts)]
                pub fn $js(
                    &self,
                    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
                ) -> Result<JsValue, BindingError> {
                    self.root_handle(&name, ContainerKind::$kind, |shared, id| {
                        $handle::new(shared, id).into()
                    })
                }
            )*
        }

        impl Doc {
            $(
                #[doc = concat!("[`Doc::", stringify!($js), "`] as a Rust handle.")]
                pub fn $rust(&self, name: JsValue) -> Result<$handle, BindingError> {
                    Ok($handle::new(self.shared(), root(&name, ContainerKind::$kind)?))
                }
            )*
        }
    };
}

root_getters!(
    (
        Text,
        get_text_js,
        "getText",
        "TextHandle",
        get_text,
        TextHandle,
        "The root text `name`, created on first use (the same object on every call)."
    ),
    (
        List,
        get_list_js,
        "getList",
        "ListHandle",
        get_list,
        ListHandle,
        "The root list `name`, created on first use (the same object on every call)."
    ),
    (
        Map,
        get_map_js,
        "getMap",
        "MapHandle",
        get_map,
        MapHandle,
        "The root map `name`, created on first use (the same object on every call)."
    ),
    (
        Counter,
        get_counter_js,
        "getCounter",
        "CounterHandle",
        get_counter,
        CounterHandle,
        "The root counter `name`, created on first use (the same object on every call)."
    ),
    (
        Set,
        get_set_js,
        "getSet",
        "SetHandle",
        get_set,
        SetHandle,
        "The root set `name`, created on first use (the same object on every call)."
    ),
    (
        Register,
        get_register_js,
        "getRegister",
        "RegisterHandle",
        get_register,
        RegisterHandle,
        "The root register `name`, created on first use (the same object on every call)."
    ),
);

impl Drop for Doc {
    /// Cuts the cycle between the document and the root handles it cached (each holds the
    /// document): the handles still in use keep working, the others can be collected.
    fn drop(&mut self) {
        if let Ok(mut roots) = self.inner.roots.try_borrow_mut() {
            roots.clear();
        }
        if let Ok(mut last) = self.inner.last_root.try_borrow_mut() {
            last.take();
        }
    }
}

//! `Collection`: records (objects with stable ids) in a document of a `Repo`, with Mongo-like
//! queries, secondary indexes and live queries (`repo.collection(name)`), and
//! `repo.share(...)`, which says which networks a document or collection travels over.
//!
//! A collection is the root map `name` of the document whose id every replica derives from
//! the name (`DocId::named("collection", name)`), so two repos calling `collection("todos")`
//! sync the same records. An index declared with `ensureIndex` is document state (a root set
//! of the collection's document): it is stored in IndexedDB with the records, syncs to every
//! replica, and is built from the records whenever the collection opens.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::{Rc, Weak};

use dagsync::query::{Collection as CoreCollection, CollectionError, Path, Query, WatchId};
use dagsync::repo::{DocCell, DocId};
use dagsync::{Event, Value};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::doc::{with_doc_mut, SharedDoc};
use crate::error::{report_listener_error, BindingError, ErrorCode, JsResult};
use crate::events::put;
use crate::network;
use crate::repo::{
    after_core, collect_garbage, handle_of, promise, ready, with_core, Repo, RepoInner,
};
use crate::values::{describe, function_arg, js_to_value, string_arg, value_to_js};

#[wasm_bindgen(typescript_custom_section)]
const COLLECTION_TYPES: &'static str = r#"
/** A record of a collection: an object of fields. */
export type CollectionRecord = { [field: string]: Value };

/** A record with its id, as queries return it. */
export interface RecordEntry {
  id: string;
  record: CollectionRecord;
}

/** A condition on one field: a plain value means equality. Ranges compare values of the same
 * kind only (null < booleans < numbers < strings < bytes < arrays < objects). */
export type FieldCondition =
  | Value
  | {
      $eq?: Value; $ne?: Value;
      $gt?: Value; $gte?: Value; $lt?: Value; $lte?: Value;
      $in?: Value[]; $nin?: Value[];
      $exists?: boolean;
      /** The field is a string starting with this. */
      $prefix?: string;
    };

/** Which records: dot-separated field paths (`"owner.name"`) to conditions, all of which
 * must hold; `$and` / `$or` combine filters. */
export type QueryFilter = {
  $and?: QueryFilter[];
  $or?: QueryFilter[];
  [path: string]: FieldCondition | QueryFilter[] | undefined;
};

/** A query (a Mongo-like subset): `{ where: { done: false, priority: { $gte: 2 } },
 * sort: ["-priority", "title"], limit: 10, offset: 0 }`. Everything is optional; records
 * without a sort field come first, ties go by id. */
export interface Query {
  where?: QueryFilter;
  /** Field paths, `-` in front for descending. */
  sort?: string[];
  limit?: number;
  offset?: number;
}

/** How a query is answered (`collection.explain`). */
export interface QueryPlan {
  /** The indexed field used, or `null` for a scan of every record. */
  index: string | null;
  /** What the index is asked. */
  access: "eq" | "in" | "range" | "prefix" | "scan";
}

export interface Repo {
  /** The collection `name` (created on first use; the same records on every repo that
   * opens this name and syncs with this one). */
  collection(name: string): Promise<Collection>;
  /** Shares a document (its id, a `DocHandle` or a `Collection`) over `networks` only:
   * its changes, announcements and presence go to peers of those networks and nothing it
   * receives from others is taken. Documents never shared this way go over every network.
   * Throws `DagsyncError` (`"invalid-argument"`) for a network the repo does not use. */
  share(target: string | DocHandle | Collection, networks: RepoNetwork[]): void;
  /** Frees now what the repo's timer frees every minute: the values of deleted records of
   * open collections that every known peer (connected, or with a stored sync state) has seen
   * deleted. Returns how many containers and values were freed. */
  collectGarbage(): { containers: number; values: number };
}
"#;

/// What listeners of a collection's live queries need, shared with the repo (which pumps
/// remote changes into it).
pub(crate) struct CollectionState {
    name: String,
    doc: DocCell,
    shared: SharedDoc,
    core: RefCell<CoreCollection>,
    /// The document's events not yet applied.
    queue: Rc<RefCell<Vec<Event>>>,
    subscription: u64,
    listeners: RefCell<BTreeMap<WatchId, Function>>,
}

impl Drop for CollectionState {
    fn drop(&mut self) {
        if let Ok(mut doc) = self.doc.try_borrow_mut() {
            doc.unsubscribe(self.subscription);
        }
    }
}

impl CollectionState {
    /// Applies the document's new events (remote changes above all) and calls the listeners
    /// of live queries whose results changed.
    pub(crate) fn pump(&self) -> JsResult<()> {
        let events: Vec<Event> = std::mem::take(&mut *self.queue.borrow_mut());
        let calls = {
            let mut doc = self.doc.try_borrow_mut().map_err(|_| busy())?;
            let mut core = self.core.try_borrow_mut().map_err(|_| busy())?;
            for event in &events {
                core.apply_event(&mut doc, event);
            }
            let listeners = self.listeners.borrow();
            core.take_updates()
                .into_iter()
                .filter_map(|update| {
                    let listener = listeners.get(&update.watch)?.clone();
                    Some((
                        listener,
                        entries(&core, update.ids.iter().map(String::as_str)),
                    ))
                })
                .collect::<Vec<_>>()
        };
        for (listener, results) in calls {
            if let Err(error) = listener.call1(&JsValue::UNDEFINED, &results) {
                report_listener_error(error);
            }
        }
        Ok(())
    }

    /// Runs a collection call on the document, commits it (so the repo stores and syncs it),
    /// then tells live queries.
    fn edit<T>(
        &self,
        f: impl FnOnce(&mut CoreCollection, &mut dagsync::Doc) -> Result<T, CollectionError>,
    ) -> JsResult<T> {
        let result = with_doc_mut(&self.shared, |doc| {
            let mut core = self.core.try_borrow_mut().map_err(|_| busy())?;
            let result = f(&mut core, doc).map_err(collection_error)?;
            doc.commit(None);
            Ok::<T, BindingError>(result)
        })??;
        self.pump()?;
        Ok(result)
    }
}

fn busy() -> BindingError {
    BindingError::new(
        ErrorCode::Busy,
        "the collection is in use by a call that has not returned",
    )
}

fn collection_error(err: CollectionError) -> BindingError {
    match err {
        CollectionError::Doc(e) => e.into(),
        CollectionError::NoRandomness => {
            BindingError::new(ErrorCode::NoRandomness, err.to_string())
        }
        CollectionError::NoSuchRecord(_) => {
            BindingError::new(ErrorCode::OutOfRange, err.to_string())
        }
        other => BindingError::invalid(other.to_string()),
    }
}

/// `RecordEntry[]` of records `ids`.
fn entries<'a>(core: &CoreCollection, ids: impl Iterator<Item = &'a str>) -> Array {
    ids.filter_map(|id| {
        let record = core.get(id)?;
        let object = Object::new();
        put(&object, "id", &JsValue::from_str(id));
        put(&object, "record", &value_to_js(record));
        Some(JsValue::from(object))
    })
    .collect()
}

/// The query of a JS `Query` (`undefined`: every record); an `invalid-query` error saying
/// where it is wrong.
fn query_arg(query: &JsValue) -> JsResult<Query> {
    let value = if query.is_undefined() || query.is_null() {
        Value::Object(BTreeMap::from([(
            "where".to_owned(),
            Value::Object(BTreeMap::new()),
        )]))
    } else {
        js_to_value(query).map_err(|e| BindingError::new(ErrorCode::InvalidQuery, e.message))?
    };
    let value = match value {
        // Everything is optional: no `where` means every record.
        Value::Object(mut parts) => {
            parts
                .entry("where".to_owned())
                .or_insert_with(|| Value::Object(BTreeMap::new()));
            Value::Object(parts)
        }
        other => other,
    };
    Query::parse(&value).map_err(|e| BindingError::new(ErrorCode::InvalidQuery, e.to_string()))
}

/// A record id argument.
fn id_arg(id: &JsValue) -> JsResult<String> {
    string_arg(id, "the record id")
}

/// A collection of records in a repo: see `repo.collection(name)`.
#[wasm_bindgen]
pub struct Collection {
    id: DocId,
    state: Rc<CollectionState>,
}

#[wasm_bindgen]
impl Collection {
    /// The collection's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.state.name.clone()
    }

    /// The id of the document holding the records (the same on every repo).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.to_string()
    }

    /// The number of records.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<f64, BindingError> {
        let core = self.state.core.try_borrow().map_err(|_| busy())?;
        Ok(core.len() as f64)
    }

    /// Inserts `record` (an object of plain values) under a new random id, which it returns.
    /// Stored and synced like any edit. Throws `DagsyncError` (`"invalid-argument"`) for
    /// what is not an object of plain values.
    pub fn insert(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CollectionRecord")] record: JsValue,
    ) -> Result<String, BindingError> {
        let record = js_to_value(&record)?;
        self.state.edit(|core, doc| core.insert(doc, &record))
    }

    /// The record `id`, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "CollectionRecord | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, BindingError> {
        let id = id_arg(&id)?;
        let core = self.state.core.try_borrow().map_err(|_| busy())?;
        Ok(core.get(&id).map_or(JsValue::UNDEFINED, value_to_js))
    }

    /// Sets the fields of `patch` in record `id`; other fields stay, and concurrent updates
    /// of other fields (here or on peers) both survive. Throws `DagsyncError`
    /// (`"out-of-range"`) if there is no record `id`.
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CollectionRecord")] patch: JsValue,
    ) -> Result<(), BindingError> {
        let id = id_arg(&id)?;
        let patch = js_to_value(&patch)?;
        self.state.edit(|core, doc| core.update(doc, &id, &patch))
    }

    /// Deletes record `id` (a tombstone in the history; the repo frees the record's values
    /// once every known peer has seen the delete). Throws `DagsyncError` (`"out-of-range"`)
    /// if there is no record `id`.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<(), BindingError> {
        let id = id_arg(&id)?;
        self.state.edit(|core, doc| core.delete(doc, &id))
    }

    /// The records matching `query` (default: all), in its order. Throws `DagsyncError`
    /// (`"invalid-query"`, the message saying where) for a query that does not parse.
    #[wasm_bindgen(unchecked_return_type = "RecordEntry[]")]
    pub fn find(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Query")] query: JsValue,
    ) -> Result<Array, BindingError> {
        let query = query_arg(&query)?;
        let core = self.state.core.try_borrow().map_err(|_| busy())?;
        let found = core.find(&query);
        Ok(entries(&core, found.iter().map(|(id, _)| *id)))
    }

    /// A live query: calls `listener` with the results of `query` now, then after every
    /// change (local, from peers or from other tabs) that changes them — other records,
    /// another order, or new contents of a record among them. Maintained incrementally.
    /// Returns a function that stops it.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(results: RecordEntry[]) => void")]
        listener: JsValue,
    ) -> Result<Function, BindingError> {
        let query = query_arg(&query)?;
        let listener = function_arg(listener, "the listener")?;
        let state = &self.state;
        let (watch, initial) = {
            let mut core = state.core.try_borrow_mut().map_err(|_| busy())?;
            let (watch, ids) = core.watch(query);
            (watch, entries(&core, ids.iter().map(String::as_str)))
        };
        state.listeners.borrow_mut().insert(watch, listener.clone());
        let weak: Weak<CollectionState> = Rc::downgrade(state);
        let stop = Closure::<dyn FnMut()>::new(move || {
            if let Some(state) = weak.upgrade() {
                state.listeners.borrow_mut().remove(&watch);
                if let Ok(mut core) = state.core.try_borrow_mut() {
                    core.unwatch(watch);
                }
            }
        });
        if let Err(error) = listener.call1(&JsValue::UNDEFINED, &initial) {
            report_listener_error(error);
        }
        Ok(stop.into_js_value().unchecked_into())
    }

    /// How `find(query)` is answered: which index, if any. Throws like `find`.
    #[wasm_bindgen(unchecked_return_type = "QueryPlan")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Result<JsValue, BindingError> {
        let query = query_arg(&query)?;
        let core = self.state.core.try_borrow().map_err(|_| busy())?;
        let plan = core.explain(&query);
        let object = Object::new();
        put(
            &object,
            "index",
            &plan.index.map_or(JsValue::NULL, |i| JsValue::from_str(&i)),
        );
        put(&object, "access", &JsValue::from_str(plan.access));
        Ok(object.into())
    }

    /// Indexes field `path` (dot-separated) for `find`, `subscribe` and `explain`, built
    /// from the records now and maintained on every change. The declaration is stored with
    /// the collection's document (and syncs to other replicas): after a reload the index is
    /// rebuilt from the records when `repo.collection(name)` opens (over 100k records: ~35 ms),
    /// so declaring it again is not needed. Idempotent. Throws `DagsyncError`
    /// (`"invalid-query"`) for a malformed path.
    #[wasm_bindgen(js_name = ensureIndex)]
    pub fn ensure_index(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<(), BindingError> {
        let path = string_arg(&path, "the index path")?;
        let path = Path::parse(&path)
            .map_err(|e| BindingError::new(ErrorCode::InvalidQuery, e.to_string()))?;
        let declared = {
            let core = self.state.core.try_borrow().map_err(|_| busy())?;
            core.indexes().contains(&path)
        };
        if declared {
            return Ok(());
        }
        self.state.edit(|core, doc| core.add_index(doc, path))
    }
}

/// Opens (or returns the open) collection `name` of the repo.
async fn open_collection(inner: Rc<RepoInner>, name: String) -> JsResult<JsValue> {
    ready(&inner).await?;
    let id = DocId::named("collection", &name);
    if let Some((_, object)) = inner.collections.borrow().get(&id) {
        return Ok(object.clone());
    }
    with_core(&inner, |core| core.create_with_id(id))??;
    after_core(&inner);
    handle_of(&inner, id)?;
    let shared = inner
        .shared_doc(&id)
        .ok_or_else(|| BindingError::invalid(format!("no document {id}")))?;
    let doc = with_core(&inner, |core| core.doc_cell(&id))?
        .ok_or_else(|| BindingError::invalid(format!("no document {id}")))?;
    let queue: Rc<RefCell<Vec<Event>>> = Rc::new(RefCell::new(Vec::new()));
    let (core, subscription) = {
        let mut d = doc.try_borrow_mut().map_err(|_| busy())?;
        let core = CoreCollection::open(&mut d, &name);
        let sink = Rc::clone(&queue);
        let subscription = d.subscribe(move |event| sink.borrow_mut().push(event.clone()));
        (core, subscription)
    };
    let state = Rc::new(CollectionState {
        name,
        doc,
        shared,
        core: RefCell::new(core),
        queue,
        subscription,
        listeners: RefCell::new(BTreeMap::new()),
    });
    let object: JsValue = Collection {
        id,
        state: Rc::clone(&state),
    }
    .into();
    inner
        .collections
        .borrow_mut()
        .insert(id, (state, object.clone()));
    Ok(object)
}

/// The document a `share` target names: a document id, or an object with an `id` (a
/// `DocHandle` or a `Collection`).
fn target_doc(target: &JsValue) -> JsResult<DocId> {
    let id = if target.is_object() {
        Reflect::get(target, &JsValue::from_str("id")).unwrap_or_default()
    } else {
        target.clone()
    };
    id.as_string()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| {
            BindingError::invalid(format!(
                "expected a document id, a DocHandle or a Collection, got {}",
                describe(target)
            ))
        })
}

#[wasm_bindgen]
impl Repo {
    /// See the `Repo` interface declaration.
    #[wasm_bindgen(skip_typescript)]
    pub fn collection(&self, name: JsValue) -> Promise {
        let inner = Rc::clone(&self.inner);
        let name = string_arg(&name, "the collection name");
        promise(async move { open_collection(inner, name?).await })
    }

    /// See the `Repo` interface declaration.
    #[wasm_bindgen(skip_typescript, js_name = collectGarbage)]
    pub fn collect_garbage(&self) -> JsValue {
        let (containers, values) = collect_garbage(&self.inner);
        let object = Object::new();
        put(&object, "containers", &JsValue::from_f64(containers as f64));
        put(&object, "values", &JsValue::from_f64(values as f64));
        object.into()
    }

    /// See the `Repo` interface declaration.
    #[wasm_bindgen(skip_typescript)]
    pub fn share(&self, target: JsValue, networks: JsValue) -> Result<(), BindingError> {
        let id = target_doc(&target)?;
        let array: &Array = networks.dyn_ref().ok_or_else(|| {
            BindingError::invalid(format!(
                "networks must be an array of the repo's networks, got {}",
                describe(&networks)
            ))
        })?;
        let mut indexes = BTreeSet::new();
        for value in array.iter() {
            let wanted = network::from_js(&value)?;
            let index = self
                .inner
                .network_index(&wanted)
                .ok_or_else(|| BindingError::invalid("a network this repo does not use"))?;
            indexes.insert(index);
        }
        self.inner.share(id, indexes)
    }
}

//! Collections: records stored in a document and queried through a [`RecordSet`], with live
//! queries. A collection is a root map of the document: each key a record id, each value a
//! map of the record's fields — so concurrent updates of different fields both survive, and
//! collections sync like any document. Sans-IO: feed the document's events to
//! [`Collection::apply_event`] (local edits made through the collection update it at once),
//! then take what changed for the live queries with [`Collection::take_updates`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::doc::{ContainerKind, Doc, Event, Item, PatchAction, PathElem};
use crate::error::DocError;
use crate::value::Value;

use super::key::Key;
use super::records::{Plan, RecordSet};
use super::{Path, Query};

/// Why a collection call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CollectionError {
    /// A record is an object of fields.
    #[error("a record is an object")]
    NotAnObject,
    /// No record with this id.
    #[error("no record {0}")]
    NoSuchRecord(String),
    /// A record with this id exists already.
    #[error("record {0} exists already")]
    Exists(String),
    /// The document refused the edit.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// No secure random source for a new id.
    #[error("no secure random source for a record id")]
    NoRandomness,
}

/// A live query's handle.
pub type WatchId = u64;

/// A live query whose results changed — other records, another order, or new contents of a
/// record among them: its results now (ids, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchUpdate {
    /// The live query.
    pub watch: WatchId,
    /// Its results now.
    pub ids: Vec<String>,
}

/// One matching record in a live query's order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ranked {
    parts: Vec<(Option<Key>, bool)>,
    id: String,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        for ((a, desc), (b, _)) in self.parts.iter().zip(&other.parts) {
            let o = a.cmp(b);
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.id.cmp(&other.id)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Watch {
    query: Query,
    /// Every matching record, in order (offset and limit apply when reading).
    matching: BTreeSet<Ranked>,
    /// Each matching record's entry, by id.
    by_id: BTreeMap<String, Ranked>,
    /// The results last reported.
    reported: Vec<String>,
    /// Records re-filed since then that matched before or match now.
    touched: BTreeSet<String>,
}

impl Watch {
    fn rank(&self, id: &str, record: &Value) -> Ranked {
        Ranked {
            parts: self
                .query
                .sort
                .iter()
                .map(|k| (k.path.get(record).cloned().map(Key), k.descending))
                .collect(),
            id: id.to_owned(),
        }
    }

    /// Re-files record `id` (now `record`, or gone).
    fn update(&mut self, id: &str, record: Option<&Value>) {
        let mut touched = false;
        if let Some(old) = self.by_id.remove(id) {
            self.matching.remove(&old);
            touched = true;
        }
        if let Some(record) = record.filter(|r| self.query.filter.matches(r)) {
            let ranked = self.rank(id, record);
            self.matching.insert(ranked.clone());
            self.by_id.insert(id.to_owned(), ranked);
            touched = true;
        }
        if touched {
            self.touched.insert(id.to_owned());
        }
    }

    fn results(&self) -> Vec<String> {
        self.matching
            .iter()
            .skip(self.query.offset)
            .take(self.query.limit.unwrap_or(usize::MAX))
            .map(|r| r.id.clone())
            .collect()
    }
}

/// A collection of records in a document (see the module documentation).
pub struct Collection {
    name: String,
    records: RecordSet,
    watches: BTreeMap<WatchId, Watch>,
    next_watch: WatchId,
}

impl Collection {
    /// The collection stored in root map `name` of `doc`, with its records loaded and the
    /// indexes declared in the document built.
    pub fn open(doc: &mut Doc, name: &str) -> Collection {
        let mut collection = Collection {
            name: name.to_owned(),
            records: RecordSet::new(),
            watches: BTreeMap::new(),
            next_watch: 1,
        };
        let ids = doc.get_map(name).keys();
        for id in ids {
            collection.refresh(doc, &id);
        }
        collection.build_declared_indexes(doc);
        collection
    }

    /// The root set of `doc` holding the fields collection `name` is indexed on: declared
    /// indexes are document state, so they persist with the document and sync to every
    /// replica; their contents are built from the records when the collection opens.
    pub fn index_set_name(name: &str) -> String {
        format!("{name}/$indexes")
    }

    /// Builds every index declared in the document that is not built yet.
    fn build_declared_indexes(&mut self, doc: &mut Doc) {
        let declared = doc.get_set(&Self::index_set_name(&self.name)).values();
        for value in declared {
            if let Some(path) = value.as_str().and_then(|s| Path::parse(s).ok()) {
                if !self.records.indexes().contains(&path) {
                    self.records.add_index(path);
                }
            }
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Indexes field `path` (maintained from then on), and declares the index in the document
    /// (see [`Collection::index_set_name`]) unless it is declared already; the caller commits.
    /// A replica that may not write the document still gets the index, in memory.
    pub fn add_index(&mut self, doc: &mut Doc, path: Path) -> Result<(), CollectionError> {
        let declared = Value::from(path.to_string());
        let mut set = doc.get_set(&Self::index_set_name(&self.name));
        let result = if set.has(&declared) {
            Ok(())
        } else {
            set.add(declared)
        };
        if !self.records.indexes().contains(&path) {
            self.records.add_index(path);
        }
        match result {
            Err(DocError::NotAuthorized | DocError::ReadOnly) => Ok(()),
            other => other.map_err(CollectionError::from),
        }
    }

    /// The indexed fields.
    pub fn indexes(&self) -> Vec<Path> {
        self.records.indexes()
    }

    /// Inserts `record` (an object) under a new random id, which it returns.
    pub fn insert(&mut self, doc: &mut Doc, record: &Value) -> Result<String, CollectionError> {
        let mut raw = [0u8; 16];
        getrandom::getrandom(&mut raw).map_err(|_| CollectionError::NoRandomness)?;
        let id = crate::hex::encode(&raw);
        self.insert_with_id(doc, &id, record)?;
        Ok(id)
    }

    /// Inserts `record` under `id`.
    pub fn insert_with_id(
        &mut self,
        doc: &mut Doc,
        id: &str,
        record: &Value,
    ) -> Result<(), CollectionError> {
        let Value::Object(fields) = record else {
            return Err(CollectionError::NotAnObject);
        };
        if self.records.get(id).is_some() {
            return Err(CollectionError::Exists(id.to_owned()));
        }
        let map = doc
            .get_map(&self.name)
            .set_container(id, ContainerKind::Map)?;
        let mut fields_map = doc.map(&map)?;
        for (field, value) in fields {
            fields_map.set(field, value.clone())?;
        }
        self.refresh(doc, id);
        Ok(())
    }

    /// The record `id`.
    pub fn get(&self, id: &str) -> Option<&Value> {
        self.records.get(id)
    }

    /// Sets the fields of `patch` (an object) in record `id`; other fields stay, and
    /// concurrent updates of other fields survive.
    pub fn update(
        &mut self,
        doc: &mut Doc,
        id: &str,
        patch: &Value,
    ) -> Result<(), CollectionError> {
        let Value::Object(fields) = patch else {
            return Err(CollectionError::NotAnObject);
        };
        let map = match doc.get_map(&self.name).get(id) {
            Some(Item::Container(map)) => map,
            _ => return Err(CollectionError::NoSuchRecord(id.to_owned())),
        };
        let mut fields_map = doc.map(&map)?;
        for (field, value) in fields {
            fields_map.set(field, value.clone())?;
        }
        self.refresh(doc, id);
        Ok(())
    }

    /// Deletes record `id`.
    pub fn delete(&mut self, doc: &mut Doc, id: &str) -> Result<(), CollectionError> {
        if self.records.get(id).is_none() {
            return Err(CollectionError::NoSuchRecord(id.to_owned()));
        }
        doc.get_map(&self.name).delete(id)?;
        self.refresh(doc, id);
        Ok(())
    }

    /// The records matching `query`, in its order.
    pub fn find(&self, query: &Query) -> Vec<(&str, &Value)> {
        self.records.find(query)
    }

    /// How [`Collection::find`] answers `query`.
    pub fn explain(&self, query: &Query) -> Plan {
        self.records.explain(query)
    }

    /// Starts a live query; returns its handle and current results.
    pub fn watch(&mut self, query: Query) -> (WatchId, Vec<String>) {
        let mut watch = Watch {
            query,
            matching: BTreeSet::new(),
            by_id: BTreeMap::new(),
            reported: Vec::new(),
            touched: BTreeSet::new(),
        };
        for (id, record) in self.records.find(&Query {
            filter: watch.query.filter.clone(),
            sort: Vec::new(),
            limit: None,
            offset: 0,
        }) {
            let ranked = watch.rank(id, record);
            watch.matching.insert(ranked.clone());
            watch.by_id.insert(id.to_owned(), ranked);
        }
        watch.reported = watch.results();
        let id = self.next_watch;
        self.next_watch += 1;
        let results = watch.reported.clone();
        self.watches.insert(id, watch);
        (id, results)
    }

    /// Stops a live query.
    pub fn unwatch(&mut self, watch: WatchId) -> bool {
        self.watches.remove(&watch).is_some()
    }

    /// Brings the records a document event touched up to date (feed it every event of the
    /// document, remote ones above all).
    pub fn apply_event(&mut self, doc: &mut Doc, event: &Event) {
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let indexes = Self::index_set_name(&self.name);
        for patch in &event.patches {
            match patch.path.as_slice() {
                // Another replica declared an index.
                [PathElem::Root(root)] if *root == indexes => self.build_declared_indexes(doc),
                [PathElem::Root(root)] if *root == self.name => match &patch.action {
                    PatchAction::MapPut { key, .. } | PatchAction::MapDelete { key, .. } => {
                        touched.insert(key.clone());
                    }
                    _ => {}
                },
                [PathElem::Root(root), PathElem::Key(id), ..] if *root == self.name => {
                    touched.insert(id.clone());
                }
                _ => {}
            }
        }
        for id in touched {
            self.refresh(doc, &id);
        }
    }

    /// The live queries whose results changed since last asked (ids, order, or the contents
    /// of a record among them), with their results.
    pub fn take_updates(&mut self) -> Vec<WatchUpdate> {
        let mut out = Vec::new();
        for (id, watch) in &mut self.watches {
            let now = watch.results();
            let touched = std::mem::take(&mut watch.touched);
            if now != watch.reported || now.iter().any(|id| touched.contains(id)) {
                watch.reported = now.clone();
                out.push(WatchUpdate {
                    watch: *id,
                    ids: now,
                });
            }
        }
        out
    }

    /// Re-reads record `id` from the document into the record set and the live queries.
    fn refresh(&mut self, doc: &mut Doc, id: &str) {
        let record = match doc.get_map(&self.name).get(id) {
            Some(Item::Container(map)) => doc.map(&map).ok().map(|m| m.to_json()),
            _ => None,
        };
        if self.records.get(id) == record.as_ref() {
            // Unchanged (an event of an edit made through the collection, seen again).
            return;
        }
        for watch in self.watches.values_mut() {
            watch.update(id, record.as_ref());
        }
        // Moved, not cloned, into the record set.
        match record {
            Some(r) => self.records.upsert(id, r),
            None => {
                self.records.remove(id);
            }
        }
    }
}

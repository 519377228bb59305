//! What the storage holds in memory: every row it knows (loaded, written, or written by another
//! tab), what is queued for the next flush, and the bookkeeping that makes a failed flush
//! retryable. Pure Rust, no IndexedDB: the browser side takes [`Batch`]es out and reports how
//! they went.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use dagsync::repo::{DocId, PeerId};

use crate::row::{self, RowKey, RowKind};

/// Where a known row stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Waiting for the next flush (may still grow, if it is the document's open chunk row).
    Queued,
    /// Part of the flush under way.
    InFlight,
    /// Committed to IndexedDB.
    Stored,
}

#[derive(Debug)]
struct Row {
    chunks: Vec<Vec<u8>>,
    status: Status,
}

/// The rows of one document.
#[derive(Debug, Default)]
struct DocRows {
    rows: BTreeMap<RowKey, Row>,
    /// The queued chunk row new appends go to.
    open: Option<RowKey>,
}

/// Writes taken out for one flush: one readwrite transaction.
#[derive(Debug, Default)]
pub struct Batch {
    /// Rows to put: key and encoded bytes (snapshots first).
    pub puts: Vec<(RowKey, Vec<u8>)>,
    /// Rows to delete (replaced by a snapshot of this batch or of an earlier one).
    pub deletes: Vec<RowKey>,
    /// Sync states to put.
    pub sync_states: Vec<(DocId, PeerId, Vec<u8>)>,
    /// Metadata to put (schema version, identities).
    pub meta: Vec<(String, Vec<u8>)>,
    /// Writes up to this count are durable once the batch commits.
    pub through: u64,
}

impl Batch {
    /// Whether the batch replaces rows (a compaction).
    pub fn compacts(&self) -> bool {
        !self.deletes.is_empty() || self.puts.iter().any(|(k, _)| k.kind == RowKind::Snapshot)
    }
}

/// The in-memory side of an IndexedDB storage.
#[derive(Debug)]
pub struct State {
    /// This writer's unique prefix of row ids.
    writer: String,
    next_row: u64,
    docs: BTreeMap<DocId, DocRows>,
    /// Every row key this writer knows or knew and has not seen deleted (rows another tab
    /// announces are read only if unseen).
    seen: HashSet<RowKey>,
    deletes: BTreeSet<RowKey>,
    sync_states: BTreeMap<(DocId, PeerId), Vec<u8>>,
    sync_dirty: BTreeSet<(DocId, PeerId)>,
    meta_dirty: BTreeMap<String, Vec<u8>>,
    /// Writes queued so far (each call that changes storage counts one).
    queued: u64,
    /// Writes up to this count are committed.
    durable: u64,
    /// Chunks other tabs wrote, not yet handed to the repo.
    incoming: Vec<(DocId, Vec<u8>)>,
}

impl State {
    /// Empty state of the writer `writer` (unique among every tab that ever writes the
    /// database, such as a random id).
    pub fn new(writer: String) -> State {
        State {
            writer,
            next_row: 0,
            docs: BTreeMap::new(),
            seen: HashSet::new(),
            deletes: BTreeSet::new(),
            sync_states: BTreeMap::new(),
            sync_dirty: BTreeSet::new(),
            meta_dirty: BTreeMap::new(),
            queued: 0,
            durable: 0,
            incoming: Vec::new(),
        }
    }

    /// A row read from IndexedDB (when opening): known and stored.
    pub fn load_row(&mut self, key: RowKey, chunks: Vec<Vec<u8>>) {
        self.seen.insert(key.clone());
        let rows = &mut self.docs.entry(key.doc).or_default().rows;
        rows.insert(
            key,
            Row {
                chunks,
                status: Status::Stored,
            },
        );
    }

    /// A sync state read from IndexedDB.
    pub fn load_sync_state(&mut self, doc: DocId, peer: PeerId, state: Vec<u8>) {
        self.sync_states.insert((doc, peer), state);
    }

    /// Whether another tab's row `key` is new to this writer.
    pub fn is_unseen(&self, key: &RowKey) -> bool {
        !self.seen.contains(key)
    }

    /// A row another tab wrote: known and stored from now on; its chunks wait in
    /// [`State::take_incoming`] for the repo to merge.
    pub fn foreign_row(&mut self, key: RowKey, chunks: Vec<Vec<u8>>) {
        if !self.is_unseen(&key) {
            return;
        }
        self.incoming
            .extend(chunks.iter().map(|chunk| (key.doc, chunk.clone())));
        self.load_row(key, chunks);
    }

    /// Rows another tab deleted (its snapshot replaced them): forgotten.
    pub fn foreign_deletes(&mut self, keys: &[RowKey]) {
        for key in keys {
            if let Some(doc) = self.docs.get_mut(&key.doc) {
                if doc
                    .rows
                    .get(key)
                    .is_some_and(|r| r.status == Status::Stored)
                {
                    doc.rows.remove(key);
                }
            }
            self.seen.remove(key);
        }
    }

    /// Chunks other tabs wrote since the last call, for the repo to merge.
    pub fn take_incoming(&mut self) -> Vec<(DocId, Vec<u8>)> {
        std::mem::take(&mut self.incoming)
    }

    /// Every document with rows.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// The chunks of a document: snapshots first, then appended chunks.
    pub fn chunks(&self, doc: &DocId) -> Vec<Vec<u8>> {
        let Some(rows) = self.docs.get(doc) else {
            return Vec::new();
        };
        rows.rows
            .values()
            .flat_map(|row| row.chunks.iter().cloned())
            .collect()
    }

    /// Forgets the `index`-th chunk of a document (in [`State::chunks`] order): a chunk the
    /// repo refused. Its row stays known, so the next compaction deletes it.
    pub fn remove_chunk(&mut self, doc: &DocId, mut index: usize) -> bool {
        let Some(rows) = self.docs.get_mut(doc) else {
            return false;
        };
        for row in rows.rows.values_mut() {
            if index < row.chunks.len() {
                row.chunks.remove(index);
                return true;
            }
            index -= row.chunks.len();
        }
        false
    }

    fn new_key(&mut self, doc: DocId, kind: RowKind) -> RowKey {
        self.next_row += 1;
        // Zero-padded: a writer's rows sort in the order it wrote them.
        let id = format!("{}.{:012}", self.writer, self.next_row);
        let key = RowKey { doc, kind, id };
        self.seen.insert(key.clone());
        key
    }

    /// Queues a chunk: it joins the document's open (queued) chunk row, or starts one.
    pub fn append(&mut self, doc: DocId, chunk: Vec<u8>) {
        self.queued += 1;
        let open = self.docs.get(&doc).and_then(|d| d.open.clone());
        let key = match open {
            Some(key) => key,
            None => {
                let key = self.new_key(doc, RowKind::Chunks);
                let entry = self.docs.entry(doc).or_default();
                entry.rows.insert(
                    key.clone(),
                    Row {
                        chunks: Vec::new(),
                        status: Status::Queued,
                    },
                );
                entry.open = Some(key.clone());
                key
            }
        };
        if let Some(row) = self.docs.get_mut(&doc).and_then(|d| d.rows.get_mut(&key)) {
            row.chunks.push(chunk);
        }
    }

    /// Queues a snapshot replacing every row of `doc` this writer knows: queued rows are
    /// dropped (never written), written or in-flight ones are deleted by the flush that writes
    /// the snapshot. Rows other tabs add meanwhile are not touched.
    pub fn compact(&mut self, doc: DocId, snapshot: Vec<u8>) {
        self.queued += 1;
        let key = self.new_key(doc, RowKind::Snapshot);
        let entry = self.docs.entry(doc).or_default();
        for (old, row) in std::mem::take(&mut entry.rows) {
            if row.status == Status::Queued {
                self.seen.remove(&old);
            } else {
                self.deletes.insert(old);
            }
        }
        entry.open = None;
        entry.rows.insert(
            key,
            Row {
                chunks: vec![snapshot],
                status: Status::Queued,
            },
        );
    }

    /// The stored sync state of a document and a peer.
    pub fn sync_state(&self, doc: &DocId, peer: &PeerId) -> Option<Vec<u8>> {
        self.sync_states.get(&(*doc, peer.clone())).cloned()
    }

    /// The peers a sync state of `doc` is stored for.
    pub fn sync_state_peers(&self, doc: &DocId) -> Vec<PeerId> {
        self.sync_states
            .keys()
            .filter(|(d, _)| d == doc)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Queues a sync state (the latest one per document and peer is written).
    pub fn save_sync_state(&mut self, doc: DocId, peer: PeerId, state: Vec<u8>) {
        self.queued += 1;
        self.sync_dirty.insert((doc, peer.clone()));
        self.sync_states.insert((doc, peer), state);
    }

    /// Queues a metadata entry.
    pub fn put_meta(&mut self, key: String, value: Vec<u8>) {
        self.queued += 1;
        self.meta_dirty.insert(key, value);
    }

    /// Writes queued so far; [`State::durable`] reaches it once they are committed.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Writes committed so far.
    pub fn durable(&self) -> u64 {
        self.durable
    }

    /// Whether anything waits for a flush.
    pub fn has_queued(&self) -> bool {
        self.durable < self.queued
    }

    /// Takes every queued write out for one flush (the rows become in-flight).
    pub fn take_batch(&mut self) -> Batch {
        let mut batch = Batch {
            through: self.queued,
            ..Batch::default()
        };
        for entry in self.docs.values_mut() {
            entry.open = None;
            for (key, row) in &mut entry.rows {
                if row.status == Status::Queued {
                    row.status = Status::InFlight;
                    batch
                        .puts
                        .push((key.clone(), row::encode(key.kind, &row.chunks)));
                }
            }
        }
        batch.puts.sort_by_key(|(key, _)| key.kind);
        batch.deletes = std::mem::take(&mut self.deletes).into_iter().collect();
        for key in std::mem::take(&mut self.sync_dirty) {
            if let Some(state) = self.sync_states.get(&key) {
                batch.sync_states.push((key.0, key.1, state.clone()));
            }
        }
        batch.meta = std::mem::take(&mut self.meta_dirty).into_iter().collect();
        batch
    }

    /// The batch committed: its rows are stored, its deletes done.
    pub fn committed(&mut self, batch: &Batch) {
        self.set_status(batch, Status::Stored);
        for key in &batch.deletes {
            self.seen.remove(key);
        }
        self.durable = self.durable.max(batch.through);
    }

    /// The batch failed (nothing of it was committed): everything in it is queued again,
    /// except what newer writes superseded.
    pub fn failed(&mut self, batch: Batch) {
        self.set_status(&batch, Status::Queued);
        self.deletes.extend(batch.deletes);
        for (doc, peer, _) in batch.sync_states {
            self.sync_dirty.insert((doc, peer));
        }
        for (key, value) in batch.meta {
            self.meta_dirty.entry(key).or_insert(value);
        }
    }

    /// The rows `batch` put (those still known: a later compaction may have replaced them)
    /// are now `status`.
    fn set_status(&mut self, batch: &Batch, status: Status) {
        for (key, _) in &batch.puts {
            if let Some(row) = self
                .docs
                .get_mut(&key.doc)
                .and_then(|d| d.rows.get_mut(key))
            {
                row.status = status;
            }
        }
    }

    /// Rows and bytes held in memory (documents' rows only).
    pub fn rows(&self) -> (usize, usize) {
        let rows = self.docs.values().map(|d| d.rows.len()).sum();
        let bytes = self
            .docs
            .values()
            .flat_map(|d| d.rows.values())
            .flat_map(|r| r.chunks.iter().map(Vec::len))
            .sum();
        (rows, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u8) -> DocId {
        DocId([n; 16])
    }

    #[test]
    fn the_peers_of_stored_sync_states_are_listed_per_document() {
        let mut state = State::new("w".into());
        state.save_sync_state(doc(1), PeerId::from("a"), vec![1]);
        state.load_sync_state(doc(1), PeerId::from("b"), vec![2]);
        state.save_sync_state(doc(2), PeerId::from("c"), vec![3]);
        assert_eq!(
            state.sync_state_peers(&doc(1)),
            vec![PeerId::from("a"), PeerId::from("b")]
        );
        assert_eq!(state.sync_state_peers(&doc(3)), Vec::<PeerId>::new());
    }

    #[test]
    fn appends_of_a_burst_share_one_row_per_document() {
        let mut s = State::new("w".into());
        s.append(doc(1), vec![1]);
        s.append(doc(1), vec![2]);
        s.append(doc(2), vec![3]);
        let batch = s.take_batch();
        assert_eq!(batch.puts.len(), 2);
        assert_eq!(batch.through, 3);
        s.append(doc(1), vec![4]);
        // In flight rows are not extended: a new row starts.
        assert_eq!(s.take_batch().puts.len(), 1);
        s.committed(&batch);
        assert_eq!(s.chunks(&doc(1)), vec![vec![1], vec![2], vec![4]]);
    }

    #[test]
    fn compaction_deletes_exactly_the_rows_it_replaces() {
        let mut s = State::new("w".into());
        s.append(doc(1), vec![1]);
        let first = s.take_batch();
        s.committed(&first);
        let stored = first.puts[0].0.clone();
        // Another tab's row arrives and is merged: the snapshot covers it too.
        let foreign = RowKey {
            doc: doc(1),
            kind: RowKind::Chunks,
            id: "other.1".into(),
        };
        s.foreign_row(foreign.clone(), vec![vec![9]]);
        assert_eq!(s.take_incoming(), vec![(doc(1), vec![9])]);
        s.append(doc(1), vec![2]); // queued, never written: dropped by the compaction
        s.compact(doc(1), vec![1, 9, 2]);
        let batch = s.take_batch();
        assert_eq!(batch.deletes, vec![foreign, stored]);
        assert_eq!(batch.puts.len(), 1);
        assert_eq!(batch.puts[0].0.kind, RowKind::Snapshot);
        s.committed(&batch);
        assert_eq!(s.chunks(&doc(1)), vec![vec![1, 9, 2]]);
        // A row another tab writes later is unseen, and is read.
        let later = RowKey {
            doc: doc(1),
            kind: RowKind::Chunks,
            id: "other.2".into(),
        };
        assert!(s.is_unseen(&later));
    }

    #[test]
    fn a_failed_batch_is_queued_again_and_newer_writes_win() {
        let mut s = State::new("w".into());
        let peer = PeerId::from("p");
        s.append(doc(1), vec![1]);
        s.save_sync_state(doc(1), peer.clone(), vec![1]);
        s.put_meta("schema".into(), vec![1]);
        let batch = s.take_batch();
        s.save_sync_state(doc(1), peer.clone(), vec![2]);
        s.append(doc(1), vec![2]);
        s.failed(batch);
        assert!(s.has_queued());
        let retry = s.take_batch();
        assert_eq!(retry.puts.len(), 2);
        assert_eq!(retry.sync_states, vec![(doc(1), peer, vec![2])]);
        assert_eq!(retry.meta, vec![("schema".to_string(), vec![1])]);
        s.committed(&retry);
        assert!(!s.has_queued());
        assert_eq!(s.chunks(&doc(1)), vec![vec![1], vec![2]]);
    }

    #[test]
    fn a_failed_compaction_keeps_its_deletes_for_the_next_one() {
        let mut s = State::new("w".into());
        s.append(doc(1), vec![1]);
        let first = s.take_batch();
        s.committed(&first);
        s.compact(doc(1), vec![1]);
        let failing = s.take_batch();
        assert_eq!(failing.deletes.len(), 1);
        s.compact(doc(1), vec![1, 2]);
        s.failed(failing);
        let retry = s.take_batch();
        // The first snapshot never committed; deleting its key too is harmless.
        assert_eq!(retry.deletes.len(), 2);
        assert!(retry.deletes.contains(&first.puts[0].0));
        assert_eq!(retry.puts.len(), 1);
        s.committed(&retry);
        assert_eq!(s.chunks(&doc(1)), vec![vec![1, 2]]);
    }
}

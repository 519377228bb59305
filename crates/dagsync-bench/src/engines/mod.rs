//! The engines compared, each behind the same small [`Engine`] trait; the workloads in
//! [`crate::workloads`] are written once against it.
//!
//! Everything specific to one library lives in that library's module: [`dagsync`](mod@dagsync)
//! (the engine under test), [`diamond`] and `loro` (the comparison crates; Loro only with the
//! default `loro` feature).

pub mod dagsync;
pub mod diamond;
#[cfg(feature = "loro")]
pub mod loro;

pub use self::dagsync::Dagsync;
pub use self::diamond::DiamondTypes;
#[cfg(feature = "loro")]
pub use self::loro::Loro;

use std::fmt;

/// Why a workload failed: an engine rejected an edit or an update, or a check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Result of an engine operation or a workload.
pub type Result<T> = std::result::Result<T, Error>;

/// Wraps a library error with what was being done.
pub(crate) fn fail(what: &str, error: impl fmt::Display) -> Error {
    Error(format!("{what}: {error}"))
}

/// A text CRDT library, reduced to what the workloads need. Positions and lengths count
/// chars (Unicode scalar values). One replica edits one text.
pub trait Engine {
    /// Display name (also the `--engines` name).
    const NAME: &'static str;
    /// A replica.
    type Doc;
    /// A version of a replica; only meaningful to the replica that produced it.
    type Version;
    /// Edits as shipped from one replica to another.
    type Update;
    /// A document as [`Engine::load`] leaves it: what the library's own load call returns,
    /// which need not have its text materialized yet. dagsync: a ready [`::dagsync::Doc`];
    /// diamond-types: the op log alone, no branch checked out; Loro: a `LoroDoc` that imported
    /// the snapshot (Loro decodes container state lazily, on first read).
    type Loaded;

    /// A new empty replica for agent `agent` (0-based; each agent gets its own identity).
    fn new_doc(agent: u32) -> Result<Self::Doc>;
    /// Inserts `text` at char `pos`.
    fn insert(doc: &mut Self::Doc, pos: usize, text: &str) -> Result<()>;
    /// Deletes `len` chars at `pos`.
    fn delete(doc: &mut Self::Doc, pos: usize, len: usize) -> Result<()>;
    /// Length of the text in chars.
    fn len(doc: &mut Self::Doc) -> usize;
    /// Ends the current transaction (seals the pending local edits into a change/commit).
    fn commit(doc: &mut Self::Doc);
    /// The replica's current version.
    fn version(doc: &mut Self::Doc) -> Self::Version;
    /// Ends the current transaction and returns its edits as an update; `since` is this
    /// replica's version just before the transaction's first edit. `None` if the transaction
    /// was empty.
    fn commit_update(doc: &mut Self::Doc, since: &Self::Version) -> Result<Option<Self::Update>>;
    /// Everything this replica has that its own earlier version `since` lacks.
    fn changes_since(doc: &mut Self::Doc, since: &Self::Version) -> Result<Self::Update>;
    /// Merges updates from other replicas, given in causal order.
    fn apply<'a>(
        doc: &mut Self::Doc,
        updates: impl IntoIterator<Item = &'a Self::Update>,
    ) -> Result<()>
    where
        Self::Update: 'a;
    /// A copy of the replica (with its history) for agent `agent`.
    fn fork(doc: &mut Self::Doc, agent: u32) -> Result<Self::Doc>;
    /// The current text.
    fn text(doc: &mut Self::Doc) -> String;
    /// The whole document, with its history, encoded the library's usual way (dagsync:
    /// `Doc::save`; diamond-types: `encode(ENCODE_FULL)`, which is `EncodeOptions::default()`;
    /// Loro: `export(ExportMode::Snapshot)`). Seals a pending transaction.
    fn save(doc: &mut Self::Doc) -> Result<Vec<u8>>;
    /// Decodes [`Engine::save`] bytes with the library's load call and nothing more (dagsync:
    /// `Doc::load`; diamond-types: `OpLog::load_from`; Loro: `LoroDoc::new` + `import`). Later
    /// local edits belong to agent `agent`. Invalid bytes are an error.
    fn load(bytes: &[u8], agent: u32) -> Result<Self::Loaded>;
    /// Makes a loaded document a replica that can be read and edited (diamond-types: checks
    /// out the op log's tip into a branch; dagsync and Loro: nothing to do). Loro still defers
    /// decoding the text to the first [`Engine::text`], so "the text is available" means
    /// `load` + `open` + `text`.
    fn open(loaded: Self::Loaded) -> Result<Self::Doc>;
    /// Every change in the replica's history as one update for an empty replica: the sync
    /// path, as opposed to [`Engine::save`]'s snapshot (dagsync: `export_changes` since the
    /// empty version vector; diamond-types: `encode_from(ENCODE_PATCH, &[])`; Loro:
    /// `export(ExportMode::all_updates())`). Seals a pending transaction.
    fn export_all(doc: &mut Self::Doc) -> Result<Vec<u8>>;
    /// A new empty replica for agent `agent` that has imported [`Engine::export_all`] bytes
    /// (dagsync: `Doc::new` + `import_changes`; diamond-types: `ListCRDT::new` +
    /// `merge_data_and_ff`, i.e. decode into the op log and merge into the branch; Loro:
    /// `LoroDoc::new` + `import`). An error if the bytes are invalid or anything is left
    /// waiting for missing dependencies.
    fn import_all(bytes: &[u8], agent: u32) -> Result<Self::Doc>;
}

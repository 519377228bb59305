#![doc = include_str!("../README.md")]

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One edit: at char `pos` delete `del` chars, then insert `ins`.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(from = "(usize, usize, String)")]
pub struct Patch {
    /// Position in Unicode scalar values.
    pub pos: usize,
    /// Number of chars deleted at `pos`.
    pub del: usize,
    /// Text inserted at `pos` after the deletion.
    pub ins: String,
}

impl From<(usize, usize, String)> for Patch {
    fn from((pos, del, ins): (usize, usize, String)) -> Self {
        Patch { pos, del, ins }
    }
}

/// A transaction: patches applied one after another.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Txn {
    /// The edits, in order: each patch's position is in the text left by the previous one.
    pub patches: Vec<Patch>,
    /// Concurrent traces: indexes of the earlier transactions this one happened after (empty:
    /// the empty document). Empty in sequential traces.
    #[serde(default)]
    pub parents: Vec<usize>,
    /// Concurrent traces: the agent (0-based) that made it. 0 in sequential traces.
    #[serde(default)]
    pub agent: usize,
    /// Concurrent traces: how many later transactions name this one as a parent.
    #[serde(default)]
    pub num_children: usize,
    /// When it happened, as recorded in the file (an ISO 8601 string; empty when absent).
    #[serde(default)]
    pub time: String,
}

/// Whether the transactions are one sequence or a DAG of agents' edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One author, transactions in order.
    Sequential,
    /// Several agents; each transaction names its parents.
    Concurrent,
}

/// A loaded trace: sequential or concurrent, told apart by [`Trace::kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Sequential or concurrent.
    pub kind: Kind,
    /// Number of agents (1 for sequential traces).
    pub num_agents: usize,
    /// The text the first transaction applies to (`startContent`; empty in every shared
    /// trace and in concurrent traces).
    pub start_content: String,
    /// The text every correct replay ends with.
    pub end_content: String,
    /// The transactions.
    pub txns: Vec<Txn>,
}

impl Trace {
    /// Number of patches over all transactions.
    pub fn patch_count(&self) -> usize {
        self.txns.iter().map(|t| t.patches.len()).sum()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrace {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    num_agents: Option<usize>,
    #[serde(default)]
    start_content: String,
    end_content: String,
    txns: Vec<Txn>,
}

/// Why a trace could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be read or decompressed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is not a trace.
    #[error("parsing {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The `kind` field names neither `"concurrent"` nor `"sequential"`.
    #[error("{path}: unknown trace kind {kind:?}")]
    UnknownKind {
        /// The file.
        path: PathBuf,
        /// The `kind` it names.
        kind: String,
    },
    /// A concurrent transaction names a parent that is not earlier, or an unknown agent.
    #[error("{path}: transaction {txn} is inconsistent: {what}")]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// The transaction's index.
        txn: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// [`replay_plain`] was given a concurrent trace; its patches only make sense per agent.
    #[error("a concurrent trace has no single-replica reference replay")]
    NotSequential,
    /// A patch deletes past the end of the text, or inserts beyond it.
    #[error("transaction {txn}, patch {patch}: position {pos} + {del} deleted is beyond the text's {len} chars")]
    PatchOutOfRange {
        /// The transaction's index.
        txn: usize,
        /// The patch's index in the transaction.
        patch: usize,
        /// The patch's position.
        pos: usize,
        /// The patch's deletion length.
        del: usize,
        /// The text's length (chars) before the patch.
        len: usize,
    },
}

/// The shared traces folder: `$DAGSYNC_TRACES` when set, otherwise `shared/traces` beside
/// the repository root (`<this crate>/../../../shared/traces`).
pub fn traces_dir() -> PathBuf {
    match std::env::var_os("DAGSYNC_TRACES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/traces"),
    }
}

/// The path of a named trace in [`traces_dir`] (`name.json.gz`), e.g. `named("seph-blog1")`.
pub fn named(name: &str) -> PathBuf {
    traces_dir().join(format!("{name}.json.gz"))
}

/// Loads a trace file (gzipped JSON; plain JSON works too) and detects its kind: a trace
/// with `"kind": "concurrent"` is [`Kind::Concurrent`], anything else [`Kind::Sequential`].
///
/// Concurrent traces are checked: every parent must be an earlier transaction and every agent
/// below `numAgents`. Never panics on bad input; every failure is a [`TraceError`].
pub fn load(path: impl AsRef<Path>) -> Result<Trace, TraceError> {
    let path = path.as_ref();
    let io = |source| TraceError::Io {
        path: path.to_owned(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    let mut json = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut json)
            .map_err(io)?;
    } else {
        json = raw;
    }
    let raw: RawTrace = serde_json::from_slice(&json).map_err(|source| TraceError::Json {
        path: path.to_owned(),
        source,
    })?;
    let kind = match raw.kind.as_deref() {
        Some("concurrent") => Kind::Concurrent,
        None | Some("sequential") => Kind::Sequential,
        Some(other) => {
            return Err(TraceError::UnknownKind {
                path: path.to_owned(),
                kind: other.to_owned(),
            })
        }
    };
    let num_agents = raw.num_agents.unwrap_or(1).max(1);
    if kind == Kind::Concurrent {
        for (i, txn) in raw.txns.iter().enumerate() {
            let inconsistent = |what| TraceError::Inconsistent {
                path: path.to_owned(),
                txn: i,
                what,
            };
            if txn.parents.iter().any(|&p| p >= i) {
                return Err(inconsistent("a parent is not an earlier transaction"));
            }
            if txn.agent >= num_agents {
                return Err(inconsistent("unknown agent"));
            }
        }
    }
    Ok(Trace {
        kind,
        num_agents,
        start_content: raw.start_content,
        end_content: raw.end_content,
        txns: raw.txns,
    })
}

/// The reference replay: applies a sequential trace's patches, in order, to its
/// `startContent` held in a plain `Vec<char>`, and returns the text (which should equal
/// `end_content`). Quadratic but obviously right; use it to check the traces themselves.
pub fn replay_plain(trace: &Trace) -> Result<String, TraceError> {
    if trace.kind != Kind::Sequential {
        return Err(TraceError::NotSequential);
    }
    let mut text: Vec<char> = trace.start_content.chars().collect();
    for (t, txn) in trace.txns.iter().enumerate() {
        for (p, patch) in txn.patches.iter().enumerate() {
            let end = patch
                .pos
                .checked_add(patch.del)
                .filter(|&end| end <= text.len());
            let Some(end) = end else {
                return Err(TraceError::PatchOutOfRange {
                    txn: t,
                    patch: p,
                    pos: patch.pos,
                    del: patch.del,
                    len: text.len(),
                });
            };
            text.splice(patch.pos..end, patch.ins.chars());
        }
    }
    Ok(text.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_traces_replay_to_their_end_content() {
        for name in ["automerge-paper", "seph-blog1"] {
            let trace = load(named(name)).unwrap();
            assert_eq!(trace.kind, Kind::Sequential);
            assert_eq!(trace.num_agents, 1);
            assert!(trace.start_content.is_empty());
            assert!(trace.txns.iter().all(|t| !t.time.is_empty()));
            assert_eq!(replay_plain(&trace).unwrap(), trace.end_content, "{name}");
        }
    }

    #[test]
    fn concurrent_trace_is_detected() {
        let trace = load(named("friendsforever")).unwrap();
        assert_eq!(trace.kind, Kind::Concurrent);
        assert_eq!(trace.num_agents, 2);
        assert!(trace.txns.iter().skip(1).all(|t| !t.parents.is_empty()));
        assert!(trace.txns.iter().any(|t| t.agent == 1));
        // numChildren agrees with the parents lists.
        let mut children = vec![0; trace.txns.len()];
        for txn in &trace.txns {
            for &p in &txn.parents {
                children[p] += 1;
            }
        }
        let recorded: Vec<usize> = trace.txns.iter().map(|t| t.num_children).collect();
        assert_eq!(children, recorded);
        assert!(matches!(
            replay_plain(&trace),
            Err(TraceError::NotSequential)
        ));
    }

    #[test]
    fn plain_json_and_bad_patches() {
        let dir = std::env::temp_dir().join(format!("dagsync-traces-plain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.json");
        std::fs::write(
            &path,
            r#"{"startContent":"héllo","endContent":"hé, world","txns":[
                {"time":"t","patches":[[2,3,""],[2,0,", world"]]}]}"#,
        )
        .unwrap();
        let trace = load(&path).unwrap();
        assert_eq!(trace.kind, Kind::Sequential);
        assert_eq!(trace.patch_count(), 2);
        assert_eq!(replay_plain(&trace).unwrap(), "hé, world");

        std::fs::write(
            &path,
            r#"{"endContent":"","txns":[{"patches":[[0,0,"ab"],[1,5,""]]}]}"#,
        )
        .unwrap();
        let trace = load(&path).unwrap();
        assert!(matches!(
            replay_plain(&trace),
            Err(TraceError::PatchOutOfRange {
                txn: 0,
                patch: 1,
                pos: 1,
                del: 5,
                len: 2
            })
        ));

        std::fs::write(
            &path,
            r#"{"kind":"concurrent","numAgents":1,"endContent":"","txns":[
                {"parents":[0],"agent":0,"patches":[]}]}"#,
        )
        .unwrap();
        assert!(matches!(
            load(&path),
            Err(TraceError::Inconsistent { txn: 0, .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_files_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("dagsync-traces-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.json");
        std::fs::write(&path, b"{\"txns\": 3}").unwrap();
        assert!(matches!(load(&path), Err(TraceError::Json { .. })));
        assert!(matches!(
            load(dir.join("missing.json")),
            Err(TraceError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

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
#[derive(Deserialize, Debug, Clone)]
pub struct Txn {
    /// The edits.
    pub patches: Vec<Patch>,
    /// Concurrent traces: the transactions this one happened after (empty: the empty doc).
    #[serde(default)]
    pub parents: Vec<usize>,
    /// Concurrent traces: the agent (0-based) that made it.
    #[serde(default)]
    pub agent: usize,
}

/// Whether the transactions are one sequence or a DAG of agents' edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One author, transactions in order.
    Sequential,
    /// Several agents; each transaction names its parents.
    Concurrent,
}

/// A loaded trace.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Sequential or concurrent.
    pub kind: Kind,
    /// Number of agents (1 for sequential traces).
    pub num_agents: usize,
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
}

/// The shared traces folder: `$DAGSYNC_TRACES`, or `shared/traces` beside the repository.
pub fn traces_dir() -> PathBuf {
    match std::env::var_os("DAGSYNC_TRACES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/traces"),
    }
}

/// The path of a named trace in [`traces_dir`] (`name.json.gz`).
pub fn named(name: &str) -> PathBuf {
    traces_dir().join(format!("{name}.json.gz"))
}

/// Loads a trace file (gzipped JSON; plain JSON works too).
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
        _ => Kind::Sequential,
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
        end_content: raw.end_content,
        txns: raw.txns,
    })
}

/// Applies a sequential trace to a plain `Vec<char>`: the reference replay.
pub fn replay_plain(trace: &Trace) -> String {
    let mut text: Vec<char> = Vec::new();
    for patch in trace.txns.iter().flat_map(|t| &t.patches) {
        let end = (patch.pos + patch.del).min(text.len());
        text.splice(patch.pos.min(text.len())..end, patch.ins.chars());
    }
    text.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_traces_replay_to_their_end_content() {
        for name in ["automerge-paper", "seph-blog1"] {
            let trace = load(named(name)).unwrap();
            assert_eq!(trace.kind, Kind::Sequential);
            assert_eq!(replay_plain(&trace), trace.end_content, "{name}");
        }
    }

    #[test]
    fn concurrent_trace_is_detected() {
        let trace = load(named("friendsforever")).unwrap();
        assert_eq!(trace.kind, Kind::Concurrent);
        assert_eq!(trace.num_agents, 2);
        assert!(trace.txns.iter().skip(1).all(|t| !t.parents.is_empty()));
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

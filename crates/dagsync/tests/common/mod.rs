//! Loading the shared editing traces (`../shared/traces`, format in its README).

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;

/// One patch: at char `pos`, delete `del` chars, then insert `ins`.
#[derive(Deserialize, Debug, Clone)]
pub struct Patch(pub usize, pub usize, pub String);

/// A transaction of a trace.
#[derive(Deserialize, Debug, Clone)]
pub struct Txn {
    pub patches: Vec<Patch>,
    #[serde(default)]
    pub parents: Vec<usize>,
    #[serde(default)]
    pub agent: usize,
}

/// A trace, sequential or concurrent.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub num_agents: usize,
    pub end_content: String,
    pub txns: Vec<Txn>,
}

/// The shared traces folder: `$DAGSYNC_TRACES`, or `shared/traces` beside the repository.
pub fn traces_dir() -> PathBuf {
    match std::env::var_os("DAGSYNC_TRACES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/traces"),
    }
}

pub fn load(name: &str) -> Trace {
    let path = traces_dir().join(format!("{name}.json.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut json = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut json)
        .expect("trace decompresses");
    serde_json::from_str(&json).expect("trace parses")
}

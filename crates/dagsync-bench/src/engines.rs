//! The engines compared, behind one trait.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dagsync::clock::VersionVector;
use dagsync::{ActorId, Change, Doc};
use dagsync_traces::{Kind, Trace};
use diamond_types::list::encoding::ENCODE_FULL;
use diamond_types::list::ListCRDT;

/// What a workload produced, to check and to report.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The final text.
    pub text: String,
    /// Size of the encoded document (with its history), in bytes.
    pub encoded: usize,
    /// For merges: time spent exchanging and applying the two sides' edits.
    pub merge_time: Option<Duration>,
}

/// A CRDT library under test.
pub trait Engine {
    /// Display name.
    fn name(&self) -> &'static str;
    /// Replays a sequential trace, each patch its own transaction, then encodes the document.
    fn replay_sequential(&self, trace: &Trace) -> Outcome;
    /// Replays a concurrent trace (one replica per agent, parents merged before each
    /// transaction); `None` if the engine's public API cannot express it here.
    fn replay_concurrent(&self, trace: &Trace) -> Option<Outcome>;
    /// Two replicas fork from a small base, each makes `edits` random single-char edits
    /// (seeded, identical for every engine), then each applies the other's edits.
    fn merge_concurrent(&self, edits: usize, seed: u64) -> Outcome;
}

/// Replays `trace` with its kind's method.
pub fn replay(engine: &dyn Engine, trace: &Trace) -> Option<Outcome> {
    match trace.kind {
        Kind::Sequential => Some(engine.replay_sequential(trace)),
        Kind::Concurrent => engine.replay_concurrent(trace),
    }
}

/// The seeded edit script of a merge workload: `(is_insert, position seed)`.
fn script(edits: usize, seed: u64) -> Vec<(bool, u64)> {
    let mut state = seed.max(1);
    (0..edits)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 5 != 0, state >> 8)
        })
        .collect()
}

const BASE: &str = "The quick brown fox jumps over the lazy dog.";

/// dagsync.
pub struct Dagsync;

fn apply_patch(doc: &mut Doc, pos: usize, del: usize, ins: &str) {
    let mut text = doc.get_text("text");
    if del > 0 {
        text.delete(pos, del).expect("trace delete in range");
    }
    if !ins.is_empty() {
        text.insert(pos, ins).expect("trace insert in range");
    }
}

impl Engine for Dagsync {
    fn name(&self) -> &'static str {
        "dagsync"
    }

    fn replay_sequential(&self, trace: &Trace) -> Outcome {
        let mut doc = Doc::new(ActorId([1; 32]));
        for patch in trace.txns.iter().flat_map(|t| &t.patches) {
            apply_patch(&mut doc, patch.pos, patch.del, &patch.ins);
            doc.commit(None);
        }
        let encoded = doc.save().len();
        Outcome {
            text: doc.get_text("text").to_string(),
            encoded,
            merge_time: None,
        }
    }

    fn replay_concurrent(&self, trace: &Trace) -> Option<Outcome> {
        let mut replicas: Vec<Doc> = (0..trace.num_agents)
            .map(|a| Doc::new(ActorId([a as u8 + 1; 32])))
            .collect();
        let mut store: HashMap<(ActorId, u64), Change> = HashMap::new();
        let mut versions: Vec<VersionVector> = Vec::with_capacity(trace.txns.len());
        for txn in &trace.txns {
            let doc = &mut replicas[txn.agent];
            let mut target = VersionVector::new();
            for &p in &txn.parents {
                target.merge(&versions[p]);
            }
            let mut needed = Vec::new();
            for (actor, seq) in target.iter() {
                for s in doc.version().get(actor) + 1..=seq {
                    needed.push(store[&(*actor, s)].clone());
                }
            }
            doc.apply_changes(needed).expect("trace changes apply");
            for patch in &txn.patches {
                apply_patch(doc, patch.pos, patch.del, &patch.ins);
            }
            if let Some(id) = doc.commit(None) {
                let change = doc.get_change(&id).expect("just committed");
                store.insert((change.actor, change.seq), change);
            }
            versions.push(doc.version().clone());
        }
        let all: Vec<Change> = store.into_values().collect();
        let doc = &mut replicas[0];
        doc.apply_changes(all).expect("all changes apply");
        Some(Outcome {
            text: doc.get_text("text").to_string(),
            encoded: doc.save().len(),
            merge_time: None,
        })
    }

    fn merge_concurrent(&self, edits: usize, seed: u64) -> Outcome {
        let mut a = Doc::new(ActorId([1; 32]));
        a.get_text("text").insert(0, BASE).expect("base");
        a.commit(None);
        let mut b = a.fork(ActorId([2; 32]));
        for (doc, seed) in [(&mut a, seed), (&mut b, seed + 1)] {
            for (insert, r) in script(edits, seed) {
                let mut text = doc.get_text("text");
                let len = text.len();
                if insert || len == 0 {
                    text.insert(r as usize % (len + 1), "x").expect("in range");
                } else {
                    text.delete(r as usize % len, 1).expect("in range");
                }
                doc.commit(None);
            }
        }
        let start = Instant::now();
        let from_b = b.changes_since(a.version());
        let from_a = a.changes_since(b.version());
        a.apply_changes(from_b).expect("b's changes apply");
        b.apply_changes(from_a).expect("a's changes apply");
        let merge_time = start.elapsed();
        let text = a.get_text("text").to_string();
        assert_eq!(text, b.get_text("text").to_string(), "replicas converge");
        Outcome {
            text,
            encoded: a.save().len(),
            merge_time: Some(merge_time),
        }
    }
}

/// diamond-types 1.0 (`ListCRDT`), the fastest established Rust text CRDT.
pub struct DiamondTypes;

impl Engine for DiamondTypes {
    fn name(&self) -> &'static str {
        "diamond-types"
    }

    fn replay_sequential(&self, trace: &Trace) -> Outcome {
        let mut doc = ListCRDT::new();
        let agent = doc.get_or_create_agent_id("seph");
        for patch in trace.txns.iter().flat_map(|t| &t.patches) {
            if patch.del > 0 {
                doc.delete(agent, patch.pos..patch.pos + patch.del);
            }
            if !patch.ins.is_empty() {
                doc.insert(agent, patch.pos, &patch.ins);
            }
        }
        let encoded = doc.oplog.encode(ENCODE_FULL).len();
        Outcome {
            text: doc.branch.content().to_string(),
            encoded,
            merge_time: None,
        }
    }

    fn replay_concurrent(&self, _trace: &Trace) -> Option<Outcome> {
        None
    }

    fn merge_concurrent(&self, edits: usize, seed: u64) -> Outcome {
        let mut a = ListCRDT::new();
        let agent_a = a.get_or_create_agent_id("a");
        a.insert(agent_a, 0, BASE);
        let mut b = ListCRDT::load_from(&a.oplog.encode(ENCODE_FULL)).expect("fork");
        let agent_b = b.get_or_create_agent_id("b");
        let fork_a = a.oplog.local_version();
        let fork_b = b.oplog.local_version();
        for (doc, agent, seed) in [(&mut a, agent_a, seed), (&mut b, agent_b, seed + 1)] {
            for (insert, r) in script(edits, seed) {
                let len = doc.len();
                if insert || len == 0 {
                    doc.insert(agent, r as usize % (len + 1), "x");
                } else {
                    let at = r as usize % len;
                    doc.delete(agent, at..at + 1);
                }
            }
        }
        let start = Instant::now();
        let from_b = b.oplog.encode_from(ENCODE_FULL, &fork_b);
        let from_a = a.oplog.encode_from(ENCODE_FULL, &fork_a);
        a.merge_data_and_ff(&from_b).expect("b's edits merge");
        b.merge_data_and_ff(&from_a).expect("a's edits merge");
        let merge_time = start.elapsed();
        let text = a.branch.content().to_string();
        assert_eq!(text, b.branch.content().to_string(), "replicas converge");
        Outcome {
            text,
            encoded: a.oplog.encode(ENCODE_FULL).len(),
            merge_time: Some(merge_time),
        }
    }
}

/// Loro 1.x (`LoroDoc`), a widely used Rust CRDT library (the engine of `loro-crdt`).
pub struct Loro;

fn loro_doc(peer: u64) -> loro::LoroDoc {
    let doc = loro::LoroDoc::new();
    doc.set_peer_id(peer).expect("valid peer id");
    doc
}

impl Engine for Loro {
    fn name(&self) -> &'static str {
        "loro"
    }

    fn replay_sequential(&self, trace: &Trace) -> Outcome {
        let doc = loro_doc(1);
        let text = doc.get_text("text");
        for patch in trace.txns.iter().flat_map(|t| &t.patches) {
            if patch.del > 0 {
                text.delete(patch.pos, patch.del)
                    .expect("trace delete in range");
            }
            if !patch.ins.is_empty() {
                text.insert(patch.pos, &patch.ins)
                    .expect("trace insert in range");
            }
            doc.commit();
        }
        let encoded = doc
            .export(loro::ExportMode::Snapshot)
            .expect("snapshot encodes")
            .len();
        Outcome {
            text: text.to_string(),
            encoded,
            merge_time: None,
        }
    }

    fn replay_concurrent(&self, _trace: &Trace) -> Option<Outcome> {
        None
    }

    fn merge_concurrent(&self, edits: usize, seed: u64) -> Outcome {
        let a = loro_doc(1);
        a.get_text("text").insert(0, BASE).expect("base");
        a.commit();
        let b = a.fork();
        b.set_peer_id(2).expect("valid peer id");
        let fork_a = a.oplog_vv();
        let fork_b = b.oplog_vv();
        for (doc, seed) in [(&a, seed), (&b, seed + 1)] {
            let text = doc.get_text("text");
            for (insert, r) in script(edits, seed) {
                let len = text.len_unicode();
                if insert || len == 0 {
                    text.insert(r as usize % (len + 1), "x").expect("in range");
                } else {
                    text.delete(r as usize % len, 1).expect("in range");
                }
                doc.commit();
            }
        }
        let start = Instant::now();
        let from_b = b
            .export(loro::ExportMode::updates(&fork_b))
            .expect("updates encode");
        let from_a = a
            .export(loro::ExportMode::updates(&fork_a))
            .expect("updates encode");
        a.import(&from_b).expect("b's edits import");
        b.import(&from_a).expect("a's edits import");
        let merge_time = start.elapsed();
        let text = a.get_text("text").to_string();
        assert_eq!(text, b.get_text("text").to_string(), "replicas converge");
        Outcome {
            text,
            encoded: a
                .export(loro::ExportMode::Snapshot)
                .expect("snapshot")
                .len(),
            merge_time: Some(merge_time),
        }
    }
}

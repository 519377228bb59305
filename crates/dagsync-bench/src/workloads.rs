//! The workloads, written once for every [`Engine`]: trace replays, a two-replica merge, and
//! persistence (save / load, export / import) of a replayed document.

use std::time::{Duration, Instant};

use dagsync_traces::{Kind, Patch, Trace};

use crate::engines::{Engine, Error, Result};
use crate::measure::median_time;

/// What one run of a workload produced, to check and to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The final text (of every replica: the workloads fail when replicas disagree).
    pub text: String,
    /// Size of the final `save()` (document with history), when the workload saves.
    pub saved: Option<usize>,
    /// Time of the workload's inner phase, when it has one (the merge: exchange + apply).
    pub phase: Option<Duration>,
}

fn apply_patch<E: Engine>(doc: &mut E::Doc, patch: &Patch) -> Result<()> {
    if patch.del > 0 {
        E::delete(doc, patch.pos, patch.del)?;
    }
    if !patch.ins.is_empty() {
        E::insert(doc, patch.pos, &patch.ins)?;
    }
    Ok(())
}

/// Replays `trace` with the method for its kind.
pub fn replay<E: Engine>(trace: &Trace) -> Result<Outcome> {
    match trace.kind {
        Kind::Sequential => replay_sequential::<E>(trace),
        Kind::Concurrent => replay_concurrent::<E>(trace),
    }
}

/// Replays a sequential trace on one replica, each patch its own transaction (commit), then
/// saves the document.
pub fn replay_sequential<E: Engine>(trace: &Trace) -> Result<Outcome> {
    let mut doc = build_sequential::<E>(trace)?;
    let saved = E::save(&mut doc)?.len();
    Ok(Outcome {
        text: E::text(&mut doc),
        saved: Some(saved),
        phase: None,
    })
}

/// The document of a sequential trace on one replica (agent 0): the start content, then each
/// patch its own transaction (commit after every patch; for dagsync `commit(None)`, which
/// coalesces keystrokes into the open change).
pub fn build_sequential<E: Engine>(trace: &Trace) -> Result<E::Doc> {
    let mut doc = E::new_doc(0)?;
    if !trace.start_content.is_empty() {
        E::insert(&mut doc, 0, &trace.start_content)?;
        E::commit(&mut doc);
    }
    for patch in trace.txns.iter().flat_map(|t| &t.patches) {
        apply_patch::<E>(&mut doc, patch)?;
        E::commit(&mut doc);
    }
    Ok(doc)
}

/// Replays a concurrent trace: one replica per agent. Before each transaction its agent's
/// replica is brought to exactly the state of the transaction's parents (it merges the
/// updates of every transaction in their history it lacks, in trace order), then the
/// patches are applied locally and committed; the commit's update is kept for the others.
/// Finally every replica merges everything and must show the same text; replica 0 is saved.
pub fn replay_concurrent<E: Engine>(trace: &Trace) -> Result<Outcome> {
    let agents = trace.num_agents;
    let agent_id = |a: usize| u32::try_from(a).map_err(|_| Error(format!("agent {a} too large")));
    let mut replicas: Vec<E::Doc> = (0..agents)
        .map(|a| E::new_doc(agent_id(a)?))
        .collect::<Result<_>>()?;
    // A version here counts, per agent, how many of its transactions are included; the trace
    // index of agent b's k-th transaction is `by_agent[b][k]`.
    let mut by_agent: Vec<Vec<usize>> = vec![Vec::new(); agents];
    let mut replica_version: Vec<Vec<usize>> = vec![vec![0; agents]; agents];
    let mut txn_version: Vec<Vec<usize>> = Vec::with_capacity(trace.txns.len());
    let mut updates: Vec<Option<E::Update>> = Vec::with_capacity(trace.txns.len());
    let mut needed: Vec<usize> = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        let mut target = vec![0; agents];
        for &p in &txn.parents {
            for (t, &v) in target.iter_mut().zip(&txn_version[p]) {
                *t = (*t).max(v);
            }
        }
        needed.clear();
        for (b, (&have, &want)) in replica_version[a].iter().zip(&target).enumerate() {
            if have > want {
                return Err(Error(format!(
                    "transaction {i}: agent {a}'s replica is ahead of the parents' state"
                )));
            }
            needed.extend_from_slice(&by_agent[b][have..want]);
        }
        needed.sort_unstable();
        let doc = &mut replicas[a];
        E::apply(doc, needed.iter().filter_map(|&j| updates[j].as_ref()))?;
        let before = E::version(doc);
        for patch in &txn.patches {
            apply_patch::<E>(doc, patch)?;
        }
        updates.push(E::commit_update(doc, &before)?);
        target[a] += 1;
        by_agent[a].push(i);
        replica_version[a].clone_from(&target);
        txn_version.push(target);
    }
    // Converge: every replica merges what it lacks.
    let mut text: Option<String> = None;
    for (a, doc) in replicas.iter_mut().enumerate() {
        needed.clear();
        for (b, &have) in replica_version[a].iter().enumerate() {
            needed.extend_from_slice(&by_agent[b][have..]);
        }
        needed.sort_unstable();
        E::apply(doc, needed.iter().filter_map(|&j| updates[j].as_ref()))?;
        let t = E::text(doc);
        match &text {
            Some(first) if *first != t => {
                return Err(Error(format!(
                    "replica {a} differs from replica 0 after merging everything (first \
                     difference at char {})",
                    first_difference(first, &t)
                )))
            }
            Some(_) => {}
            None => text = Some(t),
        }
    }
    let saved = match replicas.first_mut() {
        Some(doc) => Some(E::save(doc)?.len()),
        None => None,
    };
    Ok(Outcome {
        text: text.unwrap_or_default(),
        saved,
        phase: None,
    })
}

/// The small text both replicas of [`merge`] fork from.
pub const MERGE_BASE: &str = "The quick brown fox jumps over the lazy dog.";

/// A small seeded generator (xorshift64*), the same edits for every engine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed: never zero in practice, and nearby seeds diverge at once.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// `edits` random single-char edits on `doc`, each its own transaction: 80 % inserts of a
/// random lowercase letter, 20 % deletes (an insert when the text is empty).
fn random_edits<E: Engine>(doc: &mut E::Doc, edits: usize, rng: &mut Rng) -> Result<()> {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
    for _ in 0..edits {
        let len = E::len(doc);
        if len == 0 || rng.below(5) != 0 {
            let at = rng.below(len + 1);
            let c = rng.below(LETTERS.len());
            E::insert(doc, at, &LETTERS[c..c + 1])?;
        } else {
            E::delete(doc, rng.below(len), 1)?;
        }
        E::commit(doc);
    }
    Ok(())
}

/// Replica A holds [`MERGE_BASE`]; B forks from it; each makes `edits` random single-char
/// edits (seeded, one transaction each, concurrently); then B's changes are merged into A
/// and A's into B, and both must show the same text. `phase` is the exchange + merge time.
pub fn merge<E: Engine>(edits: usize, seed: u64) -> Result<Outcome> {
    let mut a = E::new_doc(0)?;
    E::insert(&mut a, 0, MERGE_BASE)?;
    E::commit(&mut a);
    let mut b = E::fork(&mut a, 1)?;
    let a_base = E::version(&mut a);
    let b_base = E::version(&mut b);
    random_edits::<E>(&mut a, edits, &mut Rng::new(seed))?;
    random_edits::<E>(&mut b, edits, &mut Rng::new(seed ^ 0xB))?;
    let start = Instant::now();
    let from_a = E::changes_since(&mut a, &a_base)?;
    let from_b = E::changes_since(&mut b, &b_base)?;
    E::apply(&mut a, [&from_b])?;
    E::apply(&mut b, [&from_a])?;
    let phase = start.elapsed();
    let text = E::text(&mut a);
    let other = E::text(&mut b);
    if text != other {
        return Err(Error(format!(
            "the replicas differ after merging (first difference at char {})",
            first_difference(&text, &other)
        )));
    }
    let expected_len = MERGE_BASE.chars().count();
    if text.chars().count() <= expected_len {
        return Err(Error("the merged text lost the inserts".to_owned()));
    }
    Ok(Outcome {
        text,
        saved: None,
        phase: Some(phase),
    })
}

/// Sizes and median times of [`persistence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persistence {
    /// Bytes of [`Engine::save`]: the document with its full history.
    pub saved: usize,
    /// Bytes of [`Engine::export_all`]: every change, for an empty replica.
    pub exported: usize,
    /// [`Engine::load`] of the saved bytes alone: the library's load call, which may leave
    /// work for later (diamond-types: no branch checked out; Loro: state decoded lazily).
    pub load: Duration,
    /// [`Engine::load`] + [`Engine::open`] + [`Engine::text`]: until the loaded text is
    /// available as a `String` (the comparable load time).
    pub load_text: Duration,
    /// [`Engine::export_all`] on the replayed document + [`Engine::import_all`] into a new
    /// empty replica + [`Engine::text`] of that replica.
    pub export_import: Duration,
}

/// Persistence of the document a sequential trace builds ([`build_sequential`], not timed):
/// saves it once, then times, each as one warm-up and `runs` measured runs (median), loading
/// the saved bytes, loading them until the text is available, and exporting everything +
/// importing it into an empty replica. Every loaded and imported replica's text must equal the
/// trace's `endContent` (checked untimed after each run), as must the replayed document's;
/// a mismatch is an error naming the step and the first differing char.
pub fn persistence<E: Engine>(trace: &Trace, runs: usize) -> Result<Persistence> {
    if trace.kind != Kind::Sequential {
        return Err(Error(
            "persistence replays sequential traces only".to_owned(),
        ));
    }
    let expect = |step: &str, text: &str| -> Result<()> {
        if text == trace.end_content {
            return Ok(());
        }
        Err(Error(format!(
            "{step}: text differs from endContent at char {} (text has {} chars, endContent {})",
            first_difference(text, &trace.end_content),
            text.chars().count(),
            trace.end_content.chars().count()
        )))
    };
    let mut doc = build_sequential::<E>(trace)?;
    expect("replay", &E::text(&mut doc))?;
    let saved = E::save(&mut doc)?;
    let exported = E::export_all(&mut doc)?.len();
    // Agent 1 for the copies: a replica other than the one that wrote the history.
    let load = median_time(
        runs,
        || E::load(&saved, 1),
        |loaded| expect("load", &E::text(&mut E::open(loaded)?)),
    )?;
    let load_text = median_time(
        runs,
        || {
            let mut doc = E::open(E::load(&saved, 1)?)?;
            let text = E::text(&mut doc);
            Ok((doc, text))
        },
        |(_doc, text)| expect("load + text", &text),
    )?;
    let export_import = median_time(
        runs,
        || {
            let bytes = E::export_all(&mut doc)?;
            let mut copy = E::import_all(&bytes, 1)?;
            let text = E::text(&mut copy);
            Ok((copy, text))
        },
        |(_copy, text)| expect("export + import", &text),
    )?;
    Ok(Persistence {
        saved: saved.len(),
        exported,
        load,
        load_text,
        export_import,
    })
}

/// Index (in chars) of the first char where `a` and `b` differ; the shorter length when one
/// is a prefix of the other.
pub fn first_difference(a: &str, b: &str) -> usize {
    let mut n = 0;
    let mut bs = b.chars();
    for ca in a.chars() {
        match bs.next() {
            Some(cb) if cb == ca => n += 1,
            _ => return n,
        }
    }
    n
}

/// One engine's workloads as plain function pointers, so a harness can list engines at run
/// time while each workload stays monomorphic (no dynamic dispatch per edit).
#[derive(Clone, Copy)]
pub struct Runner {
    /// The engine's name ([`Engine::NAME`]).
    pub name: &'static str,
    /// [`replay`] for this engine.
    pub replay: fn(&Trace) -> Result<Outcome>,
    /// [`merge`] for this engine.
    pub merge: fn(usize, u64) -> Result<Outcome>,
    /// [`persistence`] for this engine.
    pub persistence: fn(&Trace, usize) -> Result<Persistence>,
}

impl Runner {
    /// The runner of engine `E`.
    pub fn of<E: Engine>() -> Runner {
        Runner {
            name: E::NAME,
            replay: replay::<E>,
            merge: merge::<E>,
            persistence: persistence::<E>,
        }
    }
}

/// Every engine: dagsync first (the others are reported relative to it), then
/// diamond-types and (with the default `loro` feature) Loro.
pub fn runners() -> Vec<Runner> {
    use crate::engines::{Dagsync, DiamondTypes};
    vec![
        Runner::of::<Dagsync>(),
        Runner::of::<DiamondTypes>(),
        #[cfg(feature = "loro")]
        Runner::of::<crate::engines::Loro>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::Dagsync;

    #[test]
    fn first_difference_counts_chars() {
        assert_eq!(first_difference("héllo", "héllo"), 5);
        assert_eq!(first_difference("héllo", "hé"), 2);
        assert_eq!(first_difference("hé", "héllo"), 2);
        assert_eq!(first_difference("héxlo", "héllo"), 2);
    }

    #[test]
    fn every_engine_merges_to_the_same_length() {
        // Engines may order concurrent inserts differently, but the merged length is fixed
        // (each replica's local edits do not depend on the engine).
        let lengths: Vec<usize> = runners()
            .iter()
            .map(|r| (r.merge)(300, 7).unwrap().text.chars().count())
            .collect();
        let base = MERGE_BASE.chars().count();
        assert!(
            lengths.iter().all(|&n| n == lengths[0] && n > base),
            "{lengths:?}"
        );
    }

    /// A prefix of friendsforever (the whole trace takes a minute in a debug build; `bench`
    /// replays all of it): every engine must produce the same text, since no two agents
    /// insert concurrently at one position.
    #[test]
    fn every_engine_replays_a_concurrent_trace_alike() {
        let mut trace = dagsync_traces::load(dagsync_traces::named("friendsforever")).unwrap();
        trace.txns.truncate(3_000);
        let dagsync = replay::<Dagsync>(&trace).unwrap().text;
        assert!(dagsync.chars().count() > 100);
        for runner in &runners()[1..] {
            assert_eq!(
                (runner.replay)(&trace).unwrap().text,
                dagsync,
                "{}",
                runner.name
            );
        }
    }

    /// The first `txns` transactions of automerge-paper, with `endContent` set to the text
    /// they produce (replayed on a plain `String`).
    fn automerge_paper_prefix(txns: usize) -> Trace {
        let mut trace = dagsync_traces::load(dagsync_traces::named("automerge-paper")).unwrap();
        trace.txns.truncate(txns);
        let mut text: Vec<char> = trace.start_content.chars().collect();
        for patch in trace.txns.iter().flat_map(|t| &t.patches) {
            text.splice(patch.pos..patch.pos + patch.del, patch.ins.chars());
        }
        trace.end_content = text.into_iter().collect();
        trace
    }

    /// Saves, loads, exports and imports the prefix's document with engine `E`; each copy must
    /// show the original text and accept a further edit.
    fn round_trip<E: Engine>(trace: &Trace) {
        let mut doc = build_sequential::<E>(trace).unwrap();
        let text = E::text(&mut doc);
        assert_eq!(text, trace.end_content, "{}: replay", E::NAME);

        let saved = E::save(&mut doc).unwrap();
        let mut loaded = E::open(E::load(&saved, 1).unwrap()).unwrap();
        assert_eq!(E::text(&mut loaded), text, "{}: save + load", E::NAME);
        E::insert(&mut loaded, 0, "!").unwrap();
        E::commit(&mut loaded);
        assert_eq!(
            E::text(&mut loaded),
            format!("!{text}"),
            "{}: edit after load",
            E::NAME
        );

        let exported = E::export_all(&mut doc).unwrap();
        let mut imported = E::import_all(&exported, 2).unwrap();
        assert_eq!(E::text(&mut imported), text, "{}: export + import", E::NAME);
        E::delete(&mut imported, 0, 1).unwrap();
        E::commit(&mut imported);
        assert_eq!(
            E::text(&mut imported),
            text.chars().skip(1).collect::<String>(),
            "{}: edit after import",
            E::NAME
        );

        // Garbage is an error, never a silent empty document.
        assert!(E::load(b"not a document", 1).is_err(), "{}: load", E::NAME);
        assert!(
            E::import_all(b"not an update", 1).is_err(),
            "{}: import",
            E::NAME
        );
    }

    #[test]
    fn every_engine_round_trips_save_load_and_export_import() {
        let trace = automerge_paper_prefix(2_000);
        assert!(trace.end_content.chars().count() > 100);
        round_trip::<Dagsync>(&trace);
        round_trip::<crate::engines::DiamondTypes>(&trace);
        #[cfg(feature = "loro")]
        round_trip::<crate::engines::Loro>(&trace);
    }

    #[test]
    fn persistence_checks_the_text_of_every_copy() {
        let mut trace = automerge_paper_prefix(1_000);
        for runner in runners() {
            let p = (runner.persistence)(&trace, 1).unwrap();
            assert!(p.saved > 0 && p.exported > 0, "{}: {p:?}", runner.name);
        }
        // A wrong endContent is an error for every engine, not a pass.
        trace.end_content.push('x');
        for runner in runners() {
            assert!((runner.persistence)(&trace, 1).is_err(), "{}", runner.name);
        }
    }

    #[test]
    fn bad_positions_are_errors_not_panics() {
        let trace = Trace {
            kind: Kind::Sequential,
            num_agents: 1,
            start_content: String::new(),
            end_content: String::new(),
            txns: vec![dagsync_traces::Txn {
                patches: vec![Patch {
                    pos: 3,
                    del: 0,
                    ins: "x".to_owned(),
                }],
                parents: Vec::new(),
                agent: 0,
                num_children: 0,
                time: String::new(),
            }],
        };
        for runner in runners() {
            assert!((runner.replay)(&trace).is_err(), "{}", runner.name);
        }
    }
}

//! Replays of real editing traces: every patch its own transaction, the result must be
//! exactly the trace's final text.

#![allow(clippy::unwrap_used)] // a test fails loudly on purpose

use dagsync::clock::VersionVector;
use dagsync::{ActorId, Doc};

fn replay_sequential(name: &str) {
    let trace = dagsync_traces::load(dagsync_traces::named(name)).unwrap();
    let mut doc = Doc::new(ActorId([1; 32]));
    for txn in &trace.txns {
        for dagsync_traces::Patch { pos, del, ins } in &txn.patches {
            let mut text = doc.get_text("text");
            if *del > 0 {
                text.delete(*pos, *del).unwrap();
            }
            if !ins.is_empty() {
                text.insert(*pos, ins).unwrap();
            }
            doc.commit(None);
        }
    }
    assert_eq!(doc.get_text("text").to_string(), trace.end_content);
    // The saved history reproduces it too.
    let loaded = Doc::load(&doc.save(), ActorId([2; 32])).unwrap();
    assert_eq!(loaded.to_json(), doc.to_json());
}

#[test]
fn automerge_paper() {
    replay_sequential("automerge-paper");
}

#[test]
fn seph_blog1() {
    replay_sequential("seph-blog1");
}

/// The concurrent trace: one replica per agent; before each transaction its agent's replica is
/// brought to exactly the state of the transaction's parents, then the patches are applied.
#[test]
fn friendsforever_concurrent() {
    let trace = dagsync_traces::load(dagsync_traces::named("friendsforever")).unwrap();
    assert_eq!(trace.kind, dagsync_traces::Kind::Concurrent);
    let mut replicas: Vec<Doc> = (0..trace.num_agents)
        .map(|a| Doc::new(ActorId([a as u8 + 1; 32])))
        .collect();
    // Every change made so far, by author and seq, and each transaction's resulting version.
    let mut store: std::collections::HashMap<(ActorId, u64), dagsync::Change> = Default::default();
    let mut versions: Vec<VersionVector> = Vec::with_capacity(trace.txns.len());
    for txn in &trace.txns {
        let doc = &mut replicas[txn.agent];
        let mut target = VersionVector::new();
        for &p in &txn.parents {
            target.merge(&versions[p]);
        }
        let mut needed: Vec<dagsync::Change> = Vec::new();
        for (actor, seq) in target.iter() {
            for s in doc.version().get(actor) + 1..=seq {
                needed.push(store[&(*actor, s)].clone());
            }
        }
        let report = doc.apply_changes(needed).unwrap();
        assert_eq!(report.pending, 0);
        assert_eq!(
            doc.version(),
            &target,
            "replica is at exactly the parents' version"
        );
        for dagsync_traces::Patch { pos, del, ins } in &txn.patches {
            let mut text = doc.get_text("text");
            if *del > 0 {
                text.delete(*pos, *del).unwrap();
            }
            if !ins.is_empty() {
                text.insert(*pos, ins).unwrap();
            }
        }
        if let Some(id) = doc.commit(None) {
            let change = doc.get_change(&id).unwrap();
            store.insert((change.actor, change.seq), change);
        }
        versions.push(doc.version().clone());
    }
    // Merge everything everywhere: every replica ends with the final text.
    let all: Vec<dagsync::Change> = store.values().cloned().collect();
    for doc in &mut replicas {
        doc.apply_changes(all.clone()).unwrap();
        assert_eq!(doc.get_text("text").to_string(), trace.end_content);
    }
}

//! Time travel: views at recorded heads show exactly the past text, and branching at past
//! versions reproduces a concurrent trace.

#![allow(clippy::unwrap_used)] // a test fails loudly on purpose

use dagsync::{ActorId, ChangeHash, Doc};

/// Every 1,000 edits of automerge-paper, record the heads and the text; afterwards
/// `view(heads)` at each must show exactly that text.
#[test]
fn views_at_recorded_heads_match_the_replay() {
    let step = 1_000;
    let trace = dagsync_traces::load(dagsync_traces::named("automerge-paper")).unwrap();
    let mut doc = Doc::new(ActorId([1; 32]));
    let mut checkpoints: Vec<(Vec<ChangeHash>, String)> = Vec::new();
    for (i, p) in trace.txns.iter().flat_map(|t| &t.patches).enumerate() {
        let mut text = doc.get_text("text");
        if p.del > 0 {
            text.delete(p.pos, p.del).unwrap();
        }
        if !p.ins.is_empty() {
            text.insert(p.pos, &p.ins).unwrap();
        }
        doc.commit(None);
        if (i + 1) % step == 0 {
            let heads = doc.heads();
            checkpoints.push((heads, doc.get_text("text").to_string()));
        }
    }
    assert_eq!(
        checkpoints.len(),
        trace.txns.iter().map(|t| t.patches.len()).sum::<usize>() / step
    );
    for (heads, expected) in &checkpoints {
        let mut view = doc.view(heads).unwrap();
        assert_eq!(&view.get_text("text").to_string(), expected);
        assert!(view.is_read_only());
        assert!(view.get_text("text").insert(0, "x").is_err());
        assert_eq!(&view.heads(), heads);
    }
}

/// friendsforever replayed with `fork_at`: each transaction starts from a branch at exactly
/// its parents' heads.
#[test]
fn concurrent_trace_replays_with_fork_at() {
    let trace = dagsync_traces::load(dagsync_traces::named("friendsforever")).unwrap();
    let mut all = Doc::new(ActorId([100; 32]));
    let mut txn_heads: Vec<Vec<ChangeHash>> = Vec::with_capacity(trace.txns.len());
    for txn in &trace.txns {
        let actor = ActorId([txn.agent as u8 + 1; 32]);
        let mut parents: Vec<ChangeHash> = txn
            .parents
            .iter()
            .flat_map(|&p| txn_heads[p].iter().copied())
            .collect();
        parents.sort();
        parents.dedup();
        let mut branch = all.fork_at(&parents, actor).unwrap();
        for p in &txn.patches {
            let mut text = branch.get_text("text");
            if p.del > 0 {
                text.delete(p.pos, p.del).unwrap();
            }
            if !p.ins.is_empty() {
                text.insert(p.pos, &p.ins).unwrap();
            }
        }
        branch.commit(None);
        all.merge(&mut branch).unwrap();
        txn_heads.push(branch.heads());
    }
    assert_eq!(all.get_text("text").to_string(), trace.end_content);
}

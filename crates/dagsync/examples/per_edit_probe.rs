//! The JS B4 "per edit" workload natively: the automerge-paper trace with one commit, sealed
//! (the JS `commit()` returns the change's hash), and one unsigned local update export per edit
//! (as `subscribeLocalUpdates` delivers them).
//!
//!     cargo run --profile bench-native -p dagsync --example per_edit_probe [-- EDITS]

use std::time::Instant;

use dagsync::{ActorId, Doc, Identity};

fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn main() {
    let limit: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let trace = dagsync_traces::load(dagsync_traces::named("automerge-paper")).expect("trace");
    let mut doc = Doc::with_identity(Identity::from_secret_key([1; 32]));
    // A wall clock, as the JS binding's `Date.now()`: the saved size depends on timestamps.
    doc.set_time_source(wall_clock_ms);
    let actor = doc.actor();
    let events = std::rc::Rc::new(std::cell::Cell::new(0usize));
    if std::env::args().any(|a| a == "--subscribe") {
        let seen = std::rc::Rc::clone(&events);
        doc.subscribe(move |e| seen.set(seen.get() + e.patches.len()));
    }
    let mut sent = 0u64;
    let mut update_bytes = 0usize;
    let start = Instant::now();
    let mut edits = 0;
    for txn in trace.txns.iter().take(limit) {
        for patch in &txn.patches {
            let mut text = doc.get_text("text");
            if patch.del > 0 {
                text.delete(patch.pos, patch.del).expect("delete");
            }
            if !patch.ins.is_empty() {
                text.insert(patch.pos, &patch.ins).expect("insert");
            }
        }
        doc.commit(None);
        doc.heads();
        update_bytes += doc.export_local_unsigned(sent).len();
        sent = doc.version().get(&actor);
        edits += 1;
    }
    let elapsed = start.elapsed();
    println!(
        "{edits} edits: {:.0} ms ({:.1} µs/edit), {update_bytes} B of updates",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / edits as f64
    );
    let bytes = doc.save();
    let start = Instant::now();
    let loaded = Doc::load(&bytes, ActorId([2; 32])).expect("load");
    println!(
        "saved {} B, load {:.0} ms",
        bytes.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    drop(loaded);
}

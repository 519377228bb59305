//! Quick probe: saved size and load time of a trace document.
#![allow(clippy::unwrap_used, missing_docs)]
use dagsync::{ActorId, Doc};
use std::time::Instant;

fn main() {
    if let Ok(path) = std::env::var("LOAD_FROM") {
        let bytes = std::fs::read(path).unwrap();
        let loops: usize = std::env::var("LOOPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        let mut best = std::time::Duration::MAX;
        for _ in 0..loops {
            let t = Instant::now();
            let doc = Doc::load(&bytes, ActorId([2; 32])).unwrap();
            best = best.min(t.elapsed());
            assert!(doc.change_count() > 0);
        }
        println!("load min {best:?}");
        return;
    }
    let name = std::env::args().nth(1).unwrap_or("automerge-paper".into());
    let trace = dagsync_traces::load(dagsync_traces::named(&name)).unwrap();
    let mut doc = Doc::new(ActorId([1; 32]));
    for p in trace.txns.iter().flat_map(|t| &t.patches) {
        let mut text = doc.get_text("text");
        if p.del > 0 {
            text.delete(p.pos, p.del).unwrap();
        }
        if !p.ins.is_empty() {
            text.insert(p.pos, &p.ins).unwrap();
        }
        doc.commit(None);
    }
    let t = Instant::now();
    count(&mut doc);
    let bytes = doc.save();
    println!("save {:?} size {}", t.elapsed(), bytes.len());
    if let Ok(path) = std::env::var("SAVE_TO") {
        std::fs::write(path, &bytes).unwrap();
    }
    let loops: usize = std::env::var("LOOPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let mut best = std::time::Duration::MAX;
    for _ in 0..loops {
        let t = Instant::now();
        let loaded = Doc::load(&bytes, ActorId([2; 32])).unwrap();
        best = best.min(t.elapsed());
        drop(loaded);
    }
    println!("load min {best:?}");
    let mut best = std::time::Duration::MAX;
    for _ in 0..loops.min(5) {
        let t = Instant::now();
        let ex = doc.export_changes(&Default::default());
        let mut other = Doc::new(ActorId([3; 32]));
        other.import_changes(&ex).unwrap();
        best = best.min(t.elapsed());
    }
    println!("export+import min {best:?}");
    let t = Instant::now();
    let ex = doc.export_changes(&Default::default());
    let mut other = Doc::new(ActorId([3; 32]));
    other.import_changes(&ex).unwrap();
    println!("export+import {:?}", t.elapsed());
    assert_eq!(other.get_text("text").to_string(), trace.end_content);
}
#[allow(dead_code)]
fn count(doc: &mut Doc) {
    let changes = doc.changes_since(&Default::default());
    let ops: usize = changes.iter().map(|c| c.ops.len()).sum();
    let ins = changes
        .iter()
        .flat_map(|c| &c.ops)
        .filter(|o| matches!(o.action, dagsync::OpAction::Insert { .. }))
        .count();
    println!("changes {} ops {} inserts {}", changes.len(), ops, ins);
}

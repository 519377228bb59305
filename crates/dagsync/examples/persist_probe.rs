//! Quick probe: saved size and load time of a trace document.
#![allow(clippy::unwrap_used, missing_docs)]
use dagsync::{ActorId, Doc};
use std::time::Instant;

fn main() {
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
    for _ in 0..std::env::var("LOOPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
    {
        let t = Instant::now();
        let loaded = Doc::load(&bytes, ActorId([2; 32])).unwrap();
        println!("load {:?}", t.elapsed());
        drop(loaded);
    }
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

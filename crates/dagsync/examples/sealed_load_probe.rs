//! Where the time of loading a document of many small sealed changes goes (the JS B1.1 case:
//! 6,000 one-character appends, each committed and sealed).
//!
//!     cargo run --release -p dagsync --example sealed_load_probe

use std::time::Instant;

use dagsync::{ActorId, Doc, Identity};

fn main() {
    let n = 6_000;
    let mut doc = Doc::with_identity(Identity::from_secret_key([1; 32]));
    if std::env::args().any(|a| a == "--clock") {
        doc.set_time_source(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(0, |d| d.as_millis() as u64)
        });
    }
    for i in 0..n {
        doc.get_text("text").insert(i, "a").expect("insert");
        doc.commit(None);
        doc.heads();
    }
    let bytes = doc.save();
    let history = doc.history();
    let times: Vec<_> = history.iter().take(5).map(|e| e.time).collect();
    println!("{} changes; first times {times:?}", history.len());
    println!(
        "{n} sealed changes: {} B saved ({:.1} B/change)",
        bytes.len(),
        bytes.len() as f64 / n as f64
    );
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let start = Instant::now();
    for _ in 0..runs {
        let mut loaded = Doc::load(&bytes, ActorId([2; 32])).expect("load");
        assert_eq!(loaded.get_text("text").len(), n);
    }
    println!(
        "load: {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
}

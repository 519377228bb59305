//! Shows what each decoder makes of a file, in every way the fuzz targets feed it:
//! `cargo run --example inspect -- FILE`.
#![allow(clippy::unwrap_used)]

use dagsync::clock::VersionVector;
use dagsync::{ActorId, Change, Doc};
use dagsync_decode_fuzz::{base_doc, state, variants, CHANGE, CHANGES, DOCUMENT};

fn main() {
    let path = std::env::args().nth(1).expect("a file");
    let data = std::fs::read(path).unwrap();
    for (kind, name) in [(DOCUMENT, "load"), (CHANGES, "import"), (CHANGE, "change")] {
        for v in variants(kind, &data) {
            let result = match kind {
                DOCUMENT => Doc::load(&v.bytes, ActorId([1; 32])).map(|mut d| {
                    let changes = d.changes_since(&VersionVector::new());
                    format!("{}\n{changes:#?}", state(&d))
                }),
                CHANGES => {
                    let mut empty = Doc::new(ActorId([1; 32]));
                    let mut base = base_doc();
                    let a = empty
                        .import_changes(&v.bytes)
                        .map(|r| format!("{r:?} {}", state(&empty)));
                    let b = base
                        .import_changes(&v.bytes)
                        .map(|r| format!("{r:?} {}", state(&base)));
                    Ok(format!("into empty: {a:?}\n  into base: {b:?}"))
                }
                _ => Change::from_bytes(&v.bytes).map(|c| format!("{c:#?}")),
            };
            println!(
                "== {name} ({}): {}",
                v.name,
                match result {
                    Ok(s) => s,
                    Err(e) => format!("Err({e:?})"),
                }
            );
        }
    }
}

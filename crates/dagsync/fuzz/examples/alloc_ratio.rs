//! Measures the peak allocation of every decoder per input byte.
//!
//! `cargo run --release --example alloc_ratio -- DIR...` decodes every file of the given
//! directories (e.g. a fuzzing corpus) the way the fuzz targets do, and prints the worst
//! peak-bytes-per-input-byte ratios. Without arguments it measures hand-built worst cases;
//! `--write-regressions DIR` writes the hand-built inputs kept as regression tests.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use dagsync::clock::{Hlc, OpId};
use dagsync::{
    ActorId, Change, ContainerId, ContainerKind, Doc, InsertContent, Op, OpAction, Value,
};
use dagsync_decode_fuzz::{
    alloc_bound, frame_stored, measure, variants, CHANGE, CHANGES, DOCUMENT,
};

struct Row {
    what: String,
    len: usize,
    peak: usize,
    ok: bool,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.peak as f64 / self.len.max(1) as f64
    }
}

fn decode_all(label: &str, data: &[u8], rows: &mut Vec<Row>) {
    for (decoder, kind) in [("load", DOCUMENT), ("import", CHANGES), ("change", CHANGE)] {
        for v in variants(kind, data) {
            let bytes = &v.bytes;
            let (ok, peak) = match decoder {
                "load" => measure(|| Doc::load(bytes, ActorId([1; 32])).is_ok()),
                "import" => measure(|| {
                    let mut doc = Doc::new(ActorId([1; 32]));
                    doc.import_changes(bytes).is_ok()
                }),
                _ => measure(|| Change::from_bytes(bytes).is_ok()),
            };
            rows.push(Row {
                what: format!("{decoder} ({}) {label}", v.name),
                len: bytes.len(),
                peak,
                ok,
            });
        }
    }
}

/// One change of `ops` counter increments on a root counter whose name is `name_len` bytes.
fn long_name_change(name_len: usize, ops: usize) -> Change {
    let container = ContainerId::Root {
        name: "n".repeat(name_len),
        kind: ContainerKind::Counter,
    };
    Change {
        actor: ActorId([1; 32]),
        seq: 1,
        deps: vec![],
        start_op: 1,
        time: Hlc {
            millis: 0,
            logical: 0,
            actor: ActorId([1; 32]),
        },
        message: None,
        ops: (0..ops)
            .map(|_| Op {
                container: container.clone(),
                action: OpAction::CounterAdd { delta: 1 },
            })
            .collect(),
        signature: None,
    }
}

/// One change typing `chars` characters one op each (the densest ops there are).
fn keystrokes_change(chars: usize) -> Change {
    let container = ContainerId::Root {
        name: "t".to_owned(),
        kind: ContainerKind::Text,
    };
    let mut change = long_name_change(0, 0);
    change.ops = (0..chars as u64)
        .map(|i| Op {
            container: container.clone(),
            action: OpAction::Insert {
                origin_left: (i > 0).then(|| OpId::new(i, ActorId([1; 32]))),
                origin_right: None,
                content: InsertContent::Text("a".to_owned()),
            },
        })
        .collect();
    change
}

/// One change adding to a set a value that is an array of `n` one-entry objects (the
/// smallest encoding of a `BTreeMap`, whose node allocation is large).
fn objects_change(n: usize) -> Change {
    let container = ContainerId::Root {
        name: "s".to_owned(),
        kind: ContainerKind::Set,
    };
    let object = Value::Object(BTreeMap::from([("a".to_owned(), Value::Null)]));
    let mut change = long_name_change(0, 0);
    change.ops = vec![Op {
        container,
        action: OpAction::SetAdd {
            value: Value::Array(vec![object; n]),
        },
    }];
    change
}

/// `chunk` re-framed with its body deflated and padded so that the body is exactly the
/// decoder's expansion limit (16 x compressed + 1024): the most a compressed chunk can hold.
fn max_expansion(chunk: &[u8]) -> Vec<u8> {
    let content = &chunk[6..chunk.len() - 4];
    let inflated;
    let body = match content[0] {
        0 => &content[1..],
        _ => {
            // A deflated body: skip its length varint, inflate the rest.
            let start = 1 + content[1..].iter().position(|b| b & 0x80 == 0).unwrap() + 1;
            inflated = miniz_oxide::inflate::decompress_to_vec(&content[start..]).unwrap();
            &inflated[..]
        }
    };
    let mut data = miniz_oxide::deflate::compress_to_vec(body, 10);
    // Deflate data ends at its final block; the inflater ignores what follows.
    let target = body.len().saturating_sub(1024).div_ceil(16);
    if data.len() < target {
        data.resize(target, 0);
    }
    let mut out = chunk[..6].to_vec();
    out.push(1);
    let mut n = body.len() as u64;
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(&data);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A batch body declaring `n` changes (as many as its op-count and start-op columns
/// have bytes) and nothing else: the decoder reserves room for `n` changes before it fails.
fn preallocating_body(n: usize, columns: &[usize]) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut body = vec![1];
    body.extend_from_slice(&[7; 32]); // one actor
    body.extend_from_slice(&[0, 0, 0]); // no external deps, claims, containers
    varint(&mut body, n as u64);
    for column in 0..20 {
        if columns.contains(&column) {
            varint(&mut body, n as u64);
            body.resize(body.len() + n, 0);
        } else {
            body.push(0);
        }
    }
    body
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = args.as_slice() {
        if flag == "--write-regressions" {
            // A 2000-byte root name named by 2000 ops: 4 MB of name copies from 6 KB.
            let chunk = long_name_change(2000, 2000).to_bytes();
            let path = PathBuf::from(dir).join("long-root-name-many-ops.chunk");
            std::fs::write(&path, chunk).unwrap();
            println!("wrote {}", path.display());
            // 4000 changes declared, backed only by the op-count column: the decoder used to
            // reserve 4000 changes (240 bytes each) before failing; a 60 KB body, 16.8 MB.
            let chunk = frame_stored(CHANGE, &preallocating_body(4000, &[12]));
            let path = PathBuf::from(dir).join("change-count-reservation.chunk");
            std::fs::write(&path, chunk).unwrap();
            println!("wrote {}", path.display());
            return;
        }
    }
    let dirs: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
    let mut rows = Vec::new();
    if dirs.is_empty() {
        let cases = [
            ("long-name 1000x1000", long_name_change(1000, 1000)),
            ("long-name 4000x4000", long_name_change(4000, 4000)),
            ("long-name 16000x8000", long_name_change(16_000, 8000)),
            ("keystrokes 8000", keystrokes_change(8000)),
            ("objects 4000", objects_change(4000)),
        ];
        for (name, change) in cases {
            let chunk = change.to_bytes();
            let (result, peak) = measure(|| Change::from_bytes(&chunk).map(drop));
            rows.push(Row {
                what: format!("{name} Change::from_bytes {result:?}"),
                len: chunk.len(),
                peak,
                ok: result.is_ok(),
            });
            let squeezed = max_expansion(&chunk);
            let (result, peak) = measure(|| Change::from_bytes(&squeezed).map(drop));
            rows.push(Row {
                what: format!("{name} Change::from_bytes, 16x deflate {result:?}"),
                len: squeezed.len(),
                peak,
                ok: result.is_ok(),
            });
            let mut doc = Doc::new(ActorId([2; 32]));
            doc.apply_changes([change]).unwrap();
            let saved = doc.save();
            let (result, peak) = measure(|| Doc::load(&saved, ActorId([3; 32])).map(drop));
            rows.push(Row {
                what: format!("{name} Doc::load {result:?}"),
                len: saved.len(),
                peak,
                ok: result.is_ok(),
            });
            if saved[6] == 0 {
                let squeezed = max_expansion(&saved);
                let (result, peak) = measure(|| Doc::load(&squeezed, ActorId([3; 32])).map(drop));
                rows.push(Row {
                    what: format!("{name} Doc::load, 16x deflate {result:?}"),
                    len: squeezed.len(),
                    peak,
                    ok: result.is_ok(),
                });
            }
        }
        let body = preallocating_body(20_000, &[4, 5, 12]);
        for (kind, name) in [(CHANGE, "change"), (DOCUMENT, "load"), (CHANGES, "import")] {
            for v in variants(kind, &body) {
                if v.name == "raw" || v.name == "raw-deflate" {
                    continue;
                }
                let bytes = &v.bytes;
                let (result, peak) = measure(|| match kind {
                    CHANGE => Change::from_bytes(bytes).map(drop),
                    DOCUMENT => Doc::load(bytes, ActorId([1; 32])).map(drop),
                    _ => Doc::new(ActorId([1; 32])).import_changes(bytes).map(drop),
                });
                rows.push(Row {
                    what: format!("20000-change reservation {name} ({}) {result:?}", v.name),
                    len: bytes.len(),
                    peak,
                    ok: result.is_ok(),
                });
            }
        }
    } else {
        for dir in &dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                decode_all(&path.display().to_string(), &data, &mut rows);
            }
        }
    }
    println!(
        "sizes: Change {} B, Op {} B, OpAction {} B, ContainerId {} B, NewItem {} B, Value {} B",
        std::mem::size_of::<Change>(),
        std::mem::size_of::<Op>(),
        std::mem::size_of::<OpAction>(),
        std::mem::size_of::<ContainerId>(),
        std::mem::size_of::<dagsync::NewItem>(),
        std::mem::size_of::<Value>(),
    );
    let mut ok_counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let key = r.what.split(')').next().unwrap_or_default().to_owned() + ")";
        let entry = ok_counts.entry(key).or_default();
        entry.0 += usize::from(r.ok);
        entry.1 += 1;
    }
    if !dirs.is_empty() {
        for (key, (ok, all)) in &ok_counts {
            println!("  {key}: {ok} of {all} decode Ok");
        }
    }
    let over: Vec<&Row> = rows
        .iter()
        .filter(|r| r.peak > alloc_bound(r.len))
        .collect();
    println!(
        "{} decodes, {} over the bound (256 x len + 1 MiB)",
        rows.len(),
        over.len()
    );
    rows.sort_by(|a, b| b.ratio().total_cmp(&a.ratio()));
    println!("worst ratios, inputs of at least 1 KiB:");
    for r in rows.iter().filter(|r| r.len >= 1024).take(16) {
        println!(
            "  {:>8.1} B/B  peak {:>11} B  input {:>7} B  {}",
            r.ratio(),
            r.peak,
            r.len,
            r.what
        );
    }
    println!("worst ratios, all inputs:");
    for r in rows.iter().take(5) {
        println!(
            "  {:>8.1} B/B  peak {:>11} B  input {:>7} B  {}",
            r.ratio(),
            r.peak,
            r.len,
            r.what
        );
    }
    if let Some(max) = rows.iter().max_by_key(|r| r.peak) {
        println!(
            "largest peak: {} B for {} input bytes ({})",
            max.peak, max.len, max.what
        );
    }
}

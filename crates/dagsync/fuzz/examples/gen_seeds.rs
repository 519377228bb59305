//! Writes the seed corpora: real documents, change batches and single changes, each both as
//! a whole chunk (`seed-NAME.chunk`, for the raw-input path) and as its bare body
//! (`seed-NAME.body`, for the paths that frame the input with a valid checksum).
//!
//! `cargo run --example gen_seeds -- corpus` (from crates/dagsync/fuzz).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dagsync::auth::{DocumentKey, Role};
use dagsync::clock::VersionVector;
use dagsync::{ActorId, Change, ContainerKind, Doc, Identity, NewItem, Signature, Value};
use dagsync_decode_fuzz::{base_doc, build_base_doc};

fn actor(n: u8) -> ActorId {
    ActorId([n; 32])
}

fn now() -> u64 {
    1_700_000_000_000
}

fn doc(n: u8) -> Doc {
    let mut d = Doc::new(actor(n));
    d.set_time_source(now);
    d
}

/// The body of a chunk: between the 7-byte header and the CRC-32, inflated if compressed.
fn body(chunk: &[u8]) -> Vec<u8> {
    let content = &chunk[6..chunk.len() - 4];
    match content[0] {
        0 => content[1..].to_vec(),
        _ => {
            let mut i = 1;
            while content[i] & 0x80 != 0 {
                i += 1;
            }
            miniz_oxide::inflate::decompress_to_vec(&content[i + 1..]).unwrap()
        }
    }
}

struct Out {
    dir: PathBuf,
}

impl Out {
    fn write(&self, target: &str, name: &str, chunk: &[u8]) {
        let dir = self.dir.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            chunk.len() < 20_000,
            "{target}/{name}: {} bytes",
            chunk.len()
        );
        std::fs::write(dir.join(format!("seed-{name}.chunk")), chunk).unwrap();
        std::fs::write(dir.join(format!("seed-{name}.body")), body(chunk)).unwrap();
    }

    fn document(&self, name: &str, doc: &mut Doc) {
        let bytes = doc.save();
        Doc::load(&bytes, actor(0xee)).unwrap();
        self.write("load_document", name, &bytes);
    }

    fn changes(&self, name: &str, bytes: &[u8]) {
        self.write("import_changes", name, bytes);
    }

    fn change(&self, name: &str, change: &Change) {
        let bytes = change.to_bytes();
        assert_eq!(&Change::from_bytes(&bytes).unwrap(), change);
        self.write("decode_change", name, &bytes);
    }
}

fn text_edits() -> Doc {
    let mut d = doc(1);
    let mut t = d.get_text("text");
    t.insert(0, "Hello").unwrap();
    d.commit(Some("first"));
    let mut t = d.get_text("text");
    t.insert(5, ", world!").unwrap();
    t.delete(0, 1).unwrap();
    t.insert(0, "h").unwrap();
    d.commit(None);
    d.get_text("text").insert(3, "ü日本😀").unwrap();
    d.get_text("text").delete_utf16(3, 2).unwrap();
    d.commit(None);
    d
}

fn all_values() -> Doc {
    let mut d = doc(2);
    let mut m = d.get_map("values");
    m.set("null", Value::Null).unwrap();
    m.set("true", true).unwrap();
    m.set("false", false).unwrap();
    m.set("f64", -0.25).unwrap();
    m.set("nan", f64::NAN).unwrap();
    m.set("i64", i64::MIN).unwrap();
    m.set("str", "ünïcødé").unwrap();
    m.set("bytes", vec![0u8, 1, 255]).unwrap();
    m.set(
        "array",
        Value::Array(vec![Value::I64(1), Value::Str("two".into()), Value::Null]),
    )
    .unwrap();
    let mut obj = BTreeMap::new();
    obj.insert("a".to_owned(), Value::Bool(true));
    obj.insert(
        "b".to_owned(),
        Value::Object(BTreeMap::from([("c".to_owned(), Value::F64(3.0))])),
    );
    m.set("object", Value::Object(obj)).unwrap();
    d.commit(None);
    d.get_map("values").delete("null").unwrap();
    d.get_map("values").set("str", "overwritten").unwrap();
    d.commit(None);
    d
}

fn lists_and_nesting() -> Doc {
    let mut d = doc(3);
    let mut l = d.get_list("list");
    l.push(1i64).unwrap();
    l.insert_items(
        0,
        vec![
            NewItem::Value("a".into()),
            NewItem::Value(Value::Null),
            NewItem::Container(ContainerKind::Counter),
        ],
    )
    .unwrap();
    let inner = l.insert_container(1, ContainerKind::Map).unwrap();
    l.delete(0, 1).unwrap();
    d.commit(None);
    let mut m = d.map(&inner).unwrap();
    m.set("k", "v").unwrap();
    let text = m.set_container("text", ContainerKind::Text).unwrap();
    let list = m.set_container("list", ContainerKind::List).unwrap();
    d.text(&text).unwrap().insert(0, "nested").unwrap();
    let set = d
        .list(&list)
        .unwrap()
        .insert_container(0, ContainerKind::Set)
        .unwrap();
    d.set(&set).unwrap().add(7i64).unwrap();
    let reg = d
        .list(&list)
        .unwrap()
        .insert_container(1, ContainerKind::Register)
        .unwrap();
    d.register(&reg).unwrap().set("r").unwrap();
    d.commit(None);
    d
}

fn counters_sets_registers() -> Doc {
    let mut d = doc(4);
    d.get_counter("c").increment(10).unwrap();
    d.get_counter("c").decrement(3).unwrap();
    d.get_counter("c").increment(i64::MAX).unwrap();
    d.get_set("s").add("x").unwrap();
    d.get_set("s").add(Value::I64(2)).unwrap();
    d.commit(None);
    d.get_set("s").remove(&Value::from("x")).unwrap();
    d.get_register("r").set(1.5).unwrap();
    let m = d
        .get_register("r")
        .set_container(ContainerKind::Map)
        .unwrap();
    d.map(&m).unwrap().set("in", "register").unwrap();
    d.commit(None);
    d
}

/// Three actors editing the same containers concurrently, then merged.
fn concurrent() -> (Doc, Doc, Doc, VersionVector) {
    let mut a = doc(5);
    a.get_text("t").insert(0, "base").unwrap();
    a.get_map("m").set("k", "a0").unwrap();
    a.get_list("l").push(0i64).unwrap();
    a.commit(None);
    let forked_at = a.version().clone();
    let mut b = a.fork(actor(6));
    let mut c = a.fork(actor(7));
    a.get_text("t").insert(4, " from a").unwrap();
    a.get_map("m").set("k", "a1").unwrap();
    a.get_counter("n").increment(1).unwrap();
    a.commit(None);
    b.get_text("t").insert(0, "b: ").unwrap();
    b.get_map("m").set("k", "b1").unwrap();
    b.get_list("l").delete(0, 1).unwrap();
    b.get_counter("n").increment(2).unwrap();
    b.commit(None);
    c.get_text("t").delete(1, 2).unwrap();
    c.get_map("m").delete("k").unwrap();
    c.get_list("l").insert(0, "c").unwrap();
    c.get_set("s").add("c").unwrap();
    c.commit(None);
    let from_b = b.export_changes(&VersionVector::new());
    let from_c = c.export_changes(&VersionVector::new());
    a.import_changes(&from_b).unwrap();
    a.import_changes(&from_c).unwrap();
    b.import_changes(&a.export_changes(b.version())).unwrap();
    (a, b, c, forked_at)
}

/// A longer keystroke history: its body is large enough to be stored compressed.
fn typing() -> Doc {
    let mut d = doc(8);
    let sentence = "The quick brown fox jumps over the lazy dog. ";
    let mut pos = 0;
    for round in 0..6 {
        for ch in sentence.chars() {
            d.get_text("doc").insert(pos, &ch.to_string()).unwrap();
            pos += 1;
        }
        d.get_text("doc").delete(pos - 5, 3).unwrap();
        pos -= 3;
        d.commit(Some(&format!("round {round}")));
    }
    d
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus".to_owned());
    let out = Out {
        dir: Path::new(&dir).to_path_buf(),
    };

    // Documents.
    out.document("empty", &mut doc(9));
    let mut text = text_edits();
    out.document("text", &mut text);
    let mut values = all_values();
    out.document("values", &mut values);
    let mut lists = lists_and_nesting();
    out.document("nested", &mut lists);
    let mut ccr = counters_sets_registers();
    out.document("counter-set-register", &mut ccr);
    let (mut a, mut b, mut c, forked_at) = concurrent();
    out.document("concurrent-merged", &mut a);
    out.document("concurrent-partial", &mut b);
    let mut typed = typing();
    out.document("typing-compressed", &mut typed);
    let mut base = build_base_doc();
    out.document("base", &mut base);
    for seed in 0..2 {
        let mut fuzzer = dagsync_fuzz::Fuzzer::new(3, 42 + seed);
        fuzzer.run_random(60);
        fuzzer.sync_all();
        out.document(&format!("random-{seed}"), &mut fuzzer.docs[0]);
    }

    // Change batches.
    let all = VersionVector::new();
    out.changes("text", &text.export_changes(&all));
    out.changes("values", &values.export_changes(&all));
    out.changes("nested", &lists.export_changes(&all));
    out.changes("concurrent", &a.export_changes(&all));
    out.changes("typing", &typed.export_changes(&all));
    // Only what `c` made after forking: its dependencies are missing in an empty document.
    out.changes("concurrent-tail", &c.export_changes(&forked_at));
    // Edits on top of the base document (which the target also imports into).
    let mut fork = base_doc();
    let since = fork.version().clone();
    fork.get_text("text").insert(5, ",").unwrap();
    fork.get_map("map").set("title", "edited").unwrap();
    fork.get_list("list").delete(0, 1).unwrap();
    fork.get_counter("counter").decrement(2).unwrap();
    fork.get_set("set").remove(&Value::from("x")).unwrap();
    fork.commit(None);
    fork.get_register("register").set("now set").unwrap();
    fork.commit(None);
    out.changes("on-base", &fork.export_changes(&since));
    out.changes("base-full", &fork.export_changes(&all));
    let mut empty = doc(10);
    out.changes("empty", &empty.export_changes(&all));

    // Single changes.
    let mut named = vec![];
    for (doc_name, d, take) in [
        ("text", &mut text, 2),
        ("values", &mut values, 1),
        ("nested", &mut lists, 2),
        ("ccr", &mut ccr, 1),
    ] {
        for (i, change) in d.changes_since(&all).into_iter().take(take).enumerate() {
            named.push((format!("{doc_name}-{i}"), change));
        }
    }
    // A change with concurrent dependencies (made on `c`, merged into `a`).
    named.push((
        "concurrent".to_owned(),
        c.changes_since(&all).pop().unwrap(),
    ));
    for (name, change) in &named {
        out.change(name, change);
    }
    let mut signed = named[0].1.clone();
    signed.signature = Some(Signature([0x5a; 64]));
    out.change("signed", &signed);
    let last = typed.changes_since(&all).pop().unwrap();
    out.change("typing-last", &last);

    // Signed, restricted and encrypted documents (issue 6).
    let mut owner = Doc::with_identity(Identity::from_secret_key([1; 32]));
    owner.set_time_source(now);
    owner.restrict().unwrap();
    owner
        .grant(&Identity::from_secret_key([2; 32]).actor(), Role::Writer)
        .unwrap();
    owner.get_text("t").insert(0, "restricted").unwrap();
    owner.commit(Some("signed"));
    out.document("restricted", &mut owner);
    out.changes("restricted", &owner.export_changes(&all));
    out.change(
        "genuinely-signed",
        &owner.changes_since(&all).pop().unwrap(),
    );
    let mut secret = Doc::with_identity(Identity::from_secret_key([3; 32]));
    secret.set_time_source(now);
    secret.set_document_key(Some(DocumentKey([9; 32])));
    secret.get_text("t").insert(0, "encrypted").unwrap();
    secret.get_map("m").set("k", 1i64).unwrap();
    secret.commit(Some("sealed"));
    out.document("encrypted", &mut secret);
    out.changes("encrypted", &secret.export_changes(&all));
    out.change("encrypted", &secret.changes_since(&all).pop().unwrap());
}

//! Shared helpers of the dagsync decoder fuzz targets: a counting global allocator, chunk
//! framing (so that fuzz inputs reach the body decoder behind the CRC-32), a fixed base
//! document, and the checks every target runs on what it decoded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use dagsync::clock::VersionVector;
use dagsync::{ActorId, ContainerKind, Doc, Value};

// ---------------------------------------------------------------------------------------
// Allocation accounting
// ---------------------------------------------------------------------------------------

/// Wraps the system allocator, tracking live bytes and their peak.
pub struct CountingAlloc;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Relaxed);
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Runs `f`, returning its result and the peak number of bytes it had allocated at once
/// (counting what it returns). Single-threaded use only.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let result = f();
    let peak = PEAK.load(Relaxed).saturating_sub(base);
    (result, peak)
}

/// Decoding `n` input bytes may allocate at most `ALLOC_FACTOR * n + ALLOC_SLACK` bytes.
pub const ALLOC_FACTOR: usize = 256;
/// See [`ALLOC_FACTOR`].
pub const ALLOC_SLACK: usize = 1 << 20;

/// The allocation bound for an input of `len` bytes.
pub fn alloc_bound(len: usize) -> usize {
    ALLOC_FACTOR * len + ALLOC_SLACK
}

/// Panics (a fuzz crash) if decoding `input_len` bytes peaked above [`alloc_bound`].
pub fn check_alloc(what: &str, input_len: usize, peak: usize) {
    assert!(
        peak <= alloc_bound(input_len),
        "{what}: peak allocation {peak} bytes for {input_len} input bytes \
         ({:.1} bytes per input byte; bound {ALLOC_FACTOR} x len + {ALLOC_SLACK})",
        peak as f64 / input_len.max(1) as f64
    );
}

// ---------------------------------------------------------------------------------------
// Chunk framing (mirrors crates/dagsync/src/encoding/chunk.rs)
// ---------------------------------------------------------------------------------------

/// Chunk type bytes.
pub const CHANGE: u8 = 0x01;
/// See [`CHANGE`].
pub const DOCUMENT: u8 = 0x02;
/// See [`CHANGE`].
pub const CHANGES: u8 = 0x03;

const MAGIC: &[u8; 4] = b"DAGS";
const VERSION: u8 = 3;
/// Largest body the decoder inflates from `n` compressed bytes (`MAX_EXPANSION` 16, slack 1024).
pub fn max_inflated(n: usize) -> usize {
    n * 16 + 1024
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let checksum = crc32fast::hash(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

fn header(kind: u8, flag: u8) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(kind);
    out.push(flag);
    out
}

/// A chunk of type `kind` whose stored (uncompressed) body is `body`, with a valid CRC-32.
pub fn frame_stored(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = header(kind, 0);
    out.extend_from_slice(body);
    seal(out)
}

/// A chunk of type `kind` whose body is `body`, deflate-compressed, with a valid CRC-32.
pub fn frame_deflate(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = header(kind, 1);
    varint(&mut out, body.len() as u64);
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(body, 1));
    seal(out)
}

/// A chunk of type `kind` claiming a deflate body: the first two bytes of `input` are the
/// declared inflated length (LE), the rest is the (usually corrupt) deflate stream.
pub fn frame_raw_deflate(kind: u8, input: &[u8]) -> Option<Vec<u8>> {
    let (len, data) = input.split_first_chunk::<2>()?;
    let mut out = header(kind, 1);
    varint(&mut out, u64::from(u16::from_le_bytes(*len)));
    out.extend_from_slice(data);
    Some(seal(out))
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..10 {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// `body` (a change-batch body) with its claimed head hashes removed, if it has any. The
/// claims act as a second checksum: any mutation of a claimed change changes its hash, so
/// without this almost no mutated change would get past decoding.
pub fn strip_claims(body: &[u8]) -> Option<Vec<u8>> {
    let mut pos = 0;
    let actors = read_varint(body, &mut pos)?;
    pos = pos.checked_add(usize::try_from(actors.checked_mul(32)?).ok()?)?;
    let external = read_varint(body, &mut pos)?;
    pos = pos.checked_add(usize::try_from(external.checked_mul(32)?).ok()?)?;
    let claims_start = pos;
    let claims = read_varint(body, &mut pos)?;
    if claims == 0 {
        return None;
    }
    for _ in 0..claims {
        read_varint(body, &mut pos)?;
        pos = pos.checked_add(32)?;
        if pos > body.len() {
            return None;
        }
    }
    let mut out = body[..claims_start].to_vec();
    out.push(0);
    out.extend_from_slice(&body[pos..]);
    Some(out)
}

/// One way of feeding the fuzz input to a decoder.
pub struct Variant {
    /// What was done to the input.
    pub name: &'static str,
    /// The bytes to decode.
    pub bytes: Vec<u8>,
    /// Whether decoding must give the same result as the stored-body variant (the same
    /// body, compressed, within the decoder's expansion limit).
    pub same_as_stored: bool,
}

/// Every way a target feeds `data` to a decoder of chunk type `kind`: as raw bytes, as a
/// stored body, as a body compressed by us, as a raw deflate stream, and as a stored body
/// without its claimed hashes.
pub fn variants(kind: u8, data: &[u8]) -> Vec<Variant> {
    let compressed = miniz_oxide::deflate::compress_to_vec(data, 1);
    let mut deflate = header(kind, 1);
    varint(&mut deflate, data.len() as u64);
    deflate.extend_from_slice(&compressed);
    let mut out = vec![
        Variant {
            name: "raw",
            bytes: data.to_vec(),
            same_as_stored: false,
        },
        Variant {
            name: "stored",
            bytes: frame_stored(kind, data),
            same_as_stored: true,
        },
        Variant {
            name: "deflate",
            bytes: seal(deflate),
            same_as_stored: data.len() <= max_inflated(compressed.len()),
        },
    ];
    if let Some(bytes) = frame_raw_deflate(kind, data) {
        out.push(Variant {
            name: "raw-deflate",
            bytes,
            same_as_stored: false,
        });
    }
    if let Some(body) = strip_claims(data) {
        out.push(Variant {
            name: "unclaimed",
            bytes: frame_stored(kind, &body),
            same_as_stored: false,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------

/// The actor of the base document.
pub const BASE_ACTOR: ActorId = ActorId([0xba; 32]);
/// The actor of documents loaded by the targets.
pub const LOAD_ACTOR: ActorId = ActorId([0x10; 32]);

/// A small document with content in every kind of container, built deterministically (the
/// seed generator builds on the same document, so change batches exported from its forks
/// apply to it).
#[allow(clippy::unwrap_used)]
pub fn build_base_doc() -> Doc {
    let mut doc = Doc::new(BASE_ACTOR);
    doc.get_text("text").insert(0, "hello world").unwrap();
    doc.commit(Some("text"));
    let mut map = doc.get_map("map");
    map.set("title", "base").unwrap();
    map.set("n", Value::I64(3)).unwrap();
    let nested = map.set_container("nested", ContainerKind::List).unwrap();
    doc.list(&nested).unwrap().push(Value::Bool(true)).unwrap();
    doc.commit(None);
    let mut list = doc.get_list("list");
    list.push("a").unwrap();
    list.push(Value::F64(1.5)).unwrap();
    list.insert_container(2, ContainerKind::Text).unwrap();
    doc.get_counter("counter").increment(5).unwrap();
    doc.get_set("set").add("x").unwrap();
    doc.get_register("register").set(Value::Null).unwrap();
    doc.commit(None);
    doc
}

thread_local! {
    static BASE: RefCell<Doc> = RefCell::new(build_base_doc());
}

/// A fresh copy of [`build_base_doc`] (cheap: a fork of a cached document).
pub fn base_doc() -> Doc {
    BASE.with(|b| b.borrow_mut().fork(LOAD_ACTOR))
}

/// A document's state as a string (JSON text).
pub fn state(doc: &Doc) -> String {
    doc.to_json().to_string()
}

/// Checks a document that was decoded successfully: its snapshot reloads to the same state,
/// its changes re-import into an empty document to the same state, and it accepts a local
/// edit whose snapshot loads again.
pub fn check_decoded_doc(doc: &mut Doc) {
    let json = state(doc);
    let heads = doc.heads();
    let count = doc.change_count();

    let saved = doc.save();
    let mut again = Doc::load(&saved, ActorId([0x20; 32]))
        .unwrap_or_else(|e| panic!("save() of a decoded document does not load: {e}"));
    assert_eq!(state(&again), json, "save/load changed the state");
    assert_eq!(again.heads(), heads, "save/load changed the heads");
    assert_eq!(again.change_count(), count, "save/load changed the history");

    let exported = doc.export_changes(&VersionVector::new());
    let mut fresh = Doc::new(ActorId([0x30; 32]));
    if let Some(genesis) = doc.genesis() {
        // A restricted document's replicas are told its genesis up front.
        fresh
            .restricted_to(genesis)
            .unwrap_or_else(|e| panic!("a new document refuses restricted_to: {e}"));
    }
    let report = fresh
        .import_changes(&exported)
        .unwrap_or_else(|e| panic!("export_changes() of a decoded document does not import: {e}"));
    assert_eq!(
        report.pending, 0,
        "exported history has missing dependencies"
    );
    assert_eq!(state(&fresh), json, "export/import changed the state");

    for change in doc.changes_since(&VersionVector::new()) {
        let bytes = change.to_bytes();
        let back = dagsync::Change::from_bytes(&bytes)
            .unwrap_or_else(|e| panic!("to_bytes() of a decoded change does not decode: {e}"));
        assert_eq!(back, change, "change to_bytes/from_bytes round trip");
    }

    // The decoded state accepts local edits (from an actor allowed to write), and their
    // snapshot loads.
    let mut edited = doc.fork(ActorId([0x40; 32]));
    if edited.role(&edited.actor()).is_none() {
        let refused = edited.get_text("fuzz-edit").insert(0, "x");
        assert_eq!(refused, Err(dagsync::DocError::NotAuthorized));
        assert_eq!(state(&edited), json, "a refused edit changed the state");
        return;
    }
    edited
        .get_text("fuzz-edit")
        .insert(0, "x")
        .unwrap_or_else(|e| panic!("local edit after decoding failed: {e}"));
    edited.commit(None);
    let saved = edited.save();
    if let Err(e) = Doc::load(&saved, ActorId([0x50; 32])) {
        panic!("snapshot after a local edit on a decoded document does not load: {e}");
    }
}

//! Decoding any bytes returns a document or a typed error, never a panic; corruption is caught
//! by the checksum; every encoding round-trips.

#![allow(clippy::unwrap_used)] // a test fails loudly on purpose

use dagsync::clock::VersionVector;
use dagsync::{ActorId, Change, DecodeError, Doc};
use dagsync_fuzz::Fuzzer;
use proptest::prelude::*;

/// A chunk of `kind` around an uncompressed `body`, with a correct checksum: reaches the body
/// decoder, which the checksum would otherwise shield from random bytes.
fn framed(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = b"DAGS".to_vec();
    out.extend([3, kind, 0]);
    out.extend_from_slice(body);
    let crc = crc32fast::hash(&out);
    out.extend(crc.to_le_bytes());
    out
}

/// Runs all three decoders on `bytes`; none may panic.
fn decode_all(bytes: &[u8]) {
    let _ = Doc::load(bytes, ActorId([9; 32]));
    let _ = Doc::new(ActorId([9; 32])).import_changes(bytes);
    let _ = Change::from_bytes(bytes);
}

/// A document with concurrent edits of every container kind by three replicas.
fn random_doc(seed: u64) -> Doc {
    let mut fuzzer = Fuzzer::new(3, seed);
    fuzzer.run_random(60);
    fuzzer.sync_all();
    fuzzer.docs.swap_remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 256 } else { 4096 }))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
        for kind in 1..=3 {
            decode_all(&framed(kind, &bytes));
        }
    }

    #[test]
    fn mutated_bodies_never_panic(seed in 0u64..50, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        // Start from a real body so the mutations reach deep into the decoder.
        let mut doc = random_doc(seed);
        let mut edited = Doc::new(ActorId([7; 32]));
        edited.get_text("t").insert(0, "hello").unwrap();
        edited.commit(None);
        for source in [doc.save(), edited.export_changes(&VersionVector::new())] {
            let kind = source[5];
            let mut body = stored_body(&source);
            for &(at, xor) in &flips {
                if !body.is_empty() {
                    let i = at % body.len();
                    body[i] ^= xor.max(1);
                }
            }
            decode_all(&framed(kind, &body));
        }
    }

    #[test]
    fn any_bit_flip_or_truncation_is_detected(seed in 0u64..50, bit in any::<usize>(), cut in any::<usize>()) {
        let mut doc = random_doc(seed);
        let bytes = doc.save();
        let mut flipped = bytes.clone();
        let bit = bit % (bytes.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(Doc::load(&flipped, ActorId([9; 32])).is_err());
        let cut = cut % bytes.len();
        prop_assert!(Doc::load(&bytes[..cut], ActorId([9; 32])).is_err());
    }

    #[test]
    fn documents_round_trip(seed in 0u64..1000) {
        let mut doc = random_doc(seed);
        let bytes = doc.save();
        let mut loaded = Doc::load(&bytes, ActorId([9; 32])).unwrap();
        prop_assert_eq!(loaded.to_json(), doc.to_json());
        prop_assert_eq!(loaded.heads(), doc.heads());
        prop_assert_eq!(loaded.history(), doc.history());
        // Saving is deterministic: the loaded copy saves to the same bytes.
        prop_assert_eq!(loaded.save(), bytes);

        let mut imported = Doc::new(ActorId([8; 32]));
        let report = imported.import_changes(&doc.export_changes(&VersionVector::new())).unwrap();
        prop_assert_eq!(report.pending, 0);
        prop_assert_eq!(imported.to_json(), doc.to_json());

        for change in doc.changes_since(&VersionVector::new()) {
            let decoded = Change::from_bytes(&change.to_bytes()).unwrap();
            prop_assert_eq!(decoded.hash(), change.hash());
            prop_assert_eq!(decoded, change);
        }
    }
}

/// The body of a chunk, inflated if it was compressed.
fn stored_body(chunk: &[u8]) -> Vec<u8> {
    let data = &chunk[7..chunk.len() - 4];
    match chunk[6] {
        0 => data.to_vec(),
        _ => {
            // Skip the uvarint body length.
            let skip = data.iter().position(|b| b & 0x80 == 0).unwrap() + 1;
            miniz_oxide::inflate::decompress_to_vec(&data[skip..]).unwrap()
        }
    }
}

#[test]
fn partial_exports_import_in_any_order() {
    let mut a = Doc::new(ActorId([1; 32]));
    a.get_text("t").insert(0, "one").unwrap();
    a.commit(Some("first"));
    let v1 = a.version().clone();
    let first = a.export_changes(&VersionVector::new());
    a.get_text("t").insert(3, " two").unwrap();
    a.commit(Some("second"));
    let second = a.export_changes(&v1);

    let mut b = Doc::new(ActorId([2; 32]));
    let report = b.import_changes(&second).unwrap();
    assert_eq!((report.applied, report.pending), (0, 1));
    assert_eq!(b.get_text("t").to_string(), "");
    let report = b.import_changes(&first).unwrap();
    assert_eq!((report.applied, report.pending), (2, 0));
    assert_eq!(b.get_text("t").to_string(), "one two");
    // Importing again is a no-op.
    let report = b.import_changes(&first).unwrap();
    assert_eq!((report.applied, report.pending), (0, 0));
}

#[test]
fn wrong_chunk_types_are_refused() {
    let mut doc = Doc::new(ActorId([1; 32]));
    doc.get_map("m").set("k", 1).unwrap();
    doc.commit(None);
    let snapshot = doc.save();
    let export = doc.export_changes(&VersionVector::new());
    assert_eq!(
        Doc::new(ActorId([2; 32]))
            .import_changes(&snapshot)
            .unwrap_err(),
        DecodeError::WrongChunkType(0x02)
    );
    assert_eq!(
        Doc::load(&export, ActorId([2; 32])).unwrap_err(),
        DecodeError::WrongChunkType(0x03)
    );
    assert_eq!(
        Doc::load(b"nope", ActorId([2; 32])).unwrap_err(),
        DecodeError::BadMagic
    );
}

#[test]
fn large_compressed_documents_round_trip() {
    let mut doc = Doc::new(ActorId([1; 32]));
    let mut text = doc.get_text("t");
    for i in 0..2000 {
        text.insert(0, &format!("line {i}\n")).unwrap();
    }
    doc.commit(None);
    let bytes = doc.save();
    assert_eq!(bytes[6], 1, "a large body is deflated");
    let mut loaded = Doc::load(&bytes, ActorId([2; 32])).unwrap();
    assert_eq!(
        loaded.get_text("t").to_string(),
        doc.get_text("t").to_string()
    );
}

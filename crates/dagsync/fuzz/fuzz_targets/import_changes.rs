//! `Doc::import_changes` on arbitrary bytes and on the input framed as a change-batch body
//! (stored and compressed, valid CRC-32), into an empty document and into one with content.
//! A failed import must leave the document unchanged; a successful one must round-trip.
#![no_main]

use dagsync::{ActorId, Doc};
use dagsync_decode_fuzz::{
    base_doc, check_alloc, check_decoded_doc, measure, state, variants, CHANGES,
};
use libfuzzer_sys::fuzz_target;

/// Imports `bytes` into `doc`; returns whether it succeeded and the resulting state.
fn import(what: &str, mut doc: Doc, bytes: &[u8]) -> (bool, String) {
    let before = state(&doc);
    let heads = doc.heads();
    let (result, peak) = measure(|| doc.import_changes(bytes));
    check_alloc(what, bytes.len(), peak);
    match result {
        Ok(_) => {
            check_decoded_doc(&mut doc);
            (true, state(&doc))
        }
        Err(_) => {
            assert_eq!(
                state(&doc),
                before,
                "{what}: failed import changed the state"
            );
            assert_eq!(
                doc.heads(),
                heads,
                "{what}: failed import changed the heads"
            );
            (false, before)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut expected = None;
    for v in variants(CHANGES, data) {
        let empty = import(
            &format!("import_changes into empty ({})", v.name),
            Doc::new(ActorId([0x11; 32])),
            &v.bytes,
        );
        let base = import(
            &format!("import_changes into base ({})", v.name),
            base_doc(),
            &v.bytes,
        );
        // The same body, stored or compressed, decodes to the same thing.
        if v.same_as_stored {
            let got = (empty, base);
            match &expected {
                None => expected = Some(got),
                Some(e) => assert_eq!(*e, got, "{}: differs from the stored body", v.name),
            }
        }
    }
});

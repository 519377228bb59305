//! `Doc::load` on arbitrary bytes, and on the input framed as a document body (stored and
//! compressed, with a valid CRC-32). A loaded document must save, reload, re-export and
//! accept edits without changing its state; decoding must stay within the allocation bound.
#![no_main]

use dagsync::Doc;
use dagsync_decode_fuzz::{
    check_alloc, check_decoded_doc, measure, state, variants, DOCUMENT, LOAD_ACTOR,
};
use libfuzzer_sys::fuzz_target;

/// Loads `bytes`; on success runs the round-trip checks and returns the state.
fn load(what: &str, bytes: &[u8]) -> Option<String> {
    let (result, peak) = measure(|| Doc::load(bytes, LOAD_ACTOR));
    check_alloc(what, bytes.len(), peak);
    let mut doc = result.ok()?;
    check_decoded_doc(&mut doc);
    Some(state(&doc))
}

fuzz_target!(|data: &[u8]| {
    let mut expected = None;
    for v in variants(DOCUMENT, data) {
        let loaded = load(&format!("Doc::load ({})", v.name), &v.bytes);
        // The same body, stored or compressed, decodes to the same thing.
        if v.same_as_stored {
            match &expected {
                None => expected = Some(loaded),
                Some(e) => assert_eq!(*e, loaded, "{}: differs from the stored body", v.name),
            }
        }
    }
});

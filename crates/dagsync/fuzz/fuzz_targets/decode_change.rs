//! `Change::from_bytes` on arbitrary bytes and on the input framed as a change body (stored
//! and compressed, valid CRC-32). A decoded change must re-encode to the same change and hash,
//! and applying it to a document must not panic.
#![no_main]

use dagsync::{ActorId, Change, Doc};
use dagsync_decode_fuzz::{base_doc, check_alloc, check_decoded_doc, measure, variants, CHANGE};
use libfuzzer_sys::fuzz_target;

fn decode(what: &str, bytes: &[u8]) -> Option<Change> {
    let (result, peak) = measure(|| Change::from_bytes(bytes));
    check_alloc(what, bytes.len(), peak);
    let change = result.ok()?;
    let again = Change::from_bytes(&change.to_bytes())
        .unwrap_or_else(|e| panic!("{what}: re-encoded change does not decode: {e}"));
    assert_eq!(again, change, "{what}: to_bytes/from_bytes round trip");
    assert_eq!(again.hash(), change.hash(), "{what}: hash changed");
    for mut doc in [Doc::new(ActorId([0x12; 32])), base_doc()] {
        let before = doc.to_json().to_string();
        match doc.apply_changes([change.clone()]) {
            Ok(_) => check_decoded_doc(&mut doc),
            Err(_) => assert_eq!(doc.to_json().to_string(), before, "{what}: failed apply"),
        }
    }
    Some(change)
}

fuzz_target!(|data: &[u8]| {
    let mut expected = None;
    for v in variants(CHANGE, data) {
        let change = decode(&format!("Change::from_bytes ({})", v.name), &v.bytes);
        // The same body, stored or compressed, decodes to the same thing.
        if v.same_as_stored {
            match &expected {
                None => expected = Some(change),
                Some(e) => assert_eq!(*e, change, "{}: differs from the stored body", v.name),
            }
        }
    }
});

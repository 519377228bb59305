//! Browser tests of errors: every core error becomes a thrown `DagsyncError` (a real JS
//! `Error`) with its stable code.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync::{ActorId, ApplyError, ChangeHash, DecodeError, DocError};
use dagsync_wasm::BindingError;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The JS object a binding error becomes: its `code`, `name` and message.
fn thrown(err: BindingError) -> (String, String, String) {
    let value = JsValue::from(err);
    let code = Reflect::get(&value, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    let error: js_sys::Error = value.dyn_into().expect("DagsyncError is a JS Error");
    (code, error.name().into(), error.message().into())
}

#[wasm_bindgen_test]
fn core_errors_map_to_stable_codes() {
    let actor = ActorId([1; 32]);
    let hash = ChangeHash([2; 32]);
    let cases: Vec<(BindingError, &str)> = vec![
        (DecodeError::ChecksumMismatch.into(), "corrupt"),
        (DecodeError::UnsupportedVersion(9).into(), "unsupported"),
        (
            DecodeError::HashMismatch {
                claimed: hash,
                actual: ChangeHash([3; 32]),
            }
            .into(),
            "bad-hash",
        ),
        (
            DecodeError::Rejected(ApplyError::BadSignature { actor, seq: 1 }).into(),
            "bad-signature",
        ),
        (
            DecodeError::Rejected(ApplyError::NotAuthorized {
                actor,
                seq: 1,
                what: "write".into(),
            })
            .into(),
            "not-authorized",
        ),
        (
            ApplyError::MissingReference {
                actor,
                seq: 1,
                what: "x".into(),
            }
            .into(),
            "invalid-change",
        ),
        (
            DocError::OutOfRange {
                index: 5,
                len: 1,
                size: 2,
            }
            .into(),
            "out-of-range",
        ),
        (DocError::SplitsSurrogatePair(1).into(), "out-of-range"),
        (DocError::NotAuthorized.into(), "not-authorized"),
        (DocError::ReadOnly.into(), "read-only"),
        (DocError::UnknownChange(hash).into(), "unknown-change"),
    ];
    for (err, code) in cases {
        let message = err.message.clone();
        let (got, name, js_message) = thrown(err);
        assert_eq!(got, code);
        assert_eq!(name, "DagsyncError");
        assert_eq!(js_message, message);
    }
}

#[wasm_bindgen_test]
fn arguments_of_the_wrong_type_are_refused_not_trusted() {
    use dagsync_wasm::{Doc, ErrorCode};
    let doc = Doc::new(JsValue::UNDEFINED).unwrap();
    let five = JsValue::from(5);
    assert_eq!(
        doc.get_text(five.clone()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    let text = doc.get_text("t".into()).unwrap();
    let code = |r: Result<(), BindingError>| r.unwrap_err().code;
    assert_eq!(
        code(text.insert(0.into(), five.clone())),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(text.insert("0".into(), "x".into())),
        ErrorCode::OutOfRange
    );
    assert_eq!(
        code(
            doc.get_map("m".into())
                .unwrap()
                .set(five.clone(), five.clone())
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        doc.subscribe(five.clone()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        doc.view("abc".into()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        doc.view(five.clone()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        doc.import_changes("abc".into()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        Doc::load(five.clone()).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        doc.commit(five).err().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(text.to_js_string().unwrap(), "");
}

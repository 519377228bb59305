//! The automerge-paper editing trace (`../shared/traces`, see its README) in the browser: the
//! gzipped JSON is compiled into the test module and unpacked by the browser's
//! `DecompressionStream`; the replay runs in JS through the public API, as an app would.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::JsValue;

use super::wait;

/// The gzipped trace: `<repository>/../shared/traces/automerge-paper.json.gz`.
const AUTOMERGE_PAPER: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/traces/automerge-paper.json.gz"
));

/// The automerge-paper trace as parsed JSON (`{ endContent, txns: [{ patches }] }`).
pub async fn automerge_paper() -> JsValue {
    let unpack = Function::new_with_args(
        "bytes",
        "return new Response(new Blob([bytes]).stream()\
             .pipeThrough(new DecompressionStream('gzip'))).json()",
    );
    let bytes = Uint8Array::from(AUTOMERGE_PAPER);
    wait(unpack.call1(&JsValue::UNDEFINED, &bytes).unwrap())
        .await
        .unwrap()
}

/// Replays a sequential trace into the text "t" of the JS `doc`, committing after every
/// `commit_every` transactions (each JS `commit()` seals a change: 1 gives one change per
/// edit) and at the end. The trace's positions count code points; automerge-paper is ASCII,
/// where they are UTF-16 units too.
pub fn replay(doc: &JsValue, trace: &JsValue, commit_every: u32) {
    let run = Function::new_with_args(
        "doc, trace, every",
        "const text = doc.getText('t');\
         let n = 0;\
         for (const txn of trace.txns) {\
           for (const [pos, del, ins] of txn.patches) {\
             if (del > 0) text.delete(pos, del);\
             if (ins.length > 0) text.insert(pos, ins);\
           }\
           if (++n % every === 0) doc.commit();\
         }\
         doc.commit();",
    );
    run.call3(&JsValue::UNDEFINED, doc, trace, &commit_every.into())
        .unwrap();
}

//! Fresh actor identities from the platform's cryptographic random source.

use dagsync::ActorId;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues`, present in browsers, workers and Node ≥ 19.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// A random 32-byte actor id.
pub(crate) fn random_actor() -> ActorId {
    let mut bytes = [0u8; ActorId::LEN];
    get_random_values(&mut bytes);
    ActorId(bytes)
}

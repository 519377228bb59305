//! Finding the Rust object behind a JS object of one of our classes, safely: each object
//! registers (weakly) under a key it exposes as a hidden getter, and a call taking such an
//! object as a `JsValue` looks the key up. Anything else — a plain object, a freed object, an
//! object of another class — is an `invalid-argument` error instead of the plain `Error`
//! wasm-bindgen's glue throws for a typed parameter.
//!
//! A page may load two engine modules (`dagsync` and `dagsync/core`, or one package twice):
//! each has its own memory, so an object of one is meaningless to the other. The exposed key
//! carries the module's tag, a number distinct per module in the realm (a counter on
//! `globalThis`), and a key with another module's tag is refused like any wrong argument.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use std::thread::LocalKey;

use wasm_bindgen::JsValue;

use crate::error::{BindingError, JsResult};
use crate::values::describe;

/// Objects of one class by key (weakly: the JS object owns the Rust object).
pub(crate) struct Registry<T> {
    next: Cell<u32>,
    entries: RefCell<BTreeMap<u32, Weak<T>>>,
}

impl<T> Registry<T> {
    pub(crate) const fn new() -> Self {
        Registry {
            next: Cell::new(1),
            entries: RefCell::new(BTreeMap::new()),
        }
    }

    /// A new `Rc` registered under a fresh key, built by `make` from that key.
    pub(crate) fn create(&self, make: impl FnOnce(u32) -> T) -> Rc<T> {
        let key = self.next.get();
        self.next.set(key.wrapping_add(1));
        let item = Rc::new(make(key));
        self.entries.borrow_mut().insert(key, Rc::downgrade(&item));
        item
    }

    /// Forgets `key` (when its object is dropped).
    pub(crate) fn remove(&self, key: u32) {
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            entries.remove(&key);
        }
    }

    fn get(&self, key: u32) -> Option<Rc<T>> {
        self.entries.borrow().get(&key).and_then(Weak::upgrade)
    }
}

/// The property on `globalThis` counting the engine modules instantiated in this realm.
const MODULE_COUNTER: &str = "__dagsyncModules";

thread_local! {
    static MODULE_TAG: u32 = next_module_tag();
}

/// Takes the next number of the realm-wide module counter.
fn next_module_tag() -> u32 {
    let global = js_sys::global();
    let counter = JsValue::from_str(MODULE_COUNTER);
    let taken = js_sys::Reflect::get(&global, &counter)
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|n| n.is_finite() && *n >= 0.0 && *n < f64::from(1u32 << 20))
        .unwrap_or(0.0);
    let tag = taken as u32 + 1;
    // Without a writable global the tag is 1: objects of two modules would then be told
    // apart by nothing, which is what happened before the tag existed.
    let _ = js_sys::Reflect::set(&global, &counter, &JsValue::from(tag));
    tag
}

/// The key a JS object exposes for registry key `key` of this module: the module's tag in
/// the bits above the low 32 (exact in an `f64` up to 2^53).
pub(crate) fn exposed_key(key: u32) -> f64 {
    f64::from(MODULE_TAG.with(|t| *t)) * 4_294_967_296.0 + f64::from(key)
}

/// The registry key of this module behind an exposed key, `None` for a key of another module
/// or anything that is not one.
pub(crate) fn own_key(exposed: f64) -> Option<u32> {
    if !(exposed.is_finite() && exposed >= 0.0 && exposed.fract() == 0.0) {
        return None;
    }
    let tag = (exposed / 4_294_967_296.0).floor();
    let key = exposed - tag * 4_294_967_296.0;
    (tag == f64::from(MODULE_TAG.with(|t| *t))).then_some(key as u32)
}

/// The object of `registry` behind JS value `value`, found by its `property` getter; an
/// `invalid-argument` error naming `expected` for anything else.
pub(crate) fn lookup<T: 'static>(
    registry: &'static LocalKey<Registry<T>>,
    value: &JsValue,
    property: &str,
    expected: &str,
) -> JsResult<Rc<T>> {
    let wrong = || BindingError::invalid(format!("expected {expected}, got {}", describe(value)));
    if !value.is_object() {
        return Err(wrong());
    }
    // A freed object's getter throws: that is a wrong argument too.
    let key = js_sys::Reflect::get(value, &JsValue::from_str(property))
        .ok()
        .and_then(|k| k.as_f64())
        .and_then(own_key)
        .ok_or_else(wrong)?;
    registry.with(|r| r.get(key)).ok_or_else(wrong)
}

//! Finding the Rust object behind a JS object of one of our classes, safely: each object
//! registers (weakly) under a key it exposes as a hidden getter, and a call taking such an
//! object as a `JsValue` looks the key up. Anything else — a plain object, a freed object, an
//! object of another class — is an `invalid-argument` error instead of the plain `Error`
//! wasm-bindgen's glue throws for a typed parameter.

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
        .ok_or_else(wrong)?;
    registry.with(|r| r.get(key as u32)).ok_or_else(wrong)
}

//! Browser plumbing shared by the transports: event listeners and timers that own their
//! closures (and release them when dropped), state access that delivers queued events with no
//! borrow held, endpoint ids, and small helpers for JS objects.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

use crate::event::Emits;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(handle: &JsValue);
}

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// How many browser callbacks (event listeners and timers) the transports hold right now.
/// Every one is owned by the connection, channel or transport it serves and released when
/// that closes, so this returns to its earlier value once every network is closed (tests
/// check it).
pub fn live_callbacks() -> usize {
    LIVE.with(Cell::get)
}

fn count(delta: isize) {
    LIVE.with(|l| l.set(l.get().saturating_add_signed(delta)));
}

/// An event listener on a browser object; removed (and its closure freed) when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Listens to `kind` events of `target`.
    pub(crate) fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl FnMut(Event) + 'static,
    ) -> Listener {
        let closure = Closure::<dyn FnMut(Event)>::new(handler);
        // Adding a listener to an EventTarget does not throw.
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        count(1);
        Listener {
            target: target.clone(),
            kind,
            closure,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
        count(-1);
    }
}

/// A pending timeout or a repeating interval (`setTimeout` / `setInterval`); cancelled, and
/// its closure freed, when dropped.
pub struct Timer {
    handle: JsValue,
    repeat: bool,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    /// Runs `f` once after `ms` milliseconds.
    pub fn once(ms: u32, f: impl FnMut() + 'static) -> Timer {
        Timer::start(ms, false, f)
    }

    /// Runs `f` every `ms` milliseconds.
    pub fn every(ms: u32, f: impl FnMut() + 'static) -> Timer {
        Timer::start(ms, true, f)
    }

    fn start(ms: u32, repeat: bool, f: impl FnMut() + 'static) -> Timer {
        let closure = Closure::<dyn FnMut()>::new(f);
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let function: &Function = closure.as_ref().unchecked_ref();
        let handle = if repeat {
            set_interval(function, ms)
        } else {
            set_timeout(function, ms)
        };
        count(1);
        Timer {
            handle,
            repeat,
            _closure: closure,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if self.repeat {
            clear_interval(&self.handle);
        } else {
            clear_timeout(&self.handle);
        }
        count(-1);
    }
}

/// Resolves after `ms` milliseconds (the timer holds the promise's own resolve function, so
/// no Rust closure outlives the wait).
pub(crate) async fn sleep(ms: u32) {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Milliseconds since the epoch (the wall clock: only differences are used).
pub(crate) fn now() -> f64 {
    js_sys::Date::now()
}

/// Runs `f` on the state behind `weak` (if it still exists and is not borrowed — a browser
/// callback never runs inside our own code, so it is not), then delivers the events `f`
/// queued, one at a time and with no borrow held, so the sink may call the transport.
pub(crate) fn with_state<S: Emits, R>(
    weak: &Weak<RefCell<S>>,
    f: impl FnOnce(&mut S) -> R,
) -> Option<R> {
    let state = weak.upgrade()?;
    let result = {
        let mut s = state.try_borrow_mut().ok()?;
        f(&mut s)
    };
    deliver(&state);
    Some(result)
}

/// Hands the queued events of `state` to its sink, one at a time, with no borrow held.
pub(crate) fn deliver<S: Emits>(state: &Rc<RefCell<S>>) {
    loop {
        let next = match state.try_borrow_mut() {
            Ok(mut s) => s.outbox().pop(),
            Err(_) => return,
        };
        let Some((sink, event)) = next else { return };
        sink(event);
    }
}

/// A random endpoint id: 16 hex digits from the browser's secure random source.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 8];
    // Without a random source, fall back on the clock and Math.random: ids need to be unique
    // within a room, not secret.
    if getrandom::getrandom(&mut bytes).is_err() {
        let fallback = (now() as u64) ^ ((js_sys::Math::random() * 2f64.powi(53)) as u64);
        bytes = fallback.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A plain JS object with string fields (`None` values are left out).
pub(crate) fn object(fields: &[(&str, Option<&str>)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        if let Some(value) = value {
            let _ = Reflect::set(&object, &(*key).into(), &(*value).into());
        }
    }
    object
}

/// Sets a number field of a JS object.
pub(crate) fn set_number(object: &js_sys::Object, key: &str, value: f64) {
    let _ = Reflect::set(object, &key.into(), &value.into());
}

/// A string field of a JS value, if it is one.
pub(crate) fn get_string(value: &JsValue, key: &str) -> Option<String> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &key.into()).ok()?.as_string()
}

/// A number field of a JS value, if it is one.
pub(crate) fn get_number(value: &JsValue, key: &str) -> Option<f64> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &key.into()).ok()?.as_f64()
}

/// Whether the global object has a property `name` (a constructor such as
/// `RTCPeerConnection`).
pub(crate) fn has_global(name: &str) -> bool {
    Reflect::get(&js_sys::global(), &name.into()).is_ok_and(|v| !v.is_undefined())
}

//! Helpers of the browser tests that drive the JS API the way JS does (methods looked up on
//! the objects), and a network in memory for repos in one page.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part; tests fail loudly

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use dagsync_wasm::network::{self, Network, NetworkEvent};
use dagsync_wasm::BindingError;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// `object[key]`.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap()
}

/// `object[method](...args)`.
pub fn call(object: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(object, method)
        .dyn_into()
        .unwrap_or_else(|_| panic!("{method} is not a method"));
    f.apply(object, &args.iter().collect::<Array>())
}

/// Awaits a JS promise.
pub async fn wait(promise: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(promise)).await
}

/// `await object[method](...args)`, which must resolve.
pub async fn invoke(object: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    wait(call(object, method, args).unwrap()).await.unwrap()
}

/// The `code` of a thrown `DagsyncError`.
pub fn code(error: &JsValue) -> String {
    get(error, "code").as_string().unwrap_or_default()
}

/// `performance.now()`, for the benchmarks.
pub fn now() -> f64 {
    Function::new_no_args("return performance.now()")
        .call0(&JsValue::UNDEFINED)
        .unwrap()
        .as_f64()
        .unwrap()
}

/// The median of `samples`.
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Yields to the event loop for `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let timeout = Function::new_with_args("ms", "return new Promise(r => setTimeout(r, ms))");
    wait(timeout.call1(&JsValue::UNDEFINED, &ms.into()).unwrap())
        .await
        .unwrap();
}

/// Waits until `condition` holds, yielding to the event loop between checks. Bounded in
/// count only (no time is asserted): a broken build fails instead of hanging.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..4_000 {
        if condition() {
            return;
        }
        sleep(5).await;
    }
    panic!("gave up waiting for {what}");
}

/// A JS function collecting the values it is called with.
pub fn collector() -> (Function, Rc<RefCell<Vec<JsValue>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let f = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
        sink.borrow_mut().push(v);
    });
    (f.into_js_value().unchecked_into(), seen)
}

/// A plain JS object of `entries`.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (key, value) in entries {
        Reflect::set(&o, &(*key).into(), value).unwrap();
    }
    o.into()
}

/// Where a network reports to the repo.
type Events = Rc<dyn Fn(NetworkEvent)>;

/// One end of a link in memory between two repos of the page. Frames are delivered in a
/// later microtask, as a real network delivers them in a later task.
pub struct MemoryLink {
    /// How the other end names this one.
    name: String,
    other: RefCell<Weak<MemoryLink>>,
    events: RefCell<Option<Events>>,
    started: Cell<bool>,
}

impl MemoryLink {
    /// Two connected ends, as JS network objects for `new Repo({ network: [end] })`.
    pub fn pair() -> (JsValue, JsValue) {
        let a = Rc::new(MemoryLink::new("a"));
        let b = Rc::new(MemoryLink::new("b"));
        *a.other.borrow_mut() = Rc::downgrade(&b);
        *b.other.borrow_mut() = Rc::downgrade(&a);
        (register(a), register(b))
    }

    fn new(name: &str) -> MemoryLink {
        MemoryLink {
            name: name.to_owned(),
            other: RefCell::new(Weak::new()),
            events: RefCell::new(None),
            started: Cell::new(false),
        }
    }

    fn deliver(&self, event: NetworkEvent) {
        let events = self.events.borrow().clone();
        if let Some(events) = events {
            spawn_local(async move { events(event) });
        }
    }
}

/// A JS object the repo recognizes as the network `link`.
fn register(link: Rc<MemoryLink>) -> JsValue {
    let key = network::register(link);
    object(&[("__dagsyncNetwork", JsValue::from(network::js_key(key)))])
}

impl Network for MemoryLink {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn start(&self, events: Rc<dyn Fn(NetworkEvent)>) -> Result<(), BindingError> {
        *self.events.borrow_mut() = Some(events);
        self.started.set(true);
        if let Some(other) = self.other.borrow().upgrade() {
            if other.started.get() {
                let max_frame = 16 * 1024;
                other.deliver(NetworkEvent::PeerConnected {
                    peer: self.name.clone(),
                    max_frame,
                });
                self.deliver(NetworkEvent::PeerConnected {
                    peer: other.name.clone(),
                    max_frame,
                });
            }
        }
        Ok(())
    }

    fn send(&self, _peer: &str, frame: &[u8]) {
        if let Some(other) = self.other.borrow().upgrade() {
            other.deliver(NetworkEvent::Frame {
                peer: self.name.clone(),
                bytes: frame.to_vec(),
            });
        }
    }

    fn disconnect(&self, _peer: &str) {
        // The one peer at the other end is dropped: no frame flows either way any more.
        if let Some(other) = self.other.replace(Weak::new()).upgrade() {
            *other.other.borrow_mut() = Weak::new();
        }
    }

    fn close(&self) {
        self.started.set(false);
        self.events.borrow_mut().take();
        if let Some(other) = self.other.borrow().upgrade() {
            other.deliver(NetworkEvent::PeerDisconnected {
                peer: self.name.clone(),
            });
        }
    }
}

/// The text "t" of a handle's document.
pub fn handle_text(handle: &JsValue) -> String {
    let text = call(&get(handle, "doc"), "getText", &["t".into()]).unwrap();
    call(&text, "toString", &[]).unwrap().as_string().unwrap()
}

/// Inserts into the text "t" of a handle's document and commits.
pub fn handle_edit(handle: &JsValue, at: u32, s: &str) {
    let doc = get(handle, "doc");
    let text = call(&doc, "getText", &["t".into()]).unwrap();
    call(&text, "insert", &[at.into(), s.into()]).unwrap();
    call(&doc, "commit", &[]).unwrap();
}

pub mod trace;

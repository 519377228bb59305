//! Named-event listeners of the `Repo` (`repo.on("peer", cb)`), called after the call that
//! caused the event; an exception a listener throws is reported, not thrown to the caller.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{report_listener_error, BindingError, JsResult};
use crate::values::{function_arg, string_arg};

/// Listeners by event name.
pub(crate) struct Emitter {
    /// The event names `on` accepts.
    names: &'static [&'static str],
    next_id: Cell<u32>,
    listeners: RefCell<Vec<(u32, &'static str, Function)>>,
}

impl Emitter {
    /// An emitter of the events `names`.
    pub(crate) fn new(names: &'static [&'static str]) -> Rc<Emitter> {
        Rc::new(Emitter {
            names,
            next_id: Cell::new(0),
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Adds a listener of the event named by the JS string `event`; returns a function that
    /// removes it. An unknown event name or a listener that is not a function is an
    /// `invalid-argument` error.
    pub(crate) fn on(self: &Rc<Self>, event: &JsValue, listener: JsValue) -> JsResult<Function> {
        let event = string_arg(event, "the event name")?;
        let Some(&name) = self.names.iter().find(|n| **n == event) else {
            return Err(BindingError::invalid(format!(
                "unknown event {event:?}: use one of {:?}",
                self.names
            )));
        };
        let listener = function_arg(listener, "the listener")?;
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.listeners.borrow_mut().push((id, name, listener));
        let weak = Rc::downgrade(self);
        let off = Closure::<dyn FnMut()>::new(move || {
            if let Some(emitter) = weak.upgrade() {
                emitter.listeners.borrow_mut().retain(|(i, _, _)| *i != id);
            }
        });
        Ok(off.into_js_value().unchecked_into())
    }

    /// Calls every listener of `event` with `value`.
    pub(crate) fn emit(&self, event: &str, value: &JsValue) {
        let listeners: Vec<Function> = self
            .listeners
            .borrow()
            .iter()
            .filter(|(_, name, _)| *name == event)
            .map(|(_, _, f)| f.clone())
            .collect();
        for listener in listeners {
            if let Err(error) = listener.call1(&JsValue::UNDEFINED, value) {
                report_listener_error(error);
            }
        }
    }

    /// Removes every listener.
    pub(crate) fn clear(&self) {
        self.listeners.borrow_mut().clear();
    }
}

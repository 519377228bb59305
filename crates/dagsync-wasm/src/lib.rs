//! WebAssembly bindings of dagsync: the `dagsync` npm package.
//!
//! This crate only converts between JS and the core; see the core crate for semantics.

mod doc;
mod error;
mod identity;
mod map;

pub use doc::Doc;
pub use error::{BindingError, ErrorCode};
pub use map::MapHandle;

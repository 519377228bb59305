#![doc = include_str!("../README.md")]
//!
//! The public API is the short list of re-exports below; everything else is internal.

mod actor;
mod doc;
mod encoding;
mod error;

pub use actor::{ActorId, ParseActorError};
pub use doc::{Doc, MapMut, MapRef};
pub use error::{DecodeError, Result};

#![doc = include_str!("../README.md")]
//!
//! The public API is the short list of re-exports below; everything else is internal.

mod actor;
pub mod auth;
mod bytes32;
pub mod checksum;
pub mod clock;
pub mod crdt;
mod dag;
mod doc;
mod encoding;
mod error;
mod hex;
mod id;
pub mod presence;
pub mod query;
pub mod repo;
pub mod sync;
mod value;

pub use actor::{ActorId, ParseActorError};
pub use auth::Identity;
pub use dag::{ChangeHash, ParseHashError, Signature};
pub use doc::{
    ApplyReport, Change, ChangeId, ContainerId, ContainerKind, CounterMut, Doc, Event, GcReport,
    HistoryEntry, InsertContent, Item, ListMut, MapMut, NewItem, Op, OpAction, Origin, Patch,
    PatchAction, PathElem, RegisterMut, SetMut, StablePosition, TextMut, UndoConfig, UndoStep,
};
pub use error::{ApplyError, DecodeError, DocError, Equivocation, Result};
pub use sync::{SyncError, SyncState};
pub use value::Value;

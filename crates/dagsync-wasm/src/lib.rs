//! WebAssembly bindings of dagsync: the `dagsync` npm package.
//!
//! This crate only converts between JS and the core; see the core crate for semantics. One
//! file per exported type: `doc.rs` (`Doc`), `text.rs`, `list.rs`, `map.rs`, `counter.rs`,
//! `set.rs`, `register.rs` (container handles), `undo.rs` (undo/redo), `history.rs` (history and time travel), `sync.rs`
//! (`SyncState` and sync messages),
//! `repo.rs` (`Repo`: storage, networks, documents), `collection.rs` (`Collection`, queries,
//! `repo.share`), `handle.rs` (`DocHandle`), `presence.rs` (`Presence`), `storage.rs`
//! (`IndexedDbStorage`), `emitter.rs` (named-event listeners), `network.rs` (the repo–network
//! contract), `broadcast_network.rs` (`BroadcastChannelNetwork`), `webrtc_network.rs`
//! (`WebRtcNetwork`), `events.rs` (change events), `values.rs` (JS ↔ core values), `error.rs`
//! (`DagsyncError`), `memory.rs` (growing the wasm memory in large steps).

#[cfg(feature = "repo")]
mod broadcast_network;
#[cfg(feature = "repo")]
mod collection;
mod counter;
mod doc;
#[cfg(feature = "repo")]
mod emitter;
mod error;
mod events;
#[cfg(feature = "repo")]
mod handle;
mod history;
mod list;
mod map;
mod memory;
#[cfg(feature = "repo")]
pub mod network;
#[cfg(feature = "repo")]
mod presence;
mod register;
mod registry;
#[cfg(feature = "repo")]
mod repo;
mod set;
#[cfg(feature = "repo")]
mod storage;
mod sync;
mod text;
mod undo;
mod values;
#[cfg(feature = "repo")]
mod webrtc_network;

#[cfg(feature = "repo")]
pub use broadcast_network::BroadcastChannelNetwork;
#[cfg(feature = "repo")]
pub use collection::Collection;
pub use counter::CounterHandle;
pub use doc::Doc;
pub use error::{BindingError, ErrorCode};
#[cfg(feature = "repo")]
pub use handle::DocHandle;
pub use list::ListHandle;
pub use map::MapHandle;
#[cfg(feature = "repo")]
pub use presence::Presence;
pub use register::RegisterHandle;
#[cfg(feature = "repo")]
pub use repo::Repo;
pub use set::SetHandle;
#[cfg(feature = "repo")]
pub use storage::IndexedDbStorage;
pub use sync::SyncState;
pub use text::TextHandle;
#[cfg(feature = "repo")]
pub use webrtc_network::WebRtcNetwork;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const VALUE_TYPES: &'static str = r#"
/** A plain value: what a container stores besides nested containers. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | { [key: string]: Value };

/** The kinds of containers. */
export type ContainerKind = "map" | "list" | "text" | "counter" | "set" | "register";

/** The handle of a container of each kind. */
export interface ContainerOfKind {
  map: MapHandle;
  list: ListHandle;
  text: TextHandle;
  counter: CounterHandle;
  set: SetHandle;
  register: RegisterHandle;
}

/** The handle of any container. */
export type Container = ContainerOfKind[ContainerKind];

/** What a map, list or register holds: a plain value or a nested container's handle. */
export type Item = Value | Container;

export interface MapHandle {
  /** Sets `key` to a new, empty container of `kind` and returns its handle. */
  setContainer<K extends ContainerKind>(key: string, kind: K): ContainerOfKind[K];
}

export interface ListHandle {
  /** Inserts a new, empty container of `kind` before `index` and returns its handle. */
  insertContainer<K extends ContainerKind>(index: number, kind: K): ContainerOfKind[K];
}

export interface RegisterHandle {
  /** Sets the register to a new, empty container of `kind` and returns its handle. */
  setContainer<K extends ContainerKind>(kind: K): ContainerOfKind[K];
}
"#;

#![doc = include_str!("../README.md")]

mod db;
mod error;
mod row;
mod state;
mod storage;

pub use db::{StoredBytes, SCHEMA_VERSION};
pub use error::IdbError;
pub use row::{decode as decode_row, encode as encode_row, RowError, RowKey, RowKind};
pub use storage::{IdbStorage, BURST_MS, RETRY_MS};

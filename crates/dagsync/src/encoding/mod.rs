//! Binary formats. Every encoder sits beside its decoder; see `FORMAT.md` in this crate.

mod bytes;
mod change;
mod chunk;
mod value;

pub(crate) use change::{
    canonical_change, canonical_change_into, read_batch, unsigned_change_body,
};
mod columns;
pub(crate) use bytes::{Reader, Writer};
pub(crate) use chunk::{decode_chunk, encode_chunk, frame_with, ChunkType};
pub(crate) use value::{read_value, write_value};

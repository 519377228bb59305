//! Binary formats. Every encoder sits beside its decoder; see `FORMAT.md` in this crate.

mod bytes;
mod snapshot;

pub(crate) use snapshot::{decode_snapshot, encode_snapshot};

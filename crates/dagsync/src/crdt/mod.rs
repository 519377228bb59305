//! CRDTs: standalone state-based types (`state`) and the sequence algorithm behind List and Text.

pub(crate) mod seq;
pub mod state;

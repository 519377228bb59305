//! Benchmark harness: engines behind one trait, a counting allocator, timing helpers.

pub mod alloc;
pub mod engines;
pub mod measure;

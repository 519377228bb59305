//! Benchmark harness: engines behind one trait, the workloads written once against it, a
//! counting allocator, timing helpers. Never a dependency of the core.

pub mod alloc;
pub mod engines;
pub mod measure;
pub mod sync;
pub mod workloads;

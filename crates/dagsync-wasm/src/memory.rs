//! Growing the WebAssembly memory in large steps. The allocator grows the memory by just what
//! it needs, a few pages at a time, and each growth makes V8 count a new buffer of the whole
//! memory as external memory — past ~80 MB that triggers a full garbage collection per
//! growth, back to back (35 % of the time of a long editing session, see BENCHMARKS.md).
//! After the memory grew, [`reserve_ahead`] grows it once more by half its size and hands
//! that space straight back to the allocator, so growths become rare (geometric).

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::Cell;

    const PAGE: usize = 64 * 1024;
    /// The most reserved at once.
    const MAX_STEP: usize = 256 * 1024 * 1024;

    thread_local! {
        /// The memory size (pages) after the last reservation.
        static SEEN: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn reserve_ahead() {
        let pages = core::arch::wasm32::memory_size(0);
        if pages <= SEEN.with(Cell::get) {
            return;
        }
        let step = (pages * PAGE / 2).min(MAX_STEP);
        // Allocated (the allocator grows the memory once) and freed at once: the space stays
        // with the allocator for what comes next. If it cannot be had, nothing happens.
        let mut block: Vec<u8> = Vec::new();
        let _ = block.try_reserve_exact(step);
        drop(block);
        SEEN.with(|seen| seen.set(core::arch::wasm32::memory_size(0)));
    }
}

/// Grows the memory ahead of need if it grew since the last call (see the module
/// documentation). Cheap otherwise: one `memory.size`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn reserve_ahead() {
    wasm::reserve_ahead();
}

/// Native builds (tests): nothing to do.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn reserve_ahead() {}

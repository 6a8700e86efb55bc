//! Cache prefetch hints for the synapse rows of spikes about to be delivered.
//!
//! A spike's row (its targets, and its weights where they differ) is read one smallest delay
//! after the spike, at a random place of the synapse store: without a hint, every one of its
//! cache lines misses (B4: 38 % of the delivery loop's samples stalled on the first loads of
//! rows). The engine hints each row when it schedules the delivery; by the time it is read the
//! lines are in L2.

/// Asks the processor to bring `data` into the cache (all levels but L1). A hint only: it
/// never faults and changes no result.
#[inline]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
        let start = data.as_ptr() as *const i8;
        let bytes = std::mem::size_of_val(data);
        let mut off = 0;
        while off < bytes {
            // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 processor has; a prefetch
            // of any address (here inside `data`) is a hint that cannot fault or write.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(start.wrapping_add(off)) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

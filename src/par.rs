//! Work shared out over threads: `f(0..n)` on `threads` threads, items handed out one at a
//! time, results in order. Used where the items are few and large (a projection's synapses,
//! an experiment's runs).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of cores, as the default thread count.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |c| c.get())
}

/// Joins a scoped thread and returns its result, passing its panic on. A scope's threads
/// not joined by hand are only waited for until their closure returns, and then detached:
/// the operating-system thread may still be ending (freeing its thread-local data) when the
/// scope has returned. Joined, it has ended.
pub(crate) fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `f(k)` for every `k` in `0..n`, on at most `threads` threads; the results in `k` order.
pub(crate) fn map<T: Send>(threads: usize, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.min(n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= n {
                            break;
                        }
                        let r = f(k);
                        *slots[k].lock().expect("no panic while holding it") = Some(r);
                    }
                })
            })
            .collect();
        workers.into_iter().for_each(join);
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("no panic while holding it")
                .expect("every item ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_order_on_any_number_of_threads() {
        for threads in [1, 2, 5] {
            assert_eq!(super::map(threads, 7, |k| k * k), [0, 1, 4, 9, 16, 25, 36]);
        }
        assert!(super::map(3, 0, |k| k).is_empty());
    }

    /// When `map` returns, its threads have ended: their thread-local data is freed. A
    /// thread left to the scope is only waited for until its closure returns; freeing its
    /// thread-local data after the caller has gone on is what a leak checker reports as
    /// a leak (it did, once, under the checkpoint fuzz target). Here freeing takes 50 ms, so a
    /// thread not joined is still at it when `map` returns.
    #[test]
    fn threads_have_ended_when_map_returns() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MADE: AtomicUsize = AtomicUsize::new(0);
        static FREED: AtomicUsize = AtomicUsize::new(0);
        struct Slow;
        impl Drop for Slow {
            fn drop(&mut self) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                FREED.fetch_add(1, Ordering::SeqCst);
            }
        }
        thread_local! {
            static DATA: Slow = {
                MADE.fetch_add(1, Ordering::SeqCst);
                Slow
            };
        }
        for _ in 0..3 {
            super::map(2, 8, |k| DATA.with(|_| k));
            assert_eq!(FREED.load(Ordering::SeqCst), MADE.load(Ordering::SeqCst));
        }
        assert!(
            MADE.load(Ordering::SeqCst) >= 3,
            "the threads made their data"
        );
    }
}

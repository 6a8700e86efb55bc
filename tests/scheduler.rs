//! The two schedulers pop identical sequences on random workloads.

use hebb::engine::queue::{CalendarQueue, Entry, HeapScheduler, Kind, Scheduler};
use hebb::time::Time;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push {
        dt: u64,
        kind: u8,
        a: u32,
        b: u32,
    },
    Pop,
    Peek,
    /// `pop_at` at the current time, or at the time of the smallest entry.
    PopAt {
        at_min: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..5_000_000_000, 0u8..8, 0u32..50, 0u32..4).prop_map(|(dt, kind, a, b)| Op::Push { dt, kind, a, b }),
        // Far-future entries exercise the overflow heap.
        1 => (0u64..1_000_000_000_000, 0u8..8, 0u32..50, 0u32..4).prop_map(|(dt, kind, a, b)| Op::Push { dt, kind, a, b }),
        3 => Just(Op::Pop),
        1 => Just(Op::Peek),
        2 => any::<bool>().prop_map(|at_min| Op::PopAt { at_min }),
    ]
}

/// Bucket widths from one tick (entries then lie millions of mostly empty buckets apart, and
/// the wheel turns many times between them) to seconds.
fn width() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..1_000, 1_000u64..2_000_000_000]
}

fn kind(k: u8) -> Kind {
    [
        Kind::Rebase,
        Kind::Crossing,
        Kind::SourceSpike,
        Kind::Stimulus,
        Kind::Deliver,
        Kind::Sweep,
        Kind::GridStep,
        Kind::Sample,
    ][k as usize]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn heap_and_calendar_agree(ops in prop::collection::vec(op(), 1..400), width in width(), horizon in 1u64..20_000_000_000) {
        let mut heap = HeapScheduler::default();
        let mut cal = CalendarQueue::new(Time(width), Time(horizon));
        let mut now = 0u64;
        let mut popped = (Vec::new(), Vec::new());
        for o in ops {
            match o {
                Op::Push { dt, kind: k, a, b } => {
                    let e = Entry::new(Time(now + dt), kind(k), a, b);
                    heap.push(e);
                    cal.push(e);
                }
                Op::Pop => {
                    let (x, y) = (heap.pop(), cal.pop());
                    prop_assert_eq!(x, y);
                    if let Some(e) = x { now = e.time.0; popped.0.push(e); popped.1.push(e); }
                }
                Op::Peek => prop_assert_eq!(heap.peek(), cal.peek()),
                Op::PopAt { at_min } => {
                    let t = if at_min { heap.peek().map_or(Time(now), |e| e.time) } else { Time(now) };
                    let (x, y) = (heap.pop_at(t), cal.pop_at(t));
                    prop_assert_eq!(x, y);
                    if let Some(e) = x { now = e.time.0; }
                }
            }
            prop_assert_eq!(heap.len(), cal.len());
        }
        while let Some(e) = heap.pop() {
            prop_assert_eq!(Some(e), cal.pop());
        }
        prop_assert!(cal.pop().is_none());
    }
}

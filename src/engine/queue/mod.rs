//! The event scheduler: queue entries with a total order, and the [`Scheduler`] trait with two
//! implementations that pop exactly the same sequence.
//!
//! Entries are at *spike* granularity: a spike of neuron `j` at `t` becomes one entry per
//! distinct delay of `j`'s row ("deliver row `j` from group `g` on, at `t + d_g`"), never one
//! per synapse.
//! Sweeps of exact populations (which visit neurons with predicted crossings or Poisson
//! arrivals in a window), stimulus changes and grid steps are entries too.
//!
//! # Order
//! An entry's key is `(time, kind, a, b)` packed into `(u64, u64)`; see [`Entry`]. Two entries
//! compare equal only if they are the same item (or indistinguishable stale copies), so the pop
//! order never depends on insertion order, thread or shard.

mod calendar;
mod heap;

pub use calendar::CalendarQueue;
pub use heap::HeapScheduler;

use crate::time::Time;

/// What an entry asks the engine to do. The discriminant orders entries of the same tick.
///
/// At one tick: representation changes first, then predicted crossings (the membrane reached threshold at or before this
/// tick), then spikes of spike-list sources, stimulus changes, spike deliveries, sweeps
/// and grid steps; the end-of-tick threshold test runs after all of them, so inputs arriving at
/// exactly the same time are summed before the test.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A change of numerical representation of the population whose first neuron is `a`
    /// (a new epoch); first at its tick, it changes no result.
    Rebase = 0,
    /// A planned threshold crossing or check. Exact populations process these lazily (at
    /// sweeps and inputs); the kind fixes their place in the order of a tick.
    Crossing = 1,
    /// Spike-list source neuron `a` emits its `b`-th listed spike.
    SourceSpike = 2,
    /// Stimulus `a` changes its value (step-current segment `b`).
    Stimulus = 3,
    /// Deliver neuron `a`'s row from its group `b` on, every group with that group's delay.
    Deliver = 4,
    /// The last tick of a window: population `a` (its first neuron) visits the neurons whose
    /// own events (planned crossings and checks, Poisson arrivals) fall in the window; with
    /// `b = 1`, neuron `a` alone (registered beyond the population's ring of windows).
    Sweep = 5,
    /// Advance grid population `a` by one step.
    GridStep = 6,
    /// Record the state of the recorded neurons.
    Sample = 7,
}

impl Kind {
    /// The kind of code `v` (`kind as u32`), if there is one.
    pub fn from_code(v: u32) -> Option<Kind> {
        (v <= Kind::Sample as u32).then(|| Kind::from_u8(v as u8))
    }

    fn from_u8(v: u8) -> Kind {
        match v {
            0 => Kind::Rebase,
            1 => Kind::Crossing,
            2 => Kind::SourceSpike,
            3 => Kind::Stimulus,
            4 => Kind::Deliver,
            5 => Kind::Sweep,
            6 => Kind::GridStep,
            _ => Kind::Sample,
        }
    }
}

/// Bits of the packed tag given to `b`.
pub const B_BITS: u32 = 24;
/// Mask of `b`.
pub const B_MASK: u64 = (1 << B_BITS) - 1;

/// A scheduled item: `time`, then a tag packing `kind` (8 bits), `a` (32 bits), `b` (24 bits).
///
/// Ordered by `(time, kind, a, b)` — the derived `Ord` on `(time, tag)` is exactly that.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// When the item happens.
    pub time: Time,
    tag: u64,
}

impl Entry {
    /// Packs an entry. `b` is truncated to 24 bits.
    #[inline]
    pub fn new(time: Time, kind: Kind, a: u32, b: u32) -> Entry {
        let tag = ((kind as u64) << 56) | ((a as u64) << B_BITS) | (b as u64 & B_MASK);
        Entry { time, tag }
    }
    /// The entry's kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        Kind::from_u8((self.tag >> 56) as u8)
    }
    /// First operand (a neuron, stimulus or population index).
    #[inline]
    pub fn a(&self) -> u32 {
        (self.tag >> B_BITS) as u32
    }
    /// Second operand (a delay group, generation or segment; 24 bits).
    #[inline]
    pub fn b(&self) -> u32 {
        (self.tag & B_MASK) as u32
    }
}

/// A priority queue of entries, popped in increasing key order.
///
/// Implementations must agree item for item: the engine's output may not depend on which one
/// runs. Entries pushed must not be earlier than the last popped entry's time.
pub trait Scheduler: Send {
    /// Adds an entry.
    fn push(&mut self, e: Entry);
    /// Removes and returns the smallest entry.
    fn pop(&mut self) -> Option<Entry>;
    /// The smallest entry, without removing it.
    fn peek(&mut self) -> Option<Entry>;
    /// Number of entries.
    fn len(&self) -> usize;
    /// True when empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes and returns every entry, in key order.
    fn drain(&mut self) -> Vec<Entry> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(e) = self.pop() {
            out.push(e);
        }
        out
    }
    /// Removes and returns the smallest entry if its time is exactly `t`.
    fn pop_at(&mut self, t: Time) -> Option<Entry> {
        match self.peek() {
            Some(e) if e.time == t => self.pop(),
            _ => None,
        }
    }
}

/// Which scheduler implementation a simulation uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerKind {
    /// The calendar queue (fast, default).
    #[default]
    Calendar,
    /// The binary heap (reference).
    Heap,
}

/// Builds a scheduler of the given kind. `bucket` is the calendar queue's bucket width (use the
/// smallest delay) and `horizon` the span it covers before entries overflow to a heap (use the
/// largest delay).
pub fn make_scheduler(kind: SchedulerKind, bucket: Time, horizon: Time) -> Box<dyn Scheduler> {
    match kind {
        SchedulerKind::Heap => Box::new(HeapScheduler::default()),
        SchedulerKind::Calendar => Box::new(CalendarQueue::new(bucket, horizon)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_round_trip_and_order() {
        let e = Entry::new(Time(7), Kind::Deliver, 123_456, 42);
        assert_eq!((e.kind(), e.a(), e.b()), (Kind::Deliver, 123_456, 42));
        let c = Entry::new(Time(7), Kind::Crossing, u32::MAX, 5);
        assert!(c < e, "crossings come before deliveries at the same tick");
        assert!(
            Entry::new(Time(7), Kind::Deliver, 3, 9) < Entry::new(Time(7), Kind::Deliver, 4, 0)
        );
        assert!(Entry::new(Time(6), Kind::Sample, 9, 9) < c);
    }
}

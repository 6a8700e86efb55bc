//! The fast scheduler: a calendar queue (timing wheel) with an overflow heap.
//!
//! Time is cut into buckets of width `w` (the smallest delay, so one bucket is one
//! synchronisation window, unless the largest delay is more than 65,534 of them: then the
//! largest delay over 65,534). A wheel of `B` buckets (a power of two, `B·w` ≥ the largest delay)
//! holds every entry within the horizon `[start of current bucket, + B·w)` unsorted; entries
//! beyond it wait in an overflow heap (far-future crossings, spike lists, stimulus changes).
//! When the current bucket is reached, its entries are sorted once and popped from the end of
//! the sorted vector; an entry pushed into the current bucket is inserted in order.
//! Push is O(1), pop O(1) amortised plus one sort per bucket of its (small) contents.
//!
//! Silent periods cost nothing: when the wheel is empty, the current bucket jumps straight to
//! the overflow heap's minimum, and a bitmap of occupied buckets lets the current bucket skip
//! empty ones 64 at a time (a network whose smallest delay is a few ticks has millions of
//! buckets per simulated millisecond, almost all empty).

use super::{Entry, Scheduler};
use crate::time::Time;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const MAX_BUCKETS: usize = 1 << 16;
const MIN_BUCKETS: usize = 1 << 12;

/// A calendar queue; see the module docs.
pub struct CalendarQueue {
    width: u64,
    mask: usize,
    wheel: Vec<Vec<Entry>>,
    /// One bit per bucket of the wheel: set while it holds entries.
    occupied: Vec<u64>,
    /// Entries in the wheel, excluding `current`.
    in_wheel: usize,
    /// Index (absolute, not wrapped) of the current bucket.
    bucket: u64,
    /// The current bucket's entries sorted in *decreasing* order (pop from the end).
    current: Vec<Entry>,
    overflow: BinaryHeap<Reverse<Entry>>,
}

impl CalendarQueue {
    /// A queue with buckets of `bucket_width` (the smallest delay) covering at least
    /// `horizon`. Where the largest wheel would not cover the horizon with buckets that
    /// narrow, they are widened until it does: entries then share buckets (each is sorted
    /// once), rather than most of them passing through the overflow heap as well.
    pub fn new(bucket_width: Time, horizon: Time) -> CalendarQueue {
        let width = bucket_width
            .0
            .max(horizon.0.div_ceil(MAX_BUCKETS as u64 - 2))
            .max(1);
        // Cover the largest delay, and at least MIN_BUCKETS buckets: predicted crossings land
        // tens of ms ahead and should not all go through the overflow heap (B4: 5.1 s with a
        // 4-bucket wheel).
        let want = (horizon.0 / width + 2) as usize;
        let n = want.next_power_of_two().clamp(MIN_BUCKETS, MAX_BUCKETS);
        CalendarQueue {
            width,
            mask: n - 1,
            wheel: (0..n).map(|_| Vec::new()).collect(),
            occupied: vec![0; n / 64],
            in_wheel: 0,
            bucket: 0,
            current: Vec::new(),
            overflow: BinaryHeap::new(),
        }
    }

    #[inline]
    fn bucket_of(&self, t: Time) -> u64 {
        t.0 / self.width
    }

    /// Makes `current` hold the smallest bucket that has entries. Returns false if empty.
    fn refill(&mut self) -> bool {
        if !self.current.is_empty() {
            return true;
        }
        if self.in_wheel == 0 {
            // Nothing within the horizon: jump to the overflow's earliest bucket.
            match self.overflow.peek() {
                None => return false,
                Some(Reverse(e)) => {
                    let b = self.bucket_of(e.time);
                    if b > self.bucket {
                        self.bucket = b;
                    }
                }
            }
            self.pull_overflow();
        }
        // Every wheel entry lies within one turn of the wheel from the current bucket and every
        // overflow entry beyond it, so the next occupied slot holds the smallest entries.
        // Overflow entries that the jump brings within the horizon land in the slots skipped.
        let slot = (self.bucket as usize) & self.mask;
        let next = self.next_occupied(slot);
        self.bucket += (next.wrapping_sub(slot) & self.mask) as u64;
        self.pull_overflow();
        std::mem::swap(&mut self.current, &mut self.wheel[next]);
        self.occupied[next >> 6] &= !(1 << (next & 63));
        self.in_wheel -= self.current.len();
        self.current.sort_unstable_by(|a, b| b.cmp(a));
        true
    }

    /// The first occupied slot at or after `from`, going round the wheel. The wheel must hold
    /// entries.
    fn next_occupied(&self, from: usize) -> usize {
        let words = self.occupied.len();
        let mut w = from >> 6;
        let mut word = self.occupied[w] & (!0u64 << (from & 63));
        // words + 1 reads: the first word's low bits come round last.
        for _ in 0..=words {
            if word != 0 {
                return (w << 6) | word.trailing_zeros() as usize;
            }
            w = (w + 1) & (words - 1);
            word = self.occupied[w];
        }
        unreachable!(
            "the calendar wheel holds {} entries in no slot",
            self.in_wheel
        )
    }

    /// Puts `e`, of bucket `b`, into its wheel slot.
    #[inline]
    fn put_in_wheel(&mut self, b: u64, e: Entry) {
        let slot = (b as usize) & self.mask;
        self.wheel[slot].push(e);
        self.occupied[slot >> 6] |= 1 << (slot & 63);
        self.in_wheel += 1;
    }

    /// Moves overflow entries that now fall inside the horizon into the wheel.
    fn pull_overflow(&mut self) {
        let end = (self.bucket + self.wheel.len() as u64).saturating_mul(self.width);
        while let Some(Reverse(e)) = self.overflow.peek() {
            if e.time.0 >= end {
                break;
            }
            let e = *e;
            self.overflow.pop();
            self.put_in_wheel(self.bucket_of(e.time), e);
        }
    }
}

impl Scheduler for CalendarQueue {
    fn push(&mut self, e: Entry) {
        let b = self.bucket_of(e.time);
        if b < self.bucket || (b == self.bucket && !self.current.is_empty()) {
            // Into the bucket being popped (or before it: a peek may have moved the current
            // bucket past empty buckets, and everything queued is later than `e`). Keep
            // `current` sorted in decreasing order.
            let pos = self.current.partition_point(|x| *x > e);
            self.current.insert(pos, e);
        } else if b < self.bucket + self.wheel.len() as u64 {
            self.put_in_wheel(b, e);
        } else {
            self.overflow.push(Reverse(e));
        }
    }

    fn pop(&mut self) -> Option<Entry> {
        if !self.refill() {
            return None;
        }
        self.current.pop()
    }

    fn peek(&mut self) -> Option<Entry> {
        if !self.refill() {
            return None;
        }
        self.current.last().copied()
    }

    #[inline]
    fn pop_at(&mut self, t: Time) -> Option<Entry> {
        // `current`, when not empty, holds the smallest entries: no refill needed.
        if self.current.is_empty() && !self.refill() {
            return None;
        }
        match self.current.last() {
            Some(e) if e.time == t => self.current.pop(),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        self.current.len() + self.in_wheel + self.overflow.len()
    }
}

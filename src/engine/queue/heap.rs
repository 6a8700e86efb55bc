//! The reference scheduler: a binary heap.

use super::{Entry, Scheduler};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A binary min-heap of entries: O(log n) push and pop. The reference implementation.
#[derive(Default)]
pub struct HeapScheduler {
    heap: BinaryHeap<Reverse<Entry>>,
}

impl Scheduler for HeapScheduler {
    fn push(&mut self, e: Entry) {
        self.heap.push(Reverse(e));
    }
    fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|Reverse(e)| e)
    }
    fn peek(&mut self) -> Option<Entry> {
        self.heap.peek().map(|Reverse(e)| *e)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

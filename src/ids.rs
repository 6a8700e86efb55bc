//! 32-bit newtype ids.
//!
//! Ids cross module borders as these types, never as bare `usize`: a `NeuronId` is a dense
//! index of the compiled network (0..N), distinct from the *external* id a connectome file
//! gives a neuron (an `i64`, e.g. a FlyWire root id).

use std::fmt;

/// Dense index of a neuron in the compiled network (0..N, populations contiguous).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NeuronId(pub u32);

/// Index of a population (a named group of neurons sharing one model).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PopId(pub u16);

impl NeuronId {
    /// As a `usize` index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl PopId {
    /// As a `usize` index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NeuronId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "neuron {}", self.0)
    }
}

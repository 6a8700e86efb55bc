//! The event-driven core shared by the exact models.
//!
//! [`ExactPopulation`] owns the bookkeeping; a model supplies its dynamics through
//! [`ExactDynamics`]. Per neuron it keeps the predicted next threshold crossing (`pred`,
//! assuming no further input) and its next Poisson arrival; together these are the neuron's
//! *own events*. Before anything touches neuron `i` at `(t, kind)`, [`ExactPopulation::catch_up`]
//! processes the neuron's own events that come earlier in the total order, in time order — so
//! lazily generated Poisson input behaves exactly as if every arrival were a queue entry of a
//! kind between `Stimulus` and `Deliver`, without paying for one.
//!
//! Wake-ups: a neuron with a prediction or pending Poisson input must still be visited when
//! nothing else touches it. `sched[i]`/`generation[i]` name its earliest outstanding queue entry; a
//! new entry is pushed only when the neuron needs waking *earlier* than that (lazy
//! invalidation: a stale entry just causes a harmless catch-up). Poisson-driven neurons are
//! woken once per window (the end of the window holding their next arrival), which is what
//! the conservative synchronisation needs: a spike at `t` is delivered no earlier than
//! `t + D_min`, the end of its window.

use super::drive::Drive;
use super::{Ctx, Population, StateVar};
use crate::engine::queue::{B_MASK, Entry, Kind};
use crate::time::Time;

/// The dynamics of an exact (event-driven) model. All times are ticks; indices are local.
pub trait ExactDynamics: Send {
    /// Number of neurons.
    fn len(&self) -> usize;
    /// True when there are no neurons.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Applies input `w` (model units) arriving at `t`, advancing the state lazily; respects
    /// the refractory period and the model's refractory-input policy.
    fn input(&mut self, i: usize, t: Time, w: f64);
    /// True if the neuron is not refractory and at or above threshold at `t` (all inputs of
    /// tick `t` applied). Models whose potential is continuous may always return false.
    fn above_threshold(&mut self, i: usize, t: Time) -> bool;
    /// The neuron spikes at `t`: reset and refractoriness.
    fn fire(&mut self, i: usize, t: Time);
    /// The first tick after `t` at which the neuron reaches threshold if no further input
    /// arrives (`Time::NEVER` if it never does). Called after every change of state.
    fn predict(&mut self, i: usize, t: Time) -> Time;
    /// Sets the constant current `I_e` (pA) from `t` on.
    fn set_current(&mut self, i: usize, t: Time, i_e: f64);
    /// Reads a variable at `t` without changing state.
    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64>;
}

/// An exact population: dynamics plus wake-up and Poisson bookkeeping.
pub struct ExactPopulation<D: ExactDynamics> {
    /// The model's state and parameters.
    pub dynamics: D,
    pred: Vec<Time>,
    sched: Vec<Time>,
    generation: Vec<u32>,
    drive: Option<Drive>,
    touched: Vec<u32>,
    is_touched: Vec<bool>,
}

impl<D: ExactDynamics> ExactPopulation<D> {
    /// Wraps dynamics; `drive` is the Poisson input, if any.
    pub fn new(dynamics: D, drive: Option<Drive>) -> Self {
        let n = dynamics.len();
        ExactPopulation {
            dynamics,
            pred: vec![Time::NEVER; n],
            sched: vec![Time::NEVER; n],
            generation: vec![0; n],
            drive,
            touched: Vec::new(),
            is_touched: vec![false; n],
        }
    }

    /// Processes neuron `i`'s own events (predicted crossing, Poisson arrivals) that precede
    /// `(t, kind)` in the total order. Arrivals at exactly `t` are applied without a threshold
    /// test: the end-of-tick test sees them together with the tick's other inputs.
    #[inline]
    fn catch_up(&mut self, i: usize, t: Time, kind: Kind, ctx: &mut Ctx) {
        loop {
            let arrival = match &self.drive {
                Some(d) => d.next(i),
                None => Time::NEVER,
            };
            let p = self.pred[i];
            // A crossing precedes everything of its tick; an arrival precedes Deliver and later
            // kinds at its tick.
            if p <= t && p <= arrival {
                if p == Time::NEVER {
                    return;
                }
                self.spike(i, p, ctx);
                continue;
            }
            let arrival_due = arrival < t || (arrival == t && kind > Kind::Stimulus);
            if !arrival_due {
                return;
            }
            let w = self
                .drive
                .as_mut()
                .expect("an arrival implies a drive")
                .take(i);
            self.dynamics.input(i, arrival, w);
            if arrival == t {
                self.touch(i);
                return;
            }
            self.settle(i, arrival, ctx);
        }
    }

    /// End of a tick for neuron `i`: threshold test, then a new prediction.
    #[inline]
    fn settle(&mut self, i: usize, t: Time, ctx: &mut Ctx) {
        if self.dynamics.above_threshold(i, t) {
            self.spike(i, t, ctx);
        } else {
            self.pred[i] = self.dynamics.predict(i, t);
            self.ensure_wake(i, ctx);
        }
    }

    fn spike(&mut self, i: usize, t: Time, ctx: &mut Ctx) {
        self.dynamics.fire(i, t);
        ctx.spikes.push((t, i as u32));
        self.pred[i] = self.dynamics.predict(i, t);
        self.ensure_wake(i, ctx);
    }

    /// Makes sure a queue entry wakes neuron `i` no later than it needs.
    #[inline]
    fn ensure_wake(&mut self, i: usize, ctx: &mut Ctx) {
        let mut due = self.pred[i];
        let mut kind = Kind::Crossing;
        if let Some(d) = &self.drive {
            let a = d.next(i);
            if a < due {
                // Wake at the last tick of the window holding the arrival.
                let w = ctx.window.0.max(1);
                due = Time((a.0 / w + 1) * w - 1);
                kind = Kind::PoissonFlush;
            }
        }
        if due < self.sched[i] {
            self.generation[i] = self.generation[i].wrapping_add(1);
            self.sched[i] = due;
            ctx.queue.push(Entry::new(
                due,
                kind,
                ctx.offset + i as u32,
                self.generation[i],
            ));
        }
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        if !self.is_touched[i] {
            self.is_touched[i] = true;
            self.touched.push(i as u32);
        }
    }
}

impl<D: ExactDynamics> Population for ExactPopulation<D> {
    fn len(&self) -> usize {
        self.dynamics.len()
    }

    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if let Some(d) = &mut self.drive {
            d.start_exact(t);
        }
        for i in 0..self.len() {
            self.pred[i] = self.dynamics.predict(i, t);
            self.ensure_wake(i, ctx);
        }
    }

    fn deliver(&mut self, t: Time, targets: &[u32], weights: &[f32], ctx: &mut Ctx) {
        for (&i, &w) in targets.iter().zip(weights) {
            let i = i as usize;
            self.catch_up(i, t, Kind::Deliver, ctx);
            self.dynamics.input(i, t, w as f64);
            self.touch(i);
        }
    }

    fn end_tick(&mut self, t: Time, ctx: &mut Ctx) {
        let mut touched = std::mem::take(&mut self.touched);
        for &i in &touched {
            let i = i as usize;
            self.is_touched[i] = false;
            self.settle(i, t, ctx);
        }
        touched.clear();
        self.touched = touched;
    }

    fn wake(&mut self, t: Time, kind: Kind, local: u32, b: u32, ctx: &mut Ctx) {
        let i = local as usize;
        let valid = self.sched[i] == t && (self.generation[i] as u64 & B_MASK) == b as u64;
        if valid {
            self.sched[i] = Time::NEVER;
        }
        self.catch_up(i, t, kind, ctx);
        self.ensure_wake(i, ctx);
    }

    fn set_current(&mut self, t: Time, local: u32, i_e: f64, ctx: &mut Ctx) {
        let i = local as usize;
        self.catch_up(i, t, Kind::Stimulus, ctx);
        self.dynamics.set_current(i, t, i_e);
        self.touch(i);
    }

    fn sample(&mut self, t: Time, local: u32, var: StateVar, ctx: &mut Ctx) -> Option<f64> {
        self.catch_up(local as usize, t, Kind::Sample, ctx);
        self.dynamics.sample(local as usize, t, var)
    }

    fn needs_end_tick(&self) -> bool {
        !self.touched.is_empty()
    }
}

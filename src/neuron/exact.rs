//! The event-driven core shared by the exact models.
//!
//! [`ExactPopulation`] owns the bookkeeping; a model supplies its dynamics through
//! [`ExactDynamics`]. Per neuron it keeps a [`Plan`] (the next threshold crossing assuming no
//! further input, or an earlier check) and its next Poisson arrival; together these are the
//! neuron's *own events*. Before anything touches neuron `i` at `(t, kind)`, [`ExactPopulation::catch_up`]
//! processes the neuron's own events that come earlier in the total order, in time order — so
//! lazily generated Poisson input behaves exactly as if every arrival were a queue entry of a
//! kind between `Stimulus` and `Deliver`, without paying for one.
//!
//! Wake-ups: a neuron with a plan or pending Poisson input must still be visited when
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

/// When a neuron must next be visited if no input arrives: a planned crossing, or an earlier
/// check.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The time; `Time::NEVER` if the neuron cannot reach threshold without input.
    pub at: Time,
    /// True if `at` is the crossing itself; false if it is a check, a lower bound of the
    /// crossing at which the dynamics want to plan again.
    pub fire: bool,
}

impl Plan {
    /// No crossing without input.
    pub const NEVER: Plan = Plan {
        at: Time::NEVER,
        fire: false,
    };
}

/// The dynamics of an exact (event-driven) model. All times are ticks; indices are local.
///
/// Planning protocol: after every change of state the core asks [`ExactDynamics::plan_holds`];
/// only if the last plan no longer bounds the crossing from below does it call
/// [`ExactDynamics::plan`]. At a planned crossing it asks [`ExactDynamics::confirm`] (inputs that
/// delay a crossing leave the plan a valid lower bound but no longer exact).
pub trait ExactDynamics: Send {
    /// Number of neurons.
    fn len(&self) -> usize;
    /// True when there are no neurons.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Applies input `w` (model units) arriving at `t`, advancing the state lazily; respects
    /// the refractory period and the model's refractory-input policy. Returns true if the
    /// neuron may need end-of-tick work (it may be at threshold, or its plan may no longer
    /// hold); false only when neither is possible.
    fn input(&mut self, i: usize, t: Time, w: f64) -> bool;
    /// Applies a slice of inputs arriving at `t` (weight `weights[k]` to neuron `targets[k]`)
    /// to neurons whose own events are all later than `t`, pushing onto `touched` every
    /// neuron for which [`ExactDynamics::input`] would return true. Models override it to
    /// hoist per-tick work out of the loop.
    fn input_slice(&mut self, t: Time, targets: &[u32], weights: &[f32], touched: &mut Vec<u32>) {
        for (&i, &w) in targets.iter().zip(weights) {
            if self.input(i as usize, t, w as f64) {
                touched.push(i);
            }
        }
    }
    /// True if the neuron is not refractory and at or above threshold at `t` (all inputs of
    /// tick `t` applied). Models whose potential is continuous may always return false.
    fn above_threshold(&mut self, i: usize, t: Time) -> bool;
    /// The neuron spikes at `t`: reset and refractoriness.
    fn fire(&mut self, i: usize, t: Time);
    /// Plans the next visit after `t` assuming no further input.
    fn plan(&mut self, i: usize, t: Time) -> Plan;
    /// True if the last plan is still a lower bound of the crossing after the inputs since.
    fn plan_holds(&self, i: usize) -> bool;
    /// At a planned crossing: true if it is still exact (no input changed the state since).
    fn confirm(&self, i: usize) -> bool;
    /// Sets the constant current `I_e` (pA) from `t` on.
    fn set_current(&mut self, i: usize, t: Time, i_e: f64);
    /// Length of an epoch, if the model's representation needs rebasing (see
    /// [`ExactDynamics::rebase`]).
    fn epoch(&self) -> Option<Time> {
        None
    }
    /// Moves every neuron's representation to the epoch starting at `t`. Called first at `t`,
    /// after every neuron was brought up to `t`, so the arithmetic is the same for any
    /// partition of the population.
    fn rebase(&mut self, _t: Time) {}
    /// Reads a variable at `t` without changing state.
    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64>;
}

/// A neuron's bookkeeping: its plan, and the time and generation of its earliest
/// outstanding wake entry (`Time::NEVER` if none).
#[derive(Copy, Clone, Debug)]
struct Track {
    plan: Plan,
    sched: Time,
    generation: u32,
}

/// An exact population: dynamics plus wake-up and Poisson bookkeeping.
pub struct ExactPopulation<D: ExactDynamics> {
    /// The model's state and parameters.
    pub dynamics: D,
    /// Per neuron: the plan and the earliest outstanding wake entry, side by side (a wake
    /// reads both: one cache line instead of three).
    track: Vec<Track>,
    drive: Option<Drive>,
    /// Neurons that need end-of-tick work (repeats allowed: settling twice is harmless, and
    /// cheaper than a per-neuron flag on the hot path). Inputs that can change neither the
    /// threshold test nor the plan (most of them) never get here.
    touched: Vec<u32>,
}

impl<D: ExactDynamics> ExactPopulation<D> {
    /// Wraps dynamics; `drive` is the Poisson input, if any.
    pub fn new(dynamics: D, drive: Option<Drive>) -> Self {
        let n = dynamics.len();
        ExactPopulation {
            dynamics,
            track: vec![
                Track {
                    plan: Plan::NEVER,
                    sched: Time::NEVER,
                    generation: 0,
                };
                n
            ],
            drive,
            touched: Vec::new(),
        }
    }

    /// Processes neuron `i`'s own events (planned crossing or check, Poisson arrivals) that
    /// precede `(t, kind)` in the total order. Arrivals at exactly `t` are applied without a
    /// threshold test: the end-of-tick test sees them together with the tick's other inputs.
    #[inline]
    fn catch_up(&mut self, i: usize, t: Time, kind: Kind, ctx: &mut Ctx) {
        loop {
            let arrival = match &self.drive {
                Some(d) => d.next(i),
                None => Time::NEVER,
            };
            let p = self.track[i].plan;
            // A crossing precedes everything of its tick; an arrival precedes Deliver and later
            // kinds at its tick.
            let plan_due = p.at < t || (p.at == t && kind >= Kind::Crossing);
            if plan_due && p.at <= arrival {
                if p.at == Time::NEVER {
                    return;
                }
                if p.fire && self.dynamics.confirm(i) {
                    self.spike(i, p.at, ctx);
                } else {
                    // A check, or a crossing that input has delayed: plan again from there.
                    self.track[i].plan = self.dynamics.plan(i, p.at);
                }
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
            let needs = self.dynamics.input(i, arrival, w);
            if arrival == t {
                if needs {
                    self.touch(i);
                }
                return;
            }
            self.settle(i, arrival, ctx);
        }
    }

    /// End of a tick for neuron `i`: threshold test, then a new plan if the old one broke.
    #[inline]
    fn settle(&mut self, i: usize, t: Time, ctx: &mut Ctx) {
        if self.dynamics.above_threshold(i, t) {
            self.spike(i, t, ctx);
        } else if !self.dynamics.plan_holds(i) {
            self.track[i].plan = self.dynamics.plan(i, t);
            self.ensure_wake(i, ctx);
        }
    }

    fn spike(&mut self, i: usize, t: Time, ctx: &mut Ctx) {
        self.dynamics.fire(i, t);
        ctx.spikes.push((t, i as u32));
        self.track[i].plan = self.dynamics.plan(i, t);
        self.ensure_wake(i, ctx);
    }

    /// Makes sure a queue entry wakes neuron `i` no later than it needs.
    #[inline]
    fn ensure_wake(&mut self, i: usize, ctx: &mut Ctx) {
        let mut due = self.track[i].plan.at;
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
        if due < self.track[i].sched {
            self.track[i].generation = self.track[i].generation.wrapping_add(1);
            self.track[i].sched = due;
            ctx.queue.push(Entry::new(
                due,
                kind,
                ctx.offset + i as u32,
                self.track[i].generation,
            ));
        }
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        self.touched.push(i as u32);
    }
}

impl<D: ExactDynamics> Population for ExactPopulation<D> {
    fn len(&self) -> usize {
        self.dynamics.len()
    }

    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if let Some(e) = self.dynamics.epoch()
            && self.len() > 0
        {
            ctx.queue
                .push(Entry::new(t + e, Kind::Rebase, ctx.offset, 0));
        }
        if let Some(d) = &mut self.drive {
            d.start_exact(t);
        }
        for i in 0..self.len() {
            self.track[i].plan = self.dynamics.plan(i, t);
            self.ensure_wake(i, ctx);
        }
    }

    fn deliver(&mut self, t: Time, targets: &[u32], weights: &[f32], ctx: &mut Ctx) {
        if self.drive.is_some() {
            for (&i, &w) in targets.iter().zip(weights) {
                let i = i as usize;
                self.catch_up(i, t, Kind::Deliver, ctx);
                if self.dynamics.input(i, t, w as f64) {
                    self.touch(i);
                }
            }
        } else {
            // Without Poisson input a neuron's only own event is its plan, and a plan due at or
            // before `t` has been handled by its wake entry (kinds Crossing/PoissonFlush come
            // before Deliver at the same tick, and a wake is never later than the plan).
            debug_assert!(targets.iter().all(|&i| self.track[i as usize].plan.at > t));
            self.dynamics
                .input_slice(t, targets, weights, &mut self.touched);
        }
    }

    fn end_tick(&mut self, t: Time, ctx: &mut Ctx) {
        let mut touched = std::mem::take(&mut self.touched);
        for &i in &touched {
            self.settle(i as usize, t, ctx);
        }
        touched.clear();
        self.touched = touched;
    }

    fn wake(&mut self, t: Time, kind: Kind, local: u32, b: u32, ctx: &mut Ctx) {
        if kind == Kind::Rebase {
            for i in 0..self.len() {
                self.catch_up(i, t, Kind::Rebase, ctx);
            }
            self.dynamics.rebase(t);
            if let Some(e) = self.dynamics.epoch() {
                ctx.queue
                    .push(Entry::new(t + e, Kind::Rebase, ctx.offset, 0));
            }
            return;
        }
        let i = local as usize;
        let valid =
            self.track[i].sched == t && (self.track[i].generation as u64 & B_MASK) == b as u64;
        if valid {
            self.track[i].sched = Time::NEVER;
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

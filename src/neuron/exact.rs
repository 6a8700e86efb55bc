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
//! Visits: a neuron with a plan or pending Poisson input must still be visited when nothing
//! else touches it — by the end of the window (the smallest delay) that holds its earliest own
//! event, which is all the conservative synchronisation needs: a spike at `t` reaches other
//! neurons no earlier than `t + D_min`, past that window. So instead of one queue entry per
//! neuron and event, each population keeps a ring of per-window lists and one `Sweep` entry
//! per window that has any; a neuron whose event moves to an earlier window is registered
//! again there (its old registration is skipped). Meanwhile the model keeps each neuron's
//! `due` time beside its state, so an input that arrives after an unvisited event catches the
//! neuron up first.

use super::drive::Drive;
use super::{Ctx, Population, StateVar};
use crate::engine::Weights;
use crate::engine::queue::{Entry, Kind};
use crate::engine::state::{PopState, StateError, Table};
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
    /// Adds `w` (mV) to the membrane potential at `t` (a Poisson stimulus with
    /// `target_var = "V_m"`); same contract as [`ExactDynamics::input`]. The default is
    /// `input`, right for models whose synaptic input is a jump of the potential.
    fn jump(&mut self, i: usize, t: Time, w: f64) -> bool {
        self.input(i, t, w)
    }
    /// The time of neuron `i`'s earliest own event, as last given to
    /// [`ExactDynamics::set_due`]. Kept by the model so that the input path reads it from the
    /// cache line it touches anyway.
    fn due(&self, i: usize) -> Time;
    /// Records the time of neuron `i`'s earliest own event (plan or Poisson arrival).
    fn set_due(&mut self, i: usize, due: Time);
    /// The core's bookkeeping of neuron `i`, kept by the model beside the state a visit
    /// reads (one cache line fewer per visit than a separate array).
    fn track(&self, i: usize) -> &Track;
    /// See [`ExactDynamics::track`].
    fn track_mut(&mut self, i: usize) -> &mut Track;
    /// Applies inputs arriving at `t` (weight `weights.get(k)` to neuron `targets[k]`) in order,
    /// pushing onto `touched` every neuron for which [`ExactDynamics::input`] returns true,
    /// and stops before the first target whose own events are due (`due ≤ t`): those need
    /// the core's catch-up first. Returns the number of inputs applied. Models override it
    /// to hoist per-tick work out of the loop.
    fn input_slice(
        &mut self,
        t: Time,
        targets: &[u32],
        weights: Weights,
        touched: &mut Vec<u32>,
    ) -> usize {
        weights.apply(targets, |i, w| {
            if self.due(i as usize) <= t {
                return false;
            }
            if self.input(i as usize, t, w as f64) {
                touched.push(i);
            }
            true
        })
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
    /// The neurons `idx` (ascending) as dynamics of their own, before the run starts.
    fn subset(&self, idx: &[u32]) -> Self
    where
        Self: Sized;
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
    /// Writes the dynamic state of every neuron (its `due` time and its [`Track`] included)
    /// into a population's neuron table, as it is: lazily updated state stays as of its last
    /// update.
    fn save(&self, neurons: &mut Table);
    /// Loads what [`ExactDynamics::save`] wrote into dynamics built from the same model (one
    /// row per neuron of these dynamics).
    fn load(&mut self, neurons: &Table) -> Result<(), StateError>;
}

/// Windows covered by a population's wake ring; a neuron due later gets a sweep entry of its
/// own.
const RING: usize = 1024;

/// A neuron's bookkeeping in [`ExactPopulation`]: its plan, and the window whose sweep will
/// visit it. Models store it ([`ExactDynamics::track`]) and never look inside.
#[derive(Copy, Clone, Debug)]
pub struct Track {
    plan: Plan,
    /// `u64::MAX` if no sweep will visit the neuron.
    window: u64,
}

impl Track {
    /// Writes the tracks of a population's neurons as the columns `track.plan_at`,
    /// `track.plan_fire` and `track.window`.
    pub fn save_all<'a>(tracks: impl Iterator<Item = &'a Track>, neurons: &mut Table) {
        let (mut at, mut fire, mut window) = (Vec::new(), Vec::new(), Vec::new());
        for t in tracks {
            at.push(t.plan.at.0);
            fire.push(t.plan.fire as u8);
            window.push(t.window);
        }
        neurons.put("track.plan_at", 1, at);
        neurons.put("track.plan_fire", 1, fire);
        neurons.put("track.window", 1, window);
    }

    /// The tracks written by [`Track::save_all`], one per row.
    pub fn load_all(neurons: &Table) -> Result<Vec<Track>, StateError> {
        let at = neurons.get::<u64>("track.plan_at", 1)?;
        let fire = neurons.get::<u8>("track.plan_fire", 1)?;
        let window = neurons.get::<u64>("track.window", 1)?;
        (0..neurons.rows)
            .map(|k| {
                if fire[k] > 1 {
                    return Err(StateError {
                        column: "track.plan_fire".into(),
                        message: format!("row {k}: {} is not a flag (0 or 1)", fire[k]),
                    });
                }
                Ok(Track {
                    plan: Plan {
                        at: Time(at[k]),
                        fire: fire[k] == 1,
                    },
                    window: window[k],
                })
            })
            .collect()
    }
}

impl Default for Track {
    fn default() -> Track {
        Track {
            plan: Plan::NEVER,
            window: u64::MAX,
        }
    }
}

/// A slot of the wake ring.
#[derive(Clone, Debug)]
struct Slot {
    /// The window for which a sweep entry is queued (`u64::MAX` if none).
    window: u64,
    /// The neurons to visit at its last tick. Entries of neurons re-registered for an
    /// earlier window since are skipped.
    list: Vec<u32>,
}

/// An exact population: dynamics plus wake-up and Poisson bookkeeping.
pub struct ExactPopulation<D: ExactDynamics> {
    /// The model's state and parameters.
    pub dynamics: D,
    /// Per window (modulo [`RING`]): the neurons to visit at its last tick.
    ring: Vec<Slot>,
    drive: Option<Drive>,
    /// Neurons that need end-of-tick work (repeats allowed: settling twice is harmless, and
    /// cheaper than a per-neuron flag on the hot path). Inputs that can change neither the
    /// threshold test nor the plan (most of them) never get here.
    touched: Vec<u32>,
    /// Some neuron was ever registered by an entry of its own, beyond the ring.
    far: bool,
}

impl<D: ExactDynamics> ExactPopulation<D> {
    /// Wraps dynamics; `drive` is the Poisson input, if any.
    pub fn new(dynamics: D, drive: Option<Drive>) -> Self {
        ExactPopulation {
            dynamics,
            ring: vec![
                Slot {
                    window: u64::MAX,
                    list: Vec::new()
                };
                RING
            ],
            drive,
            touched: Vec::new(),
            far: false,
        }
    }

    /// Processes neuron `i`'s own events (planned crossing or check, Poisson arrivals) that
    /// precede `(t, kind)` in the total order, then registers its next visit. Arrivals at
    /// exactly `t` are applied (all of them) without a threshold test: the end-of-tick test
    /// sees them together with the tick's other inputs.
    #[inline]
    fn catch_up(&mut self, i: usize, t: Time, kind: Kind, ctx: &mut Ctx) {
        self.own_events(i, t, kind, ctx);
        self.ensure_wake(i, t, ctx);
    }

    /// The loop of [`ExactPopulation::catch_up`]. It may leave the neuron's `due` out of date;
    /// `catch_up` brings it up to date once at the end, when every remaining own event is at
    /// or after `t` (registering for an earlier, already swept window would lose the neuron).
    #[inline]
    fn own_events(&mut self, i: usize, t: Time, kind: Kind, ctx: &mut Ctx) {
        loop {
            let arrival = match &self.drive {
                Some(d) => d.next(i),
                None => Time::NEVER,
            };
            let p = self.dynamics.track(i).plan;
            // A crossing precedes everything of its tick; an arrival precedes Deliver and later
            // kinds at its tick.
            let plan_due = p.at < t || (p.at == t && kind >= Kind::Crossing);
            if plan_due && p.at <= arrival {
                if p.at == Time::NEVER {
                    return;
                }
                if p.fire && self.dynamics.confirm(i) {
                    self.spike(i, p.at, ctx);
                    if ctx.spikes.len() >= ctx.spike_limit {
                        // A runaway: the engine stops the run on these spikes.
                        return;
                    }
                } else {
                    // A check, or a crossing that input has delayed: plan again from there.
                    let plan = self.dynamics.plan(i, p.at);
                    self.dynamics.track_mut(i).plan = plan;
                }
                continue;
            }
            let arrival_due = arrival < t || (arrival == t && kind > Kind::Stimulus);
            if !arrival_due {
                return;
            }
            let (w, to_v) = self
                .drive
                .as_mut()
                .expect("an arrival implies a drive")
                .take(i);
            let needs = if to_v {
                self.dynamics.jump(i, arrival, w)
            } else {
                self.dynamics.input(i, arrival, w)
            };
            if arrival == t {
                // Every arrival of the tick is applied before its end-of-tick test (several
                // can share it), and none is left for a visit: at a sweep, `t` is the last
                // tick of the window being swept, and an event left there would be lost.
                if needs {
                    self.touch(i);
                }
                continue;
            }
            self.settle(i, arrival, ctx);
        }
    }

    /// End of a tick for neuron `i`: threshold test, then a new plan if the old one broke.
    /// Returns true if the plan changed; the caller then registers the next visit.
    #[inline]
    fn settle(&mut self, i: usize, t: Time, ctx: &mut Ctx) -> bool {
        if self.dynamics.above_threshold(i, t) {
            self.spike(i, t, ctx);
            true
        } else if !self.dynamics.plan_holds(i) {
            let plan = self.dynamics.plan(i, t);
            self.dynamics.track_mut(i).plan = plan;
            true
        } else {
            false
        }
    }

    /// Neuron `i` spikes at `t`. The caller registers the next visit.
    fn spike(&mut self, i: usize, t: Time, ctx: &mut Ctx) {
        self.dynamics.fire(i, t);
        ctx.spikes.push((t, i as u32));
        let plan = self.dynamics.plan(i, t);
        self.dynamics.track_mut(i).plan = plan;
    }

    /// Records neuron `i`'s earliest own event as its `due` time and makes sure a sweep
    /// visits it by the end of the window holding that event. `now` is the current time;
    /// every own event of the neuron is at or after it.
    ///
    /// Visiting at the window's end rather than at the event is exact: a spike found then
    /// keeps its own time and reaches other neurons no earlier than one smallest delay later,
    /// past the window; inputs to the neuron itself meanwhile see `due` and catch up first.
    #[inline]
    fn ensure_wake(&mut self, i: usize, now: Time, ctx: &mut Ctx) {
        let mut due = self.dynamics.track(i).plan.at;
        if let Some(d) = &self.drive {
            due = due.min(d.next(i));
        }
        self.dynamics.set_due(i, due);
        if due == Time::NEVER {
            return;
        }
        let width = ctx.window.0.max(1);
        let w = due.0 / width;
        if w < self.dynamics.track(i).window {
            self.dynamics.track_mut(i).window = w;
            let end = Time((w + 1).saturating_mul(width) - 1);
            if w >= now.0 / width + RING as u64 {
                // Beyond the ring: a visit of its own (rare unless windows are tiny).
                self.far = true;
                ctx.queue
                    .push(Entry::new(end, Kind::Sweep, ctx.offset + i as u32, 1));
                return;
            }
            let slot = &mut self.ring[w as usize % RING];
            if slot.window != w {
                slot.window = w;
                ctx.queue.push(Entry::new(end, Kind::Sweep, ctx.offset, 0));
            }
            slot.list.push(i as u32);
        }
    }

    /// The visit of neuron `i` at `t`, the end of window `w`, if it is still registered for
    /// `w` (not for an earlier window since).
    fn visit(&mut self, i: usize, w: u64, t: Time, ctx: &mut Ctx) {
        if self.dynamics.track(i).window == w {
            self.dynamics.track_mut(i).window = u64::MAX;
            self.catch_up(i, t, Kind::Sweep, ctx);
        }
    }

    /// The sweep at `t`, the last tick of window `w`: visits the neurons registered for it.
    fn sweep(&mut self, w: u64, t: Time, ctx: &mut Ctx) {
        let slot = w as usize % RING;
        let mut list = std::mem::take(&mut self.ring[slot].list);
        for &i in &list {
            self.visit(i as usize, w, t, ctx);
        }
        // A visit leaves every own event of its neuron after `t`, so none registers here again.
        debug_assert!(
            self.ring[slot].list.is_empty() || ctx.spikes.len() >= ctx.spike_limit,
            "a neuron registered for a swept window"
        );
        list.clear();
        self.ring[slot].list = list;
    }

    /// The visits of window `w` due at or before `t`, a tick inside it: every neuron registered
    /// for `w`, whether on the ring or by an entry of its own ([`Population::catch_up_to`]).
    fn visit_early(&mut self, w: u64, t: Time, ctx: &mut Ctx) {
        if self.far {
            for i in 0..self.dynamics.len() {
                self.visit(i, w, t, ctx);
            }
            return;
        }
        let slot = w as usize % RING;
        if self.ring[slot].window != w {
            return;
        }
        // Neurons whose next own event is still in `w` register again, in a new list for the
        // window's own sweep; the duplicates a visit leaves are skipped there.
        let list = std::mem::take(&mut self.ring[slot].list);
        for &i in &list {
            self.visit(i as usize, w, t, ctx);
        }
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        self.touched.push(i as u32);
    }
}

impl<D: ExactDynamics + 'static> Population for ExactPopulation<D> {
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
            let plan = self.dynamics.plan(i, t);
            self.dynamics.track_mut(i).plan = plan;
            self.ensure_wake(i, t, ctx);
        }
    }

    fn deliver(&mut self, t: Time, targets: &[u32], weights: Weights, ctx: &mut Ctx) {
        let mut k = 0;
        while k < targets.len() {
            // Targets with nothing due go through the model's loop; one that is due (visits
            // come at a window's end, see `ensure_wake`) catches up first.
            k += self
                .dynamics
                .input_slice(t, &targets[k..], weights.skip(k), &mut self.touched);
            if let Some(&i) = targets.get(k) {
                let i = i as usize;
                self.catch_up(i, t, Kind::Deliver, ctx);
                if self.dynamics.input(i, t, weights.get(k) as f64) {
                    self.touch(i);
                }
                k += 1;
            }
        }
    }

    fn end_tick(&mut self, t: Time, ctx: &mut Ctx) {
        let mut touched = std::mem::take(&mut self.touched);
        for &i in &touched {
            // A neuron touched only by input whose plan still holds keeps its visit (its
            // Poisson arrivals, if any, were registered when they were taken).
            if self.settle(i as usize, t, ctx) {
                self.ensure_wake(i as usize, t, ctx);
            }
        }
        touched.clear();
        self.touched = touched;
    }

    fn wake(&mut self, t: Time, kind: Kind, local: u32, b: u32, ctx: &mut Ctx) {
        match kind {
            Kind::Rebase => {
                for i in 0..self.len() {
                    self.catch_up(i, t, Kind::Rebase, ctx);
                }
                self.dynamics.rebase(t);
                if let Some(e) = self.dynamics.epoch() {
                    ctx.queue
                        .push(Entry::new(t + e, Kind::Rebase, ctx.offset, 0));
                }
            }
            Kind::Sweep => {
                let w = t.0 / ctx.window.0.max(1);
                if b == 1 {
                    self.visit(local as usize, w, t, ctx);
                } else {
                    self.sweep(w, t, ctx);
                }
            }
            _ => {}
        }
    }

    fn catch_up_to(&mut self, t: Time, ctx: &mut Ctx) {
        self.visit_early(t.0 / ctx.window.0.max(1), t, ctx);
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

    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| {
                let drive = self.drive.as_ref().map(|d| d.subset(idx));
                Box::new(ExactPopulation::new(self.dynamics.subset(idx), drive))
                    as Box<dyn Population>
            })
            .collect()
    }

    fn save(&self, _t: Time, st: &mut PopState) -> Result<(), StateError> {
        debug_assert!(self.touched.is_empty(), "saved between ticks");
        // The ring and the queued sweeps follow from every neuron's track; the epoch from
        // the time reached.
        self.dynamics.save(&mut st.neurons);
        if let Some(d) = &self.drive {
            d.save(&mut st.neurons);
        }
        Ok(())
    }

    fn load(&mut self, t: Time, st: &PopState, ctx: &mut Ctx) -> Result<(), StateError> {
        if st.neurons.rows != self.len() {
            return Err(StateError {
                column: "neurons".into(),
                message: format!("{} rows for {} neurons", st.neurons.rows, self.len()),
            });
        }
        self.dynamics.load(&st.neurons)?;
        if let Some(d) = &mut self.drive {
            // Starting draws from the streams; the saved state then replaces what it set.
            d.start_exact(t);
            d.load(&st.neurons)?;
        }
        // Epochs start at every multiple of the epoch length from 0 on: the next rebase is
        // at the first one at or after `t` (a rebase at `t` itself has not happened yet).
        if let Some(e) = self.dynamics.epoch()
            && self.len() > 0
        {
            let e = e.0.max(1);
            let k = t.0.div_ceil(e).max(1);
            ctx.queue
                .push(Entry::new(Time(k * e), Kind::Rebase, ctx.offset, 0));
        }
        self.register_all(t, ctx)
    }
}

impl<D: ExactDynamics> ExactPopulation<D> {
    /// After a load at `t`: the ring and the sweep entries, rebuilt from every neuron's
    /// registered window as [`ExactPopulation::ensure_wake`] registers it. A window that ended
    /// before `t` has been swept: its registration is spent. The order of the neurons within a
    /// sweep may differ from the running population's (registration order); it changes no
    /// result, since a visit touches the visited neuron's state only and its spikes keep
    /// their own times.
    fn register_all(&mut self, t: Time, ctx: &mut Ctx) -> Result<(), StateError> {
        let width = ctx.window.0.max(1);
        let now = t.0 / width;
        for slot in &mut self.ring {
            slot.window = u64::MAX;
            slot.list.clear();
        }
        for i in 0..self.dynamics.len() {
            let w = self.dynamics.track(i).window;
            if w == u64::MAX {
                continue;
            }
            let due = self.dynamics.due(i);
            if due != Time::NEVER && due.0 / width < w {
                return Err(StateError {
                    column: "track.window".into(),
                    message: format!(
                        "row {i}: window {w} is after the window of the neuron's due time {}",
                        due.0
                    ),
                });
            }
            if w < now {
                continue;
            }
            let end = Time((w + 1).saturating_mul(width) - 1);
            if w >= now + RING as u64 {
                ctx.queue
                    .push(Entry::new(end, Kind::Sweep, ctx.offset + i as u32, 1));
                continue;
            }
            let slot = &mut self.ring[w as usize % RING];
            if slot.window != w {
                slot.window = w;
                ctx.queue.push(Entry::new(end, Kind::Sweep, ctx.offset, 0));
            }
            slot.list.push(i as u32);
        }
        Ok(())
    }
}

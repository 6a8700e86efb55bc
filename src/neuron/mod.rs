//! Neuron populations: state, dynamics and input handling.
//!
//! A [`Population`] is a contiguous block of neurons sharing one model. The engine hands it
//! slices of synapses to deliver (`targets` are *local* indices), queue entries addressed to it
//! (sweeps of neurons with due events, grid steps), and an end-of-tick call after all entries
//! of a tick. Spikes go out through [`Ctx::spikes`]. `neuron` never sees shards, files or the
//! connectome: only local indices, times and weights.
//!
//! Models:
//! - [`lif_delta`]: LIF with voltage-jump synapses (NEST `iaf_psc_delta_ps` exact, or
//!   `iaf_psc_delta` on a grid);
//! - [`lif_exp`]: LIF with exponential synaptic currents (NEST `iaf_psc_exp_ps`), and
//!   [`lif_exp_grid`], the same on a step in Brian2's order (the whole-fly-brain model);
//! - [`source`]: spike-list sources (NEST `spike_generator` + `parrot_neuron`);
//! - [`burst2c`]: the two-compartment bursting pyramidal neuron of BDSP (Payeur et al. 2021),
//!   models A and B, and [`burst2c_grid`], the same as a grid population with
//!   compartment-targeted inputs (ports);
//! - [`adex`]: adaptive exponential integrate-and-fire PV and SOM interneurons of BDSP, and
//!   [`adex_grid`], the same as a grid population;
//! - [`grid`]: the grid population shared by [`burst2c_grid`] and [`adex_grid`] (cells stepped
//!   together, their order within a step, Poisson drive);
//! - [`real`]: the precision of a population's state (`f64`, or `f32` for [`burst2c`]).

pub mod adex;
pub mod adex_grid;
pub mod background;
pub mod burst2c;
pub mod burst2c_grid;
pub mod columns;
pub mod drive;
pub mod exact;
pub mod expsum;
pub mod grid;
pub mod lif_delta;
pub mod lif_exp;
pub mod lif_exp_grid;
pub mod real;
pub mod source;

use crate::engine::Weights;
use crate::engine::queue::Scheduler;
use crate::engine::state::{PopState, StateError};
use crate::time::Time;

/// An impossible parameter of a neuron model: the model, which parameter, its value and what
/// it must satisfy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{model} parameter `{name}` = {value}: must be {requirement}")]
pub struct NeuronParamError {
    /// The model (`burst2c`, `adex`).
    pub model: &'static str,
    /// The parameter's name, as in the model's parameter struct.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// What the value must satisfy.
    pub requirement: &'static str,
}

impl NeuronParamError {
    /// Checks that every time constant of `taus` is finite and longer than the Euler step
    /// `dt`.
    pub(crate) fn time_constants(
        model: &'static str,
        dt: f64,
        taus: &[(&'static str, f64)],
    ) -> Result<(), NeuronParamError> {
        for &(name, v) in taus {
            Self::check(
                model,
                name,
                v,
                v.is_finite() && v > dt,
                "finite and longer than the step dt_ms (forward Euler)",
            )?;
        }
        Ok(())
    }

    /// `Ok` if `ok`, else the error for parameter `name` of `model`.
    pub(crate) fn check(
        model: &'static str,
        name: &'static str,
        value: f64,
        ok: bool,
        requirement: &'static str,
    ) -> Result<(), NeuronParamError> {
        if ok {
            Ok(())
        } else {
            Err(NeuronParamError {
                model,
                name,
                value,
                requirement,
            })
        }
    }
}

/// What a population may touch while it handles an entry.
pub struct Ctx<'a> {
    /// The shard's scheduler, for predicted crossings and flushes.
    pub queue: &'a mut dyn Scheduler,
    /// Spikes emitted: `(time, local index)`; the engine drains it after every call.
    pub spikes: &'a mut Vec<(Time, u32)>,
    /// Index of the population's local neuron 0 in the shard's numbering (for entries
    /// addressed by neuron).
    pub offset: u32,
    /// Length of a synchronisation window (the smallest delay): a Poisson-driven neuron must
    /// be brought up to date at least once per window.
    pub window: Time,
    /// The most spikes `spikes` may hold: a population whose own events would emit more in
    /// one call stops there (the engine then stops the run: [`crate::engine::Runaway`]).
    pub spike_limit: usize,
}

/// How a model treats input that arrives while the neuron is refractory.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefractoryInput {
    /// Input arriving during the refractory period is lost (NEST `iaf_psc_delta`).
    Discard,
    /// Input is kept: for `lif_delta` it is added at the end of the refractory period, decayed
    /// as if the membrane had integrated it; for `lif_exp` it enters the synaptic currents
    /// (NEST `iaf_psc_exp_ps`).
    Accumulate,
}

/// A state variable that can be recorded.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum StateVar {
    /// Membrane potential (mV).
    #[serde(rename = "V_m")]
    Vm,
    /// Excitatory synaptic current (pA), `lif_exp` only.
    #[serde(rename = "I_syn_ex")]
    ISynEx,
    /// Inhibitory synaptic current (pA), `lif_exp` only.
    #[serde(rename = "I_syn_in")]
    ISynIn,
    /// Dendritic potential (mV), `burst2c` only.
    #[serde(rename = "V_d")]
    VDend,
    /// Moving threshold (mV), `burst2c` only.
    #[serde(rename = "theta")]
    Threshold,
    /// Burst probability σ(V_d) at a spike now, `burst2c` model A.
    #[serde(rename = "p_burst")]
    BurstProbability,
}

impl StateVar {
    /// The name used in model files and output datasets.
    pub fn name(self) -> &'static str {
        match self {
            StateVar::Vm => "V_m",
            StateVar::ISynEx => "I_syn_ex",
            StateVar::ISynIn => "I_syn_in",
            StateVar::VDend => "V_d",
            StateVar::Threshold => "theta",
            StateVar::BurstProbability => "p_burst",
        }
    }
}

/// A block of neurons of one model. See the module docs for the protocol.
pub trait Population: Send {
    /// Number of neurons.
    fn len(&self) -> usize;
    /// True if the population has no neurons.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Schedules whatever the population needs at the start (crossings, flushes, grid steps).
    fn start(&mut self, t: Time, ctx: &mut Ctx);
    /// Applies spike input arriving at `t`: weight `weights.get(k)` to local neuron
    /// `targets[k]`.
    fn deliver(&mut self, t: Time, targets: &[u32], weights: Weights, ctx: &mut Ctx);
    /// Applies spike input arriving at `t` on input `port` (a compartment and receptor of a
    /// multi-compartment model; port 0 goes to [`Population::deliver`]). Single-port models
    /// never get a port other than 0 (the model builder checks it).
    fn deliver_port(
        &mut self,
        t: Time,
        targets: &[u32],
        weights: Weights,
        port: u8,
        ctx: &mut Ctx,
    ) {
        debug_assert_eq!(port, 0, "a single-port model");
        self.deliver(t, targets, weights, ctx);
    }
    /// Called once after all entries of tick `t` that touched this population.
    fn end_tick(&mut self, t: Time, ctx: &mut Ctx);
    /// Handles an entry of the given kind addressed to local neuron `local` (or to the whole
    /// population for grid steps, `local == 0`).
    fn wake(
        &mut self,
        t: Time,
        kind: crate::engine::queue::Kind,
        local: u32,
        b: u32,
        ctx: &mut Ctx,
    );
    /// Sets the constant input current `I_e` (pA) of a neuron from time `t` on.
    fn set_current(&mut self, t: Time, local: u32, i_e: f64, ctx: &mut Ctx);
    /// Sets the constant current (pA) into compartment `port` of a neuron from `t` on (port 0
    /// is [`Population::set_current`]).
    fn set_current_port(&mut self, t: Time, local: u32, port: u8, i_e: f64, ctx: &mut Ctx) {
        debug_assert_eq!(port, 0, "a single-compartment model");
        self.set_current(t, local, i_e, ctx);
    }
    /// Reads a state variable at `t` (after the tick's inputs). Reading never changes the
    /// outcome of a run: it only brings the neuron's own lazily processed events up to date,
    /// which gives the same arithmetic whenever it happens. `None` if the model has no such
    /// variable.
    fn sample(&mut self, t: Time, local: u32, var: StateVar, ctx: &mut Ctx) -> Option<f64>;
    /// Processes every event that the population keeps for later (a lazily visited neuron's
    /// crossings and Poisson arrivals) at or before `t`, the last tick before a stop inside a
    /// window: the run then knows every spike before its stop. Like [`Population::sample`],
    /// this changes no outcome if the run goes on. Populations that process each event at its
    /// time have nothing to do.
    fn catch_up_to(&mut self, _t: Time, _ctx: &mut Ctx) {}
    /// Does the work a population may leave, inside a window, for after its spikes were
    /// sent to other shards: work that changes no spike before the window's end and that the
    /// population does itself, before anything else reads or changes the state it touches.
    /// The engine calls it at the end of every run and, in a sharded run, at every window's
    /// end after the spikes are sent (while the shard waits for the others' spikes). Outside
    /// a run nothing is left undone.
    fn settle(&mut self) {}
    /// Whether this population needs an end-of-tick call (it was touched since the last one).
    fn needs_end_tick(&self) -> bool;
    /// Whether a balanced placement should give each shard a contiguous range of this
    /// population's neurons rather than deal them out (see [`crate::engine::partition`]).
    fn contiguous(&self) -> bool {
        false
    }
    /// Splits the population, before the run starts, into one population per part: part `k`
    /// holds the neurons `parts[k]` (local indices, ascending) with their parameters, initial
    /// state and random streams, so the parts together run exactly as the whole.
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>>;
    /// Writes the population's dynamic state at `t`, where a run stopped (everything before
    /// `t` processed, nothing at or after it): per-neuron rows in `st.neurons`, rows the
    /// parts of a split population share in `st.shared` (see [`crate::engine::state`]).
    /// Parameters are not saved: a checkpoint is loaded into the population its model builds.
    fn save(&self, t: Time, st: &mut PopState) -> Result<(), StateError>;
    /// Loads the state saved at `t` into this population, built from the same model and
    /// split in any way (`st.neurons` holds this part's neurons, `st.shared` every shared
    /// row), and schedules what the state implies from `t` on, in place of
    /// [`Population::start`]. Running on then equals running on without the checkpoint.
    fn load(&mut self, t: Time, st: &PopState, ctx: &mut Ctx) -> Result<(), StateError>;
}

/// The entries `idx` of a per-neuron column.
pub(crate) fn pick<T: Clone>(column: &[T], idx: &[u32]) -> Vec<T> {
    idx.iter().map(|&i| column[i as usize].clone()).collect()
}

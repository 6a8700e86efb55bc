//! The two-compartment bursting neuron ([`super::burst2c`]) as an engine population, stepped
//! on the grid of `simulation.resolution` (0.1 ms in the reference model): a
//! [`GridPopulation`] of [`Burst2c`] cells.
//!
//! # Inputs
//!
//! Synapses and Poisson sources arrive on a port ([`super::burst2c::port`]): 0 soma AMPA,
//! 1 soma GABA, 2 dendrite AMPA, 3 dendrite GABA. Weights are conductances in units of the
//! receiving compartment's leak conductance (≥ 0). Currents (`I_e`, step currents, run-time
//! control) enter compartment 0 (soma) or 1 (dendrite).
//!
//! # Order within the step and Poisson input
//!
//! As for every grid population ([`super::grid`]): spikes delivered at `t` enter the
//! conductances before the step at `t`, then the neurons take their step ([`Burst2c::step`])
//! and emit their spikes at `t`, then this step's Poisson arrivals (those in `(t − h, t]`,
//! one Poisson process of the summed rate per driven neuron, [`super::drive::Drive`]) are
//! added to the conductances.

use super::StateVar;
use super::burst2c::{Burst2c, Compartment, Receptor, of_port};
use super::grid::{GridCells, GridPopulation};
use super::real::Real;
use crate::engine::state::{StateError, Table};

/// A population of two-compartment neurons on a grid.
pub type Burst2cGrid<R = f64> = GridPopulation<Burst2c<R>>;

impl<R: Real> GridCells for Burst2c<R> {
    /// `(neuron, second)`, `second` true for model A's burst second spikes.
    type Spike = (u32, bool);
    type Input = (Compartment, Receptor);

    fn len(&self) -> usize {
        Burst2c::len(self)
    }
    fn dt_ms(&self) -> f64 {
        self.params().dt_ms
    }
    fn step(&mut self, spikes: &mut Vec<(u32, bool)>) {
        Burst2c::step(self, spikes);
    }
    fn neuron(spike: (u32, bool)) -> u32 {
        spike.0
    }
    fn input(port: u8) -> (Compartment, Receptor) {
        of_port(port)
    }
    fn add_input(&mut self, i: u32, (c, r): (Compartment, Receptor), w: f64) {
        self.add_conductance(i, c, r, w);
    }
    fn add_inputs(&mut self, cells: &[u32], (c, r): (Compartment, Receptor), w: f64) {
        self.add_conductances(cells, c, r, w);
    }
    fn set_current_port(&mut self, i: u32, port: u8, pa: f64) {
        let c = if port == 0 {
            Compartment::Soma
        } else {
            Compartment::Dendrite
        };
        self.set_current(i, c, pa);
    }
    fn sample(&self, i: u32, var: StateVar) -> Option<f64> {
        Some(match var {
            StateVar::Vm => self.v_s(i),
            StateVar::VDend => self.v_d(i),
            StateVar::Threshold => self.theta(i),
            StateVar::BurstProbability => self.burst_probability(i),
            StateVar::ISynEx | StateVar::ISynIn => return None,
        })
    }
    fn subset(&self, idx: &[u32]) -> Burst2c<R> {
        Burst2c::subset(self, idx)
    }
    fn steps(&self) -> u64 {
        Burst2c::steps(self)
    }
    fn save(&self, neurons: &mut Table) {
        Burst2c::save(self, neurons);
    }
    fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        Burst2c::load(self, neurons)
    }
}

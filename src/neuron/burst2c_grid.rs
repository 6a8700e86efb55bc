//! The two-compartment bursting neuron ([`super::burst2c`]) as an engine population, stepped
//! on the grid of `simulation.resolution` (0.1 ms in the reference model).
//!
//! # Inputs
//!
//! Synapses and Poisson sources arrive on a port ([`super::burst2c::port`]): 0 soma AMPA,
//! 1 soma GABA, 2 dendrite AMPA, 3 dendrite GABA. Weights are conductances in units of the
//! receiving compartment's leak conductance (≥ 0). Currents (`I_e`, step currents, run-time
//! control) enter compartment 0 (soma) or 1 (dendrite).
//!
//! # Order within the step at `t`
//!
//! Spikes delivered at `t` enter the conductances before the step at `t` (queue order), so a
//! spike emitted at `t − h` with the smallest delay `h` acts from the step at `t` on — exactly
//! as Auryn's connections without delay, which add to the conductances after the step that
//! emitted the spike. Then the neurons take their step ([`Burst2c::step`]) and emit their
//! spikes at `t`, and this step's Poisson arrivals (those in `(t − h, t]`) are added to the
//! conductances (Auryn's Poisson groups are propagated after the neuron update too).
//!
//! # Poisson input
//!
//! Each driven neuron's sources are one Poisson process of the summed rate whose arrivals are
//! generated ahead (an exponential gap each) and picked among the sources by rate, exactly as
//! for the exact models ([`Drive::take_source`]); binned into steps, the count of each source
//! per step is Poisson(rate·h), the same law as a per-step draw. A step costs one comparison
//! per driven neuron instead of one draw per source: the XOR network's background (four
//! sources of 150–500 Hz per neuron, 0.015–0.05 arrivals per source and step) was 45 % of its
//! run time drawn per step.

use super::burst2c::{Burst2c, Compartment, of_port};
use super::drive::Drive;
use super::{Ctx, Population, StateVar};
use crate::engine::Weights;
use crate::engine::queue::{Entry, Kind};
use crate::time::Time;

/// A population of two-compartment neurons on a grid.
pub struct Burst2cGrid {
    cells: Burst2c,
    h: Time,
    drive: Option<Drive>,
    driven: Vec<u32>,
    spikes: Vec<(u32, bool)>,
}

impl Burst2cGrid {
    /// The neurons `cells`, stepped every `h_ms`, with Poisson drive `drive` (sources on
    /// ports, see the module docs).
    pub fn new(cells: Burst2c, h_ms: f64, mut drive: Option<Drive>) -> Burst2cGrid {
        if let Some(d) = &mut drive {
            d.start_exact(Time::ZERO);
        }
        Burst2cGrid {
            cells,
            h: Time::from_ms(h_ms).expect("resolution validated"),
            driven: drive.as_ref().map(Drive::driven).unwrap_or_default(),
            drive,
            spikes: Vec::new(),
        }
    }

    fn step(&mut self, t: Time, ctx: &mut Ctx) {
        self.spikes.clear();
        self.cells.step(&mut self.spikes);
        for &(i, _) in &self.spikes {
            ctx.spikes.push((t, i));
        }
        if let Some(d) = &mut self.drive {
            for &i in &self.driven {
                while d.next(i as usize) <= t {
                    let s = d.take_source(i as usize);
                    let (c, r) = of_port(s.port);
                    self.cells.add_conductance(i, c, r, s.weight);
                }
            }
        }
    }
}

fn compartment(port: u8) -> Compartment {
    if port == 0 {
        Compartment::Soma
    } else {
        Compartment::Dendrite
    }
}

impl Population for Burst2cGrid {
    fn len(&self) -> usize {
        self.cells.len()
    }
    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if !self.cells.is_empty() {
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn deliver(&mut self, t: Time, targets: &[u32], weights: Weights, ctx: &mut Ctx) {
        self.deliver_port(t, targets, weights, 0, ctx);
    }
    fn deliver_port(
        &mut self,
        _t: Time,
        targets: &[u32],
        weights: Weights,
        port: u8,
        _ctx: &mut Ctx,
    ) {
        let (c, r) = of_port(port);
        let cells = &mut self.cells;
        weights.apply(targets, |i, w| {
            cells.add_conductance(i, c, r, f64::from(w));
            true
        });
    }
    fn end_tick(&mut self, _t: Time, _ctx: &mut Ctx) {}
    fn wake(&mut self, t: Time, kind: Kind, _local: u32, _b: u32, ctx: &mut Ctx) {
        if kind == Kind::GridStep {
            self.step(t, ctx);
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn set_current(&mut self, t: Time, local: u32, i_e: f64, ctx: &mut Ctx) {
        self.set_current_port(t, local, 0, i_e, ctx);
    }
    fn set_current_port(&mut self, _t: Time, local: u32, port: u8, i_e: f64, _ctx: &mut Ctx) {
        self.cells.set_current(local, compartment(port), i_e);
    }
    fn sample(&mut self, _t: Time, local: u32, var: StateVar, _ctx: &mut Ctx) -> Option<f64> {
        Some(match var {
            StateVar::Vm => self.cells.v_s(local),
            StateVar::VDend => self.cells.v_d(local),
            StateVar::Threshold => self.cells.theta(local),
            StateVar::BurstProbability => self.cells.burst_probability(local),
            StateVar::ISynEx | StateVar::ISynIn => return None,
        })
    }
    fn needs_end_tick(&self) -> bool {
        false
    }
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| {
                let drive = self.drive.as_ref().map(|d| d.subset(idx));
                Box::new(Burst2cGrid {
                    cells: self.cells.subset(idx),
                    h: self.h,
                    driven: drive.as_ref().map(Drive::driven).unwrap_or_default(),
                    drive,
                    spikes: Vec::new(),
                }) as Box<dyn Population>
            })
            .collect()
    }
}

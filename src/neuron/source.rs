//! Spike-list sources: neurons that emit spikes at listed times (NEST `spike_generator` with
//! precise times, feeding a `parrot_neuron`). Their spikes travel over ordinary synapses with
//! delays, like any neuron's.

use super::{Ctx, Population, StateVar};
use crate::engine::Weights;
use crate::engine::state::{PopState, StateError};
use crate::engine::queue::{Entry, Kind};
use crate::time::Time;

/// A population of spike-list sources.
pub struct SpikeSource {
    /// Per source: its spike times, sorted, unique.
    times: Vec<Vec<Time>>,
}

impl SpikeSource {
    /// Sources with the given spike times (each list sorted ascending, no duplicates).
    pub fn new(times: Vec<Vec<Time>>) -> Self {
        SpikeSource { times }
    }
}

impl Population for SpikeSource {
    fn len(&self) -> usize {
        self.times.len()
    }
    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        for (i, list) in self.times.iter().enumerate() {
            let k = list.partition_point(|&x| x < t);
            if k < list.len() {
                ctx.queue.push(Entry::new(
                    list[k],
                    Kind::SourceSpike,
                    ctx.offset + i as u32,
                    k as u32,
                ));
            }
        }
    }
    fn deliver(&mut self, _t: Time, _targets: &[u32], _weights: Weights, _ctx: &mut Ctx) {}
    fn end_tick(&mut self, _t: Time, _ctx: &mut Ctx) {}
    fn wake(&mut self, t: Time, kind: Kind, local: u32, _b: u32, ctx: &mut Ctx) {
        if kind != Kind::SourceSpike {
            return;
        }
        let list = &self.times[local as usize];
        ctx.spikes.push((t, local));
        let k = list.partition_point(|&x| x <= t);
        if k < list.len() {
            ctx.queue.push(Entry::new(
                list[k],
                Kind::SourceSpike,
                ctx.offset + local,
                k as u32,
            ));
        }
    }
    fn set_current(&mut self, _t: Time, _local: u32, _i_e: f64, _ctx: &mut Ctx) {}
    fn sample(&mut self, _t: Time, _local: u32, _var: StateVar, _ctx: &mut Ctx) -> Option<f64> {
        None
    }
    fn needs_end_tick(&self) -> bool {
        false
    }
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| Box::new(SpikeSource::new(super::pick(&self.times, idx))) as _)
            .collect()
    }
    fn save(&self, _t: Time, _st: &mut PopState) -> Result<(), StateError> {
        // The lists are parameters; the next spike follows from the time reached.
        Ok(())
    }
    fn load(&mut self, t: Time, _st: &PopState, ctx: &mut Ctx) -> Result<(), StateError> {
        self.start(t, ctx);
        Ok(())
    }
}

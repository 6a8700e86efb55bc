//! The AdEx interneuron ([`super::adex`], the PV and SOM cells of BDSP) as an engine
//! population, stepped on the grid of `simulation.resolution` (0.1 ms in the reference model):
//! a [`GridPopulation`] of [`Adex`] cells, as [`super::burst2c_grid`] wraps the pyramidal
//! neuron.
//!
//! # Inputs
//!
//! Synapses and Poisson sources arrive on a port ([`port`]): 0 AMPA, 1 GABA. Weights are
//! conductances in units of the cell's leak conductance g_L (≥ 0). Currents (`I_e`, step
//! currents, run-time control) enter the membrane; the cell has one compartment, so port 0 is
//! the only current port.
//!
//! # Order within the step and Poisson input
//!
//! As for every grid population ([`super::grid`]): spikes delivered at `t` enter the
//! conductances before the step at `t`, then the cells take their step ([`Adex::step`]) and
//! emit their spikes at `t`, then this step's Poisson arrivals (those in `(t − h, t]`) are
//! added to the conductances. Listed arrivals (`spike_times` stimuli) come on port 0.

use super::StateVar;
use super::adex::Adex;
use super::burst2c::Receptor;
use super::grid::{GridCells, GridPopulation};
use crate::engine::state::{StateError, Table};

/// The input port of a synapse through receptor `r`: 0 AMPA, 1 GABA.
pub fn port(r: Receptor) -> u8 {
    (r == Receptor::Inhibitory) as u8
}

/// The receptor of input port `port` (see [`port`]): 1 is GABA, every other port AMPA (the
/// model builder gives an AdEx population no port beyond 1).
pub fn of_port(port: u8) -> Receptor {
    debug_assert!(port < 2, "AdEx ports are 0 (AMPA) and 1 (GABA), got {port}");
    if port == 1 {
        Receptor::Inhibitory
    } else {
        Receptor::Excitatory
    }
}

/// A population of AdEx neurons on a grid.
pub type AdexGrid = GridPopulation<Adex>;

impl GridCells for Adex {
    /// The neuron.
    type Spike = u32;
    type Input = Receptor;

    fn len(&self) -> usize {
        Adex::len(self)
    }
    fn dt_ms(&self) -> f64 {
        self.params().dt_ms
    }
    fn step(&mut self, spikes: &mut Vec<u32>) {
        Adex::step(self, spikes);
    }
    fn neuron(spike: u32) -> u32 {
        spike
    }
    fn input(port: u8) -> Receptor {
        of_port(port)
    }
    fn add_input(&mut self, i: u32, r: Receptor, w: f64) {
        self.add_conductance(i, r, w);
    }
    fn set_current_port(&mut self, i: u32, port: u8, pa: f64) {
        debug_assert_eq!(port, 0, "an AdEx cell has one compartment");
        self.set_current(i, pa);
    }
    fn sample(&self, i: u32, var: StateVar) -> Option<f64> {
        match var {
            StateVar::Vm => Some(self.v(i)),
            _ => None,
        }
    }
    fn subset(&self, idx: &[u32]) -> Adex {
        Adex::subset(self, idx)
    }
    fn steps(&self) -> u64 {
        Adex::steps(self)
    }
    fn save(&self, neurons: &mut Table) {
        Adex::save(self, neurons);
    }
    fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        Adex::load(self, neurons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Weights;
    use crate::engine::queue::{HeapScheduler, Kind, Scheduler};
    use crate::neuron::adex::AdexParams;
    use crate::neuron::drive::Drive;
    use crate::neuron::drive::Source;
    use crate::neuron::{Ctx, Population};
    use crate::time::Time;

    const H: f64 = 0.1;

    /// The queue and spike buffer a population writes to, as one shard of the engine.
    struct Harness {
        queue: HeapScheduler,
        spikes: Vec<(Time, u32)>,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                queue: HeapScheduler::default(),
                spikes: Vec::new(),
            }
        }

        fn ctx(&mut self) -> Ctx<'_> {
            Ctx {
                queue: &mut self.queue,
                spikes: &mut self.spikes,
                offset: 0,
                window: Time::from_ms(H).expect("small"),
                spike_limit: usize::MAX,
            }
        }

        /// Starts `pop` at 0 and runs its grid steps up to `until` (the engine's loop for a
        /// population alone); returns the time of the last step.
        fn run(&mut self, pop: &mut dyn Population, until: Time) -> Time {
            if self.queue.is_empty() {
                pop.start(Time::ZERO, &mut self.ctx());
            }
            let mut last = Time::ZERO;
            while let Some(e) = self.queue.peek().filter(|e| e.time <= until) {
                self.queue.pop();
                assert_eq!(e.kind(), Kind::GridStep);
                pop.wake(e.time, e.kind(), 0, e.b(), &mut self.ctx());
                last = e.time;
            }
            // As the engine does at the end of a run.
            pop.settle();
            last
        }
    }

    fn at(steps: u64) -> Time {
        Time::from_ms(steps as f64 * H).expect("small")
    }

    /// `n` cells of `p`, every one at rest, neuron `i` with current `i_e(i)`.
    fn cells(p: AdexParams, n: u32, i_e: impl Fn(u32) -> f64) -> Adex {
        let mut c = Adex::new(p, n, 3, 0).expect("valid parameters");
        for i in 0..n {
            c.set_current(i, i_e(i));
        }
        c
    }

    /// Poisson drive: neuron `i` gets AMPA at `rate(i)` Hz (weight 0.2) and GABA at 300 Hz
    /// (weight 0.1).
    fn drive(n: u32, rate: impl Fn(u32) -> f64) -> Drive {
        let per: Vec<Vec<Source>> = (0..n)
            .map(|i| {
                let src = |rate_hz, weight, r| Source {
                    rate_hz,
                    weight,
                    to_v: false,
                    port: port(r),
                };
                vec![
                    src(rate(i), 0.2, Receptor::Excitatory),
                    src(300.0, 0.1, Receptor::Inhibitory),
                ]
            })
            .collect();
        Drive::new(11, 0, &per)
    }

    #[test]
    fn ports_map_to_receptors() {
        for r in [Receptor::Excitatory, Receptor::Inhibitory] {
            assert_eq!(of_port(port(r)), r);
        }
        assert_eq!(
            (port(Receptor::Excitatory), port(Receptor::Inhibitory)),
            (0, 1)
        );
    }

    /// `start` schedules the first step one grid step after the start; each GridStep advances
    /// the cells by exactly one `Adex::step` (bit for bit), reports its spikes at the step's
    /// time and schedules the next step.
    #[test]
    fn grid_step_advances_the_cells_by_one_step() {
        for p in [AdexParams::pv(), AdexParams::som()] {
            let i_e = |i: u32| [0.0, 150.0, 400.0][i as usize];
            let mut twin = cells(p, 3, i_e);
            let mut pop = AdexGrid::new(cells(p, 3, i_e), H, None);
            let mut hs = Harness::new();
            pop.start(Time::ZERO, &mut hs.ctx());
            assert_eq!(hs.queue.len(), 1);
            let first = hs.queue.peek().expect("scheduled");
            assert_eq!(
                (first.time, first.kind(), first.a()),
                (at(1), Kind::GridStep, 0)
            );

            let mut want_spikes = Vec::new();
            let mut s = Vec::new();
            for k in 1..=300 {
                assert_eq!(hs.run(&mut pop, at(k)), at(k));
                s.clear();
                twin.step(&mut s);
                want_spikes.extend(s.iter().map(|&i| (at(k), i)));
                assert_eq!(pop.cells().steps(), k);
                for i in 0..3 {
                    assert_eq!(pop.cells().v(i).to_bits(), twin.v(i).to_bits(), "step {k}");
                    assert_eq!(pop.cells().w(i).to_bits(), twin.w(i).to_bits(), "step {k}");
                }
                let next = hs.queue.peek().expect("the next step");
                assert_eq!((next.time, next.kind()), (at(k + 1), Kind::GridStep));
                assert_eq!(hs.queue.len(), 1);
            }
            assert_eq!(hs.spikes, want_spikes);
            // Silent at 0 pA, firing well above the rheobase (200 pA PV, 25 pA SOM).
            assert!(!hs.spikes.iter().any(|&(_, i)| i == 0));
            assert!(hs.spikes.iter().filter(|&&(_, i)| i == 2).count() >= 3);
        }
    }

    /// A weight delivered on port 0 (or through `deliver`) raises the AMPA conductance of its
    /// targets by the weight, on port 1 the GABA conductance; the next step moves V by
    /// dt/τ_m·g·(E − V) relative to an unkicked neuron.
    #[test]
    fn delivered_weights_raise_their_receptor_conductance() {
        type Case = (Option<u8>, Receptor, f64);
        let cases: [Case; 3] = [
            (None, Receptor::Excitatory, 0.0),
            (Some(0), Receptor::Excitatory, 0.0),
            (Some(1), Receptor::Inhibitory, -80.0),
        ];
        for (port, r, e_rev) in cases {
            let p = AdexParams::pv();
            let mut pop = AdexGrid::new(cells(p, 3, |_| 0.0), H, None);
            let mut hs = Harness::new();
            let t = at(0);
            let ws = [0.25f32, 0.5];
            let (targets, weights) = ([0u32, 2], Weights::Each(&ws));
            match port {
                None => pop.deliver(t, &targets, weights, &mut hs.ctx()),
                Some(q) => pop.deliver_port(t, &targets, weights, q, &mut hs.ctx()),
            }
            let other = match r {
                Receptor::Excitatory => Receptor::Inhibitory,
                Receptor::Inhibitory => Receptor::Excitatory,
            };
            for (i, w) in [(0, 0.25), (1, 0.0), (2, 0.5)] {
                assert_eq!(pop.cells().conductance(i, r), w, "{port:?} neuron {i}");
                assert_eq!(pop.cells().conductance(i, other), 0.0);
            }
            pop.deliver_port(
                t,
                &[2],
                Weights::Uniform(0.25),
                port.unwrap_or(0),
                &mut hs.ctx(),
            );
            assert_eq!(pop.cells().conductance(2, r), 0.75, "weights add up");

            hs.run(&mut pop, at(1));
            let m = H / p.tau_m();
            for (i, g) in [(0, 0.25), (2, 0.75)] {
                let dv = pop.cells().v(i) - pop.cells().v(1);
                let want = m * g * (e_rev - p.e_l);
                assert!(
                    (dv - want).abs() < 1e-12,
                    "{port:?} neuron {i}: {dv} vs {want}"
                );
            }
        }
    }

    /// Poisson arrivals of the step at `t` (those in `(t − h, t]`) enter the conductances
    /// after the step, exactly as a hand-driven twin does, and their number follows the rates.
    #[test]
    fn poisson_drive_is_added_after_each_step() {
        let p = AdexParams::som();
        let n = 4;
        let rate = |i: u32| 500.0 * i as f64; // neuron 0: GABA only
        let mut pop = AdexGrid::new(cells(p, n, |_| 0.0), H, Some(drive(n, rate)));
        let mut twin = cells(p, n, |_| 0.0);
        let mut bg = crate::neuron::background::Background::new(&drive(n, rate), H);
        let mut counts = [[0u32; 2]; 4];
        let mut hs = Harness::new();
        let mut s = Vec::new();
        let steps = 10_000; // 1 s
        for k in 1..=steps {
            hs.run(&mut pop, at(k));
            s.clear();
            twin.step(&mut s);
            bg.step(|i, src| {
                counts[i as usize][src.port as usize] += 1;
                twin.add_conductance(i, of_port(src.port), src.weight);
            });
            for i in 0..n {
                for r in [Receptor::Excitatory, Receptor::Inhibitory] {
                    let (a, b) = (pop.cells().conductance(i, r), twin.conductance(i, r));
                    assert_eq!(a.to_bits(), b.to_bits(), "step {k} neuron {i} {r:?}");
                }
                assert_eq!(pop.cells().v(i).to_bits(), twin.v(i).to_bits());
            }
        }
        for i in 0..n {
            // Poisson counts over 1 s: within 5 standard deviations of the rate.
            for (port, hz) in [(0, rate(i)), (1, 300.0)] {
                let got = counts[i as usize][port] as f64;
                assert!(
                    (got - hz).abs() <= 5.0 * hz.sqrt(),
                    "neuron {i} port {port}: {got}"
                );
            }
        }
        assert!(counts[3][0] > 1000 && counts[0][0] == 0);
    }

    /// Split before the start into {0, 2} and {1, 3}: every neuron keeps its state, current
    /// and Poisson stream, so the parts run exactly as the whole (V, sampled through the
    /// trait, equal bit for bit; the same spikes at the same times).
    #[test]
    fn split_parts_run_as_the_whole() {
        let n = 4;
        let p = AdexParams {
            v0_sd: 4.0,
            ..AdexParams::pv()
        };
        let i_e = |i: u32| 120.0 + 40.0 * i as f64;
        let rate = |i: u32| 800.0 + 200.0 * i as f64;
        let make = || {
            let mut c = Adex::new(p, n, 5, 100).expect("valid");
            for i in 0..n {
                c.set_current(i, i_e(i));
            }
            c.add_conductance(3, Receptor::Excitatory, 0.4);
            Box::new(AdexGrid::new(c, H, Some(drive(n, rate))))
        };
        let mut whole = make();
        let parts_idx = [vec![0u32, 2], vec![1, 3]];
        let mut parts = (make() as Box<dyn Population>).split(&parts_idx);
        assert_eq!(parts.iter().map(|q| q.len()).collect::<Vec<_>>(), [2, 2]);

        let mut hw = Harness::new();
        let mut hp: Vec<Harness> = parts.iter().map(|_| Harness::new()).collect();
        for k in 1..=3000 {
            let t = at(k);
            hw.run(whole.as_mut(), t);
            for (q, h) in parts.iter_mut().zip(&mut hp) {
                h.run(q.as_mut(), t);
            }
            for ((q, idx), h) in parts.iter_mut().zip(&parts_idx).zip(&mut hp) {
                for (local, &i) in idx.iter().enumerate() {
                    let got = q.sample(t, local as u32, StateVar::Vm, &mut h.ctx());
                    let want = whole.sample(t, i, StateVar::Vm, &mut hw.ctx());
                    assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "step {k}");
                }
            }
        }
        let mut merged: Vec<(Time, u32)> = hp
            .iter()
            .zip(&parts_idx)
            .flat_map(|(h, idx)| h.spikes.iter().map(|&(t, l)| (t, idx[l as usize])))
            .collect();
        merged.sort_unstable();
        assert!(hw.spikes.len() > 20, "{} spikes", hw.spikes.len());
        assert_eq!(merged, hw.spikes);
    }

    /// `sample` gives V for `V_m` and nothing else; a current set through the trait (port 0)
    /// enters the cell.
    #[test]
    fn sample_and_currents() {
        let p = AdexParams::som();
        let mut pop = AdexGrid::new(cells(p, 2, |_| 0.0), H, None);
        let mut hs = Harness::new();
        pop.set_current(Time::ZERO, 0, 30.0, &mut hs.ctx());
        pop.set_current_port(Time::ZERO, 1, 0, -20.0, &mut hs.ctx());
        assert_eq!(
            (pop.cells().current(0), pop.cells().current(1)),
            (30.0, -20.0)
        );
        hs.run(&mut pop, at(1));
        let t = at(1);
        let v0 = pop.sample(t, 0, StateVar::Vm, &mut hs.ctx());
        let v1 = pop.sample(t, 1, StateVar::Vm, &mut hs.ctx());
        assert_eq!(v0, Some(pop.cells().v(0)));
        // Both start at E_L: the step differs by the injected dt·ΔI/C alone.
        let dv = v0.expect("V_m") - v1.expect("V_m");
        assert!((dv - H / p.c * 50.0).abs() < 1e-12, "{dv}");
        for var in [
            StateVar::ISynEx,
            StateVar::ISynIn,
            StateVar::VDend,
            StateVar::Threshold,
            StateVar::BurstProbability,
        ] {
            assert_eq!(pop.sample(t, 0, var, &mut hs.ctx()), None, "{var:?}");
        }
        assert!(!pop.needs_end_tick());
    }
}

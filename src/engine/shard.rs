//! The sharded engine: S shards, one thread each, in conservative windows.
//!
//! Each shard is a [`Simulation`] of its own neurons (see [`super::partition`]) holding every
//! synapse that ends on them. Windows are `[kD, (k+1)D)` with `D` the smallest delay: a spike
//! emitted inside one reaches other neurons no earlier than its end, so inside a window a
//! shard needs nothing from the others. At the window's end each shard sends each other shard
//! one batch — its spikes that have targets there, each once however many synapses it has there
//! — through a [`SpikeExchange`], and schedules the spikes it receives over its own rows.
//! With every batch goes the sender's lower bound of the next thing it can cause; the smallest
//! bound of all shards is where the next window with any work begins, so silent stretches
//! cost one exchange, not one per window.
//!
//! Between sending and receiving, a shard does the work its populations left for after the
//! window's spikes ([`Simulation::settle`]: a grid population's Poisson input of its last
//! step), so that the others get its spikes without waiting for it. **Why:** with windows of
//! one 0.1 ms step (`models/xor_bdsp.toml`), a window is a few microseconds of work, and a
//! shard that sent late held the other up at every exchange. `hebb bench
//! models/xor_bdsp.toml --duration 10000 -t 2`, six runs of each build alternately
//! (2026-12-02): median 0.676 s against 0.754 s before, fastest 0.645 s against 0.636 s —
//! less waiting in most runs, within this machine's noise in the best ones.
//!
//! Results do not depend on the number of shards: the queue orders entries by `(time, kind,
//! global source id, delay)`, so every neuron sees the same inputs in the same order, and
//! random streams belong to neurons, not shards. Recording goes through the calling thread,
//! which merges the shards' spikes and assembles their probe values into whole rows.

use super::checkpoint::EngineState;
use super::exchange::{ChannelExchange, Spike, SpikeExchange};
use super::partition::Partition;
use super::state::StateError;
use super::{Blueprint, Csr, Probe, Recorder, Runaway, Simulation, Stats, StepCurrent};
use crate::ids::NeuronId;
use crate::neuron::Population;
use crate::time::Time;
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Largest number of shards (destination sets are 64-bit masks).
pub const MAX_SHARDS: usize = 64;

/// Recorded items a shard buffers before handing them to the recording thread ...
const RECORD_CHUNK: usize = 8192;
/// ... or wall time after which it hands them over anyway (progress, and data on disk).
const RECORD_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Counters of one shard.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ShardStats {
    /// Neurons owned.
    pub neurons: usize,
    /// Synapses held (those ending on its neurons).
    pub synapses: usize,
    /// Bytes of its synapse store.
    pub synapse_bytes: usize,
    /// The engine's counters for this shard.
    pub engine: Stats,
    /// Seconds of its thread's runs not spent waiting (simulating, routing and sending
    /// spikes, handing over recorded data).
    pub compute_s: f64,
    /// Seconds spent waiting for the other shards' batches.
    pub wait_s: f64,
    /// Windows ended with an exchange.
    pub windows: u64,
    /// Windows skipped because no shard had anything to do in them.
    pub windows_skipped: u64,
    /// Spikes sent to other shards (one per spike and destination shard).
    pub spikes_sent: u64,
    /// Bytes sent to other shards.
    pub bytes_sent: u64,
}

/// What a shard hands to the recording thread.
#[derive(Default)]
struct RecordBatch {
    /// The shard has simulated everything before this time.
    upto: Time,
    spikes: Vec<Spike>,
    /// `(time, probe, number of values)`, values in `values`.
    samples: Vec<(Time, u32, u32)>,
    values: Vec<f64>,
}

impl RecordBatch {
    fn len(&self) -> usize {
        self.spikes.len() + self.values.len()
    }
}

impl Recorder for RecordBatch {
    fn spike(&mut self, t: Time, n: NeuronId) {
        self.spikes.push((t, n.0));
    }
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        self.samples.push((t, probe as u32, values.len() as u32));
        self.values.extend_from_slice(values);
    }
}

/// One shard: its simulation, its end of the exchange and its buffers.
struct Shard {
    sim: Simulation,
    exchange: Box<dyn SpikeExchange>,
    /// Per destination shard: spikes of this window to send.
    out: Vec<Vec<Spike>>,
    incoming: Vec<Spike>,
    record: RecordBatch,
    /// Emptied record batches coming back from the recording thread.
    spare: Receiver<RecordBatch>,
    stats: ShardStats,
}

impl Shard {
    /// Runs windows until `stop`, sending recorded data to `sink`.
    /// A shard whose simulation ran away ([`Simulation::runaway`]) raises `halt`; every shard
    /// that sees it raised stops its simulation too, and all go on exchanging (nothing) to
    /// `stop`, so that none waits for another.
    fn run(
        &mut self,
        stop: Time,
        window: Time,
        dest: &[u64],
        sink: &Sender<(usize, RecordBatch)>,
        halt: &AtomicBool,
    ) {
        let me = self.exchange.shard();
        let not_me = !(1u64 << me);
        let mut t = self.sim.now();
        let started = Instant::now();
        let waited = self.exchange.waited();
        let mut flushed = started;
        while t < stop {
            let end = Time((t.0 / window.0 + 1) * window.0).min(stop);
            if halt.load(Ordering::Relaxed) {
                self.sim.halt();
            }
            self.sim.run_window(end, &mut self.record);
            if self.sim.runaway().is_some() {
                halt.store(true, Ordering::Relaxed);
            }
            // Route this window's spikes: once to each other shard with targets of them.
            let mut first_sent = Time::NEVER;
            for &(ts, n) in self.sim.outbox().iter() {
                let mut mask = dest[n as usize] & not_me;
                if mask != 0 {
                    first_sent = first_sent.min(ts);
                }
                while mask != 0 {
                    self.out[mask.trailing_zeros() as usize].push((ts, n));
                    self.stats.spikes_sent += 1;
                    mask &= mask - 1;
                }
            }
            self.sim.outbox().clear();
            let bound = self.sim.next_event().min(first_sent.saturating_add(window));
            self.exchange.send(&mut self.out, bound);
            // What the window left to do while the spikes are on their way.
            self.sim.settle();
            let next = self.exchange.receive(&mut self.incoming);
            for &(ts, n) in &self.incoming {
                self.sim.receive(ts, n);
            }
            self.incoming.clear();
            self.stats.windows += 1;
            t = end;
            // Nothing happens anywhere before `next`: go to the start of its window.
            let skip_to = Time(next.0 / window.0 * window.0).min(stop);
            if skip_to > t {
                self.stats.windows_skipped += (skip_to.0 - t.0).div_ceil(window.0);
                self.sim.skip_to(skip_to);
                t = skip_to;
            }
            // The clock is read every 64 windows (each read costs about 0.13 µs here).
            if self.record.len() >= RECORD_CHUNK
                || self.stats.windows.is_multiple_of(64) && flushed.elapsed() >= RECORD_EVERY
            {
                self.flush(t, me, sink);
                flushed = Instant::now();
            }
        }
        self.flush(stop, me, sink);
        let wait = self.exchange.waited() - waited;
        self.stats.wait_s += wait.as_secs_f64();
        self.stats.compute_s += started.elapsed().saturating_sub(wait).as_secs_f64();
        self.stats.engine = self.sim.stats().clone();
        self.stats.bytes_sent = self.exchange.bytes_sent();
    }

    fn flush(&mut self, upto: Time, me: usize, sink: &Sender<(usize, RecordBatch)>) {
        let spare = self.spare.try_recv().unwrap_or_default();
        let mut batch = std::mem::replace(&mut self.record, spare);
        batch.upto = upto;
        sink.send((me, batch))
            .expect("the recording thread hung up");
    }
}

/// Where a shard's probe values go in the whole probe's row.
struct ProbeLayout {
    /// Values per neuron (the probe's variables).
    vars: usize,
    /// Neurons of the whole probe.
    neurons: usize,
    /// Per shard: the positions of its neurons in the probe's neuron list.
    positions: Vec<Vec<u32>>,
}

/// A simulation run by several shards in parallel; see the module docs.
pub struct ShardedSimulation {
    shards: Vec<Shard>,
    /// Per global neuron: the shards holding synapses of its (a bit per shard).
    dest: Vec<u64>,
    window: Time,
    probes: Vec<ProbeLayout>,
    /// Emptied record batches back to each shard.
    spare: Vec<Sender<RecordBatch>>,
    n_neurons: usize,
    n_synapses: usize,
}

impl ShardedSimulation {
    /// Splits a network's blueprint over the shards of `part`.
    pub fn new(bp: Blueprint, part: &Partition) -> ShardedSimulation {
        let s_count = part.shards;
        assert!(
            (1..=MAX_SHARDS).contains(&s_count),
            "1 to {MAX_SHARDS} shards"
        );
        let sizes: Vec<u32> = bp.populations.iter().map(|p| p.len() as u32).collect();
        let offsets = bp.offsets();
        let n = bp.n_neurons();
        let delays = bp.csr.delays_or_default();
        let window = delays.0;
        let n_synapses = bp.csr.n_synapses();
        let dest = destinations(&bp.csr, &offsets, &part.owner, n);
        let csrs = bp.csr.split(&offsets, &part.owner, &part.local, s_count);
        let parts = part.parts(&sizes);

        // Per shard: its populations, and the global id of each of its neurons.
        let mut pops: Vec<Vec<Box<dyn Population>>> = (0..s_count).map(|_| Vec::new()).collect();
        let mut global: Vec<Vec<u32>> = vec![Vec::new(); s_count];
        for (p, pop) in bp.populations.into_iter().enumerate() {
            for (s, piece) in pop.split(&parts[p]).into_iter().enumerate() {
                pops[s].push(piece);
                global[s].extend(parts[p][s].iter().map(|&k| offsets[p] + k));
            }
        }
        // A global id's index in its shard's numbering.
        let mut shard_index = vec![0u32; n];
        for ids in &global {
            for (k, &g) in ids.iter().enumerate() {
                shard_index[g as usize] = k as u32;
            }
        }
        let owned = |s: usize, g: NeuronId| part.owner[g.index()] as usize == s;
        let probes = bp
            .probes
            .iter()
            .map(|pr| ProbeLayout {
                vars: pr.vars.len(),
                neurons: pr.neurons.len(),
                positions: (0..s_count)
                    .map(|s| {
                        (0..pr.neurons.len() as u32)
                            .filter(|&k| owned(s, pr.neurons[k as usize]))
                            .collect()
                    })
                    .collect(),
            })
            .collect();

        let mut spare = Vec::with_capacity(s_count);
        let mut shards = Vec::with_capacity(s_count);
        let ends = ChannelExchange::mesh(s_count);
        for (s, ((exchange, csr), (pops, global))) in ends
            .into_iter()
            .zip(csrs)
            .zip(pops.into_iter().zip(global))
            .enumerate()
        {
            // The shard's own neurons of a list, in its numbering.
            let mine = |ids: &[NeuronId]| -> Vec<NeuronId> {
                ids.iter()
                    .filter(|&&g| owned(s, g))
                    .map(|g| NeuronId(shard_index[g.index()]))
                    .collect()
            };
            let currents = bp
                .currents
                .iter()
                .map(|c| StepCurrent {
                    sine: c.sine,
                    targets: mine(&c.targets),
                    port: c.port,
                    times: c.times.clone(),
                    amplitudes: c.amplitudes.clone(),
                })
                .collect();
            let probes = bp
                .probes
                .iter()
                .map(|pr| Probe {
                    neurons: mine(&pr.neurons),
                    vars: pr.vars.clone(),
                    start: pr.start,
                    interval: pr.interval,
                })
                .collect();
            let stats = ShardStats {
                neurons: global.len(),
                synapses: csr.n_synapses(),
                synapse_bytes: csr.bytes(),
                ..ShardStats::default()
            };
            let blueprint = Blueprint {
                populations: pops,
                csr: csr.into(),
                currents,
                probes,
                scheduler: bp.scheduler,
                plastic: bp.plastic.clone(),
                burst_detector: bp.burst_detector,
            };
            let (tx, rx) = unbounded();
            spare.push(tx);
            shards.push(Shard {
                sim: Simulation::shard(blueprint, global, delays),
                exchange: Box::new(exchange),
                out: vec![Vec::new(); s_count],
                incoming: Vec::new(),
                record: RecordBatch::default(),
                spare: rx,
                stats,
            });
        }
        ShardedSimulation {
            shards,
            dest,
            window,
            probes,
            spare,
            n_neurons: n,
            n_synapses,
        }
    }

    /// The state of the whole simulation at the time reached, from every shard.
    pub fn save(&mut self) -> Result<EngineState, StateError> {
        let parts = self
            .shards
            .iter_mut()
            .map(|s| s.sim.save_part())
            .collect::<Result<Vec<_>, _>>()?;
        EngineState::gather(parts)
    }

    /// Splits `bp` (the model `st` was saved from) over the shards of `part`, which need not
    /// be the saving run's, and loads `st`.
    pub fn load(
        bp: Blueprint,
        part: &Partition,
        st: &EngineState,
    ) -> Result<ShardedSimulation, StateError> {
        let mut sim = ShardedSimulation::new(bp, part);
        for (k, s) in sim.shards.iter_mut().enumerate() {
            s.sim.load_part(st, k == 0)?;
        }
        Ok(sim)
    }

    /// Number of plastic projections.
    pub fn n_plastic(&self) -> usize {
        self.shards.first().map_or(0, |s| s.sim.n_plastic())
    }

    /// Number of shards.
    pub fn n_shards(&self) -> usize {
        self.shards.len()
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.n_neurons
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.n_synapses
    }

    /// Bytes of all shards' synapse stores.
    pub fn synapse_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.stats.synapse_bytes).sum()
    }

    /// The window (smallest delay).
    pub fn window(&self) -> Time {
        self.window
    }

    /// The time up to which the simulation has run.
    pub fn now(&self) -> Time {
        self.shards[0].sim.now()
    }

    /// Per-shard counters so far.
    pub fn shard_stats(&self) -> Vec<ShardStats> {
        self.shards.iter().map(|s| s.stats.clone()).collect()
    }

    /// The engine's counters summed over shards.
    pub fn stats(&self) -> Stats {
        let mut sum = Stats::default();
        for s in &self.shards {
            sum.add(s.sim.stats());
        }
        sum
    }

    /// Switches the weight changes of plastic projection `q` on or off in every shard.
    pub fn set_plastic(&mut self, q: usize, on: bool) {
        for s in &mut self.shards {
            s.sim.set_plastic(q, on);
        }
    }

    /// The synapses of plastic projection `q` as `(source, target, weight)`, by target, then
    /// source: the same list as one simulation's (a target's synapses are all in its shard,
    /// in the same order).
    pub fn plastic_weights(&self, q: usize) -> Vec<(u32, u32, f32)> {
        let mut all: Vec<(u32, u32, f32)> = self
            .shards
            .iter()
            .flat_map(|s| s.sim.plastic_weights(q))
            .collect();
        all.sort_by_key(|&(src, tgt, _)| (tgt, src));
        all
    }

    /// Ē and B̄ (Hz) of every target of plastic projection `q`, by target.
    pub fn plastic_rates(&self, q: usize) -> Vec<(u32, f64, f64)> {
        let mut all: Vec<(u32, f64, f64)> = self
            .shards
            .iter()
            .flat_map(|s| s.sim.plastic_rates(q))
            .collect();
        all.sort_by_key(|r| r.0);
        all
    }

    /// Sets the constant current (pA) into compartment `port` of global neuron `n`, in the
    /// shard that owns it.
    pub fn set_current(&mut self, n: NeuronId, port: u8, value: f64) {
        for s in &mut self.shards {
            s.sim.set_current(n, port, value);
        }
    }

    /// Sets each shard's limit of entries in flight to its share of `limit`, the whole
    /// simulation's ([`Simulation::set_pending_limit`]).
    pub fn set_pending_limit(&mut self, limit: usize) {
        let share = limit / self.shards.len();
        for s in &mut self.shards {
            s.sim.set_pending_limit(share);
        }
    }

    /// Sets each shard's spike budget to its share of `budget`, the whole simulation's, in
    /// proportion to its neurons ([`Simulation::set_spike_budget`]).
    pub fn set_spike_budget(&mut self, budget: u64) {
        let total = self.n_neurons().max(1) as u128;
        for s in &mut self.shards {
            let share = budget as u128 * s.sim.n_neurons() as u128 / total;
            s.sim
                .set_spike_budget(u64::try_from(share).unwrap_or(u64::MAX).max(1));
        }
    }

    /// The runaway that stopped the simulation (of the first shard that had one), if any.
    pub fn runaway(&self) -> Option<Runaway> {
        self.shards.iter().find_map(|s| s.sim.runaway())
    }

    /// Runs every shard until (not including) `stop`, each on its own thread; records through
    /// `rec` on the calling thread.
    pub fn run_until(&mut self, stop: Time, rec: &mut dyn Recorder) {
        if stop <= self.now() {
            return;
        }
        let (window, dest) = (self.window, &self.dest[..]);
        let (sink, batches) = unbounded::<(usize, RecordBatch)>();
        let probes = &self.probes;
        let spare = &self.spare;
        let n_shards = self.shards.len();
        let halt = &AtomicBool::new(self.shards.iter().any(|s| s.sim.is_halted()));
        std::thread::scope(|scope| {
            let threads: Vec<_> = self
                .shards
                .iter_mut()
                .map(|shard| {
                    let sink = sink.clone();
                    std::thread::Builder::new()
                        .name(format!("hebb-shard-{}", shard.exchange.shard()))
                        .spawn_scoped(scope, move || shard.run(stop, window, dest, &sink, halt))
                        .expect("spawning a shard thread")
                })
                .collect();
            drop(sink);
            record(batches, n_shards, probes, spare, rec);
            threads.into_iter().for_each(crate::par::join);
        });
    }
}

/// The recording side of [`ShardedSimulation::run_until`]: passes spikes on as they come,
/// assembles each probe row from every shard's part, reports progress as the slowest shard
/// moves.
fn record(
    batches: Receiver<(usize, RecordBatch)>,
    n_shards: usize,
    probes: &[ProbeLayout],
    spare: &[Sender<RecordBatch>],
    rec: &mut dyn Recorder,
) {
    let mut upto = vec![Time::ZERO; n_shards];
    // Per probe, in time order: rows being assembled (time, contributions so far, values), and
    // the buffers of rows written.
    let mut rows: Vec<VecDeque<(Time, usize, Vec<f64>)>> =
        probes.iter().map(|_| VecDeque::new()).collect();
    let mut pool: Vec<Vec<f64>> = Vec::new();
    for (s, mut batch) in batches {
        for &(t, n) in &batch.spikes {
            rec.spike(t, NeuronId(n));
        }
        let mut at = 0usize;
        for &(t, k, len) in &batch.samples {
            let layout = &probes[k as usize];
            let vals = &batch.values[at..at + len as usize];
            at += len as usize;
            // Each shard samples in time order, so a time no row has yet is later than all
            // of them (a shard that sent an earlier one would have sent this one first).
            let queue = &mut rows[k as usize];
            let at_row = match queue.iter().rposition(|r| r.0 == t) {
                Some(i) => i,
                None => {
                    let mut row = pool.pop().unwrap_or_default();
                    row.clear();
                    row.resize(layout.neurons * layout.vars, f64::NAN);
                    queue.push_back((t, 0, row));
                    queue.len() - 1
                }
            };
            let entry = &mut queue[at_row];
            for (j, &pos) in layout.positions[s].iter().enumerate() {
                let (src, dst) = (j * layout.vars, pos as usize * layout.vars);
                entry.2[dst..dst + layout.vars].copy_from_slice(&vals[src..src + layout.vars]);
            }
            entry.1 += 1;
        }
        // Rows complete in time order per probe.
        for (k, queue) in rows.iter_mut().enumerate() {
            while queue.front().is_some_and(|r| r.1 == n_shards) {
                let (t, _, row) = queue.pop_front().expect("a front row");
                rec.sample(t, k, &row);
                pool.push(row);
            }
        }
        upto[s] = batch.upto;
        rec.progress(*upto.iter().min().expect("a shard"));
        batch.spikes.clear();
        batch.samples.clear();
        batch.values.clear();
        // A shard that has finished no longer takes buffers back.
        let _ = spare[s].send(batch);
    }
    debug_assert!(rows.iter().all(|q| q.is_empty()), "incomplete probe rows");
}

/// Per global neuron: a bit for each shard that owns one of its targets.
fn destinations(csr: &Csr, offsets: &[u32], owner: &[u16], n: usize) -> Vec<u64> {
    let mut dest = vec![0u64; n];
    csr.for_each_synapse(offsets, |src, t| dest[src] |= 1 << owner[t as usize]);
    dest
}

//! The simulation engine: compiled network, event loop, statistics.
//!
//! The loop pops queue entries in key order. All entries of one tick are dispatched, then every
//! population touched during the tick gets its end-of-tick call (threshold tests and new
//! plans), then spikes are turned into delivery entries, one per distinct delay. The engine
//! never parses files and never sees model parameters: it owns populations behind the
//! [`Population`] trait, the [`Csr`] and a [`Scheduler`].

pub mod checkpoint;
pub mod csr;
pub mod exchange;
pub mod partition;
pub mod plastic;
pub mod prefetch;
pub mod queue;
pub mod shard;
pub mod state;

pub use csr::{Csr, SynapseColumns, Weights};
use plastic::{PlasticProjection, Plasticity, UNCLASSIFIED};
use queue::{Entry, Kind, Scheduler, SchedulerKind, make_scheduler};

use crate::ids::{NeuronId, PopId};
use crate::neuron::{Ctx, Population, StateVar};
use crate::time::Time;

/// Where the engine sends what it records.
pub trait Recorder {
    /// A spike of neuron `n` at `t`. Spikes arrive almost sorted: none is earlier than the
    /// last processed tick minus one window.
    fn spike(&mut self, t: Time, n: NeuronId);
    /// Values of probe `probe`'s variables at `t`, one per recorded neuron and variable.
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]);
    /// The engine has processed everything before `t` (a chance to write out buffered data).
    fn progress(&mut self, _t: Time) {}
    /// A checkpoint at `t`, the time reached: write out everything recorded before `t` (no
    /// earlier spike or sample can come) and note how far the recording got in `st`.
    fn save(&mut self, _t: Time, _st: &mut RecordState) -> crate::error::Result<()> {
        Ok(())
    }
}

/// How far a run's recording got at a checkpoint (filled in by [`Recorder::save`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordState {
    /// Spikes written to the output.
    pub spikes_written: u64,
    /// Rows written per state probe.
    pub probe_rows: Vec<u64>,
    /// Spikes counted in the recorded period, per population.
    pub counts: Vec<u64>,
    /// Spikes counted in the recorded period, per neuron.
    pub per_neuron: Vec<u32>,
}

/// A recorder that keeps nothing.
pub struct NullRecorder;
impl Recorder for NullRecorder {
    fn spike(&mut self, _t: Time, _n: NeuronId) {}
    fn sample(&mut self, _t: Time, _probe: usize, _values: &[f64]) {}
}

/// A sinusoidal current `mean + amplitude·sin(2π t/period + phase)`, set every `interval`
/// (NEST `ac_generator`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Sine {
    /// Mean (pA).
    pub mean: f64,
    /// Amplitude (pA).
    pub amplitude: f64,
    /// Period (ms).
    pub period_ms: f64,
    /// Phase (radians).
    pub phase: f64,
    /// How often the value is set.
    pub interval: Time,
}

impl Sine {
    /// The value at `t`.
    pub fn at(&self, t: Time) -> f64 {
        let x = std::f64::consts::TAU * t.as_ms() / self.period_ms + self.phase;
        self.mean + self.amplitude * x.sin()
    }
}

/// A step current: sets `I_e` of its targets to `amplitudes[k]` at `times[k]`; or, with
/// `sine`, to the sinusoid's value at `times[0]` and every interval after it.
#[derive(Clone, Debug)]
pub struct StepCurrent {
    /// A sinusoidal current instead of the steps.
    pub sine: Option<Sine>,
    /// Target neurons.
    pub targets: Vec<NeuronId>,
    /// The compartment it enters (0: the soma, or the only one).
    pub port: u8,
    /// Change times, ascending.
    pub times: Vec<Time>,
    /// New `I_e` values (pA).
    pub amplitudes: Vec<f64>,
}

/// Periodic sampling of state variables of some neurons.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Recorded neurons.
    pub neurons: Vec<NeuronId>,
    /// Recorded variables.
    pub vars: Vec<StateVar>,
    /// First sample time.
    pub start: Time,
    /// Sampling interval.
    pub interval: Time,
}

/// Counters of a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Spikes emitted (all neurons, including sources).
    pub spikes: u64,
    /// Synaptic events delivered (one per synapse per spike).
    pub synaptic_events: u64,
    /// Queue entries pushed, by the engine and by populations (wake-ups, grid steps).
    pub queue_pushes: u64,
    /// Queue entries popped.
    pub queue_pops: u64,
    /// Largest queue length seen.
    pub queue_peak: u64,
}

impl Stats {
    /// Adds the counters of `other` (the peak is the larger one).
    pub fn add(&mut self, other: &Stats) {
        self.spikes += other.spikes;
        self.synaptic_events += other.synaptic_events;
        self.queue_pushes += other.queue_pushes;
        self.queue_pops += other.queue_pops;
        self.queue_peak = self.queue_peak.max(other.queue_peak);
    }
}

/// Everything the engine needs to build a simulation.
pub struct Blueprint {
    /// Populations, in global index order.
    pub populations: Vec<Box<dyn Population>>,
    /// The synapses.
    /// Shared, not copied, by the trials of a run.
    pub csr: std::sync::Arc<Csr>,
    /// Step currents.
    pub currents: Vec<StepCurrent>,
    /// State probes.
    pub probes: Vec<Probe>,
    /// Which scheduler to use.
    pub scheduler: SchedulerKind,
    /// The projections whose weights change (their synapses have the plastic types of
    /// `csr.types`).
    pub plastic: Vec<PlasticProjection>,
    /// How spikes are classified into events and bursts (for event- and burst-transmitting
    /// synapses and the rules).
    pub burst_detector: crate::plasticity::BurstDetector,
}

impl Blueprint {
    /// Per population its first neuron's index, then the number of neurons.
    pub fn offsets(&self) -> Vec<u32> {
        let mut offsets = Vec::with_capacity(self.populations.len() + 1);
        let mut acc = 0u32;
        offsets.push(acc);
        for p in &self.populations {
            acc += p.len() as u32;
            offsets.push(acc);
        }
        offsets
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.populations.iter().map(|p| p.len()).sum()
    }

    /// The partition of this network's neurons over `shards` shards by `placement`.
    pub fn partition(
        &self,
        placement: partition::Placement,
        shards: usize,
    ) -> partition::Partition {
        let sizes: Vec<u32> = self.populations.iter().map(|p| p.len() as u32).collect();
        let contiguous: Vec<bool> = self.populations.iter().map(|p| p.contiguous()).collect();
        partition::Partition::with_ranges(
            placement,
            &sizes,
            &self.in_degrees(),
            &contiguous,
            shards,
        )
    }

    /// Per neuron: its number of in-synapses (for [`partition::Partition::new`]).
    pub fn in_degrees(&self) -> Vec<u32> {
        let mut deg = vec![0u32; self.n_neurons()];
        self.csr
            .for_each_synapse(&self.offsets(), |_, t| deg[t as usize] += 1);
        deg
    }
}

/// A running simulation (one shard).
pub struct Simulation {
    pops: Vec<Box<dyn Population>>,
    offsets: Vec<u32>,
    csr: std::sync::Arc<Csr>,
    queue: Box<dyn Scheduler>,
    scheduler: SchedulerKind,
    window: Time,
    max_delay: Time,
    currents: Vec<StepCurrent>,
    probes: Vec<Probe>,
    spikes: Vec<(Time, u32)>,
    /// Global id of each of this simulation's neurons (the identity unless it is a shard).
    global: Vec<u32>,
    /// A shard's spikes since the last exchange: `(time, global id)`.
    outbox: Option<Vec<(Time, u32)>>,
    probe_buf: Vec<f64>,
    /// Populations that need an end-of-tick call (asking every population at every tick cost
    /// a virtual call per population per tick).
    dirty: Vec<usize>,
    is_dirty: Vec<bool>,
    now: Time,
    started: bool,
    stats: Stats,
    /// Spike classes and plastic projections.
    plasticity: Plasticity,
    /// Weights scaled by short-term plasticity (reused).
    scaled: Vec<f32>,
    /// The store has synapse types other than the plain one, or ports other than 0.
    typed: bool,
    /// Entries in flight (queued entries and spikes not yet exchanged) at which the simulation
    /// stops ([`Simulation::set_pending_limit`]).
    pending_limit: usize,
    /// Spikes at which the simulation stops ([`Simulation::set_spike_budget`]).
    spike_budget: u64,
    /// Set when the entries in flight passed `pending_limit` or the spikes `spike_budget`.
    runaway: Option<Runaway>,
    /// Stopped: by its own runaway, or by another shard's ([`Simulation::halt`]).
    halted: bool,
}

/// Activity that outgrew the memory or the time a run may use: a population's spikes took the
/// entries in flight (deliveries queued, spikes not yet exchanged) past the limit set with
/// [`Simulation::set_pending_limit`], or the simulation's spikes past the budget set with
/// [`Simulation::set_spike_budget`]. Typically an exact neuron with `t_ref = 0` under a drive
/// so strong that it fires at almost every tick of the clock, or a loop of excitation without
/// refractoriness; its spikes are exact, but neither the memory nor the time of a run
/// suffices for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runaway {
    /// The population whose spike passed the limit.
    pub population: PopId,
    /// The time of the spike that passed it.
    pub at: Time,
    /// Entries in flight then.
    pub pending: usize,
    /// Spikes of the simulation (shard) until then.
    pub spikes: u64,
    /// Which limit it passed.
    pub cause: RunawayCause,
}

/// The limit a [`Runaway`] passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunawayCause {
    /// The entries in flight ([`Simulation::set_pending_limit`]): memory.
    InFlight,
    /// The spikes ([`Simulation::set_spike_budget`]): time.
    Spikes,
}

/// Memory taken by one entry in flight, for [`Simulation::set_pending_limit`]'s callers: a
/// queue entry (16 bytes) and a spike waiting for its exchange and its recorder (16 bytes
/// each), doubled for the growth of their vectors.
pub const PENDING_ENTRY_BYTES: u64 = 2 * (16 + 16 + 16);

impl Simulation {
    /// Builds a simulation at time zero.
    pub fn new(bp: Blueprint) -> Simulation {
        let n = bp.n_neurons() as u32;
        let delays = bp.csr.delays_or_default();
        Simulation::with_layout(bp, (0..n).collect(), delays, None)
    }

    /// Builds shard of a sharded simulation: `global` maps its neurons to global ids;
    /// `delays` is the whole network's delay range (the window is the smallest delay).
    pub(crate) fn shard(bp: Blueprint, global: Vec<u32>, delays: (Time, Time)) -> Simulation {
        Simulation::with_layout(bp, global, delays, Some(Vec::new()))
    }

    fn with_layout(
        bp: Blueprint,
        global: Vec<u32>,
        (min_d, max_d): (Time, Time),
        outbox: Option<Vec<(Time, u32)>>,
    ) -> Simulation {
        let n_pops = bp.populations.len();
        let offsets = bp.offsets();
        debug_assert_eq!(global.len(), bp.n_neurons());
        let plasticity =
            Plasticity::new(bp.burst_detector, &bp.plastic, &bp.csr, &offsets, &global);
        Simulation {
            typed: bp.csr.types.len() > 1 || bp.csr.group_port.iter().any(|&p| p != 0),
            plasticity,
            scaled: Vec::new(),
            pops: bp.populations,
            offsets,
            queue: make_scheduler(bp.scheduler, min_d, max_d),
            scheduler: bp.scheduler,
            window: min_d,
            max_delay: max_d,
            csr: bp.csr,
            currents: bp.currents,
            probes: bp.probes,
            spikes: Vec::new(),
            global,
            outbox,
            probe_buf: Vec::new(),
            dirty: Vec::new(),
            is_dirty: vec![false; n_pops],
            now: Time::ZERO,
            started: false,
            stats: Stats::default(),
            pending_limit: usize::MAX,
            spike_budget: u64::MAX,
            runaway: None,
            halted: false,
        }
    }

    /// Stops the simulation when the entries in flight (deliveries queued and spikes not yet
    /// exchanged) pass `limit`: the entries are dropped, [`Simulation::runaway`] names the
    /// population, and every later [`Simulation::run_until`] only moves the clock. The
    /// default is no limit. A run sets it from the memory it may use beyond the network's
    /// estimate ([`PENDING_ENTRY_BYTES`] per entry).
    pub fn set_pending_limit(&mut self, limit: usize) {
        self.pending_limit = limit;
    }

    /// Stops the simulation once it has emitted `budget` spikes: what is in flight is
    /// dropped, [`Simulation::runaway`] names the population of the last spike, and every
    /// later [`Simulation::run_until`] only moves the clock. The default is no budget. A run
    /// sets it from `--max-rate`.
    pub fn set_spike_budget(&mut self, budget: u64) {
        self.spike_budget = budget;
    }

    /// The runaway that stopped the simulation, if one did.
    pub fn runaway(&self) -> Option<Runaway> {
        self.runaway
    }

    /// Stops the simulation (another shard's runaway): it drops what it has in flight and
    /// from now on only moves the clock.
    pub(crate) fn halt(&mut self) {
        if !self.halted {
            self.halted = true;
            self.queue = make_scheduler(self.scheduler, self.window, self.max_delay);
            if let Some(out) = &mut self.outbox {
                *out = Vec::new();
            }
            self.dirty.clear();
            self.is_dirty.iter_mut().for_each(|d| *d = false);
        }
    }

    /// Whether the simulation was stopped ([`Simulation::halt`], or its own runaway).
    pub(crate) fn is_halted(&self) -> bool {
        self.halted
    }

    /// If the simulation was stopped, moves its clock to `stop` (nothing else happens there)
    /// and returns true.
    fn halted_until(&mut self, stop: Time) -> bool {
        if self.halted {
            self.now = self.now.max(stop);
        }
        self.halted
    }

    /// Entries in flight: deliveries queued and spikes not yet exchanged.
    fn in_flight(&self) -> usize {
        self.queue.len() + self.outbox.as_ref().map_or(0, Vec::len)
    }

    /// The runaway of population `p`, at `at`, if the entries in flight are past the limit,
    /// or if a spike now would pass the spike budget.
    fn runaway_at(&self, p: usize, at: Time) -> Option<Runaway> {
        let pending = self.in_flight();
        let cause = if pending > self.pending_limit {
            RunawayCause::InFlight
        } else if self.stats.spikes >= self.spike_budget {
            RunawayCause::Spikes
        } else {
            return None;
        };
        Some(Runaway {
            population: PopId(p as u16),
            at,
            pending,
            spikes: self.stats.spikes,
            cause,
        })
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        *self.offsets.last().unwrap_or(&0) as usize
    }

    /// The synapse store.
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The time up to which the simulation has run.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The synchronisation window (smallest delay).
    pub fn window(&self) -> Time {
        self.window
    }

    fn locate(&self, n: u32) -> (usize, u32) {
        let p = self.offsets.partition_point(|&o| o <= n) - 1;
        (p, n - self.offsets[p])
    }

    fn start(&mut self, rec: &mut dyn Recorder) {
        self.started = true;
        for p in 0..self.pops.len() {
            self.with_pop(p, rec, |pop, ctx, _| pop.start(Time::ZERO, ctx));
        }
        for (k, c) in self.currents.iter().enumerate() {
            if let Some(&t) = c.times.first() {
                self.queue.push(Entry::new(t, Kind::Stimulus, k as u32, 0));
            }
        }
        for (k, p) in self.probes.iter().enumerate() {
            self.queue
                .push(Entry::new(p.start, Kind::Sample, k as u32, 0));
        }
    }

    /// Runs until (not including) `stop`.
    pub fn run_until(&mut self, stop: Time, rec: &mut dyn Recorder) {
        self.run_window(stop, rec);
        self.settle();
    }

    /// Does what every population left for after the spikes of the window just run were
    /// sent ([`Population::settle`]). [`Simulation::run_until`] ends with it; a shard calls
    /// [`Simulation::run_window`] and this after sending its spikes.
    pub fn settle(&mut self) {
        for p in &mut self.pops {
            p.settle();
        }
    }

    /// [`Simulation::run_until`] but for its last part, [`Simulation::settle`].
    pub fn run_window(&mut self, stop: Time, rec: &mut dyn Recorder) {
        if self.halted_until(stop) {
            return;
        }
        if !self.started {
            self.start(rec);
        }
        let mut tick = self.now;
        let mut ticks = 0u64;
        loop {
            match if tick < stop {
                self.queue.pop_at(tick)
            } else {
                None
            } {
                Some(e) => {
                    self.stats.queue_pops += 1;
                    self.dispatch(e, rec);
                    if self.halted_until(stop) {
                        return;
                    }
                }
                None => {
                    if self.end_tick(tick, rec) {
                        continue;
                    }
                    ticks += 1;
                    if ticks.is_multiple_of(256) {
                        rec.progress(tick);
                    }
                    match self.queue.peek() {
                        Some(e) if e.time < stop => tick = e.time,
                        _ => break,
                    }
                }
            }
        }
        if self.halted_until(stop) {
            return;
        }
        // A stop inside a window: neurons visited lazily (at their window's end) catch up, so
        // that every spike before the stop is known.
        if stop > self.now && !stop.0.is_multiple_of(self.window.0.max(1)) {
            let last = Time(stop.0 - 1);
            for p in 0..self.pops.len() {
                self.with_pop(p, rec, |pop, ctx, _| pop.catch_up_to(last, ctx));
            }
            self.end_tick(last, rec);
        }
        self.now = stop;
        self.stats.queue_peak = self.stats.queue_peak.max(self.queue.len() as u64);
        // Every entry ever pushed (by the engine or a population) was popped or is still queued.
        self.stats.queue_pushes = self.stats.queue_pops + self.queue.len() as u64;
    }

    /// End-of-tick calls for touched populations; true if any ran.
    fn end_tick(&mut self, t: Time, rec: &mut dyn Recorder) -> bool {
        if self.dirty.is_empty() {
            return false;
        }
        let mut dirty = std::mem::take(&mut self.dirty);
        // Population order, so that the spikes of a tick are handled in one order.
        dirty.sort_unstable();
        for &p in &dirty {
            self.is_dirty[p] = false;
            self.with_pop(p, rec, |pop, ctx, _| {
                pop.end_tick(t, ctx);
            });
        }
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty;
        }
        true
    }

    fn dispatch(&mut self, e: Entry, rec: &mut dyn Recorder) {
        let t = e.time;
        match e.kind() {
            Kind::Deliver => {
                // One entry per distinct delay of the row: deliver every group of that delay
                // (groups are sorted by delay, then population).
                // The entry's `b` is the group offset, then two bits of spike class.
                let row = e.a() as usize;
                let (code, first) = (e.b() & 3, e.b() >> 2);
                let end_g = self.csr.row_groups[row + 1] as usize;
                let mut g = (self.csr.row_groups[row] + first) as usize;
                let d = self.csr.group_delay[g];
                while g < end_g && self.csr.group_delay[g] == d {
                    let p = self.csr.group_pop[g].index();
                    if !self.typed {
                        self.deliver_group(p, g, t, 0, rec);
                    } else {
                        let ty = self.csr.types[self.csr.group_type[g] as usize];
                        let passed = ty.transmit.passes(code);
                        if passed {
                            let port = self.csr.group_port[g];
                            match ty.stp {
                                None => self.deliver_group(p, g, t, port, rec),
                                Some(k) => {
                                    let eff = self.plasticity.stp_spike(k, row as u32, t);
                                    self.deliver_scaled(p, g, t, port, eff, rec);
                                }
                            }
                        }
                        if let Some(q) = ty.plastic {
                            let csr = std::sync::Arc::make_mut(&mut self.csr);
                            self.plasticity
                                .on_deliver(csr, q, g, row as u32, t, code, passed);
                        }
                    }
                    g += 1;
                }
            }
            Kind::Stimulus => {
                let k = e.a() as usize;
                let seg = e.b() as usize;
                let sine = self.currents[k].sine;
                let amp = match &sine {
                    Some(s) => s.at(t),
                    None => self.currents[k].amplitudes[seg],
                };
                for idx in 0..self.currents[k].targets.len() {
                    let n = self.currents[k].targets[idx];
                    let (p, local) = self.locate(n.0);
                    let port = self.currents[k].port;
                    self.with_pop(p, rec, |pop, ctx, _| {
                        pop.set_current_port(t, local, port, amp, ctx);
                    });
                }
                if let Some(s) = sine {
                    self.queue
                        .push(Entry::new(t + s.interval, Kind::Stimulus, k as u32, 0));
                } else if let Some(&next) = self.currents[k].times.get(seg + 1) {
                    self.queue
                        .push(Entry::new(next, Kind::Stimulus, k as u32, seg as u32 + 1));
                }
            }
            Kind::Sample => {
                let k = e.a() as usize;
                let mut buf = std::mem::take(&mut self.probe_buf);
                buf.clear();
                // Bring the tick to its end first: samples see all inputs of their tick.
                self.end_tick(t, rec);
                for idx in 0..self.probes[k].neurons.len() {
                    let n = self.probes[k].neurons[idx];
                    let (p, local) = self.locate(n.0);
                    for v in 0..self.probes[k].vars.len() {
                        let var = self.probes[k].vars[v];
                        let x = self.with_pop(p, rec, |pop, ctx, _| {
                            pop.sample(t, local, var, ctx).unwrap_or(f64::NAN)
                        });
                        buf.push(x);
                    }
                }
                rec.sample(t, k, &buf);
                self.probe_buf = buf;
                let next = t + self.probes[k].interval;
                self.queue.push(Entry::new(next, Kind::Sample, k as u32, 0));
            }
            Kind::Rebase | Kind::Crossing | Kind::Sweep | Kind::SourceSpike | Kind::GridStep => {
                let (p, local) = self.locate(e.a());
                self.with_pop(p, rec, |pop, ctx, _| {
                    pop.wake(t, e.kind(), local, e.b(), ctx);
                });
            }
        }
    }

    /// Delivers group `g` (onto population `p`, input `port`) at `t`.
    #[inline]
    fn deliver_group(&mut self, p: usize, g: usize, t: Time, port: u8, rec: &mut dyn Recorder) {
        self.stats.synaptic_events +=
            (self.csr.group_start[g + 1] - self.csr.group_start[g]) as u64;
        self.with_pop(p, rec, |pop, ctx, csr| {
            let (targets, weights) = csr.group(g);
            if port == 0 {
                pop.deliver(t, targets, weights, ctx);
            } else {
                pop.deliver_port(t, targets, weights, port, ctx);
            }
        });
    }

    /// Delivers group `g` with every weight scaled by `scale` (short-term plasticity).
    fn deliver_scaled(
        &mut self,
        p: usize,
        g: usize,
        t: Time,
        port: u8,
        scale: f64,
        rec: &mut dyn Recorder,
    ) {
        self.stats.synaptic_events +=
            (self.csr.group_start[g + 1] - self.csr.group_start[g]) as u64;
        let mut buf = std::mem::take(&mut self.scaled);
        self.with_pop(p, rec, |pop, ctx, csr| {
            let (targets, weights) = csr.group(g);
            let w = match weights {
                Weights::Uniform(w) => Weights::Uniform((f64::from(w) * scale) as f32),
                Weights::Each(ws) => {
                    buf.clear();
                    buf.extend(ws.iter().map(|&w| (f64::from(w) * scale) as f32));
                    Weights::Each(&buf)
                }
            };
            pop.deliver_port(t, targets, w, port, ctx);
        });
        self.scaled = buf;
    }

    /// Calls `f` on population `p` with its context, then handles the spikes it emitted.
    #[inline]
    fn with_pop<R>(
        &mut self,
        p: usize,
        rec: &mut dyn Recorder,
        f: impl FnOnce(&mut dyn Population, &mut Ctx, &Csr) -> R,
    ) -> R {
        let in_flight = self.in_flight();
        let spikes_left = self.spike_budget.saturating_sub(self.stats.spikes);
        let Simulation {
            pops,
            offsets,
            queue,
            spikes,
            window,
            csr,
            pending_limit,
            ..
        } = self;
        let mut ctx = Ctx {
            queue: queue.as_mut(),
            spikes,
            offset: offsets[p],
            window: *window,
            spike_limit: pending_limit
                .saturating_sub(in_flight)
                .min(usize::try_from(spikes_left).unwrap_or(usize::MAX))
                .max(1),
        };
        let r = f(pops[p].as_mut(), &mut ctx, csr);
        if !self.is_dirty[p] && self.pops[p].needs_end_tick() {
            self.is_dirty[p] = true;
            self.dirty.push(p);
        }
        self.emit(p, rec);
        r
    }

    /// Turns population `p`'s new spikes into delivery entries and records them.
    fn emit(&mut self, p: usize, rec: &mut dyn Recorder) {
        if self.spikes.is_empty() {
            return;
        }
        let offset = self.offsets[p];
        let mut spikes = std::mem::take(&mut self.spikes);
        let post = self.plasticity.is_target(p);
        let mut runaway = None;
        for &(t, local) in &spikes {
            runaway = self.runaway_at(p, t);
            if runaway.is_some() {
                // Past the limit: the run stops here, and the rest of the spikes go unrecorded.
                break;
            }
            let n = self.global[(offset + local) as usize];
            self.stats.spikes += 1;
            rec.spike(t, NeuronId(n));
            let code = if self.plasticity.is_idle() {
                UNCLASSIFIED
            } else {
                self.plasticity.classify(n, t)
            };
            if post {
                let csr = std::sync::Arc::make_mut(&mut self.csr);
                self.plasticity.on_post(csr, p, local, t, code);
            }
            self.schedule_row(t, n, code);
            if let Some(out) = &mut self.outbox {
                out.push((t, n));
            }
        }
        let last = spikes.last().map_or(self.now, |s| s.0);
        spikes.clear();
        self.spikes = spikes;
        self.stats.queue_peak = self.stats.queue_peak.max(self.queue.len() as u64);
        if let Some(r) = runaway.or_else(|| self.runaway_at(p, last)) {
            self.runaway = Some(r);
            self.halt();
        }
    }

    /// Schedules the delivery of a spike of global neuron `n` at `t`, of class `code`, over
    /// its row here: one entry per distinct delay (groups are sorted by delay).
    #[inline]
    fn schedule_row(&mut self, t: Time, n: u32, code: u32) {
        let (g0, g1) = (
            self.csr.row_groups[n as usize],
            self.csr.row_groups[n as usize + 1],
        );
        if g0 == g1 {
            return;
        }
        self.csr.prefetch_row(n as usize);
        let mut last = Time::NEVER;
        for g in g0..g1 {
            let d = self.csr.group_delay[g as usize];
            if d != last {
                self.queue
                    .push(Entry::new(t + d, Kind::Deliver, n, ((g - g0) << 2) | code));
                last = d;
            }
        }
    }

    /// A shard receives a spike of global neuron `n` at `t` from another shard (at a window's
    /// end, so every delivery is at or after the time reached).
    pub(crate) fn receive(&mut self, t: Time, n: u32) {
        if self.halted {
            return;
        }
        debug_assert!(t + self.window >= self.now, "spike from the past");
        let code = if self.plasticity.is_idle() {
            UNCLASSIFIED
        } else {
            self.plasticity.classify(n, t)
        };
        self.schedule_row(t, n, code);
    }

    /// The spikes emitted since the last call (`(time, global id)`), for a shard's exchange.
    pub(crate) fn outbox(&mut self) -> &mut Vec<(Time, u32)> {
        self.outbox.as_mut().expect("a shard")
    }

    /// A shard moves on to `t` over windows in which nothing happens anywhere.
    pub(crate) fn skip_to(&mut self, t: Time) {
        debug_assert!(self.started && self.next_event() >= t, "skipping over work");
        self.now = t;
    }

    /// Time of the earliest queued entry (`Time::NEVER` if none).
    pub(crate) fn next_event(&mut self) -> Time {
        self.queue.peek().map_or(Time::NEVER, |e| e.time)
    }

    /// Population of a neuron.
    pub fn population_of(&self, n: NeuronId) -> PopId {
        PopId(self.locate(n.0).0 as u16)
    }

    /// Number of plastic projections.
    pub fn n_plastic(&self) -> usize {
        self.plasticity.n_rules()
    }

    /// Switches the weight changes of plastic projection `q` on or off (from the time reached
    /// on; its traces run either way).
    pub fn set_plastic(&mut self, q: usize, on: bool) {
        self.plasticity.set_plastic(q, on);
    }

    /// The synapses of plastic projection `q` as `(source, target, weight)` (global ids), by
    /// target, then source.
    pub fn plastic_weights(&self, q: usize) -> Vec<(u32, u32, f32)> {
        let base = self.offsets[self.plasticity.target(q)];
        let mut w = self.plasticity.weights(&self.csr, q);
        for s in &mut w {
            s.1 = self.global[(base + s.1) as usize];
        }
        w
    }

    /// Ē and B̄ (Hz) at the time reached of every target neuron of plastic projection `q`
    /// here, as `(target global id, Ē, B̄)`: the rule's τ_avg event and burst averages.
    pub fn plastic_rates(&self, q: usize) -> Vec<(u32, f64, f64)> {
        let p = self.plasticity.target(q);
        (0..self.offsets[p + 1] - self.offsets[p])
            .map(|i| {
                (
                    self.global[(self.offsets[p] + i) as usize],
                    self.plasticity.event_rate_hz(q, i, self.now),
                    self.plasticity.burst_rate_hz(q, i, self.now),
                )
            })
            .collect()
    }

    /// Sets the constant current (pA) into compartment `port` of neuron `n` (a global id
    /// owned here) from the time reached on: run-time control between runs, e.g. a teacher.
    pub fn set_current(&mut self, n: NeuronId, port: u8, value: f64) {
        // A shard's global ids ascend (populations in order, each part ascending).
        let Ok(local) = self.global.binary_search(&n.0) else {
            return;
        };
        let (p, local) = self.locate(local as u32);
        let t = self.now;
        let mut rec = NullRecorder;
        self.with_pop(p, &mut rec, |pop, ctx, _| {
            pop.set_current_port(t, local, port, value, ctx);
        });
    }
}

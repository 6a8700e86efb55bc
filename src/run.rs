//! Running a model: build, simulate with progress, record, summarise.

use crate::checkpoint::{Checkpoint, RunState};
use crate::engine::RecordState;
use crate::engine::partition::{Partition, Placement};
use crate::engine::queue::SchedulerKind;
use crate::engine::shard::{MAX_SHARDS, ShardStats, ShardedSimulation};
use crate::engine::{Blueprint, NullRecorder, Recorder, Simulation, Stats};
use crate::error::Result;
use crate::ids::NeuronId;
use crate::model::Model;
use crate::model::build::{Network, PopInfo, build, trial_dynamics, trial_seed};
use crate::model::memory::FlightGuard;
use crate::model::neurons::Connectomes;
use crate::record::{H5Recorder, RunInfo};
use crate::time::Time;
use crate::weights::WeightLog;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod progress;
pub use progress::rss_mib;

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Output file; `None` records nothing.
    pub output: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// Recorded duration override (ms).
    pub duration_ms: Option<f64>,
    /// Scheduler override.
    pub scheduler: Option<SchedulerKind>,
    /// Show progress: a bar on stderr, or with `progress_every` lines.
    pub progress: bool,
    /// With `progress`: instead of a bar, a line on stderr every this long (wall time) with
    /// the simulated time reached, speed and memory (for logs, where a bar cannot be drawn).
    pub progress_every: Option<Duration>,
    /// Shards (one thread each); `None`: the model's `simulation.threads`, else the number of
    /// cores.
    pub threads: Option<usize>,
    /// Placement of neurons on shards.
    pub placement: Placement,
    /// Stop a trial, with an error naming the population, once its spikes reach what this
    /// mean rate per neuron (Hz) over the whole trial allows: a guard against runaway
    /// activity in parameter sweeps and unchecked models.
    pub max_rate_hz: Option<f64>,
    /// Trials override (`simulation.trials`).
    pub trials: Option<u32>,
    /// With several trials and threads: shard every trial over the threads instead of running
    /// trials side by side, one per thread (the default).
    pub shard_trials: bool,
    /// Write a checkpoint every this many ms of simulated time (runs of one trial).
    pub checkpoint_every: Option<f64>,
    /// Where checkpoints go; default: beside the output, `<output stem>.ckpt.h5`.
    pub checkpoint: Option<PathBuf>,
    /// Set to a signal's number (by a handler of SIGINT or SIGTERM) to stop the run at the
    /// end of the current slice of windows: the recording is written out, a checkpoint saved
    /// and the output marked incomplete with the time reached.
    pub interrupt: Option<Arc<AtomicUsize>>,
    /// Go on from this checkpoint instead of starting (see [`resume`]).
    pub resume: Option<Box<Checkpoint>>,
}

/// A run stopped by a signal.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Interrupted {
    /// The signal's number.
    pub signal: usize,
    /// Simulated time reached (ms).
    pub reached_ms: f64,
    /// The checkpoint written, if the model's state could be saved.
    pub checkpoint: Option<PathBuf>,
}

/// Per-population results.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PopSummary {
    /// Name.
    pub name: String,
    /// Neurons.
    pub size: u32,
    /// Spikes in the recorded period.
    pub spikes: u64,
    /// Mean rate per neuron in the recorded period (Hz).
    pub rate_hz: f64,
}

/// What a run did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    /// Neurons.
    pub neurons: usize,
    /// Synapses.
    pub synapses: usize,
    /// Bytes of the compiled synapse store.
    pub synapse_bytes: usize,
    /// Bytes per synapse.
    pub bytes_per_synapse: f64,
    /// Simulated time (ms), warm-up included.
    pub simulated_ms: f64,
    /// Recorded time (ms).
    pub recorded_ms: f64,
    /// Wall time of building (s).
    pub build_s: f64,
    /// Wall time of simulating (s).
    pub simulate_s: f64,
    /// Synaptic events per second of simulate wall time.
    pub events_per_s: f64,
    /// Wall time per simulated time.
    pub real_time_factor: f64,
    /// Peak resident memory (MiB), if known.
    pub peak_rss_mib: Option<f64>,
    /// The memory estimated before building (MiB; `model::memory`).
    pub estimated_peak_mib: f64,
    /// Shards (threads) used.
    pub threads: usize,
    /// Engine counters, summed over shards.
    pub stats: Stats,
    /// Per shard (empty for one thread): counters, compute and waiting time, windows.
    pub shards: Vec<ShardStats>,
    /// Per population (spikes summed over trials, rates per trial).
    pub populations: Vec<PopSummary>,
    /// Trials run.
    pub trials: u32,
    /// The most active neurons (mean rate over trials), for runs of several trials or of
    /// connectome populations.
    pub top: Vec<TopNeuron>,
    /// Per plastic projection (first trial, with `[record.weights]`): name, mean weight at
    /// the first and the last time taken.
    pub weights: Vec<(String, f64, f64)>,
    /// Set when a signal stopped the run before its end.
    pub interrupted: Option<Interrupted>,
}

/// One row of the table of most active neurons.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TopNeuron {
    /// External id.
    pub id: i64,
    /// Population.
    pub population: String,
    /// Cell type (or the first type-like annotation of its connectome), if known.
    pub cell_type: Option<String>,
    /// Mean rate over trials (Hz).
    pub mean_hz: f64,
    /// Standard deviation across trials (Hz).
    pub std_hz: f64,
}

/// Rows of the table of most active neurons.
const TOP: usize = 20;

/// Counts recorded-period spikes per population and per neuron while forwarding to the real
/// recorder.
struct Counting<'a> {
    inner: &'a mut dyn Recorder,
    pop_of: &'a [u16],
    counts: Vec<u64>,
    per_neuron: Vec<u32>,
    t_start: Time,
}

impl Recorder for Counting<'_> {
    fn spike(&mut self, t: Time, n: NeuronId) {
        if t >= self.t_start {
            self.counts[self.pop_of[n.index()] as usize] += 1;
            self.per_neuron[n.index()] += 1;
        }
        self.inner.spike(t, n);
    }
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        self.inner.sample(t, probe, values);
    }
    fn progress(&mut self, t: Time) {
        self.inner.progress(t);
    }
    fn save(&mut self, t: Time, st: &mut RecordState) -> Result<()> {
        self.inner.save(t, st)?;
        st.counts.clone_from(&self.counts);
        st.per_neuron.clone_from(&self.per_neuron);
        Ok(())
    }
}

/// Shards run unsynchronised for at most the smallest delay (a window), then exchange spikes
/// when any is due. Below this window (ms) a sharded run is warned that it may be slower than
/// one thread: an exchange costs about a microsecond, whatever the work between two.
const SHORT_WINDOW_MS: f64 = 0.01;

/// Warns when the smallest delay `window` is so short that `threads` threads may run slower
/// than one.
fn warn_of_short_windows(window: Time, threads: usize) {
    if window.as_ms() < SHORT_WINDOW_MS {
        tracing::warn!(
            "the smallest delay, {:.3e} ms, is the longest the {threads} shards can run without \
             exchanging spikes: with windows this short, this network may run faster on one \
             thread (--threads 1)",
            window.as_ms()
        );
    }
}

/// The engine of a run: one simulation, or shards on threads.
pub(crate) enum Engine {
    Single(Box<Simulation>),
    Sharded(ShardedSimulation),
}

impl Engine {
    /// One simulation for one thread, else shards placed by `placement`.
    pub(crate) fn new(bp: Blueprint, threads: usize, placement: Placement) -> Engine {
        if threads <= 1 {
            return Engine::Single(Box::new(Simulation::new(bp)));
        }
        let part = bp.partition(placement, threads);
        Engine::Sharded(ShardedSimulation::new(bp, &part))
    }
    /// An engine built from `bp` with `part` (one simulation if `None`) that goes on from
    /// `state`.
    fn load(
        bp: Blueprint,
        part: Option<&Partition>,
        state: &crate::engine::checkpoint::EngineState,
    ) -> Result<Engine> {
        let e = |err: crate::engine::state::StateError| crate::error::Error::Invalid {
            what: "checkpoint".into(),
            message: format!("{err}; the checkpoint does not fit this model"),
        };
        Ok(match part {
            None => Engine::Single(Box::new(Simulation::load(bp, state).map_err(e)?)),
            Some(part) => Engine::Sharded(ShardedSimulation::load(bp, part, state).map_err(e)?),
        })
    }
    fn save(
        &mut self,
    ) -> std::result::Result<crate::engine::checkpoint::EngineState, crate::engine::state::StateError>
    {
        match self {
            Engine::Single(sim) => sim.save(),
            Engine::Sharded(sim) => sim.save(),
        }
    }
    fn now(&self) -> Time {
        match self {
            Engine::Single(sim) => sim.now(),
            Engine::Sharded(sim) => sim.now(),
        }
    }
    pub(crate) fn set_plastic(&mut self, q: usize, on: bool) {
        match self {
            Engine::Single(sim) => sim.set_plastic(q, on),
            Engine::Sharded(sim) => sim.set_plastic(q, on),
        }
    }
    pub(crate) fn set_current(&mut self, n: NeuronId, port: u8, value: f64) {
        match self {
            Engine::Single(sim) => sim.set_current(n, port, value),
            Engine::Sharded(sim) => sim.set_current(n, port, value),
        }
    }
    pub(crate) fn plastic_rates(&self, q: usize) -> Vec<(u32, f64, f64)> {
        match self {
            Engine::Single(sim) => sim.plastic_rates(q),
            Engine::Sharded(sim) => sim.plastic_rates(q),
        }
    }
    pub(crate) fn run_until(&mut self, stop: Time, rec: &mut dyn Recorder) {
        match self {
            Engine::Single(sim) => sim.run_until(stop, rec),
            Engine::Sharded(sim) => sim.run_until(stop, rec),
        }
    }
    /// Sets the limit of entries in flight and the spike budget of `guard`, if any.
    pub(crate) fn guard(mut self, guard: Option<&FlightGuard>) -> Engine {
        if let Some(g) = guard {
            match &mut self {
                Engine::Single(sim) => {
                    sim.set_pending_limit(g.entries);
                    sim.set_spike_budget(g.spikes);
                }
                Engine::Sharded(sim) => {
                    sim.set_pending_limit(g.entries);
                    sim.set_spike_budget(g.spikes);
                }
            }
        }
        self
    }
    /// The runaway that stopped the engine, as `guard`'s error.
    pub(crate) fn check(&self, guard: Option<&FlightGuard>) -> Result<()> {
        let runaway = match self {
            Engine::Single(sim) => sim.runaway(),
            Engine::Sharded(sim) => sim.runaway(),
        };
        match (guard, runaway) {
            (Some(g), Some(r)) => Err(g.error(&r)),
            _ => Ok(()),
        }
    }
    pub(crate) fn stats(&self) -> Stats {
        match self {
            Engine::Single(sim) => sim.stats().clone(),
            Engine::Sharded(sim) => sim.stats(),
        }
    }
    fn window(&self) -> Time {
        match self {
            Engine::Single(sim) => sim.window(),
            Engine::Sharded(sim) => sim.window(),
        }
    }
    fn n_neurons(&self) -> usize {
        match self {
            Engine::Single(sim) => sim.n_neurons(),
            Engine::Sharded(sim) => sim.n_neurons(),
        }
    }
    fn n_synapses(&self) -> usize {
        match self {
            Engine::Single(sim) => sim.csr().n_synapses(),
            Engine::Sharded(sim) => sim.n_synapses(),
        }
    }
    fn synapse_bytes(&self) -> usize {
        match self {
            Engine::Single(sim) => sim.csr().bytes(),
            Engine::Sharded(sim) => sim.synapse_bytes(),
        }
    }
    pub(crate) fn shard_stats(&self) -> Vec<ShardStats> {
        match self {
            Engine::Single(_) => Vec::new(),
            Engine::Sharded(sim) => sim.shard_stats(),
        }
    }
    pub(crate) fn plastic_weights(&self, q: usize) -> Vec<(u32, u32, f32)> {
        match self {
            Engine::Single(sim) => sim.plastic_weights(q),
            Engine::Sharded(sim) => sim.plastic_weights(q),
        }
    }
}

/// Builds and runs a model.
pub fn run(model: &Model, opts: &RunOptions) -> Result<Summary> {
    let t0 = Instant::now();
    let resume = opts.resume.as_deref();
    let (seed, scheduler) = match resume {
        Some(ck) => (Some(ck.run.seed), Some(scheduler_named(&ck.run.scheduler)?)),
        None => (opts.seed, opts.scheduler),
    };
    let mut net: Network = build(model, seed, scheduler)?;
    if let Some(ck) = resume {
        check_resumable(ck, &net)?;
        net.duration = Time(ck.run.duration);
    } else if let Some(d) = opts.duration_ms {
        net.duration = Time::from_ms(d)
            .filter(|&t| t.0 > 0 && net.warmup.checked_end(t).is_some())
            .ok_or_else(|| {
                model.error_at(
                    0..0,
                    format!(
                        "--duration {d}: expected a duration > 0 ms that, after the warm-up, \
                     ends before {:.6e} ms (the clock's range)",
                        crate::time::MAX_MS
                    ),
                )
            })?;
    }
    let in_model = model.spec.simulation.threads.as_ref();
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_SHARDS));
    let threads = opts
        .threads
        .or(in_model.map(|t| *t.get_ref()))
        .unwrap_or_else(cores);
    if !(1..=MAX_SHARDS).contains(&threads) {
        let (span, what) = match (opts.threads, in_model) {
            (None, Some(t)) => (t.span(), "simulation.threads ="),
            _ => (0..0, "--threads"),
        };
        return Err(model.error_at(
            span,
            format!("{what} {threads}: expected 1 to {MAX_SHARDS}"),
        ));
    }
    let trials = opts
        .trials
        .unwrap_or(*model.spec.simulation.trials.get_ref());
    if trials == 0 {
        return Err(model.error_at(
            model.spec.simulation.trials.span(),
            "trials = 0: expected at least one trial",
        ));
    }
    let every = match opts.checkpoint_every {
        None => None,
        Some(ms) => Some(Time::from_ms(ms).filter(|t| t.0 > 0).ok_or_else(|| {
            crate::error::Error::Invalid {
                what: "--checkpoint-every".into(),
                message: format!("{ms}: expected a simulated time > 0 ms"),
            }
        })?),
    };
    if trials > 1 && (every.is_some() || resume.is_some()) {
        return Err(crate::error::Error::Invalid {
            what: "--checkpoint-every".into(),
            message: format!(
                "the model runs {trials} trials; checkpoints are for runs of one trial \
                 (--trials 1)"
            ),
        });
    }
    let pops = net.populations.clone();
    let estimated_peak_mib = net.memory.peak_bytes as f64 / (1u64 << 20) as f64;
    let (warmup, duration) = (net.warmup, net.duration);
    let stop = warmup + duration;
    let probes: Vec<_> = net
        .blueprint
        .probes
        .iter()
        .map(|p| (p.neurons.clone(), p.vars.clone()))
        .collect();
    let ids = net.external_ids();
    if ids.is_none() {
        tracing::warn!("external ids are not unique across populations; recording global indices");
    }
    let ids = ids.unwrap_or_else(|| (0..net.n_neurons() as i64).collect());
    let n = net.n_neurons();
    // Later trials reuse the network: the synapses and probes of the first.
    let (csr, trial_probes) = (net.blueprint.csr.clone(), net.blueprint.probes.clone());
    let scheduler = net.blueprint.scheduler;
    let (plastic, burst_detector) = (net.blueprint.plastic.clone(), net.blueprint.burst_detector);
    // Weights of plastic projections, first trial.
    let mut wlog = match &model.spec.record.weights {
        _ if resume.is_some_and(|ck| ck.run.weight_log.is_some()) => {
            resume.and_then(|ck| ck.run.weight_log.clone())
        }
        Some(w) if !plastic.is_empty() => {
            let ms = |what: &str, x: f64| crate::model::build::clock_time(model, what, x);
            let snaps: Vec<Time> = (w.snapshots.iter())
                .map(|x| ms("record.weights.snapshots", x.0))
                .collect::<Result<_>>()?;
            let what = "record.weights.interval";
            let interval = crate::model::build::at_least_a_step(model, 0..0, what, w.interval.0)?;
            let names = plastic.iter().map(|p| p.name.clone()).collect();
            Some(WeightLog::new(names, warmup, interval, &snaps, stop))
        }
        _ => None,
    };
    // Independent trials run side by side, one per thread, unless asked to shard each (or
    // weights are taken, which happens between slices of the first trial).
    let parallel = trials > 1 && threads > 1 && !opts.shard_trials && wlog.is_none();
    let part = (threads > 1 && !parallel).then(|| net.blueprint.partition(opts.placement, threads));
    if part.is_some() {
        warn_of_short_windows(net.blueprint.csr.delays_or_default().0, threads);
    }
    // Entries in flight, beside the network, within the memory limit.
    if let Some(r) = opts.max_rate_hz.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(crate::error::Error::Invalid {
            what: "--max-rate".into(),
            message: format!("{r}: expected a rate > 0 Hz"),
        });
    }
    let guard = FlightGuard::with_max_rate(
        FlightGuard::new(model.memory_limit, &net),
        opts.max_rate_hz,
        &net,
        stop,
    );
    let make_engine = |blueprint: Blueprint| {
        match &part {
            None => Engine::Single(Box::new(Simulation::new(blueprint))),
            Some(part) => Engine::Sharded(ShardedSimulation::new(blueprint, part)),
        }
        .guard(guard.as_ref())
    };
    let first = std::mem::replace(
        &mut net.blueprint,
        Blueprint {
            populations: Vec::new(),
            csr: Default::default(),
            currents: Vec::new(),
            probes: Vec::new(),
            scheduler,
            plastic: plastic.clone(),
            burst_detector,
        },
    );
    let mut engine = match resume {
        Some(ck) => Engine::load(first, part.as_ref(), &ck.state)?.guard(guard.as_ref()),
        None => make_engine(first),
    };
    let (n_synapses, synapse_bytes) = (engine.n_synapses(), engine.synapse_bytes());
    let build_s = t0.elapsed().as_secs_f64();
    tracing::info!(
        neurons = engine.n_neurons(),
        synapses = engine.n_synapses(),
        threads,
        trials,
        build_s,
        "network built"
    );

    let mut h5 = match &opts.output {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(crate::error::Error::io(dir))?;
            }
            let info = RunInfo {
                model_text: &model.text,
                model_path: &model.path,
                seed: net.seed,
                t_start: warmup,
                t_stop: stop,
                trials,
            };
            Some(match resume {
                Some(ck) => H5Recorder::reopen(
                    path,
                    &pops,
                    &ids,
                    &probes,
                    &info,
                    engine.window(),
                    &RecordState {
                        spikes_written: ck.run.spikes_written,
                        probe_rows: ck.run.probe_rows.clone(),
                        ..RecordState::default()
                    },
                )?,
                None => H5Recorder::create(path, &pops, &ids, &probes, &info, engine.window())?,
            })
        }
        None => None,
    };
    let mut pop_of = Vec::with_capacity(n);
    for (k, p) in pops.iter().enumerate() {
        pop_of.extend(std::iter::repeat_n(k as u16, p.size as usize));
    }
    let mut counts = vec![0u64; pops.len()];
    let (mut sum_hz, mut sq_hz) = (vec![0.0f64; n], vec![0.0f64; n]);
    let rec_s = duration.as_ms() / 1000.0;
    let mut stats = Stats::default();
    let mut simulate_s = 0.0;
    let mut interrupted = None;
    let mut outcome = None;
    let mut checkpointing = (trials == 1).then(|| Checkpointing {
        every,
        path: opts
            .checkpoint
            .clone()
            .unwrap_or_else(|| default_checkpoint(opts.output.as_deref(), &model.path)),
        run: RunState {
            model_text: model.text.clone(),
            model_path: model.path.clone(),
            seed: net.seed,
            warmup: warmup.0,
            duration: duration.0,
            scheduler: format!("{scheduler:?}"),
            threads,
            every: every.map(|t| t.0),
            output: opts.output.clone(),
            inputs: resume.map(|ck| ck.run.inputs.clone()).unwrap_or_default(),
            ..RunState::default()
        },
        hashed: resume.is_some(),
        input_paths: model.inputs(),
        interrupt: opts.interrupt.clone(),
        simulated_before: resume.map_or(0.0, |ck| ck.run.simulate_s),
        t1: Instant::now(),
    });
    let mut resumed_counts = resume.map(|ck| (ck.run.counts.clone(), ck.run.per_neuron.clone()));
    let mut accumulate = |pop_counts: &[u64], per_neuron: &[u32]| {
        for (c, x) in counts.iter_mut().zip(pop_counts) {
            *c += x;
        }
        for (i, &c) in per_neuron.iter().enumerate() {
            let hz = c as f64 / rec_s;
            sum_hz[i] += hz;
            sq_hz[i] += hz * hz;
        }
    };
    let mut shards = Vec::new();
    let job = TrialJob {
        model,
        infos: &net.populations,
        cons: &net.connectomes,
        seed: net.seed,
        csr: &csr,
        probes: &trial_probes,
        scheduler,
        plastic: &plastic,
        burst_detector,
        stop,
        guard: guard.as_ref(),
    };
    if parallel {
        let Engine::Single(sim0) = engine else {
            unreachable!("trials side by side run unsharded")
        };
        let t1 = Instant::now();
        let lines = opts.progress_every.filter(|_| opts.progress);
        let bar = (opts.progress && lines.is_none()).then(|| progress::trials_bar(trials));
        let (mut done, mut last_line) = (0, t1);
        run_side_by_side(&job, *sim0, threads, trials, |k, out| {
            let (pop_counts, per_neuron) =
                record_trial(&mut h5, k, &pop_of, pops.len(), warmup, None, |rec| {
                    for &(t, i) in &out.spikes {
                        rec.spike(t, i);
                    }
                    for (t, p, v) in &out.samples {
                        rec.sample(*t, *p, v);
                    }
                    rec.progress(stop);
                })?;
            accumulate(&pop_counts, &per_neuron);
            stats.add(&out.stats);
            if let Some(b) = &bar {
                b.inc(1);
            }
            done += 1;
            if lines.is_some_and(|every| last_line.elapsed() >= every) && done < trials {
                last_line = Instant::now();
                eprintln!(
                    "hebb: {done} of {trials} trials done after {:.0} s",
                    t1.elapsed().as_secs_f64()
                );
            }
            Ok(())
        })?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        simulate_s = t1.elapsed().as_secs_f64();
    } else {
        for k in 0..trials {
            if k > 0 {
                engine = make_engine(job.blueprint(k)?);
            }
            // A signal during a trial of several ends the run after it.
            if k > 0
                && opts
                    .interrupt
                    .as_ref()
                    .is_some_and(|f| f.load(Ordering::SeqCst) != 0)
            {
                break;
            }
            let counted = resumed_counts.take();
            let (pop_counts, per_neuron) =
                record_trial(&mut h5, k, &pop_of, pops.len(), warmup, counted, |rec| {
                    let lines = opts.progress_every.filter(|_| opts.progress);
                    let bar = progress::bar(opts.progress && lines.is_none(), stop, k, trials);
                    let mut lines = lines.map(|every| {
                        progress::Lines::new(every, stop, k, trials, engine.now(), engine.stats())
                    });
                    let t1 = Instant::now();
                    let mut progress = progress::Bar {
                        inner: rec,
                        bar,
                        t1,
                        last: t1,
                    };
                    let log = if k == 0 { wlog.as_mut() } else { None };
                    let ck = checkpointing.as_mut();
                    outcome = Some(
                        tracing::info_span!("simulate", threads, trial = k).in_scope(|| {
                            run_slices(
                                &mut engine,
                                stop,
                                &mut progress,
                                log,
                                ck,
                                lines.as_mut(),
                                guard.as_ref(),
                            )
                        }),
                    );
                    simulate_s += t1.elapsed().as_secs_f64();
                    if let Some(b) = progress.bar.take() {
                        b.finish_and_clear();
                    }
                })?;
            accumulate(&pop_counts, &per_neuron);
            stats.add(&engine.stats());
            if let Some(o) = outcome.take() {
                interrupted = o?;
                if interrupted.is_some() {
                    break;
                }
            }
        }
        shards = engine.shard_stats();
    }
    simulate_s += resume.map_or(0.0, |ck| ck.run.simulate_s);
    let mean_hz: Vec<f64> = sum_hz.iter().map(|s| s / trials as f64).collect();
    let std_hz: Vec<f64> = sq_hz
        .iter()
        .zip(&mean_hz)
        .map(|(sq, m)| {
            if trials > 1 {
                ((sq - trials as f64 * m * m) / (trials as f64 - 1.0))
                    .max(0.0)
                    .sqrt()
            } else {
                0.0
            }
        })
        .collect();
    if trials > 1
        && let Some(r) = &mut h5
    {
        r.write_rates(&mean_hz, &std_hz)?;
    }
    let top = if trials > 1 || pops.iter().any(|p| p.rows.is_some()) {
        top_neurons(&net, &ids, &mean_hz, &std_hz)
    } else {
        Vec::new()
    };
    for (k, s) in shards.iter().enumerate() {
        tracing::info!(
            shard = k,
            neurons = s.neurons,
            synapses = s.synapses,
            events = s.engine.synaptic_events,
            spikes = s.engine.spikes,
            compute_s = s.compute_s,
            exchange_s = s.wait_s,
            windows = s.windows,
            windows_skipped = s.windows_skipped,
            bytes_sent = s.bytes_sent,
            "shard done"
        );
    }
    let populations: Vec<PopSummary> = pops
        .iter()
        .zip(&counts)
        .map(|(p, &c)| PopSummary {
            name: p.name.clone(),
            size: p.size,
            spikes: c,
            rate_hz: c as f64 / (p.size as f64 * rec_s * trials as f64),
        })
        .collect();
    let (syn, bytes) = (n_synapses, synapse_bytes);
    let summary = Summary {
        neurons: n,
        synapses: syn,
        synapse_bytes: bytes,
        bytes_per_synapse: if syn > 0 {
            bytes as f64 / syn as f64
        } else {
            0.0
        },
        simulated_ms: stop.as_ms() * trials as f64,
        recorded_ms: duration.as_ms(),
        build_s,
        simulate_s,
        events_per_s: stats.synaptic_events as f64 / simulate_s.max(1e-9),
        real_time_factor: simulate_s / (trials as f64 * stop.as_ms() / 1000.0),
        peak_rss_mib: peak_rss_mib(),
        estimated_peak_mib,
        threads,
        stats,
        shards,
        populations,
        trials,
        top,
        interrupted: interrupted.clone(),
        weights: wlog
            .as_ref()
            .map(|log| {
                (0..log.names().len())
                    .map(|q| {
                        let m: Vec<(f64, f64)> = log.means(q).collect();
                        let first = m.first().map_or(f64::NAN, |x| x.1);
                        let last = m.last().map_or(f64::NAN, |x| x.1);
                        (log.names()[q].clone(), first, last)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    if let (Some(r), Some(log)) = (&h5, &wlog) {
        r.write_weights(log)?;
    }
    if let Some(r) = h5 {
        let s = &summary;
        let attrs = [
            ("wall_time_s", s.simulate_s),
            ("build_time_s", s.build_s),
            ("spikes", s.stats.spikes as f64),
            ("synaptic_events", s.stats.synaptic_events as f64),
            ("events_per_s", s.events_per_s),
            ("synapses", s.synapses as f64),
            ("threads", s.threads as f64),
            ("queue_pushes", s.stats.queue_pushes as f64),
            ("queue_pops", s.stats.queue_pops as f64),
            ("windows", s.windows() as f64),
            ("windows_skipped", s.windows_skipped() as f64),
            ("bytes_exchanged", s.bytes_exchanged() as f64),
            ("load_imbalance", s.load_imbalance()),
            ("peak_rss_mib", s.peak_rss_mib.unwrap_or(f64::NAN)),
            ("estimated_peak_mib", s.estimated_peak_mib),
            ("bytes_per_synapse", s.bytes_per_synapse),
        ];
        match &s.interrupted {
            Some(i) => r.finish_incomplete(Time::from_ms_saturating(i.reached_ms), &attrs)?,
            None => r.finish(&attrs)?,
        }
    }
    Ok(summary)
}

/// Checkpoints of a run of one trial, and its interruption.
struct Checkpointing {
    every: Option<Time>,
    path: PathBuf,
    /// The run's part of every checkpoint (positions filled in at each).
    run: RunState,
    /// Whether `run.inputs` holds the hashes yet (taken at the first checkpoint).
    hashed: bool,
    /// Every file the model read.
    input_paths: Vec<PathBuf>,
    interrupt: Option<Arc<AtomicUsize>>,
    /// Wall time simulated by the runs this one goes on from (s).
    simulated_before: f64,
    t1: Instant,
}

impl Checkpointing {
    /// Saves the engine's state at `now` (the time reached) with the recording's positions
    /// and writes the checkpoint. When the run was interrupted and its state cannot be saved,
    /// returns `None` (the recording is still written out).
    fn write(
        &mut self,
        engine: &mut Engine,
        now: Time,
        rec: &mut dyn Recorder,
        log: Option<&WeightLog>,
        interrupted: bool,
    ) -> Result<Option<PathBuf>> {
        let mut at = RecordState::default();
        rec.save(now, &mut at)?;
        let state = match engine.save() {
            Ok(s) => s,
            Err(e) if interrupted => {
                tracing::warn!("no checkpoint written: {e}");
                return Ok(None);
            }
            Err(e) => {
                return Err(crate::error::Error::Invalid {
                    what: "--checkpoint-every".into(),
                    message: format!("the model's state cannot be saved: {e}"),
                });
            }
        };
        if !self.hashed {
            for p in &self.input_paths {
                let (size, hash) = crate::checkpoint::file_hash(p)?;
                self.run.inputs.push((p.clone(), size, hash));
            }
            self.hashed = true;
        }
        let mut run = self.run.clone();
        run.spikes_written = at.spikes_written;
        run.probe_rows = at.probe_rows;
        run.counts = at.counts;
        run.per_neuron = at.per_neuron;
        run.simulate_s = self.simulated_before + self.t1.elapsed().as_secs_f64();
        run.weight_log = log.cloned();
        crate::checkpoint::write(&self.path, &Checkpoint { state, run })?;
        tracing::info!(time_ms = now.as_ms(), path = %self.path.display(), "checkpoint written");
        Ok(Some(self.path.clone()))
    }
}

/// Runs to `stop` in slices: at the times `log` takes weights, at checkpoints, and (when the
/// run can be interrupted) in slices of windows of about a quarter of a second of wall time,
/// after each of which the interruption flag is read. Stopping and going on anywhere gives
/// the same run, so slicing changes no result.
fn run_slices(
    engine: &mut Engine,
    stop: Time,
    rec: &mut dyn Recorder,
    mut log: Option<&mut WeightLog>,
    ck: Option<&mut Checkpointing>,
    mut lines: Option<&mut progress::Lines>,
    guard: Option<&FlightGuard>,
) -> Result<Option<Interrupted>> {
    // Checkpointing with nothing to do takes no slices: the run stops only to take weights.
    let mut ck = ck.filter(|c| c.every.is_some() || c.interrupt.is_some());
    let interruptible = ck.as_ref().is_some_and(|c| c.interrupt.is_some());
    let window = engine.window().max(Time::TICK);
    let mut now = engine.now();
    let mut slice = Time(window.0.saturating_mul(16));
    // The next checkpoint: the first multiple of the interval after the start.
    let every = ck.as_ref().and_then(|c| c.every);
    let next_checkpoint =
        move |now: Time| every.map(|e| Time((now.0 / e.0 + 1).saturating_mul(e.0)));
    let mut due_at = next_checkpoint(now);
    loop {
        let mut next = stop;
        if let Some(l) = log.as_deref() {
            next = next.min(l.next_after(now));
        }
        if let Some(c) = due_at {
            next = next.min(c);
        }
        if interruptible || lines.is_some() {
            let windows = (now.0.saturating_add(slice.0) / window.0).max(now.0 / window.0 + 1);
            next = next.min(Time(windows.saturating_mul(window.0)));
        }
        let w0 = Instant::now();
        engine.run_until(next, rec);
        engine.check(guard)?;
        let took = w0.elapsed().as_secs_f64();
        if took < 0.1 {
            slice = Time(slice.0.saturating_mul(2).min(1 << 60));
        } else if took > 0.4 {
            slice = Time((slice.0 / 2).max(window.0));
        }
        if let Some(l) = log.as_deref_mut() {
            l.take(next, |q| engine.plastic_weights(q));
        }
        now = next;
        if now >= stop {
            return Ok(None);
        }
        if let Some(l) = lines.as_deref_mut() {
            l.after_slice(now, || engine.stats());
        }
        let Some(ck) = ck.as_deref_mut() else {
            continue;
        };
        let signal = ck
            .interrupt
            .as_ref()
            .map_or(0, |f| f.load(Ordering::SeqCst));
        let due = due_at == Some(now);
        if due {
            due_at = next_checkpoint(now);
        }
        if due || signal != 0 {
            let written = ck.write(engine, now, rec, log.as_deref(), signal != 0)?;
            if signal != 0 {
                return Ok(Some(Interrupted {
                    signal,
                    reached_ms: now.as_ms(),
                    checkpoint: written,
                }));
            }
        }
    }
}

/// Where checkpoints go by default: beside the output (`out/b4.h5` → `out/b4.ckpt.h5`), or
/// `out/<model>.ckpt.h5` for a run without output.
fn default_checkpoint(output: Option<&Path>, model: &Path) -> PathBuf {
    match output {
        Some(o) => o.with_extension("ckpt.h5"),
        None => {
            let stem = model
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("out").join(format!("{stem}.ckpt.h5"))
        }
    }
}

fn scheduler_named(name: &str) -> Result<SchedulerKind> {
    match name {
        "Calendar" => Ok(SchedulerKind::Calendar),
        "Heap" => Ok(SchedulerKind::Heap),
        other => Err(crate::error::Error::Invalid {
            what: "checkpoint".into(),
            message: format!("unknown scheduler {other:?}"),
        }),
    }
}

/// A checkpoint fits the network built from its model: every file the model read is the one
/// it was saved with, and the network has the same populations.
fn check_resumable(ck: &Checkpoint, net: &Network) -> Result<()> {
    let invalid = |message: String| crate::error::Error::Invalid {
        what: "checkpoint".into(),
        message,
    };
    for (path, size, hash) in &ck.run.inputs {
        let (s, h) = crate::checkpoint::file_hash(path)?;
        if (s, h) != (*size, *hash) {
            return Err(invalid(format!(
                "input file {} changed since the checkpoint was written ({size} bytes, hash \
                 {hash:016x}; now {s} bytes, hash {h:016x}); restore that file to resume",
                path.display()
            )));
        }
    }
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    if sizes != ck.state.sizes || net.warmup.0 != ck.run.warmup {
        return Err(invalid(
            "the model builds another network than the one saved (population sizes or \
             warm-up differ)"
                .into(),
        ));
    }
    Ok(())
}

/// Goes on with the run saved in checkpoint `path`: builds its model again (from the text
/// stored in the checkpoint), loads the state and runs to the end, appending to the run's
/// output file. `opts` gives the threads, progress, interruption and further checkpoints
/// (by default every as often as before, to the same file); the rest comes from the
/// checkpoint. The run ends as the uninterrupted run would, bit for bit, with any number of
/// threads.
pub fn resume(path: &Path, opts: &RunOptions, memory_limit: Option<u64>) -> Result<Summary> {
    let ck = crate::checkpoint::read(path)?;
    let mut model = Model::parse(&ck.run.model_text, &ck.run.model_path)?;
    model.memory_limit = memory_limit;
    model.writes_output = ck.run.output.is_some();
    let every_ms = ck.run.every.map(|t| Time(t).as_ms());
    let opts = RunOptions {
        output: ck.run.output.clone(),
        checkpoint: opts.checkpoint.clone().or_else(|| Some(path.to_owned())),
        checkpoint_every: opts.checkpoint_every.or(every_ms),
        trials: Some(1),
        resume: Some(Box::new(ck)),
        ..opts.clone()
    };
    // What does not fit is named with the checkpoint file it came from.
    run(&model, &opts).map_err(|e| match e {
        crate::error::Error::Invalid { what, message } if what == "checkpoint" => {
            crate::error::Error::Invalid {
                what: format!("checkpoint {}", path.display()),
                message,
            }
        }
        e => e,
    })
}

/// What a trial run side by side needs: the network (shared, read only) and the run's bounds.
struct TrialJob<'a> {
    model: &'a Model,
    infos: &'a [PopInfo],
    cons: &'a Connectomes,
    seed: u64,
    csr: &'a std::sync::Arc<crate::engine::Csr>,
    probes: &'a [crate::engine::Probe],
    scheduler: SchedulerKind,
    plastic: &'a [crate::engine::plastic::PlasticProjection],
    burst_detector: crate::plasticity::BurstDetector,
    stop: Time,
    guard: Option<&'a FlightGuard>,
}

impl TrialJob<'_> {
    /// The network of trial `k` > 0: the first trial's synapses and probes, populations and
    /// currents with the trial's random streams.
    fn blueprint(&self, k: u32) -> Result<Blueprint> {
        let (populations, currents) =
            trial_dynamics(self.model, self.infos, self.cons, trial_seed(self.seed, k))?;
        Ok(Blueprint {
            populations,
            csr: self.csr.clone(),
            currents,
            probes: self.probes.to_vec(),
            scheduler: self.scheduler,
            plastic: self.plastic.to_vec(),
            burst_detector: self.burst_detector,
        })
    }
}

/// Records trial `k` through `h5` (if any), counting its recorded-period spikes per population
/// and per neuron; `feed` drives the recorder (a live run or a replay).
fn record_trial(
    h5: &mut Option<H5Recorder>,
    k: u32,
    pop_of: &[u16],
    n_pops: usize,
    t_start: Time,
    counted: Option<(Vec<u64>, Vec<u32>)>,
    feed: impl FnOnce(&mut dyn Recorder),
) -> Result<(Vec<u64>, Vec<u32>)> {
    if let Some(r) = h5 {
        r.begin_trial(k)?;
    }
    let mut null = NullRecorder;
    let inner: &mut dyn Recorder = match h5 {
        Some(r) => r,
        None => &mut null,
    };
    let (counts, per_neuron) = counted
        .filter(|(c, p)| c.len() == n_pops && p.len() == pop_of.len())
        .unwrap_or_else(|| (vec![0; n_pops], vec![0; pop_of.len()]));
    let mut rec = Counting {
        inner,
        pop_of,
        counts,
        per_neuron,
        t_start,
    };
    feed(&mut rec);
    Ok((rec.counts, rec.per_neuron))
}

/// A trial's output, kept in memory until the trials before it are written.
#[derive(Default)]
struct TrialOut {
    spikes: Vec<(Time, NeuronId)>,
    samples: Vec<(Time, usize, Vec<f64>)>,
    stats: Stats,
}

impl Recorder for TrialOut {
    fn spike(&mut self, t: Time, n: NeuronId) {
        self.spikes.push((t, n));
    }
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        self.samples.push((t, probe, values.to_vec()));
    }
}

/// Runs trials `0..trials` on `threads` threads, one trial per thread at a time (trial 0 is
/// `first`), and hands each trial's output to `consume` in trial order, on this thread. A
/// trial's output does not depend on the thread that ran it.
fn run_side_by_side(
    job: &TrialJob,
    first: Simulation,
    threads: usize,
    trials: u32,
    mut consume: impl FnMut(u32, TrialOut) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicU32, Ordering};
    let first = std::sync::Mutex::new(Some(first));
    let next = AtomicU32::new(0);
    let run_one = |k: u32| -> Result<TrialOut> {
        let mut sim = if k == 0 {
            first
                .lock()
                .expect("no thread panics holding it")
                .take()
                .expect("trial 0 runs once")
        } else {
            Simulation::new(job.blueprint(k)?)
        };
        if let Some(g) = job.guard {
            // Trials side by side share the room.
            sim.set_pending_limit(g.entries / threads.max(1));
            sim.set_spike_budget(g.spikes);
        }
        let mut out = TrialOut::default();
        tracing::info_span!("simulate", trial = k).in_scope(|| sim.run_until(job.stop, &mut out));
        if let (Some(g), Some(r)) = (job.guard, sim.runaway()) {
            return Err(g.error(&r));
        }
        if k > 0 {
            out.samples.clear(); // probes record the first trial only
        }
        out.stats = sim.stats().clone();
        Ok(out)
    };
    std::thread::scope(|scope| {
        let (tx, rx) = crossbeam_channel::unbounded::<(u32, Result<TrialOut>)>();
        let workers: Vec<_> = (0..threads.min(trials as usize))
            .map(|_| {
                let tx = tx.clone();
                let (next, run_one) = (&next, &run_one);
                scope.spawn(move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= trials || tx.send((k, run_one(k))).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut want = 0u32;
        let mut outcome = Ok(());
        'trials: for (k, out) in rx.iter() {
            pending.insert(k, out);
            while let Some(out) = pending.remove(&want) {
                if let Err(e) = out.and_then(|o| consume(want, o)) {
                    // Stop handing out trials; the threads finish the ones they run.
                    next.store(trials, Ordering::Relaxed);
                    outcome = Err(e);
                    break 'trials;
                }
                want += 1;
            }
        }
        drop(rx);
        workers.into_iter().for_each(crate::par::join);
        outcome
    })
}

/// The most active neurons by mean rate (ties by id), with their cell types.
fn top_neurons(net: &Network, ids: &[i64], mean_hz: &[f64], std_hz: &[f64]) -> Vec<TopNeuron> {
    let mut order: Vec<usize> = (0..mean_hz.len()).filter(|&i| mean_hz[i] > 0.0).collect();
    order.sort_by(|&a, &b| mean_hz[b].total_cmp(&mean_hz[a]).then(ids[a].cmp(&ids[b])));
    order.truncate(TOP);
    order
        .into_iter()
        .map(|i| {
            let pop = net
                .populations
                .iter()
                .find(|p| (p.offset..p.offset + p.size).contains(&(i as u32)))
                .expect("every neuron is in a population");
            let cell_type = ["cell_type", "primary_type", "type", "class", "cell_class"]
                .iter()
                .find_map(|c| net.annotation(i as u32, c));
            TopNeuron {
                id: ids[i],
                population: pop.name.clone(),
                cell_type,
                mean_hz: mean_hz[i],
                std_hz: std_hz[i],
            }
        })
        .collect()
}

/// Peak resident set size of this process (MiB), from /proc (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

impl Summary {
    /// Windows ended with an exchange (0 for one thread).
    pub fn windows(&self) -> u64 {
        self.shards.first().map_or(0, |s| s.windows)
    }

    /// Windows skipped as silent (0 for one thread).
    pub fn windows_skipped(&self) -> u64 {
        self.shards.first().map_or(0, |s| s.windows_skipped)
    }

    /// Bytes sent between shards.
    pub fn bytes_exchanged(&self) -> u64 {
        self.shards.iter().map(|s| s.bytes_sent).sum()
    }

    /// Largest over mean compute time of the shards (1 for one thread).
    pub fn load_imbalance(&self) -> f64 {
        imbalance(&self.shards)
    }

    /// The report of `hebb bench`.
    pub fn render_bench(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let rate = |x: u64| x as f64 / self.simulate_s.max(1e-9);
        let _ = writeln!(
            s,
            "neurons {}  synapses {}  threads {}",
            self.neurons, self.synapses, self.threads
        );
        let _ = writeln!(
            s,
            "simulated {:.1} ms  build {:.3} s  simulate {:.3} s  real-time factor {:.4}",
            self.simulated_ms, self.build_s, self.simulate_s, self.real_time_factor
        );
        let _ = writeln!(
            s,
            "synaptic events {}  ({:.3e}/s)\nspikes {}  ({:.3e}/s)",
            self.stats.synaptic_events,
            rate(self.stats.synaptic_events),
            self.stats.spikes,
            rate(self.stats.spikes)
        );
        let _ = writeln!(
            s,
            "queue: {} pushes, {} pops ({:.3e}/s), largest {}",
            self.stats.queue_pushes,
            self.stats.queue_pops,
            rate(self.stats.queue_pops),
            self.stats.queue_peak
        );
        let _ = writeln!(
            s,
            "memory: synapse store {:.1} MB ({:.2} B/synapse), peak {} (estimated {:.0} MiB)",
            self.synapse_bytes as f64 / 1e6,
            self.bytes_per_synapse,
            self.peak_rss_mib
                .map(|m| format!("{m:.0} MiB"))
                .unwrap_or_else(|| "n/a".into()),
            self.estimated_peak_mib
        );
        if self.shards.is_empty() {
            return s;
        }
        let _ = writeln!(
            s,
            "windows {} run, {} skipped; exchanged {} spikes, {:.1} kB; load imbalance (max/mean compute) {:.2}",
            self.windows(),
            self.windows_skipped(),
            self.shards.iter().map(|x| x.spikes_sent).sum::<u64>(),
            self.bytes_exchanged() as f64 / 1e3,
            self.load_imbalance()
        );
        let _ = writeln!(
            s,
            "{:>5} {:>9} {:>11} {:>13} {:>9} {:>10} {:>11}",
            "shard", "neurons", "synapses", "events", "spikes", "compute s", "exchange s"
        );
        for (k, x) in self.shards.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:>5} {:>9} {:>11} {:>13} {:>9} {:>10.3} {:>11.3}",
                k,
                x.neurons,
                x.synapses,
                x.engine.synaptic_events,
                x.engine.spikes,
                x.compute_s,
                x.wait_s
            );
        }
        s
    }

    /// The one-screen summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        use std::fmt::Write;
        let _ = writeln!(
            s,
            "neurons {}  synapses {}  ({:.2} B/synapse)",
            self.neurons, self.synapses, self.bytes_per_synapse
        );
        let trials = if self.trials > 1 {
            format!(" in {} trials", self.trials)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "simulated {:.1} ms{trials} (recorded {:.1} ms per trial)",
            self.simulated_ms, self.recorded_ms
        );
        let _ = writeln!(
            s,
            "{:<16} {:>9} {:>12} {:>10}",
            "population", "neurons", "spikes", "rate (Hz)"
        );
        for p in &self.populations {
            let _ = writeln!(
                s,
                "{:<16} {:>9} {:>12} {:>10.3}",
                p.name, p.size, p.spikes, p.rate_hz
            );
        }
        let _ = writeln!(
            s,
            "spikes {}  synaptic events {}  ({:.3e} events/s)",
            self.stats.spikes, self.stats.synaptic_events, self.events_per_s
        );
        let _ = writeln!(
            s,
            "build {:.3} s  simulate {:.3} s  real-time factor {:.3}  peak memory {}",
            self.build_s,
            self.simulate_s,
            self.real_time_factor,
            self.peak_rss_mib
                .map(|m| format!("{m:.0} MiB"))
                .unwrap_or_else(|| "n/a".into())
        );
        if !self.shards.is_empty() {
            let _ = writeln!(s, "{}", shard_line(&self.shards));
        }
        if !self.top.is_empty() {
            let _ = writeln!(
                s,
                "most active neurons (mean ± std over {} trial{}):",
                self.trials,
                if self.trials == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                s,
                "{:>4} {:>20} {:<12} {:<20} {:>10} {:>9}",
                "rank", "id", "population", "cell type", "rate (Hz)", "std"
            );
            for (k, t) in self.top.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{:>4} {:>20} {:<12} {:<20} {:>10.2} {:>9.2}",
                    k + 1,
                    t.id,
                    t.population,
                    t.cell_type.as_deref().unwrap_or("-"),
                    t.mean_hz,
                    t.std_hz
                );
            }
        }
        for (name, first, last) in &self.weights {
            let _ = writeln!(s, "mean weight of {name}: {first:.4} → {last:.4}");
        }
        s
    }
}

/// One line on the shards: windows, time computing and waiting, imbalance, traffic.
fn shard_line(shards: &[ShardStats]) -> String {
    let n = shards.len() as f64;
    format!(
        "shards {}  windows {} (+{} skipped)  compute {:.3} s (max/mean {:.2})  exchange {:.3} s  sent {} spikes, {} kB",
        shards.len(),
        shards[0].windows,
        shards[0].windows_skipped,
        shards.iter().map(|s| s.compute_s).sum::<f64>() / n,
        imbalance(shards),
        shards.iter().map(|s| s.wait_s).sum::<f64>() / n,
        shards.iter().map(|s| s.spikes_sent).sum::<u64>(),
        shards.iter().map(|s| s.bytes_sent).sum::<u64>() / 1000
    )
}

/// Largest over mean compute time of the shards (1 for one shard).
fn imbalance(shards: &[ShardStats]) -> f64 {
    let mean = shards.iter().map(|s| s.compute_s).sum::<f64>() / shards.len().max(1) as f64;
    let max = shards.iter().map(|s| s.compute_s).fold(0.0, f64::max);
    if mean > 0.0 { max / mean } else { 1.0 }
}

//! Running a model: build, simulate with progress, record, summarise.

use crate::engine::queue::SchedulerKind;
use crate::engine::{NullRecorder, Recorder, Simulation, Stats};
use crate::error::Result;
use crate::ids::NeuronId;
use crate::model::Model;
use crate::model::build::{Network, build};
use crate::record::{H5Recorder, RunInfo};
use crate::time::Time;
use std::path::PathBuf;
use std::time::Instant;

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
    /// Show a progress bar.
    pub progress: bool,
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
    /// Engine counters.
    pub stats: Stats,
    /// Per population.
    pub populations: Vec<PopSummary>,
}

/// Counts recorded-period spikes per population while forwarding to the real recorder.
struct Counting<'a> {
    inner: &'a mut dyn Recorder,
    pop_of: Vec<u16>,
    counts: Vec<u64>,
    t_start: Time,
}

impl Recorder for Counting<'_> {
    fn spike(&mut self, t: Time, n: NeuronId) {
        if t >= self.t_start {
            self.counts[self.pop_of[n.index()] as usize] += 1;
        }
        self.inner.spike(t, n);
    }
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        self.inner.sample(t, probe, values);
    }
    fn progress(&mut self, t: Time) {
        self.inner.progress(t);
    }
}

/// Builds and runs a model.
pub fn run(model: &Model, opts: &RunOptions) -> Result<Summary> {
    let t0 = Instant::now();
    let mut net: Network = build(model, opts.seed, opts.scheduler)?;
    if let Some(d) = opts.duration_ms {
        net.duration = Time::from_ms(d).filter(|t| t.0 > 0).ok_or_else(|| {
            model.error_at(0..0, format!("--duration {d}: expected a duration > 0 ms"))
        })?;
    }
    let pops = net.populations.clone();
    let (warmup, duration) = (net.warmup, net.duration);
    let stop = warmup + duration;
    let probes: Vec<_> = net
        .blueprint
        .probes
        .iter()
        .map(|p| (p.neurons.clone(), p.vars.clone()))
        .collect();
    let mut sim = Simulation::new(net.blueprint);
    let build_s = t0.elapsed().as_secs_f64();
    tracing::info!(
        neurons = sim.n_neurons(),
        synapses = sim.csr().n_synapses(),
        build_s,
        "network built"
    );

    let mut h5 = match &opts.output {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| crate::error::Error::Io {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            let info = RunInfo {
                model_text: &model.text,
                model_path: &model.path,
                seed: net.seed,
                t_start: warmup,
                t_stop: stop,
            };
            Some(H5Recorder::create(
                path,
                &pops,
                &probes,
                &info,
                sim.window(),
            )?)
        }
        None => None,
    };
    let mut null = NullRecorder;
    let inner: &mut dyn Recorder = match &mut h5 {
        Some(r) => r,
        None => &mut null,
    };
    let mut pop_of = Vec::with_capacity(sim.n_neurons());
    for (k, p) in pops.iter().enumerate() {
        pop_of.extend(std::iter::repeat_n(k as u16, p.size as usize));
    }
    let mut rec = Counting {
        inner,
        pop_of,
        counts: vec![0; pops.len()],
        t_start: warmup,
    };

    let bar = progress_bar(opts.progress, stop);
    let t1 = Instant::now();
    // Advance in slices so the bar moves; the slicing does not change results.
    let slice = Time((stop.0 / 200).max(Time::from_ms(1.0).expect("1 ms").0));
    let mut t = Time::ZERO;
    while t < stop {
        let next = (t + slice).min(stop);
        sim.run_until(next, &mut rec);
        t = next;
        if let Some(b) = &bar {
            let wall = t1.elapsed().as_secs_f64();
            if wall > 1.0 && b.is_hidden() {
                // Only runs longer than a second show progress.
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            b.set_position((t.as_ms()) as u64);
            b.set_message(format!("{:.2}× real time", wall / (t.as_ms() / 1000.0)));
        }
    }
    let simulate_s = t1.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let counts = rec.counts;
    let stats = sim.stats().clone();
    let rec_s = duration.as_ms() / 1000.0;
    let populations: Vec<PopSummary> = pops
        .iter()
        .zip(&counts)
        .map(|(p, &c)| PopSummary {
            name: p.name.clone(),
            size: p.size,
            spikes: c,
            rate_hz: c as f64 / (p.size as f64 * rec_s),
        })
        .collect();
    let syn = sim.csr().n_synapses();
    let summary = Summary {
        neurons: sim.n_neurons(),
        synapses: syn,
        synapse_bytes: sim.csr().bytes(),
        bytes_per_synapse: if syn > 0 {
            sim.csr().bytes() as f64 / syn as f64
        } else {
            0.0
        },
        simulated_ms: stop.as_ms(),
        recorded_ms: duration.as_ms(),
        build_s,
        simulate_s,
        events_per_s: stats.synaptic_events as f64 / simulate_s.max(1e-9),
        real_time_factor: simulate_s / (stop.as_ms() / 1000.0),
        peak_rss_mib: peak_rss_mib(),
        stats,
        populations,
    };
    if let Some(r) = h5 {
        let s = &summary;
        r.finish(&[
            ("wall_time_s", s.simulate_s),
            ("build_time_s", s.build_s),
            ("spikes", s.stats.spikes as f64),
            ("synaptic_events", s.stats.synaptic_events as f64),
            ("events_per_s", s.events_per_s),
            ("synapses", s.synapses as f64),
        ])?;
    }
    Ok(summary)
}

fn progress_bar(show: bool, stop: Time) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let b = indicatif::ProgressBar::with_draw_target(
        Some(stop.as_ms() as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ms simulated, {msg}",
        )
        .expect("valid template"),
    );
    Some(b)
}

/// Peak resident set size of this process (MiB), from /proc (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

impl Summary {
    /// The one-screen summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        use std::fmt::Write;
        let _ = writeln!(
            s,
            "neurons {}  synapses {}  ({:.2} B/synapse)",
            self.neurons, self.synapses, self.bytes_per_synapse
        );
        let _ = writeln!(
            s,
            "simulated {:.1} ms (recorded {:.1} ms)",
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
        s
    }
}

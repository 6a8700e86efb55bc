//! Command-line definitions (clap) and dispatch. Library errors that come from the user's input
//! exit with code 2, everything else with 1.

use clap::{Parser, Subcommand};
use hebb::engine::partition::Placement;
use hebb::engine::queue::SchedulerKind;
use hebb::model::Model;
use hebb::run::{RunOptions, Summary, run};
use std::path::PathBuf;

/// hebb: exact, fast event-driven simulation of spiking networks and connectomes.
#[derive(Parser)]
#[command(name = "hebb", version, about, propagate_version = true)]
struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// No progress bar and no summary.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model file and record spikes and state to HDF5.
    Run {
        #[command(flatten)]
        run: RunArgs,
        /// Output file (HDF5). Default: out/<model name>.h5.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Record nothing (for benchmarking).
        #[arg(long, conflicts_with = "output")]
        no_output: bool,
        /// Also write the summary as JSON to this file.
        #[arg(long, value_name = "FILE")]
        summary_json: Option<PathBuf>,
        #[command(flatten)]
        checkpoints: CheckpointArgs,
    },
    /// Go on with a run from a checkpoint (written by `run --checkpoint-every` or when a run
    /// was interrupted): the same model, seed and output file, any number of threads; the
    /// run ends exactly as it would have without the interruption.
    Resume {
        /// The checkpoint file, e.g. out/b4.ckpt.h5.
        checkpoint: PathBuf,
        /// Shards, one thread each (default: the number of cores). Results do not depend on
        /// it, nor on the number of threads of the run that saved the checkpoint.
        #[arg(long, short = 't', value_name = "N")]
        threads: Option<usize>,
        /// How neurons are placed on shards.
        #[arg(long, value_enum, default_value_t = PlacementArg::Balanced)]
        placement: PlacementArg,
        /// Write a checkpoint every this many ms of simulated time (default: as the run that
        /// saved it).
        #[arg(long, value_name = "MS")]
        checkpoint_every: Option<f64>,
        /// Where checkpoints go (default: over the checkpoint resumed from).
        #[arg(long, value_name = "FILE")]
        checkpoint_to: Option<PathBuf>,
        /// Also write the summary as JSON to this file.
        #[arg(long, value_name = "FILE")]
        summary_json: Option<PathBuf>,
        /// Build even when the memory estimate exceeds the memory available.
        #[arg(long)]
        no_memory_check: bool,
        /// Progress lines every this many seconds instead of a bar (as for `run`).
        #[arg(long, value_name = "SECONDS")]
        progress_every: Option<f64>,
    },
    /// Run a model without recording and report the engine's counters: events and spikes
    /// per second, queue operations, per-shard compute and exchange time, load imbalance,
    /// windows, bytes exchanged, memory.
    Bench {
        #[command(flatten)]
        run: RunArgs,
        /// Also write the report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Describe a model file (network size, degrees, weights, memory) or an output file
    /// (spike counts, rates and CV per population).
    Inspect {
        /// A model file (.toml), a connectome (.h5, schema in connectomes/SCHEMA.md) or a run's
        /// output (.h5).
        file: PathBuf,
        /// For a model: print it as hebb reads it, with its areas expanded into populations
        /// and projections (TOML), instead of the report.
        #[arg(long)]
        expanded: bool,
        /// For a model: `KEY=VALUE` overrides, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Plot a spike raster above population rates from a run's output (PNG).
    Plot {
        /// The run's output (.h5).
        output: PathBuf,
        /// Start of the window (ms).
        #[arg(long, value_name = "MS")]
        from: Option<f64>,
        /// End of the window (ms).
        #[arg(long, value_name = "MS")]
        to: Option<f64>,
        /// Only this population.
        #[arg(long)]
        group: Option<String>,
        /// Bin width of the rate traces (ms).
        #[arg(long, default_value_t = 5.0, value_name = "MS")]
        bin: f64,
        /// The figure (PNG).
        #[arg(short = 'o', long = "out")]
        figure: PathBuf,
    },
    /// Convert a published connectome format (FlyWire Codex, neuPrint, SONATA) into a hebb
    /// connectome file (HDF5, connectomes/SCHEMA.md) and report what was read and dropped.
    Import {
        #[command(subcommand)]
        format: ImportCommand,
    },
    /// Generate synthetic connectomes (random, or FlyWire-scale over a real neuron table) and
    /// degree-preserving null models of a connectome; writes connectome files (HDF5) that are
    /// labelled as generated in their `source` and `license` attributes.
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
    /// Run an experiment protocol that drives a model at run time and reports with figures.
    Experiment {
        #[command(subcommand)]
        which: ExperimentCommand,
    },
}

#[derive(Subcommand)]
enum ExperimentCommand {
    /// XOR learned by burst-dependent plasticity (Payeur et al. 2021, Fig. 4): burn-in,
    /// pre-test, epochs of prediction and learning phases with a teacher current into the
    /// output dendrites, post-test. Writes xor.json, xor_cost.png, xor_rates.png and xor_bp.png.
    Xor {
        /// The network (populations in1, in2, hid1, hid2, out; BDSP projections).
        #[arg(long, default_value = "models/xor_bdsp.toml")]
        model: PathBuf,
        /// Neurons per population (default: the model's, 500); connection probabilities are
        /// scaled to keep the mean in-degree.
        #[arg(long)]
        size: Option<u32>,
        /// Training epochs (four examples each).
        #[arg(long, default_value_t = 500)]
        epochs: u32,
        /// Example length T (ms): 0.9 T prediction, 0.1 T learning.
        #[arg(long, default_value_t = 8000.0, value_name = "MS")]
        example_ms: f64,
        /// Burn-in (ms), plasticity off.
        #[arg(long, default_value_t = 6000.0, value_name = "MS")]
        burn_in_ms: f64,
        /// Seed (default: the model's).
        #[arg(long)]
        seed: Option<u64>,
        /// Threads (shards); results do not depend on it.
        #[arg(short, long, default_value_t = 1)]
        threads: usize,
        /// Output directory.
        #[arg(short, long, default_value = "out/xor")]
        out: PathBuf,
    },
    /// Variants of a model × seeds (e.g. canonical and heterogeneous circuits): every run's
    /// spontaneous activity and responses to K input patterns, their metrics (rates, CV ISI,
    /// correlations, synchrony, spectral peak, gain, latency, linear decoding), and per metric
    /// bootstrap intervals, effect sizes and permutation tests. Writes report.md,
    /// report.json, raster_VARIANT.png and metrics.png.
    Compare {
        /// The experiment file (models/experiments/*.toml).
        experiment: PathBuf,
        /// Runs per variant (default: the file's `experiment.seeds`).
        #[arg(long)]
        seeds: Option<usize>,
        /// Runs side by side (default: the file's, else the number of cores).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// `KEY=VALUE` overrides applied to every variant's model (after its own `set`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Run even when a variant's memory estimate, times the runs side by side, exceeds
        /// the memory available.
        #[arg(long)]
        no_memory_check: bool,
        /// Output directory.
        #[arg(short, long, default_value = "out/compare")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum GenerateCommand {
    /// A random directed connectome with heavy-tailed (lognormal) in- and out-degrees and
    /// synapse counts, distinct (pre, post) pairs, neuron ids 0..N. Deterministic per seed.
    Synthetic {
        /// Number of neurons.
        #[arg(long, value_name = "N")]
        neurons: u32,
        /// Number of connections (distinct (pre, post) pairs).
        #[arg(long, value_name = "M")]
        connections: u64,
        /// Total number of synapses, at least one per connection [default: connections ×
        /// 50/15, FlyWire's synapses per connection].
        #[arg(long, value_name = "S")]
        synapses: Option<u64>,
        #[command(flatten)]
        shape: ShapeArgs,
        #[command(flatten)]
        out: GenerateOut,
    },
    /// A FlyWire-scale random connectome over a real neuron table: its neuron ids and
    /// transmitters, random connections with the fitted degree and count distributions; each
    /// connection carries its presynaptic neuron's transmitter.
    Flywire {
        /// The neurons: a FlyWire Codex neurons.csv.gz (columns root_id and nt_type) or a
        /// connectome .h5 (its /neurons/id and /neurons/nt).
        #[arg(long, value_name = "TABLE")]
        neuron_table: PathBuf,
        /// Number of connections (distinct (pre, post) pairs).
        #[arg(long, value_name = "M", default_value_t = hebb::connectome::generate::FLYWIRE_CONNECTIONS)]
        connections: u64,
        /// Total number of synapses (≥ connections).
        #[arg(long, value_name = "S", default_value_t = hebb::connectome::generate::FLYWIRE_SYNAPSES)]
        synapses: u64,
        #[command(flatten)]
        shape: ShapeArgs,
        #[command(flatten)]
        out: GenerateOut,
    },
    /// A degree-preserving null model: Maslov–Sneppen double-edge swaps (a→b, c→d) → (a→d,
    /// c→b). Every neuron keeps its in- and out-degree; each connection keeps its presynaptic
    /// neuron, synapse count, weight, delay and transmitter, only its target moves.
    Rewire {
        /// The connectome to rewire (.h5); its (pre, post) pairs must be distinct.
        input: PathBuf,
        #[command(flatten)]
        out: GenerateOut,
        /// Successful swaps per connection (each swap moves two connections); at most 20
        /// times as many swaps are tried.
        #[arg(long, value_name = "K", default_value_t = hebb::connectome::generate::SWAPS_PER_EDGE)]
        swaps_per_edge: f64,
        /// Allow swaps that make a neuron connect to itself (without it, the input's
        /// autapses may be swapped away but none are made).
        #[arg(long)]
        autapses: bool,
    },
}

/// What every `generate` command takes: the seed and the file to write.
#[derive(clap::Args)]
struct GenerateOut {
    /// Seed of the random stream (same seed and options, same file).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The connectome file to write (HDF5).
    #[arg(short, long, value_name = "OUT.h5")]
    output: PathBuf,
}

/// The shape options of `generate synthetic` and `generate flywire` (defaults fitted to the
/// larval Drosophila brain; see connectomes/README.md).
#[derive(clap::Args)]
struct ShapeArgs {
    /// σ of the lognormal out-degree propensity (dimensionless, ≥ 0; larger = heavier tail).
    #[arg(long, value_name = "SIGMA", default_value_t = hebb::connectome::generate::OUT_DEGREE_SIGMA)]
    out_degree_sigma: f64,
    /// σ of the lognormal in-degree propensity (dimensionless, ≥ 0).
    #[arg(long, value_name = "SIGMA", default_value_t = hebb::connectome::generate::IN_DEGREE_SIGMA)]
    in_degree_sigma: f64,
    /// Correlation of a neuron's log in- and log out-propensity (−1 to 1).
    #[arg(long, value_name = "RHO", default_value_t = hebb::connectome::generate::DEGREE_CORRELATION, allow_negative_numbers = true)]
    degree_correlation: f64,
    /// σ of the lognormal in the synapse-count model count = 1 + round(c · LogNormal(0, σ))
    /// (dimensionless, ≥ 0; c is set by the total synapses).
    #[arg(long, value_name = "SIGMA", default_value_t = hebb::connectome::generate::COUNT_SIGMA)]
    count_sigma: f64,
    /// Allow connections from a neuron to itself.
    #[arg(long)]
    autapses: bool,
}

impl From<&ShapeArgs> for hebb::connectome::generate::Shape {
    fn from(a: &ShapeArgs) -> Self {
        hebb::connectome::generate::Shape {
            out_degree_sigma: a.out_degree_sigma,
            in_degree_sigma: a.in_degree_sigma,
            degree_correlation: a.degree_correlation,
            count_sigma: a.count_sigma,
            autapses: a.autapses,
        }
    }
}

/// Checkpoints of `hebb run`.
#[derive(clap::Args)]
struct CheckpointArgs {
    /// Write a checkpoint every this many ms of simulated time (runs of one trial), to go on
    /// with `hebb resume` after a crash or a kill. SIGINT or SIGTERM always ends a run of one
    /// trial at the next slice of windows with the recording written out and a checkpoint.
    #[arg(long, value_name = "MS")]
    checkpoint_every: Option<f64>,
    /// Where checkpoints go (default: beside the output, out/<model>.ckpt.h5).
    #[arg(long = "checkpoint", value_name = "FILE")]
    checkpoint_to: Option<PathBuf>,
}

/// Exit status of a run stopped by a signal: 128 + the signal's number, as a shell reports
/// a process killed by it (130 for SIGINT, 143 for SIGTERM).
#[derive(Debug)]
struct Stopped {
    code: i32,
    message: String,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Stopped {}

/// A flag set to the signal's number when SIGINT or SIGTERM arrives; a second one ends the
/// process at once (exit status 128 + its number).
fn interrupt_flag() -> Option<std::sync::Arc<std::sync::atomic::AtomicUsize>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let flag = Arc::new(AtomicUsize::new(0));
    let armed = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so it sees `armed` before this signal sets it.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&armed))
            .ok()?;
        signal_hook::flag::register(sig, Arc::clone(&armed)).ok()?;
        signal_hook::flag::register_usize(sig, Arc::clone(&flag), sig as usize).ok()?;
    }
    // Say at once what the first signal does: a run stops only where its state is whole,
    // which a slow stretch of windows can put off.
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        let _ = std::thread::Builder::new()
            .name("hebb-signal".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    eprintln!(
                        "\nhebb: signal {sig}: the run stops where it next can, with its \
                         recording written out and a checkpoint; send the signal again to \
                         stop at once"
                    );
                }
            });
    }
    Some(flag)
}

/// The end of `run` or `resume`: the summary, and for an interrupted run its exit status.
fn report_run(
    summary: &Summary,
    output: Option<&std::path::Path>,
    summary_json: Option<&std::path::Path>,
    quiet: bool,
) -> anyhow::Result<()> {
    if let Some(p) = summary_json {
        write_json(p, summary)?;
    }
    if !quiet {
        print!("{}", summary.render());
        if let Some(o) = output {
            println!("output: {}", o.display());
        }
    }
    if let Some(i) = &summary.interrupted {
        let ck = match &i.checkpoint {
            Some(p) => format!(
                "checkpoint: {} (go on with `hebb resume {}`)",
                p.display(),
                p.display()
            ),
            None => "no checkpoint (the model's state cannot be saved)".into(),
        };
        return Err(Stopped {
            code: 128 + i.signal as i32,
            message: format!(
                "interrupted by signal {} at {} ms of simulated time; output written up to \
                 there and marked incomplete; {ck}",
                i.signal, i.reached_ms
            ),
        }
        .into());
    }
    Ok(())
}

/// How often progress lines are written: every `seconds` if given, else every 60 s where
/// stderr is not a terminal (no bar can be drawn there); `None`: a bar.
fn progress_lines(seconds: Option<f64>) -> anyhow::Result<Option<std::time::Duration>> {
    use std::io::IsTerminal;
    match seconds {
        Some(s) => std::time::Duration::try_from_secs_f64(s)
            .ok()
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| {
                hebb::error::Error::Invalid {
                    what: "--progress-every".into(),
                    message: format!("{s}: expected a number of seconds > 0"),
                }
                .into()
            }),
        None => Ok((!std::io::stderr().is_terminal()).then(|| std::time::Duration::from_secs(60))),
    }
}

/// What `run` and `bench` share: the model and how to run it.
#[derive(clap::Args)]
struct RunArgs {
    /// The model file (TOML), e.g. models/brette_b4.toml.
    model: PathBuf,
    /// Override a key of the model file, e.g. --set simulation.duration=500
    /// or --set population.E.I_e=300 (TOML values; repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Seed of every random stream (overrides simulation.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Recorded duration in ms (overrides simulation.duration).
    #[arg(long, value_name = "MS")]
    duration: Option<f64>,
    /// Scheduler implementation.
    #[arg(long, value_enum)]
    scheduler: Option<SchedulerArg>,
    /// Shards, one thread each (default: the model's simulation.threads, else the number
    /// of cores). Results are the same for any number.
    #[arg(long, short = 't', value_name = "N")]
    threads: Option<usize>,
    /// How neurons are placed on shards.
    #[arg(long, value_enum, default_value_t = PlacementArg::Balanced)]
    placement: PlacementArg,
    /// Independent trials of the same network (overrides simulation.trials); per-neuron mean
    /// and standard deviation of the rates across trials go to the output.
    #[arg(long, value_name = "N")]
    trials: Option<u32>,
    /// With several trials and threads: shard each trial over the threads instead of running
    /// trials side by side, one per thread. Results are the same either way.
    #[arg(long)]
    shard_trials: bool,
    /// Build even when the memory estimate (`hebb inspect` prints it) exceeds the memory
    /// available.
    #[arg(long)]
    no_memory_check: bool,
    /// Stop the run with an error once its spikes reach what this mean rate per neuron (Hz)
    /// over the whole run allows: a guard against runaway activity (e.g. t_ref = 0 under a
    /// strong drive), which an exact simulation would otherwise follow for hours.
    #[arg(long, value_name = "HZ")]
    max_rate: Option<f64>,
    /// Instead of a progress bar, a line on stderr every this many seconds (wall time) with
    /// the simulated time reached, events/s, spikes/s and memory; the default where stderr
    /// is not a terminal (a log file, a batch job): every 60 s.
    #[arg(long, value_name = "SECONDS")]
    progress_every: Option<f64>,
}

impl RunArgs {
    /// Loads the model and runs it, recording to `output`.
    fn run(&self, output: Option<PathBuf>, progress: bool) -> anyhow::Result<Summary> {
        self.run_with(output, progress, RunOptions::default())
    }

    /// [`RunArgs::run`] with checkpoint and interruption options from `extra`.
    fn run_with(
        &self,
        output: Option<PathBuf>,
        progress: bool,
        extra: RunOptions,
    ) -> anyhow::Result<Summary> {
        let mut m = Model::load_with(&self.model, &self.set)?;
        if !self.no_memory_check {
            m.memory_limit = hebb::model::memory::available();
        }
        m.writes_output = output.is_some();
        let opts = RunOptions {
            output,
            seed: self.seed,
            duration_ms: self.duration,
            scheduler: self.scheduler.map(|s| match s {
                SchedulerArg::Calendar => SchedulerKind::Calendar,
                SchedulerArg::Heap => SchedulerKind::Heap,
            }),
            progress,
            progress_every: progress_lines(self.progress_every)?,
            max_rate_hz: self.max_rate,
            threads: self.threads,
            placement: self.placement.into(),
            trials: self.trials,
            shard_trials: self.shard_trials,
            ..extra
        };
        Ok(run(&m, &opts)?)
    }
}

/// Writes a run's summary as JSON.
fn write_json(path: &std::path::Path, summary: &Summary) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(summary)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[derive(Copy, Clone, clap::ValueEnum)]
enum PlacementArg {
    /// Equal in-synapse counts per shard, neurons dealt out in order.
    Balanced,
    /// Neuron k of each population to shard k mod N.
    RoundRobin,
    /// Each population cut into N contiguous blocks.
    Blocks,
}

impl From<PlacementArg> for Placement {
    fn from(p: PlacementArg) -> Placement {
        match p {
            PlacementArg::Balanced => Placement::Balanced,
            PlacementArg::RoundRobin => Placement::RoundRobin,
            PlacementArg::Blocks => Placement::Blocks,
        }
    }
}

#[derive(Copy, Clone, clap::ValueEnum)]
enum SchedulerArg {
    /// Calendar queue (fast).
    Calendar,
    /// Binary heap (reference).
    Heap,
}

/// Runs the CLI; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            if let Some(s) = e.downcast_ref::<Stopped>() {
                eprintln!("{s}");
                return s.code;
            }
            eprintln!("error: {e:#}");
            match e.downcast_ref::<hebb::error::Error>() {
                Some(err) if err.is_input_error() => 2,
                Some(_) => 1,
                // `analysis` and `plot` report problems with the files and options given.
                None if e.downcast_ref::<InputError>().is_some() => 2,
                None => 1,
            }
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run {
            run,
            output,
            no_output,
            summary_json,
            checkpoints,
        } => {
            let output = if no_output {
                None
            } else {
                Some(output.unwrap_or_else(|| {
                    let stem = run
                        .model
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "run".into());
                    PathBuf::from("out").join(format!("{stem}.h5"))
                }))
            };
            let extra = RunOptions {
                checkpoint_every: checkpoints.checkpoint_every,
                checkpoint: checkpoints.checkpoint_to,
                interrupt: interrupt_flag(),
                ..RunOptions::default()
            };
            let summary = run.run_with(output.clone(), !cli.quiet, extra)?;
            report_run(
                &summary,
                output.as_deref(),
                summary_json.as_deref(),
                cli.quiet,
            )
        }
        Command::Resume {
            checkpoint,
            threads,
            placement,
            checkpoint_every,
            checkpoint_to,
            summary_json,
            no_memory_check,
            progress_every,
        } => {
            let opts = RunOptions {
                progress_every: progress_lines(progress_every)?,
                threads,
                placement: placement.into(),
                checkpoint_every,
                checkpoint: checkpoint_to,
                interrupt: interrupt_flag(),
                progress: !cli.quiet,
                ..RunOptions::default()
            };
            let limit = (!no_memory_check)
                .then(hebb::model::memory::available)
                .flatten();
            let summary = hebb::run::resume(&checkpoint, &opts, limit)?;
            report_run(&summary, None, summary_json.as_deref(), cli.quiet)
        }
        Command::Bench { run, json } => {
            let summary = run.run(None, !cli.quiet)?;
            if let Some(p) = json {
                write_json(&p, &summary)?;
            }
            print!("{}", summary.render_bench());
            Ok(())
        }
        Command::Inspect {
            file,
            expanded,
            set,
        } => crate_inspect(&file, expanded, &set),
        Command::Import { format } => format.run(cli.quiet),
        Command::Generate { what } => generate(what, cli.quiet),
        Command::Experiment {
            which:
                ExperimentCommand::Compare {
                    experiment,
                    seeds,
                    jobs,
                    set,
                    no_memory_check,
                    out,
                },
        } => {
            let opts = hebb::experiment::compare::CompareOptions {
                experiment,
                out,
                seeds,
                jobs,
                set,
                memory_check: !no_memory_check,
                progress: !cli.quiet,
            };
            let r = hebb::experiment::compare::compare(&opts)?;
            if !cli.quiet {
                let failed = r.runs.iter().filter(|x| x.error.is_some()).count();
                println!(
                    "{} runs ({failed} failed); report: {}",
                    r.runs.len(),
                    r.report.display()
                );
            }
            Ok(())
        }
        Command::Experiment {
            which:
                ExperimentCommand::Xor {
                    model,
                    size,
                    epochs,
                    example_ms,
                    burn_in_ms,
                    seed,
                    threads,
                    out,
                },
        } => {
            let opts = hebb::experiment::xor::XorOptions {
                model,
                size,
                epochs,
                example_ms,
                burn_in_ms,
                seed,
                threads,
                out: out.clone(),
                progress: !cli.quiet,
            };
            let r = hebb::experiment::xor::run(&opts)?;
            if !cli.quiet {
                print!("{}", r.render());
                println!("output: {}", out.display());
            }
            Ok(())
        }
        Command::Plot {
            output,
            from,
            to,
            group,
            bin,
            figure,
        } => {
            let data = hebb::analysis::read(&output).map_err(InputError::wrap)?;
            let opts = hebb::plot::PlotOptions {
                from_ms: from,
                to_ms: to,
                population: group,
                bin_ms: bin,
                ..Default::default()
            };
            hebb::plot::raster_and_rates(&data, &opts, &figure).map_err(InputError::wrap)?;
            if !cli.quiet {
                println!("wrote {}", figure.display());
            }
            Ok(())
        }
    }
}

/// An error caused by the files or options the user gave (exit code 2).
#[derive(Debug)]
struct InputError(anyhow::Error);

impl InputError {
    fn wrap(e: anyhow::Error) -> anyhow::Error {
        anyhow::Error::new(InputError(e))
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for InputError {}

fn generate(what: GenerateCommand, quiet: bool) -> anyhow::Result<()> {
    use hebb::connectome::{file, generate as g};
    let start = std::time::Instant::now();
    let (c, output) = match what {
        GenerateCommand::Synthetic {
            neurons,
            connections,
            synapses,
            shape,
            out,
        } => {
            let p = g::Synthetic {
                neurons,
                connections,
                synapses,
                shape: (&shape).into(),
                seed: out.seed,
            };
            (g::synthetic(&p)?, out.output)
        }
        GenerateCommand::Flywire {
            neuron_table,
            connections,
            synapses,
            shape,
            out,
        } => {
            let table = g::read_neuron_table(&neuron_table)?;
            let name = neuron_table
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let p = g::Flywire {
                connections,
                synapses,
                shape: (&shape).into(),
                seed: out.seed,
            };
            (g::flywire(&table, &name, &p)?, out.output)
        }
        GenerateCommand::Rewire {
            input,
            out,
            swaps_per_edge,
            autapses,
        } => {
            let c = file::read(&input)?;
            let p = g::Rewire {
                swaps_per_edge,
                seed: out.seed,
                autapses,
            };
            let (r, s) = g::rewire(&c, &p)?;
            if !quiet {
                println!(
                    "{} of {} swaps in {} attempts; {} of {} connections changed ({:.1} %)",
                    s.swaps,
                    s.target,
                    s.attempts,
                    s.changed,
                    r.edges.len(),
                    100.0 * s.changed as f64 / r.edges.len().max(1) as f64
                );
            }
            (r, out.output)
        }
    };
    let generated = start.elapsed().as_secs_f64();
    file::write(&output, &c)?;
    if !quiet {
        println!(
            "wrote {}: {} neurons, {} connections, {} synapses (generate {generated:.2} s, \
             write {:.2} s)",
            output.display(),
            c.n_neurons(),
            c.edges.len(),
            c.edges.n_synapses(),
            start.elapsed().as_secs_f64() - generated
        );
    }
    Ok(())
}

fn crate_inspect(file: &std::path::Path, expanded: bool, set: &[String]) -> anyhow::Result<()> {
    let is_model = file.extension().is_some_and(|e| e == "toml");
    if is_model {
        let m = Model::load_with(file, set)?;
        if expanded {
            print!("{}", m.text);
        } else {
            print!("{}", hebb::inspect::model_report(&m)?);
        }
    } else if hebb::inspect::is_connectome_file(file) {
        print!("{}", hebb::inspect::connectome_report(file)?);
    } else {
        print!(
            "{}",
            hebb::inspect::output_report(file).map_err(InputError::wrap)?
        );
    }
    Ok(())
}

/// The formats of `hebb import`.
#[derive(Subcommand)]
enum ImportCommand {
    /// FlyWire Codex exports (codex.flywire.ai/api/download): connections.csv.gz with
    /// neurons.csv.gz, optionally classification.csv.gz and consolidated_cell_types.csv.gz.
    /// Files may be plain or gzip-compressed CSV.
    Codex {
        /// The connection table: pre_root_id,post_root_id,neuropil,syn_count,nt_type (one row
        /// per pre/post/neuropil; syn_count in synapses).
        #[arg(long, value_name = "CSV")]
        connections: PathBuf,
        /// The neuron table (one row per neuron): root_id,group,nt_type,nt_type_score,
        /// da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg.
        #[arg(long, value_name = "CSV")]
        neurons: PathBuf,
        /// Classification table: root_id,flow,super_class,class,sub_class,hemilineage,side,
        /// nerve (columns super_class, cell_class, cell_sub_class, …).
        #[arg(long, value_name = "CSV")]
        classification: Option<PathBuf>,
        /// Cell-type table: root_id,primary_type,additional_type(s) (columns cell_type,
        /// additional_types).
        #[arg(long, value_name = "CSV")]
        cell_types: Option<PathBuf>,
        /// Keep one connection per (pre, post, neuropil) with a /synapses/neuropil column,
        /// instead of summing a pair's synapses over neuropils.
        #[arg(long)]
        per_neuropil: bool,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        out: ImportOut,
    },
    /// neuPrint flat exports (e.g. hemibrain exported-traced-adjacencies-v1.2):
    /// traced-neurons.csv with traced-total-connections.csv (or traced-roi-connections.csv
    /// with --per-roi). No transmitters.
    Neuprint {
        /// The neuron table: bodyId,type,instance.
        #[arg(long, value_name = "CSV")]
        neurons: PathBuf,
        /// The connection table: bodyId_pre,bodyId_post,weight (weight in synapses); with
        /// --per-roi bodyId_pre,bodyId_post,roi,weight.
        #[arg(long, value_name = "CSV")]
        connections: PathBuf,
        /// The connection table has a roi column: keep one connection per (pre, post, ROI)
        /// with a /synapses/roi column.
        #[arg(long)]
        per_roi: bool,
        /// Licence note written to the file (root attribute license).
        #[arg(long, default_value = hebb::connectome::import::neuprint::LICENSE)]
        license: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        out: ImportOut,
    },
    /// SONATA networks: a nodes file, its node types table, an edges file and its edge
    /// types table. Node and node-type attributes become annotations; syn_weight → weight,
    /// delay → delay (ms), nsyns → synapse count.
    Sonata {
        /// Nodes file (HDF5): /nodes/<population>/{node_id,node_type_id,node_group_id,
        /// node_group_index} and group datasets.
        #[arg(long, value_name = "H5")]
        nodes: PathBuf,
        /// Node types table (space-separated CSV with node_type_id).
        #[arg(long, value_name = "CSV")]
        node_types: PathBuf,
        /// Edges file (HDF5): /edges/<population>/{source_node_id,target_node_id,
        /// edge_type_id,edge_group_id,edge_group_index} and group datasets.
        #[arg(long, value_name = "H5")]
        edges: PathBuf,
        /// Edge types table (space-separated CSV with edge_type_id; syn_weight and delay
        /// columns give defaults for edges whose group lacks them).
        #[arg(long, value_name = "CSV")]
        edge_types: PathBuf,
        /// The edge population to import (needed when the edges file has several).
        #[arg(long, value_name = "NAME")]
        edge_population: Option<String>,
        /// Licence note written to the file (root attribute license).
        #[arg(long, default_value = "unknown: see the network's source")]
        license: String,
        #[command(flatten)]
        out: ImportOut,
    },
}

/// Filters of the table importers.
#[derive(clap::Args)]
struct FilterArgs {
    /// Drop connections with fewer synapses, counted after summing a pair's rows (Shiu et
    /// al. 2024 keep every pair, 1; FlyWire's own releases use 5).
    #[arg(long, default_value_t = 1, value_name = "SYNAPSES",
          value_parser = clap::value_parser!(u32).range(1..))]
    min_synapses: u32,
    /// Drop neurons that have no connection left after the threshold.
    #[arg(long)]
    connected_only: bool,
    /// Drop and count connection rows whose ids are not in the neuron table, instead of
    /// stopping with an error.
    #[arg(long)]
    drop_unknown: bool,
}

impl From<FilterArgs> for hebb::connectome::import::Filter {
    fn from(f: FilterArgs) -> Self {
        hebb::connectome::import::Filter {
            min_synapses: f.min_synapses,
            connected_only: f.connected_only,
            drop_unknown: f.drop_unknown,
        }
    }
}

/// Where an import goes.
#[derive(clap::Args)]
struct ImportOut {
    /// The connectome file to write (HDF5).
    #[arg(short, long, value_name = "OUT.h5")]
    output: PathBuf,
    /// The connectome's name (root attribute name). Default: the output file's stem.
    #[arg(long)]
    name: Option<String>,
}

impl ImportOut {
    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.output
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }
}

impl ImportCommand {
    fn run(self, quiet: bool) -> anyhow::Result<()> {
        use hebb::connectome::import::{codex, neuprint, sonata, write};
        let (imported, output) = match self {
            ImportCommand::Codex {
                connections,
                neurons,
                classification,
                cell_types,
                per_neuropil,
                filter,
                out,
            } => {
                let o = codex::Options {
                    connections,
                    neurons,
                    classification,
                    cell_types,
                    per_neuropil,
                    filter: filter.into(),
                    name: out.name(),
                };
                (codex::import(&o)?, out.output)
            }
            ImportCommand::Neuprint {
                neurons,
                connections,
                per_roi,
                license,
                filter,
                out,
            } => {
                let o = neuprint::Options {
                    neurons,
                    connections,
                    per_roi,
                    filter: filter.into(),
                    name: out.name(),
                    license,
                };
                (neuprint::import(&o)?, out.output)
            }
            ImportCommand::Sonata {
                nodes,
                node_types,
                edges,
                edge_types,
                edge_population,
                license,
                out,
            } => {
                let o = sonata::Options {
                    nodes,
                    node_types,
                    edges,
                    edge_types,
                    edge_population,
                    name: out.name(),
                    license,
                };
                (sonata::import(&o)?, out.output)
            }
        };
        write(&output, &imported)?;
        if !quiet {
            print!("{}", imported.report.render());
            println!("wrote {}", output.display());
        }
        Ok(())
    }
}

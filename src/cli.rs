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
}

impl RunArgs {
    /// Loads the model and runs it, recording to `output`.
    fn run(&self, output: Option<PathBuf>, progress: bool) -> anyhow::Result<Summary> {
        let m = Model::load_with(&self.model, &self.set)?;
        let opts = RunOptions {
            output,
            seed: self.seed,
            duration_ms: self.duration,
            scheduler: self.scheduler.map(|s| match s {
                SchedulerArg::Calendar => SchedulerKind::Calendar,
                SchedulerArg::Heap => SchedulerKind::Heap,
            }),
            progress,
            threads: self.threads,
            placement: self.placement.into(),
            trials: self.trials,
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
            let summary = run.run(output.clone(), !cli.quiet)?;
            if let Some(p) = summary_json {
                write_json(&p, &summary)?;
            }
            if !cli.quiet {
                print!("{}", summary.render());
                if let Some(o) = output {
                    println!("output: {}", o.display());
                }
            }
            Ok(())
        }
        Command::Bench { run, json } => {
            let summary = run.run(None, !cli.quiet)?;
            if let Some(p) = json {
                write_json(&p, &summary)?;
            }
            print!("{}", summary.render_bench());
            Ok(())
        }
        Command::Inspect { file } => crate_inspect(&file),
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

fn crate_inspect(file: &std::path::Path) -> anyhow::Result<()> {
    let is_model = file.extension().is_some_and(|e| e == "toml");
    if is_model {
        let m = Model::load(file)?;
        print!("{}", hebb::inspect::model_report(&m)?);
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

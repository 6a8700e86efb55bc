//! What a fuzz target does with an input, shared with `tests/fuzz_seeds.rs` (which checks
//! that the seeds in `fuzz/seeds/` stay valid), so both read inputs the same way.

// Each includer uses only part of it.
#![allow(dead_code)]

use hebb::connectome::import::{Filter, Imported, codex, neuprint};
use hebb::model::Model;
use std::path::{Path, PathBuf};

/// The path a fuzzed model is read as: a file in `models/`, so that its relative references
/// (connectomes, neuron lists, spike-time files) resolve as for the models there, from any
/// working directory.
pub fn model_path() -> PathBuf {
    // `CARGO_MANIFEST_DIR` is `fuzz/` for the targets and the repository for the tests.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if dir.ends_with("fuzz") {
        dir.parent().expect("fuzz/ is in the repository")
    } else {
        dir
    };
    root.join("models").join("fuzz.toml")
}

/// Calls `f` with a model target's input as text and the path it is read as
/// ([`model_path`], found once); inputs that are not UTF-8 are no model file and are skipped.
pub fn on_model_text(data: &[u8], f: impl FnOnce(&str, &Path)) {
    static PATH: std::sync::LazyLock<PathBuf> = std::sync::LazyLock::new(model_path);
    if let Ok(text) = std::str::from_utf8(data) {
        f(text, &PATH);
    }
}

/// The largest network `model_file` simulates, and the longest warm-up (ms).
pub const SMALL: (usize, usize, f64) = (5_000, 200_000, 50.0);

/// The most Poisson arrivals `model_file` simulates (warm-up and 20 ms): about a quarter of a
/// second on exact neurons. A rate of 1e10 Hz onto 600 neurons, found by the fuzzer, takes
/// minutes per simulated millisecond: exact but of no use to the search.
pub const MOST_ARRIVALS: f64 = 1e7;

/// The memory limit of a `model_file` build. Networks above it are refused by the memory
/// guard before anything is built: a network of 0.3 million synapses (the B4 model) takes
/// 0.2 s to build under the fuzzer's instrumentation, and the XOR network 0.9 s, where a
/// small one takes milliseconds, and the code they run is the same.
pub const MEMORY_LIMIT: u64 = 16 << 20;

/// The highest mean rate per neuron (Hz) of a `model_file` run (`--max-rate`): far above any
/// model's, far below a runaway's. An exact LIF network with `t_ref = 0`, its resting
/// potential above threshold and strong recurrent excitation, found by the fuzzer, fires
/// 1.5 million spikes in 20 ms (2.9 s uninstrumented, many minutes under the fuzzer).
pub const MAX_RATE_HZ: f64 = 1_000.0;

/// 20 ms of `model` on one thread, recording nothing, at most [`MAX_RATE_HZ`].
pub fn run_briefly(model: &Model) -> hebb::error::Result<hebb::run::Summary> {
    let opts = hebb::run::RunOptions {
        duration_ms: Some(20.0),
        threads: Some(1),
        trials: Some(1),
        max_rate_hz: Some(MAX_RATE_HZ),
        ..Default::default()
    };
    hebb::run::run(model, &opts)
}

/// What the `model_file` target does with a model's text: parse it, build the network under a
/// memory limit ([`MEMORY_LIMIT`]), and run 20 ms when it is small ([`SMALL`],
/// [`MOST_ARRIVALS`]). True if it ran; the error of the parse or the build (a run's own
/// outcome is not asked for).
pub fn model_file(text: &str, path: &Path) -> hebb::error::Result<bool> {
    let mut model = Model::parse(text, path)?;
    // The memory guard refuses large networks before anything is allocated.
    model.memory_limit = Some(MEMORY_LIMIT);
    let net = hebb::model::build::build(&model, None, None)?;
    let (neurons, synapses) = (net.blueprint.n_neurons(), net.blueprint.csr.n_synapses());
    let warmup_ms = model.spec.simulation.warmup.0;
    let arrivals = net.poisson_arrivals_per_s(&model)? * (warmup_ms + 20.0) / 1e3;
    drop(net);
    let (most_neurons, most_synapses, longest_warmup) = SMALL;
    let small = neurons <= most_neurons
        && synapses <= most_synapses
        && warmup_ms <= longest_warmup
        && arrivals <= MOST_ARRIVALS;
    if small {
        let _ = run_briefly(&model);
    }
    Ok(small)
}

fn split<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], &'a [u8]) {
    match data.windows(sep.len()).position(|w| w == sep) {
        Some(k) => (&data[..k], &data[k + sep.len()..]),
        None => (data, &[]),
    }
}

/// Imports an `import_csv` input, its tables written into `dir`. The input is a line of
/// options, then the neuron table, a line `===`, and the connection table:
///
/// ```text
/// codex|neuprint [per-tag] [connected-only] [drop-unknown] [min=N]
/// NEURON TABLE
/// ===
/// CONNECTION TABLE
/// ```
pub fn import_tables(data: &[u8], dir: &Path) -> hebb::error::Result<Imported> {
    let (options, rest) = split(data, b"\n");
    let (neuron_table, connection_table) = split(rest, b"\n===\n");
    let options = String::from_utf8_lossy(options);
    let has = |w: &str| options.split_whitespace().any(|x| x == w);
    let min_synapses = options
        .split_whitespace()
        .find_map(|x| x.strip_prefix("min=")?.parse().ok())
        .unwrap_or(1);
    let neurons = dir.join("neurons.csv");
    let connections = dir.join("connections.csv");
    std::fs::write(&neurons, neuron_table).expect("a table is written");
    std::fs::write(&connections, connection_table).expect("a table is written");
    let filter = Filter {
        min_synapses,
        connected_only: has("connected-only"),
        drop_unknown: has("drop-unknown"),
    };
    let per_tag = has("per-tag");
    if has("neuprint") {
        neuprint::import(&neuprint::Options {
            neurons,
            connections,
            per_roi: per_tag,
            filter,
            name: "fuzz".into(),
            license: String::new(),
        })
    } else {
        codex::import(&codex::Options {
            connections,
            neurons,
            classification: None,
            cell_types: None,
            per_neuropil: per_tag,
            filter,
            name: "fuzz".into(),
        })
    }
}

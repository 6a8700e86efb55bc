//! The fuzzers' seed inputs (`fuzz/seeds/`) stay valid: every seed model builds and runs, and
//! every seed table pair imports, through the fuzz targets' own code (`fuzz/shared.rs`). A
//! seed that stops being valid would leave its fuzzer starting from errors only.

#[path = "../fuzz/shared.rs"]
mod shared;

use std::path::{Path, PathBuf};

/// The files in `fuzz/<dir>` (`seeds/<target>` or `regressions/<target>`), sorted; at least one.
fn inputs(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

#[test]
fn seed_models_build_and_run() {
    for path in inputs("seeds/model_file") {
        let text = std::fs::read_to_string(&path).expect("a seed reads");
        // Read as the target reads it: from `models/`, where its relative references point.
        let model = hebb::model::Model::parse(&text, &shared::model_path())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        hebb::model::build::build(&model, None, None)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        shared::run_briefly(&model).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn seed_tables_import() {
    for path in inputs("seeds/import_csv") {
        let data = std::fs::read(&path).expect("a seed reads");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let imp = shared::import_tables(&data, dir.path())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            imp.connectome.n_neurons() > 0,
            "{}: no neurons",
            path.display()
        );
    }
}

/// Models the `model_file` fuzzer found failing (`fuzz/regressions/model_file/`, each named
/// for what it found) give a result or an error, never a panic, through the fuzz target's
/// own steps.
#[test]
fn model_file_findings_stay_fixed() {
    for path in inputs("regressions/model_file") {
        let text = std::fs::read_to_string(&path).expect("a finding reads");
        // Read as the target reads it: from `models/`, where its relative references point.
        let outcome = shared::model_file(&text, &shared::model_path());
        if path.ends_with("duration-beyond-the-clock.toml") {
            // A simulated time beyond the clock's range: refused by name.
            match outcome {
                Ok(_) => panic!("{}: built", path.display()),
                Err(e) => assert!(e.to_string().contains("simulation.duration"), "{e}"),
            }
        } else if path.ends_with("poisson-input-of-1e10-hz.toml") {
            // 603 exact neurons, each with Poisson input at 1.27e10 Hz: 7.7e12 arrivals per
            // simulated second, each an event. The target builds it and does not run it.
            let model = hebb::model::Model::parse(&text, &path).expect("the finding parses");
            let net = hebb::model::build::build(&model, None, None).expect("the finding builds");
            let arrivals = net.poisson_arrivals_per_s(&model).expect("a rate");
            assert_eq!(arrivals, 603.0 * 12687205759.0);
            assert!(!outcome.expect("builds"), "{}: ran", path.display());
        } else if path.ends_with("t-ref-0-under-a-restoring-current-of-3e12-pa.toml") {
            // Scaling's reference rate of 5.6e12 Hz gives the exact neurons of A1.E, with
            // t_ref = 0, a restoring current of 3.5e12 pA: they fired at almost every tick of
            // the clock (1 ps), and their spikes in flight outgrew any memory (a run stopped
            // at the memory limit, naming the population). Their V_∞ of 1.4e11 mV is now
            // refused when the model is built, naming the current.
            let e = outcome.expect_err("refused").to_string();
            assert!(e.contains("population `A1.E`: I_e of neuron 0"), "{e}");
            assert!(e.contains("beyond ±1e9 mV"), "{e}");
        } else if path.ends_with("set-t-ref-of-8.9e39-ms.toml") {
            // The fly mushroom body with a per-neuron `[[set]] t_ref` of 8.9e39 ms, beyond the
            // clock: building it panicked. Refused now, naming the key.
            let e = outcome.expect_err("refused").to_string();
            assert!(e.contains("line 40") && e.contains("[[set]] t_ref"), "{e}");
            assert!(e.contains("beyond 1e8 ms"), "{e}");
        } else if path.ends_with("excitation-without-refractoriness-1.5e6-spikes-in-20-ms.toml") {
            // B4 mutated: E without t_ref (so 0), its resting potential above threshold, E→E
            // weights of 8.26 mV. Every spike sets off more: 1.5 million spikes in 20 ms, a
            // run of minutes under the fuzzer. The target's --max-rate stops it at once,
            // naming the population.
            assert!(outcome.expect("builds"), "{}: not run", path.display());
            let model = hebb::model::Model::parse(&text, &path).expect("the finding parses");
            let e = shared::run_briefly(&model)
                .expect_err("a runaway")
                .to_string();
            assert!(e.starts_with("population E: at "), "{e}");
            assert!(e.contains("--max-rate") && e.contains("t_ref = 0"), "{e}");
        } else if path.ends_with("weight-of-4e107-beyond-f32.toml") {
            // A weight of −4.4e107, infinite as the synapse's f32: the potentials it reached
            // became infinite, then NaN, and an exact neuron re-planned its crossing at every
            // tick (1 ps) for ever. Refused now, naming the key.
            let e = outcome.expect_err("refused").to_string();
            assert!(e.contains("line 25") && e.contains("within ±3.4e38"), "{e}");
        } else if path.ends_with("delays-uniform-from-0-ms.toml") {
            // 620 exact neurons, 115,101 synapses with delays drawn from [0, 0.1] ms: the
            // smallest, 6.9e-8 ms, made the calendar queue's buckets that fine, and it stepped
            // through them one by one, almost all empty (10-16 s under the fuzzer; 0.9-1.0 s
            // for 20 ms in a release build, against 0.045 s with the heap). It now skips empty
            // buckets 64 at a time and widens buckets that would not cover the largest delay
            // (`tests/scheduler.rs` checks the order on buckets down to one tick).
            assert!(outcome.expect("builds"), "{}: not run", path.display());
        } else if path.ends_with("pairwise-bernoulli-p-3e-56.toml") {
            // A connection probability of 3e-56, for which 1 − p rounds to 1: the build drew
            // targets out of range and panicked. Now it builds (no synapse from that rule)
            // and runs.
            assert!(outcome.expect("builds"), "{}: not run", path.display());
        }
    }
}

/// Inputs the `import_csv` fuzzer found failing (`fuzz/regressions/import_csv/`, each named
/// for what it found) give a result or an error, never a panic.
#[test]
fn fuzz_findings_stay_fixed() {
    for path in inputs("regressions/import_csv") {
        let data = std::fs::read(&path).expect("a finding reads");
        let tmp = tempfile::tempdir().expect("a temporary directory");
        // A gzip neuron table that fails to parse: the import fails, and the decompressing
        // thread is stopped and joined before it returns (unit test in `import::table`).
        let _ = shared::import_tables(&data, tmp.path());
    }
}

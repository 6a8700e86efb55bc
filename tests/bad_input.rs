//! Bad input gets a clear message naming the file, key and line, exit code 2, and no panic.

use std::process::Command;

const GOOD: &str = r#"
[simulation]
duration = 10.0
[[population]]
name = "N"
size = 10
model = "lif_delta"
tau_m = 20.0
E_L = -70.0
V_th = -55.0
V_reset = -70.0
t_ref = 2.0
[[projection]]
source = "N"
target = "N"
rule = { pairwise_bernoulli = { p = 0.5 } }
weight = 1.0
delay = 1.5
"#;

fn run_model(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    run_path(&path.to_string_lossy())
}

fn run_path(path: &str) -> (i32, String) {
    hebb(&["run", "-q", "--no-output", path])
}

/// Runs `hebb args…`: its exit code (−1 if it has none) and its standard error, which must not
/// tell of a panic.
fn hebb(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hebb"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// (what, replace this, with this, expected fragments of the message)
const CASES: &[(&str, &str, &str, &[&str])] = &[
    (
        "unknown key",
        "t_ref = 2.0",
        "t_ref = 2.0\ntau_x = 1.0",
        &["line 13", "unknown field `tau_x`", "tau_m"],
    ),
    (
        "wrong type",
        "size = 10",
        "size = \"ten\"",
        &["line 6", "invalid type"],
    ),
    (
        "negative delay",
        "delay = 1.5",
        "delay = -1.5",
        &["line 18", "delays must be > 0"],
    ),
    (
        "delay below the tick",
        "delay = 1.5",
        "delay = 1e-12",
        &["line 18", "below the 1e-9 ms tick"],
    ),
    (
        "NaN weight",
        "weight = 1.0",
        "weight = nan",
        &["line 17", "NaN and inf are not allowed"],
    ),
    (
        "weight beyond a 32-bit float",
        "weight = 1.0",
        "weight = -4.4e107",
        &["line 17", "weight is -4.4e107", "within ±3.4e38"],
    ),
    (
        "weight distribution reaching beyond a 32-bit float",
        "weight = 1.0",
        "weight = { normal = { mean = 0.0, std = 1e39 } }",
        &["line 17", "within ±3.4e38"],
    ),
    (
        "tau <= 0",
        "tau_m = 20.0",
        "tau_m = 0.0",
        &["line 8", "got 0", "> 0"],
    ),
    (
        "tau shorter than a microsecond",
        "tau_m = 20.0",
        "tau_m = 1e-6",
        &["tau_m = 0.000001 ms", "below 1e-3 ms", "use at least that"],
    ),
    (
        "resting potential beyond a million volts",
        "E_L = -70.0",
        "E_L = -1e12",
        &["line 5", "E_L = -1e12 mV", "beyond ±1e9 mV"],
    ),
    (
        "a current that drives the potential beyond a million volts",
        "t_ref = 2.0",
        "t_ref = 2.0\nI_e = 2e10",
        &[
            "I_e of neuron 0 = 2e10 pA",
            "at 1.59999993e9 mV",
            "beyond ±1e9 mV",
        ],
    ),
    (
        "a capacitance too small for any current",
        "tau_m = 20.0",
        "tau_m = 20.0\nC_m = 1e-300",
        &["tau_m / C_m = ", "beyond 1e100 GΩ", "use a larger C_m"],
    ),
    (
        "a step current that drives the potential beyond a million volts",
        "delay = 1.5",
        "delay = 1.5\n[[stimulus]]\ntype = \"step_current\"\ntarget = \"N\"\ntimes = [1.0, 2.0]\namplitudes = [1.0, -1e11]",
        &[
            "step_current into `N`: amplitude = -1e11 pA",
            "beyond ±1e9 mV",
        ],
    ),
    (
        "empty population",
        "size = 10",
        "size = 0",
        &["line 6", "empty", "at least one neuron"],
    ),
    (
        "unknown population",
        "target = \"N\"",
        "target = \"M\"",
        &["line 15", "unknown population `M`", "known: N"],
    ),
    (
        "duration beyond the clock",
        "duration = 10.0",
        "duration = 1e12",
        &[
            "simulation.duration = 1000000000000 ms",
            "beyond the clock",
            "shorten it",
        ],
    ),
    (
        "warm-up and duration together beyond the clock",
        "duration = 10.0",
        "duration = 1e10\nwarmup = 1e10",
        &[
            "simulation.warmup + simulation.duration",
            "beyond the clock",
        ],
    ),
    (
        "step current beyond the clock",
        "delay = 1.5",
        "delay = 1.5\n[[stimulus]]\ntype = \"step_current\"\ntarget = \"N\"\ntimes = [1.0, 1e20]\namplitudes = [1.0, 0.0]",
        &["stimulus.times = 1e20 ms", "beyond the clock"],
    ),
    (
        "sampling more often than once per step",
        "delay = 1.5",
        "delay = 1.5\n[[record.state]]\npopulation = \"N\"\nvariables = [\"V_m\"]\ninterval = 1e-9",
        &[
            "record.state interval = 0.000000001 ms",
            "shorter than simulation.resolution",
        ],
    ),
    (
        "a sine updated more often than once per step",
        "delay = 1.5",
        "delay = 1.5\n[[stimulus]]\ntype = \"sinusoidal_current\"\ntarget = \"N\"\namplitude = 1.0\nperiod = 10.0\ninterval = 1e-9",
        &[
            "sinusoidal_current interval = 0.000000001 ms",
            "at least one step",
        ],
    ),
    (
        "reset above threshold",
        "V_reset = -70.0",
        "V_reset = -50.0",
        &["V_reset", "below V_th"],
    ),
    (
        "a burst2c key on another model",
        "t_ref = 2.0",
        "t_ref = 2.0\nprecision = \"single\"",
        &[
            "line 5",
            "population `N`: `precision` belongs to burst2c populations",
        ],
    ),
    (
        "an unknown precision",
        "t_ref = 2.0",
        "t_ref = 2.0\nprecision = \"half\"",
        &[
            "line 13",
            "unknown variant `half`, expected `double` or `single`",
        ],
    ),
];

#[test]
fn each_bad_input_is_reported_with_exit_code_2() {
    let (code, err) = run_model(GOOD);
    assert_eq!(code, 0, "the good model runs: {err}");
    for (what, from, to, expect) in CASES {
        assert!(GOOD.contains(from), "{what}: case text");
        let (code, err) = run_model(&GOOD.replacen(from, to, 1));
        assert_eq!(code, 2, "{what}: exit code, message {err}");
        assert!(err.contains("bad.toml"), "{what}: names the file: {err}");
        for e in *expect {
            assert!(
                err.contains(e),
                "{what}: message should contain `{e}`: {err}"
            );
        }
    }
}

/// A projection without a weight, or with one that cannot be drawn, is named at once, before
/// the memory estimate (which would refuse this network of 10⁷ neurons) and before any
/// projection makes its synapses.
#[test]
fn a_projection_without_a_weight_is_named_before_anything_is_made() {
    let text = GOOD.replace("size = 10", "size = 10000000")
        + "[[projection]]\nsource = \"N\"\ntarget = \"N\"\n\
           rule = { pairwise_bernoulli = { p = 0.5 } }\ndelay = 1.0\n";
    let (code, err) = run_model(&text);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 22"), "{err}");
    assert!(err.contains("projection N → N needs a `weight`"), "{err}");
    assert!(
        !err.contains("more than the"),
        "not the memory guard: {err}"
    );
    // So is a weight that cannot be drawn.
    let text = text.replace(
        "delay = 1.0\n",
        "weight = { uniform = [2.0, 1.0] }\ndelay = 1.0\n",
    );
    let (code, err) = run_model(&text);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 23"), "{err}");
    assert!(
        !err.contains("more than the"),
        "not the memory guard: {err}"
    );
}

#[test]
fn missing_file_is_exit_code_2() {
    let (code, err) = run_path("/nonexistent/model.toml");
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/model.toml") && err.contains("No such file"),
        "{err}"
    );
    // The cause is told once, not again as the error's source.
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

#[test]
fn plot_and_inspect_of_a_missing_file_are_exit_code_2() {
    for args in [
        vec!["plot", "/nonexistent/run.h5", "-o", "/tmp/x.png"],
        vec!["inspect", "/nonexistent/run.h5"],
    ] {
        let (code, err) = hebb(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("/nonexistent/run.h5") && !err.contains("panicked"),
            "{err}"
        );
    }
}

#[test]
fn impossible_thread_counts_are_exit_code_2() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/brette_b4.toml");
    for n in ["0", "65"] {
        let (code, err) = hebb(&[
            "run",
            model,
            "--no-output",
            "--duration",
            "1",
            "--threads",
            n,
        ]);
        assert_eq!(code, 2, "--threads {n}: {err}");
        assert!(
            err.contains(&format!("--threads {n}: expected 1 to 64")),
            "{err}"
        );
    }
    let (code, err) = run_model(
        "[simulation]\nduration = 10.0\nthreads = 0\n[[population]]\nname = \"A\"\nsize = 2\n\
         model = \"lif_delta\"\ntau_m = 10.0\nE_L = 0.0\nV_th = 10.0\nV_reset = 0.0\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 3") && err.contains("simulation.threads = 0: expected 1 to 64"),
        "{err}"
    );
}

/// Times the clock cannot reach (2^64 ticks of 1e-9 ms, about 213 days) given on the command
/// line are refused by name, exit code 2, before anything runs.
#[test]
fn run_lengths_beyond_the_clock_are_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let b4 = concat!(env!("CARGO_MANIFEST_DIR"), "/models/brette_b4.toml");
    let xor_out = dir.path().to_string_lossy().into_owned();
    for (args, expect) in [
        (
            vec!["run", b4, "--no-output", "--duration", "1e11"],
            "--duration 100000000000: expected a duration > 0 ms that",
        ),
        (
            vec!["experiment", "xor", "--example-ms", "1e12", "-o", &xor_out],
            "the protocol lasts",
        ),
    ] {
        let (code, err) = hebb(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expect) && err.contains("clock"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Weights of plastic projections logged more often than once per step are refused by name.
#[test]
fn weight_logs_of_less_than_a_step_are_exit_code_2() {
    let xor = concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor_bdsp.toml");
    let (code, err) = hebb(&[
        "run",
        xor,
        "--no-output",
        "--duration",
        "1",
        "--set",
        "record.weights.interval=0.01",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("record.weights.interval = 0.01 ms is shorter than simulation.resolution"),
        "{err}"
    );
}

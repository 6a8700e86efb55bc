//! The memory guard: the estimate made before building is within 20 % of the measured peak,
//! and a model that cannot fit is refused before its synapses are made.

mod common;

/// Runs `hebb args… <json flag> FILE` in its own process (so that its peak is its own) and
/// returns the measured peak and the estimate of its JSON summary (MiB).
fn peak_and_estimate(args: &[&str], json_flag: &str) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let mut all = args.to_vec();
    all.extend([json_flag, json.to_str().unwrap()]);
    let (code, _, err) = common::hebb(&all);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (
        v["peak_rss_mib"].as_f64().expect("peak known on Linux"),
        v["estimated_peak_mib"].as_f64().unwrap(),
    )
}

/// `hebb bench MODEL -t 1 --duration 20`: no output file.
fn bench_briefly(model: &str) -> (f64, f64) {
    peak_and_estimate(&["bench", model, "-t", "1", "--duration", "20"], "--json")
}

#[test]
fn the_memory_estimate_is_within_20_percent_of_the_measured_peak() {
    for name in ["brette_b4.toml", "brunel.toml", "potjans_diesmann.toml"] {
        let (peak, est) = bench_briefly(&common::shipped_model(name));
        assert!(
            (est / peak - 1.0).abs() < 0.2,
            "{name}: estimated {est:.1} MiB, peak {peak:.1} MiB"
        );
    }
}

/// A run that writes its output counts the output's caches in its estimate: B4 for 60 s
/// simulated, its spikes written, peaks within 20 % of the estimate, which is the estimate
/// without the output plus `memory::OUTPUT_BYTES`.
#[test]
fn a_run_writing_its_output_counts_it_in_the_estimate() {
    let b4 = common::shipped_model("brette_b4.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b4.h5");
    let run = ["run", &b4, "-t", "1", "--duration", "60000", "-q", "-o"];
    let (peak, est) = peak_and_estimate(
        &[&run[..], &[out.to_str().unwrap()]].concat(),
        "--summary-json",
    );
    assert!(
        (est / peak - 1.0).abs() < 0.2,
        "estimated {est:.1} MiB, peak {peak:.1} MiB"
    );
    let (_, without) = bench_briefly(&b4);
    let output_mib = (hebb::model::memory::OUTPUT_BYTES >> 20) as f64;
    assert!(
        (est - without - output_mib).abs() < 1e-9,
        "{est:.1} MiB with the output, {without:.1} MiB without"
    );
}

#[test]
fn a_model_that_cannot_fit_is_refused_before_it_is_built() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/potjans_diesmann.toml");
    let start = std::time::Instant::now();
    // Ten times the full microcircuit: 3 × 10⁹ synapses, about 113 GiB while building.
    let (code, _, err) = common::hebb(&[
        "run",
        path.to_str().unwrap(),
        "--set",
        "scaling.N=10",
        "--set",
        "scaling.K=1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs about 112.7 GiB ("), "{err}");
    assert!(err.contains("--no-memory-check"), "{err}");
    assert!(
        start.elapsed().as_secs() < 30,
        "refused before generating anything"
    );
    let (code, out, err) = common::hebb(&["inspect", "models/brunel.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("memory estimate (peak) 607 MiB: 12500 neurons, 15625000 synapses"),
        "{out}"
    );
}

/// Poisson trains of `spike_source` populations are drawn while building: their spikes count
/// in the estimate, so trains far beyond any run are refused before they are drawn.
#[test]
fn poisson_trains_drawn_while_building_count_in_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let model = |stop: f64| {
        format!(
            "[simulation]\nduration = 10.0\n[[population]]\nname = \"S\"\nsize = 10\n\
             model = \"spike_source\"\nrate = 1000000.0\nstop = {stop:.1}\n"
        )
    };
    // 1e6 Hz for 1e9 ms onto 10 sources: 1e13 spikes, about 145 TiB.
    let far = dir.path().join("far.toml");
    std::fs::write(&far, model(1e9)).unwrap();
    let start = std::time::Instant::now();
    let (code, _, err) = common::hebb(&["run", far.to_str().unwrap(), "--no-output"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("10000000000000 spikes of Poisson trains"),
        "{err}"
    );
    assert!(err.contains("spike_source"), "{err}");
    assert!(start.elapsed().as_secs() < 30, "refused before drawing");
    // 1e6 Hz for 10 ms: 1e5 spikes, 16 bytes each, in the estimate and the run.
    let near = dir.path().join("near.toml");
    std::fs::write(&near, model(10.0)).unwrap();
    let (code, out, err) = common::hebb(&["inspect", near.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(": 10 neurons, 0 synapses, 100000 spikes of Poisson trains"),
        "{out}"
    );
}

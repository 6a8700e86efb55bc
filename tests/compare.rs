//! `hebb experiment compare`: an experiment runs end to end, finds a difference it was built
//! to have, decodes separable patterns, and refuses malformed experiment files.

use hebb::experiment::compare::{CompareOptions, compare, load};
use std::path::Path;

const MODEL: &str = r#"
[simulation]
duration = 300.0
warmup = 100.0
seed = 1

[[population]]
name = "E"
size = 80
model = "lif_delta"
tau_m = 20.0
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0

[[population]]
name = "IN"
size = 40
model = "spike_source"

[[projection]]
source = "IN"
target = "E"
rule = { fixed_outdegree = { outdegree = 4 } }
weight = 8.0
delay = 1.0

[[projection]]
source = "E"
target = "E"
rule = { fixed_indegree = { indegree = 8 } }
weight = 0.5
delay = 1.5

[[stimulus]]
type = "poisson"
target = "E"
rate = 1500.0
weight = 0.8
"#;

fn experiment(dir: &Path, extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("net.toml"), MODEL).unwrap();
    let text = format!(
        r#"
[experiment]
name = "background drive"
seeds = 6
jobs = 2

[[variant]]
name = "low"
model = "net.toml"

[[variant]]
name = "high"
model = "net.toml"
set = ["stimulus.0.rate=1800"]

[protocol]
target = "IN"
patterns = 2
trials = 8
rate = 300.0
on = 20.0
every = 100.0
response = 40.0
baseline = 30.0
{extra}"#
    );
    let path = dir.join("experiment.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_comparison_runs_end_to_end_and_finds_the_difference_it_was_built_with() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), "");
    let out = dir.path().join("out");
    let r = compare(&CompareOptions {
        experiment: exp,
        out: out.clone(),
        seeds: None,
        jobs: None,
        set: Vec::new(),
        memory_check: true,
        progress: false,
    })
    .unwrap();
    assert_eq!(r.runs.len(), 12);
    assert!(
        r.runs.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.runs[0].error
    );
    for f in [
        "report.md",
        "report.json",
        "metrics.png",
        "raster_low.png",
        "raster_high.png",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    assert!(
        std::fs::read_dir(out.join("runs"))
            .unwrap()
            .next()
            .is_none(),
        "input files removed after the runs"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let rows = json["comparisons"].as_array().unwrap();
    let row = |metric: &str| {
        rows.iter()
            .find(|r| {
                r["metric"] == metric && (r["population"] == "E" || r["population"].is_null())
            })
            .unwrap_or_else(|| panic!("no {metric} row"))
    };
    let rate = row("rate_hz");
    let (low, high) = (
        rate["variants"][0]["mean"].as_f64().unwrap(),
        rate["variants"][1]["mean"].as_f64().unwrap(),
    );
    assert!(high > low * 1.2, "rates {low} and {high}");
    // 6 + 6 runs, completely separated: the exact permutation test's smallest p, 2/924.
    let p = rate["tests"][0]["p"].as_f64().unwrap();
    assert!((p - 2.0 / 924.0).abs() < 1e-12, "p = {p}");
    assert!(rate["tests"][0]["hedges_g"].as_f64().unwrap() > 2.0);
    // The two patterns drive different neurons of E: decoded well above chance (0.5).
    let dec = row("decoding");
    assert!(dec["variants"][0]["mean"].as_f64().unwrap() > 0.9, "{dec}");
    // Every run reproduces from its seed.
    let again = compare(&CompareOptions {
        experiment: dir.path().join("experiment.toml"),
        out: dir.path().join("again"),
        seeds: Some(2),
        jobs: Some(1),
        set: Vec::new(),
        memory_check: true,
        progress: false,
    })
    .unwrap();
    for a in &again.runs {
        let b = r
            .runs
            .iter()
            .find(|b| b.variant == a.variant && b.seed == a.seed)
            .unwrap();
        assert_eq!(a.spikes, b.spikes);
        assert_eq!(
            format!("{:?}", a.metrics),
            format!("{:?}", b.metrics),
            "{} seed {}",
            a.variant,
            a.seed
        );
    }
    let md = &r.markdown;
    assert!(md.contains("## rate_hz") && md.contains("| E |"), "{md}");
    assert!(
        md.contains("- rate_hz of E: low"),
        "the difference is listed: {md}"
    );
}

#[test]
fn malformed_experiments_are_refused_with_the_file_and_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), "");
    let text = std::fs::read_to_string(&exp).unwrap();
    let cases = [
        (text.replace("seeds = 6", "seeds = 1"), "at least 2"),
        (text.replace("patterns = 2", "patterns = 1"), "at least 2"),
        (text.replace("every = 100.0", "every = 50.0"), "must hold"),
        (
            text.replace("trials = 8", "trials = 8\nspeed = 3"),
            "unknown field `speed`",
        ),
        (
            text.replace(
                "[[variant]]\nname = \"high\"",
                "[[variant]]\nname = \"low\"",
            ),
            "named twice",
        ),
    ];
    for (t, expect) in cases {
        std::fs::write(&exp, &t).unwrap();
        let err = load(&exp).unwrap_err().to_string();
        assert!(err.contains(expect), "{expect}: {err}");
        assert!(err.contains("experiment.toml"), "{err}");
    }
    // Errors found when the variants' models are prepared, before any run.
    let cases = [
        (
            text.replace("target = \"IN\"", "target = \"NONE\""),
            "no population `NONE`",
        ),
        (text.replace("rate=1800", "rat=1800"), "unknown field `rat`"),
        (
            text.replace("target = \"IN\"", "target = \"E\""),
            "protocol.weight: `E` is not a spike_source",
        ),
        (
            text.replace(
                "rate=1800\"]",
                "rate=1800\", \"population.E.size=2000000000\"]",
            ),
            "needs about",
        ),
    ];
    for (t, expect) in cases {
        std::fs::write(&exp, &t).unwrap();
        let opts = CompareOptions {
            experiment: exp.clone(),
            out: dir.path().join("bad"),
            seeds: None,
            jobs: None,
            set: Vec::new(),
            memory_check: true,
            progress: false,
        };
        let err = compare(&opts).err().expect("refused").to_string();
        assert!(err.contains(expect), "{expect}: {err}");
    }
}

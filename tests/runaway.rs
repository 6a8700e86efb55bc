//! The spike budget (`--max-rate`): a run whose neurons fire far beyond it stops with an error
//! naming the population, on any number of threads; below it, nothing changes.

mod common;

use hebb::engine::{RunawayCause, Simulation};
use hebb::time::Time;

/// A network that runs away: exact LIF neurons without refractoriness (`t_ref` = 0), resting
/// above threshold, with strong recurrent excitation. Every spike sets off more.
const CASCADE: &str = r#"
[simulation]
duration = 20.0
seed = 3

[[population]]
name = "quiet"
size = 100
model = "lif_delta"
tau_m = 10.0
E_L = -70.0
V_th = -50.0
V_reset = -70.0
t_ref = 2.0

[[population]]
name = "E"
size = 400
model = "lif_delta"
update = "exact"
tau_m = 10.0
E_L = -49.0
V_th = -50.0
V_reset = -60.0
V_m = { uniform = [-60.0, -50.0] }

[[projection]]
source = "E"
target = "E"
rule = { pairwise_bernoulli = { p = 0.1 } }
weight = 8.0
delay = 0.125
"#;

#[test]
fn a_simulation_stops_at_its_spike_budget() {
    let m = common::model(CASCADE);
    for budget in [1, 2, 1000, 12_345] {
        let net = hebb::model::build::build(&m, None, None).unwrap();
        let mut sim = Simulation::new(net.blueprint);
        sim.set_spike_budget(budget);
        sim.run_until(
            Time::from_ms(20.0).unwrap(),
            &mut hebb::engine::NullRecorder,
        );
        assert_eq!(sim.stats().spikes, budget, "exactly the budget");
        let r = sim.runaway().expect("a runaway");
        assert_eq!(r.cause, RunawayCause::Spikes);
        assert_eq!(r.population.index(), 1, "population E");
        // Stopped: later runs only move the clock.
        sim.run_until(
            Time::from_ms(40.0).unwrap(),
            &mut hebb::engine::NullRecorder,
        );
        assert_eq!(sim.stats().spikes, budget);
        assert_eq!(sim.now(), Time::from_ms(40.0).unwrap());
    }
}

#[test]
fn a_runaway_past_max_rate_is_stopped_naming_its_population() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cascade.toml");
    std::fs::write(&path, CASCADE).unwrap();
    for threads in ["1", "2", "3"] {
        let (code, _, err) = common::hebb(&[
            "run",
            path.to_str().unwrap(),
            "--no-output",
            "--max-rate",
            "500",
            "-t",
            threads,
        ]);
        assert_eq!(code, 2, "{err}");
        // 500 Hz × 500 neurons × 20 ms.
        assert!(
            err.contains("error: population E: at ") && err.contains("budget, 5000 spikes"),
            "{err}"
        );
        assert!(
            err.contains("--max-rate") && err.contains("t_ref = 0"),
            "{err}"
        );
    }
    for bad in ["0", "-5", "nan", "inf"] {
        let (code, _, err) = common::hebb(&[
            "run",
            path.to_str().unwrap(),
            "--no-output",
            &format!("--max-rate={bad}"),
        ]);
        assert_eq!(code, 2, "--max-rate {bad}: {err}");
        assert!(err.contains("--max-rate"), "{err}");
    }
}

#[test]
fn below_max_rate_a_run_is_the_same() {
    // B4 fires at about 10 Hz; 12 Hz is a budget it nearly spends.
    let b4 = common::shipped_model("brette_b4.toml");
    for threads in ["1", "2"] {
        let base = [
            "run",
            &b4,
            "--no-output",
            "--duration",
            "2000",
            "-t",
            threads,
        ];
        let (code, plain, err) = common::hebb(&base);
        assert_eq!(code, 0, "{err}");
        let (code, guarded, err) = common::hebb(&[&base[..], &["--max-rate", "12"]].concat());
        assert_eq!(code, 0, "{err}");
        let counts = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("spikes "))
                .expect("a summary")
                .split("  (")
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(counts(&plain), counts(&guarded));
        // And 5 Hz is not enough.
        let (code, _, err) = common::hebb(&[&base[..], &["--max-rate", "5"]].concat());
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--max-rate"), "{err}");
    }
}

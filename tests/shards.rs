//! The sharded engine gives the same results as one simulation, for any number of shards,
//! placement and scheduler; silent stretches are skipped.

mod common;

use common::random_net::{kind, links, network};
use hebb::engine::queue::SchedulerKind;
use hebb::time::Time;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_number_of_shards_gives_the_same_run(
        kinds in prop::collection::vec((kind(), 1usize..40), 1..4),
        links in links(),
        seed in 0u64..1000,
        heap in any::<bool>(),
    ) {
        let m = common::model(&network(&kinds, &links, seed));
        let scheduler = Some(if heap { SchedulerKind::Heap } else { SchedulerKind::Calendar });
        let one = common::simulate(&m, None, Some(SchedulerKind::Heap));
        for shards in [1, 2, 3, 4, 8] {
            let (many, _) = common::simulate_sharded(&m, scheduler, shards, None);
            prop_assert_eq!(&one.spikes, &many.spikes, "{} shards", shards);
            prop_assert_eq!(common::sample_bits(&one), common::sample_bits(&many), "{} shards", shards);
        }
    }

    /// A run that stops anywhere, mid-window too, has found every spike before its end:
    /// exact neurons visited lazily (at their window's end) are brought up to the stop.
    #[test]
    fn a_run_stopped_anywhere_has_every_spike_before_its_stop(
        kinds in prop::collection::vec((kind(), 1usize..40), 1..4),
        links in links(),
        seed in 0u64..1000,
        stop_ms in 0.01f64..30.0,
        shards in 1usize..4,
    ) {
        let m = common::model(&network(&kinds, &links, seed));
        let stop = Time::from_ms(stop_ms).unwrap();
        let whole = common::spikes_until(&m, Time::from_ms(40.0).unwrap(), 1);
        let before: Vec<_> = whole.into_iter().filter(|&(t, _)| t < stop).collect();
        let stopped = common::spikes_until(&m, stop, shards);
        prop_assert_eq!(before, stopped, "stopped at {} ms on {} shards", stop_ms, shards);
    }
}

/// Strong Poisson input makes exact neurons fire within 0.1 ms; a run of 0.5 ms (half of its
/// first 1 ms window) reports those spikes.
#[test]
fn a_run_shorter_than_one_window_reports_its_spikes() {
    let m = common::model(
        r#"
[simulation]
duration = 0.5
seed = 3
[[population]]
name = "E"
size = 10
model = "lif_delta"
tau_m = 20.0
E_L = 0.0
V_th = 20.0
V_reset = 0.0
t_ref = 2.0
[[projection]]
source = "E"
target = "E"
rule = { pairwise_bernoulli = { p = 0.5 } }
weight = 0.1
delay = 1.0
[[stimulus]]
type = "poisson"
target = "E"
rate = 2000000.0
weight = 0.2
"#,
    );
    for shards in [1, 2] {
        let spikes = common::spikes_until(&m, Time::from_ms(0.5).unwrap(), shards);
        let fired: std::collections::BTreeSet<u32> = spikes.iter().map(|&(_, n)| n).collect();
        assert_eq!(fired.len(), 10, "{shards} shards: {spikes:?}");
        assert!(spikes.iter().all(|&(t, _)| t < Time::from_ms(0.2).unwrap()));
    }
}

/// Sources spiking at 5 ms and 900 ms onto quiet exact neurons, 1 ms delays: nothing happens in
/// between, so almost every window is skipped.
const SILENT: &str = r#"
[simulation]
duration = 1000.0
warmup = 0.0
seed = 3
[[population]]
name = "S"
size = 4
model = "spike_source"
spike_times = [[5.0, 900.0], [5.0], [5.5, 900.0], [900.25]]
[[population]]
name = "N"
size = 40
model = "lif_delta"
tau_m = 10.0
E_L = 0.0
V_th = 15.0
V_reset = 0.0
t_ref = 2.0
[[population]]
name = "X"
size = 20
model = "lif_exp"
tau_m = 10.0
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0
tau_syn_ex = 0.5
tau_syn_in = 3.0
[[projection]]
source = "S"
target = "N"
rule = { all_to_all = {} }
weight = 8.0
delay = 1.0
[[projection]]
source = "N"
target = "X"
rule = { pairwise_bernoulli = { p = 0.5 } }
weight = 900.0
delay = { uniform = [1.0, 3.0] }
[[projection]]
source = "X"
target = "N"
rule = { pairwise_bernoulli = { p = 0.5 } }
weight = -3.0
delay = 2.0
"#;

#[test]
fn silent_stretches_are_skipped() {
    let m = common::model(SILENT);
    let one = common::simulate(&m, None, None);
    assert!(
        one.spikes.len() > 40,
        "the network responds: {} spikes",
        one.spikes.len()
    );
    for shards in [2, 3] {
        let (many, stats) = common::simulate_sharded(&m, None, shards, None);
        assert_eq!(one.spikes, many.spikes, "{shards} shards");
        for s in &stats {
            // 1000 windows of 1 ms (one cut in two where the run stops and goes on); activity
            // around 5 ms and 900 ms, and the epoch rebases.
            assert_eq!(s.windows + s.windows_skipped, 1001, "{s:?}");
            assert!(s.windows < 100, "{} windows run", s.windows);
        }
    }
}

/// Delays of one tick (1e-9 ms): windows of one tick.
const TICK_DELAYS: &str = r#"
[simulation]
duration = 15.0
warmup = 0.0
seed = 11
[[population]]
name = "E"
size = 12
model = "lif_delta"
tau_m = 20.0
E_L = 0.0
V_th = 20.0
V_reset = 10.0
t_ref = 0.5
V_m = { uniform = [0.0, 20.0] }
[[projection]]
source = "E"
target = "E"
rule = { pairwise_bernoulli = { p = 0.5 } }
weight = { normal = { mean = 1.0, std = 2.0 } }
delay = 1e-9
[[stimulus]]
type = "poisson"
target = "E"
rate = 8000.0
weight = 0.6
"#;

#[test]
fn delays_of_one_tick() {
    let m = common::model(TICK_DELAYS);
    let one = common::simulate(&m, None, None);
    assert!(one.spikes.len() > 20, "{} spikes", one.spikes.len());
    for shards in [2, 5] {
        let (many, stats) = common::simulate_sharded(&m, None, shards, None);
        assert_eq!(one.spikes, many.spikes, "{shards} shards");
        assert!(
            stats[0].windows_skipped > stats[0].windows,
            "{:?}",
            stats[0]
        );
    }
}

/// One source neuron projecting to every neuron of a population spread over 8 shards.
const HUB: &str = r#"
[simulation]
duration = 100.0
warmup = 0.0
seed = 5
[[population]]
name = "H"
size = 1
model = "spike_source"
spike_times = [[1.0, 2.0, 3.0, 10.0, 10.1, 50.0]]
[[population]]
name = "E"
size = 64
model = "lif_exp"
tau_m = 10.0
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0
tau_syn_ex = 0.5
tau_syn_in = 3.0
V_m = { uniform = [-65.0, -55.0] }
[[projection]]
source = "H"
target = "E"
rule = { all_to_all = {} }
weight = { uniform = [3000.0, 9000.0] }
delay = 0.5
[[projection]]
source = "E"
target = "E"
rule = { pairwise_bernoulli = { p = 0.2 } }
weight = -300.0
delay = 0.1
[[record.state]]
population = "E"
count = 64
variables = ["V_m", "I_syn_ex"]
interval = 0.25
"#;

#[test]
fn a_hub_reaching_every_shard() {
    let m = common::model(HUB);
    let one = common::simulate(&m, None, None);
    let (many, stats) = common::simulate_sharded(&m, None, 8, None);
    assert_eq!(one.spikes, many.spikes);
    assert_eq!(common::sample_bits(&one), common::sample_bits(&many));
    assert!(
        one.spikes.len() > 6 + 32,
        "the hub drives E: {} spikes",
        one.spikes.len()
    );
    // The hub's shard sends each of the hub's 6 spikes once to each of the 7 others.
    let sent: Vec<u64> = stats.iter().map(|s| s.spikes_sent).collect();
    assert!(sent.iter().any(|&n| n >= 6 * 7), "{sent:?}");
    assert!(
        stats.iter().all(|s| (7..=10).contains(&s.neurons)),
        "balanced: {stats:?}"
    );
}

#[test]
fn all_neurons_on_one_shard() {
    let m = common::model(HUB);
    let one = common::simulate(&m, None, None);
    let (many, stats) = common::simulate_sharded(&m, None, 4, Some(vec![2; 65]));
    assert_eq!(one.spikes, many.spikes);
    assert_eq!(common::sample_bits(&one), common::sample_bits(&many));
    assert_eq!(
        stats.iter().map(|s| s.neurons).collect::<Vec<_>>(),
        vec![0, 0, 65, 0]
    );
    assert!(stats.iter().all(|s| s.spikes_sent == 0));
}

/// Exact neurons with `t_ref = 0` under a current a million times their rheobase fire at
/// almost every tick of the clock, onto each other.
const RUNAWAY: &str = r#"
[simulation]
duration = 5.0
seed = 3
[[population]]
name = "Q"
size = 4
model = "lif_delta"
tau_m = 10.0
E_L = 0.0
V_th = 15.0
V_reset = 0.0
t_ref = 2.0
[[population]]
name = "R"
size = 6
model = "lif_delta"
tau_m = 10.0
E_L = 0.0
V_th = 15.0
V_reset = 0.0
t_ref = 0.0
I_e = 1.5e9
[[projection]]
source = "R"
target = "Q"
rule = { all_to_all = {} }
weight = 0.1
delay = 1.0
[[projection]]
source = "R"
target = "R"
rule = { all_to_all = {} }
weight = 0.1
delay = 1.5
"#;

/// A runaway stops the run on the limit of entries in flight and names its population, on
/// one shard and on two (where the other shard stops too, without waiting forever); runs
/// under the limit are untouched.
#[test]
fn a_runaway_stops_on_its_limit_and_is_named() {
    use hebb::engine::Simulation;
    use hebb::engine::partition::Placement;
    use hebb::engine::shard::ShardedSimulation;
    let m = common::model(RUNAWAY);
    let stop = Time::from_ms(5.0).unwrap();
    let limit = 200_000;
    for shards in [1, 2] {
        let net = hebb::model::build::build(&m, None, None).unwrap();
        let mut c = common::Collect::default();
        let runaway = if shards == 1 {
            let mut sim = Simulation::new(net.blueprint);
            sim.set_pending_limit(limit);
            sim.run_until(stop, &mut c);
            assert_eq!(sim.now(), stop, "the clock reaches the stop");
            sim.runaway()
        } else {
            let part = net.blueprint.partition(Placement::Balanced, shards);
            let mut sim = ShardedSimulation::new(net.blueprint, &part);
            sim.set_pending_limit(limit);
            sim.run_until(Time::from_ms(2.5).unwrap(), &mut c);
            sim.run_until(stop, &mut c);
            assert_eq!(sim.now(), stop, "the clock reaches the stop");
            sim.runaway()
        };
        let r = runaway.unwrap_or_else(|| panic!("{shards} shards: no runaway"));
        assert_eq!(r.population.index(), 1, "{shards} shards: {r:?}");
        assert!(r.at < Time::from_ms(1.5).unwrap(), "{r:?}");
        // Every shard holds at most its share, one row over.
        assert!(r.pending <= limit / shards + 12, "{r:?}");
        assert!(c.spikes.len() <= limit, "{} spikes", c.spikes.len());
    }
    // The same network, calm: no runaway, whatever the limit's generosity.
    let calm = RUNAWAY.replace("t_ref = 0.0\nI_e = 1.5e9", "t_ref = 2.0\nI_e = 2000.0");
    let m = common::model(&calm);
    let net = hebb::model::build::build(&m, None, None).unwrap();
    let mut sim = Simulation::new(net.blueprint);
    sim.set_pending_limit(1_000);
    let mut c = common::Collect::default();
    sim.run_until(stop, &mut c);
    assert_eq!(sim.runaway(), None);
    assert!(!c.spikes.is_empty());
    assert_eq!(c.spikes.len(), common::spikes_until(&m, stop, 1).len());
}

/// A run under a memory limit stops a runaway with an error naming its population: on one
/// thread, on two shards, and with trials side by side; with room to spare, the calm network
/// runs.
#[test]
fn a_run_under_a_memory_limit_names_its_runaway() {
    let mut m = common::model(RUNAWAY);
    m.memory_limit = Some(64 << 20);
    for (threads, trials, shard_trials) in
        [(1, 1, false), (2, 1, false), (2, 3, false), (2, 2, true)]
    {
        let opts = hebb::run::RunOptions {
            threads: Some(threads),
            trials: Some(trials),
            shard_trials,
            ..Default::default()
        };
        let e = hebb::run::run(&m, &opts)
            .expect_err("a runaway")
            .to_string();
        assert!(
            e.starts_with("population R: at 0."),
            "{threads} threads: {e}"
        );
        assert!(e.contains("t_ref = 0"), "{e}");
    }
    let mut calm =
        common::model(&RUNAWAY.replace("t_ref = 0.0\nI_e = 1.5e9", "t_ref = 2.0\nI_e = 2000.0"));
    calm.memory_limit = Some(64 << 20);
    let opts = hebb::run::RunOptions {
        threads: Some(2),
        trials: Some(3),
        ..Default::default()
    };
    let s = hebb::run::run(&calm, &opts).expect("runs");
    assert!(s.stats.spikes > 0);
}

/// A network whose smallest delay is a few ticks (delays drawn from 0 ms on) keeps two shards
/// exchanging spikes all the time: a run on several threads is warned, one on a single thread
/// or with ordinary delays is not.
#[test]
fn a_sharded_run_with_a_tiny_smallest_delay_is_warned() {
    let tiny = format!(
        "{}/fuzz/regressions/model_file/delays-uniform-from-0-ms.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let b4 = common::shipped_model("brette_b4.toml");
    // Whether `hebb ARGS` ran and was warned.
    let warned_by = |args: &[&str]| {
        let (code, _, err) = common::hebb(args);
        assert_eq!(code, 0, "{err}");
        err.contains("may run faster on one thread (--threads 1)")
    };
    let warned = |model: &str, threads: &str| {
        warned_by(&[
            "run",
            model,
            "--no-output",
            "--duration",
            "5",
            "-t",
            threads,
        ])
    };
    assert!(warned(&tiny, "2"));
    assert!(!warned(&tiny, "1"));
    assert!(!warned(&b4, "2"));
    // A run resumed on two threads from a checkpoint of one is warned too.
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("tiny.ckpt.h5");
    let ck = ck.to_str().unwrap();
    assert!(!warned_by(&[
        "run",
        &tiny,
        "--no-output",
        "--duration",
        "2",
        "-t",
        "1",
        "--checkpoint-every",
        "1",
        "--checkpoint",
        ck,
    ]));
    assert!(!warned_by(&["resume", ck, "-t", "1"]));
    assert!(warned_by(&["resume", ck, "-t", "2"]));
}

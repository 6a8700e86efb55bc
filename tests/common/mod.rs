//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod random_net;

use hebb::engine::{Recorder, Simulation};
use hebb::ids::NeuronId;
use hebb::model::Model;
use hebb::model::build::build;
use hebb::time::Time;
use std::path::{Path, PathBuf};

/// Collects spikes and samples in memory.
#[derive(Default)]
pub struct Collect {
    pub spikes: Vec<(Time, u32)>,
    pub samples: Vec<(Time, Vec<f64>)>,
}

impl Recorder for Collect {
    fn spike(&mut self, t: Time, n: NeuronId) {
        self.spikes.push((t, n.0));
    }
    fn sample(&mut self, t: Time, _probe: usize, values: &[f64]) {
        self.samples.push((t, values.to_vec()));
    }
}

/// The text of a model: spike sources `S` (`spike_times`, a TOML list of lists, one per
/// source) wired by the edge list `edges.csv` beside the model file (weights in mV, delay
/// 1 ms) onto one `lif_delta` neuron `N` (τ = 10 ms, t_ref = 2 ms, reset to its rest `e_l`,
/// threshold `v_th`), for `duration` ms; `extra` is appended.
pub fn sources_onto_delta_neuron(
    spike_times: &str,
    sources: usize,
    e_l: f64,
    v_th: f64,
    duration: f64,
    extra: &str,
) -> String {
    format!(
        r#"
[simulation]
duration = {duration:?}
[[population]]
name = "S"
size = {sources}
model = "spike_source"
spike_times = {spike_times}
[[population]]
name = "N"
size = 1
model = "lif_delta"
tau_m = 10.0
E_L = {e_l:?}
V_th = {v_th:?}
V_reset = {e_l:?}
t_ref = 2.0
[[projection]]
source = "S"
target = "N"
rule = {{ file = {{ path = "edges.csv" }} }}
weight = 0.0
delay = 1.0
{extra}"#
    )
}

/// Parses a model from text.
pub fn model(text: &str) -> Model {
    Model::parse(text, Path::new("test.toml")).expect("test model parses")
}

/// Runs a model for its whole duration and returns the sorted spikes and the samples.
pub fn simulate(
    m: &Model,
    seed: Option<u64>,
    scheduler: Option<hebb::engine::queue::SchedulerKind>,
) -> Collect {
    let net = build(m, seed, scheduler).expect("test model builds");
    let stop = net.warmup + net.duration;
    let mut sim = Simulation::new(net.blueprint);
    let mut c = Collect::default();
    sim.run_until(stop, &mut c);
    c.spikes.sort_unstable();
    c
}

/// Runs a model from the start until (not including) `stop` on `shards` shards (balanced;
/// one means an unsharded simulation) and returns the sorted spikes.
pub fn spikes_until(m: &Model, stop: Time, shards: usize) -> Vec<(Time, u32)> {
    use hebb::engine::partition::Placement;
    use hebb::engine::shard::ShardedSimulation;
    let net = build(m, None, None).expect("test model builds");
    let mut c = Collect::default();
    if shards == 1 {
        Simulation::new(net.blueprint).run_until(stop, &mut c);
    } else {
        let part = net.blueprint.partition(Placement::Balanced, shards);
        ShardedSimulation::new(net.blueprint, &part).run_until(stop, &mut c);
    }
    c.spikes.sort_unstable();
    c.spikes
}

/// Mean over neurons with >= 3 spikes of the CV of their inter-spike intervals.
pub fn mean_cv(spikes: &[(Time, u32)], n: usize, from: Time) -> f64 {
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); n];
    for &(t, i) in spikes {
        if t >= from {
            per[i as usize].push(t.as_ms());
        }
    }
    let cvs: Vec<f64> = per
        .iter()
        .filter_map(|ts| hebb::analysis::cv_isi(ts))
        .collect();
    cvs.iter().sum::<f64>() / cvs.len() as f64
}

/// Runs a model on `shards` shards placed by `part` (or balanced) and returns what
/// [`simulate`] returns, plus the shards' counters.
pub fn simulate_sharded(
    m: &Model,
    scheduler: Option<hebb::engine::queue::SchedulerKind>,
    shards: usize,
    owner: Option<Vec<u16>>,
) -> (Collect, Vec<hebb::engine::shard::ShardStats>) {
    use hebb::engine::partition::{Partition, Placement};
    use hebb::engine::shard::ShardedSimulation;
    let net = build(m, None, scheduler).expect("test model builds");
    let stop = net.warmup + net.duration;
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let part = match owner {
        Some(o) => Partition::from_owner(&sizes, o, shards),
        None => Partition::new(
            Placement::Balanced,
            &sizes,
            &net.blueprint.in_degrees(),
            shards,
        ),
    };
    let mut sim = ShardedSimulation::new(net.blueprint, &part);
    let mut c = Collect::default();
    // In two pieces: a run may stop and go on anywhere.
    sim.run_until(Time(stop.0 / 3), &mut c);
    sim.run_until(stop, &mut c);
    c.spikes.sort_unstable();
    (c, sim.shard_stats())
}

/// Per plastic projection, its synapses as `(source, target, weight)`.
pub type PlasticWeights = Vec<Vec<(u32, u32, f32)>>;

/// Samples as bits, for exact comparison.
pub fn sample_bits(c: &Collect) -> Vec<u64> {
    c.samples
        .iter()
        .flat_map(|(t, v)| std::iter::once(t.0).chain(v.iter().map(|f| f.to_bits())))
        .collect()
}

/// A file of the repository's `connectomes/` folder.
pub fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("connectomes")
        .join(name)
}

/// A model file of the repository's `models/` folder, as a path argument for `hebb`.
pub fn shipped_model(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs the `hebb` binary; returns the exit code, stdout and stderr (and fails on a panic).
pub fn hebb(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hebb"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "no panic: {err}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
    )
}

/// A run of `m` cut at `cut`: simulated on `before` shards up to `cut`, saved, loaded into a
/// freshly built network on `after` shards (1 = one simulation) and run to the end. Returns
/// the sorted spikes, the samples and every plastic projection's weights at the end.
pub fn simulate_resumed(
    m: &Model,
    cut: Time,
    before: usize,
    after: usize,
) -> (Collect, PlasticWeights) {
    use hebb::engine::partition::{Partition, Placement};
    use hebb::engine::shard::ShardedSimulation;
    let parts = |net: &hebb::model::build::Network, shards: usize| {
        let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
        Partition::new(
            Placement::RoundRobin,
            &sizes,
            &net.blueprint.in_degrees(),
            shards,
        )
    };
    let mut c = Collect::default();
    let net = build(m, None, None).expect("test model builds");
    let stop = net.warmup + net.duration;
    let state = if before == 1 {
        let mut sim = Simulation::new(net.blueprint);
        sim.run_until(cut, &mut c);
        sim.save().expect("saves")
    } else {
        let part = parts(&net, before);
        let mut sim = ShardedSimulation::new(net.blueprint, &part);
        sim.run_until(cut, &mut c);
        sim.save().expect("saves")
    };
    let net = build(m, None, None).expect("test model builds");
    let weights = if after == 1 {
        let mut sim = Simulation::load(net.blueprint, &state).expect("loads");
        sim.run_until(stop, &mut c);
        (0..sim.n_plastic())
            .map(|q| sim.plastic_weights(q))
            .collect()
    } else {
        let part = parts(&net, after);
        let mut sim = ShardedSimulation::load(net.blueprint, &part, &state).expect("loads");
        sim.run_until(stop, &mut c);
        (0..sim.n_plastic())
            .map(|q| sim.plastic_weights(q))
            .collect()
    };
    c.spikes.sort_unstable();
    (c, weights)
}

/// The straight run to compare [`simulate_resumed`] with: spikes, samples, weights.
pub fn simulate_straight(m: &Model) -> (Collect, PlasticWeights) {
    let net = build(m, None, None).expect("test model builds");
    let stop = net.warmup + net.duration;
    let mut sim = Simulation::new(net.blueprint);
    let mut c = Collect::default();
    sim.run_until(stop, &mut c);
    c.spikes.sort_unstable();
    let w = (0..sim.n_plastic())
        .map(|q| sim.plastic_weights(q))
        .collect();
    (c, w)
}

/// Asserts that cutting `m`'s run at `cut` (ms) and resuming gives the straight run bit for
/// bit, for shard counts before → after in `splits`.
pub fn assert_resumes(m: &Model, cut_ms: f64, splits: &[(usize, usize)]) {
    let (one, w) = simulate_straight(m);
    assert!(!one.spikes.is_empty(), "the test network spikes");
    for &(before, after) in splits {
        let (r, rw) = simulate_resumed(m, Time::from_ms(cut_ms).unwrap(), before, after);
        assert_eq!(one.spikes, r.spikes, "spikes, {before} → {after} shards");
        assert_eq!(
            sample_bits(&one),
            sample_bits(&r),
            "samples, {before} → {after} shards"
        );
        assert_eq!(w.len(), rw.len().max(w.len()), "plastic projections");
        for (q, x) in rw.iter().enumerate() {
            assert!(
                x.iter()
                    .map(|s| (s.0, s.1, s.2.to_bits()))
                    .eq(w[q].iter().map(|s| (s.0, s.1, s.2.to_bits()))),
                "weights of projection {q}, {before} → {after} shards"
            );
        }
    }
}

/// A reduced XOR network (spec §5 with N = `n`, p = `p`): the shipped model's structure,
/// with BDSP on (`on`) or off from the start.
pub fn xor(n: u32, p: f64, on: bool, ms: f64) -> String {
    let mut s = format!("[simulation]\nduration = {ms}\nresolution = 0.1\nseed = 7\n");
    for (pop, keys) in [
        ("in1", "I_e = 150.0"),
        ("in2", "I_e = -350.0"),
        ("hid1", ""),
        ("hid2", "I_dend = 500.0"),
        ("out", "I_dend = 400.0"),
    ] {
        s +=
            &format!("[[population]]\nname = \"{pop}\"\nmodel = \"burst2c\"\nsize = {n}\n{keys}\n");
    }
    for (pop, rate, ws, wi) in [
        ("in1", 500.0, 0.35, 0.35),
        ("in2", 500.0, 0.35, 0.35),
        ("hid1", 150.0, 0.385, 0.49),
        ("hid2", 150.0, 0.385, 0.49),
        ("out", 150.0, 0.35, 0.35),
    ] {
        for (comp, rec, r, w) in [
            ("soma", "excitatory", rate, ws),
            ("soma", "inhibitory", rate, wi),
            ("dendrite", "excitatory", 500.0, 0.05),
            ("dendrite", "inhibitory", 500.0, 0.05),
        ] {
            s += &format!(
                "[[stimulus]]\ntype = \"poisson\"\ntarget = \"{pop}\"\nrate = {r}\nweight = {w}\n\
                 compartment = \"{comp}\"\nreceptor = \"{rec}\"\n"
            );
        }
    }
    let proj = |src: &str, tgt: &str, w: f64, comp: &str, rec: &str, tr: &str, eta: Option<f64>| {
        let mut t = format!(
            "[[projection]]\nsource = \"{src}\"\ntarget = \"{tgt}\"\n\
             rule = {{ pairwise_bernoulli = {{ p = {p} }} }}\nweight = {w}\ndelay = 0.1\n\
             compartment = \"{comp}\"\nreceptor = \"{rec}\"\ntransmit = \"{tr}\"\n"
        );
        if let Some(eta) = eta {
            t += &format!(
                "plasticity = {{ rule = \"bdsp\", eta = {eta}, e_max = 10.0, e_min = 2.0, on = {on} }}\n"
            );
        }
        t
    };
    for i in ["in1", "in2"] {
        for h in ["hid1", "hid2"] {
            s += &proj(i, h, 0.234, "soma", "excitatory", "events", Some(8e-3));
            s += &proj(i, h, 0.25, "soma", "inhibitory", "events", None);
        }
    }
    for h in ["hid1", "hid2"] {
        s += &proj(h, "out", 0.234, "soma", "excitatory", "events", Some(4e-3));
        s += &proj(h, "out", 0.25, "soma", "inhibitory", "events", None);
    }
    for (h, w_exc, w_inh) in [("hid1", 0.26, 0.06), ("hid2", 0.026, 0.27)] {
        s += &proj("out", h, w_exc, "dendrite", "excitatory", "bursts", None);
        s += &proj("out", h, w_inh, "dendrite", "inhibitory", "bursts", None);
    }
    s
}

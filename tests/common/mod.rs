//! Helpers shared by the integration tests.
#![allow(dead_code)]

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

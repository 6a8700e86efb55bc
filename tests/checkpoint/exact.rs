//! Checkpoints of the LIF models, exact and on the grid: a small recurrent network with
//! Poisson input (onto the synapses and onto the membrane), a step current, listed arrivals
//! and a state probe, cut on a window boundary, inside a window, on an epoch boundary and
//! while neurons are refractory, saved and loaded on other numbers of shards; and random
//! networks cut at random times.

use crate::common::random_net::{any_kind, links, network_with};
use crate::common::{self, simulate_resumed, simulate_straight};
use hebb::time::Time;
use proptest::prelude::*;
use std::fmt::Write;

/// Shard counts before → after the cut.
const SPLITS: &[(usize, usize)] = &[(1, 1), (1, 3), (2, 1), (3, 2)];

/// Refractory period of every test model (ms).
const T_REF: f64 = 3.0;

/// The neuron parameters of `E` and `I`, and the weights in the model's units: recurrent
/// excitation and inhibition, Poisson input, listed input.
struct Neuron {
    w_exc: f64,
    w_inh: f64,
    poisson: (f64, f64),
    listed: f64,
    /// Step current (pA).
    current: f64,
    /// A Poisson input onto the membrane potential too (`lif_exp`).
    jumps: bool,
}

fn lif_delta(update: &str) -> (String, Neuron) {
    // τ_m = 5 ms: epochs of 80 ms, so the runs rebase.
    let params = format!(
        "model = \"lif_delta\"\nupdate = \"{update}\"\ntau_m = 5.0\nC_m = 250.0\nE_L = 0.0\n\
         V_th = 20.0\nV_reset = 10.0\nt_ref = {T_REF}\nrefractory_input = \"accumulate\"\n\
         V_m = {{ uniform = [0.0, 20.0] }}\n"
    );
    (
        params,
        Neuron {
            w_exc: 1.0,
            w_inh: -3.0,
            poisson: (6000.0, 0.6),
            listed: 12.0,
            current: 400.0,
            jumps: false,
        },
    )
}

fn lif_exp(update: &str) -> (String, Neuron) {
    // On the grid, the whole-fly-brain variant: one current, reset at a spike, input
    // discarded while refractory.
    let syn = if update == "grid" {
        "tau_syn_ex = 2.0\ntau_syn_in = 2.0\nreset_currents = true\nrefractory_input = \"discard\"\n"
    } else {
        "tau_syn_ex = 0.5\ntau_syn_in = 3.0\n"
    };
    let params = format!(
        "model = \"lif_exp\"\nupdate = \"{update}\"\ntau_m = 10.0\nC_m = 250.0\nE_L = -65.0\n\
         V_th = -50.0\nV_reset = -65.0\nt_ref = {T_REF}\n{syn}V_m = {{ uniform = [-65.0, -50.0] }}\n"
    );
    (
        params,
        Neuron {
            w_exc: 300.0,
            w_inh: -900.0,
            poisson: (8000.0, 320.0),
            listed: 4000.0,
            current: 300.0,
            jumps: true,
        },
    )
}

/// The test network of one model: 40 excitatory neurons (30 with Poisson input, 10 with
/// listed input from `csv`), 12 inhibitory ones, recurrent projections with delays of
/// 1–2.5 ms (windows of 1 ms), 6 spike sources onto `E`, a step current into `E`, a probe
/// of 6 neurons of `E`.
fn net(params: &str, n: &Neuron, csv: &std::path::Path) -> String {
    let mut s = String::from(
        "[simulation]\nduration = 110.0\nwarmup = 10.0\nseed = 17\nresolution = 0.1\n",
    );
    for (name, size) in [("E", 40), ("I", 12)] {
        write!(
            s,
            "[[population]]\nname = \"{name}\"\nsize = {size}\n{params}"
        )
        .unwrap();
    }
    // Sources spiking off the grid: their input to grid populations waits for the next step.
    let lists: Vec<String> = (0..6)
        .map(|k| {
            // Spikes arriving just before the cuts at 45.15 and 57.3456 ms, and a train.
            let mut times: Vec<f64> = vec![44.11 + 0.005 * k as f64, 56.31 + 0.005 * k as f64];
            times.extend((0..330).map(|j| 0.5 + 0.0123 * k as f64 + 0.331 * j as f64));
            times.sort_by(f64::total_cmp);
            times.dedup();
            let times: Vec<String> = times.iter().map(|t| format!("{t:.4}")).collect();
            format!("[{}]", times.join(", "))
        })
        .collect();
    write!(
        s,
        "[[population]]\nname = \"S\"\nsize = 6\nmodel = \"spike_source\"\nspike_times = [{}]\n\
         [[projection]]\nsource = \"S\"\ntarget = \"E\"\n\
         rule = {{ pairwise_bernoulli = {{ p = 0.3 }} }}\nweight = {}\ndelay = 1.0\n",
        lists.join(", "),
        n.w_exc * 0.5
    )
    .unwrap();
    for (a, b, p, w) in [
        ("E", "E", 0.2, n.w_exc),
        ("E", "I", 0.3, n.w_exc),
        ("I", "E", 0.3, n.w_inh),
        ("I", "I", 0.2, n.w_inh),
    ] {
        write!(
            s,
            "[[projection]]\nsource = \"{a}\"\ntarget = \"{b}\"\n\
             rule = {{ pairwise_bernoulli = {{ p = {p} }} }}\n\
             weight = {{ normal = {{ mean = {w}, std = {} }} }}\ndelay = {{ uniform = [1.0, 2.5] }}\n",
            w.abs() * 0.3
        )
        .unwrap();
    }
    let (rate, w) = n.poisson;
    let poisson: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    write!(
        s,
        "[[stimulus]]\ntype = \"poisson\"\ntarget = \"E\"\nneurons = {{ indices = [{}] }}\n\
         rate = {rate}\nweight = {w}\n\
         [[stimulus]]\ntype = \"poisson\"\ntarget = \"I\"\nrate = {rate}\nweight = {w}\n\
         [[stimulus]]\ntype = \"spike_times\"\ntarget = \"E\"\nfile = \"{}\"\nweight = {}\n\
         [[stimulus]]\ntype = \"step_current\"\ntarget = \"E\"\ntimes = [30.0, 70.0]\n\
         amplitudes = [{}, 0.0]\n",
        poisson.join(", "),
        csv.display(),
        n.listed,
        n.current
    )
    .unwrap();
    if n.jumps {
        s += "[[stimulus]]\ntype = \"poisson\"\ntarget = \"I\"\ntarget_var = \"V_m\"\n\
              rate = 400.0\nweight = 3.0\n";
    }
    let vars = if params.contains("lif_exp") {
        "[\"V_m\", \"I_syn_ex\"]"
    } else {
        "[\"V_m\"]"
    };
    write!(
        s,
        "[[record.state]]\npopulation = \"E\"\nneurons = [0, 5, 31, 33, 38, 39]\n\
         variables = {vars}\ninterval = 0.7\n"
    )
    .unwrap();
    s
}

/// Listed arrivals for neurons 30–39 of `E`: a train each, from 2 ms to the end.
fn listed_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("listed.csv");
    let mut text = String::from("neuron,time_ms\n");
    for i in 30..40 {
        let mut t = 2.0 + 0.37 * (i - 30) as f64;
        while t < 120.0 {
            writeln!(text, "{i},{t:.4}").unwrap();
            t += 3.1 + 0.13 * (i - 30) as f64;
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Resumes `m` cut at each of `cuts` (ms) on every split of [`SPLITS`], after checking that
/// the network is busy around the cuts and that some neuron is refractory at the last cut.
fn check(m: &hebb::model::Model, cuts: &[f64]) {
    let (one, _) = simulate_straight(m);
    let n = one.spikes.len();
    assert!(n > 400, "the network spikes: {n} spikes");
    for &cut in cuts {
        let t = Time::from_ms(cut).unwrap();
        let after = one.spikes.iter().filter(|s| s.0 >= t).count();
        assert!(after > 100, "cut at {cut} ms: {after} spikes after it");
    }
    let last = Time::from_ms(*cuts.last().unwrap()).unwrap();
    let refractory = one
        .spikes
        .iter()
        .filter(|s| s.0 < last && last < s.0 + Time::from_ms(T_REF).unwrap())
        .count();
    assert!(refractory > 0, "neurons refractory at the last cut");
    for &cut in cuts {
        common::assert_resumes(m, cut, SPLITS);
    }
}

/// A cut 1.23 ms after a spike of the straight run between 60 and 65 ms: that neuron is
/// refractory then.
fn refractory_cut(m: &hebb::model::Model) -> f64 {
    let (one, _) = simulate_straight(m);
    let s = one
        .spikes
        .iter()
        .find(|s| s.0 >= Time::from_ms(60.0).unwrap())
        .expect("a spike after 60 ms");
    s.0.as_ms() + 1.23
}

fn run_model(make: fn(&str) -> (String, Neuron), update: &str, extra_cuts: &[f64]) {
    let dir = tempfile::tempdir().unwrap();
    let csv = listed_csv(dir.path());
    let (params, n) = make(update);
    let m = common::model(&net(&params, &n, &csv));
    // A window boundary (1 ms windows), a cut inside a window, the model's own, and one
    // while a neuron is refractory.
    let mut cuts = vec![40.0, 57.3456];
    cuts.extend_from_slice(extra_cuts);
    cuts.push(refractory_cut(&m));
    check(&m, &cuts);
}

#[test]
fn lif_delta_exact_resumes() {
    // Epochs of 80 ms: a cut on the boundary (the rebase not done yet) and one after it.
    run_model(lif_delta, "exact", &[80.0, 95.05]);
}

#[test]
fn lif_delta_grid_resumes() {
    // A cut on a grid step (its step not done yet) and one just after it.
    run_model(lif_delta, "grid", &[45.1, 45.1000001, 45.15]);
}

#[test]
fn lif_exp_exact_resumes() {
    run_model(lif_exp, "exact", &[]);
}

#[test]
fn lif_exp_grid_resumes() {
    // Spike input pending for the coming step at every cut inside a step.
    run_model(lif_exp, "grid", &[45.1, 45.15]);
}

/// A checkpoint that does not fit the model is an error naming the column, not a panic.
#[test]
fn a_checkpoint_that_does_not_fit_is_an_error() {
    use hebb::engine::Simulation;
    use hebb::engine::state::Values;
    let dir = tempfile::tempdir().unwrap();
    let csv = listed_csv(dir.path());
    for (make, update, column) in [
        (
            lif_delta as fn(&str) -> (String, Neuron),
            "exact",
            "refr_end",
        ),
        (lif_delta, "grid", "refr_steps"),
        (lif_exp, "exact", "refr_end"),
        (lif_exp, "grid", "last_spike_step"),
    ] {
        let (params, n) = make(update);
        let m = common::model(&net(&params, &n, &csv));
        let build = || hebb::model::build::build(&m, None, None).unwrap().blueprint;
        let mut sim = Simulation::new(build());
        sim.run_until(
            Time::from_ms(30.0).unwrap(),
            &mut common::Collect::default(),
        );
        let st = sim.save().unwrap();
        // A column of the wrong type.
        let mut bad = st.clone();
        let c = bad.pops[0].neurons.cols.get_mut(column).unwrap();
        c.values = Values::U8(vec![0; c.values.len()]);
        let err = Simulation::load(build(), &bad).err().expect("an error");
        assert!(err.column.ends_with(column), "{update}: {err}");
        // A missing column.
        let mut bad = st.clone();
        bad.pops[1].neurons.cols.remove(column);
        let err = Simulation::load(build(), &bad).err().expect("an error");
        assert!(err.column.ends_with(column), "{update}: {err}");
        // An impossible value.
        let mut bad = st.clone();
        let c = bad.pops[0].neurons.cols.get_mut(column).unwrap();
        match &mut c.values {
            Values::U64(v) => v[3] = u64::MAX - 1,
            Values::U32(v) => v[3] = u32::MAX,
            Values::I64(v) => v[3] = i64::MAX,
            other => panic!("{update}: {other:?}"),
        }
        let err = Simulation::load(build(), &bad).err().expect("an error");
        assert!(err.column.ends_with(column), "{update}: {err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_resume_at_any_cut(
        kinds in prop::collection::vec((any_kind(), 1usize..30), 1..4),
        links in links(),
        seed in 0u64..1000,
        cut in 0.0f64..160.0,
        before in 1usize..4,
        after in 1usize..4,
        stdp in any::<bool>(),
    ) {
        let m = common::model(&network_with(&kinds, &links, seed, stdp));
        let (one, w) = simulate_straight(&m);
        let (r, rw) = simulate_resumed(&m, Time::from_ms(cut).unwrap(), before, after);
        prop_assert_eq!(&one.spikes, &r.spikes, "spikes, {} → {} shards", before, after);
        prop_assert_eq!(common::sample_bits(&one), common::sample_bits(&r), "samples");
        let bits = |w: &Vec<Vec<(u32, u32, f32)>>| -> Vec<(u32, u32, u32)> {
            w.iter().flatten().map(|s| (s.0, s.1, s.2.to_bits())).collect()
        };
        prop_assert_eq!(bits(&w), bits(&rw), "plastic weights");
    }
}

/// Found by the property test: a spike in flight is classified in the shard that keeps a
/// burst detector for its neuron (a target of a plastic projection) and unclassified in the
/// other; saved from two shards it must still be resent once, not once per class.
#[test]
fn a_spike_classified_in_one_shard_only_is_resent_once() {
    use crate::common::random_net::Kind;
    let kinds = [(Kind::DeltaExact, 1), (Kind::DeltaExact, 10)];
    let links = [
        (1, 1, 0.19861401338011375, 0.0, 0.1),
        (2, 1, 0.32697943912043587, 1.3073296102044833, 0.1),
        (0, 0, 0.05, 0.0, 0.1),
    ];
    let m = common::model(&network_with(&kinds, &links, 707, true));
    common::assert_resumes(&m, 126.06849583688141, &[(2, 1), (2, 2), (3, 1)]);
}

//! Checkpoints of grid models: the BDSP neurons (`burst2c` models A and B, AdEx PV and SOM)
//! with Poisson background per block, currents into soma and dendrite, conductance synapses
//! and state probes, cut anywhere (on and off the step grid and the window, while neurons are
//! refractory or bursting) and resumed on any number of shards.

use crate::common::{Collect, model, simulate_resumed, simulate_straight};
use hebb::engine::Simulation;
use hebb::engine::checkpoint::EngineState;
use hebb::engine::partition::{Partition, Placement};
use hebb::engine::shard::ShardedSimulation;
use hebb::engine::state::Values;
use hebb::model::Model;
use hebb::model::build::build;
use hebb::time::Time;

const SPLITS: &[(usize, usize)] = &[(1, 1), (1, 3), (2, 1), (3, 2)];

/// The samples as bits, in an order that does not depend on the shards: a sharded run
/// reports the samples of several probes at one time in another order than one simulation
/// (and `Collect` keeps no probe index), so they are compared sorted by time and values.
fn samples(c: &Collect) -> Vec<(u64, Vec<u64>)> {
    let mut v: Vec<(u64, Vec<u64>)> = c
        .samples
        .iter()
        .map(|(t, x)| (t.0, x.iter().map(|f| f.to_bits()).collect()))
        .collect();
    v.sort_unstable();
    v
}

/// `common::assert_resumes` for models with several probes (no plastic weights here): the
/// run cut at `cut_ms`, saved on `before` shards and loaded on `after`, gives the straight
/// run's spikes and samples bit for bit.
fn assert_resumes(m: &Model, cut_ms: f64, splits: &[(usize, usize)]) {
    let (one, _) = simulate_straight(m);
    assert!(!one.spikes.is_empty(), "the test network spikes");
    let want = samples(&one);
    assert!(!want.is_empty(), "the test network has probes");
    let cut = Time::from_ms(cut_ms).unwrap();
    for &(before, after) in splits {
        let (r, _) = simulate_resumed(m, cut, before, after);
        assert!(
            one.spikes == r.spikes,
            "spikes, cut at {cut_ms} ms, {before} → {after} shards"
        );
        assert!(
            want == samples(&r),
            "samples, cut at {cut_ms} ms, {before} → {after} shards"
        );
    }
}

/// A Poisson source onto `target`, in `compartment` (burst2c) through `receptor`, optionally
/// onto some neurons only.
fn poisson(target: &str, rate: f64, weight: f64, comp: Option<&str>, rec: &str) -> String {
    let comp = comp.map_or(String::new(), |c| format!("compartment = \"{c}\"\n"));
    format!(
        "[[stimulus]]\ntype = \"poisson\"\ntarget = \"{target}\"\nrate = {rate}\n\
         weight = {weight}\n{comp}receptor = \"{rec}\"\n"
    )
}

fn projection(
    src: &str,
    tgt: &str,
    p: f64,
    w: f64,
    delay: f64,
    comp: Option<&str>,
    rec: &str,
) -> String {
    let comp = comp.map_or(String::new(), |c| format!("compartment = \"{c}\"\n"));
    format!(
        "[[projection]]\nsource = \"{src}\"\ntarget = \"{tgt}\"\n\
         rule = {{ pairwise_bernoulli = {{ p = {p} }} }}\nweight = {w}\ndelay = {delay}\n\
         {comp}receptor = \"{rec}\"\n"
    )
}

/// Model A (`A`) and model B (`B`) pyramidal neurons, PV and SOM interneurons, `n` pyramidal
/// neurons each: Poisson background onto soma and dendrite (several sources per population;
/// a fast one onto A's dendrites is cut into several blocks), constant and step currents into
/// soma and dendrite, excitatory and inhibitory synapses onto both compartments with delays
/// of 0.5–1.3 ms, probes of V_m, V_d, θ and p_burst.
fn bdsp(n: u32, ms: f64) -> String {
    let m = n / 3;
    let mut s = format!(
        "[simulation]\nduration = {ms}\nresolution = 0.1\nseed = 5\n\
         [[population]]\nname = \"A\"\nmodel = \"burst2c\"\nvariant = \"a\"\nsize = {n}\nI_e = 150.0\nI_dend = 100.0\n\
         [[population]]\nname = \"B\"\nmodel = \"burst2c\"\nvariant = \"b\"\nsize = {n}\nI_dend = 50.0\n\
         [[population]]\nname = \"PV\"\nmodel = \"adex\"\ncell = \"pv\"\nsize = {m}\nI_e = 205.0\n\
         [[population]]\nname = \"SOM\"\nmodel = \"adex\"\ncell = \"som\"\nrefractory_clamp = \"rest\"\nsize = {m}\n"
    );
    for pop in ["A", "B"] {
        s += &poisson(pop, 500.0, 0.35, Some("soma"), "excitatory");
        s += &poisson(pop, 500.0, 0.35, Some("soma"), "inhibitory");
        s += &poisson(pop, 500.0, 0.05, Some("dendrite"), "excitatory");
        s += &poisson(pop, 500.0, 0.05, Some("dendrite"), "inhibitory");
    }
    // 0.5 arrivals per neuron and step: several blocks.
    s += &poisson("A", 5000.0, 0.01, Some("dendrite"), "excitatory");
    s += &poisson("PV", 500.0, 0.75, None, "excitatory");
    s += &poisson("PV", 500.0, 1.125, None, "inhibitory");
    s += &poisson("SOM", 500.0, 0.4, None, "excitatory");
    s += &poisson("SOM", 500.0, 0.5, None, "inhibitory");
    s += "[[stimulus]]\ntype = \"step_current\"\ntarget = \"B\"\ncompartment = \"soma\"\n\
          times = [20.0, 50.0, 120.0]\namplitudes = [250.0, 400.0, 150.0]\n";
    s += "[[stimulus]]\ntype = \"step_current\"\ntarget = \"A\"\ncompartment = \"dendrite\"\n\
          times = [40.0, 90.0]\namplitudes = [400.0, -100.0]\n";
    s += "[[stimulus]]\ntype = \"step_current\"\ntarget = \"SOM\"\n\
          times = [30.0, 100.0]\namplitudes = [60.0, 20.0]\n";
    s += &projection("A", "B", 0.2, 0.2, 0.5, Some("soma"), "excitatory");
    s += &projection("B", "A", 0.2, 0.3, 1.3, Some("dendrite"), "excitatory");
    s += &projection("A", "PV", 0.2, 0.3, 0.5, None, "excitatory");
    s += &projection("PV", "A", 0.2, 0.2, 0.7, Some("soma"), "inhibitory");
    s += &projection("B", "SOM", 0.2, 0.3, 0.8, None, "excitatory");
    s += &projection("SOM", "B", 0.2, 0.1, 0.5, Some("dendrite"), "inhibitory");
    s += &projection("PV", "B", 0.2, 0.1, 0.6, Some("soma"), "inhibitory");
    s += &projection("A", "A", 0.1, 0.1, 1.0, Some("dendrite"), "inhibitory");
    for (pop, vars) in [
        ("A", "\"V_m\", \"V_d\", \"theta\", \"p_burst\""),
        ("B", "\"V_m\", \"V_d\", \"theta\""),
        ("PV", "\"V_m\""),
        ("SOM", "\"V_m\""),
    ] {
        s += &format!(
            "[[record.state]]\npopulation = \"{pop}\"\ncount = 2\nvariables = [{vars}]\ninterval = 0.3\n"
        );
    }
    s
}

/// The straight run's spikes per population (A, B, PV, SOM) of [`bdsp`] with `n`.
fn spikes_per_population(m: &Model, n: u32) -> [Vec<Time>; 4] {
    let (c, _) = simulate_straight(m);
    let bounds = [n, 2 * n, 2 * n + n / 3, 2 * n + 2 * (n / 3)];
    let mut per: [Vec<Time>; 4] = Default::default();
    for &(t, g) in &c.spikes {
        let p = bounds
            .iter()
            .position(|&b| g < b)
            .expect("a neuron of the model");
        per[p].push(t);
    }
    per
}

/// Cut on the step grid and the window (50 ms, also a current change), on the grid only
/// (73.3 ms), off the grid (101.37, 150.05 ms), at the start (0) and within the first step.
#[test]
fn bdsp_network_resumes_at_any_time() {
    let n = 60;
    let m = model(&bdsp(n, 200.0));
    let per = spikes_per_population(&m, n);
    for (name, s) in ["A", "B", "PV", "SOM"].iter().zip(&per) {
        assert!(s.len() >= 20, "{name} spikes {} times", s.len());
    }
    for cut in [0.0, 0.05, 50.0, 73.3, 101.37, 150.05] {
        assert_resumes(&m, cut, SPLITS);
    }
}

/// Cut just after a spike of every population: model A refractory (20 ms) and maybe waiting
/// for its burst's second spike, model B in its bAP box (2 ms), the interneurons refractory.
#[test]
fn bdsp_network_resumes_while_refractory_and_bursting() {
    let n = 60;
    let m = model(&bdsp(n, 160.0));
    let per = spikes_per_population(&m, n);
    for (s, after) in per.iter().zip([0.15, 0.05, 0.25, 0.3]) {
        let t = s
            .iter()
            .find(|t| t.as_ms() > 60.0)
            .expect("a spike after 60 ms");
        assert_resumes(&m, t.as_ms() + after, SPLITS);
    }
}

/// One population whose Poisson sources reach some neurons only (blocks of a few neurons,
/// spread by round-robin placement over every shard, so each part holds some neurons of a
/// block) and neurons with listed arrivals (`spike_times`), which take no Poisson input.
#[test]
fn partial_blocks_and_listed_arrivals_resume() {
    let dir = std::env::temp_dir().join(format!("hebb-ckpt-grid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("listed.csv");
    let mut rows = String::new();
    for i in 0..4u32 {
        for k in 0..60u32 {
            rows += &format!("{i},{}\n", 1.0 + 1.7 * f64::from(k) + 0.31 * f64::from(i));
        }
    }
    std::fs::write(&csv, rows).unwrap();
    let mut s = "[simulation]\nduration = 120.0\nresolution = 0.1\nseed = 3\n\
                 [[population]]\nname = \"L\"\nmodel = \"burst2c\"\nvariant = \"a\"\nsize = 14\n\
                 I_e = 150.0\n"
        .to_string();
    s += &format!(
        "[[stimulus]]\ntype = \"spike_times\"\ntarget = \"L\"\nfile = \"{}\"\nweight = 0.6\n",
        csv.display()
    );
    let some = |idx: &str, rate: f64, w: f64, comp: &str, rec: &str| {
        format!(
            "[[stimulus]]\ntype = \"poisson\"\ntarget = \"L\"\nneurons = {{ indices = [{idx}] }}\n\
             rate = {rate}\nweight = {w}\ncompartment = \"{comp}\"\nreceptor = \"{rec}\"\n"
        )
    };
    s += &some(
        "4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
        800.0,
        0.35,
        "soma",
        "excitatory",
    );
    s += &some("5, 6, 9, 13", 700.0, 0.3, "soma", "inhibitory");
    s += &some("4, 7, 8, 10, 11", 20000.0, 0.02, "dendrite", "excitatory");
    s += "[[record.state]]\npopulation = \"L\"\nneurons = [0, 5, 7]\nvariables = [\"V_m\", \"V_d\"]\n";
    let m = model(&s);
    let (c, _) = simulate_straight(&m);
    let listed = c.spikes.iter().filter(|s| s.1 < 4).count();
    let poisson = c.spikes.len() - listed;
    assert!(listed >= 10 && poisson >= 10, "{listed} + {poisson} spikes");
    for cut in [30.0, 47.23, 88.8] {
        assert_resumes(&m, cut, &[(1, 1), (1, 3), (3, 1), (2, 3), (3, 2)]);
    }
    // The drive's columns (listed arrivals consumed) do not depend on which parts hold a
    // listed neuron.
    let cut = Time::from_ms(47.23).unwrap();
    let one = state_at(&m, cut, 1);
    assert!(one.pops[0].neurons.cols.contains_key("drive.pos"));
    for shards in [2, 3] {
        assert!(
            state_at(&m, cut, shards).pops == one.pops,
            "{shards} shards"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The state at `cut` of `m` run on `shards` shards (1 = one simulation), placed round-robin.
fn state_at(m: &Model, cut: Time, shards: usize) -> EngineState {
    let net = build(m, None, None).unwrap();
    let mut c = Collect::default();
    if shards == 1 {
        let mut sim = Simulation::new(net.blueprint);
        sim.run_until(cut, &mut c);
        return sim.save().expect("saves");
    }
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let part = Partition::new(
        Placement::RoundRobin,
        &sizes,
        &net.blueprint.in_degrees(),
        shards,
    );
    let mut sim = ShardedSimulation::new(net.blueprint, &part);
    sim.run_until(cut, &mut c);
    sim.save().expect("saves")
}

/// The state at a cut saved from one simulation or from shards: the same populations' state
/// (per-neuron rows, background blocks by stream), so a checkpoint does not depend on the
/// split.
#[test]
fn grid_state_does_not_depend_on_the_split() {
    let n = 60;
    let m = model(&bdsp(n, 100.0));
    let cut = Time::from_ms(63.35).unwrap();
    let one = state_at(&m, cut, 1);
    for shards in [2, 3] {
        let st = state_at(&m, cut, shards);
        assert!(st.pops == one.pops, "populations' state on {shards} shards");
    }
    // A: four sources of one block each and the fast one in several blocks.
    let a = &one.pops[0];
    assert!(a.shared.rows >= 6, "{} blocks", a.shared.rows);
    assert_eq!(a.neurons.rows, n as usize);
    match &a.neurons.cols["steps"].values {
        Values::U64(v) => assert!(v.iter().all(|&s| s == 633), "{v:?}"),
        v => panic!("steps as {}", v.type_name()),
    }
}

/// A checkpoint that does not fit the model is refused with the column named, and loads
/// nothing: a missing state column, a missing or foreign background block, a column of another
/// type, a step counter of another grid.
#[test]
fn a_bad_grid_checkpoint_is_refused_by_column() {
    let m = model(&bdsp(30, 50.0));
    let net = build(&m, None, None).unwrap();
    let mut sim = Simulation::new(net.blueprint);
    sim.run_until(Time::from_ms(20.0).unwrap(), &mut Collect::default());
    let good = sim.save().expect("saves");
    let refused = |st: &EngineState| -> String {
        let net = build(&m, None, None).unwrap();
        match Simulation::load(net.blueprint, st) {
            Ok(_) => panic!("a bad checkpoint loads"),
            Err(e) => e.to_string(),
        }
    };
    let mut st = good.clone();
    st.pops[0].neurons.cols.remove("V_d");
    assert!(refused(&st).contains("V_d"), "{}", refused(&st));

    let mut st = good.clone();
    st.pops[2].neurons.cols.remove("w");
    assert!(refused(&st).contains("populations/2/w"), "{}", refused(&st));

    let mut st = good.clone();
    let c = st.pops[1].neurons.cols.get_mut("refr").unwrap();
    c.values = Values::F64(vec![0.0; 30]);
    assert!(refused(&st).contains("refr"), "{}", refused(&st));

    let mut st = good.clone();
    let c = st.pops[3].neurons.cols.get_mut("steps").unwrap();
    c.values = Values::U64(vec![7; 10]);
    assert!(refused(&st).contains("steps"), "{}", refused(&st));

    let mut st = good.clone();
    st.pops[0].neurons.cols.remove("rng");
    assert!(refused(&st).contains("rng"), "{}", refused(&st));

    let mut st = good.clone();
    let sh = &mut st.pops[0].shared;
    let keep: Vec<u32> = (1..sh.rows as u32).collect();
    *sh = sh.pick(&keep);
    assert!(refused(&st).contains("background.rng"), "{}", refused(&st));

    let mut st = good.clone();
    st.pops[0].shared.keys[0] ^= 1 << 20;
    assert!(refused(&st).contains("background.rng"), "{}", refused(&st));

    let mut st = good;
    st.pops[2].shared.cols.clear();
    assert!(refused(&st).contains("background.rng"), "{}", refused(&st));
}

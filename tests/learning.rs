//! Learning in the engine: `burst2c` populations with compartment-targeted input, event- and
//! burst-only transmission, BDSP projections (weights bit-identical for any shard count,
//! changing only while plasticity is on), and `[record.weights]` output.

mod common;

use common::{Collect, model, xor};
use hebb::engine::Simulation;
use hebb::engine::partition::Placement;
use hebb::engine::shard::ShardedSimulation;
use hebb::model::build::build;
use hebb::time::Time;

/// `(source, target, weight)` of every synapse of each plastic projection.
type Weights = Vec<Vec<(u32, u32, f32)>>;

/// Spikes and every plastic projection's weights after running `text` on `threads` shards
/// (1 = one simulation) placed by `placement` (balanced: the network's own placement, with
/// its grid populations cut into contiguous ranges).
fn run(text: &str, threads: usize, placement: Placement) -> (Vec<(Time, u32)>, Weights) {
    let m = model(text);
    let net = build(&m, None, None).expect("builds");
    let stop = net.warmup + net.duration;
    let n_plastic = net.blueprint.plastic.len();
    let mut rec = Collect::default();
    let weights = if threads == 1 {
        let mut sim = Simulation::new(net.blueprint);
        sim.run_until(stop, &mut rec);
        (0..n_plastic).map(|q| sim.plastic_weights(q)).collect()
    } else {
        let part = net.blueprint.partition(placement, threads);
        if placement == Placement::Balanced {
            // Every population (all with Poisson background) in contiguous ranges: the owner
            // goes down only where a population begins.
            let falls = part.owner.windows(2).filter(|w| w[0] > w[1]).count();
            assert!(falls < net.populations.len(), "{falls} falls");
        }
        let mut sim = ShardedSimulation::new(net.blueprint, &part);
        sim.run_until(stop, &mut rec);
        (0..n_plastic).map(|q| sim.plastic_weights(q)).collect()
    };
    rec.spikes.sort_unstable();
    (rec.spikes, weights)
}

/// Determinism contract for learning: the same spikes and the same learned weights, bit for
/// bit, on 1, 2, 3 and 4 shards, neurons dealt out or in contiguous ranges; and the weights
/// did change. In both precisions of the neurons' state.
#[test]
fn learned_weights_are_bit_identical_for_any_shard_count() {
    let double = xor(30, 0.5, true, 400.0);
    let single = double.replace(
        "model = \"burst2c\"\n",
        "model = \"burst2c\"\nprecision = \"single\"\n",
    );
    assert_eq!(single.matches("precision").count(), 5);
    shard_count_changes_nothing(&double);
    shard_count_changes_nothing(&single);
}

/// Runs `text` on 1 to 4 shards and checks that spikes and weights are the same.
fn shard_count_changes_nothing(text: &str) {
    let (spikes, weights) = run(text, 1, Placement::RoundRobin);
    assert!(
        spikes.len() > 150,
        "the network is active: {}",
        spikes.len()
    );
    assert_eq!(weights.len(), 6, "six plastic projections");
    let changed = weights
        .iter()
        .flatten()
        .filter(|s| s.2.to_bits() != 0.234f32.to_bits())
        .count();
    assert!(changed > 500, "BDSP changed {changed} weights");
    let splits = [2, 3, 4].map(|t| (t, Placement::RoundRobin));
    for (threads, placement) in splits
        .into_iter()
        .chain([(2, Placement::Balanced), (3, Placement::Balanced)])
    {
        let (s, w) = run(text, threads, placement);
        assert_eq!(s, spikes, "{threads} shards ({placement:?}): spikes differ");
        for (q, (a, b)) in weights.iter().zip(&w).enumerate() {
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                assert_eq!(
                    (x.0, x.1, x.2.to_bits()),
                    (y.0, y.1, y.2.to_bits()),
                    "{threads} shards ({placement:?}), projection {q}"
                );
            }
        }
    }
}

/// Spec §7 E4: weights change only while plasticity is on; the traces run all the time, so
/// switching on later gives different changes than a network that was never off.
#[test]
fn weights_change_only_while_plasticity_is_on() {
    let m = model(&xor(20, 0.5, false, 600.0));
    let net = build(&m, None, None).expect("builds");
    let mut sim = Simulation::new(net.blueprint);
    let mut rec = Collect::default();
    let initial: Vec<_> = (0..6).map(|q| sim.plastic_weights(q)).collect();
    sim.run_until(Time::from_ms(300.0).unwrap(), &mut rec);
    let now: Vec<_> = (0..6).map(|q| sim.plastic_weights(q)).collect();
    assert_eq!(now, initial, "off: weights changed");
    assert!(rec.spikes.len() > 100);
    for q in 0..6 {
        sim.set_plastic(q, true);
    }
    sim.run_until(Time::from_ms(450.0).unwrap(), &mut rec);
    let learned: Vec<_> = (0..6).map(|q| sim.plastic_weights(q)).collect();
    assert_ne!(learned, initial, "on: weights must change");
    for q in 0..6 {
        sim.set_plastic(q, false);
    }
    sim.run_until(Time::from_ms(600.0).unwrap(), &mut rec);
    let now: Vec<_> = (0..6).map(|q| sim.plastic_weights(q)).collect();
    assert_eq!(now, learned, "off again: weights changed");
    // The event averages ran while plasticity was off.
    let rates = sim.plastic_rates(4);
    assert!(rates.iter().any(|r| r.1 > 0.0), "Ē of the output neurons");
}

/// A model of one spike source `src` (spikes at `times`, ms) projecting one-to-one onto the
/// one-neuron population `tgt` (`tgt` holds its keys), with projection keys `proj` and
/// anything in `extra`, run for `ms`.
fn source_onto(ms: f64, times: &str, tgt: &str, proj: &str, extra: &str) -> String {
    format!(
        "[simulation]\nduration = {ms}\n\
         [[population]]\nname = \"src\"\nmodel = \"spike_source\"\nsize = 1\nspike_times = [[{times}]]\n\
         [[population]]\nname = \"tgt\"\nsize = 1\n{tgt}\n\
         [[projection]]\nsource = \"src\"\ntarget = \"tgt\"\nrule = \"one_to_one\"\n{proj}\n{extra}"
    )
}

/// Runs a model for its `simulation.duration`: the simulation and what it recorded.
fn run_model(text: &str) -> (Simulation, Collect) {
    let net = build(&model(text), None, None).expect("builds");
    let stop = net.warmup + net.duration;
    let mut sim = Simulation::new(net.blueprint);
    let mut c = Collect::default();
    sim.run_until(stop, &mut c);
    (sim, c)
}

/// The probe row recorded at `ms`.
fn sample_at(c: &Collect, ms: f64) -> &[f64] {
    let t = Time::from_ms(ms).unwrap();
    &c.samples
        .iter()
        .find(|s| s.0 == t)
        .expect("a sample then")
        .1
}

/// `precision = "single"` makes a burst2c population compute in `f32`: every potential it
/// reports is an `f32` value, where double precision's are not, and the two stay within a
/// microvolt of each other over 200 ms of input and spikes (0.3 µV measured).
#[test]
fn single_precision_is_what_the_population_computes_in() {
    let v_m = |precision: &str| -> Vec<f64> {
        let text = source_onto(
            200.0,
            "1.0, 30.0, 31.0, 90.0",
            &format!("model = \"burst2c\"\nV_m = -61.3\nI_e = 700.0\n{precision}"),
            "weight = 0.8\ndelay = 0.1\ncompartment = \"soma\"\nreceptor = \"excitatory\"",
            "[[record.state]]\npopulation = \"tgt\"\nvariables = [\"V_m\", \"V_d\"]\n",
        );
        let c = run_model(&text).1;
        let own = c.spikes.iter().filter(|s| s.1 == 1).count();
        assert!(own >= 2, "the neuron spikes: {own}");
        c.samples.into_iter().flat_map(|s| s.1).collect()
    };
    let (single, double) = (v_m("precision = \"single\""), v_m(""));
    assert!(single.len() > 1000 && single.len() == double.len());
    let is_f32 = |v: f64| f64::from(v as f32).to_bits() == v.to_bits();
    assert!(single.iter().all(|&v| is_f32(v)));
    let not = double.iter().filter(|&&v| !is_f32(v)).count();
    assert!(not > double.len() / 2, "{not} of {} not f32", double.len());
    let most = single
        .iter()
        .zip(&double)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(most < 1e-3, "single and double differ by up to {most} mV");
}

/// Counts synaptic events delivered by one projection of `transmit` from a spike source with
/// a doublet, a triplet and single spikes onto one burst2c neuron.
fn delivered(transmit: &str, times: &str) -> u64 {
    let text = source_onto(
        200.0,
        times,
        "model = \"burst2c\"",
        &format!("weight = 0.1\ndelay = 0.1\ntransmit = \"{transmit}\""),
        "",
    );
    run_model(&text).0.stats().synaptic_events
}

/// Spec §7 D3 in the engine: an event-transmitting synapse delivers one PSP per presynaptic
/// event, a burst-transmitting one per burst, and a plain one every spike.
#[test]
fn event_and_burst_transmission_follow_the_classes() {
    // Events at 0, 40, 100; bursts at 5, 45; 10 is a third spike (ignored).
    let times = "0.0, 5.0, 10.0, 40.0, 45.0, 100.0";
    assert_eq!(delivered("all", times), 6);
    assert_eq!(delivered("events", times), 3);
    assert_eq!(delivered("bursts", times), 2);
}

/// A somatic AMPA kick raises V_s, a dendritic one V_d only, and GABA lowers them: ports
/// reach the right conductance.
#[test]
fn compartments_and_receptors_reach_their_conductance() {
    let probe = |comp: &str, rec: &str| -> (f64, f64) {
        let text = source_onto(
            3.0,
            "1.0",
            "model = \"burst2c\"\nV_m = -70.0",
            &format!("weight = 0.5\ndelay = 0.1\ncompartment = \"{comp}\"\nreceptor = \"{rec}\""),
            "[[record.state]]\npopulation = \"tgt\"\nvariables = [\"V_m\", \"V_d\"]\n",
        );
        let c = run_model(&text).1;
        let (before, after) = (sample_at(&c, 0.5), &c.samples.last().unwrap().1);
        (after[0] - before[0], after[1] - before[1])
    };
    let (s, d) = probe("soma", "excitatory");
    assert!(s > 1.0 && d.abs() < 0.1, "soma AMPA: ΔV_s {s}, ΔV_d {d}");
    let (s, d) = probe("soma", "inhibitory");
    assert!(s < -0.1 && d.abs() < 0.1, "soma GABA: ΔV_s {s}, ΔV_d {d}");
    let (s, d) = probe("dendrite", "excitatory");
    assert!(
        d > 1.0 && s.abs() < 1e-9,
        "dendrite AMPA: ΔV_s {s}, ΔV_d {d}"
    );
    let (s, d) = probe("dendrite", "inhibitory");
    assert!(
        d < -0.1 && s.abs() < 1e-9,
        "dendrite GABA: ΔV_s {s}, ΔV_d {d}"
    );
}

/// Bad learning models get errors that name the key and the fix.
#[test]
fn bad_learning_models_name_the_problem() {
    let base = r#"
[simulation]
duration = 10.0
[[population]]
name = "a"
model = "burst2c"
size = 2
[[population]]
name = "l"
model = "lif_exp"
size = 2
tau_m = 10.0
E_L = -70.0
V_th = -50.0
V_reset = -70.0
tau_syn_ex = 2.0
tau_syn_in = 2.0
"#;
    let cases = [
        (
            "[[projection]]\nsource = \"a\"\ntarget = \"a\"\nrule = \"all_to_all\"\nweight = -0.1\ndelay = 0.1\n",
            "conductances",
        ),
        (
            "[[projection]]\nsource = \"a\"\ntarget = \"l\"\nrule = \"all_to_all\"\nweight = 1.0\ndelay = 0.1\ncompartment = \"dendrite\"\n",
            "apply to burst2c and adex targets",
        ),
        (
            "[[projection]]\nsource = \"a\"\ntarget = \"a\"\nrule = \"all_to_all\"\nweight = 0.1\ndelay = { uniform = [0.1, 0.5] }\nplasticity = { rule = \"bdsp\", eta = 0.01 }\n",
            "needs one `delay`",
        ),
        (
            "[[projection]]\nsource = \"a\"\ntarget = \"a\"\nrule = \"all_to_all\"\nweight = 2.0\ndelay = 0.1\nplasticity = { rule = \"bdsp\", eta = 0.01 }\n",
            "outside the plastic bounds",
        ),
        (
            "[[projection]]\nsource = \"a\"\ntarget = \"a\"\nrule = \"all_to_all\"\nweight = 0.1\ndelay = 0.1\nplasticity = { rule = \"bdsp\", eta = 0.01, w_min = 1.0, w_max = 0.5 }\n",
            "w_max",
        ),
        (
            "[[population]]\nname = \"b\"\nmodel = \"burst2c\"\nsize = 1\ntau_m = 10.0\n",
            "not a burst2c parameter",
        ),
        (
            "[[stimulus]]\ntype = \"poisson\"\ntarget = \"a\"\nrate = 10.0\nweight = -1.0\n",
            "conductance input",
        ),
    ];
    for (extra, want) in cases {
        let text = format!("{base}{extra}");
        let err = match hebb::model::Model::parse(&text, std::path::Path::new("bad.toml")) {
            Err(e) => e.to_string(),
            Ok(m) => match build(&m, None, None) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("accepted: {extra}"),
            },
        };
        assert!(err.contains(want), "{extra}\n→ {err}");
    }
}

/// STDP in the engine: a presynaptic spike arriving 5 ms before the postsynaptic spike
/// potentiates by λ·e^{−5/τ+}; one arriving 5 ms after depresses by λ·α·e^{−5/τ−}.
#[test]
fn stdp_pairs_in_the_engine_follow_the_window() {
    let w_after = |pre_ms: f64| -> f32 {
        // The source projects plastically onto `tgt`; a second source kicks it at 15 ms.
        let text = source_onto(
            60.0,
            &pre_ms.to_string(),
            "model = \"lif_delta\"\ntau_m = 10.0\nE_L = -70.0\nV_th = -55.0\nV_reset = -70.0",
            "weight = 0.5\ndelay = 0.1\nplasticity = { rule = \"stdp\", lambda = 0.01, \
             alpha = 1.2, tau_plus = 20.0, tau_minus = 30.0 }",
            "[[population]]\nname = \"kick\"\nmodel = \"spike_source\"\nsize = 1\n\
             spike_times = [[15.0]]\n\
             [[projection]]\nsource = \"kick\"\ntarget = \"tgt\"\nrule = \"one_to_one\"\n\
             weight = 100.0\ndelay = 0.1\n",
        );
        let (sim, c) = run_model(&text);
        assert!(
            c.spikes
                .iter()
                .any(|&(t, n)| n == 1 && t == Time::from_ms(15.1).unwrap()),
            "the kick makes the target spike at 15.1 ms: {:?}",
            c.spikes
        );
        sim.plastic_weights(0)[0].2
    };
    let up = f64::from(w_after(10.0)) - 0.5;
    let want = 0.01 * (-5.0f64 / 20.0).exp();
    assert!(
        (up - want).abs() < 1e-6,
        "pre 5 ms before: Δw {up}, want {want}"
    );
    let down = f64::from(w_after(20.0)) - 0.5;
    let want = -0.01 * 1.2 * (-5.0f64 / 30.0).exp();
    assert!(
        (down - want).abs() < 1e-6,
        "pre 5 ms after: Δw {down}, want {want}"
    );
}

/// Spec §7 E3, feedback sign (plasticity off): current into the output dendrites (more output
/// bursts) raises hid1's burst probability and lowers hid2's, while the hidden event rates
/// stay nearly unchanged.
#[test]
fn e3_output_bursts_raise_hid1_and_lower_hid2_burst_probability() {
    use hebb::plasticity::{BurstDetector, DetectorState, Spike};
    let n = 100u32;
    let m = hebb::model::Model::load_with(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor_bdsp.toml")),
        &{
            let mut o: Vec<String> = ["in1", "in2", "hid1", "hid2", "out"]
                .iter()
                .map(|p| format!("population.{p}.size={n}"))
                .collect();
            o.extend((0..16).map(|k| format!("projection.{k}.rule.pairwise_bernoulli.p=0.5")));
            o.push("simulation.duration=8000".into());
            o
        },
    )
    .expect("the shipped model loads");
    // Events and bursts of hid1 (neurons 2n..3n) and hid2 (3n..4n) from `from` on.
    let count = |spikes: &[(Time, u32)], from: Time| -> [(u64, u64); 2] {
        let det = BurstDetector::default();
        let mut st = vec![DetectorState::default(); 5 * n as usize];
        let mut c = [(0u64, 0u64); 2];
        for &(t, i) in spikes {
            let s = det.classify(&mut st[i as usize], t);
            let k = (i / n) as usize;
            if t >= from && (k == 2 || k == 3) {
                match s {
                    Spike::Event => c[k - 2].0 += 1,
                    Spike::Burst => c[k - 2].1 += 1,
                    Spike::Ignored => {}
                }
            }
        }
        c
    };
    let run = |extra: f64| {
        let net = build(&m, None, None).expect("builds");
        let mut sim = Simulation::new(net.blueprint);
        for i in 4 * n..5 * n {
            sim.set_current(hebb::ids::NeuronId(i), 1, 400.0 + extra);
        }
        let mut c = Collect::default();
        sim.run_until(Time::from_ms(8000.0).unwrap(), &mut c);
        c.spikes.sort_unstable();
        count(&c.spikes, Time::from_ms(1000.0).unwrap())
    };
    let base = run(0.0);
    let taught = run(1000.0);
    let bp = |c: (u64, u64)| c.1 as f64 / c.0 as f64;
    // Three standard errors of the difference of two binomial proportions.
    let se3 = |a: (u64, u64), b: (u64, u64)| {
        3.0 * (bp(a) * (1.0 - bp(a)) / a.0 as f64 + bp(b) * (1.0 - bp(b)) / b.0 as f64).sqrt()
    };
    eprintln!("E3: base {base:?}, with +1000 pA {taught:?}");
    assert!(
        bp(taught[0]) - bp(base[0]) > se3(base[0], taught[0]),
        "hid1 BP must rise: {base:?} → {taught:?}"
    );
    assert!(
        bp(base[1]) - bp(taught[1]) > se3(base[1], taught[1]),
        "hid2 BP must fall: {base:?} → {taught:?}"
    );
    for k in 0..2 {
        let (a, b) = (base[k].0 as f64, taught[k].0 as f64);
        assert!(
            (b / a - 1.0).abs() < 0.25,
            "hidden ER nearly unchanged: {a} → {b}"
        );
    }
}

/// `hebb experiment xor` end to end at a tiny size: the report, its JSON and figures; the
/// cost is finite and the learning windows change weights (E4 is the unit test above).
#[test]
fn xor_experiment_runs_end_to_end() {
    let dir = std::env::temp_dir().join(format!("hebb-xor-{}", std::process::id()));
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor_bdsp.toml");
    let (code, out, err) = common::hebb(&[
        "experiment",
        "xor",
        "--model",
        model,
        "--size",
        "20",
        "--epochs",
        "2",
        "--example-ms",
        "500",
        "--burn-in-ms",
        "200",
        "--threads",
        "2",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("correct after training"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("xor.json")).unwrap()).unwrap();
    let cost = json["epoch_cost"].as_array().unwrap();
    assert_eq!(cost.len(), 2);
    assert!(cost.iter().all(|c| c.as_f64().unwrap().is_finite()));
    assert_eq!(json["learning_bp"].as_array().unwrap().len(), 8);
    let progress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("xor_progress.json")).unwrap())
            .unwrap();
    assert_eq!(
        progress["epoch_cost"], json["epoch_cost"],
        "progress kept per epoch"
    );
    assert_eq!(progress["epoch_wall_s"], json["epoch_wall_s"]);
    let walls = json["epoch_wall_s"].as_array().unwrap();
    assert_eq!(walls.len(), 2, "a wall time per epoch");
    assert!(walls.iter().all(|w| w.as_f64().unwrap() > 0.0));
    for f in ["xor_cost.png", "xor_rates.png", "xor_bp.png"] {
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() > 1000, "{f}");
    }
    let (code, _, err) =
        common::hebb(&["experiment", "xor", "--model", model, "--example-ms", "0"]);
    assert_eq!(code, 2, "a bad option is an input error");
    assert!(err.contains("--example-ms"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Spec §7 D1 and D2 in the engine: Tsodyks–Markram synapses deliver `w·u·x`; paired pulses
/// 10 ms apart onto a non-leaking membrane give the paired-pulse ratios 0.459 (depressing) and
/// 5.34 (facilitating).
#[test]
fn short_term_plasticity_scales_transmitted_weights() {
    let ppr = |stp: &str| -> (f64, f64) {
        let text = source_onto(
            30.0,
            "10.0, 20.0",
            "model = \"lif_delta\"\ntau_m = 1e8\nE_L = 0.0\nV_th = 1000.0\nV_reset = 0.0",
            &format!("weight = 10.0\ndelay = 0.5\nstp = {stp}"),
            "[[record.state]]\npopulation = \"tgt\"\nvariables = [\"V_m\"]\ninterval = 5.0\n",
        );
        let c = run_model(&text).1;
        let v = |ms: f64| sample_at(&c, ms)[0];
        let (a, b) = (v(15.0) - v(5.0), v(25.0) - v(15.0));
        (a / 10.0, b / a)
    };
    let (first, r) = ppr("{ U = 0.9, tau_d = 20.0, tau_f = 1000.0, f = 0.1 }");
    assert!((first - 0.9).abs() < 1e-6, "first efficacy {first}");
    assert!((r - 0.459).abs() < 0.001, "depressing PPR {r}");
    let (first, r) = ppr("{ U = 0.02, tau_d = 100.0, tau_f = 100.0, f = 0.1 }");
    assert!((first - 0.02).abs() < 1e-6, "first efficacy {first}");
    assert!((r - 5.34).abs() < 0.01, "facilitating PPR {r}");
}

/// A reduced XOR (spec §6.5: T = 4 s with τ_avg = 2 s, 500 epochs; N = 250 with p = 0.4, the
/// mean in-degree kept), five seeds: after training the output is on the correct side of 6 Hz
/// for all four patterns in at least four seeds, and the mean cost of the last 50 epochs is
/// below that of the first 50. N = 100 (p = 1) is not used: every hidden neuron then gets the
/// same excitatory and inhibitory input spikes, which cancel, and the hidden rates fall from
/// about 6 Hz to 1 Hz. About 7 minutes of one core per seed (the shipped model's single
/// precision, 2026-12-01): run with `--ignored`.
#[test]
#[ignore]
fn reduced_xor_is_learned() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor_bdsp.toml");
    let mut solved = 0;
    for seed in 1..=5u64 {
        let dir = std::env::temp_dir().join(format!("hebb-xor-reduced-{seed}"));
        let opts = hebb::experiment::xor::XorOptions {
            model: model.into(),
            size: Some(250),
            epochs: 500,
            example_ms: 4000.0,
            burn_in_ms: 6000.0,
            seed: Some(seed),
            threads: 2,
            out: dir,
            progress: false,
        };
        let r = hebb::experiment::xor::run(&opts).expect("runs");
        eprintln!("{}", r.render());
        assert!(
            r.cost_first_last.1 < r.cost_first_last.0,
            "seed {seed}: cost {:?}",
            r.cost_first_last
        );
        solved += (r.correct_after == 4) as u32;
    }
    assert!(solved >= 4, "XOR solved in {solved} of 5 seeds");
}

/// `adex` populations from a model file: PV fires above its 200 pA rheobase and not below;
/// SOM adapts (its second half fires less than its first); a GABA synapse hyperpolarises.
#[test]
fn adex_interneurons_from_a_model_file() {
    let text = r#"
[simulation]
duration = 1000.0
[[population]]
name = "pv"
model = "adex"
cell = "pv"
size = 2
I_e = [150.0, 250.0]
[[population]]
name = "som"
model = "adex"
cell = "som"
size = 1
I_e = 60.0
[[population]]
name = "src"
model = "spike_source"
size = 1
spike_times = [[500.0]]
[[population]]
name = "quiet"
model = "adex"
cell = "pv"
size = 1
[[projection]]
source = "src"
target = "quiet"
rule = "one_to_one"
weight = 1.0
delay = 0.1
receptor = "inhibitory"
[[record.state]]
population = "quiet"
variables = ["V_m"]
interval = 1.0
"#;
    let c = run_model(text).1;
    let count = |n: u32, from: f64, to: f64| {
        c.spikes
            .iter()
            .filter(|&&(t, i)| i == n && t.as_ms() >= from && t.as_ms() < to)
            .count()
    };
    assert_eq!(count(0, 0.0, 1000.0), 0, "PV below rheobase");
    assert!(count(1, 0.0, 1000.0) > 20, "PV above rheobase");
    let (early, late) = (count(2, 0.0, 500.0), count(2, 500.0, 1000.0));
    assert!(early > late, "SOM adapts: {early} then {late}");
    let v = |ms: f64| sample_at(&c, ms)[0];
    assert!(
        v(503.0) < v(499.0) - 0.5,
        "GABA: {} → {}",
        v(499.0),
        v(503.0)
    );
    let bad = format!(
        "{text}[[projection]]\nsource = \"src\"\ntarget = \"quiet\"\nrule = \"one_to_one\"\nweight = 1.0\ndelay = 0.1\ncompartment = \"dendrite\"\n"
    );
    let err = build(&model(&bad), None, None)
        .err()
        .expect("rejected")
        .to_string();
    assert!(err.contains("single compartment"), "{err}");
}

/// `sinusoidal_current`: a membrane without leak (τ_m → ∞, C_m = 1 pF) integrates
/// `A sin(2πt/P)` to `A·P/π` at half a period and back to 0 at a full one.
#[test]
fn sinusoidal_current_is_integrated_by_the_membrane() {
    let text = r#"
[simulation]
duration = 10.5
[[population]]
name = "v"
model = "lif_delta"
size = 1
tau_m = 1e8
C_m = 1.0
E_L = 0.0
V_th = 1e6
V_reset = 0.0
[[stimulus]]
type = "sinusoidal_current"
target = "v"
amplitude = 1.0
period = 10.0
[[record.state]]
population = "v"
variables = ["V_m"]
interval = 5.0
"#;
    let c = run_model(text).1;
    let half = sample_at(&c, 5.0)[0];
    let want = 10.0 / std::f64::consts::PI;
    assert!(
        (half / want - 1.0).abs() < 0.01,
        "V(P/2) = {half}, want {want}"
    );
    let full = sample_at(&c, 10.0)[0];
    assert!(full.abs() < 0.02, "V(P) = {full}");
    let bad = text.replace("period = 10.0\n", "");
    let err = build(&model(&bad), None, None)
        .err()
        .expect("rejected")
        .to_string();
    assert!(err.contains("period"), "{err}");
    let bad = text.replace("tau_m = 1e8", "tau_m = 1e12");
    let err = build(&model(&bad), None, None)
        .err()
        .expect("rejected")
        .to_string();
    assert!(err.contains("tau_m = 1000000000000 ms is beyond"), "{err}");
}

/// `hebb inspect` names the synapse kinds and precision of a model and the weights of an
/// output.
#[test]
fn inspect_reports_plastic_projections() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor_bdsp.toml");
    let (code, out, err) = common::hebb(&["inspect", model]);
    assert_eq!(code, 0, "{err}");
    let hid1 = out
        .lines()
        .find(|l| l.starts_with("hid1 "))
        .unwrap_or_default();
    assert!(hid1.contains("burst2c (f32)"), "{out}");
    assert!(
        out.contains("synapses transmitting events: ")
            && out.contains("plastic `hid1->out` (bdsp η 0.004, off)"),
        "{out}"
    );
    assert!(out.contains("synapses transmitting bursts: "), "{out}");
    let dir = std::env::temp_dir().join(format!("hebb-inspect-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("xor_small.toml");
    std::fs::write(
        &small,
        xor(20, 0.5, true, 300.0) + "[record.weights]\ninterval = 100.0\n",
    )
    .unwrap();
    let h5 = dir.join("w.h5");
    let (code, _, err) = common::hebb(&[
        "run",
        small.to_str().unwrap(),
        "-q",
        "-t",
        "1",
        "-o",
        h5.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = common::hebb(&["inspect", h5.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("mean weight of hid1->out: 0.2340 at 0 ms →"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

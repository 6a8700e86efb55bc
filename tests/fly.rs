//! Connectome models: populations from a connectome file, `rule = "connectome"` with fly-style
//! weights, neuron selections, `[[set]]`, `[[silence]]`, voltage-jump Poisson input, the
//! Shiu et al. 2024 neuron (currents reset at a spike, input lost while refractory), trials.

mod common;

use common::{Collect, model, simulate};
use hebb::engine::Simulation;
use hebb::model::build::build;
use hebb::run::{RunOptions, run};
use hebb::time::Time;

fn mb() -> String {
    common::shipped("flywire_v783_mushroom_body_R.h5")
        .display()
        .to_string()
}

/// The neuron of the fly model (specs/fly_whole_brain.md) as `lif_exp` keys; `reset_currents`
/// is left to each model.
const FLY_NEURON: &str = r#"tau_m = 20.0
C_m = 20.0
E_L = -52.0
V_reset = -52.0
V_th = -45.0
t_ref = 2.2
tau_syn_ex = 5.0
tau_syn_in = 5.0
refractory_input = "discard"
"#;

/// The fly model on the mushroom body, with extra TOML appended.
fn fly(extra: &str) -> String {
    format!(
        r#"
[simulation]
duration = 500.0
seed = 7

[[population]]
name = "mb"
connectome = "{}"
model = "lif_exp"
{FLY_NEURON}reset_currents = true

[[projection]]
source = "mb"
target = "mb"
rule = "connectome"
weight = 0.275
delay = 1.8
{extra}
"#,
        mb()
    )
}

const DA1: &str = r#"neurons = { where = { glomerulus = "DA1", group = "PN" } }"#;

fn stimulus(rate: f64) -> String {
    format!(
        "[[stimulus]]\ntype = \"poisson\"\ntarget = \"mb\"\n{DA1}\nrate = {rate}\nweight = 68.75\n\
         target_var = \"V_m\"\n[[set]]\npopulation = \"mb\"\n{DA1}\nt_ref = 0.0\n"
    )
}

#[test]
fn connectome_weights_are_sign_times_count_times_w_syn() {
    let net = build(&model(&fly("")), None, None).unwrap();
    assert_eq!(net.n_neurons(), 2935);
    let csr = &net.blueprint.csr;
    assert_eq!(csr.n_synapses(), 25_080);
    let (mut total, mut negative) = (0.0f64, 0usize);
    for g in 0..csr.group_delay.len() {
        assert_eq!(csr.group_delay[g], Time::from_ms(1.8).unwrap());
        let (targets, w) = csr.group(g);
        for k in 0..targets.len() {
            let x = w.get(k) as f64;
            total += x.abs();
            negative += (x < 0.0) as usize;
        }
    }
    // 319,706 synapses × 0.275 mV; GABA (2,797) and glutamate (89) connections inhibitory
    // (counts from `hebb inspect` of the file, asserted in tests/connectome.rs).
    assert!((total - 319_706.0 * 0.275).abs() < 1e-3 * total, "{total}");
    assert_eq!(negative, 2797 + 89);

    // A sign table that makes acetylcholine inhibitory and GABA excitatory.
    let flipped = fly("signs = { acetylcholine = -1.0 }");
    let net = build(&model(&flipped), None, None).unwrap();
    let csr = &net.blueprint.csr;
    let negative: usize = (0..csr.group_delay.len())
        .map(|g| {
            let (t, w) = csr.group(g);
            (0..t.len()).filter(|&k| w.get(k) < 0.0).count()
        })
        .sum();
    assert_eq!(negative, 21_891);
}

#[test]
fn selections_pick_by_annotation_id_index_and_file() {
    let net = build(&model(&fly("")), None, None).unwrap();
    let ids = net.external_ids().expect("FlyWire ids are unique");
    // DA1 projection neurons by annotation: 7 (README of the data).
    let m = model(&fly(&format!(
        "[[record.state]]\npopulation = \"mb\"\n{DA1}\nvariables = [\"V_m\"]\n"
    )));
    let net = build(&m, None, None).unwrap();
    let picked: Vec<u32> = net.blueprint.probes[0]
        .neurons
        .iter()
        .map(|n| n.0)
        .collect();
    assert_eq!(picked.len(), 7);
    for &i in &picked {
        assert_eq!(net.annotation(i, "glomerulus").as_deref(), Some("DA1"));
    }
    // The same neurons by id, by index and from a file of ids.
    let id_list: Vec<String> = picked
        .iter()
        .map(|&i| ids[i as usize].to_string())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("da1.txt");
    std::fs::write(&file, format!("root_id\n{}\n", id_list.join("\n"))).unwrap();
    let idx: Vec<String> = picked.iter().map(|i| i.to_string()).collect();
    for sel in [
        format!("neurons = {{ ids = [{}] }}", id_list.join(", ")),
        format!("neurons = {{ indices = [{}] }}", idx.join(", ")),
        format!("neurons = {{ file = \"{}\" }}", file.display()),
        format!(
            "neurons = {{ file = \"{}\", where = {{ group = [\"PN\", \"KC\"] }} }}",
            file.display()
        ),
    ] {
        let m = model(&fly(&format!(
            "[[record.state]]\npopulation = \"mb\"\n{sel}\nvariables = [\"V_m\"]\n"
        )));
        let net = build(&m, None, None).unwrap();
        let got: Vec<u32> = net.blueprint.probes[0]
            .neurons
            .iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(got, picked, "{sel}");
    }
    // A population made of a subset: the Kenyon cells only, with the connections among them.
    let kc = fly("").replace(
        "model = \"lif_exp\"",
        "select = { where = { group = \"KC\" } }\nmodel = \"lif_exp\"",
    );
    let net = build(&model(&kc), None, None).unwrap();
    assert_eq!(net.n_neurons(), 2597);
    assert!(net.blueprint.csr.n_synapses() < 25_080);
}

#[test]
fn bad_selections_name_the_problem() {
    let cases = [
        (
            "neurons = { ids = [42] }",
            "neuron id 42 (`ids`) is not a neuron of population `mb`",
        ),
        (
            "neurons = { where = { colour = \"red\" } }",
            "has no annotation `colour`; its columns:",
        ),
        ("neurons = { where = { group = \"XX\" } }", "no neuron of"),
        ("neurons = { indices = [5000] }", "index 5000 is outside"),
        (
            "neurons = { where = { group = \"KC\" }, indices = [0] }",
            "picks no neuron",
        ),
    ];
    for (sel, want) in cases {
        let m = model(&fly(&format!(
            "[[record.state]]\npopulation = \"mb\"\n{sel}\nvariables = [\"V_m\"]\n"
        )));
        let err = build(&m, None, None).err().expect(sel).to_string();
        assert!(err.contains(want), "{sel}: {err}");
        assert!(err.contains("line "), "{sel}: {err}");
    }
    let signs = fly("signs = { gabba = -1.0 }");
    let err = build(&model(&signs), None, None).err().unwrap().to_string();
    assert!(err.contains("transmitter `gabba`"), "{err}");
}

#[test]
fn voltage_jumps_without_refractoriness_fire_at_every_arrival() {
    // DA1 PNs get no recurrent input in the mushroom body, so each fires exactly at its
    // Poisson arrivals: a count per neuron close to rate × duration.
    let m = model(&fly(&stimulus(100.0)));
    let net = build(&m, None, None).unwrap();
    let stop = net.warmup + net.duration;
    let ids: Vec<u32> = (0..net.n_neurons() as u32)
        .filter(|&i| net.annotation(i, "glomerulus").as_deref() == Some("DA1"))
        .filter(|&i| net.annotation(i, "group").as_deref() == Some("PN"))
        .collect();
    let mut sim = Simulation::new(net.blueprint);
    let mut c = Collect::default();
    sim.run_until(stop, &mut c);
    let total: usize = c.spikes.iter().filter(|s| ids.contains(&s.1)).count();
    // 7 neurons × 100 Hz × 0.5 s = 350 expected; ±4σ.
    assert!(
        (total as f64 - 350.0).abs() < 4.0 * 350f64.sqrt(),
        "{total}"
    );
    // Some Kenyon cells are driven to fire by them.
    assert!(c.spikes.iter().any(|s| !ids.contains(&s.1)));
}

#[test]
fn currents_are_reset_at_a_spike_and_input_is_lost_while_refractory() {
    // One neuron, a strong input at 1 ms: it crosses, and with reset_currents the current is
    // zero right after the spike; without, it keeps decaying from its value.
    let one = |reset: bool| {
        format!(
            r#"
[simulation]
duration = 20.0
[[population]]
name = "src"
size = 1
model = "spike_source"
spike_times = [[1.0, 6.0]]
[[population]]
name = "n"
size = 1
model = "lif_exp"
{FLY_NEURON}reset_currents = {reset}
[[projection]]
source = "src"
target = "n"
rule = "all_to_all"
weight = 100.0
delay = 1.0
[[record.state]]
population = "n"
variables = ["V_m", "I_syn_ex"]
interval = 0.1
"#
        )
    };
    let with = simulate(&model(&one(true)), None, None);
    let without = simulate(&model(&one(false)), None, None);
    let spikes = |c: &Collect| c.spikes.iter().filter(|s| s.1 == 1).count();
    let after = |c: &Collect, ms: f64| {
        c.samples
            .iter()
            .find(|(t, _)| (t.as_ms() - ms).abs() < 1e-9)
            .map(|(_, v)| (v[0], v[1]))
            .unwrap()
    };
    // Input at 2 ms fires the neuron within 2 ms; the second, at 7 ms, comes after the period.
    assert_eq!(spikes(&with), 2);
    let (v, i) = after(&with, 4.0);
    assert_eq!(i, 0.0);
    assert!(v > -52.0 - 1e-12 && v <= -52.0 + 1e-12, "{v}");
    let (_, i) = after(&without, 4.0);
    assert!(i > 10.0, "{i}");
    // Without the reset, the leftover current makes it fire again right after the period.
    assert!(spikes(&without) > spikes(&with));
}

#[test]
fn silenced_neurons_reach_no_one() {
    let base = build(&model(&fly("")), None, None).unwrap();
    let silent = fly(&format!(
        "{}[[silence]]\npopulation = \"mb\"\n{DA1}\n",
        stimulus(100.0)
    ));
    let net = build(&model(&silent), None, None).unwrap();
    assert!(net.blueprint.csr.n_synapses() < base.blueprint.csr.n_synapses());
    let c = simulate(&model(&silent), None, None);
    // Only the stimulated DA1 PNs fire: nothing else receives input.
    let fired: std::collections::BTreeSet<u32> = c.spikes.iter().map(|s| s.1).collect();
    assert_eq!(fired.len(), 7);
}

#[test]
fn trials_write_rates_and_the_first_trial_is_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = fly(&stimulus(80.0));
    let m = model(&text);
    let out_with = |name: &str, trials: u32, threads: usize, shard_trials: bool| {
        let path = dir.path().join(name);
        let s = run(
            &m,
            &RunOptions {
                output: Some(path.clone()),
                trials: Some(trials),
                threads: Some(threads),
                shard_trials,
                ..RunOptions::default()
            },
        )
        .unwrap();
        (path, s)
    };
    let out = |name: &str, trials: u32, threads: usize| out_with(name, trials, threads, false);
    let (one, s1) = out("one.h5", 1, 1);
    let (many, s4) = out("many.h5", 4, 1);
    // Two threads: trials side by side, or each trial on two shards.
    let (many2, _) = out("many2.h5", 4, 2);
    let (sharded, _) = out_with("sharded.h5", 4, 2, true);
    assert_eq!(s4.trials, 4);
    assert!(!s4.top.is_empty());
    assert_eq!(s4.top[0].cell_type.as_deref(), Some("DA1_lPN"));
    let f = |p: &std::path::Path| hdf5::File::open(p).unwrap();
    let read_i =
        |p: &std::path::Path, d: &str| -> Vec<i64> { f(p).dataset(d).unwrap().read_raw().unwrap() };
    let read_f =
        |p: &std::path::Path, d: &str| -> Vec<f64> { f(p).dataset(d).unwrap().read_raw().unwrap() };
    // External ids in the output.
    let ids = read_i(&one, "neurons/id");
    assert!(ids.iter().all(|&i| i > 720_575_940_000_000_000));
    // Trial 0 of the 4-trial run is the single run, spike for spike.
    let trial: Vec<i32> = f(&many)
        .dataset("spikes/trial")
        .unwrap()
        .read_raw()
        .unwrap();
    let n0 = trial.iter().filter(|&&k| k == 0).count();
    assert_eq!(n0 as u64, s1.stats.spikes);
    assert_eq!(
        read_f(&many, "spikes/time_ms")[..n0],
        read_f(&one, "spikes/time_ms")[..]
    );
    assert_eq!(
        read_i(&many, "spikes/neuron")[..n0],
        read_i(&one, "spikes/neuron")[..]
    );
    assert!(trial.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*trial.last().unwrap(), 3);
    // Trials differ, and nothing depends on the thread count or on how trials use threads.
    assert!(
        trial.iter().filter(|&&k| k == 1).count() != n0 || s4.stats.spikes != 4 * s1.stats.spikes
    );
    let mean = read_f(&many, "rates/mean_hz");
    let std = read_f(&many, "rates/std_hz");
    for other in [&many2, &sharded] {
        assert_eq!(mean, read_f(other, "rates/mean_hz"));
        assert_eq!(std, read_f(other, "rates/std_hz"));
        assert_eq!(
            read_f(&many, "spikes/time_ms"),
            read_f(other, "spikes/time_ms")
        );
        assert_eq!(
            read_i(&many, "spikes/neuron"),
            read_i(other, "spikes/neuron")
        );
    }
    // Mean over trials of a DA1 PN's rate ≈ 80 Hz (4 trials × 0.5 s: ±4σ of 160 arrivals).
    let top = mean.iter().cloned().fold(0.0, f64::max);
    assert!((top - 80.0).abs() < 4.0 * (160f64).sqrt() / 2.0, "{top}");
    // Analysis reads the first trial.
    let data = hebb::analysis::read(&many).unwrap();
    assert_eq!(data.trials, 4);
    assert_eq!(data.times_ms.len(), n0);
    let report = hebb::inspect::output_report(&many).unwrap();
    assert!(report.contains("4 trials: the first is shown"), "{report}");
}

/// Runs a model and returns its spikes `(time, global index)`, sorted.
fn spikes_of(text: &str, threads: usize) -> Vec<(Time, u32)> {
    use hebb::engine::partition::{Partition, Placement};
    use hebb::engine::shard::ShardedSimulation;
    let m = model(text);
    let net = build(&m, None, None).unwrap();
    let stop = net.warmup + net.duration;
    let mut c = Collect::default();
    if threads == 1 {
        Simulation::new(net.blueprint).run_until(stop, &mut c);
    } else {
        let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
        let part = Partition::new(
            Placement::Balanced,
            &sizes,
            &net.blueprint.in_degrees(),
            threads,
        );
        ShardedSimulation::new(net.blueprint, &part).run_until(stop, &mut c);
    }
    c.spikes.sort_unstable();
    c.spikes
}

#[test]
fn listed_input_fires_at_the_input_in_exact_mode_and_one_step_later_on_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let net = build(&model(&fly("")), None, None).unwrap();
    let ids = net.external_ids().unwrap();
    let da1: Vec<usize> = (0..net.n_neurons())
        .filter(|&i| net.annotation(i as u32, "glomerulus").as_deref() == Some("DA1"))
        .collect();
    let csv = dir.path().join("input.csv");
    let times = [3.0, 10.5, 10.6, 250.0];
    let mut text = String::from("neuron,time_ms\n");
    for &i in &da1 {
        for t in times {
            text += &format!("{},{t}\n", ids[i]);
        }
    }
    std::fs::write(&csv, text).unwrap();
    let stim = format!(
        "[[stimulus]]\ntype = \"spike_times\"\ntarget = \"mb\"\nfile = \"{0}\"\nweight = 68.75\n\
         target_var = \"V_m\"\n[[set]]\npopulation = \"mb\"\nneurons = {{ file = \"{0}\" }}\n\
         t_ref = 0.0\n",
        csv.display()
    );
    // Exact: a spike at every input. Grid (Brian2's schedule): a jump at step n fires at step
    // n + 1, and the input of 10.6 ms lands in the step where the neuron spikes, before its
    // reset, so it is lost.
    let cases = [
        ("exact", vec![3.0, 10.5, 10.6, 250.0]),
        ("grid", vec![3.1, 10.6, 250.1]),
    ];
    for (update, want) in cases {
        let text = fly(&stim).replace(
            "model = \"lif_exp\"",
            &format!("model = \"lif_exp\"\nupdate = \"{update}\""),
        );
        let spikes = spikes_of(&text, 1);
        for &i in &da1 {
            let got: Vec<f64> = spikes
                .iter()
                .filter(|s| s.1 as usize == i)
                .map(|s| s.0.as_ms())
                .collect();
            assert_eq!(got.len(), want.len(), "{update}: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9, "{update}: {got:?} vs {want:?}");
            }
        }
        // The same on three shards.
        assert_eq!(spikes_of(&text, 3), spikes, "{update}");
    }
}

#[test]
fn exact_and_grid_rates_agree() {
    // All 124 projection neurons at 100 Hz for 4 trials of 0.5 s: the spike count of the
    // mushroom body in the exact and the grid mode (different Poisson streams, spike times
    // within a step) agree within 10 % (measured: 47,769 and 46,379).
    let all_pns = r#"neurons = { where = { group = "PN" } }"#;
    let stim = stimulus(100.0).replace(DA1, all_pns);
    let rate = |update: &str| {
        let text = fly(&stim).replace(
            "model = \"lif_exp\"",
            &format!("model = \"lif_exp\"\nupdate = \"{update}\""),
        );
        let m = model(&text);
        let s = run(
            &m,
            &RunOptions {
                trials: Some(4),
                threads: Some(1),
                ..RunOptions::default()
            },
        )
        .unwrap();
        let net = build(&m, None, None).unwrap();
        let n_pn = (0..net.n_neurons() as u32)
            .filter(|&i| net.annotation(i, "group").as_deref() == Some("PN"))
            .count();
        (s.populations[0].spikes as f64, n_pn)
    };
    let (exact, n_pn) = rate("exact");
    let (grid, _) = rate("grid");
    assert_eq!(n_pn, 124);
    assert!(exact > 10_000.0, "{exact}");
    assert!(
        (exact - grid).abs() < 0.1 * exact,
        "exact {exact} grid {grid}"
    );
}

#[test]
fn bad_connectome_models_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "neuron,time_ms\n42,1.0\n").unwrap();
    let plain = "[simulation]\nduration = 10.0\n[[population]]\nname = \"A\"\nsize = 3\n\
                 model = \"lif_exp\"\ntau_m = 20.0\nE_L = 0.0\nV_th = 10.0\nV_reset = 0.0\n\
                 tau_syn_ex = 5.0\ntau_syn_in = 5.0\n[[projection]]\nsource = \"A\"\n\
                 target = \"A\"\nrule = \"connectome\"\nweight = 1.0\ndelay = 1.0\n"
        .to_owned();
    let cases = [
        (
            plain.clone(),
            "needs both `A` and `A` made from the same connectome file",
        ),
        (
            fly("").replace("weight = 0.275", "weight = { uniform = [0.1, 0.2] }"),
            "`weight` is the weight of one synapse: a single number",
        ),
        (
            fly("").replace("weight = 0.275\n", ""),
            "has no /synapses/weight; give the projection a `weight` per synapse",
        ),
        (
            fly(&format!(
                "[[stimulus]]\ntype = \"spike_times\"\ntarget = \"mb\"\nfile = \"{}\"\nweight = 1.0\n",
                csv.display()
            )),
            "row 1: neuron 42 is not a neuron of population `mb`",
        ),
        (
            fly(&format!(
                "{}[[stimulus]]\ntype = \"spike_times\"\ntarget = \"mb\"\nfile = \"{}\"\nweight = 1.0\n",
                stimulus(10.0),
                dir.path().join("da1.csv").display()
            )),
            "has listed input and another Poisson",
        ),
        (
            plain.replace("rule = \"connectome\"", "rule = \"all_to_all\"")
                + "[[stimulus]]\ntype = \"poisson\"\ntarget = \"A\"\nneurons = { where = { x = \"y\" } }\nrate = 1.0\nweight = 1.0\n",
            "was not made from a connectome file",
        ),
    ];
    // The DA1 neurons' ids as listed input, for the clash with their Poisson stimulus.
    let net = build(&model(&fly("")), None, None).unwrap();
    let ids = net.external_ids().unwrap();
    let da1 = (0..net.n_neurons())
        .find(|&i| net.annotation(i as u32, "glomerulus").as_deref() == Some("DA1"))
        .unwrap();
    std::fs::write(
        dir.path().join("da1.csv"),
        format!("neuron,time_ms\n{},1.0\n", ids[da1]),
    )
    .unwrap();
    // File delays below a grid target's step: the file, the dataset and the row.
    let short = dir.path().join("short.h5");
    let mut c = hebb::connectome::file::read(std::path::Path::new(&mb())).unwrap();
    c.edges.delay_ms = Some(vec![1.8; c.edges.len()]);
    c.edges.delay_ms.as_mut().unwrap()[7] = 0.05;
    hebb::connectome::file::write(&short, &c).unwrap();
    let grid_file_delays = fly("")
        .replace(&mb(), &short.display().to_string())
        .replace(
            "model = \"lif_exp\"",
            "model = \"lif_exp\"\nupdate = \"grid\"",
        )
        .replace("delay = 1.8\n", "");
    let err = build(&model(&grid_file_delays), None, None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("short.h5 /synapses/delay row 7: delay 0.05")
            && err.contains("positive multiple of the resolution 0.1 ms"),
        "{err}"
    );
    for (text, want) in cases {
        let err = build(&model(&text), None, None)
            .err()
            .expect(want)
            .to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
}

#[test]
fn exact_spikes_precede_their_grid_step_by_less_than_one_step() {
    // One fly neuron driven through synapses by a source firing at random 0.1 ms steps: the
    // grid's propagation is exact at step boundaries, so each grid spike is the exact spike
    // rounded up to its step (the spec: "spike times differ from the 0.1 ms reference by less
    // than one step").
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let mut times: Vec<f64> = (0..400)
        .map(|_| (rng.random_range(1..20_000u32) as f64) / 10.0)
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let list: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    let text = |update: &str| {
        format!(
            r#"
[simulation]
duration = 2000.0
[[population]]
name = "src"
size = 1
model = "spike_source"
spike_times = [[{}]]
[[population]]
name = "n"
size = 1
model = "lif_exp"
update = "{update}"
{FLY_NEURON}reset_currents = true
[[projection]]
source = "src"
target = "n"
rule = "all_to_all"
weight = 30.0
delay = 1.8
"#,
            list.join(", ")
        )
    };
    let fired = |update: &str| -> Vec<f64> {
        spikes_of(&text(update), 1)
            .iter()
            .filter(|s| s.1 == 1)
            .map(|s| s.0.as_ms())
            .collect()
    };
    let (exact, grid) = (fired("exact"), fired("grid"));
    assert!(exact.len() > 50, "{}", exact.len());
    assert_eq!(exact.len(), grid.len(), "{exact:?}\n{grid:?}");
    for (e, g) in exact.iter().zip(&grid) {
        assert!(*g >= *e && g - e < 0.1 + 1e-9, "exact {e} grid {g}");
    }
}

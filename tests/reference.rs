//! `lif_exp` exact mode against a fixed-step reference integration with a very small step, on
//! random small feed-forward networks driven by spike sources.

mod common;

use hebb::time::Time;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Reference: the state is propagated over small steps of `dt` ms and the threshold tested at
/// each step's end; a crossing found there is located inside the step by bisection, and the
/// reset and refractory period start at that time. Its one approximation is the test at step
/// ends, which can only miss crossings that come and go within one step.
fn reference(inputs: &[(f64, f64)], i_e: f64, t_end: f64, dt: f64) -> Vec<f64> {
    let (tau_m, c, e_l, th, reset, t_ref, te, ti) =
        (10.0f64, 250.0, -70.0, -55.0, -70.0, 2.0, 2.0, 5.0);
    let v_inf = e_l + tau_m * i_e / c;
    let ke = tau_m * te / (c * (te - tau_m));
    let ki = tau_m * ti / (c * (ti - tau_m));
    // (v, ie, ii) after h ms of free evolution.
    let prop = |v: f64, ie: f64, ii: f64, h: f64| {
        let em = (-h / tau_m).exp();
        let v = v_inf
            + (v - v_inf) * em
            + ie * ke * ((-h / te).exp() - em)
            + ii * ki * ((-h / ti).exp() - em);
        (v, ie * (-h / te).exp(), ii * (-h / ti).exp())
    };
    let (mut v, mut ie, mut ii) = (e_l, 0.0f64, 0.0f64);
    let mut refr_end = f64::NEG_INFINITY;
    let mut out = Vec::new();
    let mut k = 0;
    let steps = (t_end / dt).round() as usize;
    for s in 1..=steps {
        let (t0, t) = ((s - 1) as f64 * dt, s as f64 * dt);
        if t <= refr_end {
            // Whole step refractory: V clamped, currents decay.
            let (_, a, b) = prop(v, ie, ii, dt);
            (v, ie, ii) = (reset, a, b);
        } else if t0 < refr_end {
            // Refractoriness ends inside the step.
            let (_, a, b) = prop(v, ie, ii, refr_end - t0);
            (v, ie, ii) = prop(reset, a, b, t - refr_end);
        } else {
            let (v1, a, b) = prop(v, ie, ii, dt);
            if v1 >= th {
                let (mut lo, mut hi) = (0.0, dt);
                for _ in 0..80 {
                    let m = 0.5 * (lo + hi);
                    if prop(v, ie, ii, m).0 >= th {
                        hi = m
                    } else {
                        lo = m
                    }
                }
                let ts = t0 + hi;
                out.push(ts);
                refr_end = ts + t_ref;
                let (_, a2, b2) = prop(v, ie, ii, dt);
                (v, ie, ii) = (reset, a2, b2);
            } else {
                (v, ie, ii) = (v1, a, b);
            }
        }
        while k < inputs.len() && inputs[k].0 <= t + 1e-12 {
            if inputs[k].1 >= 0.0 {
                ie += inputs[k].1
            } else {
                ii += inputs[k].1
            }
            k += 1;
        }
    }
    out
}

#[test]
fn exact_lif_exp_agrees_with_a_fine_step_reference() {
    let dt = 1e-4;
    for seed in 0..6u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n_src = 8;
        let n_tgt = 5;
        // Source spikes on the reference grid; delays 1 ms; random weights.
        let times: Vec<Vec<f64>> = (0..n_src)
            .map(|_| {
                let mut v: Vec<f64> = (0..30)
                    .map(|_| (rng.random_range(0..190_000) as f64) * 1e-3)
                    .collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                v.dedup();
                v
            })
            .collect();
        let mut edges = String::from("source,target,weight\n");
        let mut w = vec![vec![0.0; n_tgt]; n_src];
        for (s, row) in w.iter_mut().enumerate() {
            for (t, x) in row.iter_mut().enumerate() {
                if rng.random::<f64>() < 0.6 {
                    *x = rng.random_range(-300.0..900.0f64).round();
                    edges += &format!("{s},{t},{x}\n");
                }
            }
        }
        let i_e: Vec<f64> = (0..n_tgt)
            .map(|_| rng.random_range(0.0..400.0f64).round())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("e.csv"), &edges).unwrap();
        let text = format!(
            r#"
[simulation]
duration = 200.0
[[population]]
name = "S"
size = {n_src}
model = "spike_source"
spike_times = {times:?}
[[population]]
name = "N"
size = {n_tgt}
model = "lif_exp"
tau_m = 10.0
C_m = 250.0
E_L = -70.0
V_th = -55.0
V_reset = -70.0
t_ref = 2.0
tau_syn_ex = 2.0
tau_syn_in = 5.0
I_e = {i_e:?}
[[projection]]
source = "S"
target = "N"
rule = {{ file = {{ path = "e.csv" }} }}
weight = 0.0
delay = 1.0
"#
        );
        let m = hebb::model::Model::parse(&text, &dir.path().join("m.toml")).unwrap();
        let out = common::simulate(&m, None, None);
        let mut total = 0;
        for t in 0..n_tgt {
            let mut inputs: Vec<(f64, f64)> = Vec::new();
            for s in 0..n_src {
                if w[s][t] != 0.0 {
                    inputs.extend(times[s].iter().map(|&x| (x + 1.0, w[s][t])));
                }
            }
            inputs.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let r = reference(&inputs, i_e[t], 200.0, dt);
            let e: Vec<f64> = out
                .spikes
                .iter()
                .filter(|x| x.1 == (n_src + t) as u32)
                .map(|x| x.0.as_ms())
                .collect();
            assert_eq!(
                e.len(),
                r.len(),
                "seed {seed} neuron {t}: exact {e:?} vs reference {r:?}"
            );
            for (k, (a, b)) in e.iter().zip(&r).enumerate() {
                // hebb rounds each crossing up to the 1e-9 ms tick, and a later reset shifts what
                // follows by that much: the difference grows by <= 1 tick per earlier spike.
                assert!(
                    (a - b).abs() <= 1e-7,
                    "seed {seed} neuron {t} spike {k}: {a} vs {b}"
                );
            }
            total += e.len();
        }
        assert!(total > 0, "seed {seed}: the test network should spike");
        let _ = Time::ZERO;
    }
}

//! Single-neuron models against their closed-form solutions (relative error <= 1e-9).

mod common;

use hebb::neuron::exact::ExactDynamics;
use hebb::neuron::lif_delta::{LifDeltaExact, LifParams};
use hebb::neuron::lif_exp::{LifExpExact, LifExpParams, psp_peak};
use hebb::neuron::{RefractoryInput, StateVar};
use hebb::time::Time;

fn lif(t_ref: f64) -> LifParams {
    LifParams {
        tau_m: 10.0,
        c_m: 250.0,
        e_l: -70.0,
        v_th: -55.0,
        v_reset: -70.0,
        t_ref,
        refractory_input: RefractoryInput::Accumulate,
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn lif_exp_psp_shape_peak_time_and_height() {
    let (tau_m, tau_s, c_m, w) = (10.0, 2.0, 250.0, 1000.0);
    let p = LifExpParams {
        lif: lif(2.0),
        tau_syn_ex: tau_s,
        tau_syn_in: 0.5,
        reset_currents: false,
    };
    let mut n = LifExpExact::new(p, vec![-70.0], vec![0.0]);
    let t_in = Time::from_ms(1.0).unwrap();
    n.input(0, t_in, w);
    let kappa = tau_m * tau_s / (c_m * (tau_s - tau_m));
    for &s in &[0.001, 0.1, 0.7, 1.5, 3.0, 5.0, 12.5, 40.0] {
        let t = t_in + Time::from_ms(s).unwrap();
        let v = n.sample(0, t, StateVar::Vm).unwrap();
        let exact = -70.0 + w * kappa * ((-s / tau_s).exp() - (-s / tau_m).exp());
        assert!(
            close(v + 70.0, exact + 70.0, 1e-9),
            "PSP at {s} ms: {v} vs {exact}"
        );
        let i = n.sample(0, t, StateVar::ISynEx).unwrap();
        assert!(close(i, w * (-s / tau_s).exp(), 1e-9));
    }
    let (s_star, h) = psp_peak(tau_m, tau_s, c_m);
    // Closed form of the peak time: ln(τm/τs)·τm·τs/(τm − τs).
    let expect_s = (tau_m / tau_s).ln() * tau_m * tau_s / (tau_m - tau_s);
    assert!(close(s_star, expect_s, 1e-12));
    let at = |s: f64| {
        n.sample(0, t_in + Time::from_ms(s).unwrap(), StateVar::Vm)
            .unwrap()
            + 70.0
    };
    assert!(
        close(at(s_star), w * h, 1e-9),
        "peak height {} vs {}",
        at(s_star),
        w * h
    );
    assert!(
        at(s_star - 1e-3) < at(s_star) && at(s_star + 1e-3) < at(s_star),
        "the peak is a maximum"
    );
}

#[test]
fn time_to_first_spike_under_constant_current() {
    // V_inf = E_L + τ I / C = -70 + 10 * 500 / 250 = -50 > V_th = -55.
    let (tau, i_e, c): (f64, f64, f64) = (10.0, 500.0, 250.0);
    let v_inf = -70.0 + tau * i_e / c;
    let exact = tau * ((v_inf - -70.0) / (v_inf - -55.0)).ln();
    let mut d = LifDeltaExact::new(lif(2.0), vec![-70.0], vec![i_e]);
    // Far from the crossing the plan is a check; following checks leads to the crossing.
    let mut plan = d.plan(0, Time::ZERO);
    let mut checks = 0;
    while !plan.fire {
        assert!(plan.at.as_ms() < exact, "a check comes before the crossing");
        plan = d.plan(0, plan.at);
        checks += 1;
    }
    assert!(checks <= 8, "{checks} checks");
    let t = plan.at.as_ms();
    assert!(
        close(t, exact, 1e-9),
        "lif_delta first spike {t} vs {exact}"
    );
    let p = LifExpParams {
        lif: lif(2.0),
        tau_syn_ex: 2.0,
        tau_syn_in: 0.5,
        reset_currents: false,
    };
    let mut e = LifExpExact::new(p, vec![-70.0], vec![i_e]);
    let t = e.plan(0, Time::ZERO).at.as_ms();
    assert!(close(t, exact, 1e-9), "lif_exp first spike {t} vs {exact}");
}

#[test]
fn lif_delta_f_i_curve_matches_the_analytic_rate() {
    // Each neuron gets a different I_e; no synapses. The period is t_ref + τ ln((V∞−V_r)/(V∞−θ)),
    // each spike time rounded up to the 1 ps tick.
    let currents = [380.0, 400.0, 450.0, 600.0, 1000.0, 2500.0];
    let text = format!(
        r#"
[simulation]
duration = 2000.0
resolution = 0.1
[[population]]
name = "N"
size = {}
model = "lif_delta"
tau_m = 10.0
C_m = 250.0
E_L = -70.0
V_th = -55.0
V_reset = -70.0
t_ref = 2.0
I_e = {:?}
"#,
        currents.len(),
        currents
    );
    let out = common::simulate(&common::model(&text), None, None);
    for (k, &i_e) in currents.iter().enumerate() {
        let i_e: f64 = i_e;
        let v_inf: f64 = -70.0 + 10.0 * i_e / 250.0;
        let period = 2.0 + 10.0 * ((v_inf + 70.0) / (v_inf + 55.0)).ln();
        let ts: Vec<f64> = out
            .spikes
            .iter()
            .filter(|s| s.1 == k as u32)
            .map(|s| s.0.as_ms())
            .collect();
        assert!(ts.len() >= 2, "I_e = {i_e}: {} spikes", ts.len());
        let measured = (ts[ts.len() - 1] - ts[0]) / (ts.len() - 1) as f64;
        assert!(
            close(measured, period, 1e-9),
            "I_e = {i_e}: period {measured} vs {period}"
        );
        let rate = 1000.0 / period;
        assert!(close(1000.0 / measured, rate, 1e-9));
        // First spike at the closed-form time.
        let first = 10.0 * ((v_inf + 70.0) / (v_inf + 55.0)).ln();
        assert!(
            (ts[0] - first).abs() <= 1e-9,
            "first spike {} vs {first}",
            ts[0]
        );
    }
}

#[test]
fn inputs_at_the_same_tick_are_summed_before_the_threshold_test() {
    // +20 mV and -10 mV arriving at exactly 5 ms: 15 mV below threshold (20 mV above rest):
    // no spike; NEST iaf_psc_delta_ps semantics. A +25 mV at 10 ms alone does spike.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        "source,target,weight\n0,0,20\n1,0,-10\n2,0,25\n",
    )
    .unwrap();
    let text = common::sources_onto_delta_neuron("[[5.0], [5.0], [10.0]]", 3, 0.0, 20.0, 20.0, "");
    let m = hebb::model::Model::parse(&text, &dir.path().join("m.toml")).unwrap();
    let out = common::simulate(&m, None, None);
    let n_spikes: Vec<f64> = out
        .spikes
        .iter()
        .filter(|s| s.1 == 3)
        .map(|s| s.0.as_ms())
        .collect();
    assert_eq!(
        n_spikes,
        vec![11.0],
        "only the lone 25 mV input at 11 ms fires"
    );
}

#[test]
fn arrivals_on_the_last_tick_of_a_window_are_summed_and_later_ones_still_come() {
    // The window is the smallest delay, 1 ms: its last tick is 1 ms − 1 ps. Two listed
    // arrivals of 10 mV there (threshold 15 mV above rest) sum to a spike at that tick; two
    // more at 5 ms, after the refractory period, fire again. Every input of a tick is applied
    // before its threshold test, and no arrival leaves its neuron unvisited.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("input.csv"),
        "neuron,time_ms\n0,0.999999999\n0,0.999999999\n0,5.0\n0,5.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        "source,target,weight\n0,0,1\n",
    )
    .unwrap();
    let text = common::sources_onto_delta_neuron(
        "[[]]",
        1,
        0.0,
        15.0,
        10.0,
        "[[stimulus]]\ntype = \"spike_times\"\ntarget = \"N\"\nfile = \"input.csv\"\nweight = 10.0\n",
    );
    let m = hebb::model::Model::parse(&text, &dir.path().join("m.toml")).unwrap();
    for shards in [None, Some(2)] {
        let out = match shards {
            None => common::simulate(&m, None, None),
            Some(s) => common::simulate_sharded(&m, None, s, None).0,
        };
        let ticks: Vec<u64> = out.spikes.iter().map(|s| s.0.0).collect();
        assert_eq!(
            ticks,
            vec![999_999_999, 5_000_000_000],
            "spike ticks, {shards:?} shards"
        );
    }
}

#[test]
fn refractory_end_is_exact_and_input_then_is_applied() {
    // A 30 mV input at 2 ms fires the neuron (t_ref = 2 ms, refractory until exactly 4 ms);
    // 5 mV arriving at 3.5 ms is discarded; 5 mV arriving at exactly 4 ms is applied.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        "source,target,weight\n0,0,30\n1,0,5\n2,0,5\n",
    )
    .unwrap();
    let text = common::sources_onto_delta_neuron(
        "[[1.0], [2.5], [3.0]]",
        3,
        -70.0,
        -55.0,
        6.0,
        "[[record.state]]\npopulation = \"N\"\nvariables = [\"V_m\"]\ninterval = 0.5\n",
    );
    let m = hebb::model::Model::parse(&text, &dir.path().join("m.toml")).unwrap();
    let out = common::simulate(&m, None, None);
    let spikes: Vec<f64> = out
        .spikes
        .iter()
        .filter(|s| s.1 == 3)
        .map(|s| s.0.as_ms())
        .collect();
    assert_eq!(spikes, vec![2.0]);
    let v = |ms: f64| {
        out.samples
            .iter()
            .find(|(t, _)| t.as_ms() == ms)
            .map(|(_, v)| v[0])
            .unwrap()
    };
    assert_eq!(v(3.5), -70.0, "clamped while refractory");
    assert_eq!(
        v(4.0),
        -65.0,
        "input at exactly t_spike + t_ref is applied, the earlier one is not"
    );
    let expect = -70.0 + 5.0 * (-0.5f64 / 10.0).exp();
    assert!((v(4.5) - expect).abs() < 1e-12, "{} vs {expect}", v(4.5));
}

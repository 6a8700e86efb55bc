//! Checkpoints of plastic models: BDSP between `burst2c` populations, STDP between exact LIF
//! populations, short-term plasticity, event- and burst-only transmission, plasticity off on
//! one projection or switched at run time. Weights, traces, detectors and short-term states
//! resume bit for bit on any number of shards.

use crate::common;
use hebb::engine::Simulation;
use hebb::engine::partition::{Partition, Placement};
use hebb::engine::shard::ShardedSimulation;
use hebb::model::build::build;
use hebb::time::Time;

const SPLITS: &[(usize, usize)] = &[(1, 1), (1, 3), (2, 1), (3, 2)];

/// An exact `lif_delta` population `D` and an exact `lif_exp` population `X` under Poisson
/// drive, and the projections `extra`.
fn lif(extra: &str) -> String {
    use crate::common::random_net::{Kind, population};
    format!(
        "[simulation]\nduration = 300.0\nseed = 5\nresolution = 0.1\n{}{}\
         [[stimulus]]\ntype = \"poisson\"\ntarget = \"D\"\nrate = 5000.0\nweight = 0.5\n\
         [[stimulus]]\ntype = \"poisson\"\ntarget = \"X\"\nrate = 2000.0\nweight = 120.0\n{extra}\n",
        population("D", &Kind::DeltaExact, 30, 5),
        population("X", &Kind::ExpExact, 20, 5),
    )
}

/// STDP both ways between the LIF populations, additive onto `X`, multiplicative onto `D`,
/// and a third STDP projection whose plasticity is off.
const STDP: &str = r#"
[[projection]]
source = "D"
target = "X"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 150.0
delay = 1.0
plasticity = { rule = "stdp", lambda = 20.0, alpha = 1.05, w_max = 400.0 }
[[projection]]
source = "X"
target = "D"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 1.0
delay = 1.5
plasticity = { rule = "stdp", lambda = 0.05, mode = "multiplicative", w_max = 3.0 }
[[projection]]
source = "D"
target = "D"
rule = { pairwise_bernoulli = { p = 0.1 } }
weight = 0.5
delay = 0.7
plasticity = { rule = "stdp", lambda = 0.05, w_max = 2.0, on = false }
"#;

/// Depressing and facilitating synapses, one of them plastic.
const STP: &str = r#"
[[projection]]
source = "D"
target = "D"
rule = { pairwise_bernoulli = { p = 0.2 } }
weight = 2.0
delay = 0.7
stp = { U = 0.5, tau_d = 100.0, tau_f = 50.0, f = 0.2 }
[[projection]]
source = "D"
target = "X"
rule = { pairwise_bernoulli = { p = 0.2 } }
weight = 300.0
delay = 1.2
stp = { U = 0.05, tau_d = 100.0, tau_f = 100.0, f = 0.3 }
[[projection]]
source = "X"
target = "D"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 1.0
delay = 0.4
stp = { U = 0.9, tau_d = 20.0, tau_f = 1000.0, f = 0.1 }
plasticity = { rule = "stdp", lambda = 0.05, w_max = 3.0 }
"#;

/// Event-only and burst-only transmission (no rule: the detectors alone carry state).
const TRANSMIT: &str = r#"
[[projection]]
source = "X"
target = "X"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 150.0
delay = 0.9
transmit = "events"
[[projection]]
source = "D"
target = "X"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 400.0
delay = 2.0
transmit = "bursts"
[[projection]]
source = "D"
target = "D"
rule = { pairwise_bernoulli = { p = 0.2 } }
weight = 3.0
delay = 1.1
transmit = "bursts"
"#;

#[test]
fn bdsp_between_burst2c_populations_resumes() {
    common::assert_resumes(
        &common::model(&common::xor(12, 0.5, true, 300.0)),
        140.3,
        SPLITS,
    );
}

#[test]
fn stdp_between_exact_lif_populations_resumes() {
    common::assert_resumes(&common::model(&lif(STDP)), 123.45, SPLITS);
}

#[test]
fn short_term_plasticity_resumes() {
    common::assert_resumes(&common::model(&lif(STP)), 151.3, SPLITS);
}

#[test]
fn event_and_burst_transmission_resumes() {
    common::assert_resumes(&common::model(&lif(TRANSMIT)), 97.05, SPLITS);
}

/// Plasticity switched off at run time on one projection and on on another, before the
/// cut: the resumed run keeps the switches.
#[test]
fn run_time_switches_survive_a_checkpoint() {
    let m = common::model(&lif(STDP));
    let parts = |net: &hebb::model::build::Network, shards: usize| {
        let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
        Partition::new(
            Placement::RoundRobin,
            &sizes,
            &net.blueprint.in_degrees(),
            shards,
        )
    };
    let (switch, cut) = (Time::from_ms(80.0).unwrap(), Time::from_ms(150.0).unwrap());
    let net = build(&m, None, None).unwrap();
    let stop = net.warmup + net.duration;
    let mut straight = Simulation::new(net.blueprint);
    let mut c = common::Collect::default();
    straight.run_until(switch, &mut c);
    straight.set_plastic(0, false);
    straight.set_plastic(2, true);
    straight.run_until(stop, &mut c);
    let want: Vec<_> = (0..3).map(|q| straight.plastic_weights(q)).collect();
    for (before, after) in [(1, 2), (2, 1)] {
        let net = build(&m, None, None).unwrap();
        let state = if before == 1 {
            let mut sim = Simulation::new(net.blueprint);
            sim.run_until(switch, &mut c);
            sim.set_plastic(0, false);
            sim.set_plastic(2, true);
            sim.run_until(cut, &mut c);
            sim.save().unwrap()
        } else {
            let part = parts(&net, before);
            let mut sim = ShardedSimulation::new(net.blueprint, &part);
            sim.run_until(switch, &mut c);
            sim.set_plastic(0, false);
            sim.set_plastic(2, true);
            sim.run_until(cut, &mut c);
            sim.save().unwrap()
        };
        let net = build(&m, None, None).unwrap();
        let got: Vec<_> = if after == 1 {
            let mut sim = Simulation::load(net.blueprint, &state).unwrap();
            sim.run_until(stop, &mut c);
            (0..3).map(|q| sim.plastic_weights(q)).collect()
        } else {
            let part = parts(&net, after);
            let mut sim = ShardedSimulation::load(net.blueprint, &part, &state).unwrap();
            sim.run_until(stop, &mut c);
            (0..3).map(|q| sim.plastic_weights(q)).collect()
        };
        for q in 0..3 {
            let bits = |w: &[(u32, u32, f32)]| -> Vec<(u32, u32, u32)> {
                w.iter().map(|s| (s.0, s.1, s.2.to_bits())).collect()
            };
            assert_eq!(
                bits(&got[q]),
                bits(&want[q]),
                "projection {q}, {before} → {after}"
            );
        }
    }
    // The switches mattered: projection 2 learned, from its initial weights.
    let net = build(&m, None, None).unwrap();
    let initial = Simulation::new(net.blueprint).plastic_weights(2);
    assert_ne!(initial, want[2]);
}

//! A generator of random networks: populations of every kind, random projections, Poisson
//! input, a state probe.

use proptest::prelude::*;
use std::fmt::Write;

/// One population of a random network.
#[derive(Clone, Debug)]
pub enum Kind {
    DeltaExact,
    DeltaGrid,
    ExpExact,
    /// `lif_exp` on the grid (Brian2's order).
    ExpGrid,
    Source,
}

pub fn population(name: &str, kind: &Kind, size: usize, seed: u64) -> String {
    let mut s = format!("[[population]]\nname = \"{name}\"\nsize = {size}\n");
    match kind {
        Kind::Source => {
            // A few spikes per source, spread over the run.
            let lists: Vec<String> = (0..size)
                .map(|i| {
                    let a = 1.0 + ((seed as usize + 7 * i) % 50) as f64 * 1.37;
                    format!("[{a:.3}, {:.3}, {:.3}]", a + 40.0, a + 90.5)
                })
                .collect();
            writeln!(
                s,
                "model = \"spike_source\"\nspike_times = [{}]",
                lists.join(", ")
            )
            .unwrap();
        }
        Kind::DeltaExact | Kind::DeltaGrid => {
            let update = if matches!(kind, Kind::DeltaGrid) {
                "grid"
            } else {
                "exact"
            };
            writeln!(
                s,
                "model = \"lif_delta\"\nupdate = \"{update}\"\ntau_m = 20.0\nE_L = 0.0\nV_th = 20.0\n\
                 V_reset = 10.0\nt_ref = 2.0\nV_m = {{ uniform = [0.0, 20.0] }}"
            )
            .unwrap();
        }
        Kind::ExpExact | Kind::ExpGrid => {
            let update = if matches!(kind, Kind::ExpGrid) {
                "grid"
            } else {
                "exact"
            };
            writeln!(
                s,
                "model = \"lif_exp\"\nupdate = \"{update}\"\ntau_m = 10.0\nE_L = -65.0\nV_th = -50.0\nV_reset = -65.0\n\
                 t_ref = 2.0\ntau_syn_ex = 0.5\ntau_syn_in = 3.0\nV_m = {{ uniform = [-65.0, -50.0] }}"
            )
            .unwrap();
        }
    }
    s
}

/// The text of a random network: populations, random projections with random delays,
/// Poisson input onto neuron populations, a state probe.
pub fn network(
    kinds: &[(Kind, usize)],
    links: &[(usize, usize, f64, f64, f64)],
    seed: u64,
) -> String {
    network_with(kinds, links, seed, false)
}

/// [`network`], with pair-based STDP on every excitatory projection when `stdp` (weights
/// then fixed at the link's magnitude, one delay per projection, as plastic projections need).
pub fn network_with(
    kinds: &[(Kind, usize)],
    links: &[(usize, usize, f64, f64, f64)],
    seed: u64,
    stdp: bool,
) -> String {
    let mut s =
        format!("[simulation]\nduration = 150.0\nwarmup = 10.0\nseed = {seed}\nresolution = 0.1\n");
    for (k, (kind, size)) in kinds.iter().enumerate() {
        s += &population(&format!("P{k}"), kind, *size, seed);
    }
    for (q, &(a, b, p, w, d)) in links.iter().enumerate() {
        let (a, b) = (a % kinds.len(), b % kinds.len());
        if matches!(kinds[b].0, Kind::Source) {
            continue;
        }
        // Model units: mV for lif_delta, pA for lif_exp.
        let scale = if matches!(kinds[b].0, Kind::ExpExact | Kind::ExpGrid) {
            100.0
        } else {
            1.0
        };
        if stdp && w > 0.0 {
            let w = (w + 0.5) * scale;
            // One delay, on the grid (grid targets need whole steps).
            let d = ((d * 10.0).round() / 10.0).max(0.1);
            writeln!(
                s,
                "[[projection]]\nname = \"stdp{q}\"\nsource = \"P{a}\"\ntarget = \"P{b}\"\n\
                 rule = {{ pairwise_bernoulli = {{ p = {p} }} }}\nweight = {w}\ndelay = {d}\n\
                 plasticity = {{ rule = \"stdp\", lambda = 0.05, alpha = 1.05, w_max = {} }}",
                2.0 * w
            )
            .unwrap();
            continue;
        }
        writeln!(
            s,
            "[[projection]]\nsource = \"P{a}\"\ntarget = \"P{b}\"\n\
             rule = {{ pairwise_bernoulli = {{ p = {p} }} }}\n\
             weight = {{ normal = {{ mean = {}, std = {} }} }}\ndelay = {{ uniform = [{d}, {}] }}",
            w * scale,
            2.0 * scale,
            d + 2.0
        )
        .unwrap();
    }
    for (k, (kind, _)) in kinds.iter().enumerate() {
        let (rate, w) = match kind {
            Kind::Source => continue,
            Kind::ExpExact | Kind::ExpGrid => (2000.0, 120.0),
            _ => (5000.0, 0.5),
        };
        writeln!(
            s,
            "[[stimulus]]\ntype = \"poisson\"\ntarget = \"P{k}\"\nrate = {rate}\nweight = {w}"
        )
        .unwrap();
    }
    if let Some(k) = kinds
        .iter()
        .position(|(kind, _)| !matches!(kind, Kind::Source))
    {
        writeln!(
            s,
            "[[record.state]]\npopulation = \"P{k}\"\ncount = 5\nvariables = [\"V_m\"]\ninterval = 0.7"
        )
        .unwrap();
    }
    s
}

/// The kinds the sharded engine is tested on.
pub fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::DeltaExact),
        Just(Kind::DeltaGrid),
        Just(Kind::ExpExact),
        Just(Kind::Source)
    ]
}

/// Random projections: `(source, target, p, weight, delay)`, populations by index (taken
/// modulo their number), delays of one step or anywhere in 0.1–2 ms.
pub fn links() -> impl Strategy<Value = Vec<(usize, usize, f64, f64, f64)>> {
    prop::collection::vec(
        (
            0usize..4,
            0usize..4,
            0.05f64..0.5,
            -3.0f64..3.0,
            prop_oneof![Just(0.1), 0.1f64..2.0],
        ),
        0..6,
    )
}

/// Every kind, `lif_exp` on the grid included.
pub fn any_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::DeltaExact),
        Just(Kind::DeltaGrid),
        Just(Kind::ExpExact),
        Just(Kind::ExpGrid),
        Just(Kind::Source)
    ]
}

//! `[scaling]`: a network built at a fraction of its size and in-degree (Potjans & Diesmann's
//! `N_scaling` and `K_scaling`; van Albada, Helias & Diesmann 2015, PLoS Comput Biol
//! 11:e1004490), with the constant current that keeps each neuron's mean input at its
//! full-scale value when in-degrees shrink.
//!
//! Without `[scaling]` every factor is 1 and nothing changes.

use super::Model;
use super::spec::{
    Dist, ModelKind, PopulationSpec, ProjectionSpec, Rule, StimulusKind, TargetVar, Value,
};
use crate::error::Result;

/// The scaling factors of a model.
pub(crate) struct Scaling {
    /// Factor of population sizes.
    pub n: f64,
    /// Factor of in-degrees.
    pub k: f64,
    /// Populations whose size is kept.
    unscaled: Vec<String>,
}

impl Scaling {
    /// The model's factors (1 and 1 without `[scaling]`).
    pub fn of(model: &Model) -> Result<Scaling> {
        let Some(sc) = &model.spec.scaling else {
            return Ok(Scaling {
                n: 1.0,
                k: 1.0,
                unscaled: Vec::new(),
            });
        };
        let s = sc.get_ref();
        for name in s.reference_rates.keys().chain(&s.unscaled) {
            if !model
                .spec
                .populations
                .iter()
                .any(|p| p.name.get_ref() == name)
            {
                return Err(model.error_at(
                    sc.span(),
                    format!("[scaling] names `{name}`, which is not a population"),
                ));
            }
        }
        Ok(Scaling {
            n: s.n.0,
            k: s.k.0,
            unscaled: s.unscaled.clone(),
        })
    }

    /// Whether in-degrees are scaled.
    pub fn scales_k(&self) -> bool {
        self.k != 1.0
    }

    /// The built size of population `p` whose full size is `full`.
    pub fn size(&self, model: &Model, p: &PopulationSpec, full: u32) -> Result<u32> {
        let name = p.name.get_ref();
        if self.n == 1.0 || self.unscaled.contains(name) {
            return Ok(full);
        }
        if p.connectome.is_some() || p.spike_times.is_some() || p.spike_times_file.is_some() {
            return Err(model.error_at(
                p.name.span(),
                format!(
                    "population `{name}` has its neurons (or spike trains) listed, so scaling.N \
                     cannot change its size; add it to scaling.unscaled"
                ),
            ));
        }
        let n = (full as f64 * self.n).round_ties_even();
        if n < 1.0 || n > u32::MAX as f64 {
            return Err(model.error_at(
                p.name.span(),
                format!(
                    "population `{name}`: size {full} × scaling.N {} gives {n} neurons; \
                     choose N so that every population keeps at least one",
                    self.n
                ),
            ));
        }
        Ok(n as u32)
    }

    /// Factor of every projection and Poisson stimulus weight: 1/√K.
    pub fn weight(&self) -> f64 {
        1.0 / self.k.sqrt()
    }

    /// A scaled in- or out-degree.
    pub fn degree(&self, d: u32) -> u32 {
        (d as f64 * self.k).round_ties_even() as u32
    }

    /// A scaled synapse total onto population `target`, from its full-scale value: × K, and
    /// × N unless the target keeps its size, so that in-degrees scale by K. (NEST's example
    /// scales its thalamic totals by K alone, which multiplies their in-degrees by K/N.)
    pub fn total(&self, full: f64, target: &str) -> u64 {
        let n = if self.unscaled.iter().any(|u| u == target) {
            1.0
        } else {
            self.n
        };
        (full * n * self.k).round_ties_even() as u64
    }
}

/// One line on a model's scaling for `hebb inspect`: the factors and each population's
/// input-restoring current; `None` without `[scaling]`.
pub(crate) fn describe(model: &Model, full: &[u32]) -> Result<Option<String>> {
    if model.spec.scaling.is_none() {
        return Ok(None);
    }
    let sc = Scaling::of(model)?;
    let dc = compensation(model, full, &sc)?;
    let mut s = format!(
        "scaling N {} K {}: sizes × N, in-degrees × K, weights × {:.4}",
        sc.n,
        sc.k,
        sc.weight()
    );
    if sc.scales_k() {
        s.push_str("; current restoring the full-scale mean input (pA):");
        for (p, x) in model.spec.populations.iter().zip(&dc) {
            if *x != 0.0 {
                s.push_str(&format!(" {} {x:.3}", p.name.get_ref()));
            }
        }
    }
    Ok(Some(s))
}

/// The full-scale synapse total of a `fixed_total_number` rule (`n`, or `p` with the
/// populations' full sizes).
pub(crate) fn full_total(
    model: &Model,
    proj: &ProjectionSpec,
    n: Option<u64>,
    p: Option<f64>,
    full_pre: u32,
    full_post: u32,
) -> Result<f64> {
    match (n, p) {
        (Some(n), None) => Ok(n as f64),
        (None, Some(p)) => {
            let pairs = full_pre as f64 * full_post as f64;
            if p <= 0.0 {
                return Ok(0.0);
            }
            if p >= 1.0 || pairs <= 1.0 {
                return Err(model.error_at(
                    proj.rule.span(),
                    format!(
                        "fixed_total_number with p = {p} between populations of {full_pre} and \
                         {full_post} neurons has no finite total; use p < 1 (or `n`)"
                    ),
                ));
            }
            Ok((1.0 - p).ln() / (-(1.0 / pairs)).ln_1p())
        }
        _ => Err(model.error_at(
            proj.rule.span(),
            "fixed_total_number takes `n` (the number of synapses) or `p` (a connection \
             probability), exactly one of them",
        )),
    }
}

/// Per population, the constant current (pA) that replaces the mean input lost by scaling the
/// in-degrees by K: `(1 − √K)` times the full-scale mean input of its projections (sources at
/// their `reference_rates`) and Poisson stimuli. Zero everywhere when K = 1.
pub(crate) fn compensation(model: &Model, full: &[u32], scaling: &Scaling) -> Result<Vec<f64>> {
    let spec = &model.spec;
    let mut dc = vec![0.0; spec.populations.len()];
    if !scaling.scales_k() {
        return Ok(dc);
    }
    let sc = spec.scaling.as_ref().expect("K ≠ 1 comes from [scaling]");
    let factor = 1.0 - scaling.k.sqrt();
    let index = |name: &str| {
        spec.populations
            .iter()
            .position(|p| p.name.get_ref() == name)
    };
    // The charge (pA·ms) one input of weight `w` delivers to population `t`.
    let charge = |t: usize, w: f64, to_v: bool, at: std::ops::Range<usize>| -> Result<f64> {
        let p = &spec.populations[t];
        let c_m = p.c_m.map_or(250.0, |x| x.0);
        match p.model {
            ModelKind::LifDelta => Ok(c_m * w),
            ModelKind::LifExp if to_v => Ok(c_m * w),
            ModelKind::LifExp => {
                let tau = if w >= 0.0 { p.tau_syn_ex } else { p.tau_syn_in };
                let key = if w >= 0.0 { "tau_syn_ex" } else { "tau_syn_in" };
                tau.map(|x| w * x.0).ok_or_else(|| {
                    model.error_at(
                        p.name.span(),
                        format!("population `{}`: missing key `{key}`", p.name.get_ref()),
                    )
                })
            }
            other => Err(model.error_at(
                at,
                format!(
                    "scaling.K ≠ 1 compensates lost input with a current, which needs lif_exp \
                     or lif_delta targets; `{}` is {other:?}",
                    p.name.get_ref()
                ),
            )),
        }
    };
    for proj in &spec.projections {
        let (Some(s), Some(t)) = (index(proj.source.get_ref()), index(proj.target.get_ref()))
        else {
            continue; // unknown names are reported by the build
        };
        let span = proj.rule.span();
        let (fs, ft) = (full[s] as f64, full[t] as f64);
        let indegree = match proj.rule.get_ref() {
            Rule::FixedIndegree { indegree } => *indegree as f64,
            Rule::FixedOutdegree { outdegree } => *outdegree as f64 * fs / ft,
            Rule::FixedTotalNumber { n, p } => {
                full_total(model, proj, *n, p.map(|x| x.0), full[s], full[t])? / ft
            }
            _ => {
                return Err(model.error_at(
                    span,
                    "scaling.K ≠ 1 scales in-degrees, which needs fixed_indegree, \
                     fixed_outdegree or fixed_total_number rules",
                ));
            }
        };
        let w = match proj.weight.as_ref().map(|v| v.get_ref()) {
            Some(Value::Scalar(x)) => x.0,
            Some(Value::Dist(Dist::Normal(nd))) => nd.mean.0,
            Some(Value::Dist(Dist::Uniform([a, b]))) => 0.5 * (a.0 + b.0),
            _ => continue, // missing or unsupported weights are reported by the build
        };
        let rate = sc
            .get_ref()
            .reference_rates
            .get(proj.source.get_ref())
            .ok_or_else(|| {
                model.error_at(
                    sc.span(),
                    format!(
                        "scaling.reference_rates has no rate for `{}`, a source of `{}`; give \
                         its full-scale mean rate in Hz (0 for a transient input)",
                        proj.source.get_ref(),
                        proj.target.get_ref()
                    ),
                )
            })?;
        dc[t] += 1e-3 * factor * charge(t, w, false, span)? * indegree * rate.0;
    }
    for st in &spec.stimuli {
        if *st.kind.get_ref() != StimulusKind::Poisson {
            continue;
        }
        let Some(t) = index(st.target.get_ref()) else {
            continue;
        };
        let (Some(rate), Some(w)) = (st.rate, st.weight) else {
            continue;
        };
        if st.neurons.is_some() {
            return Err(model.error_at(
                st.kind.span(),
                "scaling.K ≠ 1 compensates Poisson input per population; a Poisson stimulus \
                 with `neurons` is not supported then (give it the whole population)",
            ));
        }
        let to_v = st.target_var == TargetVar::Vm;
        dc[t] += 1e-3 * factor * charge(t, w.0, to_v, st.kind.span())? * rate.0;
    }
    Ok(dc)
}

//! Adaptive exponential integrate-and-fire (AdEx) neurons with conductance synapses: the PV and
//! SOM interneurons of the BDSP burst-multiplexing network (`specs/bdsp.md` §4.3).
//!
//! References: Brette & Gerstner, J Neurophysiol 94 (2005) (the model); Touboul, SIAM J Appl
//! Math 68 (2008) (its bifurcations); Payeur, Guerguiev, Zenke, Richards & Naud, Nat Neurosci 24
//! (2021), whose Auryn scripts (`sim_propagation.cpp`, `fix_parameters_{pv,som}_neurons`) set
//! the parameters and whose simulator (Auryn `AdExGroup`) fixes the step below.
//!
//! # Equations (units: mV, ms, pA, pF, nS; pA/pF = mV/ms)
//!
//! ```text
//! C·dV/dt   = −g_L·(V − E_L) + g_L·Δ_T·exp((V − V_T)/Δ_T) − w
//!             + g_L·[g_E·(E_E − V) + g_I·(E_I − V)] + I
//! τ_w·dw/dt = a·(V − E_L) − w
//! dg_E/dt = −g_E/τ_AMPA + Σ w_k·δ(t − t_k),   dg_I/dt = −g_I/τ_GABA + Σ w_k·δ(t − t_k)
//! V > V_peak  →  spike, V ← V_reset, w ← w + b, then t_ref of refractoriness
//! ```
//!
//! The conductances g_E, g_I are dimensionless, in units of the cell's leak conductance g_L
//! (spec §1.3): each arriving spike adds its weight, so weight 1 is a peak conductance of g_L.
//! AMPA: τ 5 ms, E_E = 0 mV; GABA: τ 10 ms, E_I = −80 mV. C = g_L·τ_m.
//!
//! **V_peak = 0 mV**, as in Auryn's `AdExGroup` (`V > 0`): the spec gives no V_peak, and 0 mV
//! is what every published simulation used. Past V_T the exponential term doubles V's speed
//! every 0.7·Δ_T, so V_peak = V_T + 5·Δ_T instead would shorten each inter-spike interval by
//! two or three steps (0.2–0.3 ms at dt = 0.1 ms) for both cells.
//!
//! # Rheobase and V_T
//!
//! The spec gives each cell's rheobase, not V_T. With w at its steady state a·(V − E_L), a
//! constant current I has a fixed point where
//! I = F(V) = (g_L + a)(V − E_L) − g_L·Δ_T·e^{(V−V_T)/Δ_T}. F rises to its maximum at
//! V* = V_T + Δ_T·ln(1 + a/g_L) and falls after it, so fixed points exist while I ≤ F(V*)
//! ([`AdexParams::rheobase`], [`AdexParams::with_rheobase`]):
//!
//! ```text
//! I_rh = (g_L + a)·(V_T − E_L − Δ_T + Δ_T·ln(1 + a/g_L))
//! V_T  = E_L + Δ_T − Δ_T·ln(1 + a/g_L) + I_rh/(g_L + a)
//! ```
//!
//! This is the rheobase when the rest state is lost in a saddle-node bifurcation, which is the
//! case for a < g_L·τ_w/τ_m (Touboul 2008; otherwise a Hopf bifurcation comes first and
//! [`AdexParams::rheobase`] returns `None`), and it is the formula of the authors' scripts.
//! PV (a = 0): V_T = −70 + 2 + 200/10 = −48 mV. SOM: V_T = −70 + 4 − 4·ln 1.1 + 25/5.5
//! = −61.836 mV.
//!
//! It is the rheobase of a *slowly* rising current. A step from rest meets w ≈ 0 at first (τ_w
//! = 500 ms for SOM against τ_m = 20 ms), and w ≥ 0 throughout, so a step spikes at once above
//! the w-free rheobase g_L·(V_T − E_L − Δ_T) (20.8 pA for SOM) and never below it; between the
//! two, a step makes a few spikes until b and a·(V − E_L) have built w up, then the cell rests.
//!
//! In the default step order ([`CurrentOrder::AfterThreshold`]), w sees V before the step's
//! injection, dt·I/C lower, and the Euler map's rheobase is I_rh/(1 + a·dt/C) (24.988 pA for
//! SOM; unchanged for PV); with [`CurrentOrder::InUpdate`] it is I_rh.
//!
//! # One step (forward Euler, dt = 0.1 ms, the order of Auryn's `AdExGroup`)
//!
//! 1. V ← V + dt/C·[−g_L(V − E_L) + g_LΔ_T·e^{(V−V_T)/Δ_T} − w + g_L(g_E(E_E − V) + g_I(E_I − V))]
//!    (+ dt·I/C with [`CurrentOrder::InUpdate`]), all from the values at the start of the step;
//!    then V ← max(V, v_min) (Auryn clips at E_I = −80 mV);
//! 2. refractory (counter > 0): the counter drops by one and V is held at the clamp value
//!    ([`RefractoryClamp`]); otherwise, if V > V_peak: a spike, V ← V_reset, w ← w + b, and the
//!    counter is set to R = round(t_ref/dt);
//! 3. w ← w + dt/τ_w·(a(V − E_L) − w), with the V of step 2;
//! 4. g_E ← g_E·e^{−dt/τ_AMPA}, g_I ← g_I·e^{−dt/τ_GABA};
//! 5. V ← V + dt·I/C ([`CurrentOrder::AfterThreshold`], the default: Auryn's `CurrentInjector`
//!    runs after the neurons).
//!
//! So after a spike the next R steps are refractory and the threshold is tested again R + 1
//! steps after the spike: the shortest inter-spike interval is t_ref + dt (1.1 ms for PV,
//! 2.1 ms for SOM). Synaptic input arriving in a step ([`Adex::add_conductance`], called after
//! [`Adex::step`]) acts from the next step on.
//!
//! **The refractory clamp.** The spec gives reset E_L + 15 mV (PV) and E_L + 5 mV (SOM) and a
//! refractory period, not what V does during it. By default ([`RefractoryClamp::Reset`]) V is
//! held at V_reset, so the reset the spec names is the one the cell restarts from. Auryn's
//! `AdExGroup` holds V at E_L instead ([`RefractoryClamp::Rest`]): with t_ref ≥ dt its V_reset
//! lasts one step and the cell restarts from E_L, so for parity with the authors' Fig. 3 runs
//! choose `Rest`.
//!
//! # Place in hebb
//!
//! A building block like [`crate::neuron::burst2c`]: a population state advanced on a fixed
//! grid, with receptor-targeted input; the engine wraps it as a grid population.

use super::burst2c::{CurrentOrder, Receptor};
use super::drive::stream_rng;
use super::grid::{STEPS, column, steps_column};
use crate::engine::state::{StateError, Table};
use rand::RngExt;
use rand_distr::StandardNormal;

/// An impossible adex parameter (see [`super::NeuronParamError`]).
pub type AdexParamError = super::NeuronParamError;

fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    requirement: &'static str,
) -> Result<(), AdexParamError> {
    AdexParamError::check("adex", name, value, ok, requirement)
}

/// Where V is held during the refractory period.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum RefractoryClamp {
    /// At V_reset: the cell restarts from the reset the spec gives.
    #[default]
    Reset,
    /// At E_L, as Auryn's `AdExGroup` does: V_reset lasts only the spike's step.
    Rest,
}

/// Parameters of a population. Potentials in mV, times in ms, currents in pA, capacitance in
/// pF, conductances in nS.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct AdexParams {
    /// Integration step (ms), 0.1.
    pub dt_ms: f64,
    /// Membrane capacitance C = g_L·τ_m (pF).
    pub c: f64,
    /// Leak conductance g_L (nS); also the unit of the synaptic conductances.
    pub g_l: f64,
    /// Leak reversal E_L, −70.
    pub e_l: f64,
    /// Threshold slope factor Δ_T (mV).
    pub delta_t: f64,
    /// Exponential threshold V_T (set it from a rheobase with [`AdexParams::with_rheobase`]).
    pub v_t: f64,
    /// Subthreshold adaptation a (nS).
    pub a: f64,
    /// Spike-triggered adaptation b (pA).
    pub b: f64,
    /// Adaptation time constant τ_w (ms).
    pub tau_w: f64,
    /// Reset potential V_reset.
    pub v_reset: f64,
    /// Spike detection V_peak, 0 (Auryn).
    pub v_peak: f64,
    /// Refractory period (ms); rounded to whole steps.
    pub t_ref_ms: f64,
    /// Where V is held while refractory.
    pub refractory_clamp: RefractoryClamp,
    /// Floor of V after each Euler update: −80 = E_I in Auryn; `f64::NEG_INFINITY` for none.
    pub v_min: f64,
    /// Excitatory reversal E_E, 0.
    pub e_e: f64,
    /// Inhibitory reversal E_I, −80.
    pub e_i: f64,
    /// Excitatory conductance decay τ_AMPA (ms), 5.
    pub tau_ampa: f64,
    /// Inhibitory conductance decay τ_GABA (ms), 10.
    pub tau_gaba: f64,
    /// Standard deviation of the Gaussian initial V around E_L (mV): 0 (the initial V is E_L;
    /// the authors' scripts use 5).
    pub v0_sd: f64,
    /// Where injected currents enter.
    pub current_order: CurrentOrder,
}

impl AdexParams {
    /// The values shared by both cell types (spec §1.1, §1.3), with V_T to be set.
    fn shared(g_l: f64, tau_m: f64, delta_t: f64) -> AdexParams {
        AdexParams {
            dt_ms: 0.1,
            c: g_l * tau_m,
            g_l,
            e_l: -70.0,
            delta_t,
            v_t: -50.0,
            a: 0.0,
            b: 0.0,
            tau_w: 100.0,
            v_reset: -70.0,
            v_peak: 0.0,
            t_ref_ms: 0.0,
            refractory_clamp: RefractoryClamp::Reset,
            v_min: -80.0,
            e_e: 0.0,
            e_i: -80.0,
            tau_ampa: 5.0,
            tau_gaba: 10.0,
            v0_sd: 0.0,
            current_order: CurrentOrder::AfterThreshold,
        }
    }

    /// The PV cell (spec §4.3): g_L 10 nS, τ_m 10 ms (C = 100 pF), Δ_T 2 mV, rheobase 200 pA
    /// (V_T = −48 mV), 1 ms refractory, no adaptation (a = b = 0; τ_w 5 ms, of no consequence,
    /// as in the script), reset E_L + 15 mV.
    pub fn pv() -> AdexParams {
        AdexParams {
            v_reset: -55.0,
            t_ref_ms: 1.0,
            tau_w: 5.0,
            ..Self::shared(10.0, 10.0, 2.0)
        }
        .with_rheobase(200.0)
    }

    /// The SOM cell (spec §4.3): g_L 5 nS, τ_m 20 ms (C = 100 pF), Δ_T 4 mV, a 0.5 nS, b 10 pA,
    /// τ_w 500 ms, reset E_L + 5 mV, 2 ms refractory, rheobase 25 pA (V_T = −61.836 mV).
    pub fn som() -> AdexParams {
        AdexParams {
            a: 0.5,
            b: 10.0,
            tau_w: 500.0,
            v_reset: -65.0,
            t_ref_ms: 2.0,
            ..Self::shared(5.0, 20.0, 4.0)
        }
        .with_rheobase(25.0)
    }

    /// Membrane time constant τ_m = C/g_L (ms).
    pub fn tau_m(&self) -> f64 {
        self.c / self.g_l
    }

    /// These parameters with V_T set so that the rheobase is `i_rh_pa`:
    /// V_T = E_L + Δ_T − Δ_T·ln(1 + a/g_L) + I_rh/(g_L + a) (module docs).
    pub fn with_rheobase(mut self, i_rh_pa: f64) -> AdexParams {
        let (g, a, d) = (self.g_l, self.a, self.delta_t);
        self.v_t = self.e_l + d - d * (a / g).ln_1p() + i_rh_pa / (g + a);
        self
    }

    /// The rheobase of a slowly rising current (pA),
    /// I_rh = (g_L + a)·(V_T − E_L − Δ_T + Δ_T·ln(1 + a/g_L)), when the rest state is lost in a
    /// saddle-node bifurcation (a < g_L·τ_w/τ_m); `None` otherwise (Hopf regime).
    pub fn rheobase(&self) -> Option<f64> {
        let (g, a, d) = (self.g_l, self.a, self.delta_t);
        (a / g < self.tau_w / self.tau_m())
            .then(|| (g + a) * (self.v_t - self.e_l - d + d * (a / g).ln_1p()))
    }

    /// Checks that every value is possible: finite potentials and b; positive step,
    /// capacitance, leak conductance and slope factor; τ_m, τ_w and the synaptic time constants
    /// longer than the step (forward Euler); a > −g_L (else there is no rest state);
    /// V_T < V_peak and V_reset < V_peak; v_min at most V_reset and E_L; t_ref and the initial
    /// spread finite and ≥ 0.
    pub fn validate(&self) -> Result<(), AdexParamError> {
        let p = self;
        for (name, v) in [
            ("e_l", p.e_l),
            ("v_t", p.v_t),
            ("b", p.b),
            ("v_reset", p.v_reset),
            ("v_peak", p.v_peak),
            ("e_e", p.e_e),
            ("e_i", p.e_i),
        ] {
            check(name, v, v.is_finite(), "finite")?;
        }
        for (name, v) in [
            ("dt_ms", p.dt_ms),
            ("c", p.c),
            ("g_l", p.g_l),
            ("delta_t", p.delta_t),
        ] {
            check(name, v, v.is_finite() && v > 0.0, "finite and > 0")?;
        }
        check(
            "c",
            p.c,
            p.tau_m() > p.dt_ms,
            "such that τ_m = c/g_l is longer than the step dt_ms (forward Euler)",
        )?;
        AdexParamError::time_constants(
            "adex",
            p.dt_ms,
            &[
                ("tau_w", p.tau_w),
                ("tau_ampa", p.tau_ampa),
                ("tau_gaba", p.tau_gaba),
            ],
        )?;
        check(
            "a",
            p.a,
            p.a.is_finite() && p.a > -p.g_l,
            "finite and > −g_l (else there is no rest state)",
        )?;
        check("v_t", p.v_t, p.v_t < p.v_peak, "below v_peak")?;
        check("v_reset", p.v_reset, p.v_reset < p.v_peak, "below v_peak")?;
        check(
            "t_ref_ms",
            p.t_ref_ms,
            p.t_ref_ms.is_finite() && p.t_ref_ms >= 0.0,
            "finite and ≥ 0",
        )?;
        check(
            "v_min",
            p.v_min,
            p.v_min <= p.v_reset && p.v_min <= p.e_l,
            "at most v_reset and e_l (−∞ for no floor)",
        )?;
        check(
            "v0_sd",
            p.v0_sd,
            p.v0_sd.is_finite() && p.v0_sd >= 0.0,
            "finite and ≥ 0",
        )?;
        Ok(())
    }
}

/// Per-step constants, computed once from validated parameters.
#[derive(Copy, Clone, Debug)]
struct Consts {
    /// dt/C (mV per pA).
    dt_c: f64,
    /// dt/τ_w.
    mul_w: f64,
    scale_ampa: f64,
    scale_gaba: f64,
    ref_steps: u32,
    /// V during the refractory period.
    clamp: f64,
}

impl Consts {
    fn new(p: &AdexParams) -> Consts {
        let dt = p.dt_ms;
        Consts {
            dt_c: dt / p.c,
            mul_w: dt / p.tau_w,
            scale_ampa: (-dt / p.tau_ampa).exp(),
            scale_gaba: (-dt / p.tau_gaba).exp(),
            // Validated finite and ≥ 0; a period beyond u32::MAX steps saturates.
            ref_steps: (p.t_ref_ms / dt).round() as u32,
            clamp: match p.refractory_clamp {
                RefractoryClamp::Reset => p.v_reset,
                RefractoryClamp::Rest => p.e_l,
            },
        }
    }
}

/// A population of `n` AdEx neurons, struct of arrays, advanced one grid step at a time. See
/// the module docs for the equations and the in-step order.
///
/// Each neuron `i` draws its initial V (one normal) from its own stream
/// `stream_rng(seed, stream + i)`, so a caller passing a stream id plus the neuron's global
/// index gets draws independent of how a population is split. Nothing else is random.
#[derive(Clone, Debug)]
pub struct Adex {
    p: AdexParams,
    k: Consts,
    v: Vec<f64>,
    /// Adaptation current (pA).
    w: Vec<f64>,
    g_e: Vec<f64>,
    g_i: Vec<f64>,
    /// Injected currents (pA).
    i_e: Vec<f64>,
    /// Refractory steps left.
    refr: Vec<u32>,
    steps: u64,
}

impl Adex {
    /// `n` neurons with parameters `p`: V = E_L (plus `v0_sd` times a normal from neuron i's
    /// stream `stream_rng(seed, stream + i)`), w = 0, no conductance, no current, not
    /// refractory.
    pub fn new(p: AdexParams, n: u32, seed: u64, stream: u64) -> Result<Adex, AdexParamError> {
        p.validate()?;
        let v = (0..u64::from(n))
            .map(|i| {
                let z: f64 = stream_rng(seed, stream.wrapping_add(i)).sample(StandardNormal);
                p.e_l + p.v0_sd * z
            })
            .collect();
        let z = vec![0.0; n as usize];
        Ok(Adex {
            k: Consts::new(&p),
            v,
            w: z.clone(),
            g_e: z.clone(),
            g_i: z.clone(),
            i_e: z,
            refr: vec![0; n as usize],
            steps: 0,
            p,
        })
    }

    /// The neurons `idx` (ascending), with their state.
    pub fn subset(&self, idx: &[u32]) -> Adex {
        use super::pick;
        Adex {
            p: self.p,
            k: self.k,
            v: pick(&self.v, idx),
            w: pick(&self.w, idx),
            g_e: pick(&self.g_e, idx),
            g_i: pick(&self.g_i, idx),
            i_e: pick(&self.i_e, idx),
            refr: pick(&self.refr, idx),
            steps: self.steps,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &AdexParams {
        &self.p
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// True if the population has no neurons.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Adds `w` (dimensionless, units of g_L) to the `r` conductance of neuron `i`: a spike
    /// arriving in the step just taken, effective from the next step.
    #[inline]
    pub fn add_conductance(&mut self, i: u32, r: Receptor, w: f64) {
        match r {
            Receptor::Excitatory => self.g_e[i as usize] += w,
            Receptor::Inhibitory => self.g_i[i as usize] += w,
        }
    }

    /// The `r` conductance of neuron `i` (dimensionless, units of g_L).
    pub fn conductance(&self, i: u32, r: Receptor) -> f64 {
        match r {
            Receptor::Excitatory => self.g_e[i as usize],
            Receptor::Inhibitory => self.g_i[i as usize],
        }
    }

    /// Sets the constant current (pA) injected into neuron `i`.
    pub fn set_current(&mut self, i: u32, pa: f64) {
        self.i_e[i as usize] = pa;
    }

    /// The constant current (pA) injected into neuron `i`.
    pub fn current(&self, i: u32) -> f64 {
        self.i_e[i as usize]
    }

    /// Sets the membrane potential (mV) of neuron `i`.
    pub fn set_v(&mut self, i: u32, v: f64) {
        self.v[i as usize] = v;
    }

    /// Sets the adaptation current (pA) of neuron `i`.
    pub fn set_w(&mut self, i: u32, w: f64) {
        self.w[i as usize] = w;
    }

    /// Membrane potential V (mV) of neuron `i`.
    pub fn v(&self, i: u32) -> f64 {
        self.v[i as usize]
    }

    /// Adaptation current w (pA) of neuron `i`.
    pub fn w(&self, i: u32) -> f64 {
        self.w[i as usize]
    }

    /// True while neuron `i` is refractory (its next step holds V and tests no threshold).
    pub fn is_refractory(&self, i: u32) -> bool {
        self.refr[i as usize] > 0
    }

    /// Writes the neurons' dynamic state, one row per neuron: `V_m`, `w`, the conductances
    /// (`g_E`, `g_I`), the injected current (`I_e`), the refractory steps left (`refr`) and
    /// the step counter (`steps`). The streams only drew the initial V: nothing else is
    /// random.
    pub fn save(&self, neurons: &mut Table) {
        for (name, v) in [
            ("V_m", &self.v),
            ("w", &self.w),
            ("g_E", &self.g_e),
            ("g_I", &self.g_i),
            ("I_e", &self.i_e),
        ] {
            neurons.put(name, 1, v.clone());
        }
        neurons.put("refr", 1, self.refr.clone());
        neurons.put(STEPS, 1, vec![self.steps; self.len()]);
    }

    /// Loads what [`Adex::save`] wrote (a row per neuron) into neurons built with the same
    /// parameters. Changes nothing on error.
    pub fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        let n = self.len();
        let f = |name: &str| column::<f64>(neurons, name, n);
        let (v, w, g_e, g_i, i_e) = (f("V_m")?, f("w")?, f("g_E")?, f("g_I")?, f("I_e")?);
        let refr = column::<u32>(neurons, "refr", n)?;
        let steps = steps_column(neurons, n)?.unwrap_or(self.steps);
        (self.v, self.w, self.g_e, self.g_i, self.i_e) = (v, w, g_e, g_i, i_e);
        (self.refr, self.steps) = (refr, steps);
        Ok(())
    }

    /// Advances every neuron by one step and appends this step's spikes to `spikes` (local
    /// indices, ascending). Allocates nothing beyond `spikes`' growth.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        let p = &self.p;
        let k = self.k;
        let in_update = p.current_order == CurrentOrder::InUpdate;
        let inv_dt = 1.0 / p.delta_t;
        for i in 0..self.v.len() {
            let (mut v, w) = (self.v[i], self.w[i]);
            // 1. Euler update from the start-of-step values.
            let leak = -p.g_l * (v - p.e_l);
            let spike_current = p.g_l * p.delta_t * ((v - p.v_t) * inv_dt).exp();
            let syn = p.g_l * (self.g_e[i] * (p.e_e - v) + self.g_i[i] * (p.e_i - v));
            let mut total = leak + spike_current - w + syn;
            if in_update {
                total += self.i_e[i];
            }
            v = (v + k.dt_c * total).max(p.v_min);
            // 2. Refractory clamp or threshold.
            let mut w = w;
            if self.refr[i] > 0 {
                self.refr[i] -= 1;
                v = k.clamp;
            } else if v > p.v_peak {
                spikes.push(i as u32);
                v = p.v_reset;
                w += p.b;
                self.refr[i] = k.ref_steps;
            }
            // 3. Adaptation with the new V.
            w += k.mul_w * (p.a * (v - p.e_l) - w);
            // 4. Conductances decay.
            self.g_e[i] *= k.scale_ampa;
            self.g_i[i] *= k.scale_gaba;
            // 5. Injected current (Auryn order).
            if !in_update {
                v += k.dt_c * self.i_e[i];
            }
            self.v[i] = v;
            self.w[i] = w;
        }
        self.steps += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.1;

    fn steps_of(ms: f64) -> u64 {
        (ms / DT).round() as u64
    }

    fn pop(p: AdexParams, n: u32) -> Adex {
        Adex::new(p, n, 1, 0).expect("valid parameters")
    }

    /// Runs `n` neurons for `ms` with neuron i's current `current(i, t_ms)` set before each
    /// step (of `p.dt_ms`); returns each neuron's spike steps.
    fn run(p: AdexParams, n: u32, ms: f64, current: impl Fn(u32, f64) -> f64) -> Vec<Vec<u64>> {
        let mut pop = pop(p, n);
        let mut trains = vec![Vec::new(); n as usize];
        let mut s = Vec::new();
        for step in 0..(ms / p.dt_ms).round() as u64 {
            let t = step as f64 * p.dt_ms;
            for i in 0..n {
                pop.set_current(i, current(i, t));
            }
            s.clear();
            pop.step(&mut s);
            for &i in &s {
                trains[i as usize].push(step);
            }
        }
        trains
    }

    #[test]
    fn spec_parameters_and_thresholds() {
        let pv = AdexParams::pv();
        assert_eq!(
            (pv.c, pv.tau_m(), pv.v_reset, pv.t_ref_ms),
            (100.0, 10.0, -55.0, 1.0)
        );
        assert!((pv.v_t + 48.0).abs() < 1e-12, "{}", pv.v_t);
        let som = AdexParams::som();
        assert_eq!(
            (som.c, som.tau_m(), som.v_reset, som.t_ref_ms),
            (100.0, 20.0, -65.0, 2.0)
        );
        let v_t = -70.0 + 4.0 - 4.0 * 1.1f64.ln() + 25.0 / 5.5;
        assert!((som.v_t - v_t).abs() < 1e-12 && (som.v_t + 61.836).abs() < 1e-3);
        assert!((pv.rheobase().expect("saddle-node") - 200.0).abs() < 1e-9);
        assert!((som.rheobase().expect("saddle-node") - 25.0).abs() < 1e-9);
        // a ≥ g_L·τ_w/τ_m: the Hopf regime, where the formula does not apply.
        let hopf = AdexParams {
            a: 15.0,
            tau_w: 50.0,
            ..som
        };
        assert_eq!(hopf.rheobase(), None);
        assert!(pv.validate().is_ok() && som.validate().is_ok());
    }

    /// Slightly below the rheobase of spec §4.3 a noiseless cell never spikes, slightly above
    /// it does: for a current ramped up over 20 s (w follows, the saddle-node rheobase), and for
    /// PV (a = 0) also for a step from rest.
    #[test]
    fn rheobase_separates_rest_from_firing() {
        for (p, i_rh) in [(AdexParams::pv(), 200.0), (AdexParams::som(), 25.0)] {
            let targets = [0.99 * i_rh, 1.01 * i_rh];
            let ramp = run(p, 2, 30_000.0, |i, t| {
                targets[i as usize] * (t / 20_000.0).min(1.0)
            });
            assert!(
                ramp[0].is_empty(),
                "{i_rh} pA × 0.99 ramp: {} spikes",
                ramp[0].len()
            );
            assert!(!ramp[1].is_empty(), "{i_rh} pA × 1.01 ramp: silent");
        }
        let pv = AdexParams::pv();
        let step = run(pv, 2, 5_000.0, |i, _| [198.0, 202.0][i as usize]);
        assert!(
            step[0].is_empty() && step[1].len() > 10,
            "{:?}",
            step[1].len()
        );
    }

    /// SOM: a step from rest sees w ≈ 0, so it fires above the w-free rheobase
    /// g_L·(V_T − E_L − Δ_T) = 20.8 pA even below I_rh = 25 pA, until adaptation silences it;
    /// below 20.8 pA it never fires.
    #[test]
    fn som_step_rheobase_is_the_adaptation_free_one() {
        let p = AdexParams::som();
        let fast = p.g_l * (p.v_t - p.e_l - p.delta_t);
        assert!((fast - 20.82).abs() < 0.01, "{fast}");
        let currents = [0.99 * fast, 0.99 * 25.0];
        let trains = run(p, 2, 10_000.0, |i, _| currents[i as usize]);
        assert!(trains[0].is_empty(), "{:?}", trains[0]);
        let n = trains[1].len();
        assert!(n > 0, "24.75 pA step: silent");
        let last = *trains[1].last().expect("n > 0");
        assert!(
            last < steps_of(5_000.0),
            "still firing at {last} ({n} spikes)"
        );
    }

    /// Rate (Hz) from the mean ISI of the spikes after `from_ms`.
    fn rate(train: &[u64], from_ms: f64) -> f64 {
        let late: Vec<u64> = train
            .iter()
            .copied()
            .filter(|&s| s >= steps_of(from_ms))
            .collect();
        if late.len() < 2 {
            return 0.0;
        }
        (late.len() - 1) as f64 / ((late[late.len() - 1] - late[0]) as f64 * DT * 1e-3)
    }

    /// The steady f–I curves rise strictly with the current, from 0 below rheobase.
    #[test]
    fn f_i_curves_are_monotonic() {
        for (p, currents) in [
            (
                AdexParams::pv(),
                [150.0, 210.0, 250.0, 300.0, 400.0, 600.0, 800.0],
            ),
            (
                AdexParams::som(),
                [20.0, 30.0, 40.0, 60.0, 80.0, 120.0, 200.0],
            ),
        ] {
            let trains = run(p, currents.len() as u32, 6_000.0, |i, _| {
                currents[i as usize]
            });
            let rates: Vec<f64> = trains.iter().map(|t| rate(t, 3_000.0)).collect();
            eprintln!("f–I {currents:?} pA: {rates:.2?} Hz");
            assert_eq!(rates[0], 0.0, "{rates:?}");
            assert!(rates[1] > 0.0, "{rates:?}");
            assert!(rates.windows(2).all(|r| r[1] > r[0]), "{rates:?}");
        }
    }

    /// PV has no adaptation, so its ISI is t_ref plus the time from V_reset to V_peak,
    /// T = ∫ C dV / (I − g_L(V − E_L) + g_LΔ_T·e^{(V−V_T)/Δ_T}) (Simpson). Forward Euler
    /// converges to it at first order: within 2 steps at dt = 0.1 ms (the steps lag: the spike
    /// is seen at the end of the step that crosses V_peak, and Euler undershoots the
    /// exponential upswing), within 4 steps at dt = 0.01 ms.
    #[test]
    fn pv_isi_matches_quadrature() {
        let currents = [250.0, 300.0, 400.0, 600.0, 1000.0];
        for (dt, tol) in [(0.1, 0.2), (0.01, 0.04)] {
            let p = AdexParams {
                dt_ms: dt,
                ..AdexParams::pv()
            };
            let trains = run(p, currents.len() as u32, 1_000.0, |i, _| {
                currents[i as usize]
            });
            for (train, &i_e) in trains.iter().zip(&currents) {
                let f = |v: f64| {
                    p.c / (i_e - p.g_l * (v - p.e_l)
                        + p.g_l * p.delta_t * ((v - p.v_t) / p.delta_t).exp())
                };
                let n = 20_000;
                let h = (p.v_peak - p.v_reset) / f64::from(n);
                let t_int = h / 3.0
                    * (0..=n)
                        .map(|k| {
                            let wgt = if k == 0 || k == n {
                                1.0
                            } else if k % 2 == 1 {
                                4.0
                            } else {
                                2.0
                            };
                            wgt * f(p.v_reset + f64::from(k) * h)
                        })
                        .sum::<f64>();
                let want = p.t_ref_ms + t_int;
                // From the second spike on (the first starts from rest).
                let isis: Vec<f64> = train[1..]
                    .windows(2)
                    .map(|w| (w[1] - w[0]) as f64 * dt)
                    .collect();
                let mean = isis.iter().sum::<f64>() / isis.len() as f64;
                assert!(
                    (mean - want).abs() < tol,
                    "dt {dt}, {i_e} pA: ISI {mean} ms, quadrature {want} ms"
                );
            }
        }
    }

    /// SOM under a step current: every spike adds exactly b (then the step's relaxation), and
    /// the ISIs lengthen.
    #[test]
    fn som_adapts() {
        let p = AdexParams::som();
        let mut pop = pop(p, 1);
        pop.set_current(0, 60.0);
        let (mut s, mut spikes) = (Vec::new(), Vec::new());
        for step in 0..steps_of(3_000.0) {
            let w_before = pop.w(0);
            s.clear();
            pop.step(&mut s);
            if !s.is_empty() {
                spikes.push(step);
                let w = w_before + p.b;
                let want = w + DT / p.tau_w * (p.a * (p.v_reset - p.e_l) - w);
                assert!((pop.w(0) - want).abs() < 1e-12, "{} != {want}", pop.w(0));
            }
        }
        let isis: Vec<u64> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
        eprintln!("SOM at 60 pA, ISIs in steps: {isis:?}");
        assert!(isis.len() > 10, "{isis:?}");
        assert!(isis[..6].windows(2).all(|w| w[1] > w[0]), "{isis:?}");
        let last = isis[isis.len() - 1];
        assert!(last > 2 * isis[0], "first ISI {}, last {last}", isis[0]);
        assert!(pop.w(0) > 10.0, "w {}", pop.w(0));
    }

    /// A conductance kick acts from the next step: the first step moves V by dt/τ_m·w·(E − V)
    /// more than in an unkicked twin, and the conductance decays as w·e^{−k·dt/τ}.
    #[test]
    fn conductance_kicks() {
        for p in [AdexParams::pv(), AdexParams::som()] {
            let mut pop = pop(p, 3);
            pop.add_conductance(0, Receptor::Excitatory, 0.3);
            pop.add_conductance(1, Receptor::Inhibitory, 0.3);
            let mut s = Vec::new();
            pop.step(&mut s);
            let m = DT / p.tau_m();
            let exc = m * 0.3 * (p.e_e - p.e_l);
            let inh = m * 0.3 * (p.e_i - p.e_l);
            assert!((pop.v(0) - pop.v(2) - exc).abs() < 1e-12, "{}", pop.v(0));
            assert!((pop.v(1) - pop.v(2) - inh).abs() < 1e-12, "{}", pop.v(1));
            for _ in 1..50 {
                pop.step(&mut s);
            }
            let ge = pop.conductance(0, Receptor::Excitatory);
            let gi = pop.conductance(1, Receptor::Inhibitory);
            assert!(
                (ge - 0.3 * (-50.0 * DT / 5.0f64).exp()).abs() < 1e-12,
                "{ge}"
            );
            assert!(
                (gi - 0.3 * (-50.0 * DT / 10.0f64).exp()).abs() < 1e-12,
                "{gi}"
            );
            assert_eq!(pop.conductance(0, Receptor::Inhibitory), 0.0);
            assert!(s.is_empty());
        }
    }

    /// After a spike, V is held for round(t_ref/dt) steps (at V_reset, or at E_L with
    /// [`RefractoryClamp::Rest`]), then the threshold is live again: under a huge current
    /// every ISI is exactly t_ref + dt.
    #[test]
    fn refractory_period_is_respected() {
        for (mut p, r) in [(AdexParams::pv(), 10u64), (AdexParams::som(), 20)] {
            for clamp in [RefractoryClamp::Reset, RefractoryClamp::Rest] {
                p.refractory_clamp = clamp;
                let held = match clamp {
                    RefractoryClamp::Reset => p.v_reset,
                    RefractoryClamp::Rest => p.e_l,
                };
                for i_e in [1_000.0, 1e5] {
                    let mut pop = pop(p, 1);
                    pop.set_current(0, i_e);
                    let (mut s, mut spikes) = (Vec::new(), Vec::new());
                    for step in 0..steps_of(200.0) {
                        s.clear();
                        pop.step(&mut s);
                        if s.is_empty() {
                            if spikes.last().is_some_and(|&l| step - l <= r) {
                                let want = held + DT / p.c * i_e;
                                assert!((pop.v(0) - want).abs() < 1e-9, "{}", pop.v(0));
                            }
                        } else {
                            spikes.push(step);
                        }
                    }
                    let isis: Vec<u64> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
                    assert!(isis.len() > 5, "{i_e} pA: {isis:?}");
                    assert!(isis.iter().all(|&d| d > r), "{clamp:?} {i_e} pA: {isis:?}");
                    if i_e > 1e4 {
                        assert!(isis.iter().all(|&d| d == r + 1), "{isis:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn initial_state_and_streams() {
        let p = AdexParams::pv();
        let pop = pop(p, 3);
        assert!((0..3).all(|i| pop.v(i) == p.e_l && pop.w(i) == 0.0 && !pop.is_refractory(i)));
        let spread = AdexParams { v0_sd: 5.0, ..p };
        let a = Adex::new(spread, 4, 9, 100).expect("valid");
        let b = Adex::new(spread, 2, 9, 102).expect("valid");
        assert_ne!(a.v(0), a.v(1));
        // Neuron i's draw depends on stream + i only: a split population draws the same.
        assert_eq!((a.v(2), a.v(3)), (b.v(0), b.v(1)));
        let sub = a.subset(&[1, 3]);
        assert_eq!((sub.len(), sub.v(0), sub.v(1)), (2, a.v(1), a.v(3)));
    }

    #[test]
    fn impossible_parameters_are_rejected_by_name() {
        type Edit = fn(&mut AdexParams);
        let cases: [(&str, Edit); 12] = [
            ("c", |p| p.c = 0.0),
            ("c", |p| p.c = 0.5),
            ("g_l", |p| p.g_l = -10.0),
            ("delta_t", |p| p.delta_t = 0.0),
            ("e_l", |p| p.e_l = f64::NAN),
            ("tau_w", |p| p.tau_w = 0.05),
            ("tau_ampa", |p| p.tau_ampa = f64::INFINITY),
            ("a", |p| p.a = -20.0),
            ("v_t", |p| p.v_t = 5.0),
            ("v_reset", |p| p.v_reset = 0.0),
            ("t_ref_ms", |p| p.t_ref_ms = -1.0),
            ("v_min", |p| p.v_min = -60.0),
        ];
        for (name, edit) in cases {
            let mut p = AdexParams::pv();
            edit(&mut p);
            let e = Adex::new(p, 1, 0, 0).expect_err("must be rejected");
            assert_eq!(e.name, name);
            assert!(e.to_string().contains(name));
        }
        let free = AdexParams {
            v_min: f64::NEG_INFINITY,
            ..AdexParams::som()
        };
        assert!(free.validate().is_ok());
    }
}

//! `lif_exp`: leaky integrate-and-fire neuron with exponentially decaying synaptic currents.
//!
//! Dynamics (NEST `iaf_psc_exp_ps`; ms, mV, pF, pA):
//!
//! ```text
//! C_m dV/dt = −(C_m/τ_m)(V − E_L) + I_ex + I_in + I_e
//! τ_ex dI_ex/dt = −I_ex,  τ_in dI_in/dt = −I_in
//! I_ex ← I_ex + w  (w ≥ 0),   I_in ← I_in + w  (w < 0)      at each input of weight w (pA)
//! ```
//! Between inputs the state is propagated exactly: with `V_∞ = E_L + τ_m I_e / C_m` and
//! `κ_s = τ_m τ_s / (C_m (τ_s − τ_m))`,
//! `V(t₀+s) = V_∞ + (V₀ − V_∞)e^{−s/τ_m} + Σ_s I_s κ_s (e^{−s/τ_s} − e^{−s/τ_m})`.
//! `V` is continuous, so the threshold is reached between inputs: after every change of state
//! the first crossing is predicted (a certified bound rules most neurons out at once; otherwise
//! [`super::expsum`] isolates and brackets the first root and finds its tick), scheduled, and
//! invalidated lazily when more input arrives first.
//!
//! Refractoriness: `V` is held at `V_reset` for `t_ref` while the currents keep decaying and —
//! with the default `refractory_input = "accumulate"` — keep receiving input (NEST semantics);
//! `"discard"` drops input arriving during the period. `τ_ex` and `τ_in` must differ from
//! `τ_m` (the propagator above is singular there). With `reset_currents` a spike also sets
//! both currents to zero (Brian2 models that reset `g`, such as the whole-fly-brain model of
//! Shiu et al. 2024: with `"discard"` the currents then stay zero through the period, which
//! is the same as freezing them). The refractory period may differ per neuron.
//!
//! A Poisson stimulus may act on `V` directly (`target_var = "V_m"`): `V ← V + w`, and the
//! neuron fires at that tick if `V ≥ V_th`.
//!
//! Reference: Hanuschkin et al. (2010) Front Neuroinform 4:113 (NEST precise models).

use super::exact::{ExactDynamics, Plan, Track};
use super::expsum::{ExpSum, first_crossing};
use super::{RefractoryInput, StateVar};
use crate::neuron::lif_delta::LifParams;
use crate::time::Time;

/// Parameters of a `lif_exp` population.
#[derive(Clone, Debug, PartialEq)]
pub struct LifExpParams {
    /// The LIF membrane parameters.
    pub lif: LifParams,
    /// Excitatory synaptic time constant τ_syn_ex (ms).
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic time constant τ_syn_in (ms).
    pub tau_syn_in: f64,
    /// Set the currents to zero at a spike.
    pub reset_currents: bool,
}

/// The exact `lif_exp` model.
#[derive(Clone)]
pub struct LifExpExact {
    p: LifParams,
    tau_e: f64,
    tau_i: f64,
    kappa_e: f64,
    kappa_i: f64,
    /// Largest PSP (mV) per pA of excitatory current: the certified bound's constant.
    kmax_e: f64,
    reset_currents: bool,
    /// Refractory period per neuron.
    t_ref: Vec<Time>,
    v: Vec<f64>,
    i_ex: Vec<f64>,
    i_in: Vec<f64>,
    v_inf: Vec<f64>,
    t_last: Vec<Time>,
    refr_end: Vec<Time>,
    due: Vec<Time>,
    track: Vec<Track>,
}

/// Peak of `κ (e^{−s/τ_s} − e^{−s/τ_m})` over `s ≥ 0` (mV per pA).
pub fn psp_peak(tau_m: f64, tau_s: f64, c_m: f64) -> (f64, f64) {
    let kappa = tau_m * tau_s / (c_m * (tau_s - tau_m));
    let s_star = (tau_m / tau_s).ln() * tau_m * tau_s / (tau_m - tau_s);
    let h = kappa * ((-s_star / tau_s).exp() - (-s_star / tau_m).exp());
    (s_star, h)
}

impl LifExpExact {
    /// A population with per-neuron initial potential and current.
    pub fn new(p: LifExpParams, v0: Vec<f64>, i_e: Vec<f64>) -> Self {
        let n = v0.len();
        let l = &p.lif;
        let kappa = |ts: f64| l.tau_m * ts / (l.c_m * (ts - l.tau_m));
        let v_inf = i_e.iter().map(|&i| l.e_l + l.tau_m / l.c_m * i).collect();
        LifExpExact {
            kappa_e: kappa(p.tau_syn_ex),
            kappa_i: kappa(p.tau_syn_in),
            kmax_e: psp_peak(l.tau_m, p.tau_syn_ex, l.c_m).1,
            tau_e: p.tau_syn_ex,
            tau_i: p.tau_syn_in,
            t_ref: vec![Time::from_ms(l.t_ref).expect("t_ref validated"); n],
            reset_currents: p.reset_currents,
            p: p.lif,
            v: v0,
            i_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            v_inf,
            t_last: vec![Time::ZERO; n],
            refr_end: vec![Time::ZERO; n],
            due: vec![Time::NEVER; n],
            track: vec![Track::default(); n],
        }
    }

    /// Sets the refractory period (ms, ≥ 0) of each neuron.
    pub fn with_t_ref(mut self, t_ref_ms: &[f64]) -> Self {
        assert_eq!(
            t_ref_ms.len(),
            self.v.len(),
            "one refractory period per neuron"
        );
        self.t_ref = t_ref_ms
            .iter()
            .map(|&x| Time::from_ms(x).expect("t_ref validated >= 0"))
            .collect();
        self
    }

    /// The state `(V, I_ex, I_in)` propagated from `(v, ie, ii)` over `dt` ms (not refractory).
    #[inline]
    fn propagate(&self, i: usize, dt: f64, v: f64, ie: f64, ii: f64) -> (f64, f64, f64) {
        let tm = self.p.tau_m;
        let em = (-dt / tm).exp();
        let de = em * (-dt * (1.0 / self.tau_e - 1.0 / tm)).exp_m1();
        let di = em * (-dt * (1.0 / self.tau_i - 1.0 / tm)).exp_m1();
        let vi = self.v_inf[i];
        let v = vi + (v - vi) * em + ie * self.kappa_e * de + ii * self.kappa_i * di;
        (
            v,
            ie * (-dt / self.tau_e).exp(),
            ii * (-dt / self.tau_i).exp(),
        )
    }

    /// The state at `t` without changing it.
    fn state_at(&self, i: usize, t: Time) -> (f64, f64, f64) {
        let (mut v, mut ie, mut ii, mut t0) =
            (self.v[i], self.i_ex[i], self.i_in[i], self.t_last[i]);
        if t <= t0 {
            return (v, ie, ii);
        }
        if t0 < self.refr_end[i] {
            let seg = t.min(self.refr_end[i]);
            let dt = seg.ms_since(t0);
            ie *= (-dt / self.tau_e).exp();
            ii *= (-dt / self.tau_i).exp();
            v = self.p.v_reset;
            t0 = seg;
            if t <= seg {
                return (v, ie, ii);
            }
        }
        self.propagate(i, t.ms_since(t0), v, ie, ii)
    }

    #[inline]
    fn advance(&mut self, i: usize, t: Time) {
        if t > self.t_last[i] {
            let (v, ie, ii) = self.state_at(i, t);
            self.v[i] = v;
            self.i_ex[i] = ie;
            self.i_in[i] = ii;
            self.t_last[i] = t;
        }
    }
}

impl ExactDynamics for LifExpExact {
    fn len(&self) -> usize {
        self.v.len()
    }

    #[inline]
    fn input(&mut self, i: usize, t: Time, w: f64) -> bool {
        if t < self.refr_end[i] && self.p.refractory_input == RefractoryInput::Discard {
            return false;
        }
        self.advance(i, t);
        if w >= 0.0 {
            self.i_ex[i] += w;
        } else {
            self.i_in[i] += w;
        }
        true
    }

    #[inline]
    fn jump(&mut self, i: usize, t: Time, w: f64) -> bool {
        if t < self.refr_end[i] {
            // V is clamped at V_reset while refractory.
            return false;
        }
        self.advance(i, t);
        self.v[i] += w;
        true
    }

    fn due(&self, i: usize) -> Time {
        self.due[i]
    }

    fn set_due(&mut self, i: usize, due: Time) {
        self.due[i] = due;
    }

    fn subset(&self, idx: &[u32]) -> Self {
        use super::pick;
        LifExpExact {
            p: self.p.clone(),
            v: pick(&self.v, idx),
            i_ex: pick(&self.i_ex, idx),
            i_in: pick(&self.i_in, idx),
            v_inf: pick(&self.v_inf, idx),
            t_last: pick(&self.t_last, idx),
            refr_end: pick(&self.refr_end, idx),
            t_ref: pick(&self.t_ref, idx),
            due: pick(&self.due, idx),
            track: pick(&self.track, idx),
            ..*self
        }
    }

    fn track(&self, i: usize) -> &Track {
        &self.track[i]
    }

    fn track_mut(&mut self, i: usize) -> &mut Track {
        &mut self.track[i]
    }

    fn above_threshold(&mut self, i: usize, t: Time) -> bool {
        // Between inputs V is continuous and crossings are found by `plan`; only a jump
        // (which leaves the state at `t`) can put V above threshold at an input.
        self.t_last[i] == t && t >= self.refr_end[i] && self.v[i] >= self.p.v_th
    }

    fn fire(&mut self, i: usize, t: Time) {
        self.advance(i, t);
        self.v[i] = self.p.v_reset;
        if self.reset_currents {
            self.i_ex[i] = 0.0;
            self.i_in[i] = 0.0;
        }
        self.refr_end[i] = t + self.t_ref[i];
    }

    fn plan(&mut self, i: usize, t: Time) -> Plan {
        match self.next_crossing(i, t) {
            Time::NEVER => Plan::NEVER,
            at => Plan { at, fire: true },
        }
    }

    fn plan_holds(&self, _i: usize) -> bool {
        // Every input can move the crossing either way: plan again (the certified bound in
        // `next_crossing` makes that cheap far from threshold).
        false
    }

    fn confirm(&self, _i: usize) -> bool {
        // Plans are renewed after every change of state, so a plan reached is exact.
        true
    }

    fn set_current(&mut self, i: usize, t: Time, i_e: f64) {
        self.advance(i, t);
        self.v_inf[i] = self.p.e_l + self.p.tau_m / self.p.c_m * i_e;
    }

    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64> {
        let (v, ie, ii) = self.state_at(i, t);
        Some(match var {
            StateVar::Vm => v,
            StateVar::ISynEx => ie,
            StateVar::ISynIn => ii,
        })
    }
}

impl LifExpExact {
    /// The first tick after `t` at which the neuron reaches threshold without further input.
    pub fn next_crossing(&self, i: usize, t: Time) -> Time {
        let base = t.max(self.refr_end[i]);
        let (v0, ie, ii) = self.state_at(i, base);
        let th = self.p.v_th;
        if v0 >= th {
            return if base > t { base } else { t + Time::TICK };
        }
        let vi = self.v_inf[i];
        // Certified bound: inhibitory current only lowers V; the excitatory one adds at most
        // kmax_e per pA; the homogeneous part never exceeds max(V0, V_inf).
        if vi.max(v0) + ie.max(0.0) * self.kmax_e < th {
            return Time::NEVER;
        }
        let b = ie * self.kappa_e;
        let c = ii * self.kappa_i;
        let f = ExpSum::new(
            vi - th,
            &[
                (v0 - vi - b - c, 1.0 / self.p.tau_m),
                (b, 1.0 / self.tau_e),
                (c, 1.0 / self.tau_i),
            ],
        );
        let cap = 1000.0 * self.p.tau_m.max(self.tau_e).max(self.tau_i);
        match first_crossing(&f, cap) {
            Some(dt) => base.saturating_add(dt),
            None => Time::NEVER,
        }
    }
}

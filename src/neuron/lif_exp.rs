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
use crate::engine::state::{StateError, Table};
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
    /// Per neuron, everything an input touches.
    c: Vec<Cell>,
}

/// The state of one neuron: two cache lines, read together by every input (a struct of
/// arrays cost one cache miss per field on large, sparsely active networks: 225 ns per
/// synaptic event on the FlyWire-scale connectome).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Cell {
    v: f64,
    i_ex: f64,
    i_in: f64,
    /// `E_L + τ_m I_e / C_m`.
    v_inf: f64,
    /// Time of `v`, `i_ex`, `i_in`.
    t_last: Time,
    refr_end: Time,
    due: Time,
    t_ref: Time,
    track: Track,
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
        let l = &p.lif;
        let kappa = |ts: f64| l.tau_m * ts / (l.c_m * (ts - l.tau_m));
        LifExpExact {
            kappa_e: kappa(p.tau_syn_ex),
            kappa_i: kappa(p.tau_syn_in),
            kmax_e: psp_peak(l.tau_m, p.tau_syn_ex, l.c_m).1,
            tau_e: p.tau_syn_ex,
            tau_i: p.tau_syn_in,
            reset_currents: p.reset_currents,
            p: p.lif.clone(),
            c: v0
                .iter()
                .zip(&i_e)
                .map(|(&v, &i)| Cell {
                    v,
                    i_ex: 0.0,
                    i_in: 0.0,
                    v_inf: l.e_l + l.tau_m / l.c_m * i,
                    t_last: Time::ZERO,
                    refr_end: Time::ZERO,
                    due: Time::NEVER,
                    t_ref: Time::from_ms(l.t_ref).expect("t_ref validated"),
                    track: Track::default(),
                })
                .collect(),
        }
    }

    /// Sets the refractory period (ms, ≥ 0) of each neuron.
    pub fn with_t_ref(mut self, t_ref_ms: &[f64]) -> Self {
        assert_eq!(
            t_ref_ms.len(),
            self.c.len(),
            "one refractory period per neuron"
        );
        for (c, &x) in self.c.iter_mut().zip(t_ref_ms) {
            c.t_ref = Time::from_ms(x).expect("t_ref validated >= 0");
        }
        self
    }

    /// The state `(V, I_ex, I_in)` propagated from `(v, ie, ii)` over `dt` ms (not refractory).
    #[inline]
    fn propagate(&self, i: usize, dt: f64, v: f64, ie: f64, ii: f64) -> (f64, f64, f64) {
        let tm = self.p.tau_m;
        let vi = self.c[i].v_inf;
        if ie == 0.0 && ii == 0.0 {
            // No synaptic current (most neurons of a sparse network): only the leak. The
            // current terms below would add exact zeros.
            if v == vi {
                return (v, 0.0, 0.0);
            }
            return (vi + (v - vi) * (-dt / tm).exp(), 0.0, 0.0);
        }
        let em = (-dt / tm).exp();
        let de = em * (-dt * (1.0 / self.tau_e - 1.0 / tm)).exp_m1();
        let decay_e = (-dt / self.tau_e).exp();
        let (di, decay_i) = if self.tau_i == self.tau_e {
            (de, decay_e)
        } else {
            (
                em * (-dt * (1.0 / self.tau_i - 1.0 / tm)).exp_m1(),
                (-dt / self.tau_i).exp(),
            )
        };
        let v = vi + (v - vi) * em + ie * self.kappa_e * de + ii * self.kappa_i * di;
        (v, ie * decay_e, ii * decay_i)
    }

    /// The state at `t` without changing it.
    fn state_at(&self, i: usize, t: Time) -> (f64, f64, f64) {
        let (mut v, mut ie, mut ii, mut t0) = (
            self.c[i].v,
            self.c[i].i_ex,
            self.c[i].i_in,
            self.c[i].t_last,
        );
        if t <= t0 {
            return (v, ie, ii);
        }
        if t0 < self.c[i].refr_end {
            let seg = t.min(self.c[i].refr_end);
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
        if t > self.c[i].t_last {
            let (v, ie, ii) = self.state_at(i, t);
            let c = &mut self.c[i];
            c.v = v;
            c.i_ex = ie;
            c.i_in = ii;
            c.t_last = t;
        }
    }
}

impl ExactDynamics for LifExpExact {
    fn len(&self) -> usize {
        self.c.len()
    }

    #[inline]
    fn input(&mut self, i: usize, t: Time, w: f64) -> bool {
        if t < self.c[i].refr_end && self.p.refractory_input == RefractoryInput::Discard {
            return false;
        }
        self.advance(i, t);
        if w >= 0.0 {
            self.c[i].i_ex += w;
        } else {
            self.c[i].i_in += w;
        }
        true
    }

    #[inline]
    fn jump(&mut self, i: usize, t: Time, w: f64) -> bool {
        if t < self.c[i].refr_end {
            // V is clamped at V_reset while refractory.
            return false;
        }
        self.advance(i, t);
        self.c[i].v += w;
        true
    }

    fn due(&self, i: usize) -> Time {
        self.c[i].due
    }

    fn set_due(&mut self, i: usize, due: Time) {
        self.c[i].due = due;
    }

    fn subset(&self, idx: &[u32]) -> Self {
        LifExpExact {
            p: self.p.clone(),
            c: super::pick(&self.c, idx),
            ..*self
        }
    }

    fn track(&self, i: usize) -> &Track {
        &self.c[i].track
    }

    fn track_mut(&mut self, i: usize) -> &mut Track {
        &mut self.c[i].track
    }

    fn above_threshold(&mut self, i: usize, t: Time) -> bool {
        // Between inputs V is continuous and crossings are found by `plan`; only a jump
        // (which leaves the state at `t`) can put V above threshold at an input.
        self.c[i].t_last == t && t >= self.c[i].refr_end && self.c[i].v >= self.p.v_th
    }

    fn fire(&mut self, i: usize, t: Time) {
        self.advance(i, t);
        self.c[i].v = self.p.v_reset;
        if self.reset_currents {
            self.c[i].i_ex = 0.0;
            self.c[i].i_in = 0.0;
        }
        self.c[i].refr_end = t + self.c[i].t_ref;
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
        self.c[i].v_inf = self.p.e_l + self.p.tau_m / self.p.c_m * i_e;
    }

    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64> {
        let (v, ie, ii) = self.state_at(i, t);
        Some(match var {
            StateVar::Vm => v,
            StateVar::ISynEx => ie,
            StateVar::ISynIn => ii,
            _ => return None,
        })
    }

    fn save(&self, neurons: &mut Table) {
        // Each neuron's state as of its last update (`t_last`), not advanced.
        let f = |g: fn(&Cell) -> f64| self.c.iter().map(g).collect::<Vec<f64>>();
        neurons.put("V_m", 1, f(|c| c.v));
        neurons.put("I_syn_ex", 1, f(|c| c.i_ex));
        neurons.put("I_syn_in", 1, f(|c| c.i_in));
        neurons.put("v_inf", 1, f(|c| c.v_inf));
        neurons.put_times("t_last", self.c.iter().map(|c| c.t_last));
        neurons.put_times("refr_end", self.c.iter().map(|c| c.refr_end));
        neurons.put_times("due", self.c.iter().map(|c| c.due));
        Track::save_all(self.c.iter().map(|c| &c.track), neurons);
    }

    fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        let (v, ie, ii, vi) = (
            neurons.get::<f64>("V_m", 1)?,
            neurons.get::<f64>("I_syn_ex", 1)?,
            neurons.get::<f64>("I_syn_in", 1)?,
            neurons.get::<f64>("v_inf", 1)?,
        );
        let (t_last, refr_end, due) = (
            neurons.get_times("t_last")?,
            neurons.get_times("refr_end")?,
            neurons.get_times("due")?,
        );
        let tracks = Track::load_all(neurons)?;
        if neurons.rows != self.c.len() {
            return Err(StateError {
                column: "V_m".into(),
                message: format!("{} rows for {} neurons", neurons.rows, self.c.len()),
            });
        }
        for (k, c) in self.c.iter_mut().enumerate() {
            // A period starts at a spike, which brings the neuron up to date.
            if refr_end[k] > t_last[k].saturating_add(c.t_ref) {
                return Err(StateError {
                    column: "refr_end".into(),
                    message: format!(
                        "row {k}: the refractory period ends {} ticks after the last update, \
                         longer than the period",
                        refr_end[k].0 - t_last[k].0
                    ),
                });
            }
            c.v = v[k];
            c.i_ex = ie[k];
            c.i_in = ii[k];
            c.v_inf = vi[k];
            c.t_last = t_last[k];
            c.refr_end = refr_end[k];
            c.due = due[k];
            c.track = tracks[k];
        }
        Ok(())
    }
}

impl LifExpExact {
    /// The first tick after `t` at which the neuron reaches threshold without further input.
    pub fn next_crossing(&self, i: usize, t: Time) -> Time {
        let base = t.max(self.c[i].refr_end);
        let (v0, ie, ii) = self.state_at(i, base);
        let th = self.p.v_th;
        if v0 >= th {
            return if base > t { base } else { t + Time::TICK };
        }
        let vi = self.c[i].v_inf;
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

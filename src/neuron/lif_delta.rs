//! `lif_delta`: leaky integrate-and-fire neuron with voltage-jump (delta) synapses.
//!
//! Sub-threshold dynamics (NEST `iaf_psc_delta`, `iaf_psc_delta_ps`):
//!
//! ```text
//! τ_m dV/dt = −(V − E_L) + R·I_e,     R = τ_m / C_m
//! V ← V + w                          at each input of weight w (mV)
//! V ≥ V_th  ⇒  spike, V ← V_reset, clamped for t_ref
//! ```
//! Between inputs `V(t) = V_∞ + (V(t₀) − V_∞)·e^{−(t−t₀)/τ_m}` with `V_∞ = E_L + R·I_e`, so the
//! *exact* model advances the state analytically, only when an input reaches it. The threshold
//! can be crossed at an input, or — when `V_∞ > V_th` — between inputs, at
//! `t₀ + τ_m·ln((V_∞ − V(t₀)) / (V_∞ − V_th))`, rounded up to the tick.
//!
//! Semantics (NEST `iaf_psc_delta_ps`): inputs arriving at the same tick are summed before the
//! threshold test; the refractory period ends at exactly `t_spike + t_ref` and an input
//! arriving then is applied; inputs during refractoriness are discarded (or, with
//! `refractory_input = "accumulate"`, added at the end of the period, decayed by
//! `e^{−(t_end − t)/τ_m}`).
//!
//! The *grid* model is NEST's `iaf_psc_delta` update on a step `h`: inputs arriving at a step's
//! end are added, the threshold is tested only at step ends, and refractoriness counts
//! `round(t_ref / h)` steps, during which inputs are discarded (or accumulated).
//!
//! Units: ms, mV, pF, pA. Reference: Rotter & Diesmann (1999) Biol Cybern 81:381; Morrison et
//! al. (2007) Neural Comput 19:47.

use super::drive::Drive;
use super::exact::{ExactDynamics, Plan, Track};
use super::{Ctx, Population, RefractoryInput, StateVar, pick};
use crate::engine::Weights;
use crate::engine::queue::{Entry, Kind};
use crate::engine::state::{PopState, StateError, Table};
use crate::time::{TICKS_PER_MS, Time};

/// Most steps of the grid on which far checks are placed (see [`LifDeltaExact::far_check`]).
const GRID_MAX: usize = 4096;

/// `ln x` for finite `x > 0`, within 1e-3 (absolute): the exponent plus a cubic in the
/// mantissa. Places checks; never decides a crossing.
#[inline]
fn ln_approx(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as f64 - 1023.0;
    let y = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000) - 1.0;
    // Least-squares cubic for ln(1 + y) on [0, 1): max error 9.3e-4.
    let ln_m = 0.000_924_730_1 + y * (0.979_755_168 + y * (-0.393_538_292 + y * 0.106_685_590));
    exponent * std::f64::consts::LN_2 + ln_m
}

/// The trigger: inputs that leave `u` below it need no end-of-tick work. With `V_∞ ≤ V_th`
/// (`c ≥ 0`) the threshold `c·E(base)` may be reached before the plan breaks, so the trigger is
/// the lower of the two; with `c < 0` the plan threshold `uw` bounds both.
#[inline]
fn trigger_rule(c: f64, uw: f64, c_e_base: impl FnOnce() -> f64) -> f64 {
    if c >= 0.0 { c_e_base().min(uw) } else { uw }
}

/// Parameters shared by a population of LIF neurons (NEST names; ms, mV, pF).
#[derive(Clone, Debug, PartialEq)]
pub struct LifParams {
    /// Membrane time constant τ_m (ms).
    pub tau_m: f64,
    /// Membrane capacitance C_m (pF).
    pub c_m: f64,
    /// Resting potential E_L (mV).
    pub e_l: f64,
    /// Threshold V_th (mV).
    pub v_th: f64,
    /// Reset potential V_reset (mV).
    pub v_reset: f64,
    /// Refractory period t_ref (ms).
    pub t_ref: f64,
    /// What happens to input during refractoriness.
    pub refractory_input: RefractoryInput,
}

/// The exact `lif_delta` model (NEST `iaf_psc_delta_ps`).
///
/// # Representation
/// Each neuron keeps `u = (V − V_∞)·e^{(t − T_k)/τ_m}`, which is constant between inputs, where
/// `T_k = k·R` is the start of the current *epoch* (`R = 16 τ_m`). An input of weight `w` at
/// `t` is `u += w·E(t)` with `E(t) = e^{(t − T_k)/τ_m}` — one factor for every target of a
/// delivered slice, so one `exp` per slice instead of one per synapse. At each epoch boundary
/// the whole population is brought up to the boundary and rescaled (a `Rebase` entry), so the
/// arithmetic does not depend on how the population is partitioned.
///
/// # The input path
/// An input touches one 32-byte cell: `u`, a trigger `trig`, the end of the refractory
/// period and the neuron's `due` time. While `u < trig` the input can change neither the
/// threshold test nor the plan, and nothing else happens; `trig` is a lower bound of both
/// (`(V_th − V_∞)·E` at an earlier time of the epoch, and `uw`), refreshed when it fires
/// without cause. Input during refractoriness
/// is dropped there (or, accumulated, added to `u`, which encodes V at the end of the period).
///
/// # Planning
/// With `V_∞ > V_th` the free crossing is at `T_k + τ_m ln(u / (V_th − V_∞))`. Far from it the
/// plan is a *check* three quarters of the way there (placed by `far_check`);
/// the plan holds while `u < uw`, `uw` being the `u` that would move the crossing before the
/// planned time. Measured on B4 with per-window sweeps (instructions, cachegrind): a check at
/// 0.65 of the way costs 1 % less than at 0.75, at 0.5 1 % more, at 0.85 4 % more.
pub struct LifDeltaExact {
    p: LifParams,
    t_ref: Time,
    /// Epoch length.
    epoch: Time,
    /// Start of the current epoch.
    t_k: Time,
    /// Plans closer than this (ms) are exact crossings rather than checks.
    check_ms: f64,
    /// [`Self::far_check`] places checks only for estimated crossings further than this
    /// (ticks): twice `check_ms` plus a margin for the estimate's error (τ·1e-3).
    far_ticks: f64,
    /// `1 / (τ_m in ticks)`.
    inv_tau_ticks: f64,
    /// `τ_m` in ticks.
    tau_ticks: f64,
    /// Far checks are placed on a grid of this step from `T_k` (ticks) ...
    grid: u64,
    /// ... `1 / grid` ...
    inv_grid: f64,
    /// ... where `E` is tabulated: `grid_e[k] = E(T_k + k·grid)`, computed as [`Self::e_rel`]
    /// computes it, so a check's threshold is the same with or without the table.
    grid_e: Vec<f64>,
    hot: Vec<Hot>,
    cold: Vec<Cold>,
    /// Cache of `E(t)` for one tick.
    cache_t: Time,
    cache_e: f64,
}

/// What an input reads and writes: half a cache line.
#[derive(Copy, Clone, Debug)]
#[repr(C, align(32))]
struct Hot {
    /// `(V − V_∞)·e^{(t − T_k)/τ}`.
    u: f64,
    /// Inputs leaving `u < trig` need no end-of-tick work.
    trig: f64,
    /// End of the refractory period.
    refr_end: Time,
    /// The neuron's earliest own event ([`ExactDynamics::due`]).
    due: Time,
}

/// The rest of a neuron's state, and the core's bookkeeping: one cache line.
#[derive(Copy, Clone, Debug)]
#[repr(C, align(64))]
struct Cold {
    /// The plan holds while `u < uw`.
    uw: f64,
    /// `V_th − V_∞`.
    c: f64,
    /// `1 / c`, for estimates.
    inv_c: f64,
    /// `u` when the current crossing plan was made.
    u_plan: f64,
    /// `V_∞ = E_L + τ I_e / C`.
    v_inf: f64,
    /// See [`ExactDynamics::track`].
    track: Track,
}

impl LifDeltaExact {
    /// A population with per-neuron initial potential `v0` and current `i_e`.
    pub fn new(p: LifParams, v0: Vec<f64>, i_e: Vec<f64>) -> Self {
        let r = p.tau_m / p.c_m;
        let epoch = Time::from_ms(16.0 * p.tau_m)
            .expect("tau_m validated")
            .max(Time::TICK);
        let inv_tau_ticks = 1.0 / (p.tau_m * TICKS_PER_MS as f64);
        // The grid covers every check base (an epoch plus a refractory period) in at most
        // GRID_MAX steps of at least τ/128; a check beyond it goes to its last point.
        let reach = epoch
            .0
            .saturating_add(Time::from_ms(p.t_ref).map_or(0, |t| t.0));
        let grid = (Time::from_ms(p.tau_m / 128.0).map_or(1, |t| t.0))
            .max(reach / GRID_MAX as u64 + 1)
            .max(1);
        let grid_e = (0..=(reach / grid + 1))
            .map(|k| ((k * grid) as i64 as f64 * inv_tau_ticks).exp())
            .collect();
        let mut hot = Vec::with_capacity(v0.len());
        let mut cold = Vec::with_capacity(v0.len());
        for (&v, &i) in v0.iter().zip(&i_e) {
            let vi = p.e_l + r * i;
            // At t = 0 (epoch 0, E = 1): u = V0 − V_∞. The first plan sets the triggers.
            hot.push(Hot {
                u: v - vi,
                trig: f64::NEG_INFINITY,
                refr_end: Time::ZERO,
                due: Time::NEVER,
            });
            cold.push(Cold {
                uw: f64::NEG_INFINITY,
                c: p.v_th - vi,
                inv_c: 1.0 / (p.v_th - vi),
                u_plan: f64::NAN,
                v_inf: vi,
                track: Track::default(),
            });
        }
        LifDeltaExact {
            t_ref: Time::from_ms(p.t_ref).expect("t_ref validated as finite and >= 0"),
            epoch,
            t_k: Time::ZERO,
            check_ms: p.tau_m / 10.0,
            far_ticks: (2.0 * p.tau_m / 10.0 + p.tau_m * 2e-3) * TICKS_PER_MS as f64,
            inv_tau_ticks,
            tau_ticks: p.tau_m * TICKS_PER_MS as f64,
            grid,
            inv_grid: 1.0 / grid as f64,
            grid_e,
            hot,
            cold,
            cache_t: Time::NEVER,
            cache_e: 1.0,
            p,
        }
    }

    /// `e^{(t − T_k)/τ}` (t may lie before `T_k` by at most the refractory period's reach).
    #[inline]
    fn e_rel(&self, t: Time) -> f64 {
        // Signed ticks: |t − T_k| is at most an epoch plus a refractory period, far below 2^63.
        let dt = t.0.wrapping_sub(self.t_k.0) as i64;
        (dt as f64 * self.inv_tau_ticks).exp()
    }

    /// `E(t)`, cached per tick.
    #[inline]
    fn e_now(&mut self, t: Time) -> f64 {
        if t != self.cache_t {
            self.cache_t = t;
            self.cache_e = self.e_rel(t);
        }
        self.cache_e
    }

    /// V at `t` without changing state.
    fn v_at(&self, i: usize, t: Time) -> f64 {
        if t < self.hot[i].refr_end {
            return self.p.v_reset;
        }
        self.cold[i].v_inf + self.hot[i].u / self.e_rel(t)
    }

    /// `E(base)` for `base ≥ t`, through the per-tick cache when `base == t`.
    #[inline]
    fn e_at(&mut self, t: Time, base: Time) -> f64 {
        if base == t {
            self.e_now(t)
        } else {
            self.e_rel(base)
        }
    }

    /// A check `(at, c·E(at))` for a neuron far from its crossing (`c < 0`), or `None` when
    /// it has crossed already or the crossing may be near (then [`ExactDynamics::plan`]
    /// computes it exactly).
    ///
    /// The crossing time is estimated with [`ln_approx`]; the check goes to the last point of
    /// a grid of step ≥ τ/128 before three quarters of the way there, where `E` is
    /// tabulated (an `exp` for every check cost 3 % of B4's run). The estimate only places
    /// the check: the result is used only if
    /// `u < c·E(at)`, i.e. if the exact crossing is after the check, which is all a check
    /// needs.
    #[inline]
    fn far_check(&self, u: f64, c: f64, inv_c: f64, base: Time) -> Option<(Time, f64)> {
        // Ticks from T_k to the estimated crossing (truncated: only an estimate).
        let ticks = ln_approx(u * inv_c).max(0.0) * self.tau_ticks;
        // Signed integer differences convert in one instruction (u64 → f64 takes several).
        let from_tk = (base.0 as i64).wrapping_sub(self.t_k.0 as i64) as f64;
        let ahead = ticks - from_tk;
        if ahead <= self.far_ticks {
            return None;
        }
        // The last grid point before three quarters of the way, if it is after `base`: its
        // `E` is in the table, which saves an `exp`.
        let k = (((from_tk + ahead * 0.75) * self.inv_grid) as usize).min(self.grid_e.len() - 1);
        let at = self.t_k + Time(k as u64 * self.grid);
        let (at, uw) = if at > base {
            (at, c * self.grid_e[k])
        } else {
            let at = base + Time((ahead * 0.75) as i64 as u64);
            (at, c * self.e_rel(at))
        };
        (u < uw).then_some((at, uw))
    }

    /// The trigger for a neuron at `t`, given its plan threshold `uw`.
    #[inline]
    fn trigger(&mut self, i: usize, t: Time) -> f64 {
        let c = self.cold[i];
        trigger_rule(c.c, c.uw, || {
            let base = t.max(self.hot[i].refr_end);
            c.c * self.e_at(t, base)
        })
    }
}

impl ExactDynamics for LifDeltaExact {
    fn len(&self) -> usize {
        self.hot.len()
    }

    #[inline]
    fn input(&mut self, i: usize, t: Time, w: f64) -> bool {
        let e = self.e_now(t);
        let discard = self.p.refractory_input == RefractoryInput::Discard;
        let h = &mut self.hot[i];
        if t < h.refr_end && discard {
            return false;
        }
        // Accumulated refractory input: u encodes V at the end of the period, so the same
        // update adds w decayed by e^{−(t_end − t)/τ} there.
        h.u += w * e;
        h.u >= h.trig
    }

    #[inline]
    fn due(&self, i: usize) -> Time {
        self.hot[i].due
    }

    #[inline]
    fn set_due(&mut self, i: usize, due: Time) {
        self.hot[i].due = due;
    }

    #[inline]
    fn subset(&self, idx: &[u32]) -> Self {
        LifDeltaExact {
            p: self.p.clone(),
            grid_e: self.grid_e.clone(),
            hot: pick(&self.hot, idx),
            cold: pick(&self.cold, idx),
            ..*self
        }
    }

    fn track(&self, i: usize) -> &Track {
        &self.cold[i].track
    }

    #[inline]
    fn track_mut(&mut self, i: usize) -> &mut Track {
        &mut self.cold[i].track
    }

    fn input_slice(
        &mut self,
        t: Time,
        targets: &[u32],
        weights: Weights,
        touched: &mut Vec<u32>,
    ) -> usize {
        let e = self.e_now(t);
        let discard = self.p.refractory_input == RefractoryInput::Discard;
        let hot = &mut self.hot;
        // One input: `u += w·e` (nothing while refractory with discarded input: a select, not
        // a branch). Stops at a neuron that is due: it needs the core first.
        weights.apply(targets, |i, w| {
            let h = &mut hot[i as usize];
            if h.due <= t {
                return false;
            }
            let f = if discard && t < h.refr_end { 0.0 } else { e };
            h.u += w as f64 * f;
            if h.u >= h.trig {
                touched.push(i);
            }
            true
        })
    }

    #[inline]
    fn above_threshold(&mut self, i: usize, t: Time) -> bool {
        let c = self.cold[i];
        if t < self.hot[i].refr_end {
            return false;
        }
        let e = self.e_now(t);
        if self.hot[i].u >= c.c * e {
            return true;
        }
        // No spike: the trigger fired early (or the plan broke); refresh it.
        self.hot[i].trig = self.trigger(i, t);
        false
    }

    fn fire(&mut self, i: usize, t: Time) {
        let end = t + self.t_ref;
        self.hot[i].refr_end = end;
        self.hot[i].u = (self.p.v_reset - self.cold[i].v_inf) * self.e_rel(end);
        // The plan that follows every spike sets the trigger.
    }

    fn plan(&mut self, i: usize, t: Time) -> Plan {
        // While refractory, plan from the end of the period: u already encodes V there (reset
        // plus any accumulated input).
        let base = t.max(self.hot[i].refr_end);
        let (c, inv_c) = (self.cold[i].c, self.cold[i].inv_c);
        let u = self.hot[i].u;
        if c < 0.0
            && let Some((at, uw)) = self.far_check(u, c, inv_c, base)
        {
            // Far from the crossing: a check, placed without an exact logarithm. (Tried
            // first: a check after `base` also shows that the neuron is below threshold at
            // `base`, which saves computing c·E(base).)
            self.cold[i].uw = uw;
            self.hot[i].trig = uw; // `trigger_rule` with c < 0
            return Plan { at, fire: false };
        }
        let at_base = c * self.e_at(t, base);
        let plan = if u >= at_base {
            // At threshold already (accumulated input at the end of the period, or V0 ≥ V_th).
            self.cold[i].u_plan = u;
            self.cold[i].uw = f64::INFINITY;
            Plan {
                at: base,
                fire: true,
            }
        } else if c >= 0.0 {
            // V_∞ ≤ V_th: only input can bring the neuron to threshold — while refractory with
            // accumulated input, at the end of the period once u reaches c·E(end).
            let accumulating = base > t && self.p.refractory_input == RefractoryInput::Accumulate;
            self.cold[i].uw = if accumulating { at_base } else { f64::INFINITY };
            Plan::NEVER
        } else {
            // u < c·E(base) < 0: the crossing is at T_k + τ ln(u / c).
            let s = self.p.tau_m * (u / c).ln();
            let t_c = self
                .t_k
                .saturating_add(Time::ceil_from_ms(s))
                .max(base + Time::TICK);
            if t_c.ms_since(base) > 2.0 * self.check_ms {
                // A check three quarters of the way (the estimate of `far_check` was too
                // rough to place it).
                let at = base + Time((t_c.0 - base.0) / 4 * 3);
                self.cold[i].uw = c * self.e_rel(at);
                Plan { at, fire: false }
            } else {
                self.cold[i].u_plan = u;
                self.cold[i].uw = u.next_up();
                Plan {
                    at: t_c,
                    fire: true,
                }
            }
        };
        // While refractory with discarded input nothing can change the plan; with accumulated
        // input the trigger watches u at the end of the period.
        self.hot[i].trig = trigger_rule(c, self.cold[i].uw, || at_base);
        plan
    }

    #[inline]
    fn plan_holds(&self, i: usize) -> bool {
        self.hot[i].u < self.cold[i].uw
    }

    fn confirm(&self, i: usize) -> bool {
        self.hot[i].u == self.cold[i].u_plan
    }

    fn set_current(&mut self, i: usize, t: Time, i_e: f64) {
        let new_inf = self.p.e_l + self.p.tau_m / self.p.c_m * i_e;
        // Keep V continuous: (V − V_∞)·E changes by (V_∞,old − V_∞,new)·E where V is free.
        let at = t.max(self.hot[i].refr_end);
        self.hot[i].u += (self.cold[i].v_inf - new_inf) * self.e_rel(at);
        self.cold[i].v_inf = new_inf;
        self.cold[i].c = self.p.v_th - new_inf;
        self.cold[i].inv_c = 1.0 / self.cold[i].c;
        self.cold[i].uw = f64::NEG_INFINITY;
        self.hot[i].trig = f64::NEG_INFINITY;
    }

    fn epoch(&self) -> Option<Time> {
        Some(self.epoch)
    }

    fn rebase(&mut self, t: Time) {
        let f = (-t.ms_since(self.t_k) / self.p.tau_m).exp();
        self.t_k = t;
        self.cache_t = Time::NEVER;
        for (h, c) in self.hot.iter_mut().zip(self.cold.iter_mut()) {
            h.u *= f;
            h.trig *= f;
            c.uw *= f;
            c.u_plan *= f;
        }
    }

    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64> {
        match var {
            StateVar::Vm => Some(self.v_at(i, t)),
            _ => None,
        }
    }

    fn save(&self, neurons: &mut Table) {
        // `c` and `inv_c` follow from `v_inf`, computed as `set_current` computes them; the
        // cache of E holds a value recomputed identically on demand.
        let hot = |f: fn(&Hot) -> f64| self.hot.iter().map(f).collect::<Vec<f64>>();
        let cold = |f: fn(&Cold) -> f64| self.cold.iter().map(f).collect::<Vec<f64>>();
        neurons.put("u", 1, hot(|h| h.u));
        neurons.put("trig", 1, hot(|h| h.trig));
        neurons.put_times("refr_end", self.hot.iter().map(|h| h.refr_end));
        neurons.put_times("due", self.hot.iter().map(|h| h.due));
        neurons.put("uw", 1, cold(|c| c.uw));
        neurons.put("u_plan", 1, cold(|c| c.u_plan));
        neurons.put("v_inf", 1, cold(|c| c.v_inf));
        // The epoch is the population's; every row holds it, so any part knows it.
        neurons.put_times("epoch_start", self.hot.iter().map(|_| self.t_k));
        Track::save_all(self.cold.iter().map(|c| &c.track), neurons);
    }

    fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        let (u, trig, uw, u_plan, v_inf) = (
            neurons.get::<f64>("u", 1)?,
            neurons.get::<f64>("trig", 1)?,
            neurons.get::<f64>("uw", 1)?,
            neurons.get::<f64>("u_plan", 1)?,
            neurons.get::<f64>("v_inf", 1)?,
        );
        let (refr_end, due, t_k) = (
            neurons.get_times("refr_end")?,
            neurons.get_times("due")?,
            neurons.get_times("epoch_start")?,
        );
        let tracks = Track::load_all(neurons)?;
        if neurons.rows != self.hot.len() {
            return Err(StateError {
                column: "u".into(),
                message: format!("{} rows for {} neurons", neurons.rows, self.hot.len()),
            });
        }
        if let Some(&first) = t_k.first() {
            if t_k.iter().any(|&x| x != first) {
                return Err(StateError {
                    column: "epoch_start".into(),
                    message: "rows disagree on the population's epoch".into(),
                });
            }
            if !(first.0).is_multiple_of(self.epoch.0) {
                return Err(StateError {
                    column: "epoch_start".into(),
                    message: format!("{} ticks is not a multiple of the epoch", first.0),
                });
            }
            self.t_k = first;
        }
        for (k, &x) in refr_end.iter().enumerate() {
            // A refractory period ends at most one period after the epoch's end.
            let last = self
                .t_k
                .saturating_add(self.epoch)
                .saturating_add(self.t_ref);
            if x > last {
                return Err(StateError {
                    column: "refr_end".into(),
                    message: format!("row {k}: {} ticks, past the epoch's reach", x.0),
                });
            }
        }
        for i in 0..self.hot.len() {
            let vi = v_inf[i];
            self.hot[i] = Hot {
                u: u[i],
                trig: trig[i],
                refr_end: refr_end[i],
                due: due[i],
            };
            self.cold[i] = Cold {
                uw: uw[i],
                c: self.p.v_th - vi,
                inv_c: 1.0 / (self.p.v_th - vi),
                u_plan: u_plan[i],
                v_inf: vi,
                track: tracks[i],
            };
        }
        self.cache_t = Time::NEVER;
        Ok(())
    }
}

/// The grid `lif_delta` model (NEST `iaf_psc_delta`), updated every step `h`.
pub struct LifDeltaGrid {
    p: LifParams,
    h: Time,
    p33: f64,
    p30: f64,
    refr_steps: u32,
    /// V − E_L (mV), as NEST keeps it.
    y3: Vec<f64>,
    i_e: Vec<f64>,
    r: Vec<u32>,
    input: Vec<f64>,
    refr_buffer: Vec<f64>,
    drive: Option<Drive>,
}

impl LifDeltaGrid {
    /// A population updated on the grid of step `h_ms`.
    pub fn new(
        p: LifParams,
        h_ms: f64,
        v0: Vec<f64>,
        i_e: Vec<f64>,
        mut drive: Option<Drive>,
    ) -> Self {
        let n = v0.len();
        let p33 = (-h_ms / p.tau_m).exp();
        let p30 = p.tau_m / p.c_m * (1.0 - p33);
        if let Some(d) = &mut drive {
            d.start_grid(h_ms);
        }
        LifDeltaGrid {
            h: Time::from_ms(h_ms).expect("resolution validated"),
            p33,
            p30,
            refr_steps: (p.t_ref / h_ms).round() as u32,
            y3: v0.iter().map(|v| v - p.e_l).collect(),
            p,
            i_e,
            r: vec![0; n],
            input: vec![0.0; n],
            refr_buffer: vec![0.0; n],
            drive,
        }
    }

    fn step(&mut self, t: Time, ctx: &mut Ctx) {
        // Pass 1: this step's Poisson input joins the spike input.
        if let Some(d) = &mut self.drive {
            d.begin_step(t);
            for (i, inp) in self.input.iter_mut().enumerate() {
                *inp += d.step_input(i);
            }
        }
        // Pass 2: NEST's update, written without data-dependent branches except the rare spike.
        let th = self.p.v_th - self.p.e_l;
        let reset = self.p.v_reset - self.p.e_l;
        let accumulate = self.p.refractory_input == RefractoryInput::Accumulate;
        for i in 0..self.y3.len() {
            let inp = std::mem::take(&mut self.input[i]);
            if self.r[i] == 0 {
                let mut y = self.p30 * self.i_e[i] + self.p33 * self.y3[i] + inp;
                if accumulate {
                    y += std::mem::take(&mut self.refr_buffer[i]);
                }
                self.y3[i] = y;
            } else {
                if accumulate {
                    self.refr_buffer[i] += inp * self.p33.powi(self.r[i] as i32);
                }
                self.r[i] -= 1;
            }
            if self.y3[i] >= th {
                self.r[i] = self.refr_steps;
                self.y3[i] = reset;
                ctx.spikes.push((t, i as u32));
            }
        }
    }
}

impl Population for LifDeltaGrid {
    fn len(&self) -> usize {
        self.y3.len()
    }
    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if !self.y3.is_empty() {
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn deliver(&mut self, _t: Time, targets: &[u32], weights: Weights, _ctx: &mut Ctx) {
        weights.apply(targets, |i, w| {
            self.input[i as usize] += w as f64;
            true
        });
    }
    fn end_tick(&mut self, _t: Time, _ctx: &mut Ctx) {}
    fn wake(&mut self, t: Time, kind: Kind, _local: u32, _b: u32, ctx: &mut Ctx) {
        if kind == Kind::GridStep {
            self.step(t, ctx);
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn set_current(&mut self, _t: Time, local: u32, i_e: f64, _ctx: &mut Ctx) {
        self.i_e[local as usize] = i_e;
    }
    fn sample(&mut self, _t: Time, local: u32, var: StateVar, _ctx: &mut Ctx) -> Option<f64> {
        match var {
            StateVar::Vm => Some(self.y3[local as usize] + self.p.e_l),
            _ => None,
        }
    }
    fn needs_end_tick(&self) -> bool {
        // Inputs accumulate until the next grid step; nothing happens at the end of a tick.
        false
    }
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| {
                Box::new(LifDeltaGrid {
                    p: self.p.clone(),
                    y3: pick(&self.y3, idx),
                    i_e: pick(&self.i_e, idx),
                    r: pick(&self.r, idx),
                    input: pick(&self.input, idx),
                    refr_buffer: pick(&self.refr_buffer, idx),
                    drive: self.drive.as_ref().map(|d| d.subset(idx)),
                    ..*self
                }) as Box<dyn Population>
            })
            .collect()
    }

    fn save(&self, _t: Time, st: &mut PopState) -> Result<(), StateError> {
        let n = &mut st.neurons;
        n.put("V_rel", 1, self.y3.clone());
        n.put("I_e", 1, self.i_e.clone());
        n.put("refr_steps", 1, self.r.clone());
        n.put("input", 1, self.input.clone());
        n.put("refr_buffer", 1, self.refr_buffer.clone());
        if let Some(d) = &self.drive {
            d.save(n);
        }
        Ok(())
    }

    fn load(&mut self, t: Time, st: &PopState, ctx: &mut Ctx) -> Result<(), StateError> {
        let n = &st.neurons;
        let len = self.y3.len();
        if n.rows != len {
            return Err(StateError {
                column: "V_rel".into(),
                message: format!("{} rows for {len} neurons", n.rows),
            });
        }
        let r = n.get::<u32>("refr_steps", 1)?;
        if let Some(k) = r.iter().position(|&x| x > self.refr_steps) {
            return Err(StateError {
                column: "refr_steps".into(),
                message: format!(
                    "row {k}: {} steps left of a refractory period of {}",
                    r[k], self.refr_steps
                ),
            });
        }
        self.r = r.to_vec();
        self.y3 = n.get::<f64>("V_rel", 1)?.to_vec();
        self.i_e = n.get::<f64>("I_e", 1)?.to_vec();
        self.input = n.get::<f64>("input", 1)?.to_vec();
        self.refr_buffer = n.get::<f64>("refr_buffer", 1)?.to_vec();
        if let Some(d) = &mut self.drive {
            // Started in grid mode when built.
            d.load(n)?;
        }
        if len > 0 {
            ctx.queue.push(Entry::new(
                next_step(t, self.h),
                Kind::GridStep,
                ctx.offset,
                0,
            ));
        }
        Ok(())
    }
}

/// The first step of a grid of step `h` started at 0 (its first step at `h`) at or after
/// `t`: a population's next grid step after everything before `t` was processed.
pub(crate) fn next_step(t: Time, h: Time) -> Time {
    let h = h.0.max(1);
    Time(t.0.div_ceil(h).max(1).saturating_mul(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_approx_is_within_its_bound() {
        let mut x = 1e-300_f64;
        while x < 1e300 {
            for m in [1.0, 1.1, 1.37, 1.5, 1.73, 1.99] {
                let y = x * m;
                assert!((ln_approx(y) - y.ln()).abs() < 1e-3, "{y}");
            }
            x *= 3.7;
        }
    }

    /// B4's neuron: V_∞ = −49 mV above V_th = −50 mV.
    fn b4(t_ref: f64) -> LifParams {
        LifParams {
            tau_m: 20.0,
            c_m: 250.0,
            e_l: -49.0,
            v_th: -50.0,
            v_reset: -60.0,
            t_ref,
            refractory_input: RefractoryInput::Discard,
        }
    }

    #[test]
    fn checks_never_pass_the_crossing() {
        // Suprathreshold drive: V_∞ = −49 mV above V_th = −50 mV (B4). From every start, the
        // chain of plans must end in the crossing at the closed-form time, never after it.
        let p = b4(5.0);
        for v0 in [-60.0, -59.0, -55.0, -52.0, -50.5, -50.01, -50.000_001] {
            let mut m = LifDeltaExact::new(p.clone(), vec![v0], vec![0.0]);
            let exact = 20.0 * ((-49.0 - v0) / 1.0_f64).ln();
            let mut t = Time::ZERO;
            let mut checks = 0;
            loop {
                let plan = m.plan(0, t);
                assert!(
                    plan.at > t && plan.at.as_ms() <= exact + 1e-9,
                    "{v0}: {plan:?}"
                );
                if plan.fire {
                    assert_eq!(plan.at, Time::ceil_from_ms(exact).max(Time::TICK), "{v0}");
                    break;
                }
                checks += 1;
                t = plan.at;
            }
            assert!(checks <= 4, "{v0}: {checks} checks");
        }
    }

    #[test]
    fn far_checks_are_exact_with_or_without_the_table() {
        // Bases over an epoch plus the refractory period (and past it, where the table ends),
        // crossings from just beyond the far limit to far away: every check lies after its
        // base, before the crossing, and its threshold is c·E(at) as `e_rel` computes it.
        for t_ref in [5.0, 2000.0] {
            let m = LifDeltaExact::new(b4(t_ref), vec![-60.0], vec![0.0]);
            assert!(
                m.grid_e.len() <= GRID_MAX + 2,
                "{t_ref}: table of {}",
                m.grid_e.len()
            );
            let c = -1.0;
            let reach = m.epoch + Time::from_ms(t_ref).unwrap();
            let (mut on_grid, mut off_grid) = (0, 0);
            for j in 0..=220u64 {
                let base = Time(reach.0 / 200 * j + 12_345);
                for dist in [4.5, 10.0, 50.0, 400.0, 5000.0] {
                    let crossing = base + Time::from_ms(dist).unwrap();
                    let u = c * m.e_rel(crossing);
                    let Some((at, uw)) = m.far_check(u, c, 1.0 / c, base) else {
                        panic!("{t_ref}: no check {dist} ms ahead of {base:?}");
                    };
                    assert!(
                        base < at && at < crossing && u < uw,
                        "{t_ref}: {base:?} {at:?}"
                    );
                    assert_eq!(uw.to_bits(), (c * m.e_rel(at)).to_bits());
                    if (at.0 - m.t_k.0).is_multiple_of(m.grid) {
                        on_grid += 1;
                    } else {
                        off_grid += 1;
                    }
                }
            }
            assert!(on_grid > 0 && off_grid > 0, "{t_ref}: {on_grid} {off_grid}");
        }
    }
}

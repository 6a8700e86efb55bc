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
use super::exact::ExactDynamics;
use super::{Ctx, Population, RefractoryInput, StateVar};
use crate::engine::queue::{Entry, Kind};
use crate::time::Time;

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
pub struct LifDeltaExact {
    p: LifParams,
    t_ref: Time,
    v: Vec<f64>,
    v_inf: Vec<f64>,
    i_e: Vec<f64>,
    t_last: Vec<Time>,
    refr_end: Vec<Time>,
    pending: Vec<f64>,
}

impl LifDeltaExact {
    /// A population with per-neuron initial potential `v0` and current `i_e`.
    pub fn new(p: LifParams, v0: Vec<f64>, i_e: Vec<f64>) -> Self {
        let n = v0.len();
        let r = p.tau_m / p.c_m;
        let v_inf = i_e.iter().map(|&i| p.e_l + r * i).collect();
        LifDeltaExact {
            t_ref: Time::from_ms(p.t_ref).expect("t_ref validated as finite and >= 0"),
            p,
            v: v0,
            v_inf,
            i_e,
            t_last: vec![Time::ZERO; n],
            refr_end: vec![Time::ZERO; n],
            pending: vec![0.0; n],
        }
    }

    /// Brings `v[i]` to time `t >= refr_end` (no-op while refractory).
    #[inline]
    fn advance(&mut self, i: usize, t: Time) {
        if self.t_last[i] < self.refr_end[i] {
            if t < self.refr_end[i] {
                return;
            }
            self.v[i] = self.p.v_reset + self.pending[i];
            self.pending[i] = 0.0;
            self.t_last[i] = self.refr_end[i];
        }
        if t > self.t_last[i] {
            let dt = t.ms_since(self.t_last[i]);
            self.v[i] = self.v_inf[i] + (self.v[i] - self.v_inf[i]) * (-dt / self.p.tau_m).exp();
            self.t_last[i] = t;
        }
    }

    /// V at `t` without changing state.
    fn v_at(&self, i: usize, t: Time) -> f64 {
        let (v0, t0) = if self.t_last[i] < self.refr_end[i] {
            if t < self.refr_end[i] {
                return self.p.v_reset;
            }
            (self.p.v_reset + self.pending[i], self.refr_end[i])
        } else {
            (self.v[i], self.t_last[i])
        };
        if t <= t0 {
            return v0;
        }
        self.v_inf[i] + (v0 - self.v_inf[i]) * (-t.ms_since(t0) / self.p.tau_m).exp()
    }
}

impl ExactDynamics for LifDeltaExact {
    fn len(&self) -> usize {
        self.v.len()
    }

    #[inline]
    fn input(&mut self, i: usize, t: Time, w: f64) {
        if t < self.refr_end[i] {
            if self.p.refractory_input == RefractoryInput::Accumulate {
                let left = self.refr_end[i].ms_since(t);
                self.pending[i] += w * (-left / self.p.tau_m).exp();
            }
            return;
        }
        self.advance(i, t);
        self.v[i] += w;
    }

    #[inline]
    fn above_threshold(&mut self, i: usize, t: Time) -> bool {
        if t < self.refr_end[i] {
            return false;
        }
        self.advance(i, t);
        self.v[i] >= self.p.v_th
    }

    fn fire(&mut self, i: usize, t: Time) {
        self.v[i] = self.p.v_reset;
        self.t_last[i] = t;
        self.refr_end[i] = t + self.t_ref;
        self.pending[i] = 0.0;
        if self.t_ref == Time::ZERO {
            // No refractory period: the state is current at t.
            self.refr_end[i] = t;
        }
    }

    #[inline]
    fn predict(&mut self, i: usize, t: Time) -> Time {
        let v_inf = self.v_inf[i];
        if v_inf <= self.p.v_th {
            return Time::NEVER;
        }
        let base = t.max(self.refr_end[i]);
        let v0 = self.v_at(i, base);
        if v0 >= self.p.v_th {
            // Only possible at the end of refractoriness (accumulated input); otherwise the
            // threshold test at `t` has fired already.
            return if base > t { base } else { t + Time::TICK };
        }
        let s = self.p.tau_m * ((v_inf - v0) / (v_inf - self.p.v_th)).ln();
        base.saturating_add(Time::ceil_from_ms(s).max(Time::TICK))
    }

    fn set_current(&mut self, i: usize, t: Time, i_e: f64) {
        self.advance(i, t);
        self.i_e[i] = i_e;
        self.v_inf[i] = self.p.e_l + self.p.tau_m / self.p.c_m * i_e;
    }

    fn sample(&self, i: usize, t: Time, var: StateVar) -> Option<f64> {
        match var {
            StateVar::Vm => Some(self.v_at(i, t)),
            _ => None,
        }
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
    touched: bool,
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
            touched: false,
        }
    }

    fn step(&mut self, t: Time, ctx: &mut Ctx) {
        let th = self.p.v_th - self.p.e_l;
        let reset = self.p.v_reset - self.p.e_l;
        let accumulate = self.p.refractory_input == RefractoryInput::Accumulate;
        let decay_per_step = self.p33;
        for i in 0..self.y3.len() {
            let mut inp = std::mem::take(&mut self.input[i]);
            if let Some(d) = &mut self.drive {
                inp += d.step_input(i);
            }
            if self.r[i] == 0 {
                self.y3[i] = self.p30 * self.i_e[i] + self.p33 * self.y3[i] + inp;
                if accumulate && self.refr_buffer[i] != 0.0 {
                    self.y3[i] += std::mem::take(&mut self.refr_buffer[i]);
                }
            } else {
                if accumulate {
                    self.refr_buffer[i] += inp * decay_per_step.powi(self.r[i] as i32);
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
    fn deliver(&mut self, _t: Time, targets: &[u32], weights: &[f32], _ctx: &mut Ctx) {
        for (&i, &w) in targets.iter().zip(weights) {
            self.input[i as usize] += w as f64;
        }
    }
    fn end_tick(&mut self, _t: Time, _ctx: &mut Ctx) {
        self.touched = false;
    }
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
        self.touched
    }
}

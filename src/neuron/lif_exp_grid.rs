//! `lif_exp` on a fixed step, in the order of Brian2's clock-driven schedule — the reference
//! semantics of the whole-fly-brain model (Shiu et al. 2024, `specs/fly_whole_brain.md`).
//!
//! Units as in [`super::lif_exp`]; with `κ = τ_m / C_m` a current `I` (pA) moves `V` like a
//! conductance-free input `g = κ I` (mV) in `dV/dt = (V_∞ − V + g)/τ_m`. Per step `h`, at step
//! `n` (time `n h`):
//!
//! 1. neurons that are not refractory integrate exactly over the step,
//!    `V ← V0T + (C_s·g_s + A·V)` (one term per current, excitatory first), then every current
//!    decays, `g_s ← B_s·g_s`, with `A = e^{−h/τ_m}`, `B_s = e^{−h/τ_s}`, `V0T = V_∞ − V_∞·A`
//!    and `C_s = τ_s (e^{h/τ_s} − e^{h/τ_m}) e^{−h/τ_m − h/τ_s} / (τ_m − τ_s)` — the values
//!    and association order of Brian2's `linear` integrator, so borderline spikes agree bit
//!    for bit (A, B, V0T and C are asserted against the spec's values in the tests);
//! 2. threshold `V > V_th` (strict) on neurons that are not refractory; spikers are refractory
//!    at once;
//! 3. spikes and Poisson input of this step (inputs delivered at times in `((n−1)h, nh]`) are
//!    added to the currents — to `V` for jumps — of neurons that are not refractory; with
//!    `refractory_input = "accumulate"` refractory neurons keep current input. Spike inputs
//!    are added one by one in delivery order (by source id), `g ← g + w`, as Brian2 adds
//!    them; a per-step sum added at once would round differently;
//! 4. spikers are reset (`V ← V_reset`, and the currents to zero with `reset_currents`).
//!
//! A neuron that spiked at step `k` is refractory while `n − k < round(t_ref / h)` (Brian2's
//! `timestep(t − lastspike) < timestep(refractory)`); `V` and, with `"discard"`, the input are
//! frozen meanwhile, while the currents keep decaying (with `reset_currents` and `"discard"`
//! they are zero, which is the same as Brian2's `(unless refractory)`). When both synaptic
//! time constants are equal the two currents are one (`I_syn_ex` holds it): the reference
//! model has a single `g`.

use super::drive::Drive;
use super::{Ctx, Population, RefractoryInput, StateVar, pick};
use crate::engine::Weights;
use crate::engine::queue::{Entry, Kind};
use crate::engine::state::{PopState, StateError};
use crate::neuron::lif_delta::next_step;
use crate::neuron::lif_exp::LifExpParams;
use crate::time::Time;

/// Per-step propagator constants.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Propagators {
    /// `e^{−h/τ_m}`.
    pub a: f64,
    /// `e^{−h/τ_ex}`.
    pub b_ex: f64,
    /// `e^{−h/τ_in}`.
    pub b_in: f64,
    /// Weight of the excitatory current in the `V` update.
    pub c_ex: f64,
    /// Weight of the inhibitory current in the `V` update.
    pub c_in: f64,
}

impl Propagators {
    /// The constants for step `h_ms`.
    pub fn new(p: &LifExpParams, h_ms: f64) -> Propagators {
        let (h, tm) = (h_ms, p.lif.tau_m);
        // The currents are held as `g = κ I` (mV), so `C_s` carries no `κ`.
        let c =
            |ts: f64| ts * ((h / ts).exp() - (h / tm).exp()) * (-h / tm - h / ts).exp() / (tm - ts);
        Propagators {
            a: (-h / tm).exp(),
            b_ex: (-h / p.tau_syn_ex).exp(),
            b_in: (-h / p.tau_syn_in).exp(),
            c_ex: c(p.tau_syn_ex),
            c_in: c(p.tau_syn_in),
        }
    }

    /// `V0T = V_∞ − V_∞·A`.
    pub fn v0t(&self, v_inf: f64) -> f64 {
        v_inf - v_inf * self.a
    }
}

/// Adds input `x` to the excitatory current (x ≥ 0, or the single current) or the inhibitory one.
#[inline]
fn add_current(g_ex: &mut f64, g_in: &mut f64, x: f64, single: bool) {
    if x >= 0.0 || single {
        *g_ex += x;
    } else {
        *g_in += x;
    }
}

/// A `lif_exp` population on a grid, Brian2 order.
pub struct LifExpGrid {
    p: LifExpParams,
    k: Propagators,
    h: Time,
    /// One current when the time constants are equal.
    single: bool,
    /// Per neuron: V_∞ (mV), V0T, V, currents, last spike step, pending input.
    v_inf: Vec<f64>,
    v0t: Vec<f64>,
    v: Vec<f64>,
    g_ex: Vec<f64>,
    g_in: Vec<f64>,
    last: Vec<i64>,
    /// Spike inputs of the coming step, in delivery order.
    pending: Vec<(u32, f32)>,
    /// Refractory steps per neuron.
    refr: Vec<i64>,
    /// Neurons with Poisson or listed input.
    driven: Vec<u32>,
    drive: Option<Drive>,
    spiked: Vec<u32>,
}

/// "Never spiked": far enough back for any refractory period.
const LONG_AGO: i64 = i64::MIN / 4;

impl LifExpGrid {
    /// A population updated on the grid of step `h_ms`, with initial `V` and current `I_e`.
    pub fn new(
        p: LifExpParams,
        h_ms: f64,
        v0: Vec<f64>,
        i_e: Vec<f64>,
        mut drive: Option<Drive>,
    ) -> Self {
        let n = v0.len();
        let k = Propagators::new(&p, h_ms);
        if let Some(d) = &mut drive {
            d.start_grid(h_ms);
        }
        let v_inf: Vec<f64> = i_e
            .iter()
            .map(|&i| p.lif.e_l + p.lif.tau_m / p.lif.c_m * i)
            .collect();
        LifExpGrid {
            single: p.tau_syn_ex == p.tau_syn_in,
            refr: vec![(p.lif.t_ref / h_ms).round() as i64; n],
            driven: drive.as_ref().map(Drive::driven).unwrap_or_default(),
            h: Time::from_ms(h_ms).expect("resolution validated"),
            v0t: v_inf.iter().map(|&x| k.v0t(x)).collect(),
            v_inf,
            k,
            p,
            v: v0,
            g_ex: vec![0.0; n],
            g_in: vec![0.0; n],
            last: vec![LONG_AGO; n],
            pending: Vec::new(),
            drive,
            spiked: Vec::new(),
        }
    }

    /// Sets the refractory period (ms, a multiple of the step) of each neuron.
    pub fn with_t_ref(mut self, t_ref_ms: &[f64]) -> Self {
        let h = self.h.as_ms();
        self.refr = t_ref_ms.iter().map(|&t| (t / h).round() as i64).collect();
        self
    }

    /// The propagator constants.
    pub fn propagators(&self) -> Propagators {
        self.k
    }

    fn step(&mut self, t: Time, ctx: &mut Ctx) {
        let n = (t.0 / self.h.0) as i64;
        let k = self.k;
        let th = self.p.lif.v_th;
        // 1. Integrate (not refractory), currents decay; 2. threshold (in the same pass: each
        // neuron's test reads only its own state).
        self.spiked.clear();
        let (v, ge, gi, v0t, last, refr) = (
            &mut self.v,
            &mut self.g_ex,
            &mut self.g_in,
            &self.v0t,
            &mut self.last,
            &self.refr,
        );
        for i in 0..v.len() {
            let free = n - last[i] >= refr[i];
            if free {
                v[i] = if self.single {
                    v0t[i] + (k.c_ex * ge[i] + k.a * v[i])
                } else {
                    v0t[i] + (k.c_ex * ge[i] + k.c_in * gi[i] + k.a * v[i])
                };
                if v[i] > th {
                    last[i] = n;
                    self.spiked.push(i as u32);
                    ctx.spikes.push((t, i as u32));
                }
            }
            ge[i] *= k.b_ex;
        }
        if !self.single {
            for g in gi.iter_mut() {
                *g *= k.b_in;
            }
        }
        // 3. This step's input: Poisson (onto V or the currents), then spikes in order.
        let discard = self.p.lif.refractory_input == RefractoryInput::Discard;
        let kappa = self.p.lif.tau_m / self.p.lif.c_m;
        // Refractory at this step's input: within the period, or spiked in this very step.
        let (last, refr) = (&self.last, &self.refr);
        let refractory = |i: usize| n - last[i] < refr[i] || last[i] == n;
        if let Some(d) = &mut self.drive {
            d.begin_step(t);
            for &i in &self.driven {
                let i = i as usize;
                let (syn, jump) = d.step_inputs(i);
                if (syn == 0.0 && jump == 0.0) || (discard && refractory(i)) {
                    continue;
                }
                if jump != 0.0 && !refractory(i) {
                    self.v[i] += jump;
                }
                add_current(
                    &mut self.g_ex[i],
                    &mut self.g_in[i],
                    kappa * syn,
                    self.single,
                );
            }
        }
        for &(i, w) in &self.pending {
            let i = i as usize;
            if discard && refractory(i) {
                continue;
            }
            add_current(
                &mut self.g_ex[i],
                &mut self.g_in[i],
                kappa * w as f64,
                self.single,
            );
        }
        self.pending.clear();
        // 4. Reset.
        for &i in &self.spiked {
            let i = i as usize;
            self.v[i] = self.p.lif.v_reset;
            if self.p.reset_currents {
                self.g_ex[i] = 0.0;
                self.g_in[i] = 0.0;
            }
        }
    }
}

impl Population for LifExpGrid {
    fn len(&self) -> usize {
        self.v.len()
    }
    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if !self.v.is_empty() {
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn deliver(&mut self, _t: Time, targets: &[u32], weights: Weights, _ctx: &mut Ctx) {
        weights.apply(targets, |i, w| {
            self.pending.push((i, w));
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
        let i = local as usize;
        self.v_inf[i] = self.p.lif.e_l + self.p.lif.tau_m / self.p.lif.c_m * i_e;
        self.v0t[i] = self.k.v0t(self.v_inf[i]);
    }
    fn sample(&mut self, _t: Time, local: u32, var: StateVar, _ctx: &mut Ctx) -> Option<f64> {
        let i = local as usize;
        let kappa = self.p.lif.tau_m / self.p.lif.c_m;
        Some(match var {
            StateVar::Vm => self.v[i],
            StateVar::ISynEx => self.g_ex[i] / kappa,
            StateVar::ISynIn => self.g_in[i] / kappa,
            _ => return None,
        })
    }
    fn needs_end_tick(&self) -> bool {
        false
    }
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| {
                let drive = self.drive.as_ref().map(|d| d.subset(idx));
                Box::new(LifExpGrid {
                    p: self.p.clone(),
                    v_inf: pick(&self.v_inf, idx),
                    v0t: pick(&self.v0t, idx),
                    v: pick(&self.v, idx),
                    g_ex: pick(&self.g_ex, idx),
                    g_in: pick(&self.g_in, idx),
                    last: pick(&self.last, idx),
                    pending: Vec::new(),
                    refr: pick(&self.refr, idx),
                    driven: drive.as_ref().map(Drive::driven).unwrap_or_default(),
                    drive,
                    spiked: Vec::new(),
                    ..*self
                }) as Box<dyn Population>
            })
            .collect()
    }

    fn save(&self, _t: Time, st: &mut PopState) -> Result<(), StateError> {
        let n = &mut st.neurons;
        // V0T follows from V_inf, computed as `set_current` computes it.
        n.put("v_inf", 1, self.v_inf.clone());
        n.put("V_m", 1, self.v.clone());
        n.put("g_ex", 1, self.g_ex.clone());
        n.put("g_in", 1, self.g_in.clone());
        n.put("last_spike_step", 1, self.last.clone());
        // The spike inputs of the coming step: per neuron its own, in delivery order (only
        // each neuron's order matters: its currents add them one by one). Column
        // `pending.k` holds each neuron's k-th input; parts with fewer leave it out, and the
        // gathered rows of neurons with fewer than k + 1 are zero.
        let mut per: Vec<Vec<f32>> = vec![Vec::new(); self.v.len()];
        for &(i, w) in &self.pending {
            per[i as usize].push(w);
        }
        n.put(
            "pending.count",
            1,
            per.iter().map(|p| p.len() as u32).collect::<Vec<u32>>(),
        );
        let most = per.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..most {
            let col: Vec<f32> = per
                .iter()
                .map(|p| p.get(k).copied().unwrap_or(0.0))
                .collect();
            n.put(&format!("pending.{k}"), 1, col);
        }
        if let Some(d) = &self.drive {
            d.save(n);
        }
        Ok(())
    }

    fn load(&mut self, t: Time, st: &PopState, ctx: &mut Ctx) -> Result<(), StateError> {
        let n = &st.neurons;
        let len = self.v.len();
        if n.rows != len {
            return Err(StateError {
                column: "V_m".into(),
                message: format!("{} rows for {len} neurons", n.rows),
            });
        }
        let next = next_step(t, self.h);
        let next_n = (next.0 / self.h.0.max(1)) as i64;
        let last = n.get::<i64>("last_spike_step", 1)?;
        if let Some(k) = last.iter().position(|&x| x >= next_n) {
            return Err(StateError {
                column: "last_spike_step".into(),
                message: format!(
                    "row {k}: step {} is not before the next step {next_n}",
                    last[k]
                ),
            });
        }
        let count = n.get::<u32>("pending.count", 1)?;
        let most = count.iter().copied().max().unwrap_or(0) as usize;
        let mut cols = Vec::with_capacity(most);
        for k in 0..most {
            cols.push(n.get::<f32>(&format!("pending.{k}"), 1)?);
        }
        self.pending.clear();
        for (i, &c) in count.iter().enumerate() {
            for col in &cols[..c as usize] {
                self.pending.push((i as u32, col[i]));
            }
        }
        self.last = last.to_vec();
        self.v_inf = n.get::<f64>("v_inf", 1)?.to_vec();
        self.v0t = self.v_inf.iter().map(|&x| self.k.v0t(x)).collect();
        self.v = n.get::<f64>("V_m", 1)?.to_vec();
        self.g_ex = n.get::<f64>("g_ex", 1)?.to_vec();
        self.g_in = n.get::<f64>("g_in", 1)?.to_vec();
        if let Some(d) = &mut self.drive {
            // Started in grid mode when built.
            d.load(n)?;
        }
        if len > 0 {
            ctx.queue
                .push(Entry::new(next, Kind::GridStep, ctx.offset, 0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neuron::lif_delta::LifParams;

    /// The fly model's neuron (spec `fly_whole_brain.md`).
    pub fn fly() -> LifExpParams {
        LifExpParams {
            lif: LifParams {
                tau_m: 20.0,
                c_m: 20.0,
                e_l: -52.0,
                v_th: -45.0,
                v_reset: -52.0,
                t_ref: 2.2,
                refractory_input: RefractoryInput::Discard,
            },
            tau_syn_ex: 5.0,
            tau_syn_in: 5.0,
            reset_currents: true,
        }
    }

    #[test]
    fn constants_are_the_references_bit_for_bit() {
        let k = Propagators::new(&fly(), 0.1);
        assert_eq!(k.a, 0.9950124791926823);
        assert_eq!(k.b_ex, 0.9801986733067553);
        assert_eq!(k.v0t(-52.0), -0.2593510819805189);
        assert_eq!(k.c_ex, 0.004937935295309026);
    }
}

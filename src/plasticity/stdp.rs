//! Pair-based spike-timing-dependent plasticity (STDP), all-to-all, event-driven through traces.
//!
//! References: Song, Miller & Abbott, Nat Neurosci 3 (2000) (additive, hard bounds);
//! van Rossum, Bi & Turrigiano, J Neurosci 20 (2000) and Rubin, Lee & Sompolinsky, Phys Rev Lett
//! 86 (2001) (multiplicative, soft bounds); Gütig, Aharonov, Rotter & Sompolinsky, J Neurosci 23
//! (2003) (the family between the two: μ = 0 additive, μ = 1 multiplicative); Morrison, Diesmann
//! & Gerstner, Biol Cybern 98 (2008) (the trace formulation and its all-to-all interaction).
//!
//! For presynaptic neuron j and postsynaptic neuron i, with dimensionless traces
//!
//! ```text
//! dx_j/dt = −x_j/τ₊ + Σ_f δ(t − t_j^f)          (every spike of j)
//! dy_i/dt = −y_i/τ₋ + Σ_f δ(t − t_i^f)          (every spike of i)
//! ```
//!
//! a spike of j at t depresses every outgoing synapse, then counts in x_j; a spike of i at t
//! potentiates every incoming synapse, then counts in y_i:
//!
//! ```text
//!                 additive                 multiplicative
//! pre  j at t:    Δw₋ = −λ·α·y_i(t)        Δw₋ = −λ·α·(w − w_min)·y_i(t)       then x_j += 1
//! post i at t:    Δw₊ =  λ·x_j(t)          Δw₊ =  λ·(w_max − w)·x_j(t)         then y_i += 1
//! ```
//!
//! ([`StdpMode::Additive`], [`StdpMode::Multiplicative`]), and after each update
//! w ← clip(w + Δw, w_min, w_max). w is the weight just before the update (read as f64; the
//! update is computed in f64 and stored as f32).
//!
//! Because the traces sum over *all* earlier spikes, every pre/post pair interacts (the
//! "all-to-all" scheme of Morrison et al. 2008, not nearest-neighbour): in the additive mode,
//! without clipping, a pair with s = t_post − t_pre contributes the window
//!
//! ```text
//! W(s) = λ·e^{−s/τ₊}        for s ≥ 0      (potentiation; s = 0 see the contract below)
//! W(s) = −λ·α·e^{s/τ₋}      for s < 0      (depression)
//! ```
//!
//! so for independent Poisson trains at r_pre and r_post (Hz) the mean drift is
//! d⟨w⟩/dt = r_pre·r_post·∫W = r_pre·r_post·λ·(τ₊ − α·τ₋) (τ in s): potentiation and depression
//! balance at α = τ₊/τ₋. In the multiplicative mode each contribution is scaled by the distance
//! to the bound at the moment it is applied, so the weight settles at a stable interior value
//! instead of running to a bound.
//!
//! λ is the learning rate: weight units per unit trace in the additive mode, a dimensionless
//! fraction of the distance to the bound in the multiplicative mode. α is the depression/
//! potentiation ratio. The weights are whatever the synapses use (dimensionless conductances in
//! units of the target's leak conductance in the BDSP networks).
//!
//! # Algorithm and contract
//!
//! Per source j: x_j; per target i: y_i. Both are [`TraceBank`]s, decayed exactly and lazily.
//! The engine drives a plastic projection as it drives [`crate::plasticity::Bdsp`]:
//!
//! - for every spike of source j at t that the shard receives, [`Stdp::on_pre`] with j's
//!   outgoing weights and their targets (transmission is the caller's business: STDP transmits
//!   every spike);
//! - for every spike of target i at t, [`Stdp::on_post`] with i's incoming weights (through a
//!   target→incoming-synapse index) and their sources.
//!
//! **Caller's contract:** spikes of one neuron come in non-decreasing time order, and within one
//! time step all presynaptic spikes are processed before all postsynaptic ones (as for BDSP, and
//! as Auryn does). A pre and a post spike at the same t therefore pair *once, as potentiation*:
//! the pre's depression reads y_i(t) without the post at t, and the post's potentiation reads
//! x_j(t) with the pre at t, so the pair adds λ (additive) or λ·(w_max − w) (multiplicative) and
//! no depression, as the limit s → 0⁺ of the window.
//!
//! Traces update whether or not plasticity is on ([`Stdp::set_plastic`]), so switching it on
//! later pairs with spikes that happened while it was off.
//!
//! Cost: one `exp` per synapse touched (the trace of the other side, decayed lazily) and no
//! allocation.

use super::ParamError;
use super::trace::{Tau, TraceBank};
use crate::time::Time;

/// How the weight change depends on the current weight.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum StdpMode {
    /// Δw₊ = λ·x_j, Δw₋ = −λ·α·y_i, then clipped (hard bounds; Song et al. 2000).
    #[default]
    Additive,
    /// Δw₊ = λ·(w_max − w)·x_j, Δw₋ = −λ·α·(w − w_min)·y_i, then clipped (soft bounds;
    /// van Rossum et al. 2000, Rubin et al. 2001). Needs finite bounds.
    Multiplicative,
}

/// Parameters of the rule. Plain data; [`Stdp::new`] validates them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct StdpParams {
    /// Learning rate λ (≥ 0).
    pub lambda: f64,
    /// Depression/potentiation ratio α (≥ 0).
    pub alpha: f64,
    /// τ₊ in ms, the time constant of the presynaptic trace x_j (potentiation window).
    pub tau_plus_ms: f64,
    /// τ₋ in ms, the time constant of the postsynaptic trace y_i (depression window).
    pub tau_minus_ms: f64,
    /// Lower weight bound (−∞ allowed in the additive mode).
    pub w_min: f32,
    /// Upper weight bound (+∞ allowed in the additive mode).
    pub w_max: f32,
    /// Additive or multiplicative.
    pub mode: StdpMode,
}

impl StdpParams {
    /// The rule with weights in [0, 1].
    pub fn new(
        lambda: f64,
        alpha: f64,
        tau_plus_ms: f64,
        tau_minus_ms: f64,
        mode: StdpMode,
    ) -> StdpParams {
        StdpParams {
            lambda,
            alpha,
            tau_plus_ms,
            tau_minus_ms,
            w_min: 0.0,
            w_max: 1.0,
            mode,
        }
    }

    /// Checks every value, naming the first impossible one: λ and α finite and ≥ 0; τ₊ and τ₋
    /// finite and > 0; bounds not NaN with w_min ≤ w_max, w_min < +∞ and w_max > −∞; both bounds
    /// finite in the multiplicative mode.
    pub fn validate(&self) -> Result<(), ParamError> {
        ParamError::non_negative("lambda", self.lambda)?;
        ParamError::non_negative("alpha", self.alpha)?;
        ParamError::positive("tau_plus_ms", self.tau_plus_ms)?;
        ParamError::positive("tau_minus_ms", self.tau_minus_ms)?;
        let (lo, hi) = (f64::from(self.w_min), f64::from(self.w_max));
        ParamError::check("w_min", lo, !lo.is_nan() && lo < f64::INFINITY, "< +∞")?;
        ParamError::check(
            "w_max",
            hi,
            !hi.is_nan() && hi >= lo && hi > f64::NEG_INFINITY,
            "≥ w_min and > −∞",
        )?;
        if self.mode == StdpMode::Multiplicative {
            ParamError::check(
                "w_min",
                lo,
                lo.is_finite(),
                "finite in the multiplicative mode (Δw₋ scales with w − w_min)",
            )?;
            ParamError::check(
                "w_max",
                hi,
                hi.is_finite(),
                "finite in the multiplicative mode (Δw₊ scales with w_max − w)",
            )?;
        }
        Ok(())
    }
}

/// The state of STDP for one projection: `n_pre` source neurons, `n_post` target neurons,
/// indexed by local index (`0..n_pre`, `0..n_post`; an index past these panics).
///
/// The weights are not stored here: they live with the synapses, and each call gets the slice
/// of the weights it changes with the matching neuron indices.
#[derive(Clone, Debug)]
pub struct Stdp {
    lambda: f64,
    alpha: f64,
    w_min: f64,
    w_max: f64,
    mode: StdpMode,
    plastic: bool,
    pre: TraceBank,
    post: TraceBank,
}

impl Stdp {
    /// The rule for `n_pre` sources and `n_post` targets, all traces at 0 at time 0,
    /// plasticity on.
    pub fn new(n_pre: u32, n_post: u32, params: &StdpParams) -> Result<Stdp, ParamError> {
        params.validate()?;
        let tau =
            |name: &'static str, ms: f64| Tau::from_ms(ms).map_err(|e| ParamError { name, ..e });
        Ok(Stdp {
            lambda: params.lambda,
            alpha: params.alpha,
            w_min: f64::from(params.w_min),
            w_max: f64::from(params.w_max),
            mode: params.mode,
            plastic: true,
            pre: TraceBank::new(n_pre, tau("tau_plus_ms", params.tau_plus_ms)?),
            post: TraceBank::new(n_post, tau("tau_minus_ms", params.tau_minus_ms)?),
        })
    }

    /// Switches weight changes on or off. The traces x and y update either way.
    pub fn set_plastic(&mut self, on: bool) {
        self.plastic = on;
    }

    /// True if weights change.
    pub fn is_plastic(&self) -> bool {
        self.plastic
    }

    /// Number of source neurons.
    pub fn n_pre(&self) -> u32 {
        self.pre.len()
    }

    /// Number of target neurons.
    pub fn n_post(&self) -> u32 {
        self.post.len()
    }

    /// A spike of source `j` at `t`, arriving at its synapses: depresses j's outgoing synapses
    /// (`weights[k]` goes to target i = `targets[k]`, equal lengths) with y_i(t), then adds 1
    /// to x_j.
    pub fn on_pre(&mut self, j: u32, t: Time, weights: &mut [f32], targets: &[u32]) {
        debug_assert_eq!(weights.len(), targets.len());
        if self.plastic {
            let scale = -self.lambda * self.alpha;
            for (w, &i) in weights.iter_mut().zip(targets) {
                let y = self.post.value_at(i, t);
                let w0 = f64::from(*w);
                let dw = match self.mode {
                    StdpMode::Additive => scale * y,
                    StdpMode::Multiplicative => scale * (w0 - self.w_min) * y,
                };
                *w = self.clip(w0 + dw);
            }
        }
        self.pre.add(j, t, 1.0);
    }

    /// A spike of target `i` at `t`: potentiates i's incoming synapses (`weights[k]` comes from
    /// source j = `sources[k]`, equal lengths) with x_j(t), then adds 1 to y_i.
    pub fn on_post(&mut self, i: u32, t: Time, weights: &mut [f32], sources: &[u32]) {
        debug_assert_eq!(weights.len(), sources.len());
        if self.plastic {
            for (w, &j) in weights.iter_mut().zip(sources) {
                let x = self.pre.value_at(j, t);
                let w0 = f64::from(*w);
                let dw = match self.mode {
                    StdpMode::Additive => self.lambda * x,
                    StdpMode::Multiplicative => self.lambda * (self.w_max - w0) * x,
                };
                *w = self.clip(w0 + dw);
            }
        }
        self.post.add(i, t, 1.0);
    }

    #[inline]
    fn clip(&self, w: f64) -> f32 {
        // Bounds validated: w_min ≤ w_max, neither NaN.
        w.clamp(self.w_min, self.w_max) as f32
    }

    /// The presynaptic trace x_j at `t` (dimensionless).
    pub fn pre_trace(&self, j: u32, t: Time) -> f64 {
        self.pre.value_at(j, t)
    }

    /// The postsynaptic trace y_i at `t` (dimensionless).
    pub fn post_trace(&self, i: u32, t: Time) -> f64 {
        self.post.value_at(i, t)
    }

    /// x_j as stored: its value at its last update and that time (for a checkpoint).
    pub fn pre_stored(&self, j: u32) -> (f64, Time) {
        self.pre.stored(j)
    }

    /// y_i as stored: its value at its last update and that time (for a checkpoint).
    pub fn post_stored(&self, i: u32) -> (f64, Time) {
        self.post.stored(i)
    }

    /// Restores x_j to a state read by [`Stdp::pre_stored`].
    pub fn restore_pre(&mut self, j: u32, value: f64, last: Time) {
        self.pre.restore(j, value, last);
    }

    /// Restores y_i to a state read by [`Stdp::post_stored`].
    pub fn restore_post(&mut self, i: u32, value: f64, last: Time) {
        self.post.restore(i, value, last);
    }

    /// The additive window W(s) at s = t_post − t_pre in ms (s = 0 counts as potentiation, see
    /// the module docs): what one isolated pair adds in the additive mode.
    pub fn window(&self, s_ms: f64) -> f64 {
        if s_ms >= 0.0 {
            self.lambda * (-s_ms / self.pre.tau().ms()).exp()
        } else {
            -self.lambda * self.alpha * (s_ms / self.post.tau().ms()).exp()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::test_support::{ms, poisson};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    const TAU_PLUS: f64 = 17.0;
    const TAU_MINUS: f64 = 34.0;

    /// λ = 0.01, α = 0.4, τ₊ = 17 ms, τ₋ = 34 ms, bounds [w_min, w_max].
    fn rule(mode: StdpMode, w_min: f32, w_max: f32) -> Stdp {
        let params = StdpParams {
            w_min,
            w_max,
            ..StdpParams::new(0.01, 0.4, TAU_PLUS, TAU_MINUS, mode)
        };
        Stdp::new(1, 1, &params).expect("valid parameters")
    }

    fn unbounded() -> Stdp {
        rule(StdpMode::Additive, f32::NEG_INFINITY, f32::INFINITY)
    }

    /// Drives synapse 0 → 0 with two trains, presynaptic spikes first at equal times; returns
    /// the final weight.
    fn drive(stdp: &mut Stdp, pre: &[Time], post: &[Time], w: f32) -> f32 {
        let mut w = [w];
        let (mut a, mut b) = (0, 0);
        while a < pre.len() || b < post.len() {
            if b == post.len() || (a < pre.len() && pre[a] <= post[b]) {
                stdp.on_pre(0, pre[a], &mut w, &[0]);
                a += 1;
            } else {
                stdp.on_post(0, post[b], &mut w, &[0]);
                b += 1;
            }
        }
        w[0]
    }

    fn times(list: &[f64]) -> Vec<Time> {
        list.iter().map(|&x| ms(x)).collect()
    }

    fn close(got: f32, want: f64, tol: f64) -> bool {
        (f64::from(got) - want).abs() < tol
    }

    /// One pair, additive: pre at 0, post at s gives λ·e^{−s/τ₊}; post at 0, pre at s gives
    /// −λ·α·e^{−s/τ₋}; equal times potentiate by λ.
    #[test]
    fn single_pairings_follow_the_window() {
        let (lambda, alpha) = (0.01, 0.4);
        for s in [0.0, 0.1, 1.0, 5.0, 17.0, 40.0, 100.0] {
            let mut stdp = unbounded();
            let dw = drive(&mut stdp, &times(&[10.0]), &times(&[10.0 + s]), 0.0);
            let want = lambda * (-s / TAU_PLUS).exp();
            assert!(close(dw, want, 1e-9), "pre→post {s} ms: {dw} != {want}");
            assert!((stdp.window(s) - want).abs() < 1e-15);
            if s > 0.0 {
                let mut stdp = unbounded();
                let dw = drive(&mut stdp, &times(&[10.0 + s]), &times(&[10.0]), 0.0);
                let want = -lambda * alpha * (-s / TAU_MINUS).exp();
                assert!(close(dw, want, 1e-9), "post→pre {s} ms: {dw} != {want}");
                assert!((stdp.window(-s) - want).abs() < 1e-15);
            }
        }
        // A post spike with no earlier pre spike, and a pre spike with no earlier post spike,
        // change nothing.
        let mut stdp = unbounded();
        assert_eq!(drive(&mut stdp, &[], &times(&[5.0]), 0.25), 0.25);
        let mut stdp = unbounded();
        assert_eq!(drive(&mut stdp, &times(&[5.0]), &[], 0.25), 0.25);
    }

    /// Multiplicative: the same pair changes w by (w_max − w)·λ·x or −(w − w_min)·λ·α·y.
    #[test]
    fn multiplicative_scales_by_distance_to_bound() {
        let (lambda, alpha, s) = (0.01, 0.4, 8.0);
        let (lo, hi) = (0.1f32, 0.9f32);
        let x = (-s / TAU_PLUS).exp();
        let y = (-s / TAU_MINUS).exp();
        for w0 in [0.1f32, 0.2, 0.5, 0.8, 0.9] {
            let (w, lo_, hi_) = (f64::from(w0), f64::from(lo), f64::from(hi));
            let mut stdp = rule(StdpMode::Multiplicative, lo, hi);
            let up = drive(&mut stdp, &times(&[0.0]), &times(&[s]), w0);
            let want_up = w + lambda * (hi_ - w) * x;
            assert!(close(up, want_up, 1e-7), "w₀ {w0}: {up} != {want_up}");
            let mut stdp = rule(StdpMode::Multiplicative, lo, hi);
            let down = drive(&mut stdp, &times(&[s]), &times(&[0.0]), w0);
            let want_down = w - lambda * alpha * (w - lo_) * y;
            assert!(
                close(down, want_down, 1e-7),
                "w₀ {w0}: {down} != {want_down}"
            );
            // The relative change is the same for every w₀ (exactly 0 at the bound).
            if w0 < hi {
                let rel = (f64::from(up) - w) / (hi_ - w);
                assert!((rel - lambda * x).abs() < 1e-5, "{rel}");
            } else {
                assert_eq!(up, hi);
            }
            if w0 > lo {
                let rel = (f64::from(down) - w) / (w - lo_);
                assert!((rel + lambda * alpha * y).abs() < 1e-5, "{rel}");
            } else {
                assert_eq!(down, lo);
            }
        }
        // The additive rule with the same bounds does not depend on w₀.
        for w0 in [0.2f32, 0.5] {
            let mut stdp = rule(StdpMode::Additive, lo, hi);
            let up = drive(&mut stdp, &times(&[0.0]), &times(&[s]), w0);
            assert!(close(up, f64::from(w0) + lambda * x, 1e-7));
        }
    }

    /// Every pair counts: two pre spikes then a post gives the sum of both windows, not just
    /// the nearest; two posts then a pre likewise; and each synapse reads the trace of its own
    /// partner.
    #[test]
    fn all_to_all_pairs_add_up() {
        let lambda = 0.01;
        let mut stdp = unbounded();
        let dw = drive(&mut stdp, &times(&[0.0, 10.0]), &times(&[25.0]), 0.0);
        let want = lambda * ((-25.0 / TAU_PLUS).exp() + (-15.0 / TAU_PLUS).exp());
        let nearest = lambda * (-15.0 / TAU_PLUS).exp();
        assert!(close(dw, want, 1e-9), "{dw} != {want}");
        assert!(f64::from(dw) - nearest > 1e-3);

        let mut stdp = unbounded();
        let dw = drive(&mut stdp, &times(&[30.0]), &times(&[0.0, 20.0]), 0.0);
        let want = -lambda * 0.4 * ((-30.0 / TAU_MINUS).exp() + (-10.0 / TAU_MINUS).exp());
        assert!(close(dw, want, 1e-9), "{dw} != {want}");

        // pre, post, pre, post: each post sees both earlier pres, each pre all earlier posts.
        let mut stdp = unbounded();
        let dw = drive(&mut stdp, &times(&[0.0, 20.0]), &times(&[5.0, 30.0]), 0.0);
        let p = |s: f64| lambda * (-s / TAU_PLUS).exp();
        let d = |s: f64| -lambda * 0.4 * (-s / TAU_MINUS).exp();
        let want = p(5.0) + d(15.0) + p(30.0) + p(10.0);
        assert!(close(dw, want, 1e-9), "{dw} != {want}");

        // Two sources, two targets, all-to-all: the index slices pick the right traces.
        let params = StdpParams {
            w_min: f32::NEG_INFINITY,
            w_max: f32::INFINITY,
            ..StdpParams::new(lambda, 0.4, TAU_PLUS, TAU_MINUS, StdpMode::Additive)
        };
        let mut stdp = Stdp::new(2, 2, &params).expect("valid parameters");
        assert_eq!((stdp.n_pre(), stdp.n_post()), (2, 2));
        let mut w = [0f32; 2];
        stdp.on_post(1, ms(0.0), &mut w, &[0, 1]);
        assert_eq!(w, [0.0; 2]);
        // Source 1 hits targets 1 and 0 (in that order): only target 1 has fired.
        let mut out = [0f32; 2];
        stdp.on_pre(1, ms(10.0), &mut out, &[1, 0]);
        assert!(close(out[0], d(10.0), 1e-9) && out[1] == 0.0, "{out:?}");
        // Target 0 fires: incoming from sources 1 and 0; only source 1 has fired.
        let mut inc = [0f32; 2];
        stdp.on_post(0, ms(12.0), &mut inc, &[1, 0]);
        assert!(close(inc[0], p(2.0), 1e-9) && inc[1] == 0.0, "{inc:?}");
    }

    /// Clipping keeps every weight in [w_min, w_max], and both bounds are reached.
    #[test]
    fn clipping_keeps_bounds() {
        for mode in [StdpMode::Additive, StdpMode::Multiplicative] {
            let params = StdpParams {
                w_min: 0.2,
                w_max: 0.7,
                ..StdpParams::new(0.8, 1.5, 20.0, 20.0, mode)
            };
            let mut stdp = Stdp::new(1, 1, &params).expect("valid parameters");
            let mut w = [0.5f32];
            // Dense causal pairs (pre 1 ms before post) drive w to w_max, then dense
            // anti-causal pairs drive it to w_min; one pairing overshoots either bound.
            let (mut top, mut bottom) = (false, false);
            for k in 0..200 {
                let t = f64::from(k) * 10.0;
                if k < 100 {
                    stdp.on_pre(0, ms(t), &mut w, &[0]);
                    stdp.on_post(0, ms(t + 1.0), &mut w, &[0]);
                    top |= w[0] == 0.7;
                } else {
                    stdp.on_post(0, ms(t), &mut w, &[0]);
                    stdp.on_pre(0, ms(t + 1.0), &mut w, &[0]);
                    bottom |= w[0] == 0.2;
                }
                assert!((0.2..=0.7).contains(&w[0]), "{mode:?}: {}", w[0]);
            }
            assert!(top && bottom, "{mode:?}: bounds reached {top} {bottom}");
        }
        // Additive with λ large: one pairing lands exactly on the bound.
        let params = StdpParams::new(5.0, 1.0, 20.0, 20.0, StdpMode::Additive);
        let mut stdp = Stdp::new(1, 1, &params).expect("valid parameters");
        assert_eq!(drive(&mut stdp, &times(&[0.0]), &times(&[1.0]), 0.5), 1.0);
        let mut stdp = Stdp::new(1, 1, &params).expect("valid parameters");
        assert_eq!(drive(&mut stdp, &times(&[1.0]), &times(&[0.0]), 0.5), 0.0);
    }

    /// Plasticity off: weights stay, traces move; switched on, later spikes pair with the
    /// spikes that came while it was off.
    #[test]
    fn gating_freezes_weights_but_not_traces() {
        let lambda = 0.01;
        let mut stdp = unbounded();
        stdp.set_plastic(false);
        assert!(!stdp.is_plastic());
        let mut w = [0.5f32];
        stdp.on_pre(0, ms(0.0), &mut w, &[0]);
        stdp.on_post(0, ms(10.0), &mut w, &[0]);
        stdp.on_pre(0, ms(15.0), &mut w, &[0]);
        assert_eq!(w, [0.5]);
        let x = (-5.0 / TAU_PLUS).exp() + (-20.0 / TAU_PLUS).exp();
        assert!((stdp.pre_trace(0, ms(20.0)) - x).abs() < 1e-12);
        assert!((stdp.post_trace(0, ms(20.0)) - (-10.0 / TAU_MINUS).exp()).abs() < 1e-12);

        stdp.set_plastic(true);
        // Post at 20 ms pairs with both pre spikes made while off.
        stdp.on_post(0, ms(20.0), &mut w, &[0]);
        let want = 0.5 + lambda * x;
        assert!(close(w[0], want, 1e-7), "{} != {want}", w[0]);
        // Pre at 30 ms pairs with both post spikes (10 ms while off, 20 ms while on).
        let before = f64::from(w[0]);
        stdp.on_pre(0, ms(30.0), &mut w, &[0]);
        let y = (-20.0 / TAU_MINUS).exp() + (-10.0 / TAU_MINUS).exp();
        assert!(close(w[0], before - lambda * 0.4 * y, 1e-7), "{}", w[0]);
    }

    fn mean_sem(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    /// Independent Poisson trains, additive, no bounds: E[Δw] = r_pre·r_post·T·λ·(τ₊ − α·τ₋).
    /// With τ₊ = 17 ms, τ₋ = 34 ms: α = 0.4 gives +3.4 ms of net window, α = 0.7 gives −6.8 ms,
    /// α = 0.5 balances.
    #[test]
    fn poisson_drift_matches_the_window_integral() {
        let (r_pre, r_post, t_s, lambda) = (10.0, 15.0, 100.0, 0.01);
        for (alpha, seed) in [(0.4, 11u64), (0.7, 12), (0.5, 13)] {
            let params = StdpParams {
                w_min: f32::NEG_INFINITY,
                w_max: f32::INFINITY,
                ..StdpParams::new(lambda, alpha, TAU_PLUS, TAU_MINUS, StdpMode::Additive)
            };
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let dws: Vec<f64> = (0..60)
                .map(|_| {
                    let pre = poisson(&mut rng, r_pre, t_s);
                    let post = poisson(&mut rng, r_post, t_s);
                    let mut stdp = Stdp::new(1, 1, &params).expect("valid parameters");
                    f64::from(drive(&mut stdp, &pre, &post, 0.0))
                })
                .collect();
            let (m, sem) = mean_sem(&dws);
            eprintln!("α {alpha}: mean Δw {m:.4} ± {sem:.4}");
            let want = r_pre * r_post * t_s * lambda * (TAU_PLUS - alpha * TAU_MINUS) * 1e-3;
            assert!(
                (m - want).abs() < 3.5 * sem,
                "α {alpha}: mean Δw {m} ± {sem}, expected {want}"
            );
            // Precise enough to tell the three cases apart.
            assert!(sem < 0.05, "α {alpha}: SEM {sem}");
        }
    }

    #[test]
    fn impossible_parameters_are_rejected_by_name() {
        let ok = StdpParams::new(0.01, 1.05, 20.0, 20.0, StdpMode::Additive);
        assert!(Stdp::new(3, 4, &ok).is_ok());
        let mult = StdpParams {
            mode: StdpMode::Multiplicative,
            ..ok
        };
        assert!(Stdp::new(3, 4, &mult).is_ok());
        let cases = [
            ("lambda", StdpParams { lambda: -0.1, ..ok }),
            (
                "lambda",
                StdpParams {
                    lambda: f64::NAN,
                    ..ok
                },
            ),
            ("alpha", StdpParams { alpha: -1.0, ..ok }),
            (
                "tau_plus_ms",
                StdpParams {
                    tau_plus_ms: 0.0,
                    ..ok
                },
            ),
            (
                "tau_minus_ms",
                StdpParams {
                    tau_minus_ms: f64::INFINITY,
                    ..ok
                },
            ),
            (
                "w_max",
                StdpParams {
                    w_min: 1.0,
                    w_max: 0.0,
                    ..ok
                },
            ),
            (
                "w_max",
                StdpParams {
                    w_max: f32::NAN,
                    ..ok
                },
            ),
            (
                "w_min",
                StdpParams {
                    w_min: f32::INFINITY,
                    w_max: f32::INFINITY,
                    ..ok
                },
            ),
            (
                "w_min",
                StdpParams {
                    w_min: f32::NEG_INFINITY,
                    ..mult
                },
            ),
            (
                "w_max",
                StdpParams {
                    w_max: f32::INFINITY,
                    ..mult
                },
            ),
        ];
        for (name, params) in cases {
            let e = Stdp::new(1, 1, &params).expect_err("must be rejected");
            assert_eq!(e.name, name, "{params:?}");
            assert!(e.to_string().contains(name));
        }
    }
}

//! The BDSP learning rule, event-driven (`specs/bdsp.md` §3).
//!
//! Payeur, Guerguiev, Zenke, Richards & Naud, Nature Neuroscience 24 (2021); the algorithm is
//! that of the authors' Auryn class `AdaptiveEBCPConnection`. For postsynaptic neuron i and
//! presynaptic neuron j:
//!
//! ```text
//! dw_ij/dt = η · [ B_i(t) − P̄_i(t)·E_i(t) ] · Ẽ_j(t)
//! dẼ_j/dt  = −Ẽ_j/τ_pre + Σ δ(t − t_event,j)        (presynaptic *events* only; dimensionless)
//! P̄_i     = min(1, B̄_i/Ē_i),  Ē_i, B̄_i: τ_avg moving averages of i's events and bursts (Hz)
//! ```
//!
//! E_i and B_i are the event and burst trains of i (see [`crate::plasticity::classify`]).
//! Each postsynaptic event depresses by η·P̄·Ẽ_j and each postsynaptic burst potentiates by
//! η·Ẽ_j: on average Δw ∝ (P − P̄)·E_post·E_pre·τ_pre, a BCM-like rule whose threshold is the
//! cell's own recent burst probability. Weights are dimensionless (units of the receiving
//! compartment's leak conductance) and clipped to [w_min, w_max] = [0, 1] in the network runs.
//!
//! # Event-driven algorithm (§3.2)
//!
//! Per presynaptic neuron j: the burst detector (trace y_j or last spike time) and Ẽ_j.
//! Per postsynaptic neuron i: the detector x_i with its burst flag, Ē_i and B̄_i, and the 30 s
//! all-spike rate r30_i. All traces decay exactly and lazily.
//!
//! - Presynaptic spike of j at t ([`Bdsp::on_pre`], then [`Bdsp::on_pre_weights`]): if it is an
//!   event, the caller transmits w_ij to every target, the min-rate term is applied to each
//!   w_ij, and Ẽ_j += 1 (so it counts for postsynaptic spikes at the same t). Burst spikes of j
//!   are neither transmitted nor counted.
//! - Postsynaptic spike of i at t ([`Bdsp::on_post`]): an *event* applies
//!   w_ij += η·(−P̄_i + h_i)·Ẽ_j(t) with P̄_i taken before the event is counted, then Ē_i counts
//!   it; a *burst* counts in B̄_i and applies w_ij += η·(1 + h_i)·Ẽ_j(t); every update is
//!   clipped. Every spike counts in r30_i. Traces are updated even when plasticity is off.
//!
//! Cost: a postsynaptic event or burst reads Ẽ_j(t) once per incoming synapse (one `exp` each,
//! since Ẽ_j is decayed lazily rather than stepped); a presynaptic event touches its outgoing
//! synapses only when the min-rate term is on. Nothing allocates.
//!
//! **Caller's contract:** spikes of one neuron come in non-decreasing time order, and within
//! one time step all presynaptic spikes are processed before all postsynaptic ones (as Auryn
//! does), so a pre event and a post spike at the same t pair with Ẽ_j = 1.
//!
//! # Homeostatic terms (§3.3; in the code, not part of the rule as published)
//!
//! - Max-rate: h_i = −(Ē_i − e_max)/Ē_i if Ē_i > e_max, else 0 (Ē_i before the current spike
//!   is counted), added to the −P̄ and +1 factors: net depression proportional to the excess.
//! - Min-rate, at each presynaptic event: if the postsynaptic rate is below e_min,
//!   w_ij += η·(e_min − rate), rate in Hz. Which rate ([`MinRateSource`]): the 30 s average of
//!   *all* postsynaptic spikes (initially 0.1 Hz), which is what runs in Auryn because the
//!   subclass's override is not virtual; or Ē_i, what `AdaptiveEBCPConnection` intended.

use super::ParamError;
use super::classify::{
    BurstDetector, BurstMode, ClassifierBank, ClassifierParams, DetectorState, Spike,
};
use super::trace::{Tau, TraceBank};
use crate::time::Time;

/// Time constant of the all-spike rate used by the min-rate term in Auryn: 30 s.
pub const RATE30_TAU_MS: f64 = 30_000.0;

/// Initial value of the 30 s all-spike rate: 0.1 Hz.
pub const RATE30_INITIAL_HZ: f64 = 0.1;

/// The postsynaptic rate the min-rate term compares with e_min.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum MinRateSource {
    /// A 30 s exponential average of all postsynaptic spikes (bursts and ignored spikes
    /// included), initially 0.1 Hz: what runs in the authors' simulations.
    #[default]
    AllSpikes30s,
    /// Ē_i, the τ_avg event average: what `AdaptiveEBCPConnection` declares.
    EventAverage,
}

/// The presynaptic min-rate term: at each presynaptic event, w_ij += η·(e_min − rate_i) when
/// rate_i < e_min.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MinRate {
    /// e_min in Hz (2 in XOR).
    pub e_min_hz: f64,
    /// Which postsynaptic rate is compared.
    pub source: MinRateSource,
}

/// Parameters of the rule. Plain data; [`Bdsp::new`] validates them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BdspParams {
    /// Learning rate η (dimensionless weight per unit of Ẽ).
    pub eta: f64,
    /// τ_pre in ms, the time constant of the presynaptic eligibility Ẽ_j.
    pub tau_pre_ms: f64,
    /// Lower weight bound (0 in the network runs; −∞ allowed, for the protocols).
    pub w_min: f32,
    /// Upper weight bound (1 in the network runs; +∞ allowed).
    pub w_max: f32,
    /// Burst detection (mode, θ_b; used for pre- and postsynaptic spikes), τ_avg and the initial
    /// Ē₀, B̄₀ of every postsynaptic neuron.
    pub post: ClassifierParams,
    /// e_max in Hz for the max-rate term; `None` switches it off.
    pub e_max_hz: Option<f64>,
    /// The min-rate term; `None` switches it off.
    pub min_rate: Option<MinRate>,
    /// Use this constant instead of the adaptive P̄ (the non-adaptive rule of the authors'
    /// `PreEventSynapse`, and the frozen-P̄ checks of §7 C1–C4). `None`: adaptive.
    pub fixed_p_bar: Option<f64>,
}

impl BdspParams {
    /// The core rule: trace-mode detection, θ_b = 16 ms, weights in [0, 1], no homeostatic
    /// terms, adaptive P̄ starting from Ē₀ = B̄₀ = 0.
    pub fn new(eta: f64, tau_pre_ms: f64, tau_avg_ms: f64) -> BdspParams {
        BdspParams {
            eta,
            tau_pre_ms,
            w_min: 0.0,
            w_max: 1.0,
            post: ClassifierParams::new(BurstMode::Trace, tau_avg_ms),
            e_max_hz: None,
            min_rate: None,
            fixed_p_bar: None,
        }
    }

    /// The plastic feedforward projections of the XOR network (§3.4, §5.2): τ_pre = 100 ms,
    /// τ_avg = 2 s, weights in [0, 1], e_max = 10 Hz, e_min = 2 Hz on the 30 s all-spike rate.
    /// η is 8e-3 for input→hidden and 4e-3 for hidden→output.
    pub fn xor(eta: f64) -> BdspParams {
        BdspParams {
            e_max_hz: Some(10.0),
            min_rate: Some(MinRate {
                e_min_hz: 2.0,
                source: MinRateSource::AllSpikes30s,
            }),
            ..BdspParams::new(eta, 100.0, 2000.0)
        }
    }

    fn validate(&self) -> Result<(), ParamError> {
        ParamError::non_negative("eta", self.eta)?;
        let (lo, hi) = (f64::from(self.w_min), f64::from(self.w_max));
        ParamError::check("w_min", lo, !lo.is_nan() && lo < f64::INFINITY, "< +∞")?;
        ParamError::check("w_max", hi, !hi.is_nan() && hi >= lo, "≥ w_min")?;
        if let Some(e_max) = self.e_max_hz {
            ParamError::positive("e_max_hz", e_max)?;
        }
        if let Some(m) = self.min_rate {
            ParamError::non_negative("min_rate.e_min_hz", m.e_min_hz)?;
        }
        if let Some(p) = self.fixed_p_bar {
            ParamError::unit("fixed_p_bar", p)?;
        }
        Ok(())
    }
}

/// What a presynaptic spike is, and so whether it is transmitted.
#[must_use]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PreOutcome {
    /// The spike's class.
    pub spike: Spike,
}

impl PreOutcome {
    /// True for an event: the feedforward synapses of the rule carry events only (§4.2).
    pub fn transmits(self) -> bool {
        self.spike == Spike::Event
    }
}

/// The state of BDSP for one projection: `n_pre` source neurons, `n_post` target neurons,
/// indexed by local index (`0..n_pre`, `0..n_post`; an index past these panics).
///
/// The weights are not stored here: they live with the synapses, and each call gets the slice
/// of the weights it changes with the matching neuron indices.
#[derive(Clone, Debug)]
pub struct Bdsp {
    eta: f64,
    w_min: f64,
    w_max: f64,
    e_max_hz: Option<f64>,
    min_rate: Option<MinRate>,
    fixed_p_bar: Option<f64>,
    plastic: bool,
    pre_detector: BurstDetector,
    pre_state: Vec<DetectorState>,
    eligibility: TraceBank,
    post: ClassifierBank,
    rate30: TraceBank,
}

impl Bdsp {
    /// The rule for `n_pre` sources and `n_post` targets, plasticity on.
    pub fn new(n_pre: u32, n_post: u32, params: &BdspParams) -> Result<Bdsp, ParamError> {
        params.validate()?;
        let post = ClassifierBank::new(n_post, &params.post)?;
        let tau_pre = Tau::from_ms(params.tau_pre_ms).map_err(|e| ParamError {
            name: "tau_pre_ms",
            ..e
        })?;
        let tau30 = Tau::from_ms(RATE30_TAU_MS).expect("30 s is a valid time constant");
        Ok(Bdsp {
            eta: params.eta,
            w_min: f64::from(params.w_min),
            w_max: f64::from(params.w_max),
            e_max_hz: params.e_max_hz,
            min_rate: params.min_rate,
            fixed_p_bar: params.fixed_p_bar,
            plastic: true,
            pre_detector: *post.detector(),
            pre_state: vec![DetectorState::default(); n_pre as usize],
            eligibility: TraceBank::new(n_pre, tau_pre),
            post,
            rate30: TraceBank::filled(
                n_post,
                tau30,
                RATE30_INITIAL_HZ * tau30.seconds(),
                Time::ZERO,
            ),
        })
    }

    /// Switches weight changes on or off. Traces (Ẽ, Ē, B̄, r30, detectors) update either way.
    pub fn set_plastic(&mut self, on: bool) {
        self.plastic = on;
    }

    /// True if weights change.
    pub fn is_plastic(&self) -> bool {
        self.plastic
    }

    /// Number of source neurons.
    pub fn n_pre(&self) -> u32 {
        self.eligibility.len()
    }

    /// Number of target neurons.
    pub fn n_post(&self) -> u32 {
        self.post.len()
    }

    /// A spike of source `j` at `t`: classifies it and, for an event, adds 1 to Ẽ_j.
    ///
    /// The caller transmits the spike only if [`PreOutcome::transmits`], and then passes j's
    /// outgoing weights to [`Bdsp::on_pre_weights`]. Ẽ_j depends on nothing else, so the order
    /// of the two calls does not matter; both come before the postsynaptic spikes of the step.
    #[inline]
    pub fn on_pre(&mut self, j: u32, t: Time) -> PreOutcome {
        let spike = self
            .pre_detector
            .classify(&mut self.pre_state[j as usize], t);
        if spike == Spike::Event {
            self.eligibility.add(j, t, 1.0);
        }
        PreOutcome { spike }
    }

    /// The weight changes of a presynaptic event of `j` at `t` (the min-rate term) on j's
    /// outgoing synapses: `weights[k]` goes to target `targets[k]` (equal lengths).
    ///
    /// Does nothing unless plasticity is on, the min-rate term is configured and j's last spike
    /// (passed to [`Bdsp::on_pre`]) was an event at `t`.
    pub fn on_pre_weights(&self, j: u32, t: Time, weights: &mut [f32], targets: &[u32]) {
        debug_assert_eq!(weights.len(), targets.len());
        if !self.plastic || !self.pre_state[j as usize].was_event_at(t) {
            return;
        }
        self.min_rate_term(t, weights, targets);
    }

    /// The min-rate term of a presynaptic event at `t` on `weights` (onto `targets`).
    #[inline]
    fn min_rate_term(&self, t: Time, weights: &mut [f32], targets: &[u32]) {
        let Some(min_rate) = self.min_rate else {
            return;
        };
        for (w, &i) in weights.iter_mut().zip(targets) {
            let rate = match min_rate.source {
                MinRateSource::AllSpikes30s => self.rate30.rate_hz(i, t),
                MinRateSource::EventAverage => self.post.event_rate_hz(i, t),
            };
            if rate < min_rate.e_min_hz {
                *w = self.clip(f64::from(*w) + self.eta * (min_rate.e_min_hz - rate));
            }
        }
    }

    /// A spike of target `i` at `t`: classifies it, applies the rule to i's incoming synapses
    /// (`weights[k]` comes from source `sources[k]`, equal lengths) and updates i's traces.
    /// Returns the spike's class.
    pub fn on_post(&mut self, i: u32, t: Time, weights: &mut [f32], sources: &[u32]) -> Spike {
        let spike = self.post.classify(i, t);
        self.on_post_spike(i, t, spike, weights, sources);
        spike
    }

    /// A presynaptic *event* of source `j` at `t` classified by the caller (the engine
    /// classifies each spike once for all projections): the min-rate term on j's outgoing
    /// synapses (`weights[k]` onto target `targets[k]`) if plasticity is on, then Ẽ_j += 1.
    /// Burst and ignored spikes of j are not passed here.
    pub fn pre_event(&mut self, j: u32, t: Time, weights: &mut [f32], targets: &[u32]) {
        debug_assert_eq!(weights.len(), targets.len());
        if self.plastic {
            self.min_rate_term(t, weights, targets);
        }
        self.eligibility.add(j, t, 1.0);
    }

    /// A spike of target `i` at `t` that the caller classified as `spike` (see
    /// [`Bdsp::on_post`], which classifies with the rule's own detector).
    pub fn on_post_spike(
        &mut self,
        i: u32,
        t: Time,
        spike: Spike,
        weights: &mut [f32],
        sources: &[u32],
    ) {
        debug_assert_eq!(weights.len(), sources.len());
        if self.plastic && spike != Spike::Ignored {
            // P̄ and h before this spike is counted.
            let h = self.max_rate_term(i, t);
            let factor = match spike {
                Spike::Event => -self.p_bar(i, t) + h,
                _ => 1.0 + h,
            };
            self.apply(self.eta * factor, t, weights, sources);
        }
        self.post.count(i, t, spike);
        self.rate30.add(i, t, 1.0);
    }

    /// w_k += scale·Ẽ_{sources[k]}(t), clipped.
    #[inline]
    fn apply(&self, scale: f64, t: Time, weights: &mut [f32], sources: &[u32]) {
        for (w, &j) in weights.iter_mut().zip(sources) {
            let e = self.eligibility.value_at(j, t);
            *w = self.clip(f64::from(*w) + scale * e);
        }
    }

    #[inline]
    fn clip(&self, w: f64) -> f32 {
        // Bounds validated: w_min ≤ w_max, neither NaN.
        w.clamp(self.w_min, self.w_max) as f32
    }

    /// Ẽ_j at `t` (dimensionless; ≈ E_j·τ_pre on average).
    pub fn eligibility(&self, j: u32, t: Time) -> f64 {
        self.eligibility.value_at(j, t)
    }

    /// Ē_i at `t` in Hz.
    pub fn event_rate_hz(&self, i: u32, t: Time) -> f64 {
        self.post.event_rate_hz(i, t)
    }

    /// B̄_i at `t` in Hz.
    pub fn burst_rate_hz(&self, i: u32, t: Time) -> f64 {
        self.post.burst_rate_hz(i, t)
    }

    /// The P̄_i the rule uses at `t`: the fixed value if configured, else min(1, B̄_i/Ē_i)
    /// (1 if Ē_i = 0).
    pub fn p_bar(&self, i: u32, t: Time) -> f64 {
        self.fixed_p_bar.unwrap_or_else(|| self.post.p_bar(i, t))
    }

    /// The max-rate term h_i at `t`: −(Ē_i − e_max)/Ē_i if Ē_i > e_max, else 0 (and 0 when the
    /// term is off).
    pub fn max_rate_term(&self, i: u32, t: Time) -> f64 {
        match self.e_max_hz {
            Some(e_max) => {
                let e = self.post.event_rate_hz(i, t);
                if e > e_max { -(e - e_max) / e } else { 0.0 }
            }
            None => 0.0,
        }
    }

    /// The 30 s all-spike rate of target `i` at `t` in Hz (initially 0.1 Hz).
    pub fn rate30_hz(&self, i: u32, t: Time) -> f64 {
        self.rate30.rate_hz(i, t)
    }

    /// Sets Ē_i and B̄_i at `t` (Hz), e.g. to start a protocol from given estimates.
    pub fn set_post_rates(&mut self, i: u32, t: Time, event_hz: f64, burst_hz: f64) {
        self.post.set_rates(i, t, event_hz, burst_hz);
    }

    /// Ẽ_j as stored: its value at its last update and that time (for a checkpoint).
    pub fn eligibility_stored(&self, j: u32) -> (f64, Time) {
        self.eligibility.stored(j)
    }

    /// Restores Ẽ_j to a state read by [`Bdsp::eligibility_stored`].
    pub fn restore_eligibility(&mut self, j: u32, value: f64, last: Time) {
        self.eligibility.restore(j, value, last);
    }

    /// Target `i`'s traces as stored, each its value at its last update and that time: the
    /// Ē and B̄ traces (counts, not rates) and the 30 s all-spike trace (for a checkpoint).
    /// The rule's own detectors ([`Bdsp::on_pre`], [`Bdsp::on_post`]) are not included:
    /// the engine classifies spikes itself.
    pub fn post_stored(&self, i: u32) -> [(f64, Time); 3] {
        let [e, b] = self.post.stored(i);
        [e, b, self.rate30.stored(i)]
    }

    /// Restores target `i`'s traces to a state read by [`Bdsp::post_stored`].
    pub fn restore_post(&mut self, i: u32, traces: [(f64, Time); 3]) {
        self.post.restore(i, [traces[0], traces[1]]);
        self.rate30.restore(i, traces[2].0, traces[2].1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::test_support::{burst_poisson, drive_pair, ms};
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The single-pairing checks of §7 C1–C3: η = 1, τ_pre = 100 ms, P̄ frozen at 0.2, no bounds.
    fn pairing_rule(mode: BurstMode) -> Bdsp {
        let params = BdspParams {
            w_min: f32::NEG_INFINITY,
            w_max: f32::INFINITY,
            post: ClassifierParams::new(mode, 2000.0),
            fixed_p_bar: Some(0.2),
            ..BdspParams::new(1.0, 100.0, 2000.0)
        };
        Bdsp::new(1, 1, &params).expect("valid parameters")
    }

    fn times(list: &[f64]) -> Vec<Time> {
        list.iter().map(|&t| ms(t)).collect()
    }

    /// Table of (pre spikes, post spikes, expected Δw) run through one driver, both modes.
    #[test]
    fn c1_c2_c3_single_pairings() {
        let c1 = (-0.1f64).exp() - 0.2 * (-0.05f64).exp();
        let c2 = -0.2 * (-0.05f64).exp();
        assert!((c1 - 0.7146).abs() < 5e-5 && (c2 + 0.1902).abs() < 5e-5);
        let doublet_post = (-0.1f64).exp() - 0.2 * (-0.05f64).exp();
        let cases: &[(&[f64], &[f64], f64)] = &[
            // C1: pre event, post doublet.
            (&[0.0], &[5.0, 10.0], c1),
            // C2: pre event, single post spike.
            (&[0.0], &[5.0], c2),
            // C3: post spikes before any pre event.
            (&[20.0], &[0.0, 5.0, 10.0], 0.0),
            // C3: a presynaptic doublet counts as its event only.
            (&[0.0, 3.0], &[5.0, 10.0], doublet_post),
            (&[0.0, 3.0, 4.0], &[5.0], c2),
            // Pre and post at the same time: pre first, Ẽ = 1.
            (&[0.0], &[0.0], -0.2),
        ];
        for mode in [BurstMode::Isi, BurstMode::Trace] {
            for (pre, post, want) in cases {
                let mut rule = pairing_rule(mode);
                let dw = drive_pair(&mut rule, &times(pre), &times(post), 0.0);
                assert!(
                    (f64::from(dw) - want).abs() < 1e-6,
                    "{mode:?} pre {pre:?} post {post:?}: {dw} != {want}"
                );
            }
        }
    }

    #[test]
    fn presynaptic_burst_spikes_are_not_transmitted() {
        let mut rule = pairing_rule(BurstMode::Trace);
        // In trace mode a spike 26 ms after a triplet is still absorbed (x ≈ 0.53 > e⁻¹).
        let outcomes: Vec<bool> = times(&[0.0, 3.0, 4.0, 30.0, 90.0])
            .into_iter()
            .map(|t| rule.on_pre(0, t).transmits())
            .collect();
        assert_eq!(outcomes, [true, false, false, false, true]);
        let e = (-90.0f64 / 100.0).exp() + 1.0;
        assert!((rule.eligibility(0, ms(90.0)) - e).abs() < 1e-12);
    }

    /// Burst-Poisson protocol (§6.1) on one synapse: Δw over `duration_s`.
    fn burst_poisson_dw(params: &BdspParams, p: f64, seed: u64, duration_s: f64) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (pre, _, _) = burst_poisson(&mut rng, 5.0, p, 2, 20.0, duration_s);
        let (post, _, _) = burst_poisson(&mut rng, 5.0, p, 2, 20.0, duration_s);
        let mut rule = Bdsp::new(1, 1, params).expect("valid parameters");
        f64::from(drive_pair(&mut rule, &pre, &post, 0.0))
    }

    fn mean_sem(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    fn protocol_params(tau_avg_ms: f64) -> BdspParams {
        BdspParams {
            w_min: f32::NEG_INFINITY,
            w_max: f32::INFINITY,
            post: ClassifierParams::new(BurstMode::Isi, tau_avg_ms),
            ..BdspParams::new(0.1, 50.0, tau_avg_ms)
        }
    }

    /// §7 C4: frozen P̄₀ = 0.2, η = 0.1, T = 100 s, τ_pre = 50 ms, ER 5 Hz pre and post:
    /// E[Δw] = η·T·τ_pre·E_pre·E_post·(p − P̄₀) = 12.5·(p − 0.2).
    #[test]
    fn c4_burst_poisson_is_linear_in_p() {
        let params = BdspParams {
            fixed_p_bar: Some(0.2),
            ..protocol_params(15_000.0)
        };
        let ps = [0.0, 0.1, 0.2, 0.3, 0.4];
        let means: Vec<f64> = ps
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                let dws: Vec<f64> = (0..20)
                    .map(|r| burst_poisson_dw(&params, p, 100 * k as u64 + r, 100.0))
                    .collect();
                mean_sem(&dws).0
            })
            .collect();
        for (&p, &m) in ps.iter().zip(&means) {
            let want = 12.5 * (p - 0.2);
            assert!(
                (m - want).abs() < 0.3,
                "p {p}: mean Δw {m}, expected {want}"
            );
        }
        assert!(means[0] < -2.0 && means[4] > 2.0, "{means:?}");
        assert!(means.windows(2).all(|w| w[1] > w[0]), "{means:?}");
        let pm = ps.iter().sum::<f64>() / 5.0;
        let mm = means.iter().sum::<f64>() / 5.0;
        let slope = ps
            .iter()
            .zip(&means)
            .map(|(p, m)| (p - pm) * (m - mm))
            .sum::<f64>()
            / ps.iter().map(|p| (p - pm).powi(2)).sum::<f64>();
        assert!((slope - 12.5).abs() < 1.5, "slope {slope}");
    }

    /// §7 C5, the periodic protocol. The reading that reproduces the table is that of the
    /// authors' script: each sequence is simulated in a window of 5/f + 1 s whose first pairing
    /// is 10 ms after the window opens, then Ē and B̄ decay over a further 10 s gap; so the
    /// sequences start 5/f + 11 s apart and the first pairing is at 10 ms after Ē₀, B̄₀.
    fn periodic_protocol(f_hz: f64) -> f64 {
        let mut params = protocol_params(15_000.0);
        params.post = params.post.with_initial_rates(5.0, 0.75);
        let mut rule = Bdsp::new(1, 1, &params).expect("valid parameters");
        let period_ms = 1e3 / f_hz;
        let window_ms = 5.0 * period_ms + 1000.0 + 10_000.0;
        let train: Vec<Time> = (0..15)
            .flat_map(|s| {
                (0..5).map(move |k| f64::from(s) * window_ms + 10.0 + f64::from(k) * period_ms)
            })
            .map(ms)
            .collect();
        f64::from(drive_pair(&mut rule, &train, &train, 0.0))
    }

    #[test]
    fn c5_periodic_protocol_table() {
        let table = [
            (10.0, -0.333),
            (30.0, -0.489),
            (50.0, -0.587),
            (60.0, -0.620),
            (62.0, -0.626),
            (63.0, 0.147),
            (65.0, 0.158),
            (80.0, 0.224),
            (100.0, 0.284),
        ];
        for (f, want) in table {
            let dw = periodic_protocol(f);
            assert!((dw - want).abs() < 1e-3, "{f} Hz: ΔW {dw:.4}, table {want}");
        }
        assert!(periodic_protocol(62.0) < 0.0 && periodic_protocol(63.0) > 0.0);
        // 1/f = 16 ms exactly: ISI not > θ_b, so the spikes after the first form a burst.
        assert!(periodic_protocol(62.5) > 0.0);
    }

    /// §7 C6: with the postsynaptic BP constant (0.3) and P̄ started at its converged value,
    /// the mean drift is 0 within 3 SEM; with P̄ frozen at 0.2 instead it is clearly positive.
    #[test]
    fn c6_no_drift_at_steady_state() {
        let mut params = protocol_params(15_000.0);
        params.post = params.post.with_initial_rates(5.0, 1.5);
        let dws: Vec<f64> = (0..20)
            .map(|r| burst_poisson_dw(&params, 0.3, 5000 + r, 200.0))
            .collect();
        let (m, sem) = mean_sem(&dws);
        assert!(m.abs() < 3.0 * sem, "mean {m}, SEM {sem}");
        assert!(sem < 0.2, "SEM {sem}");

        params.fixed_p_bar = Some(0.2);
        let dws: Vec<f64> = (0..20)
            .map(|r| burst_poisson_dw(&params, 0.3, 5000 + r, 200.0))
            .collect();
        let (m, sem) = mean_sem(&dws);
        // Expected η·T·τ_pre·E²·(0.3 − 0.2) = 2.5.
        assert!(
            m > 3.0 * sem && (m - 2.5).abs() < 0.5,
            "mean {m}, SEM {sem}"
        );
    }

    /// §7 C7, first half: many synapses, large η, both homeostatic terms: every weight stays
    /// in [0, 1], and both bounds are reached.
    #[test]
    fn c7_weights_stay_in_bounds() {
        let (n_pre, n_post) = (20u32, 5u32);
        let params = BdspParams {
            e_max_hz: Some(10.0),
            min_rate: Some(MinRate {
                e_min_hz: 2.0,
                source: MinRateSource::EventAverage,
            }),
            ..BdspParams::new(0.5, 100.0, 2000.0)
        };
        let mut rule = Bdsp::new(n_pre, n_post, &params).expect("valid parameters");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        // Incoming weights per target, all-to-all.
        let mut w: Vec<Vec<f32>> = (0..n_post)
            .map(|_| (0..n_pre).map(|_| rng.random::<f32>()).collect())
            .collect();
        let sources: Vec<u32> = (0..n_pre).collect();
        let targets: Vec<u32> = (0..n_post).collect();
        // (time, neuron, is_pre) for all spikes, sorted with pre first at equal times.
        let mut spikes: Vec<(Time, bool, u32)> = Vec::new();
        for j in 0..n_pre {
            let rate = if j % 2 == 0 { 20.0 } else { 3.0 };
            let (train, _, _) = burst_poisson(&mut rng, rate, 0.5, 3, 20.0, 20.0);
            spikes.extend(train.into_iter().map(|t| (t, false, j)));
        }
        for i in 0..n_post {
            let rate = [1.0, 5.0, 15.0, 25.0, 30.0][i as usize];
            let p = [0.1, 0.5, 0.2, 0.9, 0.0][i as usize];
            let (train, _, _) = burst_poisson(&mut rng, rate, p, 2, 20.0, 20.0);
            spikes.extend(train.into_iter().map(|t| (t, true, i)));
        }
        spikes.sort();
        let (mut at_zero, mut at_one) = (0, 0);
        let mut outgoing = vec![0f32; n_post as usize];
        for (t, is_post, n) in spikes {
            if is_post {
                rule.on_post(n, t, &mut w[n as usize], &sources);
            } else if rule.on_pre(n, t).transmits() {
                for (o, wi) in outgoing.iter_mut().zip(&w) {
                    *o = wi[n as usize];
                }
                rule.on_pre_weights(n, t, &mut outgoing, &targets);
                for (o, wi) in outgoing.iter().zip(&mut w) {
                    wi[n as usize] = *o;
                }
            }
            for &x in w.iter().flatten() {
                assert!((0.0..=1.0).contains(&x), "weight {x} at {t}");
                at_zero += usize::from(x == 0.0);
                at_one += usize::from(x == 1.0);
            }
        }
        assert!(
            at_zero > 0 && at_one > 0,
            "bounds reached: {at_zero} at 0, {at_one} at 1"
        );
    }

    /// §7 C7, second half: Ē = 20 Hz > e_max = 10 Hz gives h = −0.5 and a net negative drift
    /// η·h·(E + B)·E_pre·τ_pre·T, where without the term the drift is about 0.
    #[test]
    fn c7_max_rate_term_drives_weights_down() {
        let drift = |e_max: Option<f64>| {
            let dws: Vec<f64> = (0..10)
                .map(|r| {
                    let params = BdspParams {
                        e_max_hz: e_max,
                        post: ClassifierParams::new(BurstMode::Isi, 5000.0)
                            .with_initial_rates(20.0, 6.0),
                        ..BdspParams::new(1e-3, 50.0, 5000.0)
                    };
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(900 + r);
                    let (pre, _, _) = burst_poisson(&mut rng, 5.0, 0.0, 2, 20.0, 100.0);
                    let (post, _, _) = burst_poisson(&mut rng, 20.0, 0.3, 2, 20.0, 100.0);
                    let mut rule = Bdsp::new(1, 1, &params).expect("valid parameters");
                    f64::from(drive_pair(&mut rule, &pre, &post, 0.5)) - 0.5
                })
                .collect();
            mean_sem(&dws)
        };
        let want = 1e-3 * -0.5 * (20.0 + 6.0) * 5.0 * 0.05 * 100.0;
        let (on, on_sem) = drift(Some(10.0));
        assert!(
            (on - want).abs() < 0.15 * want.abs(),
            "drift {on} ± {on_sem}, expected {want}"
        );
        assert!(on < -5.0 * on_sem);
        let (off, off_sem) = drift(None);
        assert!(
            off.abs() < 3.0 * off_sem.max(1e-3),
            "drift {off} ± {off_sem}"
        );
        // A rate below e_max leaves the term at 0.
        let (below, _) = drift(Some(30.0));
        assert!((below - off).abs() < 1e-6);
    }

    /// h_i and the min-rate term on exact single spikes.
    #[test]
    fn homeostatic_terms_single_spikes() {
        // Max-rate: Ē₀ = 20 Hz, e_max 10 Hz → h = −0.5 at t = 0⁺; pre event and post event at 0.
        let params = BdspParams {
            e_max_hz: Some(10.0),
            fixed_p_bar: Some(0.2),
            w_min: f32::NEG_INFINITY,
            post: ClassifierParams::new(BurstMode::Trace, 2000.0).with_initial_rates(20.0, 4.0),
            ..BdspParams::new(0.1, 100.0, 2000.0)
        };
        let mut rule = Bdsp::new(1, 1, &params).expect("valid parameters");
        assert!((rule.max_rate_term(0, Time::ZERO) + 0.5).abs() < 1e-12);
        let w = drive_pair(&mut rule, &[ms(0.0)], &[ms(0.0)], 0.0);
        assert!((f64::from(w) - 0.1 * (-0.2 - 0.5)).abs() < 1e-7, "{w}");

        // Min-rate on the 30 s all-spike rate (0.1 Hz at 0): Δw = η·(e_min − 0.1).
        let mut params = BdspParams::xor(0.01);
        let mut rule = Bdsp::new(1, 2, &params).expect("valid parameters");
        assert!((rule.rate30_hz(1, Time::ZERO) - 0.1).abs() < 1e-12);
        let mut w = [0.5f32, 0.5];
        assert!(rule.on_pre(0, ms(0.0)).transmits());
        rule.on_pre_weights(0, ms(0.0), &mut w, &[0, 1]);
        assert!((f64::from(w[0]) - (0.5 + 0.01 * 1.9)).abs() < 1e-7, "{w:?}");
        // A burst spike of the source changes nothing.
        assert!(!rule.on_pre(0, ms(5.0)).transmits());
        let before = w;
        rule.on_pre_weights(0, ms(5.0), &mut w, &[0, 1]);
        assert_eq!(w, before);
        // Every post spike counts in r30: 100 spikes in 1 s raise it to about 3.4 Hz > e_min.
        let mut win = [0.5f32];
        for k in 0..100 {
            rule.on_post(1, ms(1000.0 + 10.0 * f64::from(k)), &mut win, &[0]);
        }
        assert!((rule.rate30_hz(1, ms(2000.0)) - 3.37).abs() < 0.02);
        assert!(rule.on_pre(0, ms(2000.0)).transmits());
        let mut w = [0.5f32, 0.5];
        rule.on_pre_weights(0, ms(2000.0), &mut w, &[0, 1]);
        assert!(w[0] > 0.5 && w[1] == 0.5, "{w:?}");

        // Min-rate on Ē (0 at start): Δw = η·e_min.
        params.min_rate = Some(MinRate {
            e_min_hz: 2.0,
            source: MinRateSource::EventAverage,
        });
        let mut rule = Bdsp::new(1, 1, &params).expect("valid parameters");
        let mut w = [0.5f32];
        assert!(rule.on_pre(0, ms(0.0)).transmits());
        rule.on_pre_weights(0, ms(0.0), &mut w, &[0]);
        assert!((f64::from(w[0]) - 0.52).abs() < 1e-7, "{w:?}");
    }

    /// Plasticity off: weights stay, traces move; switched on, the same spikes change weights.
    #[test]
    fn traces_update_while_plasticity_is_off() {
        let params = BdspParams::new(1.0, 100.0, 2000.0);
        let mut rule = Bdsp::new(1, 1, &params).expect("valid parameters");
        rule.set_plastic(false);
        assert!(!rule.is_plastic());
        let w = drive_pair(&mut rule, &times(&[0.0]), &times(&[5.0, 10.0]), 0.5);
        assert_eq!(w, 0.5);
        assert!((rule.eligibility(0, ms(10.0)) - (-0.1f64).exp()).abs() < 1e-12);
        assert!((rule.event_rate_hz(0, ms(10.0)) - 0.5 * (-0.0025f64).exp()).abs() < 1e-12);
        assert!((rule.burst_rate_hz(0, ms(10.0)) - 0.5).abs() < 1e-12);
        // The burst was counted 5 ms after the event: B̄ > Ē, so P̄ is clipped to 1.
        assert_eq!(rule.p_bar(0, ms(20.0)), 1.0);
        rule.set_plastic(true);
        // A new post event at 100 ms: Δw = −P̄·Ẽ.
        let p = rule.p_bar(0, ms(100.0));
        let e = rule.eligibility(0, ms(100.0));
        let mut w = [0.5f32];
        assert_eq!(rule.on_post(0, ms(100.0), &mut w, &[0]), Spike::Event);
        assert!((f64::from(w[0]) - (0.5 - p * e)).abs() < 1e-7);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let ok = BdspParams::xor(4e-3);
        assert!(Bdsp::new(3, 4, &ok).is_ok());
        let bad = [
            BdspParams { eta: -1.0, ..ok },
            BdspParams {
                tau_pre_ms: 0.0,
                ..ok
            },
            BdspParams {
                w_min: 1.0,
                w_max: 0.0,
                ..ok
            },
            BdspParams {
                w_max: f32::NAN,
                ..ok
            },
            BdspParams {
                e_max_hz: Some(0.0),
                ..ok
            },
            BdspParams {
                fixed_p_bar: Some(1.5),
                ..ok
            },
        ];
        for params in bad {
            assert!(Bdsp::new(1, 1, &params).is_err(), "{params:?}");
        }
    }
}

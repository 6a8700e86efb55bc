//! Engine-independent building blocks of burst-dependent synaptic plasticity (BDSP).
//!
//! The model is that of Payeur, Guerguiev, Zenke, Richards & Naud, "Burst-dependent synaptic
//! plasticity can coordinate learning in hierarchical circuits", Nature Neuroscience 24 (2021),
//! as the authors implemented it in Auryn (`AdaptiveEBCPConnection`, the burst detector of their
//! neuron groups, `STPeTMConnection`) and in their Python protocol code. `specs/bdsp.md` is the
//! specification; section numbers below (§2, §3.2, …) refer to it.
//!
//! What is here, bottom up:
//!
//! - [`trace`]: [`Trace`] and [`TraceBank`], exponentials decayed exactly and lazily
//!   (`value · exp(−Δt/τ)` on access, never stepped), with the validated time constant [`Tau`].
//! - [`classify`]: splitting a spike train into events and bursts (§2), in the ISI mode of the
//!   protocol code or the trace mode of Auryn ([`BurstMode`]), and the moving averages Ē, B̄ and
//!   P̄ = B̄/Ē of a neuron ([`Classifier`], [`ClassifierBank`]).
//! - [`bdsp`]: the learning rule, event-driven as in §3.2, with the homeostatic terms of §3.3
//!   ([`Bdsp`], [`BdspParams`]).
//! - [`stdp`]: pair-based STDP, all-to-all through traces, additive or multiplicative ([`Stdp`]).
//! - [`stp`]: the extended Tsodyks–Markram synapse (§4.1, [`Tm`]) and the idealised event-only /
//!   burst-only transmission of §4.2 ([`Transmission`]).
//!
//! What the engine does with it (`engine::plastic`): a plastic projection owns one rule
//! ([`Bdsp`] or [`Stdp`]) in the shard that owns its targets (plasticity is shard-local); the
//! weights stay in the shard's synapse store. The shard classifies each spike once with the
//! network's [`BurstDetector`]; a presynaptic event arriving at a BDSP synapse goes to
//! [`Bdsp::pre_event`], every transmitted spike at an STDP synapse to [`Stdp::on_pre`]; a
//! spike of a target neuron passes its incoming weights (gathered through a
//! target→incoming-synapse index) to [`Bdsp::on_post_spike`] or [`Stdp::on_post`]. Within one
//! time step all presynaptic spikes go first. Nothing here knows about queues, shards or
//! files, and nothing allocates per spike.

pub mod bdsp;
pub mod classify;
pub mod stdp;
pub mod stp;
pub mod trace;

pub use bdsp::{Bdsp, BdspParams, MinRate, MinRateSource, PreOutcome};
pub use classify::{
    BurstDetector, BurstMode, Classifier, ClassifierBank, ClassifierParams, DetectorState, Spike,
    THETA_B_MS,
};
pub use stdp::{Stdp, StdpMode, StdpParams};
pub use stp::{Tm, TmParams, TmState, Transmission};
pub use trace::{Tau, Trace, TraceBank};

/// An impossible plasticity parameter: which one, its value and what it must satisfy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plasticity parameter `{name}` = {value}: must be {requirement}")]
pub struct ParamError {
    /// The parameter's name, as in the parameter struct.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// What the value must satisfy.
    pub requirement: &'static str,
}

impl ParamError {
    /// Checks that `value` is finite and > 0.
    pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, ParamError> {
        Self::check(
            name,
            value,
            value.is_finite() && value > 0.0,
            "finite and > 0",
        )
    }

    /// Checks that `value` is finite and ≥ 0.
    pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, ParamError> {
        Self::check(
            name,
            value,
            value.is_finite() && value >= 0.0,
            "finite and ≥ 0",
        )
    }

    /// Checks that `value` lies in [0, 1].
    pub(crate) fn unit(name: &'static str, value: f64) -> Result<f64, ParamError> {
        Self::check(name, value, (0.0..=1.0).contains(&value), "in [0, 1]")
    }

    /// Returns `value` if `ok`, else the error.
    pub(crate) fn check(
        name: &'static str,
        value: f64,
        ok: bool,
        requirement: &'static str,
    ) -> Result<f64, ParamError> {
        if ok {
            Ok(value)
        } else {
            Err(ParamError {
                name,
                value,
                requirement,
            })
        }
    }
}

/// Spike trains and a driver shared by the tests of this module.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Bdsp;
    use crate::time::Time;
    use rand::RngExt;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// `x` ms as a `Time`.
    pub fn ms(x: f64) -> Time {
        Time::from_ms(x).expect("test times are finite and non-negative")
    }

    /// An exponential variate with mean `mean_s` seconds, in seconds.
    pub fn exp_s(rng: &mut Xoshiro256PlusPlus, mean_s: f64) -> f64 {
        let u: f64 = rng.random();
        -(1.0 - u).ln() * mean_s
    }

    /// A homogeneous Poisson train at `rate_hz` over `duration_s`.
    pub fn poisson(rng: &mut Xoshiro256PlusPlus, rate_hz: f64, duration_s: f64) -> Vec<Time> {
        let mut out = Vec::new();
        let mut t = exp_s(rng, 1.0 / rate_hz);
        while t < duration_s {
            out.push(ms(t * 1e3));
            t += exp_s(rng, 1.0 / rate_hz);
        }
        out
    }

    /// A burst-Poisson train (§6.1): events at `event_rate_hz`, each followed with probability
    /// `p` by `burst_len − 1` extra spikes, each `2 ms + U(0, 10 ms)` after the one before; the
    /// next event comes `dead_ms` plus an exponential gap after the *last* spike, so that every
    /// event is at least `dead_ms` after any spike. The exponential's mean is chosen so that the
    /// event rate is exactly `event_rate_hz`. Returns the spikes and the numbers of events and
    /// bursts generated.
    pub fn burst_poisson(
        rng: &mut Xoshiro256PlusPlus,
        event_rate_hz: f64,
        p: f64,
        burst_len: usize,
        dead_ms: f64,
        duration_s: f64,
    ) -> (Vec<Time>, usize, usize) {
        let mean_extra_s = (burst_len - 1) as f64 * 0.007;
        let mean_gap_s = 1.0 / event_rate_hz - dead_ms * 1e-3 - p * mean_extra_s;
        assert!(mean_gap_s > 0.0, "event rate too high for the dead time");
        let (mut spikes, mut events, mut bursts) = (Vec::new(), 0, 0);
        let mut t = exp_s(rng, mean_gap_s);
        while t < duration_s {
            spikes.push(ms(t * 1e3));
            events += 1;
            let mut last = t;
            if rng.random::<f64>() < p {
                bursts += 1;
                for _ in 1..burst_len {
                    last += 0.002 + 0.010 * rng.random::<f64>();
                    spikes.push(ms(last * 1e3));
                }
            }
            t = last + dead_ms * 1e-3 + exp_s(rng, mean_gap_s);
        }
        (spikes, events, bursts)
    }

    /// Drives a one-synapse `Bdsp` (source 0 → target 0, weight `w`) with a presynaptic and a
    /// postsynaptic train, presynaptic spikes first at equal times; returns the final weight.
    pub fn drive_pair(bdsp: &mut Bdsp, pre: &[Time], post: &[Time], w: f32) -> f32 {
        let mut w = [w];
        let (mut a, mut b) = (0, 0);
        while a < pre.len() || b < post.len() {
            if b == post.len() || (a < pre.len() && pre[a] <= post[b]) {
                if bdsp.on_pre(0, pre[a]).transmits() {
                    bdsp.on_pre_weights(0, pre[a], &mut w, &[0]);
                }
                a += 1;
            } else {
                bdsp.on_post(0, post[b], &mut w, &[0]);
                b += 1;
            }
        }
        w[0]
    }
}

//! Short-term plasticity (`specs/bdsp.md` §4).
//!
//! # Extended Tsodyks–Markram synapse (Costa et al. 2013 form; Auryn `STPeTMConnection`)
//!
//! Per presynaptic neuron, resources x (start 1) and utilisation u (start U):
//!
//! ```text
//! dx/dt = (1 − x)/τ_D,    du/dt = (U − u)/τ_F
//! at a spike: efficacy = u·x (pre-spike values), then x ← x − u·x, u ← u + f·(1 − u)
//! ```
//!
//! The transmitted amount is w·u·x. Between spikes the solution is exact:
//! x(t) = 1 − (1 − x₀)·exp(−Δt/τ_D) and u(t) = U + (u₀ − U)·exp(−Δt/τ_F); Auryn steps it with
//! Euler at 0.1 ms (within about 1 %). The state is per *presynaptic* neuron: every synapse of a
//! source shares its efficacy. (Auryn initialises u to 0.01 before setting U, so u relaxes to U
//! within τ_F at the start of a run; here u starts at U.)
//!
//! # Idealised transmission (§4.2, the XOR network)
//!
//! The limits of extreme depression and extreme facilitation: feedforward synapses transmit
//! presynaptic *events* only, feedback synapses the *second spike of each burst* only
//! ([`Transmission`]).

use super::ParamError;
use super::classify::Spike;
use super::trace::Tau;
use crate::time::Time;

/// Parameters of an extended Tsodyks–Markram synapse.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TmParams {
    /// Baseline utilisation U, in (0, 1].
    pub u: f64,
    /// Recovery time constant of the resources τ_D in ms.
    pub tau_d_ms: f64,
    /// Relaxation time constant of the utilisation τ_F in ms.
    pub tau_f_ms: f64,
    /// Facilitation increment f, in [0, 1]: u ← u + f·(1 − u) per spike.
    pub f: f64,
}

impl TmParams {
    /// The depressing feedforward synapse of Fig. 3 (pyr1→pyr2, pyr1→PV): U 0.9, τ_D 20 ms,
    /// τ_F 1 s, f 0.1. Transmits mostly events.
    pub const DEPRESSING: TmParams = TmParams {
        u: 0.9,
        tau_d_ms: 20.0,
        tau_f_ms: 1000.0,
        f: 0.1,
    };

    /// The facilitating feedback synapse of Fig. 3 (pyr2→pyr1 dendrite, pyr2→SOM): U 0.02,
    /// τ_D = τ_F = 100 ms, f 0.1. Transmits mostly bursts.
    pub const FACILITATING: TmParams = TmParams {
        u: 0.02,
        tau_d_ms: 100.0,
        tau_f_ms: 100.0,
        f: 0.1,
    };
}

/// A validated extended Tsodyks–Markram synapse model, shared by all sources of a projection.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Tm {
    u_rest: f64,
    f: f64,
    tau_d: Tau,
    tau_f: Tau,
}

/// The state of one presynaptic neuron: x and u just after its last spike, and that time.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TmState {
    x: f64,
    u: f64,
    last: Time,
}

impl TmState {
    /// x, u and the last spike's time, as stored (for a checkpoint; not relaxed to any time).
    pub fn parts(&self) -> (f64, f64, Time) {
        (self.x, self.u, self.last)
    }

    /// The state of [`TmState::parts`].
    pub fn from_parts(x: f64, u: f64, last: Time) -> TmState {
        TmState { x, u, last }
    }
}

impl Tm {
    /// The model with `params`; an error unless 0 < U ≤ 1, 0 ≤ f ≤ 1 and both τ finite and > 0.
    pub fn new(params: &TmParams) -> Result<Tm, ParamError> {
        let u_rest = ParamError::check(
            "u",
            params.u,
            params.u > 0.0 && params.u <= 1.0,
            "in (0, 1]",
        )?;
        let f = ParamError::unit("f", params.f)?;
        let named = |name| move |e: ParamError| ParamError { name, ..e };
        Ok(Tm {
            u_rest,
            f,
            tau_d: Tau::from_ms(params.tau_d_ms).map_err(named("tau_d_ms"))?,
            tau_f: Tau::from_ms(params.tau_f_ms).map_err(named("tau_f_ms"))?,
        })
    }

    /// The resting state (x = 1, u = U) at time 0.
    pub fn initial_state(&self) -> TmState {
        TmState {
            x: 1.0,
            u: self.u_rest,
            last: Time::ZERO,
        }
    }

    /// (x, u) of `state` at `t`, before any spike at `t`.
    #[inline]
    pub fn state_at(&self, state: &TmState, t: Time) -> (f64, f64) {
        let x = 1.0 - (1.0 - state.x) * self.tau_d.decay(state.last, t);
        let u = self.u_rest + (state.u - self.u_rest) * self.tau_f.decay(state.last, t);
        (x, u)
    }

    /// A spike at `t` of the neuron with `state`: returns the efficacy u·x (the transmitted
    /// amount is w times this), then depletes x and facilitates u.
    #[inline]
    pub fn on_spike(&self, state: &mut TmState, t: Time) -> f64 {
        let (x, u) = self.state_at(state, t);
        let efficacy = u * x;
        state.x = x - efficacy;
        state.u = u + self.f * (1.0 - u);
        state.last = state.last.max(t);
        efficacy
    }
}

/// Which presynaptic spikes a synapse transmits (§4.2).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Transmission {
    /// Every spike (a static synapse, or one with [`Tm`] dynamics).
    #[default]
    AllSpikes,
    /// Events only: the first spike after at least θ_b of silence (extreme depression).
    Events,
    /// Bursts only: the second spike of each burst, once per burst (extreme facilitation).
    Bursts,
}

impl Transmission {
    /// True if a spike classified as `spike` is transmitted.
    #[inline]
    pub fn transmits(self, spike: Spike) -> bool {
        match self {
            Transmission::AllSpikes => true,
            Transmission::Events => spike == Spike::Event,
            Transmission::Bursts => spike == Spike::Burst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::classify::{BurstDetector, BurstMode, DetectorState, THETA_B_MS};
    use crate::plasticity::test_support::{burst_poisson, ms};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Efficacies of a spike pair `isi_ms` apart: (first, second / first).
    fn pair(params: &TmParams, isi_ms: f64) -> (f64, f64) {
        let tm = Tm::new(params).expect("valid parameters");
        let mut s = tm.initial_state();
        let first = tm.on_spike(&mut s, ms(100.0));
        let second = tm.on_spike(&mut s, ms(100.0 + isi_ms));
        (first, second / first)
    }

    /// The same with forward Euler at 0.1 ms, as Auryn integrates it.
    fn pair_euler(p: &TmParams, isi_ms: f64) -> (f64, f64) {
        let (mut x, mut u) = (1.0, p.u);
        let first = u * x;
        x -= u * x;
        u += p.f * (1.0 - u);
        for _ in 0..(isi_ms / 0.1).round() as usize {
            x += 0.1 * (1.0 - x) / p.tau_d_ms;
            u += 0.1 * (p.u - u) / p.tau_f_ms;
        }
        (first, u * x / first)
    }

    /// §7 D1 and D2: first efficacies and paired-pulse ratios; Euler within about 1 %.
    #[test]
    fn d1_d2_paired_pulse_ratios() {
        let cases = [
            // (model, first efficacy, ISI ms, PPR, half a unit of the PPR's last printed digit)
            (TmParams::DEPRESSING, 0.9, 10.0, 0.459, 5e-4),
            (TmParams::DEPRESSING, 0.9, 5.0, 0.302, 5e-4),
            (TmParams::FACILITATING, 0.02, 10.0, 5.34, 5e-3),
            (TmParams::FACILITATING, 0.02, 5.0, 5.55, 5e-3),
        ];
        for (params, first_want, isi, ppr_want, tol) in cases {
            let (first, ppr) = pair(&params, isi);
            assert!((first - first_want).abs() < 1e-12, "{params:?}");
            assert!(
                (ppr - ppr_want).abs() <= tol,
                "{params:?} {isi} ms: PPR {ppr}"
            );
            let (_, euler) = pair_euler(&params, isi);
            assert!(
                (euler / ppr - 1.0).abs() < 0.01,
                "{params:?}: Euler {euler} vs {ppr}"
            );
        }
    }

    #[test]
    fn recovers_to_rest_and_rejects_bad_parameters() {
        let tm = Tm::new(&TmParams::DEPRESSING).expect("valid parameters");
        let mut s = tm.initial_state();
        let _ = tm.on_spike(&mut s, ms(0.0));
        let (x, u) = tm.state_at(&s, ms(20.0));
        assert!((x - (1.0 - 0.9 * (-1.0f64).exp())).abs() < 1e-12);
        assert!((u - (0.9 + 0.01 * (-0.02f64).exp())).abs() < 1e-12);
        assert!((tm.on_spike(&mut s, ms(1e6)) - 0.9).abs() < 1e-12);
        for bad in [
            TmParams {
                u: 0.0,
                ..TmParams::DEPRESSING
            },
            TmParams {
                f: 1.5,
                ..TmParams::DEPRESSING
            },
            TmParams {
                tau_d_ms: 0.0,
                ..TmParams::DEPRESSING
            },
            TmParams {
                tau_f_ms: f64::NAN,
                ..TmParams::DEPRESSING
            },
        ] {
            assert!(Tm::new(&bad).is_err(), "{bad:?}");
        }
    }

    /// §7 D3: on a burst-Poisson train (bursts of 2 or 3 spikes, well separated), an
    /// event-transmitting synapse transmits once per event and a burst-transmitting one once per
    /// burst, in both detector modes.
    #[test]
    fn d3_event_and_burst_transmission_counts() {
        for (seed, mode) in [(11, BurstMode::Isi), (12, BurstMode::Trace)] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            for burst_len in [2, 3] {
                let (train, events, bursts) =
                    burst_poisson(&mut rng, 8.0, 0.4, burst_len, 50.0, 200.0);
                assert!(events > 1000 && bursts > 400, "{events} {bursts}");
                let det = BurstDetector::new(mode, THETA_B_MS).expect("valid");
                let mut state = DetectorState::default();
                let mut counts = [0usize; 3];
                for &t in &train {
                    let spike = det.classify(&mut state, t);
                    for (c, tr) in counts.iter_mut().zip([
                        Transmission::AllSpikes,
                        Transmission::Events,
                        Transmission::Bursts,
                    ]) {
                        *c += usize::from(tr.transmits(spike));
                    }
                }
                assert_eq!(
                    counts,
                    [train.len(), events, bursts],
                    "{mode:?}, {burst_len}"
                );
            }
        }
    }
}

//! Events and bursts (`specs/bdsp.md` §2).
//!
//! With the burst threshold θ_b = 16 ms:
//!
//! - an **event** is a spike with no spike within θ_b before it (a single spike, or the first
//!   spike of a burst);
//! - a **burst** is the *second* spike of a burst: the first spike after an event within θ_b;
//! - further spikes of the same burst are **ignored** (neither event nor burst).
//!
//! Two detectors exist in the authors' code ([`BurstMode`]):
//!
//! - *ISI mode* (their Python protocol code): a spike is an event if the interval to the
//!   previous spike is > θ_b; otherwise a burst if no burst was tagged since the last event;
//!   otherwise ignored.
//! - *Trace mode* (Auryn, every network simulation): a trace x with τ = θ_b, incremented by 1
//!   *after* each spike is classified. A spike is an event if x(t⁻) < e⁻¹, else a burst if the
//!   burst flag is clear (the flag is cleared at each event, set at each burst). After one
//!   isolated spike this equals the ISI rule, but the trace accumulates: a spike 20–25 ms after a
//!   doublet (x ≈ 0.50 > e⁻¹) is ignored in trace mode and an event in ISI mode.
//!
//! The moving averages are traces with time constant τ_avg, incremented by 1 per event (burst):
//! Ē = trace_E/τ_avg and B̄ = trace_B/τ_avg in Hz, and the burst-probability estimate is
//! P̄ = min(1, B̄/Ē), defined as 1 when Ē = 0 (where the authors' code divides by zero and falls
//! into its "≥ 1" branch).

use super::ParamError;
use super::trace::{Tau, Trace, TraceBank};
use crate::time::Time;

/// The burst threshold of the paper and code, θ_b = 16 ms.
pub const THETA_B_MS: f64 = 16.0;

/// e⁻¹: the trace-mode threshold (the value of the detector trace θ_b after one spike).
const E_INV: f64 = 0.367_879_441_171_442_33;

/// How spikes are split into events and bursts.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum BurstMode {
    /// Auryn's detector: a trace with τ = θ_b against the threshold e⁻¹. Parity with the
    /// authors' network simulations.
    #[default]
    Trace,
    /// The Python protocol code's detector: the interval to the previous spike against θ_b.
    Isi,
}

/// What a spike is for the learning rule and for event- or burst-transmitting synapses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Spike {
    /// A spike with no spike within θ_b before it.
    Event,
    /// The second spike of a burst.
    Burst,
    /// A third or later spike of a burst.
    Ignored,
}

/// The detector's configuration: the mode and θ_b. Shared by all neurons of a bank.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BurstDetector {
    mode: BurstMode,
    theta_b: Time,
    tau: Tau,
}

/// The detector's state of one neuron (24 bytes).
///
/// Written only by [`BurstDetector::classify`]. `x` is the detector trace just after the last
/// spike (trace mode only); `tagged` is set at a burst and cleared at an event.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct DetectorState {
    last: Time,
    x: f64,
    spiked: bool,
    tagged: bool,
}

impl DetectorState {
    /// True if this neuron's last classified spike was an event at `t`.
    pub fn was_event_at(&self, t: Time) -> bool {
        self.spiked && self.last == t && !self.tagged
    }

    /// The state as plain values: the last spike's time, the detector trace just after it,
    /// whether the neuron has spiked and whether its burst is tagged (for a checkpoint).
    pub fn parts(&self) -> (Time, f64, bool, bool) {
        (self.last, self.x, self.spiked, self.tagged)
    }

    /// The state of [`DetectorState::parts`].
    pub fn from_parts(last: Time, x: f64, spiked: bool, tagged: bool) -> DetectorState {
        DetectorState {
            last,
            x,
            spiked,
            tagged,
        }
    }
}

impl BurstDetector {
    /// A detector in `mode` with threshold `theta_b_ms` (trace mode: the trace's τ).
    pub fn new(mode: BurstMode, theta_b_ms: f64) -> Result<BurstDetector, ParamError> {
        let tau = Tau::from_ms(theta_b_ms).map_err(|e| ParamError {
            name: "theta_b_ms",
            ..e
        })?;
        let theta_b = Time::from_ms(theta_b_ms).ok_or(ParamError {
            name: "theta_b_ms",
            value: theta_b_ms,
            requirement: "a representable duration",
        })?;
        Ok(BurstDetector { mode, theta_b, tau })
    }

    /// The mode.
    pub fn mode(&self) -> BurstMode {
        self.mode
    }

    /// θ_b.
    pub fn theta_b(&self) -> Time {
        self.theta_b
    }

    /// Classifies a spike at `t` of the neuron with `state`, and updates the state.
    ///
    /// Spikes of one neuron must come in non-decreasing time order.
    #[inline]
    pub fn classify(&self, state: &mut DetectorState, t: Time) -> Spike {
        let is_event = match self.mode {
            BurstMode::Isi => !state.spiked || t.0.saturating_sub(state.last.0) > self.theta_b.0,
            BurstMode::Trace => {
                let x = state.x * self.tau.decay(state.last, t);
                state.x = x + 1.0;
                !state.spiked || x < E_INV
            }
        };
        state.spiked = true;
        state.last = state.last.max(t);
        if is_event {
            state.tagged = false;
            Spike::Event
        } else if !state.tagged {
            state.tagged = true;
            Spike::Burst
        } else {
            Spike::Ignored
        }
    }
}

impl Default for BurstDetector {
    /// Trace mode with θ_b = 16 ms.
    fn default() -> Self {
        BurstDetector {
            mode: BurstMode::Trace,
            theta_b: Time(16 * crate::time::TICKS_PER_MS),
            tau: Tau::from_ms(THETA_B_MS).expect("16 ms is a valid time constant"),
        }
    }
}

/// Parameters of a [`Classifier`] or [`ClassifierBank`].
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ClassifierParams {
    /// Detector mode.
    pub mode: BurstMode,
    /// Burst threshold θ_b in ms (16 in the paper).
    pub theta_b_ms: f64,
    /// τ_avg in ms, the time constant of Ē and B̄ (2 s XOR, 5 s Fig. 2E–G, 15 s protocols).
    pub tau_avg_ms: f64,
    /// Ē at time 0 in Hz (0 in Auryn; given by the protocol code).
    pub initial_event_rate_hz: f64,
    /// B̄ at time 0 in Hz.
    pub initial_burst_rate_hz: f64,
}

impl ClassifierParams {
    /// θ_b = 16 ms, the given mode and τ_avg, Ē₀ = B̄₀ = 0.
    pub fn new(mode: BurstMode, tau_avg_ms: f64) -> ClassifierParams {
        ClassifierParams {
            mode,
            theta_b_ms: THETA_B_MS,
            tau_avg_ms,
            initial_event_rate_hz: 0.0,
            initial_burst_rate_hz: 0.0,
        }
    }

    /// The same with initial rates Ē₀, B̄₀ in Hz.
    pub fn with_initial_rates(self, event_hz: f64, burst_hz: f64) -> ClassifierParams {
        ClassifierParams {
            initial_event_rate_hz: event_hz,
            initial_burst_rate_hz: burst_hz,
            ..self
        }
    }

    /// The detector, τ_avg and the initial trace values (rate × τ_avg), validated.
    fn compile(&self) -> Result<(BurstDetector, Tau, f64, f64), ParamError> {
        let detector = BurstDetector::new(self.mode, self.theta_b_ms)?;
        let tau = Tau::from_ms(self.tau_avg_ms).map_err(|e| ParamError {
            name: "tau_avg_ms",
            ..e
        })?;
        let e0 = ParamError::non_negative("initial_event_rate_hz", self.initial_event_rate_hz)?;
        let b0 = ParamError::non_negative("initial_burst_rate_hz", self.initial_burst_rate_hz)?;
        Ok((detector, tau, e0 * tau.seconds(), b0 * tau.seconds()))
    }
}

/// P̄ = min(1, B̄/Ē) from the two traces (same τ, so the normalisation cancels); 1 if Ē = 0.
#[inline]
fn p_bar(events: f64, bursts: f64) -> f64 {
    if events > 0.0 {
        (bursts / events).min(1.0)
    } else {
        1.0
    }
}

/// The classifier of one neuron: its detector and its moving averages Ē and B̄.
#[derive(Clone, Debug)]
pub struct Classifier {
    detector: BurstDetector,
    state: DetectorState,
    events: Trace,
    bursts: Trace,
}

impl Classifier {
    /// A classifier with the given parameters.
    pub fn new(params: &ClassifierParams) -> Result<Classifier, ParamError> {
        let (detector, tau, e0, b0) = params.compile()?;
        Ok(Classifier {
            detector,
            state: DetectorState::default(),
            events: Trace::with_value(tau, e0, Time::ZERO),
            bursts: Trace::with_value(tau, b0, Time::ZERO),
        })
    }

    /// Classifies a spike at `t` and counts it in Ē or B̄.
    pub fn on_spike(&mut self, t: Time) -> Spike {
        let spike = self.detector.classify(&mut self.state, t);
        match spike {
            Spike::Event => self.events.add(t, 1.0),
            Spike::Burst => self.bursts.add(t, 1.0),
            Spike::Ignored => {}
        }
        spike
    }

    /// Ē at `t` in Hz.
    pub fn event_rate_hz(&self, t: Time) -> f64 {
        self.events.rate_hz(t)
    }

    /// B̄ at `t` in Hz.
    pub fn burst_rate_hz(&self, t: Time) -> f64 {
        self.bursts.rate_hz(t)
    }

    /// P̄ = min(1, B̄/Ē) at `t`; 1 if Ē = 0.
    pub fn p_bar(&self, t: Time) -> f64 {
        p_bar(self.events.value_at(t), self.bursts.value_at(t))
    }
}

/// Classifiers of many neurons sharing one configuration, as a structure of arrays, indexed by
/// the neuron's local index `i` (`0..len`; indexing past `len` panics).
#[derive(Clone, Debug)]
pub struct ClassifierBank {
    detector: BurstDetector,
    states: Vec<DetectorState>,
    events: TraceBank,
    bursts: TraceBank,
}

impl ClassifierBank {
    /// `n` classifiers with the given parameters.
    pub fn new(n: u32, params: &ClassifierParams) -> Result<ClassifierBank, ParamError> {
        let (detector, tau, e0, b0) = params.compile()?;
        Ok(ClassifierBank {
            detector,
            states: vec![DetectorState::default(); n as usize],
            events: TraceBank::filled(n, tau, e0, Time::ZERO),
            bursts: TraceBank::filled(n, tau, b0, Time::ZERO),
        })
    }

    /// Number of neurons.
    pub fn len(&self) -> u32 {
        self.events.len()
    }

    /// True if the bank serves no neuron.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The detector configuration.
    pub fn detector(&self) -> &BurstDetector {
        &self.detector
    }

    /// Classifies a spike of neuron `i` at `t` without counting it in Ē or B̄ (then call
    /// [`ClassifierBank::count`]): the learning rule reads P̄ in between.
    #[inline]
    pub fn classify(&mut self, i: u32, t: Time) -> Spike {
        self.detector.classify(&mut self.states[i as usize], t)
    }

    /// Counts a classified spike of neuron `i` at `t` in Ē or B̄.
    #[inline]
    pub fn count(&mut self, i: u32, t: Time, spike: Spike) {
        match spike {
            Spike::Event => self.events.add(i, t, 1.0),
            Spike::Burst => self.bursts.add(i, t, 1.0),
            Spike::Ignored => {}
        }
    }

    /// Classifies a spike of neuron `i` at `t` and counts it.
    pub fn on_spike(&mut self, i: u32, t: Time) -> Spike {
        let spike = self.classify(i, t);
        self.count(i, t, spike);
        spike
    }

    /// Sets Ē and B̄ of neuron `i` at `t` (Hz).
    pub fn set_rates(&mut self, i: u32, t: Time, event_hz: f64, burst_hz: f64) {
        let s = self.events.tau().seconds();
        self.events.set(i, t, event_hz * s);
        self.bursts.set(i, t, burst_hz * s);
    }

    /// Ē of neuron `i` at `t` in Hz.
    #[inline]
    pub fn event_rate_hz(&self, i: u32, t: Time) -> f64 {
        self.events.rate_hz(i, t)
    }

    /// B̄ of neuron `i` at `t` in Hz.
    #[inline]
    pub fn burst_rate_hz(&self, i: u32, t: Time) -> f64 {
        self.bursts.rate_hz(i, t)
    }

    /// P̄ = min(1, B̄/Ē) of neuron `i` at `t`; 1 if Ē = 0.
    #[inline]
    pub fn p_bar(&self, i: u32, t: Time) -> f64 {
        p_bar(self.events.value_at(i, t), self.bursts.value_at(i, t))
    }

    /// The Ē and B̄ traces of neuron `i` as stored (trace values, not rates, with their last
    /// update times; for a checkpoint). The detector states are not included.
    pub fn stored(&self, i: u32) -> [(f64, Time); 2] {
        [self.events.stored(i), self.bursts.stored(i)]
    }

    /// Restores the Ē and B̄ traces of neuron `i` to a state read by
    /// [`ClassifierBank::stored`].
    pub fn restore(&mut self, i: u32, traces: [(f64, Time); 2]) {
        self.events.restore(i, traces[0].0, traces[0].1);
        self.bursts.restore(i, traces[1].0, traces[1].1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::test_support::{ms, poisson};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn classify_train(mode: BurstMode, times_ms: &[f64]) -> Vec<Spike> {
        let det = BurstDetector::new(mode, THETA_B_MS).expect("valid");
        let mut state = DetectorState::default();
        times_ms
            .iter()
            .map(|&t| det.classify(&mut state, ms(t)))
            .collect()
    }

    use Spike::{Burst as B, Event as E, Ignored as I};

    /// §7 A1 and A2, in both modes (they agree on these trains).
    #[test]
    fn a1_a2_isi_threshold_and_third_spikes() {
        let cases: &[(&[f64], &[Spike])] = &[
            (&[0.0, 15.9], &[E, B]),
            (&[0.0, 16.1], &[E, E]),
            (&[0.0, 5.0, 10.0], &[E, B, I]),
            (&[0.0, 5.0, 40.0], &[E, B, E]),
            (&[0.0, 5.0, 10.0, 12.0, 100.0, 104.0], &[E, B, I, I, E, B]),
        ];
        for mode in [BurstMode::Isi, BurstMode::Trace] {
            for (times, want) in cases {
                assert_eq!(classify_train(mode, times), *want, "{mode:?} {times:?}");
            }
        }
    }

    /// §7 A3: a spike 20 ms after a doublet is ignored in trace mode, an event in ISI mode.
    #[test]
    fn a3_trace_mode_absorbs_a_spike_after_a_doublet() {
        let x = (1.0 + (-5.0f64 / 16.0).exp()) * (-20.0f64 / 16.0).exp();
        assert!((x - 0.496).abs() < 5e-4 && x > E_INV);
        assert_eq!(
            classify_train(BurstMode::Trace, &[0.0, 5.0, 25.0]),
            [E, B, I]
        );
        assert_eq!(classify_train(BurstMode::Isi, &[0.0, 5.0, 25.0]), [E, B, E]);
    }

    #[test]
    fn e_inv_is_exp_minus_one() {
        assert_eq!(E_INV, (-1.0f64).exp());
    }

    /// §7 A4: a Poisson train at r in ISI mode has E = r·e^{−rθ}, B = E·(1 − e^{−rθ}).
    #[test]
    fn a4_poisson_event_and_burst_rates() {
        let duration_s = 2000.0;
        for (seed, r, e_want, b_want, bp_want) in [
            (1, 10.0, 8.521, 1.260, 0.1479),
            (2, 50.0, 22.47, 12.37, 0.5507),
        ] {
            let theta = THETA_B_MS * 1e-3;
            let q = (-r * theta).exp();
            // The spec's analytic values, to their printed precision.
            assert!((r * q / e_want - 1.0).abs() < 5e-4, "{}", r * q);
            assert!(
                (r * q * (1.0 - q) / b_want - 1.0).abs() < 5e-4,
                "{}",
                r * q * (1.0 - q)
            );
            assert!(((1.0 - q) / bp_want - 1.0).abs() < 5e-4, "{}", 1.0 - q);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut c =
                Classifier::new(&ClassifierParams::new(BurstMode::Isi, 15_000.0)).expect("valid");
            let (mut events, mut bursts) = (0u32, 0u32);
            for t in poisson(&mut rng, r, duration_s) {
                match c.on_spike(t) {
                    Spike::Event => events += 1,
                    Spike::Burst => bursts += 1,
                    Spike::Ignored => {}
                }
            }
            let e = f64::from(events) / duration_s;
            let b = f64::from(bursts) / duration_s;
            assert!((e / e_want - 1.0).abs() < 0.02, "r {r}: E {e}");
            assert!((b / b_want - 1.0).abs() < 0.03, "r {r}: B {b}");
            assert!((b / e / bp_want - 1.0).abs() < 0.03, "r {r}: BP {}", b / e);
        }
    }

    #[test]
    fn moving_averages_and_p_bar() {
        let params = ClassifierParams::new(BurstMode::Isi, 15_000.0).with_initial_rates(5.0, 0.75);
        let mut c = Classifier::new(&params).expect("valid");
        assert!((c.event_rate_hz(Time::ZERO) - 5.0).abs() < 1e-12);
        assert!((c.p_bar(ms(3000.0)) - 0.15).abs() < 1e-12);
        // A doublet at 15 s: Ē and B̄ each gain 1/τ_avg = 1/15 Hz.
        assert_eq!(c.on_spike(ms(15_000.0)), Spike::Event);
        assert_eq!(c.on_spike(ms(15_005.0)), Spike::Burst);
        let t = ms(30_000.0);
        let d = (-1.0f64).exp();
        let e = 5.0 * (-2.0f64).exp() + d / 15.0;
        let b = 0.75 * (-2.0f64).exp() + (-(15_000.0 - 5.0) / 15_000.0f64).exp() / 15.0;
        assert!((c.event_rate_hz(t) - e).abs() < 1e-12);
        assert!((c.burst_rate_hz(t) - b).abs() < 1e-12);
        assert!((c.p_bar(t) - b / e).abs() < 1e-12);

        // Ē = 0 gives P̄ = 1; P̄ is clipped at 1.
        let mut bank =
            ClassifierBank::new(2, &ClassifierParams::new(BurstMode::Trace, 2000.0)).expect("ok");
        assert_eq!(bank.p_bar(0, ms(1.0)), 1.0);
        bank.set_rates(1, ms(1.0), 2.0, 3.0);
        assert_eq!(bank.p_bar(1, ms(1.0)), 1.0);
        bank.set_rates(1, ms(1.0), 4.0, 1.0);
        assert!((bank.p_bar(1, ms(500.0)) - 0.25).abs() < 1e-12);
        assert_eq!(bank.on_spike(0, ms(2.0)), Spike::Event);
        assert_eq!(bank.p_bar(0, ms(3.0)), 0.0);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let ok = ClassifierParams::new(BurstMode::Isi, 2000.0);
        for bad in [
            ClassifierParams {
                tau_avg_ms: 0.0,
                ..ok
            },
            ClassifierParams {
                theta_b_ms: -16.0,
                ..ok
            },
            ok.with_initial_rates(-1.0, 0.0),
            ok.with_initial_rates(1.0, f64::NAN),
        ] {
            assert!(Classifier::new(&bad).is_err(), "{bad:?}");
        }
        let err = Classifier::new(&ClassifierParams {
            tau_avg_ms: 0.0,
            ..ok
        })
        .expect_err("τ_avg = 0");
        assert_eq!(err.name, "tau_avg_ms");
    }
}

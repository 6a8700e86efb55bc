//! Exponential traces, decayed exactly and lazily.
//!
//! A trace obeys
//!
//! ```text
//! dx/dt = −x/τ + Σ_k a_k·δ(t − t_k)
//! ```
//!
//! so between updates x(t) = x(t₀)·exp(−(t − t₀)/τ). A trace stores only its value at its last
//! update and that time, and applies the exponential when read: no per-step work, and no
//! discretisation error (Auryn's `EulerTrace` steps with dt = 0.1 ms; the difference for
//! τ ≥ 16 ms is below 0.4 %, see `specs/bdsp.md` §8). A trace of unit increments divided by τ
//! (in s) is a moving-average rate in Hz ([`Trace::rate_hz`]).
//!
//! Times passed to a trace must not decrease. A time earlier than the last update is treated as
//! the last update time (no growth backwards in time).

use super::ParamError;
use crate::time::Time;

/// A validated time constant: finite and > 0, in ms.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Tau {
    ms: f64,
    inv_ms: f64,
}

impl Tau {
    /// A time constant of `ms` milliseconds; an error unless finite and > 0.
    pub fn from_ms(ms: f64) -> Result<Tau, ParamError> {
        let ms = ParamError::positive("tau_ms", ms)?;
        Ok(Tau {
            ms,
            inv_ms: 1.0 / ms,
        })
    }

    /// The time constant in ms.
    pub fn ms(self) -> f64 {
        self.ms
    }

    /// The time constant in s (the divisor that turns a trace of counts into a rate in Hz).
    pub fn seconds(self) -> f64 {
        self.ms * 1e-3
    }

    /// The decay factor exp(−Δt/τ) from `from` to `to`; 1 if `to` is not after `from`.
    #[inline]
    pub fn decay(self, from: Time, to: Time) -> f64 {
        if to > from {
            (-to.ms_since(from) * self.inv_ms).exp()
        } else {
            1.0
        }
    }
}

/// One lazily decayed exponential: its value at its last update, and that time.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Trace {
    value: f64,
    last: Time,
    tau: Tau,
}

impl Trace {
    /// A trace at 0 at time 0.
    pub fn new(tau: Tau) -> Trace {
        Trace::with_value(tau, 0.0, Time::ZERO)
    }

    /// A trace with `value` at time `at`.
    pub fn with_value(tau: Tau, value: f64, at: Time) -> Trace {
        Trace {
            value,
            last: at,
            tau,
        }
    }

    /// The time constant.
    pub fn tau(&self) -> Tau {
        self.tau
    }

    /// The value at `t`: x(t₀)·exp(−(t − t₀)/τ). Does not change the trace.
    #[inline]
    pub fn value_at(&self, t: Time) -> f64 {
        self.value * self.tau.decay(self.last, t)
    }

    /// Decays the stored value to `t` and makes `t` the last update time.
    pub fn decay_to(&mut self, t: Time) {
        self.value = self.value_at(t);
        self.last = self.last.max(t);
    }

    /// Decays to `t`, then adds `x` (a jump of the trace at `t`).
    pub fn add(&mut self, t: Time, x: f64) {
        self.decay_to(t);
        self.value += x;
    }

    /// Sets the value at `t` (after decaying, so `t` becomes the last update time).
    pub fn set(&mut self, t: Time, value: f64) {
        self.decay_to(t);
        self.value = value;
    }

    /// The value at `t` divided by τ in seconds: for unit increments, a moving-average rate in Hz.
    pub fn rate_hz(&self, t: Time) -> f64 {
        self.value_at(t) / self.tau.seconds()
    }
}

/// Many traces with one time constant, as a structure of arrays (values and last update
/// times), indexed by a neuron's local index `i` (`0..len`).
///
/// Indexing past `len` panics: the engine sizes a bank by the neurons it serves.
#[derive(Clone, Debug)]
pub struct TraceBank {
    values: Vec<f64>,
    last: Vec<Time>,
    tau: Tau,
}

impl TraceBank {
    /// `n` traces at 0 at time 0.
    pub fn new(n: u32, tau: Tau) -> TraceBank {
        TraceBank::filled(n, tau, 0.0, Time::ZERO)
    }

    /// `n` traces, each with `value` at time `at`.
    pub fn filled(n: u32, tau: Tau, value: f64, at: Time) -> TraceBank {
        TraceBank {
            values: vec![value; n as usize],
            last: vec![at; n as usize],
            tau,
        }
    }

    /// Number of traces.
    pub fn len(&self) -> u32 {
        // The constructor takes the length as a `u32`.
        self.values.len() as u32
    }

    /// True if the bank holds no trace.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The time constant.
    pub fn tau(&self) -> Tau {
        self.tau
    }

    /// The value of trace `i` at `t`. Does not change the trace.
    #[inline]
    pub fn value_at(&self, i: u32, t: Time) -> f64 {
        let i = i as usize;
        self.values[i] * self.tau.decay(self.last[i], t)
    }

    /// Decays trace `i` to `t`, then adds `x`.
    #[inline]
    pub fn add(&mut self, i: u32, t: Time, x: f64) {
        let v = self.value_at(i, t);
        let i = i as usize;
        self.values[i] = v + x;
        self.last[i] = self.last[i].max(t);
    }

    /// Sets trace `i` to `value` at `t`.
    pub fn set(&mut self, i: u32, t: Time, value: f64) {
        let i = i as usize;
        self.values[i] = value;
        self.last[i] = self.last[i].max(t);
    }

    /// Trace `i` at `t` divided by τ in seconds (a rate in Hz for unit increments).
    #[inline]
    pub fn rate_hz(&self, i: u32, t: Time) -> f64 {
        self.value_at(i, t) / self.tau.seconds()
    }

    /// Trace `i` as stored: its value at its last update, and that time (for a checkpoint;
    /// not decayed).
    pub fn stored(&self, i: u32) -> (f64, Time) {
        (self.values[i as usize], self.last[i as usize])
    }

    /// Restores trace `i` to a state read by [`TraceBank::stored`].
    pub fn restore(&mut self, i: u32, value: f64, last: Time) {
        self.values[i as usize] = value;
        self.last[i as usize] = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::test_support::ms;

    #[test]
    fn tau_rejects_impossible_values() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Tau::from_ms(bad).is_err(), "{bad}");
        }
        let tau = Tau::from_ms(16.0).expect("valid");
        assert_eq!(tau.ms(), 16.0);
        assert_eq!(tau.seconds(), 0.016);
    }

    #[test]
    fn decay_is_the_exact_exponential() {
        let tau = Tau::from_ms(20.0).expect("valid");
        let mut x = Trace::new(tau);
        x.add(ms(10.0), 1.0);
        x.add(ms(15.0), 2.0);
        let want = (1.0 * (-5.0f64 / 20.0).exp() + 2.0) * (-37.5f64 / 20.0).exp();
        assert!((x.value_at(ms(52.5)) - want).abs() < 1e-15);
        // Reading does not change the trace; earlier times do not grow it.
        assert_eq!(x.value_at(ms(15.0)), 1.0 * (-0.25f64).exp() + 2.0);
        assert_eq!(x.value_at(ms(1.0)), x.value_at(ms(15.0)));
    }

    #[test]
    fn lazy_decay_equals_decay_in_many_steps() {
        let tau = Tau::from_ms(50.0).expect("valid");
        let mut lazy = Trace::with_value(tau, 3.0, ms(0.0));
        let mut stepped = lazy;
        for k in 1..=1000 {
            stepped.decay_to(ms(0.1 * f64::from(k)));
        }
        lazy.decay_to(ms(100.0));
        let want = 3.0 * (-2.0f64).exp();
        assert!((lazy.value_at(ms(100.0)) - want).abs() < 1e-14);
        assert!((stepped.value_at(ms(100.0)) - want).abs() < 1e-12);
    }

    #[test]
    fn rate_of_a_regular_train_is_its_frequency() {
        // 10 Hz for 20 s with τ = 2 s: the trace just after a spike is 1/(1 − e^{−0.05}).
        let tau = Tau::from_ms(2000.0).expect("valid");
        let mut x = Trace::new(tau);
        for k in 0..200 {
            x.add(ms(100.0 * f64::from(k)), 1.0);
        }
        let peak = 1.0 / (1.0 - (-0.05f64).exp());
        assert!((x.value_at(ms(19_900.0)) - peak).abs() < 1e-3);
        assert!((x.rate_hz(ms(19_900.0)) - peak / 2.0).abs() < 1e-3);
    }

    #[test]
    fn bank_matches_single_traces() {
        let tau = Tau::from_ms(16.0).expect("valid");
        let mut bank = TraceBank::filled(3, tau, 1.0, Time::ZERO);
        let mut one = Trace::with_value(tau, 1.0, Time::ZERO);
        bank.add(1, ms(4.0), 1.0);
        one.add(ms(4.0), 1.0);
        assert_eq!(bank.len(), 3);
        assert_eq!(bank.value_at(1, ms(30.0)), one.value_at(ms(30.0)));
        assert_eq!(bank.value_at(0, ms(16.0)), (-1.0f64).exp());
        assert_eq!(bank.rate_hz(2, ms(0.0)), 1.0 / 0.016);
        bank.set(2, ms(5.0), 7.0);
        assert_eq!(bank.value_at(2, ms(5.0)), 7.0);
    }
}

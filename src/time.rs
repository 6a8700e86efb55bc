//! Simulation time as an integer count of ticks.
//!
//! One tick is one picosecond (1e-9 ms). Every decimal resolution users write (0.1 ms, 0.125 ms,
//! 1.8 ms) is a whole number of ticks, so window boundaries, delays and ties are exact integer
//! comparisons, and a `u64` covers about 213 days of simulated time. Parameters are given in ms
//! and converted once with [`Time::from_ms`]; outputs report float64 ms.

use std::fmt;
use std::ops::{Add, Sub};

/// Ticks per millisecond (1 tick = 1 ps).
pub const TICKS_PER_MS: u64 = 1_000_000_000;
const TICKS_PER_MS_F: f64 = TICKS_PER_MS as f64;
/// The longest time the clock reaches (ms): 2^64 ticks, about 213 days. [`Time::from_ms`]
/// refuses this and anything longer.
pub const MAX_MS: f64 = u64::MAX as f64 / TICKS_PER_MS_F;

/// A point in simulated time, or a duration, in ticks of 1 ps.
#[derive(
    Copy,
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Time(pub u64);

impl Time {
    /// Time zero.
    pub const ZERO: Time = Time(0);
    /// The largest representable time; used as "never".
    pub const NEVER: Time = Time(u64::MAX);
    /// One tick.
    pub const TICK: Time = Time(1);

    /// Converts milliseconds to ticks, rounding to the nearest tick.
    ///
    /// Returns `None` for negative, non-finite or too large values.
    pub fn from_ms(ms: f64) -> Option<Time> {
        if !ms.is_finite() || ms < 0.0 {
            return None;
        }
        let ticks = (ms * TICKS_PER_MS_F).round();
        if ticks >= u64::MAX as f64 {
            return None;
        }
        Some(Time(ticks as u64))
    }

    /// [`Time::from_ms`] for a duration known not to be negative, without a check or a libm
    /// call (hot paths): rounds to the nearest tick; infinity and overflow give
    /// [`Time::NEVER`] (NaN gives 0).
    #[inline]
    pub fn from_ms_saturating(ms: f64) -> Time {
        debug_assert!(ms.is_nan() || ms >= 0.0, "negative duration {ms} ms");
        // `x + 0.5` truncated is `x` rounded for x ≥ 0; `as` saturates.
        Time((ms * TICKS_PER_MS_F + 0.5) as u64)
    }

    /// Converts a non-negative duration in ms to ticks, rounding *up*: the first tick at or
    /// after the exact instant. Used for threshold crossings, so that a spike is never reported
    /// before the membrane reached threshold.
    pub fn ceil_from_ms(ms: f64) -> Time {
        let x = ms * TICKS_PER_MS_F;
        if x.is_nan() || x <= 0.0 {
            Time(0)
        } else if x >= u64::MAX as f64 {
            Time::NEVER
        } else {
            // `ceil` without a libm call (baseline x86-64 has no rounding instruction):
            // truncate, then step up if something was cut off.
            let t = x as u64;
            Time(if (t as f64) < x { t + 1 } else { t })
        }
    }

    /// This time in milliseconds.
    pub fn as_ms(self) -> f64 {
        // Split to keep full precision for large tick counts.
        let whole = self.0 / TICKS_PER_MS;
        let frac = self.0 % TICKS_PER_MS;
        whole as f64 + frac as f64 / TICKS_PER_MS_F
    }

    /// Milliseconds from `earlier` to `self` (`self >= earlier`).
    pub fn ms_since(self, earlier: Time) -> f64 {
        debug_assert!(self >= earlier);
        (self.0 - earlier.0) as f64 / TICKS_PER_MS_F
    }

    /// `self + d`, or `None` when the clock cannot reach it (the end is [`Time::NEVER`] or
    /// beyond).
    pub fn checked_end(self, d: Time) -> Option<Time> {
        self.0
            .checked_add(d.0)
            .filter(|&end| end < u64::MAX)
            .map(Time)
    }

    /// Saturating addition, so that `NEVER + d == NEVER`.
    pub fn saturating_add(self, d: Time) -> Time {
        Time(self.0.saturating_add(d.0))
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        Time(self.0 + rhs.0)
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, rhs: Time) -> Time {
        Time(self.0 - rhs.0)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.as_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_resolutions_are_whole_ticks() {
        assert_eq!(Time::from_ms(0.1).unwrap().0, 100_000_000);
        assert_eq!(Time::from_ms(0.125).unwrap().0, 125_000_000);
        assert_eq!(Time::from_ms(1.8).unwrap().0, 1_800_000_000);
        assert_eq!(Time::from_ms(-1.0), None);
        assert_eq!(Time::from_ms(f64::NAN), None);
        assert_eq!(Time(12_345_678_901_234).as_ms(), 12_345.678_901_234);
        assert_eq!(Time::ceil_from_ms(1e-10).0, 1);
    }

    #[test]
    fn ceil_from_ms_rounds_up_exactly() {
        assert_eq!(Time::ceil_from_ms(0.0), Time(0));
        assert_eq!(Time::ceil_from_ms(-3.0), Time(0));
        assert_eq!(Time::ceil_from_ms(f64::NAN), Time(0));
        assert_eq!(Time::ceil_from_ms(f64::INFINITY), Time::NEVER);
        assert_eq!(Time::ceil_from_ms(2.0), Time(2 * TICKS_PER_MS));
        assert_eq!(Time::ceil_from_ms(2.5e-9).0, 3);
        for ms in [0.1, 0.125, 1.8, 47.95791, 12_345.678_901_2] {
            let x = ms * TICKS_PER_MS_F;
            assert_eq!(Time::ceil_from_ms(ms).0, x.ceil() as u64, "{ms}");
        }
    }
}

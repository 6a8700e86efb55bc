//! The floating-point type of a population's state: `f64` (double precision, the default of
//! every model) or `f32` (single precision, `precision = "single"` of a `burst2c`
//! population).
//!
//! **Why a choice.** A grid step of [`super::burst2c`] reads and writes about 185 bytes per
//! neuron in double precision; its time follows the bytes more than the arithmetic (AVX-512
//! gained much less than twice over AVX2, `Burst2c::step`). Single precision halves the bytes
//! and doubles the neurons per vector instruction. It is also what the reference code of the
//! BDSP model computes in: Auryn keeps neuron state in `AurynFloat`, a `float`. Double stays
//! the default: it is what NEST and Brian2 users expect, and what every analytic check of the
//! model specs is written for.
//!
//! A step computes in the state's type: constants are rounded to it once, inputs (weights,
//! currents) when they arrive. What leaves a population (state samples, checkpoints) is
//! `f64`, exactly (`f32` widens to `f64` without rounding), so a checkpoint of a
//! single-precision run resumes bit for bit.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub};

/// A population's precision, as a model file names it (`precision = "single"`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// `f64` (the default).
    #[default]
    Double,
    /// `f32`.
    Single,
}

/// `f32` or `f64`: the arithmetic a population's step needs, and exact conversion to `f64`.
pub trait Real:
    Copy
    + Default
    + Debug
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + MulAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The precision's name in a model file (`"double"`, `"single"`).
    const NAME: &'static str;
    /// `x` rounded to nearest.
    fn of(x: f64) -> Self;
    /// The value as `f64` (exact).
    fn f64(self) -> f64;
    /// e^self.
    fn exp(self) -> Self;
    /// The value's bits, widened to 64 (to compare values bit for bit).
    fn bits(self) -> u64;
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const NAME: &'static str = "double";
    #[inline(always)]
    fn of(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp(self) -> f64 {
        f64::exp(self)
    }
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const NAME: &'static str = "single";
    #[inline(always)]
    fn of(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn exp(self) -> f32 {
        f32::exp(self)
    }
    #[inline(always)]
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_widens_exactly_and_rounds_to_nearest() {
        let x = 0.1f64;
        let s = f32::of(x);
        assert_eq!(s, 0.1f32);
        assert_eq!(f32::of(s.f64()), s, "f32 → f64 → f32 is the identity");
        assert!((s.f64() - x).abs() <= f64::from(f32::EPSILON) * x);
        assert_eq!(f64::of(x).bits(), x.to_bits());
        assert_ne!(f32::of(-0.0).bits(), f32::of(0.0).bits());
    }
}

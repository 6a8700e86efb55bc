//! Certified first-crossing search for sums of decaying exponentials.
//!
//! Between inputs, the membrane potential of the exact models is
//! `f(s) = c0 + Σ_k a_k·exp(−r_k·s)` (s ≥ 0 in ms, rates `r_k > 0` distinct). We need the first
//! `s > 0` where `f(s) ≥ 0` (threshold reached), or proof that there is none.
//!
//! Root isolation by recursion on the number of terms: `f′(s)·exp(r_1·s)` is again a constant
//! plus exponentials, one term fewer; its zeros (found recursively) split `[0, H]` into pieces on
//! which `f` is monotone, so every piece holds at most one root of `f` and a sign change brackets
//! it exactly. The bracketed root is then narrowed by the Illinois variant of regula falsi and
//! finally by bisection on whole ticks, giving the first tick at which `f ≥ 0`.

use crate::time::{TICKS_PER_MS, Time};

/// At most this many exponential terms.
pub const MAX_TERMS: usize = 3;

/// `c0 + Σ a_k e^{−r_k s}`.
#[derive(Copy, Clone, Debug)]
pub struct ExpSum {
    /// The constant term.
    pub c0: f64,
    /// `(a_k, r_k)` pairs; only the first `n` are used.
    pub terms: [(f64, f64); MAX_TERMS],
    /// Number of terms used.
    pub n: usize,
}

impl ExpSum {
    /// Builds a sum, dropping zero coefficients and merging equal rates.
    pub fn new(c0: f64, terms: &[(f64, f64)]) -> ExpSum {
        let mut out = ExpSum {
            c0,
            terms: [(0.0, 1.0); MAX_TERMS],
            n: 0,
        };
        for &(a, r) in terms {
            if a == 0.0 {
                continue;
            }
            if let Some(t) = out.terms[..out.n].iter_mut().find(|t| t.1 == r) {
                t.0 += a;
            } else {
                assert!(out.n < MAX_TERMS, "ExpSum holds at most {MAX_TERMS} terms");
                out.terms[out.n] = (a, r);
                out.n += 1;
            }
        }
        out
    }

    /// `f(s)`.
    #[inline]
    pub fn eval(&self, s: f64) -> f64 {
        let mut v = self.c0;
        for &(a, r) in &self.terms[..self.n] {
            v += a * (-r * s).exp();
        }
        v
    }

    /// A bound `H` beyond which `f` has the sign of `c0` (or `None` if `c0 == 0`).
    fn horizon(&self) -> Option<f64> {
        if self.c0 == 0.0 {
            return None;
        }
        let n = self.n as f64;
        let mut h: f64 = 0.0;
        for &(a, r) in &self.terms[..self.n] {
            // n·|a|·e^{−r s} < |c0|/2  for s > ln(2 n |a| / |c0|) / r
            let x = (2.0 * n * a.abs() / self.c0.abs()).ln() / r;
            h = h.max(x);
        }
        Some(h.max(0.0) * 1.000_001 + 1e-9)
    }

    /// The derivative times `exp(r_1 s)`: a sum with one term fewer and the same zeros as `f′`.
    fn reduced_derivative(&self) -> ExpSum {
        let (a1, r1) = self.terms[0];
        let mut d = ExpSum {
            c0: -a1 * r1,
            terms: [(0.0, 1.0); MAX_TERMS],
            n: 0,
        };
        for &(a, r) in &self.terms[1..self.n] {
            // −a r e^{−r s} · e^{r1 s} = −a r e^{−(r − r1) s}; the rate may be negative.
            d.terms[d.n] = (-a * r, r - r1);
            d.n += 1;
        }
        d
    }

    /// All sign changes of `f` in `[lo, hi]`, appended in increasing order (each located to a
    /// relative precision of about 1e-15).
    fn zeros(&self, lo: f64, hi: f64, out: &mut Vec<f64>) {
        if self.n == 0 {
            return;
        }
        let mut cuts: Vec<f64> = Vec::with_capacity(MAX_TERMS + 1);
        cuts.push(lo);
        self.reduced_derivative().zeros(lo, hi, &mut cuts);
        cuts.push(hi);
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (fa, fb) = (self.eval(a), self.eval(b));
            if (fa < 0.0) != (fb < 0.0) {
                out.push(refine(|s| self.eval(s), a, b, fa, fb));
            }
        }
    }
}

/// Root of a monotone `f` bracketed by `[a, b]` with a sign change (Illinois regula falsi,
/// then bisection until the bracket stops shrinking).
fn refine(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64, mut fa: f64, mut fb: f64) -> f64 {
    let mut side = 0i8;
    for _ in 0..200 {
        let width = b - a;
        if width <= 1e-15 * b.abs().max(1e-12) {
            break;
        }
        let mut c = (a * fb - b * fa) / (fb - fa);
        if !(c > a && c < b) {
            c = 0.5 * (a + b);
        }
        let fc = f(c);
        if fc == 0.0 {
            return c;
        }
        if (fc < 0.0) == (fa < 0.0) {
            a = c;
            fa = fc;
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        } else {
            b = c;
            fb = fc;
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        }
        if b - a > 0.5 * width {
            // Slow progress: bisect once.
            let m = 0.5 * (a + b);
            let fm = f(m);
            if (fm < 0.0) == (fa < 0.0) {
                a = m;
                fa = fm;
            } else {
                b = m;
                fb = fm;
            }
        }
    }
    0.5 * (a + b)
}

/// The first tick offset `k ≥ 1` (in ticks after `s = 0`) with `f(k ticks) ≥ 0`, given
/// `f(0) < 0`; `None` if `f` stays negative. `cap_ms` bounds the search when `c0 == 0`.
pub fn first_crossing(f: &ExpSum, cap_ms: f64) -> Option<Time> {
    let f0 = f.eval(0.0);
    debug_assert!(f0 < 0.0);
    if f.n == 0 {
        return None;
    }
    let hi = match f.horizon() {
        Some(h) if f.c0 > 0.0 => h,
        Some(h) => h,
        None => cap_ms,
    };
    // Critical points of f split [0, hi] into monotone pieces.
    let mut cuts: Vec<f64> = Vec::with_capacity(MAX_TERMS + 1);
    cuts.push(0.0);
    f.reduced_derivative().zeros(0.0, hi, &mut cuts);
    cuts.push(hi);
    let mut prev = (0.0, f0);
    for &c in &cuts[1..] {
        let fc = f.eval(c);
        if fc >= 0.0 {
            let s = refine(|s| f.eval(s), prev.0, c, prev.1, fc);
            return Some(to_first_tick(f, s));
        }
        prev = (c, fc);
    }
    None
}

/// Snaps an approximate root `s` (ms) to the first tick where `f ≥ 0`.
fn to_first_tick(f: &ExpSum, s: f64) -> Time {
    let per_tick = 1.0 / TICKS_PER_MS as f64;
    let k = (s * TICKS_PER_MS as f64).floor().max(0.0) as u64;
    // Find lo < hi with f(lo) < 0 <= f(hi), near k.
    let at = |k: u64| f.eval(k as f64 * per_tick);
    let (mut lo, mut hi) = if at(k) >= 0.0 {
        let mut step = 1u64;
        let mut hi = k;
        let mut lo = k.saturating_sub(step);
        while lo > 0 && at(lo) >= 0.0 {
            hi = lo;
            step *= 2;
            lo = lo.saturating_sub(step);
        }
        (lo, hi)
    } else {
        let mut step = 1u64;
        let mut lo = k;
        let mut hi = k + step;
        while at(hi) < 0.0 {
            lo = hi;
            step *= 2;
            hi += step;
        }
        (lo, hi)
    };
    if at(lo) >= 0.0 {
        // Only possible at lo == 0, excluded by f(0) < 0; keep the crossing strictly later.
        return Time(lo.max(1));
    }
    while hi - lo > 1 {
        let m = lo + (hi - lo) / 2;
        if at(m) >= 0.0 { hi = m } else { lo = m }
    }
    Time(hi.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_exponential_matches_closed_form() {
        // V_inf = -49, V0 = -60, theta = -50, tau = 20: f = (V_inf - θ) + (V0 - V_inf) e^{-s/τ}
        let f = ExpSum::new(1.0, &[(-11.0, 1.0 / 20.0)]);
        let exact = 20.0 * (11.0f64).ln();
        let t = first_crossing(&f, 1e6).unwrap();
        assert!(
            (t.as_ms() - exact).abs() <= 1e-9,
            "{} vs {exact}",
            t.as_ms()
        );
        assert!(f.eval(t.as_ms()) >= 0.0);
        assert!(f.eval(t.as_ms() - 1e-9) < 0.0);
    }

    #[test]
    fn transient_bump_that_misses_or_hits() {
        // Difference of exponentials bump with peak ~ 0.5 below or above zero.
        let bump = |h: f64| ExpSum::new(-1.0, &[(h, 0.2), (-h, 1.0)]);
        // peak of h(e^{-0.2s} - e^{-s}) at s = ln(5)/0.8, value h*0.5350
        assert!(first_crossing(&bump(1.8), 1e6).is_none());
        let t = first_crossing(&bump(2.0), 1e6).unwrap().as_ms();
        assert!(bump(2.0).eval(t) >= 0.0 && bump(2.0).eval(t - 1e-9) < 0.0);
        assert!(t < (5.0f64).ln() / 0.8, "first crossing is before the peak");
    }

    #[test]
    fn three_terms_find_the_first_of_two_crossings() {
        // f dips, rises above 0, falls below, rises again: first crossing must be found.
        let f = ExpSum::new(-0.5, &[(8.0, 0.1), (-10.0, 0.5), (1.5, 3.0)]);
        let t = first_crossing(&f, 1e6).unwrap().as_ms();
        // brute-force scan
        let mut s = 0.0;
        while f.eval(s) < 0.0 {
            s += 1e-4;
        }
        assert!((t - s).abs() < 2e-4, "{t} vs scan {s}");
    }
}

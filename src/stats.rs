//! Comparing two variants of an experiment from per-seed measurements: means with percentile
//! bootstrap confidence intervals, Hedges' g and a two-sided permutation test of the
//! difference of means (exact when the relabellings are few enough to enumerate).
//!
//! Every resampling draws from a seeded stream, so a report is reproducible.

use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The arithmetic mean (NaN for no values).
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// The sample variance (n − 1 in the denominator; NaN below two values).
pub fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

/// The percentile bootstrap confidence interval of the mean at `level` (e.g. 0.95) from
/// `resamples` resamples; `None` for no values or a level outside (0, 1).
pub fn bootstrap_ci(x: &[f64], level: f64, resamples: usize, seed: u64) -> Option<(f64, f64)> {
    if x.is_empty() || !(level > 0.0 && level < 1.0) || resamples == 0 {
        return None;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = x.len();
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| x[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_unstable_by(f64::total_cmp);
    let q = |p: f64| {
        let k = (p * (resamples - 1) as f64).round() as usize;
        means[k.min(resamples - 1)]
    };
    let tail = (1.0 - level) / 2.0;
    Some((q(tail), q(1.0 - tail)))
}

/// Hedges' g: the difference of means `a − b` over the pooled standard deviation, with the
/// small-sample correction `1 − 3/(4(n_a + n_b) − 9)`. NaN when either sample has fewer than
/// two values or both have no spread.
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.len() < 2 || b.len() < 2 {
        return f64::NAN;
    }
    let pooled = (((na - 1.0) * variance(a) + (nb - 1.0) * variance(b)) / (na + nb - 2.0)).sqrt();
    let d = (mean(a) - mean(b)) / pooled;
    d * (1.0 - 3.0 / (4.0 * (na + nb) - 9.0))
}

/// The two-sided p-value of a permutation test of `mean(a) = mean(b)`: the fraction of
/// relabellings of the pooled values whose difference of means is at least as large in size as
/// the observed one. When there are at most `permutations` relabellings they are all
/// enumerated (exact test); else `permutations` random ones are drawn and
/// `p = (1 + count) / (1 + permutations)`. NaN when a sample is empty.
pub fn permutation_test(a: &[f64], b: &[f64], permutations: usize, seed: u64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let (n, na) = (pooled.len(), a.len());
    let total: f64 = pooled.iter().sum();
    let diff = |sum_a: f64| sum_a / na as f64 - (total - sum_a) / (n - na) as f64;
    let observed = diff(a.iter().sum()).abs();
    // Differences equal up to rounding count as equal.
    let tol = 1e-12 * (1.0 + observed);
    let extreme = |sum_a: f64| diff(sum_a).abs() >= observed - tol;
    if let Some(count) = binomial(n, na).filter(|&c| c <= permutations as u128) {
        // Every subset of `na` of the `n` positions, in Gosper's order.
        let mut hits = 0u128;
        let mut set: u64 = (1u64 << na) - 1;
        for _ in 0..count {
            let sum: f64 = (0..n)
                .filter(|&i| set >> i & 1 == 1)
                .map(|i| pooled[i])
                .sum();
            hits += extreme(sum) as u128;
            let c = set & set.wrapping_neg();
            let r = set + c;
            set = (((r ^ set) >> 2) / c) | r;
        }
        return hits as f64 / count as f64;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v = pooled;
    let mut hits = 0usize;
    for _ in 0..permutations {
        // A partial Fisher–Yates shuffle draws the first `na` positions.
        for i in 0..na {
            let j = i + (rng.next_u64() % (n - i) as u64) as usize;
            v.swap(i, j);
        }
        hits += extreme(v[..na].iter().sum()) as usize;
    }
    (1 + hits) as f64 / (1 + permutations) as f64
}

/// `C(n, k)` when it fits (n ≤ 63, so subsets fit a `u64`), else `None`.
fn binomial(n: usize, k: usize) -> Option<u128> {
    if n > 63 || k > n {
        return None;
    }
    let k = k.min(n - k) as u128;
    let mut c: u128 = 1;
    for i in 0..k {
        c = c * (n as u128 - i) / (i + 1);
    }
    Some(c)
}

/// One metric of two variants compared.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Comparison {
    /// Mean of the first variant.
    pub mean_a: f64,
    /// Its 95 % bootstrap confidence interval.
    pub ci_a: (f64, f64),
    /// Mean of the second variant.
    pub mean_b: f64,
    /// Its 95 % bootstrap confidence interval.
    pub ci_b: (f64, f64),
    /// Hedges' g of a against b.
    pub hedges_g: f64,
    /// Two-sided permutation-test p-value.
    pub p: f64,
}

/// Compares two samples: 95 % percentile bootstrap intervals (10,000 resamples), Hedges' g and
/// the permutation test (exact up to 100,000 relabellings, else 100,000 random ones).
pub fn compare(a: &[f64], b: &[f64], seed: u64) -> Comparison {
    let nan = (f64::NAN, f64::NAN);
    Comparison {
        mean_a: mean(a),
        ci_a: bootstrap_ci(a, 0.95, 10_000, seed).unwrap_or(nan),
        mean_b: mean(b),
        ci_b: bootstrap_ci(b, 0.95, 10_000, seed ^ 1).unwrap_or(nan),
        hedges_g: hedges_g(a, b),
        p: permutation_test(a, b, 100_000, seed ^ 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    fn normal(rng: &mut Xoshiro256PlusPlus, n: usize, shift: f64) -> Vec<f64> {
        (0..n)
            .map(|_| shift + <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng))
            .collect()
    }

    #[test]
    fn exact_permutation_test_of_separated_samples() {
        // C(6, 3) = 20 relabellings; only the observed one and its mirror are as extreme.
        let p = permutation_test(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 1000, 0);
        assert_eq!(p, 0.1);
        // Identical samples: every relabelling is at least as extreme.
        assert_eq!(permutation_test(&[1.0, 2.0], &[2.0, 1.0], 1000, 0), 1.0);
    }

    #[test]
    fn permutation_test_rejects_identical_distributions_at_the_nominal_rate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let trials = 400;
        let mut rejected = 0;
        for t in 0..trials {
            let (a, b) = (normal(&mut rng, 12, 0.0), normal(&mut rng, 12, 0.0));
            // C(24, 12) > 2000: the sampled test.
            rejected += (permutation_test(&a, &b, 2000, t) < 0.05) as usize;
        }
        // 5 % of 400 = 20, binomial s.d. 4.4.
        assert!(
            (8..=34).contains(&rejected),
            "rejected {rejected} of {trials}"
        );
        let mut rejected = 0;
        for t in 0..trials {
            let (a, b) = (normal(&mut rng, 6, 0.0), normal(&mut rng, 6, 0.0));
            // C(12, 6) = 924: the exact test.
            rejected += (permutation_test(&a, &b, 2000, t) < 0.05) as usize;
        }
        assert!(
            (8..=34).contains(&rejected),
            "exact: rejected {rejected} of {trials}"
        );
    }

    #[test]
    fn permutation_test_detects_a_shift() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let mut detected = 0;
        for t in 0..100 {
            let (a, b) = (normal(&mut rng, 10, 2.0), normal(&mut rng, 10, 0.0));
            detected += (permutation_test(&a, &b, 2000, t) < 0.01) as usize;
        }
        // Power of the two-sample t-test at d = 2, n = 10 per sample, α = 0.01: about 0.92.
        assert!(detected >= 85, "detected {detected} of 100");
    }

    #[test]
    fn bootstrap_interval_covers_the_mean() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut covered = 0;
        for t in 0..200 {
            let x = normal(&mut rng, 20, 3.0);
            let (lo, hi) = bootstrap_ci(&x, 0.95, 2000, t).unwrap();
            covered += (lo <= 3.0 && 3.0 <= hi) as usize;
        }
        // Percentile intervals at n = 20 cover a little below 95 %.
        assert!((176..=198).contains(&covered), "covered {covered} of 200");
        assert_eq!(bootstrap_ci(&[], 0.95, 100, 0), None);
    }

    #[test]
    fn hedges_g_of_a_known_pair() {
        // Means 2.5 and 4.5, both variances 5/3: d = −2/√(5/3), J = 1 − 3/23.
        let g = hedges_g(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]);
        let want = -2.0 / (5.0f64 / 3.0).sqrt() * (1.0 - 3.0 / 23.0);
        assert!((g - want).abs() < 1e-12, "{g} vs {want}");
        assert!(hedges_g(&[1.0], &[2.0, 3.0]).is_nan());
    }
}

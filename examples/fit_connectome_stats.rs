//! Measures the degree and synapse-count distributions of the shipped fly connectomes and fits
//! the shapes that `hebb generate` uses (`connectome::generate`'s fitted constants).
//!
//! ```text
//! cargo run --release --example fit_connectome_stats
//! ```
//!
//! Degrees: a lognormal fitted by maximum likelihood (mean and standard deviation of ln d) to
//! the neurons with d ≥ 1, and the correlation of ln in-degree with ln out-degree over neurons
//! with both ≥ 1. Synapse counts: the generator's model `count = 1 + R(c·X)`, X ~ LogNormal(0,
//! σ), R stochastic rounding, fitted by the smallest Kolmogorov distance to the empirical
//! distribution over a grid of σ, with `c` set by the mean count as in the generator; for a
//! file thresholded at `t` synapses the model is conditioned on count ≥ t and `c` is fitted
//! too.

use hebb::connectome::file::read;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectomes");
    for (file, threshold) in [
        ("larva_winding2023_brain.h5", 1u32),
        ("flywire_v783_mushroom_body_R.h5", 5),
    ] {
        let c = read(&dir.join(file)).expect("the shipped connectomes read");
        println!("== {file}");
        let (din, dout) = c.degrees();
        for (name, d) in [("out-degree", &dout), ("in-degree", &din)] {
            let (mu, sigma, k) = lognormal_fit(d.iter().map(|&x| x as f64));
            let zero = d.iter().filter(|&&x| x == 0).count();
            println!(
                "{name}: {k} neurons with d >= 1 ({zero} with 0): ln d mean {mu:.3} sd {sigma:.3}; \
                 quantiles {:?}",
                quantiles(d)
            );
        }
        let both: Vec<(f64, f64)> = din
            .iter()
            .zip(&dout)
            .filter(|(a, b)| **a > 0 && **b > 0)
            .map(|(&a, &b)| ((a as f64).ln(), (b as f64).ln()))
            .collect();
        println!(
            "corr(ln in, ln out) = {:.3} over {} neurons",
            correlation(&both),
            both.len()
        );
        let counts: Vec<u32> = c.edges.count.clone().expect("fly files have counts");
        let mean = counts.iter().map(|&x| x as f64).sum::<f64>() / counts.len() as f64;
        let ones = counts.iter().filter(|&&x| x == threshold).count() as f64 / counts.len() as f64;
        let (mu, sigma, _) = lognormal_fit(counts.iter().map(|&x| x as f64));
        println!(
            "counts: mean {mean:.3}, P(count = {threshold}) {ones:.3}, ln count mean {mu:.3} sd \
             {sigma:.3}; quantiles {:?}",
            quantiles(&counts)
        );
        let (s, cc, ks) = fit_counts(&counts, threshold);
        println!(
            "count model 1 + R(c·LogNormal(0, σ)): σ = {s:.3}, c = {cc:.3} (mean of the \
             untruncated model {:.3}), KS distance {ks:.4}",
            1.0 + cc * (s * s / 2.0).exp()
        );
    }
}

/// (mean, sd, n) of ln x over x ≥ 1.
fn lognormal_fit(xs: impl Iterator<Item = f64>) -> (f64, f64, usize) {
    let l: Vec<f64> = xs.filter(|&x| x >= 1.0).map(f64::ln).collect();
    let n = l.len() as f64;
    let mu = l.iter().sum::<f64>() / n;
    let var = l.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / n;
    (mu, var.sqrt(), l.len())
}

fn correlation(xy: &[(f64, f64)]) -> f64 {
    let n = xy.len() as f64;
    let (mx, my) = (
        xy.iter().map(|p| p.0).sum::<f64>() / n,
        xy.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in xy {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Minimum, 10/50/90/99th percentiles and maximum.
fn quantiles(x: &[u32]) -> Vec<u32> {
    let mut v = x.to_vec();
    v.sort_unstable();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    vec![q(0.0), q(0.1), q(0.5), q(0.9), q(0.99), q(1.0)]
}

/// Grid fit of (σ, c) of `count = 1 + R(c·X)` (conditioned on count ≥ t): smallest KS distance.
fn fit_counts(counts: &[u32], t: u32) -> (f64, f64, f64) {
    let mean = counts.iter().map(|&x| x as f64).sum::<f64>() / counts.len() as f64;
    let kmax = 200usize;
    let mut hist = vec![0f64; kmax + 2];
    for &x in counts {
        hist[(x as usize).min(kmax + 1)] += 1.0;
    }
    let n = counts.len() as f64;
    let mut emp = vec![0f64; kmax + 1];
    let mut acc = 0.0;
    for k in 0..=kmax {
        acc += hist[k];
        emp[k] = acc / n;
    }
    // Quadrature over z ~ N(0, 1).
    let zs: Vec<(f64, f64)> = (0..=800)
        .map(|i| {
            let z = -8.0 + 16.0 * i as f64 / 800.0;
            (z, (-z * z / 2.0).exp())
        })
        .collect();
    let wsum: f64 = zs.iter().map(|p| p.1).sum();
    let mut best = (0.0, 0.0, f64::INFINITY);
    for si in 1..=60 {
        let sigma = 0.05 * si as f64;
        // Untruncated counts: c is set by the mean, as in the generator. Thresholded counts:
        // c is free (the mean below the threshold is unknown).
        let cs: Vec<f64> = if t == 1 {
            vec![(mean - 1.0) / (sigma * sigma / 2.0).exp()]
        } else {
            (0..=120).map(|ci| 0.2 * ci as f64).collect()
        };
        for c in cs {
            // Model CDF: P(count <= k) = E[clamp(k − c·X, 0, 1)] for k ≥ 1.
            let cdf = |k: usize| -> f64 {
                if k == 0 {
                    return 0.0;
                }
                zs.iter()
                    .map(|&(z, w)| w * (k as f64 - c * (sigma * z).exp()).clamp(0.0, 1.0))
                    .sum::<f64>()
                    / wsum
            };
            let below = cdf(t as usize - 1);
            if below > 0.999 {
                continue;
            }
            let mut ks: f64 = 0.0;
            for (k, &e) in emp.iter().enumerate().take(81).skip(t as usize) {
                let m = (cdf(k) - below) / (1.0 - below);
                ks = ks.max((m - e).abs());
            }
            if ks < best.2 {
                best = (sigma, c, ks);
            }
        }
    }
    best
}

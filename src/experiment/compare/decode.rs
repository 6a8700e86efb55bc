//! A cross-validated linear readout: which of K input patterns was presented, decoded from
//! spike counts by ridge regression onto one-hot targets (the usual "linear readout" of
//! reservoir and cortical-capacity studies).
//!
//! Features are z-scored with the training fold's means and standard deviations (a feature
//! constant in the training fold is dropped). With more features than examples the solution is
//! computed in its dual form, `W = Xᵀ (X Xᵀ + λ I)⁻¹ Y`, so the system to solve has one row
//! per training example; λ is `ridge` times the mean of the diagonal of `X Xᵀ`, which makes it
//! independent of the number of features. Folds are stratified: example `j` of each pattern
//! goes to fold `j mod folds`.

/// Decoding accuracy (fraction of held-out examples classified correctly) of `labels` (each in
/// `0..k`) from `features` (one row per example), over `folds` stratified folds. `None` when
/// there are fewer than two examples per fold or fewer than two patterns.
pub fn cross_validated_accuracy(
    features: &[Vec<f64>],
    labels: &[usize],
    k: usize,
    folds: usize,
    ridge: f64,
) -> Option<f64> {
    let n = labels.len();
    if k < 2 || folds < 2 || n < 2 * folds || features.len() != n {
        return None;
    }
    let mut seen = vec![0usize; k];
    let fold: Vec<usize> = labels
        .iter()
        .map(|&l| {
            let f = seen[l] % folds;
            seen[l] += 1;
            f
        })
        .collect();
    let (mut right, mut total) = (0usize, 0usize);
    for f in 0..folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = (0..n).filter(|&i| fold[i] == f).collect();
        if test.is_empty() {
            continue;
        }
        let model = Readout::fit(features, labels, &train, k, ridge)?;
        for &i in &test {
            right += (model.predict(&features[i]) == labels[i]) as usize;
            total += 1;
        }
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// A fitted readout: the training examples (standardised) and the dual coefficients.
struct Readout {
    /// Per kept feature: index, mean and standard deviation in the training fold.
    scale: Vec<(usize, f64, f64)>,
    /// Standardised training examples.
    x: Vec<Vec<f64>>,
    /// Dual coefficients, one row per training example, one column per pattern.
    alpha: Vec<Vec<f64>>,
}

impl Readout {
    fn fit(
        features: &[Vec<f64>],
        labels: &[usize],
        train: &[usize],
        k: usize,
        ridge: f64,
    ) -> Option<Readout> {
        let m = train.len() as f64;
        let dims = features[train[0]].len();
        let mut mean = vec![0.0; dims];
        for &i in train {
            for (s, v) in mean.iter_mut().zip(&features[i]) {
                *s += v;
            }
        }
        for s in &mut mean {
            *s /= m;
        }
        let mut var = vec![0.0; dims];
        for &i in train {
            for ((s, v), mu) in var.iter_mut().zip(&features[i]).zip(&mean) {
                *s += (v - mu).powi(2);
            }
        }
        for s in &mut var {
            *s /= m;
        }
        let scale: Vec<(usize, f64, f64)> = (0..dims)
            .filter(|&d| var[d] > 1e-12)
            .map(|d| (d, mean[d], var[d].sqrt()))
            .collect();
        let x: Vec<Vec<f64>> = train
            .iter()
            .map(|&i| standardise(&features[i], &scale))
            .collect();
        let t = x.len();
        let mut gram = vec![vec![0.0; t]; t];
        for a in 0..t {
            for b in 0..=a {
                let v = dot(&x[a], &x[b]);
                gram[a][b] = v;
                gram[b][a] = v;
            }
        }
        let mean_diag = (0..t).map(|a| gram[a][a]).sum::<f64>() / t as f64;
        let lambda = ridge * mean_diag.max(1e-12);
        for (a, row) in gram.iter_mut().enumerate() {
            row[a] += lambda;
        }
        let chol = cholesky(gram)?;
        // Centred one-hot targets, so that no intercept is needed.
        let alpha_cols: Vec<Vec<f64>> = (0..k)
            .map(|c| {
                let y: Vec<f64> = train
                    .iter()
                    .map(|&i| (labels[i] == c) as u8 as f64 - 1.0 / k as f64)
                    .collect();
                solve(&chol, &y)
            })
            .collect();
        let alpha = (0..t)
            .map(|a| alpha_cols.iter().map(|col| col[a]).collect())
            .collect();
        Some(Readout { scale, x, alpha })
    }

    fn predict(&self, features: &[f64]) -> usize {
        let z = standardise(features, &self.scale);
        let k = self.alpha.first().map_or(0, Vec::len);
        let mut score = vec![0.0; k];
        for (xa, aa) in self.x.iter().zip(&self.alpha) {
            let s = dot(xa, &z);
            for (c, a) in aa.iter().enumerate() {
                score[c] += s * a;
            }
        }
        // Ties go to the lowest pattern index.
        (0..k).fold(0, |best, c| if score[c] > score[best] { c } else { best })
    }
}

fn standardise(f: &[f64], scale: &[(usize, f64, f64)]) -> Vec<f64> {
    scale.iter().map(|&(d, m, s)| (f[d] - m) / s).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The lower Cholesky factor of a symmetric positive definite matrix (`None` if it is not).
fn cholesky(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    for j in 0..n {
        let d = a[j][j] - (0..j).map(|p| a[j][p] * a[j][p]).sum::<f64>();
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j][j] = d;
        for i in j + 1..n {
            let s = a[i][j] - (0..j).map(|p| a[i][p] * a[j][p]).sum::<f64>();
            a[i][j] = s / d;
        }
        for v in a[j].iter_mut().skip(j + 1) {
            *v = 0.0;
        }
    }
    Some(a)
}

/// Solves `L Lᵀ x = b` for the factor `l` of [`cholesky`].
fn solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|p| l[i][p] * y[p]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|p| l[p][i] * x[p]).sum::<f64>()) / l[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// K patterns, each a mean vector; examples are the mean plus unit noise.
    fn data(k: usize, per: usize, dims: usize, sep: f64, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let means: Vec<Vec<f64>> = (0..k)
            .map(|_| {
                (0..dims)
                    .map(|_| sep * (rng.random::<f64>() - 0.5))
                    .collect()
            })
            .collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for j in 0..per {
            for (c, m) in means.iter().enumerate() {
                let _ = j;
                x.push(
                    m.iter()
                        .map(|v| v + rng.random::<f64>() - 0.5)
                        .collect::<Vec<f64>>(),
                );
                y.push(c);
            }
        }
        (x, y)
    }

    #[test]
    fn separable_patterns_are_decoded() {
        let (x, y) = data(4, 20, 50, 4.0, 1);
        let acc = cross_validated_accuracy(&x, &y, 4, 5, 1e-3).unwrap();
        assert!(acc > 0.95, "accuracy {acc}");
    }

    #[test]
    fn noise_is_decoded_at_chance() {
        // Labels carry no information: accuracy near 1/4 over many data sets.
        let mut sum = 0.0;
        for seed in 0..20 {
            let (x, _) = data(1, 80, 30, 0.0, seed);
            let y: Vec<usize> = (0..80).map(|i| i % 4).collect();
            sum += cross_validated_accuracy(&x, &y, 4, 5, 1.0).unwrap();
        }
        let mean = sum / 20.0;
        // 20 × 80 examples: s.d. of the mean about 0.011.
        assert!((0.19..0.31).contains(&mean), "mean accuracy {mean}");
    }

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let l = cholesky(a).unwrap();
        let x = solve(&l, &[2.0, 1.0]);
        // 4x + 2y = 2, 2x + 3y = 1: x = 0.5, y = 0.
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(cholesky(vec![vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        assert_eq!(
            cross_validated_accuracy(&[vec![1.0]], &[0], 2, 5, 1.0),
            None
        );
    }
}

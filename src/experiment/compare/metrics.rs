//! The metrics of one run, from its spikes (`specs/microcircuit.md`, "What an experiment
//! reports").
//!
//! Spontaneous activity, over the recorded period before the first presentation, per
//! population:
//! - `rate_hz`: spikes per neuron per second, silent neurons included;
//! - `cv_isi`: the mean CV of inter-spike intervals of the neurons with at least 3 spikes;
//! - `correlation`: the mean Pearson correlation of spike counts in `corr_bin` ms bins over
//!   `corr_pairs` random pairs of neurons that spiked (pairs with a constant count left out);
//! - `synchrony`: the variance over the mean of the population's spike count in `sync_bin` ms
//!   bins (1 for independent Poisson neurons, larger when they fire together; Potjans &
//!   Diesmann 2014 use 3 ms);
//! - `spectral_peak_hz`: the frequency (5–250 Hz) of the largest peak of the Welch power
//!   spectrum of the population's spike count in 1 ms bins (256 ms Hann segments, half
//!   overlapping).
//!
//! Stimulus responses, over every presentation:
//! - `gain`: (rate in the response window − rate in the baseline window) / input rate, i.e.
//!   evoked Hz per Hz of input to the presented neurons;
//! - `latency_ms`: the first 1 ms bin after the onset from which two consecutive bins of the
//!   presentation-averaged population rate exceed the baseline bins' mean + 3 s.d. (missing when
//!   none does).
//!
//! And per run, `decoding` (and `decoding/AREA` per area of a model with areas): the
//! cross-validated accuracy of the linear readout
//! ([`super::decode`]) of the presented pattern from the spike counts, in the response window,
//! of the readout neurons.

use crate::analysis::cv_isi;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Deserialize;

/// `[analysis]` of an experiment file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisSpec {
    /// Populations analysed (default: all except spike sources).
    pub populations: Vec<String>,
    /// Groups of neurons analysed instead of populations, e.g. the cell classes of a
    /// connectome population: `[[analysis.group]] name = "KC", population = "mb",
    /// neurons = { where = { group = "KC" } }`.
    pub group: Vec<GroupSpec>,
    /// Bin (ms) of spike-count correlations.
    pub corr_bin: f64,
    /// Pairs per population for correlations.
    pub corr_pairs: usize,
    /// Bin (ms) of the synchrony index.
    pub sync_bin: f64,
    /// Populations (or groups) whose neurons' response counts are the readout's features
    /// (default: every analysed one).
    pub readout: Vec<String>,
    /// Neurons per readout population (evenly spaced through it).
    pub readout_neurons: usize,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Ridge strength of the readout (relative to the mean squared feature norm).
    pub ridge: f64,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec {
            populations: Vec::new(),
            group: Vec::new(),
            corr_bin: 10.0,
            corr_pairs: 200,
            sync_bin: 3.0,
            readout: Vec::new(),
            readout_neurons: 100,
            folds: 5,
            ridge: 1.0,
        }
    }
}

/// `[[analysis.group]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Name in the report.
    pub name: String,
    /// The population its neurons are in.
    pub population: String,
    /// Which of them (default all).
    pub neurons: Option<toml::Spanned<crate::model::spec::Selection>>,
}

/// Windows of a run (ms).
pub struct Windows<'a> {
    /// Spontaneous period `[from, to)`.
    pub spontaneous: (f64, f64),
    /// Presentations: onset and pattern.
    pub onsets: &'a [(f64, usize)],
    /// Response window after each onset.
    pub response: f64,
    /// Baseline window before each onset.
    pub baseline: f64,
    /// Input rate of the presented neurons (Hz).
    pub input_rate: f64,
}

/// The spontaneous and evoked metrics of one population, given per neuron its sorted spike
/// times (ms), in the order of [`POP_METRICS`].
pub fn population_metrics(tr: &[&[f64]], w: &Windows, a: &AnalysisSpec, seed: u64) -> [f64; 7] {
    let (from, to) = w.spontaneous;
    let n = tr.len().max(1) as f64;
    let spont: Vec<&[f64]> = tr
        .iter()
        .map(|ts| &ts[ts.partition_point(|&t| t < from)..ts.partition_point(|&t| t < to)])
        .collect();
    let total: usize = spont.iter().map(|t| t.len()).sum();
    let rate = total as f64 / n / ((to - from) / 1000.0);
    let cvs: Vec<f64> = spont.iter().filter_map(|t| cv_isi(t)).collect();
    let cv = mean_or_nan(&cvs);
    let corr = correlation(&spont, from, to, a.corr_bin, a.corr_pairs, seed);
    let all: Vec<f64> = spont.iter().copied().flatten().copied().collect();
    let sync = fano(&counts(&all, from, to, a.sync_bin));
    let peak = spectral_peak(&counts(&all, from, to, 1.0));
    let (gain, latency) = response(tr, w);
    [rate, cv, corr, sync, peak, gain, latency]
}

/// Names of [`population_metrics`]' values.
pub const POP_METRICS: [&str; 7] = [
    "rate_hz",
    "cv_isi",
    "correlation",
    "synchrony",
    "spectral_peak_hz",
    "gain",
    "latency_ms",
];

fn mean_or_nan(x: &[f64]) -> f64 {
    if x.is_empty() {
        f64::NAN
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

/// Spike counts of `times` in bins of `bin` ms over `[from, to)` (a last partial bin dropped).
fn counts(times: &[f64], from: f64, to: f64, bin: f64) -> Vec<f64> {
    let nb = ((to - from) / bin).floor() as usize;
    let mut c = vec![0.0; nb];
    for &t in times {
        let b = ((t - from) / bin) as usize;
        if t >= from && b < nb {
            c[b] += 1.0;
        }
    }
    c
}

fn fano(c: &[f64]) -> f64 {
    let m = mean_or_nan(c);
    if m.is_nan() || m <= 0.0 {
        return f64::NAN;
    }
    let var = c.iter().map(|x| (x - m).powi(2)).sum::<f64>() / c.len() as f64;
    var / m
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ma, mb) = (mean_or_nan(a), mean_or_nan(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

fn correlation(spont: &[&[f64]], from: f64, to: f64, bin: f64, pairs: usize, seed: u64) -> f64 {
    let active: Vec<usize> = (0..spont.len()).filter(|&i| !spont[i].is_empty()).collect();
    if active.len() < 2 {
        return f64::NAN;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut rs = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let i = active[rng.random_range(0..active.len())];
        let mut j = active[rng.random_range(0..active.len() - 1)];
        if j == i {
            j = active[active.len() - 1];
        }
        let (a, b) = (
            counts(spont[i], from, to, bin),
            counts(spont[j], from, to, bin),
        );
        if let Some(r) = pearson(&a, &b) {
            rs.push(r);
        }
    }
    mean_or_nan(&rs)
}

/// Welch power spectrum of `x` (1 ms bins) and its largest peak in 5–250 Hz.
fn spectral_peak(x: &[f64]) -> f64 {
    let seg = 256usize.min(x.len());
    if seg < 64 {
        return f64::NAN;
    }
    let m = mean_or_nan(x);
    if m.is_nan() || m <= 0.0 {
        return f64::NAN;
    }
    let hann: Vec<f64> = (0..seg)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / seg as f64).cos())
        .collect();
    let mut power = vec![0.0; seg / 2 + 1];
    let mut start = 0;
    while start + seg <= x.len() {
        let s = &x[start..start + seg];
        for (k, p) in power.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            let w = -2.0 * std::f64::consts::PI * k as f64 / seg as f64;
            for (i, v) in s.iter().enumerate() {
                let y = (v - m) * hann[i];
                re += y * (w * i as f64).cos();
                im += y * (w * i as f64).sin();
            }
            *p += re * re + im * im;
        }
        start += seg / 2;
    }
    let hz = |k: usize| k as f64 * 1000.0 / seg as f64;
    let best = (0..power.len())
        .filter(|&k| (5.0..=250.0).contains(&hz(k)))
        .max_by(|&a, &b| power[a].total_cmp(&power[b]));
    best.map_or(f64::NAN, hz)
}

/// Gain and latency from the presentation-averaged response.
fn response(tr: &[&[f64]], w: &Windows) -> (f64, f64) {
    if w.onsets.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let (nb_base, nb_resp) = (w.baseline.floor() as usize, w.response.floor() as usize);
    let mut base = vec![0.0; nb_base];
    let mut resp = vec![0.0; nb_resp];
    let mut all: Vec<f64> = tr.iter().copied().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    for &(onset, _) in w.onsets {
        let lo = all.partition_point(|&t| t < onset - w.baseline);
        let hi = all.partition_point(|&t| t < onset + w.response);
        for &t in &all[lo..hi] {
            let d = t - onset;
            if d < 0.0 {
                let b = ((d + w.baseline).floor() as usize).min(nb_base.saturating_sub(1));
                if nb_base > 0 {
                    base[b] += 1.0;
                }
            } else if (d.floor() as usize) < nb_resp {
                resp[d.floor() as usize] += 1.0;
            }
        }
    }
    // Rates (Hz per neuron) per 1 ms bin, averaged over presentations.
    let scale = 1000.0 / (tr.len().max(1) as f64 * w.onsets.len() as f64);
    for v in base.iter_mut().chain(resp.iter_mut()) {
        *v *= scale;
    }
    let mb = mean_or_nan(&base);
    let sd = if base.len() > 1 {
        (base.iter().map(|x| (x - mb).powi(2)).sum::<f64>() / (base.len() - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let gain = (mean_or_nan(&resp) - mb) / w.input_rate;
    let threshold = mb + 3.0 * sd;
    let latency = (0..resp.len().saturating_sub(1))
        .find(|&b| resp[b] > threshold && resp[b + 1] > threshold)
        .map_or(f64::NAN, |b| b as f64);
    (gain, latency)
}

/// The readout's features of each presentation: spike counts in the response window of the
/// given neurons (per neuron, sorted spike times).
pub fn response_counts(
    neurons: &[&[f64]],
    onsets: &[(f64, usize)],
    response: f64,
) -> Vec<Vec<f64>> {
    onsets
        .iter()
        .map(|&(onset, _)| {
            neurons
                .iter()
                .map(|ts| {
                    let lo = ts.partition_point(|&t| t < onset);
                    let hi = ts.partition_point(|&t| t < onset + response);
                    (hi - lo) as f64
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn poisson(rng: &mut Xoshiro256PlusPlus, rate_hz: f64, from: f64, to: f64) -> Vec<f64> {
        let mut t = from;
        let mut out = Vec::new();
        loop {
            t += -1000.0 / rate_hz * (1.0 - rng.random::<f64>()).ln();
            if t >= to {
                return out;
            }
            out.push(t);
        }
    }

    fn windows(onsets: &[(f64, usize)]) -> Windows<'_> {
        Windows {
            spontaneous: (0.0, 10_000.0),
            onsets,
            response: 50.0,
            baseline: 50.0,
            input_rate: 100.0,
        }
    }

    #[test]
    fn independent_poisson_neurons() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let times: Vec<Vec<f64>> = (0..200)
            .map(|_| poisson(&mut rng, 10.0, 0.0, 10_000.0))
            .collect();
        let tr: Vec<&[f64]> = times.iter().map(Vec::as_slice).collect();
        let m = population_metrics(&tr, &windows(&[]), &AnalysisSpec::default(), 3);
        assert!((m[0] - 10.0).abs() < 0.3, "rate {}", m[0]);
        assert!((m[1] - 1.0).abs() < 0.05, "CV {}", m[1]);
        assert!(m[2].abs() < 0.02, "correlation {}", m[2]);
        assert!((m[3] - 1.0).abs() < 0.1, "synchrony {}", m[3]);
        assert!(m[5].is_nan() && m[6].is_nan());
    }

    #[test]
    fn an_oscillation_is_found_and_synchrony_rises() {
        // Rate 10·(1 + sin(2π·40 Hz·t)): thinning of a 20 Hz process.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let times: Vec<Vec<f64>> = (0..200)
            .map(|_| {
                poisson(&mut rng, 20.0, 0.0, 10_000.0)
                    .into_iter()
                    .filter(|&t| {
                        let r = 0.5 * (1.0 + (2.0 * std::f64::consts::PI * 0.04 * t).sin());
                        rng.random::<f64>() < r
                    })
                    .collect()
            })
            .collect();
        let tr: Vec<&[f64]> = times.iter().map(Vec::as_slice).collect();
        let m = population_metrics(&tr, &windows(&[]), &AnalysisSpec::default(), 3);
        // 256 ms segments: bins of 3.9 Hz; 40 Hz falls in bin 10 (39.1 Hz).
        assert!((m[4] - 40.0).abs() < 4.0, "peak {}", m[4]);
        assert!(m[3] > 1.5, "synchrony {}", m[3]);
        assert!(m[2] > 0.01, "correlation {}", m[2]);
    }

    #[test]
    fn gain_and_latency_of_a_known_response() {
        // Baseline 5 Hz; from 10 ms after each onset, 45 Hz more for 30 ms.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let onsets: Vec<(f64, usize)> = (0..100).map(|j| (1000.0 + 200.0 * j as f64, 0)).collect();
        let times: Vec<Vec<f64>> = (0..100)
            .map(|_| {
                let mut t = poisson(&mut rng, 5.0, 0.0, 22_000.0);
                for &(o, _) in &onsets {
                    t.extend(poisson(&mut rng, 45.0, o + 10.0, o + 40.0));
                }
                t.sort_by(f64::total_cmp);
                t
            })
            .collect();
        let tr: Vec<&[f64]> = times.iter().map(Vec::as_slice).collect();
        let m = population_metrics(&tr, &windows(&onsets), &AnalysisSpec::default(), 3);
        // Evoked: 45 Hz over 30 of the 50 ms = 27 Hz more, per 100 Hz of input.
        assert!((m[5] - 0.27).abs() < 0.03, "gain {}", m[5]);
        assert!((m[6] - 10.0).abs() <= 1.0, "latency {}", m[6]);
    }
}

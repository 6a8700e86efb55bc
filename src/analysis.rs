//! Spike-train statistics of a run: reading an output file, per-population rates, CV of ISIs,
//! fraction of active neurons and binned population rates.
//!
//! The statistics are pure functions of spike times and neuron indices
//! ([`population_stats`], [`cv_isi`], [`rate_histogram`], [`SpikeTrains`]), so the engine can use
//! them on spikes held in memory; [`read`] and [`stats`] do the same for an output file.
//!
//! Spikes are grouped by neuron once (a counting sort, O(spikes + neurons)); neuron ids map to
//! positions through [`IdMap`] (by position when the ids are `0..N`, otherwise by binary search in
//! a sorted id array). All time windows are half-open, `[from, to)`.

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// The spikes and neuron table of a run's output file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeData {
    /// Spike times (ms), `/spikes/time_ms`.
    pub times_ms: Vec<f64>,
    /// Neuron id of each spike, `/spikes/neuron`.
    pub neurons: Vec<i64>,
    /// Neuron ids, `/neurons/id`.
    pub ids: Vec<i64>,
    /// Population index of each neuron (parallel to `ids`), `/neurons/population`.
    pub population: Vec<i16>,
    /// Population names (indexed by the values of `population`), attribute `labels`.
    pub labels: Vec<String>,
    /// Start of the recording (ms), after warm-up; root attribute `t_start_ms`.
    pub t_start_ms: f64,
    /// End of the run (ms); root attribute `t_stop_ms`.
    pub t_stop_ms: f64,
    /// The file the data was read from (`None` for data built in memory); used in plot titles.
    pub source: Option<PathBuf>,
    /// Trials of the run (root attribute `trials`, 1 when absent). The spikes above are the
    /// first trial's; the per-neuron rates over all trials are in the file's `/rates`.
    pub trials: u32,
}

/// Statistics of one population over a time window.
#[derive(Debug, Clone, PartialEq)]
pub struct PopStats {
    /// Population name.
    pub name: String,
    /// Number of neurons of the population.
    pub n_neurons: usize,
    /// Spikes of the population in the window.
    pub spikes: u64,
    /// Mean firing rate (Hz) over all neurons of the population, silent ones included.
    pub rate_hz: f64,
    /// Mean, over the neurons with at least 3 spikes in the window, of the coefficient of
    /// variation of their inter-spike intervals (see [`cv_isi`]); `None` when no neuron has 3.
    pub cv_isi: Option<f64>,
    /// Fraction of the population's neurons with at least one spike in the window.
    pub fraction_active: f64,
}

/// Reads the spikes and the neuron table of a run's output file and checks that they are
/// consistent (equal lengths, known neuron ids, population indices within the labels, finite
/// times). Errors name the file and the dataset or attribute at fault.
pub fn read(path: &Path) -> Result<SpikeData> {
    let file = crate::h5::open_input(path).map_err(|e| {
        anyhow!(
            "{}: cannot open as HDF5: {e}; is this a hebb output file?",
            path.display()
        )
    })?;
    let at = |what: &str| format!("{}: {what}", path.display());
    let times_ms: Vec<f64> = file
        .dataset("spikes/time_ms")
        .and_then(|d| d.read_raw())
        .with_context(|| at("cannot read dataset /spikes/time_ms"))?;
    let mut neurons: Vec<i64> = file
        .dataset("spikes/neuron")
        .and_then(|d| d.read_raw())
        .with_context(|| at("cannot read dataset /spikes/neuron"))?;
    let mut times_ms = times_ms;
    let trials: u32 = file
        .attr("trials")
        .and_then(|a| a.read_scalar())
        .unwrap_or(1);
    if let Ok(d) = file.dataset("spikes/trial") {
        let trial: Vec<i32> = d
            .read_raw()
            .with_context(|| at("cannot read dataset /spikes/trial"))?;
        if trial.len() != times_ms.len() {
            bail!(
                "{}: /spikes/trial has {} values but /spikes/time_ms {}",
                path.display(),
                trial.len(),
                times_ms.len()
            );
        }
        // The first trial (rows are sorted by trial).
        let n0 = trial.partition_point(|&k| k <= 0);
        times_ms.truncate(n0);
        neurons.truncate(n0);
    }
    let ids: Vec<i64> = file
        .dataset("neurons/id")
        .and_then(|d| d.read_raw())
        .with_context(|| at("cannot read dataset /neurons/id"))?;
    let pop_ds = file
        .dataset("neurons/population")
        .with_context(|| at("cannot open dataset /neurons/population"))?;
    let population: Vec<i16> = pop_ds
        .read_raw()
        .with_context(|| at("cannot read dataset /neurons/population"))?;
    let labels_json: hdf5::types::VarLenUnicode = pop_ds
        .attr("labels")
        .and_then(|a| a.read_scalar())
        .with_context(|| at("cannot read attribute `labels` of /neurons/population"))?;
    let labels: Vec<String> = serde_json::from_str(labels_json.as_str()).with_context(|| {
        at("attribute `labels` of /neurons/population is not a JSON list of strings")
    })?;
    let t_start_ms: f64 = file
        .attr("t_start_ms")
        .and_then(|a| a.read_scalar())
        .with_context(|| at("cannot read root attribute t_start_ms"))?;
    let t_stop_ms: f64 = file
        .attr("t_stop_ms")
        .and_then(|a| a.read_scalar())
        .with_context(|| at("cannot read root attribute t_stop_ms"))?;
    let data = SpikeData {
        times_ms,
        neurons,
        ids,
        population,
        labels,
        t_start_ms,
        t_stop_ms,
        source: Some(path.to_owned()),
        trials,
    };
    data.validate()
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(data)
}

/// Per-population statistics of `data` over `[from_ms, to_ms)`, one entry per label, in label
/// order. Spikes of neurons missing from the neuron table are ignored.
pub fn stats(data: &SpikeData, from_ms: f64, to_ms: f64) -> Vec<PopStats> {
    let idx = data.spike_neuron_indices();
    let pops = data.population_indices();
    population_stats(&data.times_ms, &idx, &pops, &data.labels, from_ms, to_ms)
}

impl SpikeData {
    /// Same as [`read`].
    pub fn read(path: &Path) -> Result<SpikeData> {
        read(path)
    }

    /// Number of neurons in the neuron table.
    pub fn n_neurons(&self) -> usize {
        self.ids.len()
    }

    /// Checks the data is consistent; the error names the dataset at fault.
    pub fn validate(&self) -> Result<()> {
        if self.times_ms.len() != self.neurons.len() {
            bail!(
                "/spikes/time_ms has {} values but /spikes/neuron has {}",
                self.times_ms.len(),
                self.neurons.len()
            );
        }
        if self.ids.len() != self.population.len() {
            bail!(
                "/neurons/id has {} values but /neurons/population has {}",
                self.ids.len(),
                self.population.len()
            );
        }
        if let Some(&p) = self
            .population
            .iter()
            .find(|&&p| p < 0 || p as usize >= self.labels.len())
        {
            bail!(
                "/neurons/population holds {p}, but its `labels` attribute names only {} \
                 populations (indices 0..{})",
                self.labels.len(),
                self.labels.len()
            );
        }
        if !self.t_start_ms.is_finite() || !self.t_stop_ms.is_finite() {
            bail!(
                "root attributes t_start_ms = {} and t_stop_ms = {} must be finite",
                self.t_start_ms,
                self.t_stop_ms
            );
        }
        if self.t_stop_ms < self.t_start_ms {
            bail!(
                "root attribute t_stop_ms = {} is before t_start_ms = {}",
                self.t_stop_ms,
                self.t_start_ms
            );
        }
        if let Some(i) = self.times_ms.iter().position(|t| !t.is_finite()) {
            bail!("/spikes/time_ms[{i}] is {}", self.times_ms[i]);
        }
        let map = IdMap::new(&self.ids).context("/neurons/id")?;
        if let Some(i) = self.neurons.iter().position(|&n| map.index(n).is_none()) {
            bail!(
                "/spikes/neuron[{i}] = {} is not a neuron id of /neurons/id",
                self.neurons[i]
            );
        }
        Ok(())
    }

    /// The recording window `[from, to)`: `from` defaults to `t_start_ms`, `to` to `t_stop_ms`.
    /// Fails when a bound is not finite or the window is empty.
    pub fn window(&self, from_ms: Option<f64>, to_ms: Option<f64>) -> Result<(f64, f64)> {
        let from = from_ms.unwrap_or(self.t_start_ms);
        let to = to_ms.unwrap_or(self.t_stop_ms);
        if !from.is_finite() || !to.is_finite() {
            bail!("time window {from}..{to} ms: bounds must be finite numbers");
        }
        if to <= from {
            bail!(
                "time window {from}..{to} ms is empty: the end must be after the start \
                 (the recording spans {}..{} ms)",
                self.t_start_ms,
                self.t_stop_ms
            );
        }
        Ok((from, to))
    }

    /// Position in the neuron table (index into `ids`/`population`) of each spike's neuron;
    /// `u32::MAX` for ids missing from the table.
    pub fn spike_neuron_indices(&self) -> Vec<u32> {
        match IdMap::new(&self.ids) {
            Ok(map) => self
                .neurons
                .iter()
                .map(|&n| map.index(n).map_or(u32::MAX, |i| i as u32))
                .collect(),
            // Duplicate or too many ids: nothing can be attributed reliably.
            Err(_) => vec![u32::MAX; self.neurons.len()],
        }
    }

    /// Population index of each neuron as `usize` (`usize::MAX` for negative codes).
    pub fn population_indices(&self) -> Vec<usize> {
        self.population
            .iter()
            .map(|&p| usize::try_from(p).unwrap_or(usize::MAX))
            .collect()
    }

    /// Index of the population called `name`, or an error listing the available names.
    pub fn population_index(&self, name: &str) -> Result<usize> {
        self.labels.iter().position(|l| l == name).ok_or_else(|| {
            anyhow!(
                "unknown population `{name}`; available: {}",
                if self.labels.is_empty() {
                    "(none)".to_owned()
                } else {
                    self.labels.join(", ")
                }
            )
        })
    }
}

/// Maps neuron ids to their positions in an id array: by position when the ids are exactly
/// `0..N`, otherwise by binary search in a sorted copy.
#[derive(Debug, Clone)]
pub struct IdMap {
    kind: IdMapKind,
}

#[derive(Debug, Clone)]
enum IdMapKind {
    /// `ids[i] == i` for all `i < n`.
    Identity(usize),
    /// `(id, position)` sorted by id.
    Sorted(Vec<(i64, u32)>),
}

impl IdMap {
    /// Builds the map of `ids`. Fails on a duplicate id or more than `u32::MAX` ids.
    pub fn new(ids: &[i64]) -> Result<IdMap> {
        if ids.len() > u32::MAX as usize {
            bail!("{} neuron ids: at most {} supported", ids.len(), u32::MAX);
        }
        if ids.iter().enumerate().all(|(i, &id)| id == i as i64) {
            return Ok(IdMap {
                kind: IdMapKind::Identity(ids.len()),
            });
        }
        let mut sorted: Vec<(i64, u32)> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
            bail!(
                "neuron id {} appears twice (positions {} and {})",
                w[0].0,
                w[0].1,
                w[1].1
            );
        }
        Ok(IdMap {
            kind: IdMapKind::Sorted(sorted),
        })
    }

    /// Position of `id`, or `None` when it is not in the array.
    pub fn index(&self, id: i64) -> Option<usize> {
        match &self.kind {
            IdMapKind::Identity(n) => usize::try_from(id).ok().filter(|&i| i < *n),
            IdMapKind::Sorted(v) => v
                .binary_search_by_key(&id, |&(k, _)| k)
                .ok()
                .map(|j| v[j].1 as usize),
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        match &self.kind {
            IdMapKind::Identity(n) => *n,
            IdMapKind::Sorted(v) => v.len(),
        }
    }

    /// True when the map holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Spike trains grouped by neuron: the times of neuron `i` are contiguous and sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeTrains {
    /// `offsets[i]..offsets[i + 1]` is neuron `i`'s range in `times_ms`.
    offsets: Vec<usize>,
    times_ms: Vec<f64>,
}

impl SpikeTrains {
    /// Groups the spikes in `[from_ms, to_ms)` by neuron, in one counting-sort pass.
    ///
    /// `neuron_of_spike[s]` is the index (`0..n_neurons`) of spike `s`'s neuron; spikes with an
    /// index out of range are dropped. Input in time order gives sorted trains directly;
    /// otherwise each train is sorted.
    pub fn new(
        times_ms: &[f64],
        neuron_of_spike: &[u32],
        n_neurons: usize,
        from_ms: f64,
        to_ms: f64,
    ) -> SpikeTrains {
        let keep = |t: f64, n: u32| t >= from_ms && t < to_ms && (n as usize) < n_neurons;
        let mut offsets = vec![0usize; n_neurons + 1];
        for (&t, &n) in times_ms.iter().zip(neuron_of_spike) {
            if keep(t, n) {
                offsets[n as usize + 1] += 1;
            }
        }
        for i in 0..n_neurons {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets[..n_neurons].to_vec();
        let mut times = vec![0.0f64; offsets[n_neurons]];
        for (&t, &n) in times_ms.iter().zip(neuron_of_spike) {
            if keep(t, n) {
                let slot = &mut fill[n as usize];
                times[*slot] = t;
                *slot += 1;
            }
        }
        for i in 0..n_neurons {
            let train = &mut times[offsets[i]..offsets[i + 1]];
            if !train.is_sorted() {
                train.sort_unstable_by(f64::total_cmp);
            }
        }
        SpikeTrains {
            offsets,
            times_ms: times,
        }
    }

    /// Number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Total number of spikes.
    pub fn n_spikes(&self) -> usize {
        self.times_ms.len()
    }

    /// Sorted spike times of neuron `i` (empty when out of range).
    pub fn train(&self, i: usize) -> &[f64] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.times_ms[a..b],
            _ => &[],
        }
    }
}

/// Per-population statistics over `[from_ms, to_ms)`, one entry per name, in order.
///
/// - `neuron_of_spike[s]`: index (`0..population_of_neuron.len()`) of spike `s`'s neuron;
///   spikes with an out-of-range index are ignored.
/// - `population_of_neuron[i]`: population index of neuron `i` (index into `names`); neurons
///   with an out-of-range population are ignored.
///
/// Rates are spikes / (neurons × window length); a population without neurons or an empty
/// window gives rate 0 and fraction 0.
pub fn population_stats<S: AsRef<str>>(
    times_ms: &[f64],
    neuron_of_spike: &[u32],
    population_of_neuron: &[usize],
    names: &[S],
    from_ms: f64,
    to_ms: f64,
) -> Vec<PopStats> {
    let n_pops = names.len();
    let trains = SpikeTrains::new(
        times_ms,
        neuron_of_spike,
        population_of_neuron.len(),
        from_ms,
        to_ms,
    );
    let mut n_neurons = vec![0usize; n_pops];
    let mut spikes = vec![0u64; n_pops];
    let mut active = vec![0usize; n_pops];
    let mut cv_sum = vec![0.0f64; n_pops];
    let mut cv_count = vec![0usize; n_pops];
    for (i, &p) in population_of_neuron.iter().enumerate() {
        if p >= n_pops {
            continue;
        }
        let train = trains.train(i);
        n_neurons[p] += 1;
        spikes[p] += train.len() as u64;
        if !train.is_empty() {
            active[p] += 1;
        }
        if let Some(cv) = cv_isi(train) {
            cv_sum[p] += cv;
            cv_count[p] += 1;
        }
    }
    let duration_s = (to_ms - from_ms) / 1000.0;
    (0..n_pops)
        .map(|p| {
            let n = n_neurons[p];
            let rate_hz = if n > 0 && duration_s > 0.0 {
                spikes[p] as f64 / (n as f64 * duration_s)
            } else {
                0.0
            };
            PopStats {
                name: names[p].as_ref().to_owned(),
                n_neurons: n,
                spikes: spikes[p],
                rate_hz,
                cv_isi: (cv_count[p] > 0).then(|| cv_sum[p] / cv_count[p] as f64),
                fraction_active: if n > 0 {
                    active[p] as f64 / n as f64
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// Coefficient of variation std/mean of the inter-spike intervals of one neuron's sorted spike
/// times (population standard deviation). `None` with fewer than 3 spikes or a zero mean ISI.
pub fn cv_isi(spike_times_ms: &[f64]) -> Option<f64> {
    if spike_times_ms.len() < 3 {
        return None;
    }
    let n = (spike_times_ms.len() - 1) as f64;
    let isi = || spike_times_ms.windows(2).map(|w| w[1] - w[0]);
    let mean = isi().sum::<f64>() / n;
    if mean.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let var = isi().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

/// Number of bins of width `bin_ms` covering `[from, to)` (the last one may be shorter); 0 when
/// the window is empty or a value is not finite or `bin_ms <= 0`.
pub fn n_bins(from: f64, to: f64, bin_ms: f64) -> usize {
    if !(from.is_finite() && to.is_finite() && bin_ms.is_finite()) || bin_ms <= 0.0 || to <= from {
        return 0;
    }
    ((to - from) / bin_ms).ceil() as usize
}

/// Population rate (Hz per neuron) in bins of `bin_ms` over `[from, to)`: bin `b` covers
/// `[from + b·bin_ms, from + (b+1)·bin_ms)` clipped to `to`, and holds
/// spikes / (`n_neurons` × bin length). Times outside the window are ignored; the result has
/// [`n_bins`] values (all 0 when `n_neurons` is 0).
pub fn rate_histogram(
    times: &[f64],
    from: f64,
    to: f64,
    bin_ms: f64,
    n_neurons: usize,
) -> Vec<f64> {
    let nb = n_bins(from, to, bin_ms);
    if nb == 0 {
        return Vec::new();
    }
    let mut counts = vec![0u64; nb];
    for &t in times {
        if t >= from && t < to {
            let b = (((t - from) / bin_ms) as usize).min(nb - 1);
            counts[b] += 1;
        }
    }
    if n_neurons == 0 {
        return vec![0.0; nb];
    }
    counts
        .iter()
        .enumerate()
        .map(|(b, &c)| {
            let start = from + b as f64 * bin_ms;
            let width_ms = (to.min(start + bin_ms) - start).max(0.0);
            if width_ms > 0.0 {
                c as f64 * 1000.0 / (n_neurons as f64 * width_ms)
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform numbers in (0, 1) from a 64-bit LCG (Knuth's MMIX constants).
    struct Lcg(u64);
    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
    }

    #[test]
    fn cv_of_a_regular_train_is_zero() {
        let t: Vec<f64> = (0..100).map(|i| 5.0 + 10.0 * i as f64).collect();
        assert_eq!(cv_isi(&t), Some(0.0));
    }

    #[test]
    fn cv_needs_three_spikes_and_a_positive_mean() {
        assert_eq!(cv_isi(&[]), None);
        assert_eq!(cv_isi(&[1.0, 2.0]), None);
        assert_eq!(cv_isi(&[3.0, 3.0, 3.0]), None);
        // ISIs 10 and 20: mean 15, population std 5.
        assert_eq!(cv_isi(&[110.0, 120.0, 140.0]), Some(1.0 / 3.0));
    }

    #[test]
    fn cv_of_a_poisson_train_is_near_one() {
        let mut rng = Lcg(12345);
        let mut t = 0.0;
        let train: Vec<f64> = (0..200_000)
            .map(|_| {
                t += -20.0 * rng.uniform().ln();
                t
            })
            .collect();
        let cv = cv_isi(&train).expect("many spikes");
        assert!((cv - 1.0).abs() < 0.05, "CV {cv}");
    }

    #[test]
    fn regular_trains_give_exact_rates() {
        // Two neurons of population 0 firing every 100 ms over 1 s (10 Hz), one of
        // population 1 firing every 50 ms (20 Hz), interleaved in time order.
        let mut spikes: Vec<(f64, u32)> = Vec::new();
        for k in 0..10 {
            spikes.push((100.0 * k as f64, 0));
            spikes.push((100.0 * k as f64 + 7.0, 1));
        }
        for k in 0..20 {
            spikes.push((50.0 * k as f64 + 3.0, 2));
        }
        spikes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (t, n): (Vec<f64>, Vec<u32>) = spikes.into_iter().unzip();
        let s = population_stats(&t, &n, &[0, 0, 1], &["A", "B"], 0.0, 1000.0);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "A");
        assert_eq!(s[0].n_neurons, 2);
        assert_eq!(s[0].spikes, 20);
        assert_eq!(s[0].rate_hz, 10.0);
        assert_eq!(s[0].cv_isi, Some(0.0));
        assert_eq!(s[0].fraction_active, 1.0);
        assert_eq!(s[1].spikes, 20);
        assert_eq!(s[1].rate_hz, 20.0);
        assert_eq!(s[1].cv_isi, Some(0.0));
    }

    #[test]
    fn the_window_is_half_open_and_filters_spikes() {
        let t = [99.0, 100.0, 150.0, 200.0, 250.0];
        let n = [0, 0, 0, 0, 1];
        let s = population_stats(&t, &n, &[0, 0, 1], &["E", "I"], 100.0, 200.0);
        assert_eq!(s[0].spikes, 2);
        assert_eq!(s[0].rate_hz, 2.0 / (2.0 * 0.1));
        assert_eq!(s[0].fraction_active, 0.5);
        assert_eq!(s[0].cv_isi, None);
        assert_eq!(s[1].spikes, 0);
        assert_eq!(s[1].rate_hz, 0.0);
        assert_eq!(s[1].fraction_active, 0.0);
    }

    #[test]
    fn unknown_neurons_populations_and_empty_populations_are_handled() {
        let t = [1.0, 2.0, 3.0, 4.0];
        let n = [0, 7, u32::MAX, 1];
        let s = population_stats(&t, &n, &[0, usize::MAX], &["E", "empty"], 0.0, 10.0);
        assert_eq!(s[0].n_neurons, 1);
        assert_eq!(s[0].spikes, 1);
        assert_eq!(s[0].rate_hz, 100.0);
        assert_eq!(s[1].n_neurons, 0);
        assert_eq!(s[1].rate_hz, 0.0);
        assert_eq!(s[1].fraction_active, 0.0);
        assert_eq!(s[1].cv_isi, None);
    }

    #[test]
    fn unsorted_spikes_are_grouped_and_sorted() {
        let t = [30.0, 10.0, 20.0, 5.0];
        let n = [0, 0, 0, 1];
        let tr = SpikeTrains::new(&t, &n, 2, 0.0, 100.0);
        assert_eq!(tr.n_neurons(), 2);
        assert_eq!(tr.n_spikes(), 4);
        assert_eq!(tr.train(0), &[10.0, 20.0, 30.0]);
        assert_eq!(tr.train(1), &[5.0]);
        assert!(tr.train(2).is_empty());
        let s = population_stats(&t, &n, &[0, 0], &["E"], 0.0, 100.0);
        assert_eq!(s[0].cv_isi, Some(0.0));
    }

    #[test]
    fn rate_histogram_counts_per_bin_with_a_short_last_bin() {
        // Window [0, 12) with 5 ms bins: [0,5), [5,10), [10,12).
        let t = [0.0, 1.0, 4.999, 5.0, 10.0, 11.9, 12.0, -1.0];
        let r = rate_histogram(&t, 0.0, 12.0, 5.0, 2);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], 3.0 * 1000.0 / (2.0 * 5.0));
        assert_eq!(r[1], 1.0 * 1000.0 / (2.0 * 5.0));
        assert_eq!(r[2], 2.0 * 1000.0 / (2.0 * 2.0));
        assert_eq!(rate_histogram(&t, 0.0, 12.0, 5.0, 0), vec![0.0; 3]);
        assert!(rate_histogram(&t, 5.0, 5.0, 5.0, 2).is_empty());
        assert!(rate_histogram(&t, 0.0, 10.0, 0.0, 2).is_empty());
        assert!(rate_histogram(&t, 0.0, 10.0, f64::NAN, 2).is_empty());
    }

    #[test]
    fn rate_histogram_of_a_regular_train_is_flat() {
        // 100 neurons each firing once per 10 ms bin: 100 Hz.
        let t: Vec<f64> = (0..100 * 100)
            .map(|i| (i / 100) as f64 * 10.0 + 2.5)
            .collect();
        let r = rate_histogram(&t, 0.0, 1000.0, 10.0, 100);
        assert_eq!(r.len(), 100);
        assert!(r.iter().all(|&x| x == 100.0), "{r:?}");
    }

    #[test]
    fn id_map_by_position_and_by_search() {
        let m = IdMap::new(&[0, 1, 2]).expect("unique ids");
        assert_eq!(m.len(), 3);
        assert_eq!(m.index(2), Some(2));
        assert_eq!(m.index(3), None);
        assert_eq!(m.index(-1), None);
        let m = IdMap::new(&[40, 10, 30]).expect("unique ids");
        assert_eq!(m.index(40), Some(0));
        assert_eq!(m.index(10), Some(1));
        assert_eq!(m.index(30), Some(2));
        assert_eq!(m.index(20), None);
        let e = IdMap::new(&[4, 5, 4]).expect_err("duplicate");
        assert!(e.to_string().contains("neuron id 4 appears twice"), "{e}");
        assert!(IdMap::new(&[]).expect("empty").is_empty());
    }

    fn sample() -> SpikeData {
        SpikeData {
            times_ms: vec![1.0, 2.0, 3.0, 4.0],
            neurons: vec![10, 30, 10, 20],
            ids: vec![10, 20, 30],
            population: vec![0, 1, 1],
            labels: vec!["E".into(), "I".into()],
            t_start_ms: 0.0,
            t_stop_ms: 10.0,
            source: None,
            trials: 1,
        }
    }

    #[test]
    fn stats_of_spike_data_maps_ids() {
        let d = sample();
        d.validate().expect("consistent");
        assert_eq!(d.spike_neuron_indices(), vec![0, 2, 0, 1]);
        let s = stats(&d, 0.0, 10.0);
        assert_eq!(s[0].spikes, 2);
        assert_eq!(s[0].rate_hz, 200.0);
        assert_eq!(s[1].spikes, 2);
        assert_eq!(s[1].rate_hz, 100.0);
        assert_eq!(s[1].fraction_active, 1.0);
    }

    #[test]
    fn validation_names_the_dataset() {
        let mut d = sample();
        d.neurons[1] = 99;
        let e = d.validate().expect_err("unknown id").to_string();
        assert!(e.contains("/spikes/neuron[1] = 99"), "{e}");
        let mut d = sample();
        d.population[2] = 2;
        let e = d.validate().expect_err("bad population").to_string();
        assert!(e.contains("/neurons/population"), "{e}");
        let mut d = sample();
        d.times_ms.pop();
        let e = d.validate().expect_err("lengths").to_string();
        assert!(e.contains("/spikes/time_ms"), "{e}");
        let mut d = sample();
        d.times_ms[0] = f64::NAN;
        assert!(d.validate().is_err());
    }

    #[test]
    fn window_defaults_and_checks() {
        let d = sample();
        assert_eq!(d.window(None, None).expect("valid"), (0.0, 10.0));
        assert_eq!(d.window(Some(2.0), None).expect("valid"), (2.0, 10.0));
        assert!(d.window(Some(5.0), Some(5.0)).is_err());
        assert!(d.window(Some(f64::NAN), None).is_err());
        let e = d.population_index("X").expect_err("unknown").to_string();
        assert!(e.contains("available: E, I"), "{e}");
        assert_eq!(d.population_index("I").expect("known"), 1);
    }
}

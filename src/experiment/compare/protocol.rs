//! The stimulus protocol of a comparison: K input patterns, each presented `trials` times in a
//! random order (drawn from the run's seed), after the spontaneous period.
//!
//! A pattern is a set of neurons of the target population; during a presentation each of them
//! fires a Poisson train at `rate` for `on` ms. The trains are written to a CSV file
//! (`neuron,time_ms`) that the model reads: as the spike times of a `spike_source` target, or
//! as a `spike_times` stimulus (with `weight` and `target_var`) onto any other population.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Deserialize;
use std::io::Write;
use std::path::Path;
use toml::{Spanned, Table, Value};

use crate::model::spec::{NonNegative, Positive, Selection, TargetVar};

/// `[protocol]` of an experiment file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSpec {
    /// The population whose neurons carry the patterns.
    pub target: String,
    /// Its neurons that take part (default all); `patterns` splits them into equal blocks.
    pub neurons: Option<Spanned<Selection>>,
    /// Number of patterns K, as consecutive blocks of the neurons (when `pattern` is absent).
    pub patterns: Option<usize>,
    /// The patterns as selections, e.g. `[{ neurons = { where = { glomerulus = "DA1" } } }]`.
    #[serde(default)]
    pub pattern: Vec<PatternSpec>,
    /// Presentations per pattern.
    pub trials: usize,
    /// Poisson rate (Hz) of each neuron of the presented pattern.
    pub rate: Positive,
    /// Duration (ms) of a presentation.
    pub on: Positive,
    /// Time (ms) from one presentation's onset to the next.
    pub every: Positive,
    /// Window (ms) after the onset whose spikes count as the response (gain, decoding).
    pub response: Positive,
    /// Window (ms) before the onset that gives the baseline (default 50).
    pub baseline: Option<Positive>,
    /// For a target that is not a `spike_source`: the weight of each input spike.
    pub weight: Option<f64>,
    /// For a target that is not a `spike_source`: "I_syn" (default) or "V_m".
    #[serde(default)]
    pub target_var: TargetVar,
    /// Pause (ms) between the spontaneous period and the first onset (default `baseline`).
    pub delay: Option<NonNegative>,
}

/// One pattern given as a selection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// Its neurons.
    pub neurons: Spanned<Selection>,
}

impl ProtocolSpec {
    /// The number of patterns.
    pub fn k(&self) -> usize {
        if self.pattern.is_empty() {
            self.patterns.unwrap_or(0)
        } else {
            self.pattern.len()
        }
    }

    /// Baseline window (ms).
    pub fn baseline_ms(&self) -> f64 {
        self.baseline.map_or(50.0, |b| b.0)
    }

    /// Checks what does not depend on a model.
    pub fn check(&self) -> Result<(), String> {
        match (self.patterns, self.pattern.is_empty()) {
            (Some(_), false) => {
                return Err("give `patterns` (blocks) or `pattern` (selections), not both".into());
            }
            (None, true) => {
                return Err("missing `patterns` (K blocks) or `[[protocol.pattern]]`".into());
            }
            _ => {}
        }
        if self.k() < 2 {
            return Err(format!(
                "{} pattern(s): decoding needs at least 2",
                self.k()
            ));
        }
        if self.trials < 2 {
            return Err("`trials` must be at least 2 per pattern".into());
        }
        if self.on.0 > self.every.0 || self.response.0 + self.baseline_ms() > self.every.0 {
            return Err(format!(
                "`every` ({} ms) must hold `on` ({} ms) and `baseline` + `response` ({} ms)",
                self.every.0,
                self.on.0,
                self.baseline_ms() + self.response.0
            ));
        }
        Ok(())
    }
}

/// The presentations of one run.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// (onset in ms from the start of the run, pattern), in time order.
    pub onsets: Vec<(f64, usize)>,
    /// End of the stimulated period (ms).
    pub end_ms: f64,
}

/// The presentations after `start_ms`: each pattern `trials` times, shuffled by `seed`.
pub fn schedule(p: &ProtocolSpec, start_ms: f64, seed: u64) -> Schedule {
    let mut order: Vec<usize> = (0..p.k())
        .flat_map(|k| std::iter::repeat_n(k, p.trials))
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x005E_ED0F_571A_u64);
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let first = start_ms + p.delay.map_or(p.baseline_ms(), |d| d.0);
    let onsets: Vec<(f64, usize)> = order
        .into_iter()
        .enumerate()
        .map(|(j, k)| (first + j as f64 * p.every.0, k))
        .collect();
    let end_ms = first + onsets.len() as f64 * p.every.0;
    Schedule { onsets, end_ms }
}

/// Writes the input trains of `schedule` to `csv` (`neuron,time_ms`): `ids[k]` are the
/// (external) ids of pattern k's neurons. Returns the number of spikes.
pub fn write_trains(
    p: &ProtocolSpec,
    sched: &Schedule,
    ids: &[Vec<i64>],
    seed: u64,
    csv: &Path,
) -> std::io::Result<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x007E_A175_u64);
    let mut rows: Vec<(f64, i64)> = Vec::new();
    let mean_isi = 1000.0 / p.rate.0;
    for &(onset, k) in &sched.onsets {
        for &id in &ids[k] {
            let mut t = onset;
            loop {
                let u: f64 = rng.random();
                t += -mean_isi * (1.0 - u).ln();
                if t >= onset + p.on.0 {
                    break;
                }
                rows.push((t, id));
            }
        }
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut w = std::io::BufWriter::new(std::fs::File::create(csv)?);
    writeln!(w, "neuron,time_ms")?;
    for (t, id) in &rows {
        writeln!(w, "{id},{t}")?;
    }
    w.flush()?;
    Ok(rows.len())
}

/// Points the model table at the trains in `csv`: a `spike_source` target reads them as its
/// spike times (its own `rate`, `start`, `stop` and `spike_times` are dropped); another
/// target gets a `spike_times` stimulus.
pub fn attach(table: &mut Table, p: &ProtocolSpec, csv: &Path) -> Result<(), String> {
    let pops = table
        .get_mut("population")
        .and_then(Value::as_array_mut)
        .ok_or("the model has no [[population]]")?;
    let pop = pops
        .iter_mut()
        .filter_map(Value::as_table_mut)
        .find(|t| t.get("name").and_then(Value::as_str) == Some(p.target.as_str()))
        .ok_or(format!(
            "protocol.target: the model has no population `{}`",
            p.target
        ))?;
    let file = Value::String(csv.to_string_lossy().into_owned());
    if pop.get("model").and_then(Value::as_str) == Some("spike_source") {
        for k in ["rate", "start", "stop", "spike_times"] {
            pop.remove(k);
        }
        pop.insert("spike_times_file".into(), file);
        return Ok(());
    }
    let weight = p.weight.ok_or(format!(
        "protocol.weight: `{}` is not a spike_source, so its input needs a weight",
        p.target
    ))?;
    let mut st = Table::new();
    st.insert("type".into(), Value::String("spike_times".into()));
    st.insert("target".into(), Value::String(p.target.clone()));
    st.insert("file".into(), file);
    st.insert("weight".into(), Value::Float(weight));
    let var = match p.target_var {
        TargetVar::Syn => "I_syn",
        TargetVar::Vm => "V_m",
    };
    st.insert("target_var".into(), Value::String(var.into()));
    match table
        .entry("stimulus")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(a) => a.push(Value::Table(st)),
        _ => return Err("the model's `stimulus` is not an array of tables".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ProtocolSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn every_pattern_is_presented_trials_times_in_a_seeded_order() {
        let p = spec(
            "target = \"TC\"\npatterns = 3\ntrials = 4\nrate = 100.0\non = 20.0\nevery = 200.0\nresponse = 100.0\n",
        );
        p.check().unwrap();
        let s = schedule(&p, 1000.0, 7);
        assert_eq!(s.onsets.len(), 12);
        for k in 0..3 {
            assert_eq!(s.onsets.iter().filter(|o| o.1 == k).count(), 4);
        }
        assert_eq!(s.onsets[0].0, 1050.0);
        assert_eq!(s.end_ms, 1050.0 + 12.0 * 200.0);
        let again = schedule(&p, 1000.0, 7);
        assert_eq!(s.onsets, again.onsets);
        let other = schedule(&p, 1000.0, 8);
        assert_ne!(s.onsets, other.onsets);
    }

    #[test]
    fn trains_have_the_rate_and_stay_in_their_windows() {
        let p = spec(
            "target = \"TC\"\npatterns = 2\ntrials = 50\nrate = 200.0\non = 20.0\nevery = 100.0\nresponse = 40.0\n",
        );
        let s = schedule(&p, 0.0, 1);
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("in.csv");
        let ids = vec![(0..10).collect::<Vec<i64>>(), (10..20).collect()];
        let n = write_trains(&p, &s, &ids, 3, &csv).unwrap();
        // 100 presentations × 10 neurons × 200 Hz × 20 ms = 4000 expected.
        assert!((3700..4300).contains(&n), "{n} spikes");
        let text = std::fs::read_to_string(&csv).unwrap();
        for line in text.lines().skip(1) {
            let (id, t) = line.split_once(',').unwrap();
            let (id, t): (i64, f64) = (id.parse().unwrap(), t.parse().unwrap());
            let &(onset, k) = s.onsets.iter().rev().find(|o| o.0 <= t).unwrap();
            assert!(t < onset + 20.0, "{t} after its window");
            assert!(ids[k].contains(&id), "neuron {id} is not in pattern {k}");
        }
    }

    #[test]
    fn impossible_protocols_are_refused() {
        let base = "target = \"TC\"\ntrials = 4\nrate = 100.0\non = 20.0\nevery = 200.0\nresponse = 100.0\n";
        assert!(
            spec(base)
                .check()
                .unwrap_err()
                .contains("missing `patterns`")
        );
        assert!(
            spec(&format!("{base}patterns = 1\n"))
                .check()
                .unwrap_err()
                .contains("at least 2")
        );
        let long = base.replace("response = 100.0", "response = 190.0");
        assert!(
            spec(&format!("{long}patterns = 2\n"))
                .check()
                .unwrap_err()
                .contains("must hold")
        );
    }
}

//! Poisson drive: independent Poisson input per target neuron, generated lazily — or, for
//! neurons given one, a list of arrival times (a `spike_times` stimulus: input replayed from a
//! file, e.g. to give another simulator the same input).
//!
//! Each driven neuron owns one random stream (seeded from the run seed and the neuron's global
//! index, so it does not depend on shards or threads) and the time of its next arrival. The
//! superposition of several Poisson sources onto one neuron is a Poisson process with the summed
//! rate; each arrival picks its source with probability proportional to the source's rate.
//! Exact populations consume arrivals lazily (no queue entry per external event); grid
//! populations draw a Poisson count per source per step, as NEST and Brian2 do.

use crate::engine::state::{StateError, Table};
use crate::time::Time;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One Poisson source onto one neuron.
#[derive(Copy, Clone, Debug)]
pub struct Source {
    /// Rate in Hz.
    pub rate_hz: f64,
    /// Weight of each arrival (model units: mV for `lif_delta`, pA for `lif_exp`; mV when
    /// `to_v`).
    pub weight: f64,
    /// Each arrival is a jump of the membrane potential rather than synaptic input (the same
    /// thing for `lif_delta`).
    pub to_v: bool,
    /// The input port it arrives on (a compartment and receptor of a multi-compartment
    /// model; 0 otherwise).
    pub port: u8,
}

/// A random stream for model object `stream` of a run with seed `seed`.
pub fn stream_rng(seed: u64, stream: u64) -> Xoshiro256PlusPlus {
    // SplitMix-style mixing of the pair, then the generator's own seeding (SplitMix64).
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(z ^ (z >> 31))
}

/// Stream ids by kind of model object (high bits), combined with an object index.
pub mod streams {
    /// Poisson drive of neuron `i`: `POISSON | i`.
    pub const POISSON: u64 = 1 << 40;
    /// Initial-value draws of population parameters.
    pub const PARAMS: u64 = 2 << 40;
    /// Connectivity generation of projection `p`.
    pub const CONNECT: u64 = 3 << 40;
    /// A neuron's own stream (e.g. burst draws of `burst2c`): `NEURON | i`.
    pub const NEURON: u64 = 4 << 40;
    /// A block of a grid population's Poisson input: `BACKGROUND | kind << 32 | i` (kinds from
    /// 256 on have their higher bits from bit 43), `i` the global index of the block's first
    /// neuron ([`crate::neuron::background`]).
    pub const BACKGROUND: u64 = 5 << 40;
}

/// Lazily generated Poisson input for the neurons of one population.
#[derive(Clone)]
pub struct Drive {
    /// Per neuron: range into `sources`.
    start: Vec<u32>,
    sources: Vec<Source>,
    /// Per neuron: total rate in 1/ms (0 = not driven).
    total: Vec<f64>,
    /// Per neuron: next arrival (exact mode).
    next: Vec<Time>,
    rng: Vec<Xoshiro256PlusPlus>,
    /// For grid mode: the distinct count distributions per step, and per source the index of
    /// its own (sources share one table per rate: a table per source and neuron thrashed the
    /// cache, 190 ns per draw on Brunel's network).
    dists: Vec<Option<Counts>>,
    dist_of: Vec<u32>,
    /// Per neuron (empty when no neuron has one): listed arrivals, consumed in order.
    lists: Vec<Listed>,
    /// Grid mode: the end of the current step (arrivals up to it belong to it).
    step_end: Time,
    /// Grid mode with few arrivals per step: arrivals are drawn one by one (exponential
    /// intervals, as in exact mode) and summed per step, instead of a count per step.
    sparse: bool,
    /// The run's seed and the global index of neuron 0 of the population as built (for
    /// streams derived later, e.g. [`super::background::Background`]'s; only meaningful
    /// before a split, which keeps it).
    seed: u64,
    global0: u32,
}

/// Listed arrivals of one neuron.
#[derive(Clone, Debug, Default)]
pub struct Listed {
    /// Arrival times, ascending.
    pub times: Vec<Time>,
    /// Weight and target of each arrival.
    pub source: Option<Source>,
    /// Arrivals consumed.
    pos: usize,
}

impl Listed {
    /// Arrivals at `times` of weight `weight` (onto the membrane potential if `to_v`).
    pub fn new(mut times: Vec<Time>, weight: f64, to_v: bool) -> Listed {
        times.sort_unstable();
        Listed {
            times,
            source: Some(Source {
                rate_hz: 0.0,
                weight,
                to_v,
                port: 0,
            }),
            pos: 0,
        }
    }

    fn peek(&self) -> Time {
        self.times.get(self.pos).copied().unwrap_or(Time::NEVER)
    }
}

impl Drive {
    /// Builds the drive from each neuron's list of sources. `global0` is the global index of
    /// local neuron 0 (for the random streams).
    pub fn new(seed: u64, global0: u32, per_neuron: &[Vec<Source>]) -> Drive {
        let mut start = Vec::with_capacity(per_neuron.len() + 1);
        let mut sources = Vec::new();
        let mut total = Vec::with_capacity(per_neuron.len());
        start.push(0);
        for list in per_neuron {
            sources.extend(list.iter().copied().filter(|s| s.rate_hz > 0.0));
            start.push(sources.len() as u32);
            total.push(list.iter().map(|s| s.rate_hz.max(0.0)).sum::<f64>() / 1000.0);
        }
        let rng = (0..per_neuron.len())
            .map(|i| stream_rng(seed, streams::POISSON | (global0 as u64 + i as u64)))
            .collect();
        Drive {
            start,
            sources,
            total,
            next: vec![Time::NEVER; per_neuron.len()],
            rng,
            dists: Vec::new(),
            dist_of: Vec::new(),
            lists: Vec::new(),
            step_end: Time::ZERO,
            sparse: false,
            seed,
            global0,
        }
    }

    /// Adds listed arrivals, one [`Listed`] per neuron (`Listed::default()` for none). A neuron
    /// with listed arrivals has no Poisson sources.
    pub fn with_lists(mut self, lists: Vec<Listed>) -> Drive {
        assert_eq!(lists.len(), self.total.len(), "one list per neuron");
        self.lists = lists;
        self
    }

    #[inline]
    fn listed(&self, i: usize) -> Option<&Listed> {
        self.lists.get(i).filter(|l| l.source.is_some())
    }

    /// The drive of neurons `idx` (ascending local indices), with their streams as they are.
    pub fn subset(&self, idx: &[u32]) -> Drive {
        let mut start = Vec::with_capacity(idx.len() + 1);
        let mut sources = Vec::new();
        let mut dist_of = Vec::new();
        start.push(0);
        for &i in idx {
            let (a, b) = (
                self.start[i as usize] as usize,
                self.start[i as usize + 1] as usize,
            );
            sources.extend_from_slice(&self.sources[a..b]);
            if !self.dist_of.is_empty() {
                dist_of.extend_from_slice(&self.dist_of[a..b]);
            }
            start.push(sources.len() as u32);
        }
        Drive {
            start,
            sources,
            total: super::pick(&self.total, idx),
            next: super::pick(&self.next, idx),
            rng: super::pick(&self.rng, idx),
            dists: self.dists.clone(),
            dist_of,
            lists: if self.lists.is_empty() {
                Vec::new()
            } else {
                super::pick(&self.lists, idx)
            },
            step_end: self.step_end,
            sparse: self.sparse,
            seed: self.seed,
            // Streams are derived from the population as built, before any split.
            global0: self.global0,
        }
    }

    /// The run's seed and the global index of neuron 0 of the population as built.
    pub(super) fn seed_and_offset(&self) -> (u64, u32) {
        (self.seed, self.global0)
    }

    /// Neuron `i`'s Poisson sources (empty for a neuron with listed arrivals).
    pub(super) fn sources_of(&self, i: usize) -> &[Source] {
        if self.listed(i).is_some() {
            return &[];
        }
        &self.sources[self.start[i] as usize..self.start[i + 1] as usize]
    }

    /// Number of neurons.
    pub(super) fn len(&self) -> usize {
        self.total.len()
    }

    /// True if neuron `i` has listed arrivals.
    pub(super) fn has_list(&self, i: usize) -> bool {
        self.listed(i).is_some()
    }

    /// True if neuron `i` receives Poisson or listed input.
    #[inline]
    pub fn is_driven(&self, i: usize) -> bool {
        self.total[i] > 0.0 || self.listed(i).is_some()
    }

    /// The neurons with Poisson or listed input, ascending.
    pub fn driven(&self) -> Vec<u32> {
        (0..self.total.len() as u32)
            .filter(|&i| self.is_driven(i as usize))
            .collect()
    }

    /// Next arrival of neuron `i` (exact mode).
    #[inline]
    pub fn next(&self, i: usize) -> Time {
        self.next[i]
    }

    /// Draws the first arrival after `t` for every driven neuron (exact mode).
    pub fn start_exact(&mut self, t: Time) {
        for i in 0..self.total.len() {
            if let Some(l) = self.lists.get_mut(i).filter(|l| l.source.is_some()) {
                l.pos = l.times.partition_point(|&x| x < t);
                self.next[i] = l.peek();
            } else if self.is_driven(i) {
                self.next[i] = t;
                self.advance(i);
            }
        }
    }

    /// Takes neuron `i`'s pending arrival: returns its weight and whether it is a jump of the
    /// membrane potential, and draws the next one.
    pub fn take(&mut self, i: usize) -> (f64, bool) {
        let s = self.take_source(i);
        (s.weight, s.to_v)
    }

    /// Takes neuron `i`'s pending arrival, returning its source (weight, target variable,
    /// port), and draws the next one.
    #[inline]
    pub fn take_source(&mut self, i: usize) -> Source {
        if let Some(l) = self.lists.get_mut(i).filter(|l| l.source.is_some()) {
            let s = l.source.expect("filtered");
            l.pos += 1;
            self.next[i] = l.peek();
            return s;
        }
        let s = self.pick_source(i);
        self.advance(i);
        s
    }

    #[inline]
    fn pick_source(&mut self, i: usize) -> Source {
        let (a, b) = (self.start[i] as usize, self.start[i + 1] as usize);
        if b - a == 1 {
            return self.sources[a];
        }
        self.pick_among(i, a, b)
    }

    fn pick_among(&mut self, i: usize, a: usize, b: usize) -> Source {
        let mut u = self.rng[i].random::<f64>() * self.total[i] * 1000.0;
        for s in &self.sources[a..b] {
            if u < s.rate_hz {
                return *s;
            }
            u -= s.rate_hz;
        }
        self.sources[b - 1]
    }

    /// True if some arrival of some neuron jumps the membrane potential.
    pub fn has_jumps(&self) -> bool {
        self.sources.iter().any(|s| s.to_v)
    }

    #[inline]
    fn advance(&mut self, i: usize) {
        let gap: f64 = Exp1.sample(&mut self.rng[i]);
        // A rate of 0 gives an infinite interval: never.
        let dt = Time::from_ms_saturating(gap / self.total[i]);
        self.next[i] = self.next[i].saturating_add(dt);
    }

    /// Grid mode: the step ending at `t` begins (listed arrivals up to `t` belong to it).
    #[inline]
    pub fn begin_step(&mut self, t: Time) {
        self.step_end = t;
    }

    /// Grid mode: the listed arrivals of neuron `i` in the current step, `(synaptic, jump)`.
    #[inline]
    fn listed_step(&mut self, i: usize) -> Option<(f64, f64)> {
        let end = self.step_end;
        let l = self.lists.get_mut(i).filter(|l| l.source.is_some())?;
        let s = l.source.expect("filtered");
        let mut count = 0.0;
        while l.peek() <= end {
            l.pos += 1;
            count += 1.0;
        }
        let x = count * s.weight;
        Some(if s.to_v { (0.0, x) } else { (x, 0.0) })
    }

    /// Prepares grid mode with step `h_ms`, from time 0: when every neuron expects fewer than
    /// [`SPARSE_MEAN`] arrivals per step, arrivals are drawn one by one and summed per step
    /// (a comparison per neuron and step, a draw per arrival); else a count is drawn per
    /// source and step from a table of its distribution.
    pub fn start_grid(&mut self, h_ms: f64) {
        let most = self.total.iter().fold(0.0f64, |m, &r| m.max(r)) * h_ms;
        if most < SPARSE_MEAN {
            self.sparse = true;
            self.start_exact(Time::ZERO);
            return;
        }
        let mut rates: Vec<u64> = Vec::new();
        self.dist_of = self
            .sources
            .iter()
            .map(|s| {
                let bits = s.rate_hz.to_bits();
                let k = rates.iter().position(|&r| r == bits).unwrap_or_else(|| {
                    rates.push(bits);
                    rates.len() - 1
                });
                k as u32
            })
            .collect();
        self.dists = rates
            .iter()
            .map(|&r| Counts::new(f64::from_bits(r) / 1000.0 * h_ms))
            .collect();
    }

    /// Grid mode: the summed weight of neuron `i`'s arrivals during one step, synaptic input
    /// and jumps of the membrane potential apart.
    #[inline]
    pub fn step_inputs(&mut self, i: usize) -> (f64, f64) {
        // Most neurons have no arrival in most steps of a sparse drive: answer inline.
        if self.sparse && self.lists.is_empty() && self.next[i] > self.step_end {
            return (0.0, 0.0);
        }
        self.step_inputs_drawn(i)
    }

    /// [`Drive::step_inputs`] beyond its inline answer.
    fn step_inputs_drawn(&mut self, i: usize) -> (f64, f64) {
        if let Some(x) = self.listed_step(i) {
            return x;
        }
        let (mut syn, mut jump) = (0.0, 0.0);
        if self.sparse {
            while self.next[i] <= self.step_end {
                let s = self.take_source(i);
                if s.to_v {
                    jump += s.weight;
                } else {
                    syn += s.weight;
                }
            }
            return (syn, jump);
        }
        let (a, b) = (self.start[i] as usize, self.start[i + 1] as usize);
        for k in a..b {
            if let Some(p) = &self.dists[self.dist_of[k] as usize] {
                let x = p.sample(&mut self.rng[i]) * self.sources[k].weight;
                if self.sources[k].to_v {
                    jump += x;
                } else {
                    syn += x;
                }
            }
        }
        (syn, jump)
    }

    /// Grid mode: the summed weight of neuron `i`'s arrivals during one step.
    #[inline]
    pub fn step_input(&mut self, i: usize) -> f64 {
        let (syn, jump) = self.step_inputs(i);
        syn + jump
    }

    /// Writes the drive's state into a population's neuron table: per neuron its next
    /// arrival (`drive.next`), its stream (`drive.rng`) and, with listed arrivals, how many
    /// it consumed (`drive.pos`). The rest is set when the drive starts, or at every step.
    pub fn save(&self, neurons: &mut Table) {
        neurons.put_times("drive.next", self.next.iter().copied());
        neurons.put_rngs("drive.rng", self.rng.iter());
        if !self.lists.is_empty() {
            neurons.put(
                "drive.pos",
                1,
                self.lists.iter().map(|l| l.pos as u64).collect(),
            );
        }
    }

    /// Loads what [`Drive::save`] wrote into a drive that has started (exact or grid mode).
    pub fn load(&mut self, neurons: &Table) -> Result<(), StateError> {
        self.next = neurons.get_times("drive.next")?;
        self.rng = neurons.get_rngs("drive.rng")?;
        if !self.lists.is_empty() {
            let pos = neurons.get::<u64>("drive.pos", 1)?;
            for (l, &p) in self.lists.iter_mut().zip(pos) {
                if p as usize > l.times.len() {
                    return Err(StateError {
                        column: "drive.pos".into(),
                        message: format!("{p} arrivals consumed of a list of {}", l.times.len()),
                    });
                }
                l.pos = p as usize;
            }
        }
        Ok(())
    }
}

/// Poisson counts per step. Small means (the usual case: 20 kHz × 0.1 ms = 2) use inversion
/// over a precomputed CDF with one uniform draw (measured: the generic sampler spent ~20 ns per
/// neuron and step of Brunel's network); large means use `rand_distr`'s sampler.
#[derive(Clone)]
pub(super) enum Counts {
    /// CDF and a guide table: `guide[j]` is the smallest k with `cdf[k] > j / G`, so a draw
    /// starts its search there and almost never needs a step (the plain search's exit branch
    /// was mispredicted at every draw).
    Table {
        cdf: Vec<f64>,
        guide: Vec<u8>,
    },
    General(Poisson<f64>),
}

const GUIDE: usize = 256;

/// Grid mode draws arrivals one by one below this mean number per neuron and step.
pub const SPARSE_MEAN: f64 = 0.5;

impl Counts {
    pub(super) fn new(lambda: f64) -> Option<Counts> {
        if lambda.is_nan() || lambda <= 0.0 {
            return None;
        }
        if lambda > 30.0 {
            return Poisson::new(lambda).ok().map(Counts::General);
        }
        // CDF until the remaining mass is below 1e-16 (beyond it a draw cannot land).
        let mut cdf = Vec::new();
        let mut p = (-lambda).exp();
        let mut f = p;
        let mut k = 0.0;
        while 1.0 - f > 1e-16 && cdf.len() < 250 {
            cdf.push(f);
            k += 1.0;
            p *= lambda / k;
            f += p;
        }
        cdf.push(1.0);
        let guide = (0..GUIDE)
            .map(|j| {
                let u = j as f64 / GUIDE as f64;
                cdf.iter().position(|&f| f > u).unwrap_or(cdf.len() - 1) as u8
            })
            .collect();
        Some(Counts::Table { cdf, guide })
    }

    // Always inlined into the per-step draw: left to the compiler, it was not, depending on
    // how unrelated code fell into codegen units (Brunel 7 % slower).
    #[inline(always)]
    pub(super) fn sample<R: Rng + Clone>(&self, rng: &mut R) -> f64 {
        match self {
            Counts::Table { cdf, guide } => {
                let u: f64 = rng.random();
                let mut k = guide[(u * GUIDE as f64) as usize] as usize;
                while u >= cdf[k] && k + 1 < cdf.len() {
                    k += 1;
                }
                k as f64
            }
            // Through a copy: passed itself to this call (not inlined), the caller's stream
            // would live in memory, in the common case (the table) too; the copy leaves it
            // in registers there.
            Counts::General(p) => {
                let mut r = rng.clone();
                let x = p.sample(&mut r);
                *rng = r;
                x
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_counts_have_the_poisson_mean_and_variance() {
        let c = Counts::new(2.0).unwrap();
        let mut rng = stream_rng(1, 2);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| c.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: mean 2/sqrt(n) ≈ 0.0032; variance ≈ 0.0089.
        assert!((m - 2.0).abs() < 0.015, "mean {m}");
        assert!((v - 2.0).abs() < 0.05, "variance {v}");
        let p0 = xs.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        assert!((p0 - (-2.0f64).exp()).abs() < 0.004, "P(0) {p0}");
    }
}

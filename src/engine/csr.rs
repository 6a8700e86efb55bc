//! The compiled synapse store: a source-major CSR whose rows are cut into delay groups.
//!
//! Row `j` holds every synapse of neuron `j`, sorted by `(delay, target population, target)`.
//! A *delay group* is a maximal run of one delay and one target population; a spike of `j` at
//! `t` becomes one queue entry per distinct delay `d`, "deliver row `j`'s groups of delay `d` at
//! `t + d`", and delivering a group walks a contiguous slice of `targets` (local indices in the
//! population) and `weights`.
//!
//! Memory: 4 bytes per synapse (`u32` target), plus 4 (`f32` weight) in delay groups whose
//! weights differ; a group whose synapses share one weight (a projection with a constant
//! weight: B4, Brunel) stores it once. Plus 24 bytes per delay group and 4 per neuron. Weights
//! are stored as `f32` (7 significant digits); all arithmetic on them is f64.

use super::plastic::SynapseType;
use super::prefetch::prefetch;
use crate::ids::PopId;
use crate::time::Time;

/// Synapses in the engine's layout; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// Per source neuron `j`: its groups are `row_groups[j]..row_groups[j + 1]`.
    pub row_groups: Vec<u32>,
    /// Per group `g`: its synapses are `group_start[g]..group_start[g + 1]`.
    pub group_start: Vec<u32>,
    /// Per group: the delay.
    pub group_delay: Vec<Time>,
    /// Per group: the population of its targets.
    pub group_pop: Vec<PopId>,
    /// Per group: the input port of its targets (a compartment and receptor of a
    /// multi-compartment model; 0 for single-port models, whose weight's sign picks the
    /// receptor).
    pub group_port: Vec<u8>,
    /// Per group: its synapse type, an index into `types`.
    pub group_type: Vec<u16>,
    /// The synapse types: type 0 is the plain synapse (every spike, fixed weight); others
    /// filter spikes by class, are plastic or depress and facilitate.
    pub types: Vec<SynapseType>,
    /// Short-term plasticity models of the types (`SynapseType::stp` indexes it).
    pub stp: Vec<crate::plasticity::TmParams>,
    /// Per synapse: the target's index within its population.
    pub targets: Vec<u32>,
    /// Per group: its weight if all its synapses share it, else NaN (weights are finite).
    pub group_weight: Vec<f32>,
    /// Per group: its synapses' weights are `weights[group_wstart[g]..group_wstart[g + 1]]`
    /// (empty for a group with one weight).
    pub group_wstart: Vec<u32>,
    /// Per synapse of a group with differing weights: the weight (model units: mV for
    /// `lif_delta`, pA for `lif_exp`).
    pub weights: Vec<f32>,
}

/// The weights of a slice of synapses: one for all or one each.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Weights<'a> {
    /// Every synapse of the slice has this weight.
    Uniform(f32),
    /// `w[k]` is the weight of the slice's `k`-th synapse.
    Each(&'a [f32]),
}

impl<'a> Weights<'a> {
    /// The weight of the `k`-th synapse.
    #[inline]
    pub fn get(&self, k: usize) -> f32 {
        match self {
            Weights::Uniform(w) => *w,
            Weights::Each(s) => s[k],
        }
    }

    /// The weights from the `k`-th synapse on.
    #[inline]
    pub fn skip(self, k: usize) -> Weights<'a> {
        match self {
            Weights::Uniform(w) => Weights::Uniform(w),
            Weights::Each(s) => Weights::Each(&s[k..]),
        }
    }

    /// Calls `f(target, weight)` for the synapses of `targets` in order until it returns false;
    /// returns how many calls returned true. The variant is matched once, not per synapse.
    #[inline]
    pub fn apply(self, targets: &[u32], mut f: impl FnMut(u32, f32) -> bool) -> usize {
        match self {
            Weights::Uniform(w) => {
                for (k, &i) in targets.iter().enumerate() {
                    if !f(i, w) {
                        return k;
                    }
                }
            }
            Weights::Each(ws) => {
                for (k, (&i, &w)) in targets.iter().zip(ws).enumerate() {
                    if !f(i, w) {
                        return k;
                    }
                }
            }
        }
        targets.len()
    }
}

/// Synapse columns as generated or loaded, before compilation (global neuron indices).
#[derive(Clone, Debug, Default)]
pub struct SynapseColumns {
    /// Presynaptic neuron (global index).
    pub pre: Vec<u32>,
    /// Postsynaptic neuron (global index).
    pub post: Vec<u32>,
    /// Weight.
    pub weight: Vec<f32>,
    /// Delay in ticks.
    pub delay: Vec<Time>,
    /// Input port of the target (empty: all 0).
    pub port: Vec<u8>,
    /// Synapse type (empty: all 0, the plain synapse).
    pub stype: Vec<u16>,
}

impl SynapseColumns {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.pre.len()
    }
    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty()
    }
    /// Reserves room for `n` more synapses, exactly (a generator that knows its count avoids
    /// the doubling of growing vectors, which matters at 10⁸ synapses).
    pub fn reserve_exact(&mut self, n: usize) {
        self.pre.reserve_exact(n);
        self.post.reserve_exact(n);
        self.weight.reserve_exact(n);
        self.delay.reserve_exact(n);
    }

    /// Appends one synapse.
    pub fn push(&mut self, pre: u32, post: u32, weight: f32, delay: Time) {
        self.pre.push(pre);
        self.post.push(post);
        self.weight.push(weight);
        self.delay.push(delay);
        if !self.port.is_empty() {
            self.port.push(0);
            self.stype.push(0);
        }
    }

    /// Sets the port and type of synapses `first..` (those of one projection).
    pub fn set_kind_from(&mut self, first: usize, port: u8, stype: u16) {
        if port == 0 && stype == 0 && self.port.is_empty() {
            return;
        }
        if self.port.is_empty() {
            self.port = vec![0; self.pre.len()];
            self.stype = vec![0; self.pre.len()];
        }
        self.port[first..].fill(port);
        self.stype[first..].fill(stype);
    }

    /// Port and type of synapse `k`.
    #[inline]
    fn kind(&self, k: usize) -> (u8, u16) {
        if self.port.is_empty() {
            (0, 0)
        } else {
            (self.port[k], self.stype[k])
        }
    }

    /// Keeps the synapses whose presynaptic neuron passes `keep`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        let mut j = 0;
        for k in 0..self.pre.len() {
            if keep(self.pre[k]) {
                self.pre[j] = self.pre[k];
                self.post[j] = self.post[k];
                self.weight[j] = self.weight[k];
                self.delay[j] = self.delay[k];
                if !self.port.is_empty() {
                    self.port[j] = self.port[k];
                    self.stype[j] = self.stype[k];
                }
                j += 1;
            }
        }
        self.pre.truncate(j);
        self.post.truncate(j);
        self.weight.truncate(j);
        self.delay.truncate(j);
        if !self.port.is_empty() {
            self.port.truncate(j);
            self.stype.truncate(j);
        }
    }
}

impl Csr {
    /// Compiles synapse columns. `pop_of[n]` and `local_of[n]` locate neuron `n`.
    ///
    /// Synapses with equal `(pre, delay, population, post)` keep their input order, so the
    /// layout, and with it every sum, is a function of the input alone.
    pub fn compile(n: usize, pop_of: &[PopId], local_of: &[u32], syn: &SynapseColumns) -> Csr {
        Csr::compile_typed(
            n,
            pop_of,
            local_of,
            vec![syn.clone()],
            vec![SynapseType::default()],
        )
    }

    /// [`Csr::compile`] with synapse types: `syn.stype` indexes `types` (type 0 is the plain
    /// synapse). A row's groups are sorted by `(delay, population, port, type)`; the
    /// synapses of a plastic type keep one weight each, equal or not. The columns come in
    /// parts (one per projection), in order, and are freed as soon as their first reordered
    /// copy exists (at most two copies are held at once).
    pub fn compile_typed(
        n: usize,
        pop_of: &[PopId],
        local_of: &[u32],
        parts: Vec<SynapseColumns>,
        types: Vec<SynapseType>,
    ) -> Csr {
        let m: usize = parts.iter().map(SynapseColumns::len).sum();
        assert!(m < u32::MAX as usize, "more than 4 billion synapses");
        // Two stable counting sorts — by target, then by source — scatter the columns so that
        // rows come out ordered by (target, input order) in O(M) with streaming reads (the
        // random side is the writes). Populations are contiguous in target order, so only rows
        // that mix delays need a (stable) sort by delay. Sorting every row by comparison took
        // 3 s of Brunel's 4.9 s build; gathering through a permutation, 2 s.
        let by_post = scatter_by(n, &parts, false);
        drop(parts);
        let sorted = scatter_by(n, std::slice::from_ref(&by_post), true);
        drop(by_post);
        let mut row_ptr = vec![0u32; n + 1];
        for &p in &sorted.pre {
            row_ptr[p as usize + 1] += 1;
        }
        for j in 0..n {
            row_ptr[j + 1] += row_ptr[j];
        }
        let mut idx: Vec<u32> = Vec::new();
        let mut csr = Csr {
            row_groups: Vec::with_capacity(n + 1),
            group_start: Vec::new(),
            group_delay: Vec::new(),
            group_pop: Vec::new(),
            targets: Vec::with_capacity(m),
            group_weight: Vec::new(),
            group_wstart: Vec::new(),
            weights: Vec::new(),
            group_port: Vec::new(),
            group_type: Vec::new(),
            types,
            stp: Vec::new(),
        };
        for j in 0..n {
            csr.row_groups.push(csr.group_delay.len() as u32);
            let (a, b) = (row_ptr[j] as usize, row_ptr[j + 1] as usize);
            idx.clear();
            idx.extend(a as u32..b as u32);
            let typed = !sorted.port.is_empty() && (a..b).any(|k| sorted.kind(k) != sorted.kind(a));
            if typed {
                idx.sort_by_key(|&k| {
                    let k = k as usize;
                    let (port, stype) = sorted.kind(k);
                    (
                        sorted.delay[k],
                        pop_of[sorted.post[k] as usize],
                        port,
                        stype,
                    )
                });
            } else if sorted.delay[a..b].iter().any(|&d| d != sorted.delay[a]) {
                idx.sort_by_key(|&k| sorted.delay[k as usize]);
            }
            let mut last: Option<(Time, PopId, u8, u16)> = None;
            for &k in &idx {
                let k = k as usize;
                let post = sorted.post[k] as usize;
                let (port, stype) = sorted.kind(k);
                let key = (sorted.delay[k], pop_of[post], port, stype);
                if last != Some(key) {
                    csr.close_group();
                    csr.open_group(key.0, key.1, port, stype);
                    last = Some(key);
                }
                csr.targets.push(local_of[post]);
                csr.weights.push(sorted.weight[k]);
            }
        }
        csr.close_group();
        csr.row_groups.push(csr.group_delay.len() as u32);
        csr.group_start.push(csr.targets.len() as u32);
        csr.group_wstart.push(csr.weights.len() as u32);
        csr.weights.shrink_to_fit();
        csr
    }

    /// Opens a group at the end of the store.
    fn open_group(&mut self, delay: Time, pop: PopId, port: u8, stype: u16) {
        self.group_start.push(self.targets.len() as u32);
        self.group_wstart.push(self.weights.len() as u32);
        self.group_delay.push(delay);
        self.group_pop.push(pop);
        self.group_port.push(port);
        self.group_type.push(stype);
    }

    /// Ends the last group opened: if its weights are all equal (bit for bit) and its type is
    /// not plastic, keeps one.
    fn close_group(&mut self) {
        let Some(&ws) = self.group_wstart.last() else {
            return;
        };
        if self.group_weight.len() == self.group_wstart.len() {
            return; // closed already
        }
        let w = &self.weights[ws as usize..];
        let stype = *self.group_type.last().expect("an open group") as usize;
        let plastic = self.types.get(stype).is_some_and(|t| t.plastic.is_some());
        if !plastic && w.iter().all(|x| x.to_bits() == w[0].to_bits()) {
            self.group_weight.push(w[0]);
            self.weights.truncate(ws as usize);
        } else {
            self.group_weight.push(f32::NAN);
        }
    }

    /// Hints the cache to load neuron `j`'s row (targets, and weights where they differ); see
    /// [`super::prefetch`].
    #[inline]
    pub fn prefetch_row(&self, j: usize) {
        let (g0, g1) = (self.row_groups[j] as usize, self.row_groups[j + 1] as usize);
        prefetch(&self.targets[self.group_start[g0] as usize..self.group_start[g1] as usize]);
        prefetch(&self.weights[self.group_wstart[g0] as usize..self.group_wstart[g1] as usize]);
    }

    /// The targets and weights of group `g`.
    #[inline]
    pub fn group(&self, g: usize) -> (&[u32], Weights<'_>) {
        let targets = &self.targets[self.group_start[g] as usize..self.group_start[g + 1] as usize];
        let w = self.group_weight[g];
        let weights = if w.is_nan() {
            Weights::Each(
                &self.weights[self.group_wstart[g] as usize..self.group_wstart[g + 1] as usize],
            )
        } else {
            Weights::Uniform(w)
        };
        (targets, weights)
    }

    /// The targets of group `g` and its weights, mutable (a group of a plastic type, which
    /// stores one weight per synapse).
    #[inline]
    pub fn group_mut(&mut self, g: usize) -> (&[u32], &mut [f32]) {
        let targets = &self.targets[self.group_start[g] as usize..self.group_start[g + 1] as usize];
        let w = &mut self.weights[self.group_wstart[g] as usize..self.group_wstart[g + 1] as usize];
        debug_assert_eq!(targets.len(), w.len(), "a plastic group stores its weights");
        (targets, w)
    }

    /// Splits the store by the shard that owns each target (target-side storage): shard `s`
    /// gets every row, holding only the synapses onto its neurons, in their order here.
    /// `owner[g]` and `local[g]` give the shard of global neuron `g` and its index within the
    /// shard's part of its population; `offsets[p]` is population `p`'s first global index.
    pub fn split(&self, offsets: &[u32], owner: &[u16], local: &[u32], shards: usize) -> Vec<Csr> {
        let mut out: Vec<Csr> = (0..shards)
            .map(|_| Csr {
                row_groups: Vec::with_capacity(self.row_groups.len()),
                types: self.types.clone(),
                stp: self.stp.clone(),
                ..Csr::default()
            })
            .collect();
        for row in 0..self.row_groups.len().saturating_sub(1) {
            for csr in &mut out {
                csr.row_groups.push(csr.group_delay.len() as u32);
            }
            for g in self.row_groups[row] as usize..self.row_groups[row + 1] as usize {
                let base = offsets[self.group_pop[g].index()];
                let (targets, weights) = self.group(g);
                for (k, &t) in targets.iter().enumerate() {
                    let global = (base + t) as usize;
                    let csr = &mut out[owner[global] as usize];
                    // Open the group in this shard at its first synapse there (a row's groups
                    // differ in delay, population, port or type, so an equal last key is this
                    // group).
                    if csr.group_delay.len() as u32 == *csr.row_groups.last().expect("row open")
                        || csr.group_delay.last() != Some(&self.group_delay[g])
                        || csr.group_pop.last() != Some(&self.group_pop[g])
                        || csr.group_port.last() != Some(&self.group_port[g])
                        || csr.group_type.last() != Some(&self.group_type[g])
                    {
                        csr.close_group();
                        csr.open_group(
                            self.group_delay[g],
                            self.group_pop[g],
                            self.group_port[g],
                            self.group_type[g],
                        );
                    }
                    csr.targets.push(local[global]);
                    csr.weights.push(weights.get(k));
                }
            }
        }
        for csr in &mut out {
            csr.close_group();
            csr.row_groups.push(csr.group_delay.len() as u32);
            csr.group_start.push(csr.targets.len() as u32);
            csr.group_wstart.push(csr.weights.len() as u32);
            csr.weights.shrink_to_fit();
            csr.targets.shrink_to_fit();
        }
        out
    }

    /// Calls `f(source, target)` for every synapse, sources in order, with global neuron
    /// indices (`offsets[p]` is population `p`'s first global index).
    pub fn for_each_synapse(&self, offsets: &[u32], mut f: impl FnMut(usize, u32)) {
        for row in 0..self.row_groups.len().saturating_sub(1) {
            for g in self.row_groups[row] as usize..self.row_groups[row + 1] as usize {
                let base = offsets[self.group_pop[g].index()];
                for &t in self.group(g).0 {
                    f(row, base + t);
                }
            }
        }
    }

    /// Smallest and largest delay; 1 ms for both without synapses (the window of a network
    /// without any).
    pub fn delays_or_default(&self) -> (Time, Time) {
        let ms = Time::from_ms(1.0).expect("1 ms");
        self.delay_range().unwrap_or((ms, ms))
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.targets.len()
    }

    /// Bytes held by the synapse store.
    pub fn bytes(&self) -> usize {
        self.row_groups.len() * 4
            + self.group_start.len() * 4
            + self.group_delay.len() * 8
            + self.group_pop.len() * 2
            + self.group_port.len()
            + self.group_type.len() * 2
            + self.targets.len() * 4
            + self.group_weight.len() * 4
            + self.group_wstart.len() * 4
            + self.weights.len() * 4
    }

    /// Smallest and largest delay (`None` without synapses).
    pub fn delay_range(&self) -> Option<(Time, Time)> {
        let min = self.group_delay.iter().min()?;
        let max = self.group_delay.iter().max()?;
        Some((*min, *max))
    }
}

/// Calls `put(part, s, d)` for every synapse `s` of every part, in order, with its destination
/// `d`: the cursor of its key (`pre` or `post`) in `start`, which then advances.
fn walk(
    parts: &[SynapseColumns],
    by_pre: bool,
    start: &mut [u32],
    mut put: impl FnMut(&SynapseColumns, usize, usize),
) {
    for syn in parts {
        let key = if by_pre { &syn.pre } else { &syn.post };
        for (s, &k) in key.iter().enumerate() {
            let slot = &mut start[k as usize];
            put(syn, s, *slot as usize);
            *slot += 1;
        }
    }
}

/// The parts' columns, concatenated and stably sorted by source (`by_pre`) or target, by a
/// counting sort.
fn scatter_by(n: usize, parts: &[SynapseColumns], by_pre: bool) -> SynapseColumns {
    let m: usize = parts.iter().map(SynapseColumns::len).sum();
    let mut start = vec![0u32; n + 1];
    for syn in parts {
        let key = if by_pre { &syn.pre } else { &syn.post };
        for &k in key {
            start[k as usize + 1] += 1;
        }
    }
    for j in 0..n {
        start[j + 1] += start[j];
    }
    let typed = parts.iter().any(|p| !p.port.is_empty());
    let mut out = SynapseColumns {
        pre: vec![0; m],
        post: vec![0; m],
        weight: vec![0.0; m],
        delay: vec![Time::ZERO; m],
        port: if typed { vec![0; m] } else { Vec::new() },
        stype: if typed { vec![0; m] } else { Vec::new() },
    };
    // Two threads walk the keys, each with its own cursors, and write half of the columns
    // each: the same destinations, half the random writes per thread (a thread's cursors, 4
    // bytes per neuron, stay in cache).
    let SynapseColumns {
        pre,
        post,
        weight,
        delay,
        port,
        stype,
    } = &mut out;
    let mut second = start.clone();
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            walk(parts, by_pre, &mut second, |syn, s, d| {
                pre[d] = syn.pre[s];
                post[d] = syn.post[s];
            })
        });
        walk(parts, by_pre, &mut start, |syn, s, d| {
            weight[d] = syn.weight[s];
            delay[d] = syn.delay[s];
            if typed {
                let (p, t) = syn.kind(s);
                port[d] = p;
                stype[d] = t;
            }
        });
        crate::par::join(other);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_with_one_weight_store_it_once() {
        // Neuron 0 → 1, 2 (weight 0.5, delay 1) and → 2 (0.25, delay 2); neuron 1 → 0, 2
        // (0.5 and -1, delay 1). One population.
        let d1 = Time::from_ms(1.0).unwrap();
        let d2 = Time::from_ms(2.0).unwrap();
        let mut syn = SynapseColumns::default();
        syn.push(0, 1, 0.5, d1);
        syn.push(1, 2, -1.0, d1);
        syn.push(0, 2, 0.25, d2);
        syn.push(0, 2, 0.5, d1);
        syn.push(1, 0, 0.5, d1);
        let csr = Csr::compile(3, &[PopId(0); 3], &[0, 1, 2], &syn);
        assert_eq!(csr.n_synapses(), 5);
        assert_eq!(csr.group(0), (&[1u32, 2][..], Weights::Uniform(0.5)));
        assert_eq!(csr.group(1), (&[2u32][..], Weights::Uniform(0.25)));
        assert_eq!(csr.group(2), (&[0u32, 2][..], Weights::Each(&[0.5, -1.0])));
        assert_eq!(
            csr.weights.len(),
            2,
            "only the mixed group keeps its weights"
        );
        let w = csr.group(2).1;
        assert_eq!((w.get(1), w.skip(1).get(0)), (-1.0, -1.0));
    }
}

//! The compiled synapse store: a source-major CSR whose rows are cut into delay groups.
//!
//! Row `j` holds every synapse of neuron `j`, sorted by `(delay, target population, target)`.
//! A *delay group* is a maximal run of one delay and one target population; a spike of `j` at
//! `t` becomes one queue entry per group, "deliver group `g` at `t + d_g`", and delivering it
//! walks a contiguous slice of `targets` (local indices in the population) and `weights`.
//!
//! Memory: 8 bytes per synapse (`u32` target, `f32` weight) plus 16 bytes per delay group and 4
//! per neuron. Weights are stored as `f32` (7 significant digits); all arithmetic on them is f64.

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
    /// Per synapse: the target's index within its population.
    pub targets: Vec<u32>,
    /// Per synapse: the weight (model units: mV for `lif_delta`, pA for `lif_exp`).
    pub weights: Vec<f32>,
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
    /// Appends one synapse.
    pub fn push(&mut self, pre: u32, post: u32, weight: f32, delay: Time) {
        self.pre.push(pre);
        self.post.push(post);
        self.weight.push(weight);
        self.delay.push(delay);
    }
}

impl Csr {
    /// Compiles synapse columns. `pop_of[n]` and `local_of[n]` locate neuron `n`.
    ///
    /// Synapses with equal `(pre, delay, population, post)` keep their input order, so the
    /// layout, and with it every sum, is a function of the input alone.
    pub fn compile(n: usize, pop_of: &[PopId], local_of: &[u32], syn: &SynapseColumns) -> Csr {
        let m = syn.len();
        assert!(m < u32::MAX as usize, "more than 4 billion synapses");
        // Counting sort by source.
        let mut row_ptr = vec![0u32; n + 1];
        for &p in &syn.pre {
            row_ptr[p as usize + 1] += 1;
        }
        for j in 0..n {
            row_ptr[j + 1] += row_ptr[j];
        }
        let mut fill = row_ptr.clone();
        let mut order = vec![0u32; m];
        for (k, &p) in syn.pre.iter().enumerate() {
            let slot = &mut fill[p as usize];
            order[*slot as usize] = k as u32;
            *slot += 1;
        }
        let mut csr = Csr {
            row_groups: Vec::with_capacity(n + 1),
            group_start: Vec::new(),
            group_delay: Vec::new(),
            group_pop: Vec::new(),
            targets: Vec::with_capacity(m),
            weights: Vec::with_capacity(m),
        };
        for j in 0..n {
            csr.row_groups.push(csr.group_delay.len() as u32);
            let row = &mut order[row_ptr[j] as usize..row_ptr[j + 1] as usize];
            row.sort_by_key(|&k| {
                let post = syn.post[k as usize];
                (syn.delay[k as usize], pop_of[post as usize], post, k)
            });
            let mut last: Option<(Time, PopId)> = None;
            for &k in row.iter() {
                let k = k as usize;
                let post = syn.post[k] as usize;
                let key = (syn.delay[k], pop_of[post]);
                if last != Some(key) {
                    csr.group_start.push(csr.targets.len() as u32);
                    csr.group_delay.push(key.0);
                    csr.group_pop.push(key.1);
                    last = Some(key);
                }
                csr.targets.push(local_of[post]);
                csr.weights.push(syn.weight[k]);
            }
        }
        csr.row_groups.push(csr.group_delay.len() as u32);
        csr.group_start.push(csr.targets.len() as u32);
        csr
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
            + self.targets.len() * 4
            + self.weights.len() * 4
    }

    /// Smallest and largest delay (`None` without synapses).
    pub fn delay_range(&self) -> Option<(Time, Time)> {
        let min = self.group_delay.iter().min()?;
        let max = self.group_delay.iter().max()?;
        Some((*min, *max))
    }
}

//! Placement of neurons on shards.
//!
//! A shard owns its neurons' state and every synapse that ends on them, so its delivery work
//! is its neurons' in-synapses. [`Placement::Balanced`] (the default) deals the neurons of
//! each population out one by one, each to the shard with the least work so far: shards get
//! equal in-synapse counts and a share of every population, whatever the order of the ids
//! (connectome ids cluster by cell type, so cutting the id range into blocks is unbalanced).
//! A population that asks for it ([`crate::neuron::Population::contiguous`]: grid populations
//! with Poisson background, drawn per block of neighbouring neurons) is instead cut into S
//! contiguous ranges of equal in-synapse count, so that a shard draws only the blocks of its
//! own range. **Why:** dealt out one by one, every shard held a neuron of every block and drew
//! every block's arrivals; on `models/xor_bdsp.toml` with 2 threads that made the run 1.29×
//! slower than with contiguous ranges (`hebb bench`, 3 s simulated: 0.476 s against 0.370 s).
//! Inside a shard, each population's neurons keep their relative order.

/// How neurons are placed on shards.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Equal in-synapse counts (plus one per neuron), neurons dealt in order (the default).
    #[default]
    Balanced,
    /// Neuron `k` of each population to shard `k mod S`.
    RoundRobin,
    /// Each population cut into S contiguous blocks of (nearly) equal size.
    Blocks,
}

/// Which shard owns each neuron, and its index there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Number of shards.
    pub shards: usize,
    /// Per global neuron: its shard.
    pub owner: Vec<u16>,
    /// Per global neuron: its index within its shard's part of its population.
    pub local: Vec<u32>,
}

impl Partition {
    /// Places the neurons of populations of sizes `sizes` (global ids in population order) on
    /// `shards` shards. `in_degree[g]` is neuron `g`'s number of in-synapses.
    pub fn new(placement: Placement, sizes: &[u32], in_degree: &[u32], shards: usize) -> Partition {
        Partition::with_ranges(placement, sizes, in_degree, &[], shards)
    }

    /// As [`Partition::new`], with `contiguous[p]` true for the populations that a
    /// [`Placement::Balanced`] placement cuts into contiguous ranges of equal in-synapse count
    /// rather than deals out (missing entries are false).
    pub fn with_ranges(
        placement: Placement,
        sizes: &[u32],
        in_degree: &[u32],
        contiguous: &[bool],
        shards: usize,
    ) -> Partition {
        assert!(
            (1..=u16::MAX as usize).contains(&shards),
            "1 to 65535 shards"
        );
        let n: usize = sizes.iter().map(|&s| s as usize).sum();
        let mut owner = Vec::with_capacity(n);
        let mut load = vec![0u64; shards];
        let mut g = 0usize;
        for (p, &size) in sizes.iter().enumerate() {
            let range = size as usize;
            if placement == Placement::Balanced && contiguous.get(p).copied().unwrap_or(false) {
                // Neuron k goes to the shard whose share of the population's load holds the
                // middle of its own load.
                let loads = &in_degree[g..g + range];
                let total: u64 = loads.iter().map(|&d| u64::from(d) + 1).sum();
                let mut before = 0u64;
                for &d in loads {
                    let l = u64::from(d) + 1;
                    let mid = 2 * before + l;
                    let s = ((mid as u128 * shards as u128) / (2 * total as u128)) as usize;
                    let s = s.min(shards - 1);
                    load[s] += l;
                    owner.push(s as u16);
                    before += l;
                }
                g += range;
                continue;
            }
            for k in 0..range {
                let s = match placement {
                    Placement::RoundRobin => k % shards,
                    Placement::Blocks => k * shards / size as usize,
                    Placement::Balanced => {
                        // The least loaded shard, the first of equals.
                        let (s, _) = load
                            .iter()
                            .enumerate()
                            .min_by_key(|&(s, &l)| (l, s))
                            .expect("at least one shard");
                        load[s] += in_degree[g] as u64 + 1;
                        s
                    }
                };
                owner.push(s as u16);
                g += 1;
            }
        }
        Partition::from_owner(sizes, owner, shards)
    }

    /// A partition with the given owner of every neuron (e.g. all on one shard, for tests).
    pub fn from_owner(sizes: &[u32], owner: Vec<u16>, shards: usize) -> Partition {
        assert!(
            owner.iter().all(|&s| (s as usize) < shards),
            "owner out of range"
        );
        let mut local = Vec::with_capacity(owner.len());
        let mut g = 0usize;
        for &size in sizes {
            let mut next = vec![0u32; shards];
            for _ in 0..size {
                let s = owner[g] as usize;
                local.push(next[s]);
                next[s] += 1;
                g += 1;
            }
        }
        Partition {
            shards,
            owner,
            local,
        }
    }

    /// Per population, per shard: the population-local indices of the shard's neurons.
    pub fn parts(&self, sizes: &[u32]) -> Vec<Vec<Vec<u32>>> {
        let mut g = 0usize;
        sizes
            .iter()
            .map(|&size| {
                let mut parts = vec![Vec::new(); self.shards];
                for k in 0..size {
                    parts[self.owner[g] as usize].push(k);
                    g += 1;
                }
                parts
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_placement_evens_out_in_synapses() {
        // One population whose first tenth receives 100 synapses each, the rest 1: blocks
        // would give shard 0 most of the work.
        let n = 1000;
        let deg: Vec<u32> = (0..n).map(|g| if g < 100 { 100 } else { 1 }).collect();
        let part = Partition::new(Placement::Balanced, &[n], &deg, 4);
        let mut load = [0u64; 4];
        for g in 0..n as usize {
            load[part.owner[g] as usize] += deg[g] as u64 + 1;
        }
        let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
        assert!(max - min <= 101, "{load:?}");
        let blocks = Partition::new(Placement::Blocks, &[n], &deg, 4);
        assert!(blocks.owner[..250].iter().all(|&s| s == 0));
    }

    #[test]
    fn contiguous_populations_are_cut_into_ranges_of_equal_load() {
        // A dealt population, then a contiguous one whose first neurons receive more.
        let sizes = [10, 1000];
        let mut deg = vec![5u32; 10];
        deg.extend((0..1000).map(|k| if k < 200 { 40 } else { 10 }));
        let part = Partition::with_ranges(Placement::Balanced, &sizes, &deg, &[false, true], 3);
        let owners = &part.owner[10..];
        assert!(owners.windows(2).all(|w| w[0] <= w[1]), "ranges in order");
        let mut load = [0u64; 3];
        for (k, &s) in owners.iter().enumerate() {
            load[s as usize] += u64::from(deg[10 + k]) + 1;
        }
        let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
        assert!(max - min <= 41, "{load:?}");
        // The dealt population is dealt as before.
        let plain = Partition::new(Placement::Balanced, &sizes, &deg, 3);
        assert_eq!(part.owner[..10], plain.owner[..10]);
        // Other placements ignore the request.
        let blocks = Partition::with_ranges(Placement::RoundRobin, &sizes, &deg, &[true, true], 3);
        assert_eq!(
            blocks,
            Partition::new(Placement::RoundRobin, &sizes, &deg, 3)
        );
    }

    #[test]
    fn locals_are_dense_per_shard_and_population() {
        let sizes = [5, 3];
        let part = Partition::from_owner(&sizes, vec![1, 0, 1, 1, 0, 0, 0, 1], 2);
        assert_eq!(part.local, vec![0, 0, 1, 2, 1, 0, 1, 0]);
        assert_eq!(
            part.parts(&sizes),
            vec![vec![vec![1, 4], vec![0, 2, 3]], vec![vec![0, 1], vec![2]]]
        );
    }
}

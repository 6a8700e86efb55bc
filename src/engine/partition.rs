//! Placement of neurons on shards.
//!
//! A shard owns its neurons' state and every synapse that ends on them, so its delivery work
//! is its neurons' in-synapses. [`Placement::Balanced`] (the default) deals the neurons of
//! each population out one by one, each to the shard with the least work so far: shards get
//! equal in-synapse counts and a share of every population, whatever the order of the ids
//! (connectome ids cluster by cell type, so cutting the id range into blocks is unbalanced).
//! The populations that ask for it ([`crate::neuron::Population::contiguous`]: grid
//! populations with Poisson background, drawn per block of neighbouring neurons) are instead
//! taken one after the other as one sequence, which is cut into S contiguous ranges of equal
//! load (in-synapses plus [`RANGED_NEURON_LOAD`] per neuron); the other populations are then
//! dealt out. **Why ranges:** dealt out one by one, every shard held a neuron of every block
//! and drew every block's arrivals; on `models/xor_bdsp.toml` with 2 threads that made the run
//! 1.29× slower than with contiguous ranges (`hebb bench`, 3 s simulated: 0.476 s against
//! 0.370 s). **Why one sequence:** cut population by population, each shard held a part of
//! every population, so every step of every population was a call per shard with its fixed
//! cost and its remainder after the vector loop, and the blocks larger than a part were drawn
//! in full by every shard holding one of their neurons. On `models/xor_bdsp.toml` (five
//! populations of 500), 2 threads, `hebb bench --duration 10000 -t 2` (2026-12-02, padded
//! columns and the background's partial blocks drawn without a branch in both): each shard's
//! compute time 0.49–0.57 s with a cut in every population, 0.41–0.46 s with one cut in all
//! (3 and 2 runs). Inside a shard, each population's neurons keep their relative order.

/// The load of a neuron of a population cut into ranges, besides its in-synapses: its step
/// and its Poisson background, counted as this many in-synapses.
///
/// **Why so many:** such a neuron is stepped at every grid step and receives thousands of
/// background arrivals a second, which cost more than delivering its synapses' spikes. On
/// `models/xor_bdsp.toml` (in-degrees 0, 400 and 600) with 2 threads, per-shard compute time
/// (2026-12-02), pattern (1, 0) without plasticity (`hebb bench --duration 10000 -t 2`):
/// counted as 1 synapse, the shard with the input populations got 1,665 neurons and
/// 0.46–0.57 s against 0.29–0.33 s; as 1,000, 1,406 neurons and 0.43–0.48 s against
/// 0.38–0.47 s; as 6,000, 1,288 neurons and 0.42–0.44 s against 0.41–0.46 s; by neurons
/// alone (100,000), 0.44–0.45 s against 0.49–0.54 s. In the learning protocol (`hebb
/// experiment xor --epochs 4 -t 2 -vv`, every pattern, plasticity in the learning phases),
/// per epoch: as 5,000, 1.43–1.63 s against 1.55–1.78 s, 1.97 s per epoch on average; as
/// 2,000 (1,346 neurons), 1.32–1.70 s against 1.31–1.66 s, 1.85 s per epoch.
pub const RANGED_NEURON_LOAD: u64 = 2000;

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
    /// [`Placement::Balanced`] placement cuts, as one sequence, into contiguous ranges of
    /// equal load rather than deals out (missing entries are false); see the module docs.
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
        let mut owner = vec![0u16; n];
        let mut load = vec![0u64; shards];
        let starts: Vec<usize> = sizes
            .iter()
            .scan(0usize, |g, &s| {
                let at = *g;
                *g += s as usize;
                Some(at)
            })
            .collect();
        let is_range = |p: usize| {
            placement == Placement::Balanced && contiguous.get(p).copied().unwrap_or(false)
        };
        // The populations cut into ranges, one after the other as one sequence: neuron k of
        // it goes to the shard whose share of the sequence's load holds the middle of its
        // own load.
        let ranged: Vec<usize> = (0..sizes.len()).filter(|&p| is_range(p)).collect();
        let neuron_load = |g: usize| u64::from(in_degree[g]) + RANGED_NEURON_LOAD;
        let total: u64 = ranged
            .iter()
            .flat_map(|&p| starts[p]..starts[p] + sizes[p] as usize)
            .map(neuron_load)
            .sum();
        let mut before = 0u64;
        for &p in &ranged {
            let range = starts[p]..starts[p] + sizes[p] as usize;
            for (g, o) in range.clone().zip(&mut owner[range]) {
                let l = neuron_load(g);
                let mid = 2 * before + l;
                let s = ((mid as u128 * shards as u128) / (2 * total as u128)) as usize;
                let s = s.min(shards - 1);
                load[s] += l;
                *o = s as u16;
                before += l;
            }
        }
        for (p, &size) in sizes.iter().enumerate() {
            if is_range(p) {
                continue;
            }
            for (k, g) in (starts[p]..starts[p] + size as usize).enumerate() {
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
                owner[g] = s as u16;
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
        // A dealt population, then a contiguous one whose first neurons receive many more
        // synapses.
        let sizes = [10, 1000];
        let mut deg = vec![5u32; 10];
        deg.extend((0..1000).map(|k| if k < 200 { 40_000 } else { 10 }));
        let part = Partition::with_ranges(Placement::Balanced, &sizes, &deg, &[false, true], 3);
        let owners = &part.owner[10..];
        assert!(owners.windows(2).all(|w| w[0] <= w[1]), "ranges in order");
        let mut load = [0u64; 3];
        for (k, &s) in owners.iter().enumerate() {
            load[s as usize] += u64::from(deg[10 + k]) + RANGED_NEURON_LOAD;
        }
        let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
        assert!(max - min <= 40_000 + RANGED_NEURON_LOAD, "{load:?}");
        // By neurons alone, the first shard would have had 333 of them.
        let first = owners.iter().filter(|&&s| s == 0).count();
        assert!((50..200).contains(&first), "{first} neurons on shard 0");
        // The dealt population goes, neuron by neuron, to the least loaded shard so far.
        let least = (0..3).min_by_key(|&s| (load[s], s)).unwrap() as u16;
        assert_eq!(part.owner[0], least);
        // Other placements ignore the request.
        let blocks = Partition::with_ranges(Placement::RoundRobin, &sizes, &deg, &[true, true], 3);
        assert_eq!(
            blocks,
            Partition::new(Placement::RoundRobin, &sizes, &deg, 3)
        );
    }

    /// Contiguous populations form one sequence, cut where the load is halved: whole
    /// populations stay whole, and a dealt population between them is dealt after them.
    #[test]
    fn contiguous_populations_are_cut_as_one_sequence() {
        let sizes = [100, 7, 100, 100, 100];
        let deg = vec![0u32; 407];
        let ranged = [true, false, true, true, true];
        let part = Partition::with_ranges(Placement::Balanced, &sizes, &deg, &ranged, 2);
        let pops: Vec<&[u16]> = [0..100, 107..207, 207..307, 307..407]
            .map(|r| &part.owner[r])
            .into();
        assert!(pops[0].iter().chain(pops[1]).all(|&s| s == 0));
        assert!(pops[2].iter().chain(pops[3]).all(|&s| s == 1));
        // The dealt population is dealt over both shards.
        let dealt = &part.owner[100..107];
        assert!(dealt.contains(&0) && dealt.contains(&1), "{dealt:?}");
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

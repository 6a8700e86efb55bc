//! Poisson input of a grid population drawn per block of neurons and step.
//!
//! Every neuron of a grid population that a Poisson stimulus targets receives an independent
//! Poisson train per source. Binned into steps of `h`, a source's counts are independent
//! Poisson(r·h) per neuron and step. The same law is drawn here per *block* of neurons that
//! share a source (same rate, weight and port): per step one count K ~ Poisson(B·r·h) for the
//! block's B neurons, then K arrivals each placed on a neuron drawn uniformly from the block
//! (splitting a Poisson process uniformly gives independent Poisson processes of rate r).
//!
//! **Why** (measured on `models/xor_bdsp.toml`, 2500 neurons with 2000 Hz of background each,
//! 0.2 arrivals per neuron and step): per-neuron arrival times (an exponential gap and a source
//! pick per arrival, a comparison per neuron and step) were 39 % of a run's time; per block, a
//! step costs one count per block and one index per arrival.
//!
//! **Determinism.** Blocks are cut from the population as built: a source's neurons in
//! ascending order, in the fewest blocks of equal size that expect at most
//! [`ARRIVALS_PER_BLOCK`] arrivals per step, each block with its own stream ([`stream_id`]:
//! `streams::BACKGROUND | kind << 32 | g`, `g` the global index of its first neuron). A split
//! keeps every block that holds one of a part's neurons, whole, with its stream: each part
//! draws the same counts and indices and keeps the arrivals on its own neurons, so a neuron's
//! input does not depend on the number of shards. A neuron's arrivals are added in the order
//! of its sources (kinds), then of draws.
//!
//! **State.** A block's stream is its only state that changes while running (sources, counts
//! and members are rebuilt from the model). A checkpoint holds one shared row per block,
//! keyed by its stream id, which does not depend on the split: every part holding a block
//! draws from it at every step, so all their copies are equal.

use super::drive::{Counts, Drive, Source, stream_rng, streams};
use crate::engine::state::{StateError, Table};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The most arrivals a block expects per step: a source's neurons are cut into the fewest
/// blocks of equal size that keep below it (one count per block and step; below 30 a count
/// is drawn by table lookup).
const ARRIVALS_PER_BLOCK: f64 = 24.0;

/// The shared column of the blocks' streams.
const RNG: &str = "background.rng";

/// A member slot of a block whose neuron is in another part of a split population.
const ABSENT: u32 = u32::MAX;

/// One block: neurons sharing one source, with their stream.
#[derive(Clone)]
struct Block {
    /// Index into `Background::kinds`.
    kind: u32,
    /// Index into `Background::counts`.
    counts: u32,
    /// Range into `Background::members`.
    start: u32,
    len: u32,
    /// When this part's members of the block are one run of consecutive local indices at
    /// consecutive places `lo..hi` of the block (the usual case: a source on a whole
    /// population, or on a part's range of it), the member at place `lo`, else `ABSENT`.
    /// An arrival drawn at place `j` is then on neuron `first + (j − lo)` if `lo ≤ j < hi`,
    /// without reading `members`.
    first: u32,
    lo: u32,
    hi: u32,
    rng: Xoshiro256PlusPlus,
}

/// The Poisson input of one grid population, per block of neurons.
#[derive(Clone, Default)]
pub struct Background {
    /// The distinct sources (rate, weight, port), in order of first appearance.
    kinds: Vec<Source>,
    /// Count distributions per step, one per distinct block mean.
    counts: Vec<Counts>,
    blocks: Vec<Block>,
    /// Local neuron indices of every block (`ABSENT` for neurons of other parts).
    members: Vec<u32>,
    /// Per block its stream id, which names it in a checkpoint (apart from the blocks, which
    /// the step reads).
    keys: Vec<u64>,
    /// Per block its count in the step being drawn (reused).
    drawn: Vec<u32>,
    /// A block's arrivals in the step being drawn (reused).
    arrivals: Vec<u32>,
}

impl Background {
    /// The Poisson sources of `drive` (neurons with listed arrivals have none) as blocks, for
    /// steps of `h_ms`.
    pub fn new(drive: &Drive, h_ms: f64) -> Background {
        let (seed, global0) = drive.seed_and_offset();
        let mut kinds: Vec<Source> = Vec::new();
        let mut neurons: Vec<Vec<u32>> = Vec::new();
        for i in 0..drive.len() {
            for s in drive.sources_of(i) {
                let k = kinds.iter().position(|x| same(x, s)).unwrap_or_else(|| {
                    kinds.push(*s);
                    neurons.push(Vec::new());
                    kinds.len() - 1
                });
                // A neuron listing one source twice gets it twice.
                neurons[k].push(i as u32);
            }
        }
        let mut bg = Background {
            kinds,
            ..Background::default()
        };
        let mut means: Vec<u64> = Vec::new();
        for (k, list) in neurons.iter().enumerate() {
            let per = bg.kinds[k].rate_hz / 1000.0 * h_ms;
            let blocks = (per * list.len() as f64 / ARRIVALS_PER_BLOCK)
                .ceil()
                .clamp(1.0, list.len() as f64);
            let size = list.len().div_ceil(blocks as usize);
            for chunk in list.chunks(size) {
                let mean = per * chunk.len() as f64;
                let Some(c) = Counts::new(mean) else { continue };
                let m = means
                    .iter()
                    .position(|&b| b == mean.to_bits())
                    .unwrap_or_else(|| {
                        means.push(mean.to_bits());
                        bg.counts.push(c);
                        means.len() - 1
                    });
                let stream = stream_id(k as u64, global0 + chunk[0]);
                let (first, lo, hi) = run_of(chunk);
                bg.blocks.push(Block {
                    kind: k as u32,
                    counts: m as u32,
                    start: bg.members.len() as u32,
                    len: chunk.len() as u32,
                    first,
                    lo,
                    hi,
                    rng: stream_rng(seed, stream),
                });
                bg.keys.push(stream);
                bg.members.extend_from_slice(chunk);
            }
        }
        bg
    }

    /// True if no neuron has Poisson input.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The background of neurons `idx` (ascending local indices; neuron `idx[j]` becomes `j`):
    /// every block holding one of them, whole, with its stream as it is.
    pub fn subset(&self, idx: &[u32]) -> Background {
        let mut bg = Background {
            kinds: self.kinds.clone(),
            counts: self.counts.clone(),
            ..Background::default()
        };
        for (b, &key) in self.blocks.iter().zip(&self.keys) {
            let old = &self.members[b.start as usize..(b.start + b.len) as usize];
            let new: Vec<u32> = old
                .iter()
                .map(|&i| match idx.binary_search(&i) {
                    Ok(j) if i != ABSENT => j as u32,
                    _ => ABSENT,
                })
                .collect();
            if new.iter().all(|&j| j == ABSENT) {
                continue;
            }
            let (first, lo, hi) = run_of(&new);
            bg.blocks.push(Block {
                start: bg.members.len() as u32,
                first,
                lo,
                hi,
                ..b.clone()
            });
            bg.members.extend(new);
            bg.keys.push(key);
        }
        bg
    }

    /// Writes every block's stream as a row of `shared` keyed by the block's stream id (column
    /// `background.rng`); nothing without blocks.
    pub fn save(&self, shared: &mut Table) {
        if self.blocks.is_empty() {
            return;
        }
        let mut t = Table::keyed(self.keys.clone());
        t.put_rngs(RNG, self.blocks.iter().map(|b| &b.rng));
        *shared = t;
    }

    /// Loads every block's stream from the rows of `shared` (as [`Background::save`] wrote
    /// them, from any split) whose keys are the blocks' stream ids. Changes nothing on error.
    pub fn load(&mut self, shared: &Table) -> Result<(), StateError> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        let err = |message: String| StateError {
            column: RNG.into(),
            message,
        };
        let rngs = shared.get_rngs(RNG)?;
        if shared.keys.len() != shared.rows {
            return Err(err(format!(
                "{} keys for {} rows",
                shared.keys.len(),
                shared.rows
            )));
        }
        let mut row: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        for (r, &k) in shared.keys.iter().enumerate() {
            row.entry(k).or_insert(r);
        }
        let mut got = Vec::with_capacity(self.blocks.len());
        for &key in &self.keys {
            let &r = row.get(&key).ok_or_else(|| {
                err(format!(
                    "no row for the block of stream {key:#x} (a checkpoint of another model?)"
                ))
            })?;
            got.push(rngs[r].clone());
        }
        for (b, rng) in self.blocks.iter_mut().zip(got) {
            b.rng = rng;
        }
        Ok(())
    }

    /// Draws one step's arrivals, calling `add(neurons, source)` once per block with the
    /// block's arrivals on neurons of this part, in the order drawn (blocks in order; an
    /// empty list is not passed on).
    ///
    /// **Why per block:** the receiver finds the column of a block's source once, not at
    /// every arrival, and the draws run in a loop of their own with the stream in registers
    /// (a block's stream is copied into a local and written back: through the block, the
    /// compiler must assume that stores may change it, and kept its state in memory).
    /// **Why the counts first:** a block's count is the first draw of its stream in a step,
    /// and the streams are independent, so every block's count can be drawn before any
    /// arrival: the count draws (a chain of dependent operations each: draw, scale, guide
    /// table, distribution table) then overlap, where after each block's arrival loop, whose
    /// exit is mispredicted at almost every block, the next count started afresh.
    #[inline]
    pub fn step_blocks(&mut self, mut add: impl FnMut(&[u32], &Source)) {
        let Background {
            kinds,
            counts,
            blocks,
            members,
            drawn,
            arrivals,
            ..
        } = self;
        drawn.resize(blocks.len(), 0);
        let mut most = 0;
        for (b, n) in blocks.iter_mut().zip(drawn.iter_mut()) {
            let mut rng = b.rng.clone();
            *n = counts[b.counts as usize].sample(&mut rng) as u32;
            b.rng = rng;
            most = most.max(*n);
        }
        if arrivals.len() < most as usize {
            // Grown to the largest count; never cleared (no fill at every block).
            arrivals.resize(most as usize, 0);
        }
        for (b, &n) in blocks.iter_mut().zip(drawn.iter()) {
            let n = n as usize;
            if n == 0 {
                continue;
            }
            let mut rng = b.rng.clone();
            let members = &members[b.start as usize..(b.start + b.len) as usize];
            let kept = if members.len() == 1 {
                arrivals[..n].fill(members[0]);
                if members[0] == ABSENT { 0 } else { n }
            } else if b.first == ABSENT {
                let kept;
                (rng, kept) = draw_members(rng, members, &mut arrivals[..n]);
                kept
            } else if b.hi - b.lo == b.len {
                rng = draw_run(rng, b.first, b.len, &mut arrivals[..n]);
                n
            } else {
                let kept;
                (rng, kept) = draw_window(rng, b, &mut arrivals[..n]);
                kept
            };
            b.rng = rng;
            if kept > 0 {
                add(&arrivals[..kept], &kinds[b.kind as usize]);
            }
        }
    }

    /// [`Background::step_blocks`] one arrival at a time: `add(neuron, source)`.
    #[cfg(test)]
    pub fn step(&mut self, mut add: impl FnMut(u32, &Source)) {
        self.step_blocks(|idx, s| idx.iter().for_each(|&i| add(i, s)));
    }
}

/// Sets every element of `out` to `first` plus a uniform index in `0..len` ([`index`]),
/// drawn in order from `rng`, and returns the stream moved on.
///
/// **Why a function of its own:** its stream is a value no other code can reach, which the
/// compiler keeps in registers. In the block loop, the count's general sampler takes the
/// stream by reference, so it lived in memory, loaded and stored at every draw; drawn
/// through an iterator's `fold` (not inlined) as well, and the block's `first` and `len`
/// were reloaded at every draw, as the stores into `out` might have changed them.
#[inline(always)]
fn draw_run(
    mut rng: Xoshiro256PlusPlus,
    first: u32,
    len: u32,
    out: &mut [u32],
) -> Xoshiro256PlusPlus {
    for a in out {
        *a = first + index(&mut rng, len);
    }
    rng
}

/// Draws `out.len()` places in block `b` (which has a run: [`Block::first`]) and keeps those
/// of the run, as neurons, at the start of `out`; returns the stream moved on and the number
/// kept.
///
/// **Why without a branch:** a part holding half of a block keeps half of the places, in no
/// pattern; a branch per place was mispredicted every other time. Every place is written,
/// and the next write moves on only past one that is kept.
#[inline(always)]
fn draw_window(
    mut rng: Xoshiro256PlusPlus,
    b: &Block,
    out: &mut [u32],
) -> (Xoshiro256PlusPlus, usize) {
    let (first, lo, width, len) = (b.first, b.lo, b.hi - b.lo, b.len);
    let mut kept = 0;
    for _ in 0..out.len() {
        let d = index(&mut rng, len).wrapping_sub(lo);
        out[kept] = first.wrapping_add(d);
        kept += usize::from(d < width);
    }
    (rng, kept)
}

/// As [`draw_window`] for a block whose members in this part are no run: each drawn place's
/// member, kept unless `ABSENT`.
#[inline(always)]
fn draw_members(
    mut rng: Xoshiro256PlusPlus,
    members: &[u32],
    out: &mut [u32],
) -> (Xoshiro256PlusPlus, usize) {
    let len = members.len() as u32;
    let mut kept = 0;
    for _ in 0..out.len() {
        let i = members[index(&mut rng, len) as usize];
        out[kept] = i;
        kept += usize::from(i != ABSENT);
    }
    (rng, kept)
}

/// `(first, lo, hi)` if the members other than `ABSENT` are consecutive indices at the
/// consecutive places `lo..hi` (`first` the one at `lo`), else `(ABSENT, 0, 0)`.
fn run_of(members: &[u32]) -> (u32, u32, u32) {
    let Some(lo) = members.iter().position(|&m| m != ABSENT) else {
        return (ABSENT, 0, 0);
    };
    let first = members[lo];
    let run = members[lo..]
        .iter()
        .enumerate()
        .take_while(|&(j, &m)| m != ABSENT && u64::from(m) == u64::from(first) + j as u64)
        .count();
    let hi = lo + run;
    if members[hi..].iter().all(|&m| m == ABSENT) {
        (first, lo as u32, hi as u32)
    } else {
        (ABSENT, 0, 0)
    }
}

/// The stream id of the block of source kind `kind` whose first neuron has global index `g`:
/// `BACKGROUND | kind << 32 | g` for the first 256 kinds, the kind's higher bits above the
/// type bits of [`streams`] (bit 43 on), so that no two blocks of any number of kinds share
/// a stream and no block shares one with a stream of another type.
fn stream_id(kind: u64, g: u32) -> u64 {
    streams::BACKGROUND | (kind >> 8) << 43 | (kind & 0xFF) << 32 | u64::from(g)
}

/// A uniform index in `0..len` (`len ≥ 1`): the value `rng.random_range(0..len as usize)`
/// gives, from the same draws (rand's single-sample method for ranges that fit in 32 bits:
/// the high word of a 32-bit draw times `len`, corrected by a second draw in the rare case
/// that the low word is within `len` of overflowing), but inlined into the arrival loop.
/// **Why:** called once per Poisson arrival, the generic call was not inlined: 44
/// instructions an arrival, 14 % of `models/xor_bdsp.toml`'s run (callgrind).
#[inline(always)]
fn index(rng: &mut Xoshiro256PlusPlus, len: u32) -> u32 {
    let wide = |x: u32| u64::from(x) * u64::from(len);
    let m = wide(rng.next_u32());
    let (mut hi, lo) = ((m >> 32) as u32, m as u32);
    if lo > len.wrapping_neg() {
        let next_hi = (wide(rng.next_u32()) >> 32) as u32;
        hi += u32::from(lo.checked_add(next_hi).is_none());
    }
    hi
}

fn same(a: &Source, b: &Source) -> bool {
    a.rate_hz.to_bits() == b.rate_hz.to_bits()
        && a.weight.to_bits() == b.weight.to_bits()
        && a.to_v == b.to_v
        && a.port == b.port
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(rate_hz: f64, weight: f64, port: u8) -> Source {
        Source {
            rate_hz,
            weight,
            to_v: false,
            port,
        }
    }

    /// Blocks of many source kinds (a rate per neuron, say) all get streams of their own.
    #[test]
    fn stream_ids_are_distinct_for_any_number_of_kinds() {
        // Four neurons with 600 sources each: every kind's one block starts at neuron 70.
        let kinds: Vec<Source> = (0..600)
            .map(|k| source(10.0, 0.1 + f64::from(k), 0))
            .collect();
        let bg = Background::new(&Drive::new(3, 70, &vec![kinds; 4]), 0.1);
        assert_eq!((bg.kinds.len(), bg.blocks.len()), (600, 600));
        let mut keys = bg.keys.clone();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), bg.blocks.len(), "a stream per block");
        assert!(
            keys.iter()
                .all(|k| k >> 40 & 7 == streams::BACKGROUND >> 40)
        );
        // The first 256 kinds keep the ids they always had.
        assert_eq!(stream_id(255, 9), streams::BACKGROUND | 255 << 32 | 9);
    }

    #[test]
    fn a_run_of_members_is_found() {
        const NO: (u32, u32, u32) = (ABSENT, 0, 0);
        assert_eq!(run_of(&[4, 5, 6]), (4, 0, 3));
        assert_eq!(run_of(&[4]), (4, 0, 1));
        assert_eq!(run_of(&[4, 6]), NO);
        assert_eq!(run_of(&[4, ABSENT]), (4, 0, 1));
        assert_eq!(run_of(&[ABSENT, ABSENT, 0, 1, ABSENT]), (0, 2, 4));
        assert_eq!(run_of(&[ABSENT, 7]), (7, 1, 2));
        assert_eq!(run_of(&[0, ABSENT, 1]), NO);
        assert_eq!(run_of(&[ABSENT]), NO);
        assert_eq!(run_of(&[]), NO);
    }

    /// `index` draws what rand's `random_range` draws, including the second draw when the
    /// first one's low word is near overflow (lengths close to 2³² make it frequent).
    #[test]
    fn index_equals_random_range() {
        use rand::{RngExt, SeedableRng};
        let mut lens: Vec<u32> = (1..=600).collect();
        lens.extend([1 << 16, 999_983, u32::MAX / 3, u32::MAX - 1, u32::MAX]);
        for (s, &len) in lens.iter().enumerate() {
            let mut a = Xoshiro256PlusPlus::seed_from_u64(s as u64);
            let mut b = a.clone();
            for _ in 0..200 {
                let want = a.random_range(0..len as usize);
                assert_eq!(index(&mut b, len) as usize, want, "len {len}");
            }
            assert_eq!(a, b, "len {len}: the streams moved alike");
        }
    }

    /// A part that is a range of the population draws the whole's arrivals on its neurons:
    /// its inner blocks whole, the blocks at its edges by the window of places it holds; a
    /// part that is no range, through the member list.
    #[test]
    fn a_part_draws_the_arrivals_of_the_whole() {
        let n = 300;
        let per: Vec<Vec<Source>> = (0..n).map(|_| vec![source(5000.0, 0.1, 1)]).collect();
        let mut whole = Background::new(&Drive::new(4, 0, &per), 0.1);
        let range: Vec<u32> = (100..250).collect();
        let scattered: Vec<u32> = (0..n as u32).filter(|i| i % 3 != 1).collect();
        assert!(whole.blocks.len() > 3);
        assert!(whole.blocks.iter().all(|b| b.lo == 0 && b.hi == b.len));
        let mut parts = [range, scattered].map(|idx| (whole.subset(&idx), idx, 0u32));
        let b = &parts[0].0.blocks;
        assert!(b.iter().any(|b| b.lo == 0 && b.hi == b.len));
        assert!(b.iter().any(|b| b.first != ABSENT && b.hi - b.lo < b.len));
        assert!(parts[1].0.blocks.iter().all(|b| b.first == ABSENT));
        for _ in 0..2000 {
            let mut all = vec![0u32; n];
            whole.step(|i, _| all[i as usize] += 1);
            for (bg, idx, total) in &mut parts {
                let mut mine = vec![0u32; idx.len()];
                bg.step(|j, _| mine[j as usize] += 1);
                for (j, &i) in idx.iter().enumerate() {
                    assert_eq!(mine[j], all[i as usize], "neuron {i}");
                }
                *total += mine.iter().sum::<u32>();
            }
        }
        assert!(parts.iter().all(|p| p.2 > 100_000), "arrivals drawn");
    }

    /// Per-neuron counts over many steps: mean and variance r·h, independent of the
    /// neighbour, and the same arrivals for a neuron whichever part it is in.
    #[test]
    fn counts_per_neuron_are_poisson_and_do_not_depend_on_the_split() {
        let n = 300;
        let per: Vec<Vec<Source>> = (0..n)
            .map(|i| {
                let mut v = vec![source(500.0, 0.35, 0)];
                if i % 3 == 0 {
                    v.push(source(150.0, 0.5, 2));
                }
                v
            })
            .collect();
        let drive = Drive::new(9, 1000, &per);
        let mut whole = Background::new(&drive, 0.1);
        let odd: Vec<u32> = (0..n as u32).filter(|i| i % 2 == 1).collect();
        let mut part = whole.subset(&odd);
        let steps = 40_000;
        let mut counts = vec![[0u32; 2]; n];
        let (mut sum, mut sq) = (vec![0.0f64; n], vec![0.0f64; n]);
        let mut prod = 0.0f64;
        for _ in 0..steps {
            let mut this = vec![[0u32; 2]; n];
            whole.step(|i, s| this[i as usize][usize::from(s.port == 2)] += 1);
            let mut mine = vec![[0u32; 2]; odd.len()];
            part.step(|j, s| mine[j as usize][usize::from(s.port == 2)] += 1);
            for (j, &i) in odd.iter().enumerate() {
                assert_eq!(mine[j], this[i as usize], "neuron {i}");
            }
            for i in 0..n {
                let x = f64::from(this[i][0]);
                sum[i] += x;
                sq[i] += x * x;
                counts[i][0] += this[i][0];
                counts[i][1] += this[i][1];
            }
            prod += f64::from(this[0][0]) * f64::from(this[1][0]);
        }
        let s = f64::from(steps);
        let mean = sum.iter().sum::<f64>() / (s * n as f64);
        let var = (0..n)
            .map(|i| sq[i] / s - (sum[i] / s).powi(2))
            .sum::<f64>()
            / n as f64;
        // r·h = 0.05; standard error of the mean over 1.2e7 neuron-steps ≈ 6e-5.
        assert!((mean - 0.05).abs() < 5e-4, "mean {mean}");
        assert!((var - 0.05).abs() < 2e-3, "variance {var}");
        let cov = prod / s - (sum[0] / s) * (sum[1] / s);
        assert!(cov.abs() < 3e-3, "covariance of neighbours {cov}");
        let second: f64 = (0..n).step_by(3).map(|i| f64::from(counts[i][1])).sum();
        let expect = 0.015 * s * (n / 3) as f64;
        assert!(
            (second / expect - 1.0).abs() < 0.02,
            "150 Hz source: {second} vs {expect}"
        );
        for (i, c) in counts.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
            assert_eq!(c[1], 0, "neuron {i} has no second source");
        }
    }

    /// Streams saved from the whole after some steps and loaded into fresh parts (each with
    /// some neurons of every block) continue as the whole does; a missing block is refused.
    #[test]
    fn parts_loaded_from_the_whole_continue_as_it() {
        let n = 40;
        let per: Vec<Vec<Source>> = (0..n)
            .map(|i| {
                let mut v = vec![source(15000.0, 0.1, 0)];
                if i % 4 == 1 {
                    v.push(source(800.0, 0.2, 1));
                }
                v
            })
            .collect();
        let drive = Drive::new(4, 200, &per);
        let fresh = Background::new(&drive, 0.1);
        assert!(fresh.blocks.len() >= 3, "{} blocks", fresh.blocks.len());
        let mut whole = fresh.clone();
        for _ in 0..37 {
            whole.step(|_, _| {});
        }
        let mut shared = Table::default();
        whole.save(&mut shared);
        assert_eq!(shared.rows, whole.blocks.len());
        let parts: [Vec<u32>; 2] = [
            (0..n as u32).step_by(3).collect(),
            (1..n as u32).step_by(3).collect(),
        ];
        for idx in &parts {
            let mut part = fresh.subset(idx);
            part.load(&shared).expect("loads");
            let mut w = whole.clone();
            for _ in 0..200 {
                let mut want = Vec::new();
                w.step(|i, s| want.push((i, s.port)));
                let mut got = Vec::new();
                part.step(|j, s| got.push((idx[j as usize], s.port)));
                want.retain(|a| idx.contains(&a.0));
                assert_eq!(got, want);
            }
        }
        let mut short = shared.clone();
        let keep: Vec<u32> = (1..short.rows as u32).collect();
        short = short.pick(&keep);
        let mut part = fresh.subset(&parts[0]);
        let e = part.load(&short).expect_err("a block is missing");
        assert_eq!(e.column, "background.rng");
    }
}

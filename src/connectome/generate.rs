//! Synthetic connectomes and degree-preserving null models (`hebb generate`).
//!
//! **Random wiring** ([`synthetic`], [`flywire`]). Every neuron `i` draws an out-propensity
//! `a_i = exp(σ_out·z1)` and an in-propensity `b_i = exp(σ_in·(ρ·z1 + √(1−ρ²)·z2))` with
//! `z1, z2` independent standard normals: lognormal propensities, correlated (ρ) in a neuron
//! as a large neuron has both many inputs and many outputs. Connections are distinct
//! `(pre, post)` pairs drawn with probability ∝ `a_pre · b_post` (Walker alias tables) without
//! replacement: rounds draw as many pairs as are still missing, then duplicates and autapses
//! are dropped; when rounds stop paying off (a small, nearly complete graph), the rest is drawn
//! exactly by weighted sampling without replacement over every free pair (Efraimidis–Spirakis
//! keys). A neuron's expected degree is then proportional to its propensity (up to the cap
//! of one connection per pair), so degrees are a Poisson mixture of the lognormal: heavy
//! tailed, like the measured ones below.
//!
//! **Synapse counts.** `count = 1 + R(c·X)`, `X ~ LogNormal(0, σ_count)` per connection, `R`
//! stochastic rounding (`⌊y + u⌋`, `u` uniform), `c` chosen so that the expected total is the
//! requested number of synapses; the total is then made exact by ±1 steps on random
//! connections. Every count is ≥ 1.
//!
//! **Fitted shapes.** The default σ's and ρ are fitted to the complete larval brain
//! (`connectomes/larva_winding2023_brain.h5`: 3,591 neurons, 119,010 connections, every
//! connection with ≥ 1 synapse) by `examples/fit_connectome_stats.rs`: degrees by the
//! maximum-likelihood lognormal over neurons with degree ≥ 1 (mean and sd of ln d), ρ as the
//! correlation of ln in- with ln out-degree, the count shape by the smallest Kolmogorov
//! distance of the count model above. The adult mushroom body
//! (`connectomes/flywire_v783_mushroom_body_R.h5`) is an induced subgraph thresholded at ≥ 5
//! synapses, so its degrees (within 2,935 neurons) are not whole-brain degrees; its counts
//! were fitted with the model conditioned on count ≥ 5; both are listed for comparison. The totals default to FlyWire v783's scale (about 15 M connections and 50 M
//! synapses; Dorkenwald et al. 2024).
//!
//! **Rewiring** ([`rewire`]): Maslov–Sneppen double-edge swaps on directed connections,
//! `(a→b, c→d) → (a→d, c→b)`, rejected when they would create an autapse (unless allowed)
//! or a pair that exists. Autapses of the input may be swapped away (the larval brain's 577
//! all are at 10 swaps per connection); `--autapses` lets swaps create them too. A connection keeps its presynaptic neuron and everything stored
//! with it — synapse count, weight, delay and transmitter (the presynaptic neuron's) — and
//! only its postsynaptic neuron moves. So every neuron keeps its in- and out-degree exactly and
//! its total output synapses, while its total input synapses change. Pairs are kept in a hash
//! set of `u64` keys `pre << 32 | post` (std's table with [`super::IntHasher`]).
//!
//! Everything is deterministic per seed (one `Xoshiro256PlusPlus`, single-threaded) and
//! columnar: candidate pairs are `u64` keys sorted once and merged, never a map per edge. At
//! FlyWire scale (139,255 neurons, 15 M connections, 50 M synapses) generation takes about
//! 4 s and 330 MB at the peak, writing the file 6 s; rewiring with one swap per connection
//! 31 s (two hash-set look-ups and four updates per swap, each a cache miss at that size).

use super::{Annotation, Column, Connectome, Edges, IntHash, Provenance, TRANSMITTERS};
use crate::error::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// σ of the lognormal out-degree propensity. Measured: the sd of ln(out-degree) over the 3,381
/// larval neurons with an output is 0.970 (mean of ln d 3.195; median degree 27, 99th
/// percentile 117); in the mushroom body 0.879. (The sd of ln d also holds the Poisson noise of
/// a degree around its propensity, a few hundredths at these degrees.)
pub const OUT_DEGREE_SIGMA: f64 = 0.97;
/// σ of the lognormal in-degree propensity. Measured: the sd of ln(in-degree) over the 3,470
/// larval neurons with an input is 1.103 (mean of ln d 3.089; median 26, 99th percentile 125);
/// in the mushroom body 0.733.
pub const IN_DEGREE_SIGMA: f64 = 1.10;
/// Correlation of a neuron's ln in- and ln out-propensity. Measured: 0.664 over the 3,297 larval
/// neurons with both; 0.064 in the mushroom body (whose Kenyon cells have few partners inside
/// the subset either way).
pub const DEGREE_CORRELATION: f64 = 0.66;
/// σ of the lognormal in the synapse-count model `1 + R(c·LogNormal(0, σ))`. Fitted on the
/// larval counts (mean 3.160, 47.3 % single-synapse connections, median 2, 99th percentile 21,
/// max 121) with `c` set by the mean as in the generator: σ = 1.60 (c = 0.601), Kolmogorov
/// distance 0.064. The mushroom body's counts (≥ 5; mean 12.7) fit σ = 0.85 with c = 7.4
/// (distance 0.041): adult connections between these cell types are fewer and stronger.
pub const COUNT_SIGMA: f64 = 1.60;
/// Connections of the FlyWire-scale generator by default (FlyWire v783: about 15 M).
pub const FLYWIRE_CONNECTIONS: u64 = 15_000_000;
/// Synapses of the FlyWire-scale generator by default (FlyWire v783: about 50 M).
pub const FLYWIRE_SYNAPSES: u64 = 50_000_000;
/// Synapses per connection when no total is given (FlyWire's ratio, 50 M / 15 M).
pub const SYNAPSES_PER_CONNECTION: f64 = FLYWIRE_SYNAPSES as f64 / FLYWIRE_CONNECTIONS as f64;
/// Swaps per connection of [`rewire`] by default.
pub const SWAPS_PER_EDGE: f64 = 10.0;
/// The citation of the FlyWire v783 neuron table, for generated files built over it.
pub const FLYWIRE_CITATION: &str = "FlyWire v783 (Dorkenwald et al. 2024, Nature 634:124; \
     Schlegel et al. 2024, Nature 634:139; transmitters Eckstein et al. 2024, Cell 187:2574), \
     released under CC BY 4.0 on Zenodo (record 10676866)";

/// At most this many connections (the engine indexes synapses with 32 bits).
const MAX_CONNECTIONS: u64 = u32::MAX as u64;
/// Graphs with at most this many candidate pairs finish exactly when rounds stall.
const EXACT_PAIRS: u64 = 1 << 22;
/// Rounds of draws before giving up on a large graph.
const MAX_ROUNDS: usize = 64;

/// The shape of the random wiring: degree and synapse-count distributions.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Shape {
    /// σ of the lognormal out-degree propensity (dimensionless; 0 = equal propensities).
    pub out_degree_sigma: f64,
    /// σ of the lognormal in-degree propensity.
    pub in_degree_sigma: f64,
    /// Correlation of a neuron's ln in- and ln out-propensity, in [−1, 1].
    pub degree_correlation: f64,
    /// σ of the lognormal in the synapse-count model (0 = counts as equal as possible).
    pub count_sigma: f64,
    /// Allow connections from a neuron to itself.
    pub autapses: bool,
}

impl Default for Shape {
    /// The fitted shapes (see the module docs), no autapses.
    fn default() -> Shape {
        Shape {
            out_degree_sigma: OUT_DEGREE_SIGMA,
            in_degree_sigma: IN_DEGREE_SIGMA,
            degree_correlation: DEGREE_CORRELATION,
            count_sigma: COUNT_SIGMA,
            autapses: false,
        }
    }
}

impl Shape {
    fn check(&self) -> Result<()> {
        for (what, x) in [
            ("--out-degree-sigma", self.out_degree_sigma),
            ("--in-degree-sigma", self.in_degree_sigma),
            ("--count-sigma", self.count_sigma),
        ] {
            if !(0.0..=10.0).contains(&x) {
                return Err(invalid(
                    what,
                    format!("{x} is not a lognormal σ in 0..=10 (the fitted default is fine)"),
                ));
            }
        }
        let r = self.degree_correlation;
        if !(-1.0..=1.0).contains(&r) {
            return Err(invalid(
                "--degree-correlation",
                format!("{r} is not a correlation in −1..=1"),
            ));
        }
        Ok(())
    }

    /// The options as given on the command line.
    fn describe(&self) -> String {
        format!(
            "--out-degree-sigma {} --in-degree-sigma {} --degree-correlation {} \
             --count-sigma {}{}",
            self.out_degree_sigma,
            self.in_degree_sigma,
            self.degree_correlation,
            self.count_sigma,
            if self.autapses { " --autapses" } else { "" }
        )
    }
}

fn invalid(what: &str, message: String) -> Error {
    Error::Invalid {
        what: what.to_owned(),
        message,
    }
}

/// Parameters of [`synthetic`].
#[derive(Clone, Debug, PartialEq)]
pub struct Synthetic {
    /// Number of neurons (ids `0..neurons`).
    pub neurons: u32,
    /// Number of distinct connections.
    pub connections: u64,
    /// Total synapses (≥ `connections`); default `connections` × [`SYNAPSES_PER_CONNECTION`].
    pub synapses: Option<u64>,
    /// Degree and count distributions.
    pub shape: Shape,
    /// Seed of the random stream.
    pub seed: u64,
}

/// A random directed connectome: neuron ids `0..neurons`, heavy-tailed in- and out-degrees and
/// synapse counts (module docs), no duplicate pairs, no autapses unless allowed, no
/// transmitters. Deterministic per seed.
pub fn synthetic(p: &Synthetic) -> Result<Connectome> {
    let synapses = p.synapses.unwrap_or_else(|| {
        (p.connections as f64 * SYNAPSES_PER_CONNECTION)
            .round()
            .max(p.connections as f64) as u64
    });
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
    let w = wire(
        p.neurons as usize,
        p.connections,
        synapses,
        &p.shape,
        &mut rng,
    )?;
    Ok(Connectome {
        provenance: Provenance {
            name: "synthetic".into(),
            source: format!(
                "synthetic: hebb generate synthetic --neurons {} --connections {} --synapses \
                 {synapses} {} --seed {} (hebb {}); random connections, not measured data",
                p.neurons,
                p.connections,
                p.shape.describe(),
                p.seed,
                env!("CARGO_PKG_VERSION")
            ),
            license: "generated data: random connections with no third-party content".into(),
        },
        ids: (0..i64::from(p.neurons)).collect(),
        annotations: Vec::new(),
        edges: Edges {
            pre: w.pre,
            post: w.post,
            count: Some(w.count),
            weight: None,
            delay_ms: None,
            transmitter: None,
            transmitter_labels: Vec::new(),
        },
    })
}

/// Neurons to wire: ids and transmitter codes ([`TRANSMITTERS`]), from a table.
#[derive(Clone, Debug, Default)]
pub struct NeuronTable {
    /// External ids (unique), in the table's order.
    pub ids: Vec<i64>,
    /// Transmitter code per neuron (0 = unknown).
    pub transmitter: Vec<u8>,
    /// Where the table comes from: FlyWire's citation for a Codex table, else the
    /// connectome file's own provenance.
    pub provenance: Provenance,
}

/// The code in [`TRANSMITTERS`] of a transmitter label: full names (`acetylcholine`) or the
/// FlyWire Codex abbreviations (`ACH`, `GABA`, `GLUT`, `DA`, `SER`, `OCT`, `HIST`), any case;
/// empty means unknown (0).
pub fn transmitter_code(label: &str) -> Option<u8> {
    let l = label.trim().to_ascii_lowercase();
    let code = match l.as_str() {
        "" | "unknown" => 0,
        "ach" | "acetylcholine" => 1,
        "gaba" => 2,
        "glut" | "glutamate" => 3,
        "da" | "dopamine" => 4,
        "ser" | "serotonin" => 5,
        "oct" | "octopamine" => 6,
        "hist" | "histamine" => 7,
        "other" => 8,
        _ => return None,
    };
    Some(code)
}

/// Reads a neuron table: a FlyWire Codex `neurons.csv` (optionally `.gz`; columns `root_id`
/// and `nt_type`, streamed) or any hebb connectome `.h5` (its `/neurons/id` and, if present,
/// the per-neuron `nt` column). Errors name the file and the row.
pub fn read_neuron_table(path: &Path) -> Result<NeuronTable> {
    let name = path.to_string_lossy();
    if name.ends_with(".h5") || name.ends_with(".hdf5") {
        return read_h5_table(path);
    }
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let input: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    } else {
        Box::new(file)
    };
    let data = |message: String| Error::Data {
        path: path.to_owned(),
        message,
    };
    let mut csv = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_reader(input);
    let header = csv
        .byte_headers()
        .map_err(|e| data(format!("cannot read the header: {e}")))?
        .clone();
    let column = |want: &str| {
        header
            .iter()
            .position(|h| h == want.as_bytes())
            .ok_or_else(|| {
                data(format!(
                    "no column `{want}` in the header; a FlyWire Codex neuron table has \
                 root_id,group,nt_type,… (or give a connectome .h5)"
                ))
            })
    };
    let (id_col, nt_col) = (column("root_id")?, column("nt_type")?);
    let mut t = NeuronTable::default();
    let mut seen: HashSet<i64, IntHash> = HashSet::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(data(format!("unreadable CSV: {e}"))),
        }
        let line = record.position().map_or(0, |p| p.line());
        let field =
            |k: usize| std::str::from_utf8(record.get(k).unwrap_or(b"")).unwrap_or("\u{fffd}");
        let id: i64 = field(id_col).trim().parse().map_err(|_| {
            data(format!(
                "line {line}: root_id {:?} is not an integer",
                field(id_col)
            ))
        })?;
        if !seen.insert(id) {
            return Err(data(format!(
                "line {line}: root_id {id} appears twice; ids must be unique"
            )));
        }
        let nt = field(nt_col);
        let code = transmitter_code(nt).ok_or_else(|| {
            data(format!(
                "line {line}: nt_type {nt:?} is not a transmitter (expected ACH, GABA, GLUT, \
                 DA, SER, OCT, HIST or empty)"
            ))
        })?;
        t.ids.push(id);
        t.transmitter.push(code);
    }
    t.provenance = Provenance {
        name: "flywire_v783".into(),
        source: format!("neurons from {FLYWIRE_CITATION}"),
        license: "CC BY 4.0 (FlyWire v783, Zenodo record 10676866; some FlyWire pages state \
                  CC BY-NC 4.0 for the Codex exports)"
            .into(),
    };
    Ok(t)
}

fn read_h5_table(path: &Path) -> Result<NeuronTable> {
    let (ids, nt) = super::file::read_ids_and_column(path, "nt")?;
    let bad = |message: String| Error::Hdf5 {
        path: path.to_owned(),
        message,
    };
    let transmitter = match nt {
        None => vec![0; ids.len()],
        Some(Column::Codes { codes, labels }) if labels.is_empty() => codes
            .iter()
            .enumerate()
            .map(|(row, &c)| {
                u8::try_from(c)
                    .ok()
                    .filter(|&c| (c as usize) < TRANSMITTERS.len())
                    .ok_or_else(|| {
                        bad(format!(
                            "/neurons/nt row {row}: code {c} is not a transmitter code 0..=8 \
                             (see connectomes/SCHEMA.md)"
                        ))
                    })
            })
            .collect::<Result<_>>()?,
        Some(Column::Codes { codes, labels }) => {
            let map: Vec<Option<u8>> = labels.iter().map(|l| transmitter_code(l)).collect();
            codes
                .iter()
                .enumerate()
                .map(|(row, &c)| {
                    usize::try_from(c)
                        .ok()
                        .and_then(|k| map.get(k).copied().flatten())
                        .ok_or_else(|| {
                            bad(format!(
                                "/neurons/nt row {row}: code {c} has no known transmitter \
                                 label (labels {labels:?})"
                            ))
                        })
                })
                .collect::<Result<_>>()?
        }
        Some(Column::Text(x)) => x
            .iter()
            .enumerate()
            .map(|(row, l)| {
                transmitter_code(l).ok_or_else(|| {
                    bad(format!("/neurons/nt row {row}: {l:?} is not a transmitter"))
                })
            })
            .collect::<Result<_>>()?,
        Some(Column::Numbers(_)) => {
            return Err(bad(
                "/neurons/nt holds floats; transmitters are integer codes or labels".into(),
            ));
        }
    };
    let c = super::file::read_provenance(path)?;
    Ok(NeuronTable {
        ids,
        transmitter,
        provenance: c,
    })
}

/// Parameters of [`flywire`].
#[derive(Clone, Debug, PartialEq)]
pub struct Flywire {
    /// Number of distinct connections.
    pub connections: u64,
    /// Total synapses (≥ `connections`).
    pub synapses: u64,
    /// Degree and count distributions.
    pub shape: Shape,
    /// Seed of the random stream.
    pub seed: u64,
}

impl Default for Flywire {
    fn default() -> Flywire {
        Flywire {
            connections: FLYWIRE_CONNECTIONS,
            synapses: FLYWIRE_SYNAPSES,
            shape: Shape::default(),
            seed: 0,
        }
    }
}

/// A FlyWire-scale random connectome over real neurons: the table's ids and transmitters
/// (annotation `nt`), random connections as in [`synthetic`], each carrying its presynaptic
/// neuron's transmitter. `table_name` is how the table is named in the provenance.
pub fn flywire(table: &NeuronTable, table_name: &str, p: &Flywire) -> Result<Connectome> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
    let w = wire(
        table.ids.len(),
        p.connections,
        p.synapses,
        &p.shape,
        &mut rng,
    )?;
    let transmitter = w
        .pre
        .iter()
        .map(|&i| table.transmitter[i as usize])
        .collect();
    let labels: Vec<String> = TRANSMITTERS.iter().map(|s| s.to_string()).collect();
    let tp = &table.provenance;
    Ok(Connectome {
        provenance: Provenance {
            name: format!("{}_synthetic", tp.name),
            source: format!(
                "synthetic: hebb generate flywire --neuron-table {table_name} --connections {} \
                 --synapses {} {} --seed {} (hebb {}); random connections, not measured data, \
                 over the real neuron ids and transmitters of the table; {}",
                p.connections,
                p.synapses,
                p.shape.describe(),
                p.seed,
                env!("CARGO_PKG_VERSION"),
                tp.source
            ),
            license: format!(
                "generated data (random connections); neuron ids and transmitters from the \
                 table: {}",
                if tp.license.is_empty() {
                    "licence not stated"
                } else {
                    &tp.license
                }
            ),
        },
        ids: table.ids.clone(),
        annotations: vec![Annotation {
            name: "nt".into(),
            column: Column::Codes {
                codes: table.transmitter.iter().map(|&t| i64::from(t)).collect(),
                labels: labels.clone(),
            },
        }],
        edges: Edges {
            pre: w.pre,
            post: w.post,
            count: Some(w.count),
            weight: None,
            delay_ms: None,
            transmitter: Some(transmitter),
            transmitter_labels: labels,
        },
    })
}

/// Random connections: `(pre, post)` sorted, and synapse counts.
struct Wiring {
    pre: Vec<u32>,
    post: Vec<u32>,
    count: Vec<u32>,
}

fn wire(
    n: usize,
    m: u64,
    synapses: u64,
    shape: &Shape,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Wiring> {
    shape.check()?;
    if n >= u32::MAX as usize {
        return Err(invalid(
            "--neurons",
            format!("{n} neurons; at most 2^32 − 2"),
        ));
    }
    let pairs = n as u64 * (n as u64 - u64::from(!shape.autapses && n > 0));
    if m > pairs {
        return Err(invalid(
            "--connections",
            format!(
                "{m} connections, but {n} neurons have only {pairs} distinct (pre, post) pairs{}; \
                 lower --connections{}",
                if shape.autapses {
                    ""
                } else {
                    " without autapses"
                },
                if shape.autapses {
                    ""
                } else {
                    " or pass --autapses"
                }
            ),
        ));
    }
    if m > MAX_CONNECTIONS {
        return Err(invalid(
            "--connections",
            format!("{m} connections; at most {MAX_CONNECTIONS}"),
        ));
    }
    if synapses < m || synapses / u64::from(u32::MAX) > m {
        return Err(invalid(
            "--synapses",
            format!(
                "{synapses} synapses for {m} connections; every connection has at least 1 \
                 synapse (and at most 2^32 − 1): give --synapses ≥ --connections"
            ),
        ));
    }
    let (a, b) = propensities(n, shape, rng);
    let keys = draw_pairs(n, m as usize, &a, &b, shape.autapses, rng)?;
    drop((a, b));
    let (pre, post) = keys.iter().map(|&k| ((k >> 32) as u32, k as u32)).unzip();
    drop(keys);
    let count = counts(m as usize, synapses, shape.count_sigma, rng);
    Ok(Wiring { pre, post, count })
}

/// Out- and in-propensities (module docs).
fn propensities(n: usize, s: &Shape, rng: &mut Xoshiro256PlusPlus) -> (Vec<f64>, Vec<f64>) {
    let rho = s.degree_correlation;
    let rest = (1.0 - rho * rho).max(0.0).sqrt();
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let z1: f64 = StandardNormal.sample(rng);
        let z2: f64 = StandardNormal.sample(rng);
        a.push((s.out_degree_sigma * z1).exp());
        b.push((s.in_degree_sigma * (rho * z1 + rest * z2)).exp());
    }
    (a, b)
}

/// Walker's alias table: draws index `i` with probability `w_i / Σw` in O(1), from one 64-bit
/// random number (high half: the slot, low half: the coin). A slot packs its threshold and
/// alias in 8 bytes, so a draw touches one cache line: at FlyWire's 139 k neurons the table
/// (1.1 MB) stays in L2, and separate `f64`/`u32` columns made drawing 30 M endpoints about
/// twice as slow.
struct Alias {
    /// Per slot: `threshold << 32 | alias`; keep the slot when the coin is below threshold.
    slots: Vec<u64>,
}

impl Alias {
    fn new(w: &[f64]) -> Alias {
        let n = w.len();
        let total: f64 = w.iter().sum();
        let mut prob: Vec<f64> = w.iter().map(|&x| x * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| prob[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            prob[l as usize] -= 1.0 - prob[s as usize];
            if prob[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers (rounding) keep their slot.
        for i in small.into_iter().chain(large) {
            prob[i as usize] = 1.0;
        }
        let scale = (1u64 << 32) as f64;
        let slots = (0..n)
            .map(|i| {
                let t = (prob[i] * scale).min(u32::MAX as f64) as u64;
                t << 32 | u64::from(alias[i])
            })
            .collect();
        Alias { slots }
    }

    #[inline]
    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> u32 {
        let r: u64 = rng.random();
        let i = ((r >> 32) * self.slots.len() as u64) >> 32;
        let slot = self.slots[i as usize];
        // A full slot (threshold u32::MAX) may lose the coin once in 2^32 draws: its alias
        // is itself.
        if (r as u32) < (slot >> 32) as u32 {
            i as u32
        } else {
            slot as u32
        }
    }
}

/// `m` distinct pair keys `pre << 32 | post`, sorted, drawn ∝ `a_pre · b_post` without
/// replacement (module docs).
fn draw_pairs(
    n: usize,
    m: usize,
    a: &[f64],
    b: &[f64],
    autapses: bool,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Vec<u64>> {
    let mut keys: Vec<u64> = Vec::new();
    if m == 0 {
        return Ok(keys);
    }
    let (out, inn) = (Alias::new(a), Alias::new(b));
    let mut batch: Vec<u64> = Vec::new();
    for _round in 0..MAX_ROUNDS {
        let need = m - keys.len();
        if need == 0 {
            return Ok(keys);
        }
        batch.clear();
        batch.reserve(need);
        for _ in 0..need {
            let (i, j) = (out.sample(rng), inn.sample(rng));
            if autapses || i != j {
                batch.push(u64::from(i) << 32 | u64::from(j));
            }
        }
        batch.sort_unstable();
        batch.dedup();
        let added = merge_new(&mut keys, &mut batch);
        // A round that places under an eighth of what it drew: the free pairs carry little of
        // the weight (a nearly complete graph). Small graphs finish exactly.
        if added * 8 < need && (n as u64 * n as u64) <= EXACT_PAIRS {
            finish_exactly(n, m, a, b, autapses, &mut keys, rng);
            return Ok(keys);
        }
    }
    if keys.len() == m {
        return Ok(keys);
    }
    Err(invalid(
        "--connections",
        format!(
            "placed {} of {m} distinct connections after {MAX_ROUNDS} rounds of draws: the degree \
             distributions concentrate the connections on too few pairs; lower \
             --out-degree-sigma/--in-degree-sigma or --connections",
            keys.len()
        ),
    ))
}

/// Adds to the sorted, distinct `keys` the entries of the sorted, distinct `batch` that it
/// lacks (in place, merging from the back); returns how many.
fn merge_new(keys: &mut Vec<u64>, batch: &mut Vec<u64>) -> usize {
    if keys.is_empty() {
        std::mem::swap(keys, batch);
        return keys.len();
    }
    let mut i = 0;
    batch.retain(|&k| {
        while i < keys.len() && keys[i] < k {
            i += 1;
        }
        i == keys.len() || keys[i] != k
    });
    let (old, new) = (keys.len(), batch.len());
    keys.resize(old + new, 0);
    let (mut x, mut y, mut out) = (old, new, old + new);
    while y > 0 {
        if x > 0 && keys[x - 1] > batch[y - 1] {
            keys[out - 1] = keys[x - 1];
            x -= 1;
        } else {
            keys[out - 1] = batch[y - 1];
            y -= 1;
        }
        out -= 1;
    }
    new
}

/// Completes `keys` to `m` pairs by weighted sampling without replacement over every free pair
/// (Efraimidis–Spirakis: the largest `ln(u) / w`).
fn finish_exactly(
    n: usize,
    m: usize,
    a: &[f64],
    b: &[f64],
    autapses: bool,
    keys: &mut Vec<u64>,
    rng: &mut Xoshiro256PlusPlus,
) {
    let need = m - keys.len();
    if need == 0 {
        return;
    }
    let mut free: Vec<(f64, u64)> = Vec::new();
    let mut taken = keys.iter().peekable();
    for i in 0..n as u64 {
        for j in 0..n as u64 {
            let k = i << 32 | j;
            if taken.next_if(|&&t| t == k).is_some() || (!autapses && i == j) {
                continue;
            }
            let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
            let w = a[i as usize] * b[j as usize];
            let score = if w > 0.0 {
                u.ln() / w
            } else {
                f64::NEG_INFINITY
            };
            free.push((score, k));
        }
    }
    free.select_nth_unstable_by(need - 1, |x, y| y.0.total_cmp(&x.0));
    keys.extend(free[..need].iter().map(|p| p.1));
    keys.sort_unstable();
}

/// Synapse counts `1 + R(c·X)` with total exactly `synapses` (module docs).
fn counts(m: usize, synapses: u64, sigma: f64, rng: &mut Xoshiro256PlusPlus) -> Vec<u32> {
    if m == 0 {
        return Vec::new();
    }
    // X is drawn twice from one stream (sum, then counts) instead of stored: 8 B per
    // connection less at the peak.
    let xs = Xoshiro256PlusPlus::seed_from_u64(rng.random());
    let draw_x = |r: &mut Xoshiro256PlusPlus| {
        let z: f64 = StandardNormal.sample(r);
        (sigma * z).exp()
    };
    let mut r = xs.clone();
    let sum: f64 = (0..m).map(|_| draw_x(&mut r)).sum();
    let extra = (synapses - m as u64) as f64;
    let c = if sum > 0.0 { extra / sum } else { 0.0 };
    let mut r = xs;
    let top = f64::from(u32::MAX - 1);
    let mut count: Vec<u32> = (0..m)
        .map(|_| {
            let y = c * draw_x(&mut r) + rng.random::<f64>();
            1 + y.floor().min(top) as u32
        })
        .collect();
    let mut total: u64 = count.iter().map(|&x| u64::from(x)).sum();
    while total < synapses {
        let k = rng.random_range(0..m);
        if count[k] < u32::MAX {
            count[k] += 1;
            total += 1;
        }
    }
    if total > synapses {
        let mut above: Vec<usize> = (0..m).filter(|&k| count[k] > 1).collect();
        while total > synapses {
            // Σ count > synapses ≥ m, so some count is above 1.
            let pick = rng.random_range(0..above.len());
            let k = above[pick];
            count[k] -= 1;
            total -= 1;
            if count[k] == 1 {
                above.swap_remove(pick);
            }
        }
    }
    count
}

/// Parameters of [`rewire`].
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Rewire {
    /// Successful swaps per connection (each swap moves two connections).
    pub swaps_per_edge: f64,
    /// Seed of the random stream.
    pub seed: u64,
    /// Allow swaps that create autapses.
    pub autapses: bool,
}

impl Default for Rewire {
    fn default() -> Rewire {
        Rewire {
            swaps_per_edge: SWAPS_PER_EDGE,
            seed: 0,
            autapses: false,
        }
    }
}

/// What [`rewire`] did.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct RewireStats {
    /// Swaps asked for (`swaps_per_edge × connections`).
    pub target: u64,
    /// Swaps done.
    pub swaps: u64,
    /// Swaps tried (rejected ones: same neuron, autapse, existing pair).
    pub attempts: u64,
    /// Connections of the result whose `(pre, post)` pair is not in the input.
    pub changed: u64,
}

/// A degree-preserving null model of `c` (module docs): Maslov–Sneppen swaps until
/// `swaps_per_edge × connections` succeeded or 20 times as many (at least 10,000) were tried.
/// The result keeps the neurons and annotations, its connections are sorted by
/// `(pre, post)`, and its provenance says it is a null model.
pub fn rewire(c: &Connectome, p: &Rewire) -> Result<(Connectome, RewireStats)> {
    if !(p.swaps_per_edge.is_finite() && p.swaps_per_edge >= 0.0) {
        return Err(invalid(
            "--swaps-per-edge",
            format!("{} is not a number of swaps ≥ 0", p.swaps_per_edge),
        ));
    }
    let e = &c.edges;
    let m = e.len();
    let key = |a: u32, b: u32| u64::from(a) << 32 | u64::from(b);
    let mut set: HashSet<u64, IntHash> = HashSet::with_capacity_and_hasher(m, IntHash::default());
    for (row, (&a, &b)) in e.pre.iter().zip(&e.post).enumerate() {
        if !set.insert(key(a, b)) {
            return Err(invalid(
                &format!("connectome {}", c.provenance.name),
                format!(
                    "connection row {row} ({} → {}) repeats an earlier row; degree-preserving \
                     rewiring needs distinct (pre, post) pairs: merge repeated rows (sum \
                     their counts) first",
                    c.ids[a as usize], c.ids[b as usize]
                ),
            ));
        }
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
    let target = (p.swaps_per_edge * m as f64).round() as u64;
    let max_attempts = target.saturating_mul(20).max(10_000);
    let mut post = e.post.clone();
    let mut stats = RewireStats {
        target,
        ..Default::default()
    };
    while m >= 2 && stats.swaps < target && stats.attempts < max_attempts {
        stats.attempts += 1;
        let (k, l) = (rng.random_range(0..m), rng.random_range(0..m));
        let (a, b, cc, d) = (e.pre[k], post[k], e.pre[l], post[l]);
        if a == cc || b == d || (!p.autapses && (a == d || cc == b)) {
            continue;
        }
        let (ad, cb) = (key(a, d), key(cc, b));
        if set.contains(&ad) || set.contains(&cb) {
            continue;
        }
        set.remove(&key(a, b));
        set.remove(&key(cc, d));
        set.insert(ad);
        set.insert(cb);
        post[k] = d;
        post[l] = b;
        stats.swaps += 1;
    }
    drop(set);
    let mut old: Vec<u64> = e
        .pre
        .iter()
        .zip(&e.post)
        .map(|(&a, &b)| key(a, b))
        .collect();
    old.sort_unstable();
    let mut edges = Edges { post, ..e.clone() };
    sort_edges(&mut edges);
    stats.changed = edges
        .pre
        .iter()
        .zip(&edges.post)
        .filter(|&(&a, &b)| old.binary_search(&key(a, b)).is_err())
        .count() as u64;
    let cp = &c.provenance;
    let provenance = Provenance {
        name: format!("{}_rewired", cp.name),
        source: format!(
            "null model: degree-preserving rewiring (Maslov–Sneppen swaps; every neuron keeps \
             its in- and out-degree, each connection keeps its presynaptic neuron, count, \
             weight, delay and transmitter) of {}: hebb generate rewire --seed {} \
             --swaps-per-edge {}{} (hebb {}), {} of {} swaps in {} attempts; original source: {}",
            cp.name,
            p.seed,
            p.swaps_per_edge,
            if p.autapses { " --autapses" } else { "" },
            env!("CARGO_PKG_VERSION"),
            stats.swaps,
            stats.target,
            stats.attempts,
            if cp.source.is_empty() {
                "not stated"
            } else {
                &cp.source
            }
        ),
        license: format!(
            "derived data (randomised connections); the original's licence applies: {}",
            if cp.license.is_empty() {
                "not stated"
            } else {
                &cp.license
            }
        ),
    };
    Ok((
        Connectome {
            provenance,
            ids: c.ids.clone(),
            annotations: c.annotations.clone(),
            edges,
        },
        stats,
    ))
}

/// Sorts the connections by `(pre, post)`, every column alike.
fn sort_edges(e: &mut Edges) {
    let mut order: Vec<u32> = (0..e.len() as u32).collect();
    order.sort_unstable_by_key(|&k| (e.pre[k as usize], e.post[k as usize]));
    fn take<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
        *v = order.iter().map(|&k| v[k as usize]).collect();
    }
    take(&mut e.pre, &order);
    take(&mut e.post, &order);
    if let Some(x) = &mut e.count {
        take(x, &order);
    }
    if let Some(x) = &mut e.weight {
        take(x, &order);
    }
    if let Some(x) = &mut e.delay_ms {
        take(x, &order);
    }
    if let Some(x) = &mut e.transmitter {
        take(x, &order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Connectome {
        synthetic(&Synthetic {
            neurons: 300,
            connections: 6000,
            synapses: Some(20_000),
            shape: Shape::default(),
            seed,
        })
        .unwrap()
    }

    #[test]
    fn synthetic_hits_its_totals_without_duplicates_or_autapses() {
        let c = small(1);
        let e = &c.edges;
        assert_eq!(e.len(), 6000);
        assert_eq!(e.n_synapses(), 20_000);
        assert!(e.count.as_ref().unwrap().iter().all(|&x| x >= 1));
        assert!(e.pre.iter().zip(&e.post).all(|(a, b)| a != b));
        let keys: Vec<(u32, u32)> = e.pre.iter().copied().zip(e.post.iter().copied()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        // Heavy tails: the busiest neuron has several times the mean out-degree.
        let (din, dout) = c.degrees();
        assert!(
            *dout.iter().max().unwrap() > 4 * 20,
            "{:?}",
            dout.iter().max()
        );
        assert!(*din.iter().max().unwrap() > 3 * 20);
        assert!(
            c.provenance
                .source
                .starts_with("synthetic: hebb generate synthetic")
        );
        assert!(c.provenance.source.contains("--seed 1"));
    }

    #[test]
    fn dense_requests_finish_exactly_and_impossible_ones_are_refused() {
        let p = Synthetic {
            neurons: 10,
            connections: 90,
            synapses: None,
            shape: Shape::default(),
            seed: 3,
        };
        let c = synthetic(&p).unwrap();
        assert_eq!(c.edges.len(), 90);
        let e = synthetic(&Synthetic {
            connections: 91,
            ..p.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("--connections") && e.contains("--autapses"),
            "{e}"
        );
        let mut auto = p.clone();
        auto.connections = 100;
        auto.shape.autapses = true;
        assert_eq!(synthetic(&auto).unwrap().edges.len(), 100);
        let e = synthetic(&Synthetic {
            synapses: Some(89),
            ..p
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("--synapses"), "{e}");
    }

    #[test]
    fn merge_new_keeps_keys_sorted_and_distinct() {
        let mut keys = vec![1, 5, 9];
        let mut batch = vec![0, 5, 6, 10];
        assert_eq!(merge_new(&mut keys, &mut batch), 3);
        assert_eq!(keys, vec![0, 1, 5, 6, 9, 10]);
    }

    #[test]
    fn alias_table_draws_in_proportion() {
        let a = Alias::new(&[1.0, 3.0, 0.0, 4.0]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut hist = [0u32; 4];
        for _ in 0..80_000 {
            hist[a.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(hist[2], 0);
        for (k, want) in [(0, 10_000.0), (1, 30_000.0), (3, 40_000.0)] {
            assert!((hist[k] as f64 - want).abs() < 0.03 * want, "{hist:?}");
        }
    }

    #[test]
    fn rewire_keeps_degrees_and_moves_connections() {
        let c = small(2);
        let (r, s) = rewire(
            &c,
            &Rewire {
                swaps_per_edge: 1.0,
                seed: 5,
                autapses: false,
            },
        )
        .unwrap();
        assert_eq!(r.degrees(), c.degrees());
        assert_eq!(s.swaps, 6000);
        assert!(s.changed > 4000, "{s:?}");
        assert_eq!(r.edges.n_synapses(), c.edges.n_synapses());
        assert!(r.provenance.source.starts_with("null model"));
    }
}

//! Importers: published connectome formats converted into a [`Connectome`] (and from there into
//! the HDF5 schema of [`super::file`]).
//!
//! - [`codex`]: FlyWire Codex exports (`connections.csv.gz`, `neurons.csv.gz`, optionally
//!   `classification.csv.gz` and `consolidated_cell_types.csv.gz`).
//! - [`neuprint`]: neuPrint flat exports (hemibrain `traced-neurons.csv`,
//!   `traced-total-connections.csv`, `traced-roi-connections.csv`).
//! - [`sonata`]: SONATA networks (nodes and edges HDF5 files with their type CSVs).
//!
//! The table formats share one pipeline: the neuron table gives the dense index of every
//! external id (in file order) and the annotation columns; the connection table is streamed
//! (gzip and CSV decoded on the fly, one reused byte record, integers parsed from the bytes) into
//! one 16-byte [`Row`] per line; the rows are sorted by (pre, post[, neuropil]) and runs of equal
//! keys merged (counts summed); then the synapse threshold applies. Sorting columnar rows instead
//! of a hash map keyed by pair keeps a 16.8 M-row table at 16 B per row with no allocation per
//! row (the whole FlyWire table: see `connectomes/README.md` for the measured time and memory).
//!
//! An import returns an [`Imported`]: the connectome, per-connection annotation columns the
//! [`Connectome`] type does not carry (neuropil, ROI), and a [`Report`] of what was read,
//! dropped and disagreed. [`write`] writes both into one file.

pub mod codex;
pub mod neuprint;
pub mod sonata;
mod table;

use super::{Annotation, Column, Connectome, Edges, TRANSMITTERS};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use table::Table;

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// Neurons, annotations, connections and provenance.
    pub connectome: Connectome,
    /// Per-connection annotation columns (`/synapses/<name>`, one entry per connection), e.g.
    /// the neuropil of a Codex row with `--per-neuropil`.
    pub connection_columns: Vec<Annotation>,
    /// What was read and what was dropped.
    pub report: Report,
}

/// Counts of an import, printed by `hebb import`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Data rows of the connection table (or edges of a SONATA population).
    pub rows: u64,
    /// Rows dropped because an id is not in the neuron table (`--drop-unknown`).
    pub rows_unknown: u64,
    /// Connections dropped by the synapse threshold (after summing).
    pub below_threshold: u64,
    /// Connections written.
    pub connections: u64,
    /// Synapses written (sum of counts).
    pub synapses: u64,
    /// Neurons in the neuron table.
    pub neurons_read: u64,
    /// Neurons with no connection (after the threshold).
    pub neurons_unconnected: u64,
    /// Neurons written (fewer than read with `--connected-only`).
    pub neurons: u64,
    /// Rows of annotation tables whose id is not in the neuron table (skipped).
    pub annotation_rows_skipped: u64,
    /// Connections whose own transmitter differs from their presynaptic neuron's.
    pub nt_conflicts: u64,
    /// Connections with a transmitter whose presynaptic neuron has none.
    pub nt_only_connection: u64,
    /// Connections without a transmitter that took their presynaptic neuron's.
    pub nt_from_neuron: u64,
    /// Wall time of reading and converting (s), not of writing.
    pub seconds: f64,
}

impl Report {
    /// A human-readable summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let rate = self.rows as f64 / self.seconds.max(1e-9);
        let _ = writeln!(
            s,
            "read {} connection rows in {:.2} s ({:.2} M rows/s)",
            self.rows,
            self.seconds,
            rate / 1e6
        );
        let lines = [
            (
                "rows dropped: id not in the neuron table",
                self.rows_unknown,
            ),
            (
                "connections below the synapse threshold",
                self.below_threshold,
            ),
            ("connections", self.connections),
            ("synapses", self.synapses),
            ("neurons in the neuron table", self.neurons_read),
            ("neurons without a connection", self.neurons_unconnected),
            ("neurons written", self.neurons),
            (
                "annotation rows skipped: id not in the neuron table",
                self.annotation_rows_skipped,
            ),
            (
                "connections whose transmitter differs from their presynaptic neuron's",
                self.nt_conflicts,
            ),
            (
                "connections with a transmitter where their presynaptic neuron has none",
                self.nt_only_connection,
            ),
            (
                "connections without a transmitter given their presynaptic neuron's",
                self.nt_from_neuron,
            ),
        ];
        for (what, n) in lines {
            let _ = writeln!(s, "  {what}: {n}");
        }
        s
    }
}

/// Options shared by the table importers.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Connections with fewer synapses (after summing) are dropped; at least 1.
    pub min_synapses: u32,
    /// Drop neurons that have no connection left.
    pub connected_only: bool,
    /// Drop (and count) connection rows whose ids are not in the neuron table instead of
    /// failing.
    pub drop_unknown: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            min_synapses: 1,
            connected_only: false,
            drop_unknown: false,
        }
    }
}

impl Filter {
    /// The options as command-line flags (for the provenance).
    fn flags(&self) -> String {
        let mut s = format!("--min-synapses {}", self.min_synapses);
        if self.connected_only {
            s.push_str(" --connected-only");
        }
        if self.drop_unknown {
            s.push_str(" --drop-unknown");
        }
        s
    }
}

/// Writes an import: the connectome in the schema of [`super::file`] plus its per-connection
/// annotation columns under `/synapses/<name>`.
pub fn write(path: &Path, imported: &Imported) -> Result<()> {
    super::file::write_with(path, &imported.connectome, &imported.connection_columns)
}

/// A fast hash for integer ids (one multiply; ids are not adversarial). SipHash costs about
/// a third of the time of a whole-brain import's 34 M lookups.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_i64(&mut self, x: i64) {
        self.0 = (x as u64 ^ (x as u64 >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// External id → dense index.
type IdIndex = HashMap<i64, u32, BuildHasherDefault<IdHasher>>;

/// Distinct strings of a categorical column → integer codes; code 0 is the empty string.
#[derive(Clone, Debug)]
struct Labels {
    map: HashMap<Box<[u8]>, i64>,
    labels: Vec<String>,
}

impl Labels {
    fn new() -> Labels {
        let mut l = Labels {
            map: HashMap::new(),
            labels: Vec::new(),
        };
        l.code(b"");
        l
    }

    /// The code of `label` (allocates only for a label not seen before).
    fn code(&mut self, label: &[u8]) -> i64 {
        if let Some(&c) = self.map.get(label) {
            return c;
        }
        let c = self.labels.len() as i64;
        self.map.insert(label.into(), c);
        self.labels
            .push(String::from_utf8_lossy(label).into_owned());
        c
    }

    /// The labels sorted (the empty one first), with `codes` renumbered to match.
    fn finish(self, codes: &mut [i64]) -> Vec<String> {
        let (labels, new) = self.sorted();
        for c in codes.iter_mut() {
            *c = new[*c as usize];
        }
        labels
    }

    /// The labels sorted (the empty one first) and the new code of every old code.
    fn sorted(self) -> (Vec<String>, Vec<i64>) {
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by(|&a, &b| self.labels[a].cmp(&self.labels[b]));
        let mut new = vec![0i64; order.len()];
        for (k, &old) in order.iter().enumerate() {
            new[old] = k as i64;
        }
        let mut labels = self.labels;
        let sorted = order
            .into_iter()
            .map(|k| std::mem::take(&mut labels[k]))
            .collect();
        (sorted, new)
    }
}

/// The transmitter code ([`TRANSMITTERS`]) of a name as Codex spells it (ACH, GABA, GLUT, DA,
/// SER, OCT, HIST) or written out; empty is 0 (unknown).
fn transmitter_code(name: &[u8]) -> Option<u8> {
    const SHORT: [&[u8]; 9] = [
        b"", b"ACH", b"GABA", b"GLUT", b"DA", b"SER", b"OCT", b"HIST", b"OTHER",
    ];
    (0..TRANSMITTERS.len())
        .find(|&k| {
            name.eq_ignore_ascii_case(SHORT[k])
                || name.eq_ignore_ascii_case(TRANSMITTERS[k].as_bytes())
        })
        .map(|k| k as u8)
}

fn transmitter_labels() -> Vec<String> {
    TRANSMITTERS.iter().map(|s| s.to_string()).collect()
}

/// How a neuron-table column becomes an annotation.
#[derive(Copy, Clone, Debug)]
enum Kind {
    /// Strings → integer codes with labels.
    Labels,
    /// Numbers (empty → NaN).
    Numbers,
    /// Transmitter names → [`TRANSMITTERS`] codes.
    Transmitter,
}

/// A column of a neuron or annotation table and the annotation it becomes.
#[derive(Copy, Clone, Debug)]
struct Field {
    /// Column name in the file.
    column: &'static str,
    /// Annotation name (`/neurons/<name>`).
    name: &'static str,
    kind: Kind,
}

/// An annotation column being filled, one entry per neuron.
enum Builder {
    Labels(Labels, Vec<i64>),
    Numbers(Vec<f64>),
    Transmitter(Vec<i64>),
}

impl Builder {
    fn new(kind: Kind, n: usize) -> Builder {
        match kind {
            Kind::Labels => Builder::Labels(Labels::new(), vec![0; n]),
            Kind::Numbers => Builder::Numbers(vec![f64::NAN; n]),
            Kind::Transmitter => Builder::Transmitter(vec![0; n]),
        }
    }

    /// Sets neuron `i` (growing the column by one when `i` is its length) from field `col`.
    fn set(&mut self, t: &Table, rec: &csv::ByteRecord, col: usize, i: usize) -> Result<()> {
        fn put<T: Default>(v: &mut Vec<T>, i: usize, x: T) {
            if i == v.len() {
                v.push(x);
            } else {
                v[i] = x;
            }
        }
        let b = Table::bytes(rec, col);
        match self {
            Builder::Labels(labels, codes) => put(codes, i, labels.code(b)),
            Builder::Numbers(x) => put(x, i, t.number(rec, col)?),
            Builder::Transmitter(x) => {
                let code = transmitter_code(b).ok_or_else(|| unknown_transmitter(t, rec, col))?;
                put(x, i, code as i64)
            }
        }
        Ok(())
    }

    fn finish(self) -> Column {
        match self {
            Builder::Labels(labels, mut codes) => {
                let labels = labels.finish(&mut codes);
                Column::Codes { codes, labels }
            }
            Builder::Numbers(x) => Column::Numbers(x),
            Builder::Transmitter(codes) => Column::Codes {
                codes,
                labels: transmitter_labels(),
            },
        }
    }
}

fn unknown_transmitter(t: &Table, rec: &csv::ByteRecord, col: usize) -> Error {
    t.field_err(
        Table::line(rec),
        col,
        format!(
            "unknown transmitter {:?}; use ACH, GABA, GLUT, DA, SER, OCT, HIST, one of {} or \
             leave it empty",
            String::from_utf8_lossy(Table::bytes(rec, col)),
            TRANSMITTERS.join(", ")
        ),
    )
}

/// The neurons of a neuron table: ids in file order, their index and annotations.
struct Neurons {
    ids: Vec<i64>,
    index: IdIndex,
    annotations: Vec<Annotation>,
}

/// The columns of `t` for `fields`; those missing from the header are skipped when `optional`.
fn field_columns(t: &Table, fields: &[Field], optional: bool) -> Result<Vec<(Field, usize)>> {
    let mut out = Vec::new();
    for f in fields {
        match t.optional_column(f.column) {
            Some(c) => out.push((*f, c)),
            None if optional => {}
            // The error naming the header found.
            None => {
                t.column(f.column)?;
            }
        }
    }
    Ok(out)
}

/// Reads a neuron table: one row per neuron, ids unique.
fn read_neurons(path: &Path, what: &'static str, id: &str, fields: &[Field]) -> Result<Neurons> {
    let mut t = Table::open(path, what)?;
    let id_col = t.column(id)?;
    let cols = field_columns(&t, fields, false)?;
    let mut builders: Vec<Builder> = cols.iter().map(|(f, _)| Builder::new(f.kind, 0)).collect();
    let (mut ids, mut index, mut lines) = (Vec::new(), IdIndex::default(), Vec::new());
    let mut rec = csv::ByteRecord::new();
    while t.next(&mut rec)? {
        let x = t.id(&rec, id_col)?;
        let line = Table::line(&rec);
        let i = ids.len();
        if let Some(first) = index.insert(x, i as u32) {
            return Err(t.field_err(
                line,
                id_col,
                format!(
                    "id {x} appears twice (lines {} and {line}); neuron ids must be unique",
                    lines[first as usize]
                ),
            ));
        }
        ids.push(x);
        lines.push(line);
        for (b, (_, c)) in builders.iter_mut().zip(&cols) {
            b.set(&t, &rec, *c, i)?;
        }
    }
    if u32::try_from(ids.len()).is_err() {
        return Err(t.err(format!("{} neurons; at most 2^32 − 1", ids.len())));
    }
    let annotations = finish_columns(&cols, builders);
    Ok(Neurons {
        ids,
        index,
        annotations,
    })
}

fn finish_columns(cols: &[(Field, usize)], builders: Vec<Builder>) -> Vec<Annotation> {
    cols.iter()
        .zip(builders)
        .map(|((f, _), b)| Annotation {
            name: f.name.to_owned(),
            column: b.finish(),
        })
        .collect()
}

/// Reads an annotation table keyed by neuron id into columns over `neurons`; rows of ids not in
/// the neuron table are skipped and counted, an id given twice is an error. Missing columns
/// (other than the id) are skipped.
fn join_annotations(
    path: &Path,
    what: &'static str,
    id: &str,
    fields: &[Field],
    neurons: &mut Neurons,
) -> Result<u64> {
    let mut t = Table::open(path, what)?;
    let id_col = t.column(id)?;
    let cols = field_columns(&t, fields, true)?;
    if cols.is_empty() {
        let want: Vec<&str> = fields.iter().map(|f| f.column).collect();
        return Err(t.err(format!(
            "none of the columns {} is in the header `{}`",
            want.join(", "),
            t.header().join(",")
        )));
    }
    let n = neurons.ids.len();
    let mut builders: Vec<Builder> = cols.iter().map(|(f, _)| Builder::new(f.kind, n)).collect();
    let mut seen = vec![0u64; n];
    let (mut skipped, mut rec) = (0, csv::ByteRecord::new());
    while t.next(&mut rec)? {
        let x = t.id(&rec, id_col)?;
        let Some(&i) = neurons.index.get(&x) else {
            skipped += 1;
            continue;
        };
        let line = Table::line(&rec);
        let i = i as usize;
        if seen[i] != 0 {
            return Err(t.field_err(
                line,
                id_col,
                format!(
                    "id {x} appears twice (lines {} and {line}); one row per neuron",
                    seen[i]
                ),
            ));
        }
        seen[i] = line;
        for (b, (_, c)) in builders.iter_mut().zip(&cols) {
            b.set(&t, &rec, *c, i)?;
        }
    }
    neurons.annotations.extend(finish_columns(&cols, builders));
    Ok(skipped)
}

/// One line of a connection table: dense (pre, post) packed as `pre << 32 | post`, synapse
/// count, tag (neuropil or ROI code, 0 when not kept) and transmitter code.
#[derive(Copy, Clone, Debug)]
struct Row {
    key: u64,
    count: u32,
    tag: u16,
    nt: u8,
}

/// The columns of a connection table.
struct ConnectionColumns {
    pre: &'static str,
    post: &'static str,
    count: &'static str,
    /// Per-row tag kept as a connection column (neuropil, ROI), when wanted.
    tag: Option<&'static str>,
    /// Transmitter column (read when the file has it).
    nt: Option<&'static str>,
}

/// The rows of a connection table.
struct Rows {
    rows: Vec<Row>,
    tags: Option<Labels>,
    read: u64,
    unknown: u64,
}

/// Streams a connection table into rows over the neurons of `index`.
fn read_connections(
    path: &Path,
    what: &'static str,
    cols: &ConnectionColumns,
    index: &IdIndex,
    drop_unknown: bool,
) -> Result<Rows> {
    let mut t = Table::open(path, what)?;
    let (pre_c, post_c, count_c) = (
        t.column(cols.pre)?,
        t.column(cols.post)?,
        t.column(cols.count)?,
    );
    let tag_c = cols.tag.map(|c| t.column(c)).transpose()?;
    let nt_c = cols.nt.and_then(|c| t.optional_column(c));
    let mut out = Rows {
        rows: Vec::new(),
        tags: tag_c.map(|_| Labels::new()),
        read: 0,
        unknown: 0,
    };
    let mut rec = csv::ByteRecord::new();
    let mut last_pre = None;
    while t.next(&mut rec)? {
        out.read += 1;
        let pre_id = t.id(&rec, pre_c)?;
        let pre = match last_pre {
            Some((id, i)) if id == pre_id => Some(i),
            _ => index.get(&pre_id).copied(),
        };
        let post = index.get(&t.id(&rec, post_c)?).copied();
        let count = t.count(&rec, count_c)?;
        let (Some(pre), Some(post)) = (pre, post) else {
            if drop_unknown {
                out.unknown += 1;
                continue;
            }
            let col = if pre.is_none() { pre_c } else { post_c };
            return Err(t.field_err(
                Table::line(&rec),
                col,
                format!(
                    "id {} is not in the neuron table; give the complete neuron table or pass \
                     --drop-unknown to drop such rows",
                    String::from_utf8_lossy(Table::bytes(&rec, col))
                ),
            ));
        };
        last_pre = Some((pre_id, pre));
        let nt = match nt_c {
            Some(c) => transmitter_code(Table::bytes(&rec, c))
                .ok_or_else(|| unknown_transmitter(&t, &rec, c))?,
            None => 0,
        };
        let tag = match (&mut out.tags, tag_c) {
            (Some(labels), Some(c)) => {
                let code = labels.code(Table::bytes(&rec, c));
                u16::try_from(code).map_err(|_| {
                    t.field_err(
                        Table::line(&rec),
                        c,
                        "more than 65,535 distinct values".into(),
                    )
                })?
            }
            _ => 0,
        };
        if out.rows.len() == out.rows.capacity() {
            // Grow by a quarter, not double: large blocks are remapped, not copied, so the
            // slack (not a copy) is what the peak memory pays for.
            out.rows.reserve_exact((out.rows.len() / 4).max(1 << 16));
        }
        out.rows.push(Row {
            key: (pre as u64) << 32 | post as u64,
            count,
            tag,
            nt,
        });
    }
    Ok(out)
}

/// Connections after merging rows of equal (pre, post, tag) and applying the threshold.
struct Merged {
    pre: Vec<u32>,
    post: Vec<u32>,
    count: Vec<u32>,
    /// Transmitter of the connection's own rows (0 when none gave one).
    nt: Vec<u8>,
    tag: Vec<i64>,
    below_threshold: u64,
}

/// Sorts the rows and merges runs of equal key (and tag: rows without tags have tag 0). A
/// merged connection's count is the sum; its transmitter the one with most synapses among its
/// rows that name one (ties: the lower code).
fn merge(mut rows: Vec<Row>, min_synapses: u32) -> Merged {
    rows.sort_unstable_by_key(|r| (r.key, r.tag));
    let mut m = Merged {
        pre: Vec::new(),
        post: Vec::new(),
        count: Vec::new(),
        nt: Vec::new(),
        tag: Vec::new(),
        below_threshold: 0,
    };
    for run in rows.chunk_by(|a, b| a.key == b.key && a.tag == b.tag) {
        let count: u64 = run.iter().map(|r| r.count as u64).sum();
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        if count < min_synapses {
            m.below_threshold += 1;
            continue;
        }
        let mut votes = [0u64; 256];
        for r in run {
            votes[r.nt as usize] += r.count as u64;
        }
        let nt = (1..256)
            .max_by_key(|&k| (votes[k], std::cmp::Reverse(k)))
            .filter(|&k| votes[k] > 0);
        let key = run[0].key;
        m.pre.push((key >> 32) as u32);
        m.post.push(key as u32);
        m.count.push(count);
        m.nt.push(nt.unwrap_or(0) as u8);
        m.tag.push(run[0].tag as i64);
    }
    m
}

/// Per-connection transmitters: a connection's own wins, else its presynaptic neuron's; counts
/// the disagreements into `report`.
fn resolve_transmitters(own: &mut [u8], pre: &[u32], neuron_nt: &[i64], report: &mut Report) {
    for (nt, &p) in own.iter_mut().zip(pre) {
        let theirs = neuron_nt[p as usize] as u8;
        match (*nt, theirs) {
            (0, 0) => {}
            (0, t) => {
                *nt = t;
                report.nt_from_neuron += 1;
            }
            (_, 0) => report.nt_only_connection += 1,
            (a, b) if a != b => report.nt_conflicts += 1,
            _ => {}
        }
    }
}

/// Drops neurons without a connection; returns how many. Annotation columns and the edges'
/// indices follow.
fn keep_connected(c: &mut Connectome) -> u64 {
    let n = c.ids.len();
    let mut used = vec![false; n];
    for (&a, &b) in c.edges.pre.iter().zip(&c.edges.post) {
        used[a as usize] = true;
        used[b as usize] = true;
    }
    let mut new = vec![u32::MAX; n];
    let mut k = 0u32;
    for (i, _) in used.iter().enumerate().filter(|(_, u)| **u) {
        new[i] = k;
        k += 1;
    }
    fn filter<T: Clone>(v: &[T], used: &[bool]) -> Vec<T> {
        v.iter()
            .zip(used)
            .filter(|(_, u)| **u)
            .map(|(x, _)| x.clone())
            .collect()
    }
    c.ids = filter(&c.ids, &used);
    for a in &mut c.annotations {
        a.column = match &a.column {
            Column::Codes { codes, labels } => Column::Codes {
                codes: filter(codes, &used),
                labels: labels.clone(),
            },
            Column::Numbers(x) => Column::Numbers(filter(x, &used)),
            Column::Text(x) => Column::Text(filter(x, &used)),
        };
    }
    for i in c.edges.pre.iter_mut().chain(c.edges.post.iter_mut()) {
        *i = new[*i as usize];
    }
    (n - k as usize) as u64
}

/// Number of neurons that are neither pre- nor postsynaptic in any connection.
fn unconnected(n: usize, e: &Edges) -> u64 {
    let mut used = vec![false; n];
    for (&a, &b) in e.pre.iter().zip(&e.post) {
        used[a as usize] = true;
        used[b as usize] = true;
    }
    used.iter().filter(|u| !**u).count() as u64
}

/// Finishes a table import: threshold, transmitters, connected-only, report.
fn assemble(
    neurons: Neurons,
    rows: Rows,
    filter: &Filter,
    tag_name: &str,
    started: std::time::Instant,
    provenance: super::Provenance,
) -> Imported {
    let mut report = Report {
        rows: rows.read,
        rows_unknown: rows.unknown,
        neurons_read: neurons.ids.len() as u64,
        ..Report::default()
    };
    // Tags renumbered in label order first, so that a pair's connections are in that order.
    let mut tag_labels = None;
    let mut rows_v = rows.rows;
    if let Some(labels) = rows.tags {
        let (labels, new) = labels.sorted();
        for r in &mut rows_v {
            r.tag = new[r.tag as usize] as u16;
        }
        tag_labels = Some(labels);
    }
    let mut m = merge(rows_v, filter.min_synapses.max(1));
    report.below_threshold = m.below_threshold;
    let neuron_nt = neurons
        .annotations
        .iter()
        .find_map(|a| match (&a.name[..], &a.column) {
            ("nt", Column::Codes { codes, .. }) => Some(codes.clone()),
            _ => None,
        });
    let has_nt = neuron_nt.is_some() || m.nt.iter().any(|&x| x != 0);
    if let Some(nt) = &neuron_nt {
        resolve_transmitters(&mut m.nt, &m.pre, nt, &mut report);
    }
    let mut c = Connectome {
        provenance,
        ids: neurons.ids,
        annotations: neurons.annotations,
        edges: Edges {
            pre: m.pre,
            post: m.post,
            count: Some(m.count),
            weight: None,
            delay_ms: None,
            transmitter: has_nt.then_some(m.nt),
            transmitter_labels: if has_nt {
                transmitter_labels()
            } else {
                Vec::new()
            },
        },
    };
    report.neurons_unconnected = unconnected(c.ids.len(), &c.edges);
    if filter.connected_only {
        keep_connected(&mut c);
    }
    let connection_columns = match tag_labels {
        Some(labels) => vec![Annotation {
            name: tag_name.to_owned(),
            column: Column::Codes {
                codes: m.tag,
                labels,
            },
        }],
        None => Vec::new(),
    };
    report.connections = c.edges.len() as u64;
    report.synapses = c.edges.n_synapses();
    report.neurons = c.ids.len() as u64;
    report.seconds = started.elapsed().as_secs_f64();
    Imported {
        connectome: c,
        connection_columns,
        report,
    }
}

/// File names of `paths`, for the provenance.
fn file_names(paths: &[&PathBuf]) -> String {
    paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_sorted_with_the_empty_label_first() {
        let mut l = Labels::new();
        let mut codes: Vec<i64> = [&b"KC"[..], b"", b"APL", b"KC"]
            .iter()
            .map(|s| l.code(s))
            .collect();
        let labels = l.finish(&mut codes);
        assert_eq!(labels, vec!["", "APL", "KC"]);
        assert_eq!(codes, vec![2, 0, 1, 2]);
    }

    #[test]
    fn transmitters_read_in_either_spelling() {
        assert_eq!(transmitter_code(b"ACH"), Some(1));
        assert_eq!(transmitter_code(b"gaba"), Some(2));
        assert_eq!(transmitter_code(b"Glutamate"), Some(3));
        assert_eq!(transmitter_code(b"HIST"), Some(7));
        assert_eq!(transmitter_code(b""), Some(0));
        assert_eq!(transmitter_code(b"NO"), None);
    }

    #[test]
    fn merging_sums_counts_and_votes_the_transmitter() {
        let row = |pre: u64, post: u64, count, nt, tag| Row {
            key: pre << 32 | post,
            count,
            tag,
            nt,
        };
        let rows = vec![
            row(1, 2, 3, 2, 0),
            row(0, 1, 1, 1, 0),
            row(1, 2, 4, 3, 0),
            row(0, 2, 1, 0, 0),
            row(1, 2, 1, 0, 0),
        ];
        let m = merge(rows.clone(), 1);
        assert_eq!(
            (m.pre, m.post, m.count, m.nt),
            (vec![0, 0, 1], vec![1, 2, 2], vec![1, 1, 8], vec![1, 0, 3])
        );
        let m = merge(rows, 2);
        assert_eq!((m.count, m.below_threshold), (vec![8], 2));
    }
}

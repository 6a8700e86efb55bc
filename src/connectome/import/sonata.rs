//! SONATA networks (Allen Institute / Blue Brain, `SONATA_DEVELOPER_GUIDE.md`).
//!
//! ```text
//! nodes.h5  /nodes/<pop>/node_id            optional (default 0..n)
//!           /nodes/<pop>/node_type_id       → the row of node_types.csv
//!           /nodes/<pop>/node_group_id      → the group /nodes/<pop>/<group>/
//!           /nodes/<pop>/node_group_index   → the row within the group's datasets
//!           /nodes/<pop>/<group>/<attr>     per-node attributes (numbers or strings)
//! edges.h5  /edges/<pop>/source_node_id     attribute node_population
//!           /edges/<pop>/target_node_id     attribute node_population
//!           /edges/<pop>/edge_type_id       → the row of edge_types.csv
//!           /edges/<pop>/edge_group_id, edge_group_index
//!           /edges/<pop>/<group>/{syn_weight,delay,nsyns}
//! node_types.csv, edge_types.csv: space-separated (one or more spaces, "" quotes), with
//!           node_type_id / edge_type_id and any attributes (model_type, pop_name, …)
//! ```
//!
//! Every node population becomes neurons (in population-name order, nodes in file order). With
//! one population the external ids are the node ids; with several, a population's ids are its
//! node ids plus the sum of (largest node id + 1) of the populations before it, and a `population`
//! annotation names it. Node-type columns and group datasets become annotations (numbers when
//! every value is a number, else codes with labels); a group's value overrides its type's.
//! `dynamics_params` subgroups are not read. One edge population (`edge_population`, or the
//! only one) becomes the connections, one per edge, in file order: `syn_weight` → weight,
//! `delay` → delay (ms), `nsyns` → count, from the edge's group or else its edge type;
//! `edge_type_id` becomes the connection column `edge_type_id`.

use super::{Imported, Labels, Report};
use crate::connectome::file::read_str_attr;
use crate::connectome::{Annotation, Column, Connectome, Edges, Provenance};
use crate::error::{Error, Result};
use crate::h5::open_input;
use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What to import.
#[derive(Clone, Debug)]
pub struct Options {
    /// The nodes file (HDF5).
    pub nodes: PathBuf,
    /// The node types table (space-separated CSV).
    pub node_types: PathBuf,
    /// The edges file (HDF5).
    pub edges: PathBuf,
    /// The edge types table (space-separated CSV).
    pub edge_types: PathBuf,
    /// The edge population to import; needed only when the file has several.
    pub edge_population: Option<String>,
    /// The connectome's name (root attribute `name`).
    pub name: String,
    /// The licence of the network (root attribute `license`).
    pub license: String,
}

/// Imports a SONATA network.
pub fn import(o: &Options) -> Result<Imported> {
    let started = std::time::Instant::now();
    let node_types = TypeTable::read(&o.node_types, "node_type_id")?;
    let nodes = H5::open(&o.nodes)?;
    let pops = nodes.members("nodes")?;
    if pops.is_empty() {
        return Err(nodes.err("no population under /nodes; a nodes file has /nodes/<population>/"));
    }
    let mut net = Nodes::default();
    for pop in &pops {
        read_population(&nodes, pop, &node_types, &mut net)?;
    }
    let edges_file = H5::open(&o.edges)?;
    let edge_types = TypeTable::read(&o.edge_types, "edge_type_id")?;
    let (edges, edge_type) = read_edges(&edges_file, o, &edge_types, &net)?;
    let n = net.ids.len();
    let mut annotations: Vec<Annotation> = std::mem::take(&mut net.attrs)
        .into_iter()
        .map(|(name, a)| Annotation {
            name,
            column: a.finish(n),
        })
        .collect();
    if pops.len() > 1 {
        let labels = pops.clone();
        annotations.push(Annotation {
            name: "population".into(),
            column: Column::Codes {
                codes: net.population.iter().map(|&p| p as i64).collect(),
                labels,
            },
        });
    }
    let report = Report {
        rows: edges.len() as u64,
        connections: edges.len() as u64,
        synapses: edges.n_synapses(),
        neurons_read: n as u64,
        neurons: n as u64,
        neurons_unconnected: super::unconnected(n, &edges),
        seconds: started.elapsed().as_secs_f64(),
        ..Report::default()
    };
    let connectome = Connectome {
        provenance: Provenance {
            name: o.name.clone(),
            source: format!(
                "SONATA network ({}); imported by `hebb import sonata`",
                super::file_names(&[&o.nodes, &o.node_types, &o.edges, &o.edge_types])
            ),
            license: o.license.clone(),
        },
        ids: net.ids,
        annotations,
        edges,
    };
    Ok(Imported {
        connectome,
        connection_columns: vec![Annotation {
            name: "edge_type_id".into(),
            column: Column::Codes {
                codes: edge_type,
                labels: Vec::new(),
            },
        }],
        report,
    })
}

/// A space-separated types table: the id column and every other column's text per id.
struct TypeTable {
    path: PathBuf,
    columns: Vec<String>,
    rows: HashMap<i64, Vec<String>>,
}

impl TypeTable {
    fn read(path: &Path, id: &str) -> Result<TypeTable> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let err = |message: String| Error::Data {
            path: path.to_owned(),
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| {
            err(format!(
                "empty; a SONATA types table has a header with {id}"
            ))
        })?;
        let header = split_fields(header).map_err(|m| err(format!("line 1: {m}")))?;
        let id_col = header.iter().position(|h| h == id).ok_or_else(|| {
            err(format!(
                "no column `{id}`; the header is `{}` (columns are separated by spaces)",
                header.join(" ")
            ))
        })?;
        let mut rows = HashMap::new();
        for (k, line) in lines {
            let line_no = k + 1;
            let f = split_fields(line).map_err(|m| err(format!("line {line_no}: {m}")))?;
            if f.len() != header.len() {
                return Err(err(format!(
                    "line {line_no} has {} fields but the header has {}; separate fields by \
                     spaces and quote those containing spaces",
                    f.len(),
                    header.len()
                )));
            }
            let t = super::table::parse_i64(f[id_col].as_bytes()).ok_or_else(|| {
                err(format!(
                    "line {line_no}, column `{id}`: {:?} is not an integer",
                    f[id_col]
                ))
            })?;
            if rows.insert(t, f).is_some() {
                return Err(err(format!(
                    "line {line_no}: {id} {t} appears twice; type ids must be unique"
                )));
            }
        }
        Ok(TypeTable {
            path: path.to_owned(),
            columns: header,
            rows,
        })
    }

    fn row(&self, t: i64, what: &str) -> Result<&[String]> {
        self.rows
            .get(&t)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::Data {
                path: self.path.clone(),
                message: format!("no row for type id {t} ({what}); add the type"),
            })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Splits a SONATA CSV line: fields separated by one or more spaces; `"` quotes a field, `""`
/// inside quotes is a quote.
fn split_fields(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut f = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        f.push('"');
                    }
                    Some('"') => break,
                    Some(x) => f.push(x),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
        } else {
            while let Some(&x) = chars.peek() {
                if x == ' ' {
                    break;
                }
                f.push(x);
                chars.next();
            }
        }
        out.push(f);
    }
    Ok(out)
}

/// A value of an attribute for one node.
#[derive(Copy, Clone, Debug)]
enum Cell {
    Missing,
    Number(f64),
    Text(i64),
}

/// An attribute collected over all nodes.
struct Attr {
    cells: Vec<Cell>,
    labels: Labels,
}

impl Attr {
    fn set(&mut self, i: usize, cell: Cell) {
        if self.cells.len() <= i {
            self.cells.resize(i + 1, Cell::Missing);
        }
        self.cells[i] = cell;
    }

    fn set_text(&mut self, i: usize, s: &str) {
        let cell = match s.parse::<f64>() {
            Ok(x) => Cell::Number(x),
            Err(_) => Cell::Text(self.labels.code(s.as_bytes())),
        };
        self.set(i, cell);
    }

    /// Numbers if every present value is one, else codes (numbers as text).
    fn finish(mut self, n: usize) -> Column {
        self.cells.resize(n, Cell::Missing);
        if self.cells.iter().all(|c| !matches!(c, Cell::Text(_))) {
            return Column::Numbers(
                self.cells
                    .iter()
                    .map(|c| match c {
                        Cell::Number(x) => *x,
                        _ => f64::NAN,
                    })
                    .collect(),
            );
        }
        let mut codes: Vec<i64> = Vec::with_capacity(n);
        for c in &self.cells {
            codes.push(match *c {
                Cell::Missing => 0,
                Cell::Number(x) => self.labels.code(x.to_string().as_bytes()),
                Cell::Text(k) => k,
            });
        }
        let labels = self.labels.finish(&mut codes);
        Column::Codes { codes, labels }
    }
}

/// The neurons of every node population.
#[derive(Default)]
struct Nodes {
    ids: Vec<i64>,
    population: Vec<u16>,
    /// Per population: its name, node id → dense index.
    index: Vec<(String, HashMap<i64, u32>)>,
    attrs: BTreeMap<String, Attr>,
    /// Offset added to the next population's node ids.
    offset: i64,
}

impl Nodes {
    fn attr(&mut self, name: &str) -> &mut Attr {
        self.attrs.entry(name.to_owned()).or_insert_with(|| Attr {
            cells: Vec::new(),
            labels: Labels::new(),
        })
    }
}

/// An HDF5 input with errors naming the file and dataset.
struct H5 {
    path: PathBuf,
    file: hdf5::File,
}

/// A dataset's values as numbers or strings.
enum Values {
    Numbers(Vec<f64>),
    Strings(Vec<String>),
}

impl H5 {
    fn open(path: &Path) -> Result<H5> {
        let file = open_input(path).map_err(|e| Error::Hdf5 {
            path: path.to_owned(),
            message: format!("cannot open as HDF5: {e}; is this a SONATA file?"),
        })?;
        Ok(H5 {
            path: path.to_owned(),
            file,
        })
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Hdf5 {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Names of the members of group `name` (sorted).
    fn members(&self, name: &str) -> Result<Vec<String>> {
        let g = self.file.group(name).map_err(|e| {
            self.err(format!(
                "cannot open group /{name}: {e}; a SONATA file has /{name}/<population>/"
            ))
        })?;
        let mut m = g
            .member_names()
            .map_err(|e| self.err(format!("cannot list /{name}: {e}")))?;
        m.sort();
        Ok(m)
    }

    fn is_group(&self, name: &str) -> bool {
        self.file.group(name).is_ok()
    }

    fn dataset(&self, name: &str) -> Result<hdf5::Dataset> {
        self.file.dataset(name).map_err(|e| {
            self.err(format!(
                "missing dataset /{name} ({e}); SONATA requires it (see connectomes/SCHEMA.md, \
                 \"Importers\")"
            ))
        })
    }

    /// A one-dimensional integer dataset.
    fn ints(&self, name: &str) -> Result<Vec<i64>> {
        let ds = self.dataset(name)?;
        if ds.ndim() != 1 {
            return Err(self.err(format!("/{name} must be one-dimensional")));
        }
        ds.read_raw::<i64>()
            .map_err(|e| self.err(format!("/{name} must hold integers: {e}")))
    }

    /// A one-dimensional integer dataset of `n` rows, checked.
    fn ints_len(&self, name: &str, n: usize, like: &str) -> Result<Vec<i64>> {
        let v = self.ints(name)?;
        if v.len() != n {
            return Err(self.err(format!(
                "/{name} has {} rows but /{like} has {n}; they need one row per node or edge",
                v.len()
            )));
        }
        Ok(v)
    }

    /// A one-dimensional dataset as numbers or strings; `None` for other types.
    fn values(&self, name: &str) -> Result<Option<Values>> {
        let ds = self.dataset(name)?;
        let d = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| self.err(format!("/{name}: unreadable type: {e}")))?;
        let bad = |e: hdf5::Error| self.err(format!("/{name}: {e}"));
        if ds.ndim() != 1 {
            return Ok(None);
        }
        Ok(Some(match d {
            TypeDescriptor::Integer(_)
            | TypeDescriptor::Unsigned(_)
            | TypeDescriptor::Float(_)
            | TypeDescriptor::Boolean => Values::Numbers(ds.read_raw::<f64>().map_err(bad)?),
            TypeDescriptor::VarLenUnicode => Values::Strings(
                ds.read_raw::<VarLenUnicode>()
                    .map_err(bad)?
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            ),
            TypeDescriptor::VarLenAscii => Values::Strings(
                ds.read_raw::<VarLenAscii>()
                    .map_err(bad)?
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            ),
            _ => return Ok(None),
        }))
    }
}

/// The group datasets of `/<kind>/<pop>/<group>/` for every group id used.
fn group_datasets(
    h: &H5,
    base: &str,
    group_ids: &[i64],
) -> Result<BTreeMap<i64, BTreeMap<String, Values>>> {
    let mut used: Vec<i64> = group_ids.to_vec();
    used.sort_unstable();
    used.dedup();
    let mut out = BTreeMap::new();
    for g in used {
        let gname = format!("{base}/{g}");
        if !h.is_group(&gname) {
            return Err(h.err(format!(
                "group id {g} is used but /{gname} does not exist; add the group or fix the \
                 group ids"
            )));
        }
        let mut sets = BTreeMap::new();
        for m in h.members(&gname)? {
            let full = format!("{gname}/{m}");
            if h.is_group(&full) {
                continue; // dynamics_params
            }
            match h.values(&full)? {
                Some(v) => {
                    sets.insert(m, v);
                }
                None => tracing::warn!(dataset = %full, "skipping a dataset of unsupported type"),
            }
        }
        out.insert(g, sets);
    }
    Ok(out)
}

/// Checks that every `index` of group `g` is a row of each of its datasets.
fn check_group_index(
    h: &H5,
    base: &str,
    what: &str,
    groups: &BTreeMap<i64, BTreeMap<String, Values>>,
    group_id: &[i64],
    group_index: &[i64],
) -> Result<()> {
    for (row, (&g, &k)) in group_id.iter().zip(group_index).enumerate() {
        for (name, v) in &groups[&g] {
            let len = match v {
                Values::Numbers(x) => x.len(),
                Values::Strings(x) => x.len(),
            };
            if k < 0 || k as usize >= len {
                return Err(h.err(format!(
                    "/{base}/{what}_group_index row {row}: index {k} is outside \
                     /{base}/{g}/{name} (0..{len}); the group datasets need one row per member"
                )));
            }
        }
    }
    Ok(())
}

fn read_population(h: &H5, pop: &str, types: &TypeTable, net: &mut Nodes) -> Result<()> {
    let base = format!("nodes/{pop}");
    let type_id = h.ints(&format!("{base}/node_type_id"))?;
    let n = type_id.len();
    let like = format!("{base}/node_type_id");
    let node_id = if h.file.link_exists(&format!("{base}/node_id")) {
        h.ints_len(&format!("{base}/node_id"), n, &like)?
    } else {
        (0..n as i64).collect()
    };
    let group_id = h.ints_len(&format!("{base}/node_group_id"), n, &like)?;
    let group_index = h.ints_len(&format!("{base}/node_group_index"), n, &like)?;
    let groups = group_datasets(h, &base, &group_id)?;
    check_group_index(h, &base, "node", &groups, &group_id, &group_index)?;
    let first = net.ids.len();
    let p = net.index.len();
    let mut index = HashMap::with_capacity(n);
    for (row, &id) in node_id.iter().enumerate() {
        if index.insert(id, (first + row) as u32).is_some() {
            return Err(h.err(format!(
                "/{base}/node_id row {row}: node id {id} appears twice; node ids must be unique"
            )));
        }
    }
    net.ids.extend(node_id.iter().map(|&id| id + net.offset));
    net.offset += node_id.iter().max().map_or(0, |m| m + 1);
    net.population.extend(std::iter::repeat_n(p as u16, n));
    let pop_col = types.column("population");
    let type_cols: Vec<(usize, String)> = types
        .columns
        .iter()
        .enumerate()
        .filter(|(k, c)| *c != "node_type_id" && Some(*k) != pop_col)
        .map(|(k, c)| (k, c.clone()))
        .collect();
    for (row, &t) in type_id.iter().enumerate() {
        let fields = types.row(t, &format!("/{base}/node_type_id row {row}"))?;
        for (k, name) in &type_cols {
            if !fields[*k].is_empty() {
                net.attr(name).set_text(first + row, &fields[*k]);
            }
        }
        for (name, v) in &groups[&group_id[row]] {
            let k = group_index[row] as usize;
            let attr = net.attr(name);
            match v {
                Values::Numbers(x) => attr.set(first + row, Cell::Number(x[k])),
                Values::Strings(x) => {
                    let c = attr.labels.code(x[k].as_bytes());
                    attr.set(first + row, Cell::Text(c))
                }
            }
        }
    }
    net.index.push((pop.to_owned(), index));
    Ok(())
}

/// The edge population to read.
fn edge_population(h: &H5, o: &Options) -> Result<String> {
    let pops = h.members("edges")?;
    match (&o.edge_population, pops.len()) {
        (Some(p), _) if pops.contains(p) => Ok(p.clone()),
        (None, 1) => Ok(pops[0].clone()),
        (want, _) => Err(h.err(format!(
            "{}; the file has edge populations: {} (choose one with --edge-population)",
            want.as_ref()
                .map_or("several edge populations".to_owned(), |p| format!(
                    "no edge population {p:?}"
                )),
            pops.join(", ")
        ))),
    }
}

/// Dense indices of the node ids of dataset `name` in the population its `node_population`
/// attribute names.
fn endpoints(h: &H5, name: &str, net: &Nodes) -> Result<Vec<u32>> {
    let ids = h.ints(name)?;
    let pop = h
        .dataset(name)?
        .attr("node_population")
        .ok()
        .and_then(|a| read_str_attr(&a));
    let index = match (pop, net.index.len()) {
        (Some(p), _) => net.index.iter().find(|(q, _)| *q == p).ok_or_else(|| {
            h.err(format!(
                "/{name}: node_population {p:?} is not in the nodes file (it has {})",
                net.index
                    .iter()
                    .map(|(q, _)| q.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        (None, 1) => &net.index[0],
        (None, _) => {
            return Err(h.err(format!(
                "/{name} has no attribute node_population and the nodes file has several \
                 populations; add the attribute"
            )));
        }
    };
    ids.iter()
        .enumerate()
        .map(|(row, id)| {
            index.1.get(id).copied().ok_or_else(|| {
                h.err(format!(
                    "/{name} row {row}: node id {id} is not in node population {:?}",
                    index.0
                ))
            })
        })
        .collect()
}

/// One per-edge property (`syn_weight`, `delay`, `nsyns`) from groups or edge types; `None`
/// when no edge has it; an error when some have it and others not.
fn edge_property(
    h: &H5,
    base: &str,
    name: &str,
    groups: &BTreeMap<i64, BTreeMap<String, Values>>,
    types: &TypeTable,
    rows: (&[i64], &[i64], &[i64]),
) -> Result<Option<Vec<f64>>> {
    let (type_id, group_id, group_index) = rows;
    let type_col = types.column(name);
    let in_groups = groups.values().any(|g| g.contains_key(name));
    if type_col.is_none() && !in_groups {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(type_id.len());
    for row in 0..type_id.len() {
        let own = match groups[&group_id[row]].get(name) {
            Some(Values::Numbers(x)) => Some(x[group_index[row] as usize]),
            Some(Values::Strings(_)) => {
                return Err(h.err(format!(
                    "/{base}/{}/{name} must hold numbers",
                    group_id[row]
                )));
            }
            None => None,
        };
        let v = match (own, type_col) {
            (Some(x), _) => x,
            (None, Some(k)) => {
                let f = &types.row(type_id[row], &format!("/{base}/edge_type_id row {row}"))?[k];
                f.parse::<f64>().map_err(|_| Error::Data {
                    path: types.path.clone(),
                    message: format!(
                        "column `{name}` of edge type {}: {f:?} is not a number",
                        type_id[row]
                    ),
                })?
            }
            (None, None) => {
                return Err(h.err(format!(
                    "edge row {row}: no {name} in /{base}/{} nor in the edge types; give it \
                     for every edge or for none",
                    group_id[row]
                )));
            }
        };
        out.push(v);
    }
    Ok(Some(out))
}

/// Checks a property's values; the message names the first bad edge and the rule.
fn check(
    h: &H5,
    name: &str,
    v: &Option<Vec<f64>>,
    ok: impl Fn(f64) -> bool,
    rule: &str,
) -> Result<()> {
    if let Some(v) = v
        && let Some(row) = v.iter().position(|&x| !ok(x))
    {
        return Err(h.err(format!("edge row {row}: {name} = {}; {rule}", v[row])));
    }
    Ok(())
}

fn read_edges(h: &H5, o: &Options, types: &TypeTable, net: &Nodes) -> Result<(Edges, Vec<i64>)> {
    let pop = edge_population(h, o)?;
    let base = format!("edges/{pop}");
    let pre = endpoints(h, &format!("{base}/source_node_id"), net)?;
    let m = pre.len();
    let like = format!("{base}/source_node_id");
    let post = endpoints(h, &format!("{base}/target_node_id"), net)?;
    if post.len() != m {
        return Err(h.err(format!(
            "/{base}/target_node_id has {} rows but /{like} has {m}; one row per edge",
            post.len()
        )));
    }
    let type_id = h.ints_len(&format!("{base}/edge_type_id"), m, &like)?;
    let group_id = h.ints_len(&format!("{base}/edge_group_id"), m, &like)?;
    let group_index = h.ints_len(&format!("{base}/edge_group_index"), m, &like)?;
    let groups = group_datasets(h, &base, &group_id)?;
    check_group_index(h, &base, "edge", &groups, &group_id, &group_index)?;
    let rows = (&type_id[..], &group_id[..], &group_index[..]);
    let weight = edge_property(h, &base, "syn_weight", &groups, types, rows)?;
    let delay = edge_property(h, &base, "delay", &groups, types, rows)?;
    let nsyns = edge_property(h, &base, "nsyns", &groups, types, rows)?;
    check(
        h,
        "syn_weight",
        &weight,
        f64::is_finite,
        "weights must be finite",
    )?;
    check(
        h,
        "delay",
        &delay,
        |d| d.is_finite() && d > 0.0,
        "delays (ms) must be finite and > 0",
    )?;
    check(
        h,
        "nsyns",
        &nsyns,
        |c| c >= 1.0 && c.fract() == 0.0 && c <= u32::MAX as f64,
        "synapse counts are whole numbers ≥ 1",
    )?;
    let to_f32 = |v: Option<Vec<f64>>| v.map(|v| v.into_iter().map(|x| x as f32).collect());
    let edges = Edges {
        pre,
        post,
        count: nsyns.map(|v| v.into_iter().map(|x| x as u32).collect()),
        weight: to_f32(weight),
        delay_ms: to_f32(delay),
        transmitter: None,
        transmitter_labels: Vec::new(),
    };
    Ok((edges, type_id))
}

#[cfg(test)]
mod tests {
    use super::split_fields;

    #[test]
    fn sonata_csv_fields_split_on_runs_of_spaces_with_quotes() {
        assert_eq!(
            split_fields(r#"100  point_process "nest:iaf psc" "a ""b""" 0.5"#).unwrap(),
            vec!["100", "point_process", "nest:iaf psc", r#"a "b""#, "0.5"]
        );
        assert!(split_fields(r#"1 "open"#).is_err());
    }
}

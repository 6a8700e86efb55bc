//! Connectome files: the HDF5 schema (version 1), reading with full validation, writing.
//!
//! ```text
//! /                     attrs: format = "hebb-connectome", version = 1, name, source, license
//! /neurons/id           int64[N]   external ids, unique
//! /neurons/<column>     optional annotations, length N: integer codes (labels in a JSON
//!                       attribute `labels`, or a companion dataset /neurons/<column>_names),
//!                       floats, or strings
//! /synapses/pre         int64[M]   external id of the presynaptic neuron
//! /synapses/post        int64[M]   external id of the postsynaptic neuron
//! /synapses/count       int[M]     optional: synapses per connection (≥ 1)
//! /synapses/weight      float[M]   optional: explicit weight (finite)
//! /synapses/delay       float[M]   optional: delay in ms (finite, > 0)
//! /synapses/nt_type     int[M]     optional: transmitter code (also read as /synapses/nt, the
//!                                  fly-style name); labels as for annotations, else
//!                                  /meta/nt_labels, else [`TRANSMITTERS`]
//! ```
//!
//! Files in the fly-style layout of published exports (FlyWire, larva, C. elegans) read as they
//! are: they have the same `/neurons/id` and `/synapses/{pre,post,count,nt}`; their extra
//! `/synapses/{pre_idx,post_idx,sign}` are derived data and ignored (without `pre`/`post`,
//! `pre_idx`/`post_idx` are used). Datasets may be chunked and gzip-compressed.

use super::{Annotation, Column, Connectome, Edges, IntHash, Provenance, TRANSMITTERS};
use crate::error::{Error, Result};
use crate::h5::{create_output, open_input, write_str_attr};
use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// The value of the root attribute `format`.
pub const FORMAT: &str = "hebb-connectome";
/// The schema version written.
pub const VERSION: i64 = 1;

struct Reader<'a> {
    path: &'a Path,
    file: hdf5::File,
}

impl<'a> Reader<'a> {
    fn open(path: &'a Path) -> Result<Reader<'a>> {
        let file = open_input(path).map_err(|e| Error::Hdf5 {
            path: path.to_owned(),
            message: format!("cannot open as HDF5: {e}; is this a connectome file?"),
        })?;
        Ok(Reader { path, file })
    }

    fn err(&self, message: String) -> Error {
        Error::Hdf5 {
            path: self.path.to_owned(),
            message,
        }
    }

    fn has(&self, name: &str) -> bool {
        self.file.link_exists(name)
    }

    fn dataset(&self, name: &str) -> Result<hdf5::Dataset> {
        self.file.dataset(name).map_err(|e| {
            self.err(format!(
                "cannot open dataset /{name}: {e}; a connectome needs /neurons/id and \
                 /synapses/pre, /synapses/post (see connectomes/SCHEMA.md)"
            ))
        })
    }

    /// A one-dimensional dataset as `T` (integer widening and float conversion allowed).
    fn read<T: hdf5::H5Type>(&self, name: &str, what: &str) -> Result<Vec<T>> {
        let ds = self.dataset(name)?;
        if ds.ndim() != 1 {
            return Err(self.err(format!(
                "dataset /{name} has {} dimensions; it must be one-dimensional",
                ds.ndim()
            )));
        }
        ds.read_raw::<T>()
            .map_err(|e| self.err(format!("dataset /{name} must hold {what}: {e}")))
    }

    /// An integer column of `n` rows, each value `x` (widened to i64) turned into `T` by
    /// `f(row, x)`. Types of up to 32 bits are read as such, not as i64: 15 M counts or
    /// transmitter codes then need 60 MB of temporary instead of 120 MB.
    fn read_ints<T>(
        &self,
        name: &str,
        what: &str,
        n: usize,
        f: impl Fn(usize, i64) -> Result<T>,
    ) -> Result<Vec<T>> {
        use hdf5::types::IntSize;
        let narrow = self
            .dataset(name)?
            .dtype()
            .and_then(|t| t.to_descriptor())
            .ok();
        let map = |v: Vec<i64>| {
            v.into_iter()
                .enumerate()
                .map(|(row, x)| f(row, x))
                .collect()
        };
        match narrow {
            Some(TypeDescriptor::Unsigned(IntSize::U1 | IntSize::U2 | IntSize::U4)) => self
                .read_len::<u32>(name, what, n)?
                .into_iter()
                .enumerate()
                .map(|(row, x)| f(row, i64::from(x)))
                .collect(),
            Some(TypeDescriptor::Integer(IntSize::U1 | IntSize::U2 | IntSize::U4)) => self
                .read_len::<i32>(name, what, n)?
                .into_iter()
                .enumerate()
                .map(|(row, x)| f(row, i64::from(x)))
                .collect(),
            _ => map(self.read_len::<i64>(name, what, n)?),
        }
    }

    fn read_len<T: hdf5::H5Type>(&self, name: &str, what: &str, n: usize) -> Result<Vec<T>> {
        let v = self.read::<T>(name, what)?;
        self.check_len(name, v.len(), n)?;
        Ok(v)
    }

    /// Dataset `name` must have `n` rows (one per neuron or per connection).
    fn check_len(&self, name: &str, len: usize, n: usize) -> Result<()> {
        if len != n {
            return Err(self.err(format!(
                "dataset /{name} has {len} rows but {n} are needed (one per {})",
                if name.starts_with("neurons") {
                    "neuron, as /neurons/id"
                } else {
                    "connection, as /synapses/pre"
                }
            )));
        }
        Ok(())
    }

    /// The optional float column `name` (`m` rows), each value passing `ok`; the error
    /// message gives the first failing row and `rule`.
    fn floats_where(
        &self,
        name: &str,
        what: &str,
        m: usize,
        ok: impl Fn(f32) -> bool,
        rule: &str,
    ) -> Result<Option<Vec<f32>>> {
        if !self.has(name) {
            return Ok(None);
        }
        let v: Vec<f32> = self.read_len(name, what, m)?;
        if let Some(row) = v.iter().position(|&x| !ok(x)) {
            return Err(self.err(format!("/{name} row {row}: {}; {rule}", v[row])));
        }
        Ok(Some(v))
    }

    fn strings(&self, name: &str) -> Result<Vec<String>> {
        let ds = self.dataset(name)?;
        let d = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| self.err(format!("dataset /{name}: unreadable type: {e}")))?;
        let bad = |e: hdf5::Error| self.err(format!("dataset /{name}: cannot read strings: {e}"));
        Ok(match d {
            TypeDescriptor::VarLenUnicode => ds
                .read_raw::<VarLenUnicode>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            TypeDescriptor::VarLenAscii => ds
                .read_raw::<VarLenAscii>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            other => {
                return Err(self.err(format!(
                    "dataset /{name} has type {other:?}; expected variable-length strings"
                )));
            }
        })
    }

    /// Labels of a code column: JSON attribute `labels`, or `<name>_names`.
    fn labels(&self, name: &str) -> Result<Vec<String>> {
        let ds = self.dataset(name)?;
        if let Ok(a) = ds.attr("labels") {
            let json = read_str_attr(&a).ok_or_else(|| {
                self.err(format!("attribute `labels` of /{name} is not a string"))
            })?;
            return serde_json::from_str(&json).map_err(|e| {
                self.err(format!(
                    "attribute `labels` of /{name} must be a JSON list of strings: {e}"
                ))
            });
        }
        let names = format!("{name}_names");
        if self.has(&names) {
            return self.strings(&names);
        }
        Ok(Vec::new())
    }

    fn root_str(&self, name: &str) -> Option<String> {
        self.file.attr(name).ok().and_then(|a| read_str_attr(&a))
    }
}

pub(crate) fn read_str_attr(a: &hdf5::Attribute) -> Option<String> {
    if let Ok(s) = a.read_scalar::<VarLenUnicode>() {
        return Some(s.as_str().to_owned());
    }
    a.read_scalar::<VarLenAscii>()
        .ok()
        .map(|s| s.as_str().to_owned())
}

/// Reads and validates a connectome file. Errors name the file, the dataset and the first
/// offending row: missing datasets, unequal lengths, duplicate or unknown ids, counts below 1,
/// NaN/inf weights, delays that are not positive.
pub fn read(path: &Path) -> Result<Connectome> {
    let r = Reader::open(path)?;
    let format = r.root_str("format");
    if let Some(f) = &format
        && f != FORMAT
    {
        return Err(r.err(format!(
            "root attribute format = {f:?}; a connectome file has {FORMAT:?} (or no format \
             attribute, for fly-style exports)"
        )));
    }
    // Fly-style exports (no `format`) use `version` for their release name.
    if let Ok(a) = r.file.attr("version")
        && format.is_some()
    {
        let v: i64 = a
            .read_scalar()
            .map_err(|e| r.err(format!("root attribute `version` must be an integer: {e}")))?;
        if v != VERSION {
            return Err(r.err(format!(
                "schema version {v}; this hebb reads version {VERSION}"
            )));
        }
    }
    let provenance = provenance(&r, path);
    let ids: Vec<i64> = r.read("neurons/id", "integer neuron ids")?;
    let n = ids.len();
    let index = index_ids(&r, &ids)?;
    let annotations = read_annotations(&r, n)?;
    let edges = read_edges(&r, &index, n)?;
    Ok(Connectome {
        provenance,
        ids,
        annotations,
        edges,
    })
}

fn provenance(r: &Reader, path: &Path) -> Provenance {
    Provenance {
        name: r.root_str("name").unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        source: r.root_str("source").unwrap_or_default(),
        license: r.root_str("license").unwrap_or_default(),
    }
}

/// The row of every id; ids must be unique and fewer than 2^32.
fn index_ids(r: &Reader, ids: &[i64]) -> Result<HashMap<i64, u32, IntHash>> {
    let n = ids.len();
    if u32::try_from(n).is_err() {
        return Err(r.err(format!(
            "/neurons/id has {n} rows; at most 2^32 − 1 neurons"
        )));
    }
    let mut index: HashMap<i64, u32, IntHash> =
        HashMap::with_capacity_and_hasher(n, IntHash::default());
    for (row, &id) in ids.iter().enumerate() {
        if let Some(first) = index.insert(id, row as u32) {
            return Err(r.err(format!(
                "/neurons/id: id {id} appears twice (rows {first} and {row}); ids must be unique"
            )));
        }
    }
    Ok(index)
}

fn read_annotations(r: &Reader, n: usize) -> Result<Vec<Annotation>> {
    let group = r
        .file
        .group("neurons")
        .map_err(|e| r.err(format!("cannot open group /neurons: {e}")))?;
    let mut names = group
        .member_names()
        .map_err(|e| r.err(format!("cannot list /neurons: {e}")))?;
    names.sort();
    let companion = |name: &str| {
        name.strip_suffix("_names")
            .is_some_and(|base| names.iter().any(|m| m == base))
    };
    let wanted: Vec<String> = names
        .iter()
        .filter(|m| *m != "id" && !companion(m) && r.file.group(&format!("neurons/{m}")).is_err())
        .cloned()
        .collect();
    read_annotations_named(r, n, &wanted)
}

fn read_annotations_named(r: &Reader, n: usize, names: &[String]) -> Result<Vec<Annotation>> {
    let mut out = Vec::new();
    for name in names {
        let full = format!("neurons/{name}");
        let ds = r.dataset(&full)?;
        let d = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| r.err(format!("dataset /{full}: unreadable type: {e}")))?;
        let column = match d {
            TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) | TypeDescriptor::Boolean => {
                Column::Codes {
                    codes: r.read_len(&full, "integers", n)?,
                    labels: r.labels(&full)?,
                }
            }
            TypeDescriptor::Float(_) => Column::Numbers(r.read_len(&full, "numbers", n)?),
            TypeDescriptor::VarLenUnicode | TypeDescriptor::VarLenAscii => {
                let s = r.strings(&full)?;
                r.check_len(&full, s.len(), n)?;
                Column::Text(s)
            }
            other => {
                tracing::warn!(dataset = %full, "skipping annotation of type {other:?}");
                continue;
            }
        };
        out.push(Annotation {
            name: name.clone(),
            column,
        });
    }
    Ok(out)
}

fn read_edges(r: &Reader, index: &HashMap<i64, u32, IntHash>, n: usize) -> Result<Edges> {
    let (pre, post) = if r.has("synapses/pre") || !r.has("synapses/pre_idx") {
        // Ids to rows: one hash lookup per connection (IntHash; with std's SipHash this was
        // two thirds of loading FlyWire's 15 M connections), skipped when an id repeats the
        // previous row's (files sorted by pre).
        let map = |name: &str, len: Option<usize>| -> Result<Vec<u32>> {
            let full = format!("synapses/{name}");
            let ids: Vec<i64> = match len {
                Some(m) => r.read_len(&full, "integer neuron ids", m)?,
                None => r.read(&full, "integer neuron ids")?,
            };
            let mut out = Vec::with_capacity(ids.len());
            let mut last = None;
            for (row, &id) in ids.iter().enumerate() {
                let i = match last {
                    Some((prev, i)) if prev == id => i,
                    _ => *index.get(&id).ok_or_else(|| {
                        r.err(format!(
                            "/synapses/{name} row {row}: id {id} is not in /neurons/id; add the \
                             neuron or drop the connection"
                        ))
                    })?,
                };
                last = Some((id, i));
                out.push(i);
            }
            Ok(out)
        };
        let pre = map("pre", None)?;
        let post = map("post", Some(pre.len()))?;
        (pre, post)
    } else {
        let pre: Vec<i64> = r.read("synapses/pre_idx", "integer row indices")?;
        let post: Vec<i64> = r.read_len("synapses/post_idx", "integer row indices", pre.len())?;
        let check = |name: &str, v: Vec<i64>| -> Result<Vec<u32>> {
            v.into_iter()
                .enumerate()
                .map(|(row, i)| {
                    if i < 0 || i as usize >= n {
                        Err(r.err(format!(
                            "/synapses/{name} row {row}: index {i} is outside /neurons/id \
                             (0..{n})"
                        )))
                    } else {
                        Ok(i as u32)
                    }
                })
                .collect()
        };
        (check("pre_idx", pre)?, check("post_idx", post)?)
    };
    let m = pre.len();
    let count = if r.has("synapses/count") {
        Some(
            r.read_ints("synapses/count", "integer synapse counts", m, |row, x| {
                u32::try_from(x).ok().filter(|&c| c >= 1).ok_or_else(|| {
                    r.err(format!(
                        "/synapses/count row {row}: {x} synapses; a connection has at least 1 \
                         (drop the row)"
                    ))
                })
            })?,
        )
    } else {
        None
    };
    let weight = r.floats_where(
        "synapses/weight",
        "numbers",
        m,
        f32::is_finite,
        "weights must be finite numbers",
    )?;
    let delay_ms = r.floats_where(
        "synapses/delay",
        "numbers (ms)",
        m,
        |d| d.is_finite() && d > 0.0,
        "delays (ms) must be finite and > 0",
    )?;
    let nt_name = ["synapses/nt_type", "synapses/nt"]
        .into_iter()
        .find(|x| r.has(x));
    let (transmitter, transmitter_labels) = match nt_name {
        Some(name) => {
            let codes: Vec<u8> = r.read_ints(name, "integer transmitter codes", m, |row, x| {
                u8::try_from(x)
                    .map_err(|_| r.err(format!("/{name} row {row}: code {x} is outside 0..=255")))
            })?;
            let mut labels = r.labels(name)?;
            if labels.is_empty() && r.has("meta/nt_labels") {
                labels = r.strings("meta/nt_labels")?;
            }
            if labels.is_empty() {
                labels = TRANSMITTERS.iter().map(|s| s.to_string()).collect();
            }
            (Some(codes), labels)
        }
        None => (None, Vec::new()),
    };
    Ok(Edges {
        pre,
        post,
        count,
        weight,
        delay_ms,
        transmitter,
        transmitter_labels,
    })
}

/// Reads only the annotation column `/neurons/<name>` of a connectome file (e.g. a per-neuron
/// parameter), checked against the length of `/neurons/id`.
pub fn read_column(path: &Path, name: &str) -> Result<Column> {
    let r = Reader::open(path)?;
    let n = r.dataset("neurons/id")?.size();
    let full = format!("neurons/{name}");
    if name == "id" || !r.has(&full) {
        let mut have: Vec<String> = r
            .file
            .group("neurons")
            .and_then(|g| g.member_names())
            .unwrap_or_default();
        have.retain(|m| m != "id");
        return Err(r.err(format!(
            "no annotation column /{full}; the file has: {}",
            if have.is_empty() {
                "none".to_owned()
            } else {
                have.join(", ")
            }
        )));
    }
    read_annotations_named(&r, n, &[name.to_owned()])?
        .pop()
        .map(|a| a.column)
        .ok_or_else(|| r.err(format!("/{full} is neither numbers, codes nor strings")))
}

/// Reads `/neurons/id` (checked unique) and, if the file has it, the annotation column
/// `/neurons/<name>` of a connectome file.
pub fn read_ids_and_column(path: &Path, name: &str) -> Result<(Vec<i64>, Option<Column>)> {
    let r = Reader::open(path)?;
    let ids: Vec<i64> = r.read("neurons/id", "integer neuron ids")?;
    index_ids(&r, &ids)?;
    let column = if r.has(&format!("neurons/{name}")) {
        read_annotations_named(&r, ids.len(), &[name.to_owned()])?
            .pop()
            .map(|a| a.column)
    } else {
        None
    };
    Ok((ids, column))
}

/// The provenance (root attributes `name`, `source`, `license`) of a connectome file.
pub fn read_provenance(path: &Path) -> Result<Provenance> {
    let r = Reader::open(path)?;
    Ok(provenance(&r, path))
}

/// Writes `c` in the schema (version 1), gzip-compressed in chunks of 65,536 rows.
pub fn write(path: &Path, c: &Connectome) -> Result<()> {
    write_with(path, c, &[])
}

/// Writes `c` as [`write`] does, plus per-connection annotation columns `/synapses/<name>`
/// (one entry per connection; [`read`] ignores them).
pub fn write_with(path: &Path, c: &Connectome, connection_columns: &[Annotation]) -> Result<()> {
    let err = |what: &str, e: hdf5::Error| Error::Hdf5 {
        path: path.to_owned(),
        message: format!("{what}: {e}"),
    };
    let file = create_output(path).map_err(|e| err("cannot create", e))?;
    let root: &hdf5::Location = &file;
    write_str_attr(root, "format", FORMAT).map_err(|e| err("attribute format", e))?;
    root.new_attr::<i64>()
        .shape(())
        .create("version")
        .and_then(|a| a.write_scalar(&VERSION))
        .map_err(|e| err("attribute version", e))?;
    let p = &c.provenance;
    for (k, v) in [
        ("name", &p.name),
        ("source", &p.source),
        ("license", &p.license),
    ] {
        write_str_attr(root, k, v).map_err(|e| err(k, e))?;
    }
    let ids_of = |v: &[u32]| v.iter().map(|&i| c.ids[i as usize]).collect::<Vec<i64>>();
    put(&file, "neurons/id", &c.ids).map_err(|e| err("/neurons/id", e))?;
    for a in &c.annotations {
        let name = format!("neurons/{}", a.name);
        put_column(&file, &name, &a.column).map_err(|e| err(&name, e))?;
    }
    let ed = &c.edges;
    put(&file, "synapses/pre", &ids_of(&ed.pre)).map_err(|e| err("/synapses/pre", e))?;
    put(&file, "synapses/post", &ids_of(&ed.post)).map_err(|e| err("/synapses/post", e))?;
    if let Some(x) = &ed.count {
        put(&file, "synapses/count", x).map_err(|e| err("/synapses/count", e))?;
    }
    if let Some(x) = &ed.weight {
        put(&file, "synapses/weight", x).map_err(|e| err("/synapses/weight", e))?;
    }
    if let Some(x) = &ed.delay_ms {
        let ds = put(&file, "synapses/delay", x).map_err(|e| err("/synapses/delay", e))?;
        write_str_attr(&ds, "unit", "ms").map_err(|e| err("/synapses/delay", e))?;
    }
    if let Some(x) = &ed.transmitter {
        let ds = put(&file, "synapses/nt_type", x).map_err(|e| err("/synapses/nt_type", e))?;
        let json = serde_json::to_string(&ed.transmitter_labels).expect("strings serialise");
        write_str_attr(&ds, "labels", &json).map_err(|e| err("/synapses/nt_type", e))?;
    }
    for a in connection_columns {
        let name = format!("synapses/{}", a.name);
        if a.column.len() != ed.len() {
            return Err(err(
                &name,
                format!("{} rows for {} connections", a.column.len(), ed.len())
                    .as_str()
                    .into(),
            ));
        }
        put_column(&file, &name, &a.column).map_err(|e| err(&name, e))?;
    }
    Ok(())
}

/// Writes an annotation column: codes (labels as a JSON attribute), numbers or strings.
fn put_column(file: &hdf5::File, name: &str, column: &Column) -> hdf5::Result<()> {
    match column {
        Column::Codes { codes, labels } => {
            let ds = put(file, name, codes)?;
            if !labels.is_empty() {
                let json = serde_json::to_string(labels).expect("strings serialise");
                write_str_attr(&ds, "labels", &json)?;
            }
        }
        Column::Numbers(x) => {
            put(file, name, x)?;
        }
        Column::Text(x) => {
            let v = x
                .iter()
                .map(|s| {
                    VarLenUnicode::from_str(s)
                        .map_err(|e| hdf5::Error::from(e.to_string().as_str()))
                })
                .collect::<hdf5::Result<Vec<_>>>()?;
            put(file, name, &v)?;
        }
    }
    Ok(())
}

/// Creates a one-dimensional dataset (and its group), chunked and compressed when not empty.
fn put<T: hdf5::H5Type>(file: &hdf5::File, name: &str, data: &[T]) -> hdf5::Result<hdf5::Dataset> {
    if let Some((group, _)) = name.split_once('/')
        && !file.link_exists(group)
    {
        file.create_group(group)?;
    }
    let view = ndarray::ArrayView1::from(data);
    let b = file.new_dataset_builder();
    let b = if data.is_empty() {
        b.with_data(view)
    } else {
        // Deflate level 1, no byte shuffle. At FlyWire scale (15 M connections) level 1 writes
        // in 6.0 s instead of 7.4 s (level 4) for a 6 % larger file (72 vs 68 MB) and loads
        // as fast; the shuffle filter makes the file 25 % smaller (51 MB) but loading 25 %
        // slower (1.9 vs 1.5 s of CPU), and loading is what is repeated.
        b.chunk(data.len().min(1 << 16)).deflate(1).with_data(view)
    };
    b.create(name)
}

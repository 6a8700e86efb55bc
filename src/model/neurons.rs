//! Populations made from connectome files, and neuron selections.
//!
//! A population with `connectome = "file.h5"` has one neuron per row of the file's
//! `/neurons/id` (or per row its `select` picks), keeps the rows it came from, and so has
//! external ids and annotations. Stimuli, probes, `[[set]]` and `[[silence]]` pick neurons of a
//! population with a [`Selection`]: external ids (listed or from a file), indices, or
//! annotation labels. Every file is read once per build ([`Connectomes`]).

use super::Model;
use super::spec::Selection;
use crate::connectome::Connectome;
use crate::error::{Error, Result};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use toml::Spanned;

/// A connectome file read by a build.
pub struct Loaded {
    /// The resolved path.
    pub path: PathBuf,
    /// Its contents.
    pub connectome: Connectome,
}

/// The connectome files of a model, each read once.
#[derive(Default)]
pub struct Connectomes {
    files: Vec<Loaded>,
}

impl Connectomes {
    /// The index of `file` (relative to the model file), reading it the first time.
    pub fn load(&mut self, model: &Model, file: &str) -> Result<usize> {
        let path = model.resolve(file);
        if let Some(k) = self.files.iter().position(|l| l.path == path) {
            return Ok(k);
        }
        let connectome = crate::connectome::file::read(&path)?;
        self.files.push(Loaded { path, connectome });
        Ok(self.files.len() - 1)
    }

    /// Frees every file's connections once they are wired (ids and annotations stay, for
    /// selections and reports).
    pub fn drop_edges(&mut self) {
        for l in &mut self.files {
            l.connectome.edges = Default::default();
        }
    }

    /// File `k`.
    pub fn get(&self, k: usize) -> &Loaded {
        &self.files[k]
    }

    /// Every file read so far.
    pub fn files(&self) -> impl Iterator<Item = &crate::connectome::Connectome> {
        self.files.iter().map(|l| &l.connectome)
    }
}

/// The rows of a connectome file a population's neurons come from (neuron `l` is row
/// `rows[l]` of file `file`).
#[derive(Clone, Debug)]
pub struct ConnectomeRows {
    /// Index into the build's [`Connectomes`].
    pub file: usize,
    /// One row per neuron, ascending.
    pub rows: Vec<u32>,
}

/// The neurons a selection can pick from.
pub struct Domain<'a> {
    /// Population name (for messages).
    pub name: &'a str,
    /// Number of neurons.
    pub n: usize,
    /// The connectome and rows, if the population has them.
    pub source: Option<(&'a Loaded, Option<&'a [u32]>)>,
}

impl Domain<'_> {
    fn row(&self, l: usize) -> usize {
        match self.source {
            Some((_, Some(rows))) => rows[l] as usize,
            _ => l,
        }
    }
}

/// The neurons of `dom` that `sel` picks: local indices, ascending, at least one.
pub fn select(model: &Model, sel: &Spanned<Selection>, dom: &Domain) -> Result<Vec<u32>> {
    let span = sel.span();
    let s = sel.get_ref();
    let err = |m: String| model.error_at(span.clone(), m);
    let mut keep: Vec<bool> = vec![true; dom.n];
    let needs_connectome = |key: &str| {
        err(format!(
            "`{key}` selects by connectome data, but population `{}` was not made from a \
             connectome file; use `indices`, or give the population `connectome = \"….h5\"`",
            dom.name
        ))
    };
    let mut ids: Vec<(i64, String)> = Vec::new();
    if let Some(list) = &s.ids {
        ids.extend(list.iter().map(|&i| (i, "`ids`".to_owned())));
    }
    if let Some(file) = &s.file {
        let path = model.resolve(file);
        ids.extend(read_id_file(&path)?);
    }
    if s.ids.is_some() || s.file.is_some() {
        let (loaded, _) = dom.source.ok_or_else(|| needs_connectome("ids"))?;
        // One pass over the population with a set of the (few) wanted ids.
        let mut wanted: HashMap<i64, (&str, bool)> = HashMap::with_capacity(ids.len());
        for (id, whence) in &ids {
            wanted.insert(*id, (whence.as_str(), false));
        }
        let mut picked = vec![false; dom.n];
        for (l, p) in picked.iter_mut().enumerate() {
            if let Some(w) = wanted.get_mut(&loaded.connectome.ids[dom.row(l)]) {
                w.1 = true;
                *p = true;
            }
        }
        if let Some((id, whence)) = ids.iter().find(|(id, _)| !wanted[id].1) {
            return Err(err(format!(
                "neuron id {id} ({whence}) is not a neuron of population `{}` ({} neurons \
                 from {}); check the id against the file's /neurons/id",
                dom.name,
                dom.n,
                loaded.path.display()
            )));
        }
        and(&mut keep, &picked);
    }
    if let Some(list) = &s.indices {
        let mut picked = vec![false; dom.n];
        for &i in list {
            if i as usize >= dom.n {
                return Err(err(format!(
                    "index {i} is outside population `{}` (size {})",
                    dom.name, dom.n
                )));
            }
            picked[i as usize] = true;
        }
        and(&mut keep, &picked);
    }
    if let Some(wh) = &s.where_ {
        let (loaded, _) = dom.source.ok_or_else(|| needs_connectome("where"))?;
        let c = &loaded.connectome;
        for (name, want) in wh {
            let col = c.annotation(name).ok_or_else(|| {
                let known: Vec<&str> = c.annotations.iter().map(|a| a.name.as_str()).collect();
                err(format!(
                    "{} has no annotation `{name}`; its columns: {}",
                    loaded.path.display(),
                    known.join(", ")
                ))
            })?;
            let want: BTreeSet<String> = want.labels().into_iter().collect();
            for w in &want {
                if !(0..c.n_neurons()).any(|r| &col.label(r) == w) {
                    let mut seen = BTreeSet::new();
                    for r in 0..c.n_neurons() {
                        if seen.len() >= 12 {
                            break;
                        }
                        seen.insert(col.label(r));
                    }
                    let seen: Vec<String> = seen.into_iter().collect();
                    return Err(err(format!(
                        "no neuron of {} has {name} = `{w}`; labels of {name} include: {}",
                        loaded.path.display(),
                        seen.join(", ")
                    )));
                }
            }
            let picked: Vec<bool> = (0..dom.n)
                .map(|l| want.contains(&col.label(dom.row(l))))
                .collect();
            and(&mut keep, &picked);
        }
    }
    let out: Vec<u32> = (0..dom.n as u32).filter(|&l| keep[l as usize]).collect();
    if out.is_empty() {
        return Err(err(format!(
            "this selection picks no neuron of population `{}`",
            dom.name
        )));
    }
    Ok(out)
}

fn and(keep: &mut [bool], picked: &[bool]) {
    for (k, p) in keep.iter_mut().zip(picked) {
        *k &= *p;
    }
}

/// External ids from a text file: one per line, `#` comments, an optional header.
fn read_id_file(path: &std::path::Path) -> Result<Vec<(i64, String)>> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let field = line.split('#').next().unwrap_or("");
        let field = field.split(',').next().unwrap_or("").trim();
        if field.is_empty() {
            continue;
        }
        match field.parse::<i64>() {
            Ok(id) => out.push((id, format!("line {} of {}", k + 1, path.display()))),
            Err(_) if out.is_empty() && k == 0 => {} // a header
            Err(_) => {
                return Err(Error::Data {
                    path: path.to_owned(),
                    message: format!(
                        "line {}: `{field}` is not a neuron id; the file lists one integer id per line",
                        k + 1
                    ),
                });
            }
        }
    }
    Ok(out)
}

//! neuPrint flat exports (the hemibrain's `exported-traced-adjacencies`, the MANC's
//! `traced-adjacencies`).
//!
//! | file | columns read | becomes |
//! |---|---|---|
//! | `traced-neurons.csv` | `bodyId`, `type`, `instance` | `/neurons/id` (file order), codes `cell_type`, `instance` |
//! | `traced-total-connections.csv` | `bodyId_pre`, `bodyId_post`, `weight` (synapses) | `/synapses/{pre,post,count}` |
//! | `traced-roi-connections.csv` (with `--per-roi`) | `bodyId_pre`, `bodyId_post`, `roi`, `weight` | one connection per (pre, post, ROI) with `/synapses/roi` |
//!
//! The exports have no transmitters. ROI rows need not add up to a pair's total weight
//! (synapses outside the primary ROIs are in the total only).

use super::{
    ConnectionColumns, Field, Filter, Imported, Kind, assemble, file_names, read_connections,
    read_neurons,
};
use crate::connectome::Provenance;
use crate::error::Result;
use std::path::PathBuf;

/// What to import and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// `traced-neurons.csv`.
    pub neurons: PathBuf,
    /// `traced-total-connections.csv`, or with `per_roi` `traced-roi-connections.csv`.
    pub connections: PathBuf,
    /// The connection table has a `roi` column: keep one connection per (pre, post, ROI).
    pub per_roi: bool,
    /// Threshold, connected-only and unknown ids.
    pub filter: Filter,
    /// The connectome's name (root attribute `name`).
    pub name: String,
    /// The licence of the data (root attribute `license`).
    pub license: String,
}

/// The licence note of the hemibrain, the default of `hebb import neuprint`.
pub const LICENSE: &str = "hemibrain v1.2 (Janelia FlyEM): CC BY 4.0. Cite Scheffer et al. 2020, \
eLife 9:e57443. Other neuPrint datasets state their own terms.";

const NEURONS: &[Field] = &[
    Field {
        column: "type",
        name: "cell_type",
        kind: Kind::Labels,
    },
    Field {
        column: "instance",
        name: "instance",
        kind: Kind::Labels,
    },
];

/// Imports a neuPrint export.
pub fn import(o: &Options) -> Result<Imported> {
    let started = std::time::Instant::now();
    let neurons = read_neurons(&o.neurons, "neuPrint neuron table", "bodyId", NEURONS)?;
    let cols = ConnectionColumns {
        pre: "bodyId_pre",
        post: "bodyId_post",
        count: "weight",
        tag: o.per_roi.then_some("roi"),
        nt: None,
    };
    let rows = read_connections(
        &o.connections,
        "neuPrint connection table",
        &cols,
        &neurons.index,
        o.filter.drop_unknown,
    )?;
    let provenance = Provenance {
        name: o.name.clone(),
        source: format!(
            "neuPrint export ({}); imported by `hebb import neuprint {}{}`",
            file_names(&[&o.neurons, &o.connections]),
            o.filter.flags(),
            if o.per_roi { " --per-roi" } else { "" }
        ),
        license: o.license.clone(),
    };
    Ok(assemble(
        neurons, rows, &o.filter, "roi", started, provenance,
    ))
}

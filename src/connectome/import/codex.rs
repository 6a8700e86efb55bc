//! FlyWire Codex exports.
//!
//! | file | columns read | becomes |
//! |---|---|---|
//! | `neurons.csv.gz` | `root_id`, `group`, `nt_type`, `nt_type_score`, `da_avg`, `ser_avg`, `gaba_avg`, `glut_avg`, `ach_avg`, `oct_avg` | `/neurons/id` (file order), `group` (codes), `nt` (transmitter codes), the scores (numbers) |
//! | `classification.csv.gz` | `root_id`, `flow`, `super_class`, `class`, `sub_class`, `hemilineage`, `side`, `nerve` | codes `flow`, `super_class`, `cell_class`, `cell_sub_class`, `hemilineage`, `side`, `nerve` |
//! | `consolidated_cell_types.csv.gz` | `root_id`, `primary_type`, `additional_type(s)` | codes `cell_type`, `additional_types` |
//! | `connections.csv.gz` | `pre_root_id`, `post_root_id`, `neuropil`, `syn_count`, `nt_type` | `/synapses/{pre,post,count,nt_type}` (and `/synapses/neuropil` with `--per-neuropil`) |
//!
//! Codes have a JSON `labels` attribute; label 0 is the empty string (not annotated). A
//! connection's transmitter is its own `nt_type` (the one with most synapses when rows are
//! summed), else its presynaptic neuron's; the [`super::Report`] counts where they disagree.

use super::{
    ConnectionColumns, Field, Filter, Imported, Kind, assemble, file_names, join_annotations,
    read_connections, read_neurons,
};
use crate::connectome::Provenance;
use crate::error::Result;
use std::path::PathBuf;

/// What to import and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// `connections.csv.gz` (or any table of its columns; plain or gzip).
    pub connections: PathBuf,
    /// `neurons.csv.gz`: every neuron, one row each.
    pub neurons: PathBuf,
    /// `classification.csv.gz`, optional.
    pub classification: Option<PathBuf>,
    /// `consolidated_cell_types.csv.gz`, optional.
    pub cell_types: Option<PathBuf>,
    /// Keep one connection per (pre, post, neuropil) with a `/synapses/neuropil` column
    /// instead of summing the neuropils of a pair.
    pub per_neuropil: bool,
    /// Threshold, connected-only and unknown ids.
    pub filter: Filter,
    /// The connectome's name (root attribute `name`).
    pub name: String,
}

/// The licence note of FlyWire data.
pub const LICENSE: &str = "FlyWire data: the v783 release on Zenodo (record 10676866) states CC BY \
4.0; some FlyWire Codex pages state CC BY-NC 4.0 for the Codex exports: check the terms that apply \
to your use. Cite Dorkenwald et al. 2024, Nature 634:124 and Schlegel et al. 2024, Nature 634:139; \
transmitter predictions Eckstein et al. 2024, Cell 187:2574.";

const NEURONS: &[Field] = &[
    Field {
        column: "group",
        name: "group",
        kind: Kind::Labels,
    },
    Field {
        column: "nt_type",
        name: "nt",
        kind: Kind::Transmitter,
    },
    Field {
        column: "nt_type_score",
        name: "nt_type_score",
        kind: Kind::Numbers,
    },
    Field {
        column: "da_avg",
        name: "da_avg",
        kind: Kind::Numbers,
    },
    Field {
        column: "ser_avg",
        name: "ser_avg",
        kind: Kind::Numbers,
    },
    Field {
        column: "gaba_avg",
        name: "gaba_avg",
        kind: Kind::Numbers,
    },
    Field {
        column: "glut_avg",
        name: "glut_avg",
        kind: Kind::Numbers,
    },
    Field {
        column: "ach_avg",
        name: "ach_avg",
        kind: Kind::Numbers,
    },
    Field {
        column: "oct_avg",
        name: "oct_avg",
        kind: Kind::Numbers,
    },
];

const fn labels(column: &'static str, name: &'static str) -> Field {
    Field {
        column,
        name,
        kind: Kind::Labels,
    }
}

const CLASSIFICATION: &[Field] = &[
    labels("flow", "flow"),
    labels("super_class", "super_class"),
    labels("class", "cell_class"),
    labels("sub_class", "cell_sub_class"),
    labels("hemilineage", "hemilineage"),
    labels("side", "side"),
    labels("nerve", "nerve"),
];

const CELL_TYPES: &[Field] = &[
    labels("primary_type", "cell_type"),
    labels("additional_type(s)", "additional_types"),
];

/// Imports a Codex export.
pub fn import(o: &Options) -> Result<Imported> {
    let started = std::time::Instant::now();
    let mut neurons = read_neurons(&o.neurons, "Codex neuron table", "root_id", NEURONS)?;
    let mut skipped = 0;
    if let Some(p) = &o.classification {
        skipped += join_annotations(
            p,
            "Codex classification table",
            "root_id",
            CLASSIFICATION,
            &mut neurons,
        )?;
    }
    if let Some(p) = &o.cell_types {
        skipped += join_annotations(
            p,
            "Codex cell-type table",
            "root_id",
            CELL_TYPES,
            &mut neurons,
        )?;
    }
    let cols = ConnectionColumns {
        pre: "pre_root_id",
        post: "post_root_id",
        count: "syn_count",
        tag: o.per_neuropil.then_some("neuropil"),
        nt: Some("nt_type"),
    };
    let rows = read_connections(
        &o.connections,
        "Codex connection table",
        &cols,
        &neurons.index,
        o.filter.drop_unknown,
    )?;
    let inputs: Vec<&PathBuf> = [Some(&o.connections), Some(&o.neurons)]
        .into_iter()
        .chain([o.classification.as_ref(), o.cell_types.as_ref()])
        .flatten()
        .collect();
    let provenance = Provenance {
        name: o.name.clone(),
        source: format!(
            "FlyWire Codex export ({}); imported by `hebb import codex {}{}`",
            file_names(&inputs),
            o.filter.flags(),
            if o.per_neuropil {
                " --per-neuropil"
            } else {
                ""
            }
        ),
        license: LICENSE.to_owned(),
    };
    let mut imported = assemble(neurons, rows, &o.filter, "neuropil", started, provenance);
    imported.report.annotation_rows_skipped = skipped;
    Ok(imported)
}

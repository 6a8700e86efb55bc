//! The table importers (`hebb import codex`, `hebb import neuprint`) on any pair of tables,
//! plain or gzip-compressed (the input's own bytes; a compressed table may be truncated or
//! corrupt), with any filter options. An import gives a connectome or an error, never a
//! panic; an imported connectome is written and read back.
//!
//! An input is a line of options, then the neuron table, a line `===`, and the connection
//! table (the seed corpus's files read as they look):
//!
//! ```text
//! codex|neuprint [per-tag] [connected-only] [drop-unknown] [min=N]
//! NEURON TABLE
//! ===
//! CONNECTION TABLE
//! ```
//!
//! `cargo +nightly fuzz run import_csv fuzz/corpus/import_csv`

#![no_main]

use hebb::connectome::import::{Filter, codex, neuprint};
use libfuzzer_sys::fuzz_target;

fn split<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], &'a [u8]) {
    match data.windows(sep.len()).position(|w| w == sep) {
        Some(k) => (&data[..k], &data[k + sep.len()..]),
        None => (data, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let (options, rest) = split(data, b"\n");
    let (neuron_table, connection_table) = split(rest, b"\n===\n");
    let options = String::from_utf8_lossy(options);
    let has = |w: &str| options.split_whitespace().any(|x| x == w);
    let min_synapses = options
        .split_whitespace()
        .find_map(|x| x.strip_prefix("min=")?.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let neurons = dir.path().join("neurons.csv");
    let connections = dir.path().join("connections.csv");
    std::fs::write(&neurons, neuron_table).expect("written");
    std::fs::write(&connections, connection_table).expect("written");
    let filter = Filter {
        min_synapses,
        connected_only: has("connected-only"),
        drop_unknown: has("drop-unknown"),
    };
    let per_tag = has("per-tag");
    let imported = if has("neuprint") {
        neuprint::import(&neuprint::Options {
            neurons,
            connections,
            per_roi: per_tag,
            filter,
            name: "fuzz".into(),
            license: String::new(),
        })
    } else {
        codex::import(&codex::Options {
            connections,
            neurons,
            classification: None,
            cell_types: None,
            per_neuropil: per_tag,
            filter,
            name: "fuzz".into(),
        })
    };
    if let Ok(imp) = imported {
        let out = dir.path().join("out.h5");
        hebb::connectome::import::write(&out, &imp).expect("an import writes");
        hebb::connectome::file::read(&out).expect("an import reads back");
    }
});

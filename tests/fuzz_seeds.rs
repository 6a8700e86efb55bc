//! The fuzzers' seed inputs (`fuzz/seeds/`) stay valid: every seed model builds and runs, and
//! every seed table pair imports, through the same calls as the fuzz targets. A seed that
//! stops being valid would leave its fuzzer starting from errors only.

use hebb::connectome::import::{Filter, codex, neuprint};
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

#[test]
fn seed_models_build_and_run() {
    for path in seeds("model_file") {
        let text = std::fs::read_to_string(&path).expect("a seed reads");
        let model = hebb::model::Model::parse(&text, &path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        hebb::model::build::build(&model, None, None)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let opts = hebb::run::RunOptions {
            duration_ms: Some(20.0),
            threads: Some(1),
            trials: Some(1),
            ..Default::default()
        };
        hebb::run::run(&model, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// The seed format of the `import_csv` target: a line of options, the neuron table, `===`,
/// the connection table.
#[test]
fn seed_tables_import() {
    for path in seeds("import_csv") {
        let text = std::fs::read_to_string(&path).expect("a seed reads");
        let (options, rest) = text.split_once('\n').expect("an options line");
        let (neuron_table, connection_table) = rest.split_once("\n===\n").expect("a `===` line");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let neurons = dir.path().join("neurons.csv");
        let connections = dir.path().join("connections.csv");
        std::fs::write(&neurons, neuron_table).expect("written");
        std::fs::write(&connections, connection_table).expect("written");
        let has = |w: &str| options.split_whitespace().any(|x| x == w);
        let filter = Filter {
            min_synapses: options
                .split_whitespace()
                .find_map(|x| x.strip_prefix("min=")?.parse().ok())
                .unwrap_or(1),
            connected_only: has("connected-only"),
            drop_unknown: has("drop-unknown"),
        };
        let imported = if has("neuprint") {
            neuprint::import(&neuprint::Options {
                neurons,
                connections,
                per_roi: has("per-tag"),
                filter,
                name: "seed".into(),
                license: String::new(),
            })
        } else {
            codex::import(&codex::Options {
                connections,
                neurons,
                classification: None,
                cell_types: None,
                per_neuropil: has("per-tag"),
                filter,
                name: "seed".into(),
            })
        };
        let imp = imported.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            imp.connectome.n_neurons() > 0,
            "{}: no neurons",
            path.display()
        );
    }
}

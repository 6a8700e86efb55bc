//! The table importers (`hebb import codex`, `hebb import neuprint`) on any pair of tables,
//! plain or gzip-compressed (the input's own bytes; a compressed table may be truncated or
//! corrupt), with any filter options. An import gives a connectome or an error, never a
//! panic; an imported connectome is written and read back. The input's format is
//! `shared::import_tables`'s (the seeds read as they look).
//!
//! `cargo +nightly fuzz run import_csv fuzz/corpus/import_csv`

#![no_main]

#[path = "../shared.rs"]
mod shared;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    if let Ok(imp) = shared::import_tables(data, dir.path()) {
        let out = dir.path().join("out.h5");
        hebb::connectome::import::write(&out, &imp).expect("an import writes");
        hebb::connectome::file::read(&out).expect("an import reads back");
    }
});

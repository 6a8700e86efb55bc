//! The model-file parser alone on any text: an error, never a panic. The `model_file` target
//! parses, builds and runs; most of its inputs end in the parser, and most of the code it
//! still finds after hours is the parser's (keys, their types and order, `[[area]]`
//! expansion). This target takes about six times as many inputs a second, so that its part
//! of the search can be exhausted, and its corpus is then merged into `model_file`'s.
//!
//! `cargo +nightly fuzz run model_parse corpus/model_parse seeds/model_file ../models` (in `fuzz/`)

#![no_main]

#[path = "../shared.rs"]
mod shared;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shared::on_model_text(data, |text, path| {
    let _ = hebb::model::Model::parse(text, path);
}));

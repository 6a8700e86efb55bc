//! The model-file parser, the network build and a short run on any text: an error, never a
//! panic. Networks that build small (at most 5,000 neurons and 200,000 synapses, a warm-up of
//! at most 50 ms) are simulated for 20 ms on one thread, recording nothing.
//!
//! `cargo +nightly fuzz run model_file fuzz/corpus/model_file fuzz/seeds/model_file models`

#![no_main]

#[path = "../shared.rs"]
mod shared;

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = shared::model_file(text, Path::new("fuzz/model.toml"));
});

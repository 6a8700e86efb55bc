//! The model-file parser, the network build and a short run on any text: an error, never a
//! panic. Networks that build small (at most 5,000 neurons and 200,000 synapses, a warm-up of
//! at most 50 ms) are simulated for 20 ms on one thread, recording nothing. A model is read as
//! a file in `models/` ([`shared::model_path`]), so that it can refer to the connectomes and
//! neuron lists of the repository.
//!
//! `cargo +nightly fuzz run model_file corpus/model_file seeds/model_file ../models` (in `fuzz/`)

#![no_main]

#[path = "../shared.rs"]
mod shared;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shared::on_model_text(data, |text, path| {
    let _ = shared::model_file(text, path);
}));

//! Times loading a connectome file (`connectome::file::read`, with its full validation).
//!
//! ```text
//! cargo run --release --example load_connectome -- FILE.h5
//! ```

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: load_connectome FILE.h5");
        std::process::exit(2);
    };
    let t = Instant::now();
    match hebb::connectome::file::read(path.as_ref()) {
        Ok(c) => println!(
            "read {path}: {} neurons, {} connections, {} synapses in {:.3} s",
            c.n_neurons(),
            c.edges.len(),
            c.edges.n_synapses(),
            t.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

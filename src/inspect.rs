//! `hebb inspect`: reports on a model's network or a run's output.

use crate::connectome::{Connectome, Summary};
use crate::engine::SynapseColumns;
use crate::error::Result;
use crate::model::Model;
use crate::model::build::build;
use crate::time::Time;
use std::fmt::Write;

/// Builds the model's network and describes it: sizes, degrees, weights, delays, strongly
/// connected components and the memory of the synapse store.
pub fn model_report(model: &Model) -> Result<String> {
    let net = build(model, None, None)?;
    let csr = &net.blueprint.csr;
    let n = net.n_neurons();
    // Rebuild the columns from the CSR for the graph view.
    let mut syn = SynapseColumns::default();
    for j in 0..n {
        for g in csr.row_groups[j]..csr.row_groups[j + 1] {
            let g = g as usize;
            let off = net.populations[csr.group_pop[g].index()].offset;
            for k in csr.group_start[g] as usize..csr.group_start[g + 1] as usize {
                syn.push(
                    j as u32,
                    off + csr.targets[k],
                    csr.weights[k],
                    csr.group_delay[g],
                );
            }
        }
    }
    let mut population = Vec::with_capacity(n);
    for (k, p) in net.populations.iter().enumerate() {
        population.extend(std::iter::repeat_n(k as u16, p.size as usize));
    }
    let c = Connectome {
        ids: (0..n as i64).collect(),
        population,
        synapses: syn,
    };
    let (din, dout) = c.degrees();
    let mut s = String::new();
    let _ = writeln!(s, "model {}", model.path.display());
    let _ = writeln!(s, "neurons {}  synapses {}", n, csr.n_synapses());
    let _ = writeln!(
        s,
        "{:<14} {:<12} {:>8} {:>10} {:>10}",
        "population", "model", "size", "in-degree", "out-degree"
    );
    for p in &net.populations {
        let r = p.offset as usize..(p.offset + p.size) as usize;
        let mi = Summary::of(din[r.clone()].iter().map(|&x| x as f64)).mean;
        let mo = Summary::of(dout[r].iter().map(|&x| x as f64)).mean;
        let _ = writeln!(
            s,
            "{:<14} {:<12} {:>8} {:>10.1} {:>10.1}",
            p.name, p.model, p.size, mi, mo
        );
    }
    let fmt = |x: Summary| {
        format!(
            "min {:.4}  mean {:.4}  max {:.4}  std {:.4}",
            x.min, x.mean, x.max, x.std
        )
    };
    let _ = writeln!(
        s,
        "in-degree   {}",
        fmt(Summary::of(din.iter().map(|&x| x as f64)))
    );
    let _ = writeln!(
        s,
        "out-degree  {}",
        fmt(Summary::of(dout.iter().map(|&x| x as f64)))
    );
    let _ = writeln!(
        s,
        "weight      {}",
        fmt(Summary::of(c.synapses.weight.iter().map(|&x| x as f64)))
    );
    let _ = writeln!(
        s,
        "delay (ms)  {}",
        fmt(Summary::of(
            c.synapses.delay.iter().map(|d: &Time| d.as_ms())
        ))
    );
    if csr.n_synapses() <= 50_000_000 {
        let (count, largest) = c.strong_components();
        let _ = writeln!(
            s,
            "strongly connected components {count} (largest {largest} neurons)"
        );
    }
    let per = if csr.n_synapses() > 0 {
        csr.bytes() as f64 / csr.n_synapses() as f64
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "synapse store {:.1} MiB ({per:.2} B/synapse, {} delay groups)",
        csr.bytes() as f64 / (1 << 20) as f64,
        csr.group_delay.len()
    );
    Ok(s)
}

/// Describes a run's output file: spikes, rates and mean CV of ISIs per population.
pub fn output_report(path: &std::path::Path) -> anyhow::Result<String> {
    let data = crate::analysis::read(path)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: recorded {:.1}–{:.1} ms, {} spikes, {} neurons",
        path.display(),
        data.t_start_ms,
        data.t_stop_ms,
        data.times_ms.len(),
        data.ids.len()
    );
    let _ = writeln!(
        s,
        "{:<14} {:>8} {:>10} {:>10} {:>8} {:>8}",
        "population", "neurons", "spikes", "rate (Hz)", "CV ISI", "active"
    );
    for p in crate::analysis::stats(&data, data.t_start_ms, data.t_stop_ms) {
        let cv = p
            .cv_isi
            .map(|c| format!("{c:.3}"))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>10} {:>10.3} {:>8} {:>8.3}",
            p.name, p.n_neurons, p.spikes, p.rate_hz, cv, p.fraction_active
        );
    }
    Ok(s)
}

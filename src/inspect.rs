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
            let (targets, weights) = csr.group(g);
            for (k, &i) in targets.iter().enumerate() {
                syn.push(j as u32, off + i, weights.get(k), csr.group_delay[g]);
            }
        }
    }
    let mut population = Vec::with_capacity(n);
    for (k, p) in net.populations.iter().enumerate() {
        population.extend(std::iter::repeat_n(k as u16, p.size as usize));
    }
    let names: Vec<String> = net.populations.iter().map(|p| p.name.clone()).collect();
    let weight = stats(syn.weight.iter().map(|&x| x as f64));
    let delay = stats(syn.delay.iter().map(|d: &Time| d.as_ms()));
    let c = Connectome::from_columns(population, &names, syn);
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
    let _ = writeln!(s, "in-degree   {}", stats(din.iter().map(|&x| x as f64)));
    let _ = writeln!(s, "out-degree  {}", stats(dout.iter().map(|&x| x as f64)));
    let _ = writeln!(s, "weight      {weight}");
    let _ = writeln!(s, "delay (ms)  {delay}");
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

/// Describes a connectome file: provenance, counts, degree, synapse-count, weight and delay
/// statistics, transmitters, annotation columns and strongly connected components.
pub fn connectome_report(path: &std::path::Path) -> Result<String> {
    let c = crate::connectome::file::read(path)?;
    let e = &c.edges;
    let mut s = String::new();
    let p = &c.provenance;
    let _ = writeln!(s, "connectome {} ({})", p.name, path.display());
    if !p.source.is_empty() {
        let _ = writeln!(s, "source   {}", p.source);
    }
    if !p.license.is_empty() {
        let _ = writeln!(s, "license  {}", p.license);
    }
    let _ = writeln!(
        s,
        "neurons {}  connections {}  synapses {}",
        c.n_neurons(),
        e.len(),
        e.n_synapses()
    );
    let (din, dout) = c.degrees();
    let _ = writeln!(s, "in-degree   {}", stats(din.iter().map(|&x| x as f64)));
    let _ = writeln!(s, "out-degree  {}", stats(dout.iter().map(|&x| x as f64)));
    if let Some(x) = &e.count {
        let _ = writeln!(
            s,
            "synapses per connection  {}",
            stats(x.iter().map(|&x| x as f64))
        );
    }
    if let Some(x) = &e.weight {
        let _ = writeln!(s, "weight      {}", stats(x.iter().map(|&w| w as f64)));
    }
    if let Some(x) = &e.delay_ms {
        let _ = writeln!(s, "delay (ms)  {}", stats(x.iter().map(|&d| d as f64)));
    }
    let isolated = (0..c.n_neurons())
        .filter(|&i| din[i] == 0 && dout[i] == 0)
        .count();
    let loops = e.pre.iter().zip(&e.post).filter(|(a, b)| a == b).count();
    let _ = writeln!(
        s,
        "self-connections {loops}  neurons without connections {isolated}"
    );
    if let Some(t) = &e.transmitter {
        let mut per = vec![(0u64, 0u64); 256];
        for (k, &code) in t.iter().enumerate() {
            per[code as usize].0 += 1;
            per[code as usize].1 += e.count(k) as u64;
        }
        let _ = writeln!(s, "transmitter      connections     synapses");
        for (code, &(n, syn)) in per.iter().enumerate().filter(|(_, x)| x.0 > 0) {
            let label = e
                .transmitter_labels
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_string());
            let _ = writeln!(s, "  {label:<14} {n:>11} {syn:>12}");
        }
    }
    if !c.annotations.is_empty() {
        let _ = writeln!(s, "annotations (most frequent values)");
    }
    for a in &c.annotations {
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        for i in 0..a.column.len() {
            *counts.entry(a.column.label(i)).or_default() += 1;
        }
        let mut top: Vec<(String, usize)> = counts.into_iter().collect();
        top.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        let kind = match &a.column {
            crate::connectome::Column::Codes { .. } => "codes",
            crate::connectome::Column::Numbers(_) => "numbers",
            crate::connectome::Column::Text(_) => "text",
        };
        let shown = top
            .iter()
            .take(4)
            .map(|(l, n)| format!("{} {n}", if l.is_empty() { "(none)" } else { l }))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "  {:<16} {kind:<8} {:>6} distinct  {shown}",
            a.name,
            top.len()
        );
    }
    if e.len() <= 50_000_000 {
        let (count, largest) = c.strong_components();
        let _ = writeln!(
            s,
            "strongly connected components {count} (largest {largest} neurons)"
        );
    }
    Ok(s)
}

/// `min … mean … max … std …` of a sequence, as the reports print it.
fn stats(xs: impl IntoIterator<Item = f64>) -> String {
    let x = Summary::of(xs);
    format!(
        "min {:.4}  mean {:.4}  max {:.4}  std {:.4}",
        x.min, x.mean, x.max, x.std
    )
}

/// True when `path` is an HDF5 file with a `/synapses` group (a connectome, not a run output).
pub fn is_connectome_file(path: &std::path::Path) -> bool {
    crate::h5::open_input(path)
        .map(|f| f.link_exists("synapses") && !f.link_exists("spikes"))
        .unwrap_or(false)
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

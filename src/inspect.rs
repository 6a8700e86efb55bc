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
pub fn output_report(path: &std::path::Path) -> Result<String> {
    let err = |what: &str, e: hdf5::Error| crate::error::Error::Hdf5 {
        path: path.to_owned(),
        message: format!("{what}: {e}; is this a hebb output file?"),
    };
    let f = hdf5::File::open(path).map_err(|e| err("cannot open", e))?;
    let times: Vec<f64> = f
        .dataset("spikes/time_ms")
        .and_then(|d| d.read_raw())
        .map_err(|e| err("/spikes/time_ms", e))?;
    let neurons: Vec<i64> = f
        .dataset("spikes/neuron")
        .and_then(|d| d.read_raw())
        .map_err(|e| err("/spikes/neuron", e))?;
    let pop_ds = f
        .dataset("neurons/population")
        .map_err(|e| err("/neurons/population", e))?;
    let pop: Vec<i16> = pop_ds
        .read_raw()
        .map_err(|e| err("/neurons/population", e))?;
    let labels: hdf5::types::VarLenUnicode = pop_ds
        .attr("labels")
        .and_then(|a| a.read_scalar())
        .map_err(|e| err("/neurons/population labels", e))?;
    let labels: Vec<String> =
        serde_json::from_str(labels.as_str()).map_err(|e| crate::error::Error::Hdf5 {
            path: path.to_owned(),
            message: format!("/neurons/population labels: {e}"),
        })?;
    let t0: f64 = f
        .attr("t_start_ms")
        .and_then(|a| a.read_scalar())
        .map_err(|e| err("t_start_ms", e))?;
    let t1: f64 = f
        .attr("t_stop_ms")
        .and_then(|a| a.read_scalar())
        .map_err(|e| err("t_stop_ms", e))?;
    let n = pop.len();
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); n];
    for (&t, &i) in times.iter().zip(&neurons) {
        if let Some(v) = usize::try_from(i).ok().and_then(|i| per.get_mut(i)) {
            v.push(t);
        }
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: recorded {t0:.1}–{t1:.1} ms, {} spikes, {n} neurons",
        path.display(),
        times.len()
    );
    let _ = writeln!(
        s,
        "{:<14} {:>8} {:>10} {:>10} {:>8}",
        "population", "neurons", "spikes", "rate (Hz)", "CV ISI"
    );
    for (k, name) in labels.iter().enumerate() {
        let members: Vec<usize> = (0..n).filter(|&i| pop[i] as usize == k).collect();
        let spikes: usize = members.iter().map(|&i| per[i].len()).sum();
        let cvs: Vec<f64> = members.iter().filter_map(|&i| cv_isi(&per[i])).collect();
        let cv = if cvs.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.3}", cvs.iter().sum::<f64>() / cvs.len() as f64)
        };
        let rate = spikes as f64 / (members.len().max(1) as f64 * (t1 - t0) / 1000.0);
        let _ = writeln!(
            s,
            "{name:<14} {:>8} {spikes:>10} {rate:>10.3} {cv:>8}",
            members.len()
        );
    }
    Ok(s)
}

/// Coefficient of variation of the inter-spike intervals of sorted spike times (≥ 3 spikes).
pub fn cv_isi(times: &[f64]) -> Option<f64> {
    if times.len() < 3 {
        return None;
    }
    let isi: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let m = isi.iter().sum::<f64>() / isi.len() as f64;
    let var = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
    Some(var.sqrt() / m)
}

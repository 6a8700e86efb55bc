//! `hebb inspect`: reports on a model's network or a run's output.

use crate::connectome::{Connectome, Summary};
use crate::engine::SynapseColumns;
use crate::error::Result;
use crate::model::Model;
use crate::model::build::build;
use crate::time::Time;
use std::fmt::Write;

/// The model of population `p` as the report names it: with "(f32)" for a population in
/// single precision.
fn model_name(model: &Model, p: &crate::model::build::PopInfo) -> String {
    let single = model.spec.populations.iter().any(|q| {
        *q.name.get_ref() == p.name && q.precision == Some(crate::neuron::real::Precision::Single)
    });
    if single {
        format!("{} (f32)", p.model)
    } else {
        p.model.clone()
    }
}

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
        "{:<14} {:<14} {:>8} {:>10} {:>10}",
        "population", "model", "size", "in-degree", "out-degree"
    );
    for p in &net.populations {
        let r = p.offset as usize..(p.offset + p.size) as usize;
        let mi = Summary::of(din[r.clone()].iter().map(|&x| x as f64)).mean;
        let mo = Summary::of(dout[r].iter().map(|&x| x as f64)).mean;
        let _ = writeln!(
            s,
            "{:<14} {:<14} {:>8} {:>10.1} {:>10.1}",
            p.name,
            model_name(model, p),
            p.size,
            mi,
            mo
        );
    }
    let full: Vec<u32> = net.populations.iter().map(|p| p.full_size).collect();
    if let Some(line) = crate::model::scaling::describe(model, &full)? {
        let _ = writeln!(s, "{line}");
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
    let _ = writeln!(s, "{}", net.memory.render());
    let arrivals = net.poisson_arrivals_per_s(model)?;
    if arrivals > 0.0 {
        let _ = writeln!(
            s,
            "Poisson input {arrivals:.3e} arrivals per simulated second (each an event on exact \
             neurons)"
        );
    }
    // Synapses by kind: transmission filter, plasticity, short-term plasticity.
    let mut per_type = vec![0u64; csr.types.len()];
    for g in 0..csr.group_type.len() {
        per_type[csr.group_type[g] as usize] +=
            (csr.group_start[g + 1] - csr.group_start[g]) as u64;
    }
    for (ty, &count) in csr.types.iter().zip(&per_type).skip(1) {
        let plastic = ty.plastic.map(|q| {
            let p = &net.blueprint.plastic[q as usize];
            let rule = match &p.rule {
                crate::engine::plastic::Rule::Bdsp(b) => format!("bdsp η {}", b.eta),
                crate::engine::plastic::Rule::Stdp(d) => format!("stdp λ {}", d.lambda),
            };
            format!(
                ", plastic `{}` ({rule}, {})",
                p.name,
                if p.plastic { "on" } else { "off" }
            )
        });
        let stp = ty.stp.map(|k| {
            let m = &csr.stp[k as usize];
            format!(
                ", stp U {} τ_D {} ms τ_F {} ms f {}",
                m.u, m.tau_d_ms, m.tau_f_ms, m.f
            )
        });
        let _ = writeln!(
            s,
            "synapses transmitting {}: {count}{}{}",
            format!("{:?}", ty.transmit).to_lowercase(),
            plastic.unwrap_or_default(),
            stp.unwrap_or_default()
        );
    }
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
    let _ = writeln!(s, "in-degree   {}", distribution(&din));
    let _ = writeln!(s, "out-degree  {}", distribution(&dout));
    if let Some(x) = &e.count {
        let _ = writeln!(s, "synapses per connection  {}", distribution(x));
    }
    if let Some(x) = &e.weight {
        let _ = writeln!(s, "weight      {}", distribution(x));
    }
    if let Some(x) = &e.delay_ms {
        let _ = writeln!(s, "delay (ms)  {}", distribution(x));
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
        let total = e.n_synapses().max(1) as f64;
        let _ = writeln!(s, "transmitter      connections     synapses  of synapses");
        for (code, &(n, syn)) in per.iter().enumerate().filter(|(_, x)| x.0 > 0) {
            let label = e
                .transmitter_labels
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_string());
            let share = 100.0 * syn as f64 / total;
            let _ = writeln!(s, "  {label:<14} {n:>11} {syn:>12} {share:>10.1} %");
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
    let m = SimMemory::of(&c);
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    let _ = writeln!(
        s,
        "simulation memory (estimate, lif_exp, one engine synapse per connection) {:.1} MiB:",
        mib(m.total())
    );
    let _ = writeln!(
        s,
        "  neurons   {:>10} × {} B = {:.1} MiB",
        c.n_neurons(),
        SimMemory::NEURON_BYTES,
        mib(m.neurons)
    );
    let _ = writeln!(
        s,
        "  synapses  {:>10} × 4 B targets + {} × 4 B weights (groups whose weights differ) \
         = {:.1} MiB",
        e.len(),
        m.weights_stored,
        mib(m.synapses)
    );
    let _ = writeln!(
        s,
        "  groups    {:>10} × {} B ({} with one weight) = {:.1} MiB",
        m.groups,
        SimMemory::GROUP_BYTES,
        m.uniform_groups,
        mib(m.groups_bytes)
    );
    Ok(s)
}

/// An estimate of the memory a simulation of a connectome takes: the neurons' state and the
/// engine's synapse store ([`crate::engine::Csr`]) when every connection becomes one engine
/// synapse (weight from its count, sign and weight column; one target population).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SimMemory {
    /// Bytes of neuron state (`NEURON_BYTES` per neuron).
    pub neurons: u64,
    /// Bytes of the per-synapse columns: a `u32` target each, an `f32` weight each in groups
    /// whose weights differ.
    pub synapses: u64,
    /// Synapses whose weight is stored (in groups whose weights differ).
    pub weights_stored: u64,
    /// Delay groups: one per (source, delay) (one per source with outputs without delays).
    pub groups: u64,
    /// Groups whose synapses share one weight (stored once).
    pub uniform_groups: u64,
    /// Bytes of the groups' bookkeeping.
    pub groups_bytes: u64,
}

impl SimMemory {
    /// Per neuron: `lif_exp`'s state (membrane potential, two currents, v_inf: 4 × f64; last
    /// update, end of refractoriness, due time: 3 × 8 B; the exact core's sweep track: 24 B)
    /// is 80 B; with the CSR row index (4 B) and scheduling, about 100 B.
    pub const NEURON_BYTES: u64 = 100;
    /// Per delay group: start (4 B), delay (8 B), target population (2 B), shared weight
    /// (4 B), weight start (4 B).
    pub const GROUP_BYTES: u64 = 22;

    /// The estimate for `c`. A connection's weight is identified by its weight (when the
    /// file has weights), synapse count and transmitter; a group stores one weight when all
    /// of its connections agree.
    pub fn of(c: &Connectome) -> SimMemory {
        let e = &c.edges;
        // Per connection: (group key, weight key).
        let wkey = |k: usize| -> u64 {
            let w = e.weight.as_ref().map_or(0, |w| w[k].to_bits());
            let t = e.transmitter.as_ref().map_or(0, |t| t[k]);
            (u64::from(w) << 32) ^ u64::from(e.count(k)) ^ (u64::from(t) << 56)
        };
        // (group size, weights stored) per group, groups in any order.
        let mut groups: Vec<(u64, bool)> = Vec::new();
        match &e.delay_ms {
            None => {
                let n = c.n_neurons();
                let (mut size, mut first, mut same) = (vec![0u64; n], vec![0u64; n], vec![true; n]);
                for k in 0..e.len() {
                    let j = e.pre[k] as usize;
                    let w = wkey(k);
                    if size[j] == 0 {
                        first[j] = w;
                    } else if first[j] != w {
                        same[j] = false;
                    }
                    size[j] += 1;
                }
                groups.extend((0..n).filter(|&j| size[j] > 0).map(|j| (size[j], same[j])));
            }
            Some(d) => {
                let mut rows: Vec<(u32, u32, u64)> = (0..e.len())
                    .map(|k| (e.pre[k], d[k].to_bits(), wkey(k)))
                    .collect();
                rows.sort_unstable();
                for g in rows.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
                    groups.push((g.len() as u64, g.iter().all(|x| x.2 == g[0].2)));
                }
            }
        }
        let weights_stored: u64 = groups.iter().filter(|g| !g.1).map(|g| g.0).sum();
        let n = c.n_neurons() as u64;
        SimMemory {
            neurons: n * Self::NEURON_BYTES,
            synapses: 4 * e.len() as u64 + 4 * weights_stored,
            weights_stored,
            groups: groups.len() as u64,
            uniform_groups: groups.iter().filter(|g| g.1).count() as u64,
            groups_bytes: groups.len() as u64 * Self::GROUP_BYTES + 4 * (n + 1),
        }
    }

    /// Bytes in all.
    pub fn total(&self) -> u64 {
        self.neurons + self.synapses + self.groups_bytes
    }
}

/// [`stats`] and the 10th, 50th, 90th and 99th percentiles (nearest rank).
fn distribution<T: Copy + Into<f64>>(xs: &[T]) -> String {
    let mut v: Vec<f64> = xs.iter().map(|&x| x.into()).collect();
    let base = stats(v.iter().copied());
    if v.is_empty() {
        return base;
    }
    let mut q = String::new();
    for p in [10, 50, 90, 99] {
        let k = ((v.len() - 1) as f64 * p as f64 / 100.0).round() as usize;
        let (_, x, _) = v.select_nth_unstable_by(k, f64::total_cmp);
        let _ = write!(q, "  p{p} {}", short(*x));
    }
    format!("{base} {q}")
}

/// A number without trailing zeros (integers as integers).
fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.4}")
    }
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
    if data.trials > 1 {
        let _ = writeln!(
            s,
            "{} trials: the first is shown; /rates holds every neuron's mean and std over all",
            data.trials
        );
    }
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
    // Weights of plastic projections, if recorded.
    let file = crate::h5::open_input(path)?;
    if let Ok(g) = file.group("weights") {
        for name in g.member_names()? {
            let mean: Vec<f64> = g.dataset(&format!("{name}/mean"))?.read_raw()?;
            let time: Vec<f64> = g.dataset(&format!("{name}/time_ms"))?.read_raw()?;
            if let (Some(first), Some(last)) = (mean.first(), mean.last()) {
                let _ = writeln!(
                    s,
                    "mean weight of {name}: {first:.4} at {:.0} ms → {last:.4} at {:.0} ms",
                    time[0],
                    time[time.len() - 1]
                );
            }
        }
    }
    Ok(s)
}

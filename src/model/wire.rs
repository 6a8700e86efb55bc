//! `rule = "connectome"`: the connections of a connectome file between two populations made
//! from it, with fly-style weights.
//!
//! ```text
//! w = sign(transmitter) × synapse count × weight        (weight = the projection's, per synapse)
//! w = /synapses/weight                                  (when the projection gives no weight)
//! ```
//! The sign table comes from the model file (`signs`); without one GABA, glutamate and
//! histamine are inhibitory and every other transmitter excitatory (Shiu et al. 2024; histamine
//! for datasets that have it). The transmitter is the connection's (`/synapses/nt`) or the
//! presynaptic neuron's (`/neurons/nt`). The delay is the projection's or the file's.

use super::Model;
use super::build::PopInfo;
use super::neurons::Connectomes;
use super::spec::{ProjectionSpec, TransmitterOf, Value};
use crate::connectome::Column;
use crate::engine::SynapseColumns;
use crate::error::Result;
use crate::time::Time;
use std::collections::BTreeMap;

/// Transmitters with sign −1 unless the model file gives a table.
pub const INHIBITORY: [&str; 3] = ["gaba", "glutamate", "histamine"];

/// Adds the connections from `src` to `tgt` of their connectome file to `syn`.
#[allow(clippy::too_many_arguments)]
pub fn connect_connectome(
    model: &Model,
    proj: &ProjectionSpec,
    src: &PopInfo,
    tgt: &PopInfo,
    grid_target: bool,
    h: Time,
    cons: &Connectomes,
    syn: &mut SynapseColumns,
) -> Result<()> {
    let span = proj.rule.span();
    let err = |m: String| model.error_at(span.clone(), m);
    let (sr, tr) = match (&src.rows, &tgt.rows) {
        (Some(a), Some(b)) if a.file == b.file => (a, b),
        _ => {
            return Err(err(format!(
                "rule = \"connectome\" needs both `{}` and `{}` made from the same connectome \
                 file (`connectome = \"….h5\"` on each population)",
                src.name, tgt.name
            )));
        }
    };
    let loaded = cons.get(sr.file);
    let c = &loaded.connectome;
    let e = &c.edges;
    let file = loaded.path.display();
    let local = |rows: &[u32]| {
        let mut m = vec![u32::MAX; c.n_neurons()];
        for (l, &r) in rows.iter().enumerate() {
            m[r as usize] = l as u32;
        }
        m
    };
    let (s_of, t_of) = (local(&sr.rows), local(&tr.rows));

    // Weight: per synapse × count × sign, or the file's.
    let scale = match &proj.weight {
        Some(v) => match v.get_ref() {
            Value::Scalar(x) => Some(x.0),
            _ => {
                return Err(model.error_at(
                    v.span(),
                    "with rule = \"connectome\", `weight` is the weight of one synapse: a single \
                     number (the connection's weight is sign × synapse count × weight)",
                ));
            }
        },
        None => {
            if e.weight.is_none() {
                return Err(err(format!(
                    "{file} has no /synapses/weight; give the projection a `weight` per synapse \
                     (e.g. weight = 0.275 for the fly model)"
                )));
            }
            None
        }
    };
    let sign = signs(model, proj, c, &file.to_string())?;

    // Delay: the projection's (one number) or the file's.
    let fixed_delay = match &proj.delay {
        Some(v) => match v.get_ref() {
            Value::Scalar(x) => Some(delay_ticks(x.0, grid_target, h).ok_or_else(|| {
                model.error_at(v.span(), delay_message(x.0, grid_target, h, &tgt.name))
            })?),
            _ => {
                return Err(model.error_at(
                    v.span(),
                    "with rule = \"connectome\", `delay` is one number (ms), or absent to use \
                     the file's /synapses/delay",
                ));
            }
        },
        None => {
            if e.delay_ms.is_none() {
                return Err(err(format!(
                    "{file} has no /synapses/delay; give the projection a `delay` (ms)"
                )));
            }
            None
        }
    };

    let mut file_delays: std::collections::HashMap<u32, Time, crate::connectome::IntHash> =
        Default::default();
    for k in 0..e.len() {
        let (a, b) = (s_of[e.pre[k] as usize], t_of[e.post[k] as usize]);
        if a == u32::MAX || b == u32::MAX {
            continue;
        }
        let w = match scale {
            Some(x) => sign(k) * e.count(k) as f64 * x,
            None => e.weight.as_ref().expect("checked above")[k] as f64,
        };
        let d = match fixed_delay {
            Some(d) => d,
            None => {
                let x = e.delay_ms.as_ref().expect("checked above")[k];
                match file_delays.get(&x.to_bits()) {
                    Some(&d) => d,
                    None => {
                        // The file stores f32: take the decimal it stands for (1.8, not
                        // 1.7999999523), once per distinct value.
                        let ms: f64 = x.to_string().parse().expect("a float's own digits");
                        let d = delay_ticks(ms, grid_target, h).ok_or_else(|| {
                            err(format!(
                                "{file} /synapses/delay row {k}: {}",
                                delay_message(ms, grid_target, h, &tgt.name)
                            ))
                        })?;
                        file_delays.insert(x.to_bits(), d);
                        d
                    }
                }
            }
        };
        if !(w as f32).is_finite() {
            return Err(err(format!(
                "{file} /synapses row {k}: weight {w:e}; weights must be finite and within \
                 ±3.4e38 (a synapse stores its weight as a 32-bit float): lower the \
                 projection's `weight`"
            )));
        }
        syn.push(src.offset + a, tgt.offset + b, w as f32, d);
    }
    Ok(())
}

/// The sign of every connection, as a function of its index.
fn signs<'a>(
    model: &Model,
    proj: &ProjectionSpec,
    c: &'a crate::connectome::Connectome,
    file: &str,
) -> Result<Box<dyn Fn(usize) -> f64 + 'a>> {
    let e = &c.edges;
    let of = proj.transmitter.unwrap_or(if e.transmitter.is_some() {
        TransmitterOf::Connection
    } else {
        TransmitterOf::Presynaptic
    });
    // Codes and their labels.
    let (codes, labels): (Box<dyn Fn(usize) -> usize + 'a>, Vec<String>) = match of {
        TransmitterOf::Connection => match &e.transmitter {
            Some(t) => (
                Box::new(move |k| t[k] as usize),
                e.transmitter_labels.clone(),
            ),
            None => {
                return Err(model.error_at(
                    proj.rule.span(),
                    format!("{file} has no /synapses/nt; use transmitter = \"presynaptic\""),
                ));
            }
        },
        TransmitterOf::Presynaptic => match c.annotation("nt") {
            Some(Column::Codes { codes, labels }) => (
                Box::new(move |k| codes[e.pre[k] as usize].max(0) as usize),
                labels.clone(),
            ),
            Some(_) | None if proj.signs.is_some() => {
                return Err(model.error_at(
                    proj.rule.span(),
                    format!(
                        "{file} has no integer-coded /neurons/nt (transmitter per neuron) for \
                         the sign table; use transmitter = \"connection\" if it has /synapses/nt"
                    ),
                ));
            }
            _ => return Ok(Box::new(|_| 1.0)),
        },
    };
    let labels: Vec<String> = labels.iter().map(|l| l.to_lowercase()).collect();
    let table: BTreeMap<String, f64> = match &proj.signs {
        Some(t) => {
            for key in t.get_ref().keys() {
                if !labels.contains(&key.to_lowercase()) {
                    return Err(model.error_at(
                        t.span(),
                        format!(
                            "`signs` names transmitter `{key}`, which {file} does not know; its \
                             transmitters: {}",
                            labels.join(", ")
                        ),
                    ));
                }
            }
            t.get_ref()
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.0))
                .collect()
        }
        None => INHIBITORY.iter().map(|t| (t.to_string(), -1.0)).collect(),
    };
    let by_code: Vec<f64> = labels
        .iter()
        .map(|l| table.get(l).copied().unwrap_or(1.0))
        .collect();
    Ok(Box::new(move |k| {
        by_code.get(codes(k)).copied().unwrap_or(1.0)
    }))
}

/// A delay in ticks: at least one tick, or one step and a multiple of it for grid targets.
fn delay_ticks(ms: f64, grid_target: bool, h: Time) -> Option<Time> {
    let t = Time::from_ms(ms)?;
    if grid_target {
        let steps = ms / h.as_ms();
        if (steps - steps.round()).abs() > 1e-9 || steps.round() < 1.0 {
            return None;
        }
        Some(Time(steps.round() as u64 * h.0))
    } else {
        (t.0 > 0).then_some(t)
    }
}

fn delay_message(ms: f64, grid_target: bool, h: Time, target: &str) -> String {
    if grid_target {
        format!(
            "delay {ms} ms: a grid target (`{target}`) needs a positive multiple of the \
             resolution {} ms",
            h.as_ms()
        )
    } else {
        format!("delay {ms} ms is not > 0 (at least the 1e-9 ms tick)")
    }
}

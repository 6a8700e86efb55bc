//! Weights of plastic projections over a run (`[record.weights]`): the mean weight of each
//! projection every `interval`, and every synapse's weight at snapshot times (the start of the
//! recording and the end of the run are always two).
//!
//! Output (`/weights/<projection>/`): `time_ms` and `mean` (one row per interval), `source`
//! and `target` (external ids, one per synapse, by target then source), `snapshot_ms` and
//! `weight` (snapshots × synapses, `f32`).

use crate::error::{Error, Result};
use crate::time::Time;
use std::path::Path;

/// Weights taken during a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeightLog {
    names: Vec<String>,
    interval: Time,
    snapshots: Vec<Time>,
    stop: Time,
    next_mean: Time,
    times: Vec<f64>,
    /// Per projection, per interval.
    means: Vec<Vec<f64>>,
    snap_times: Vec<f64>,
    /// Per projection: (source, target) global ids, fixed by the first snapshot.
    synapses: Vec<Vec<(u32, u32)>>,
    /// Per projection: snapshot-major weights.
    weights: Vec<Vec<f32>>,
}

impl WeightLog {
    /// A log of the projections `names`: means every `interval` from `start`, snapshots at
    /// `start`, `snapshots` and `stop`.
    pub fn new(
        names: Vec<String>,
        start: Time,
        interval: Time,
        snapshots: &[Time],
        stop: Time,
    ) -> WeightLog {
        let mut snaps: Vec<Time> = snapshots
            .iter()
            .copied()
            .filter(|&t| t >= start && t < stop)
            .collect();
        snaps.push(start);
        snaps.push(stop);
        snaps.sort_unstable();
        snaps.dedup();
        let n = names.len();
        WeightLog {
            names,
            interval,
            snapshots: snaps,
            stop,
            next_mean: start,
            times: Vec::new(),
            means: vec![Vec::new(); n],
            snap_times: Vec::new(),
            synapses: vec![Vec::new(); n],
            weights: vec![Vec::new(); n],
        }
    }

    /// The projections' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The next time (after `now`, at most the run's end) at which weights are taken.
    pub fn next_after(&self, now: Time) -> Time {
        let mean = self.next_mean.max(now);
        let snap = self
            .snapshots
            .iter()
            .copied()
            .find(|&t| t > now)
            .unwrap_or(self.stop);
        mean.min(snap).min(self.stop)
    }

    /// Takes the weights at `t` (the time reached): `weights(q)` lists projection `q`'s
    /// `(source, target, weight)` in a fixed order.
    pub fn take(&mut self, t: Time, mut weights: impl FnMut(usize) -> Vec<(u32, u32, f32)>) {
        let mean_due = t >= self.next_mean;
        let snap_due = self.snapshots.contains(&t);
        if !mean_due && !snap_due {
            return;
        }
        let all: Vec<Vec<(u32, u32, f32)>> = (0..self.names.len()).map(&mut weights).collect();
        if mean_due {
            self.times.push(t.as_ms());
            for (q, w) in all.iter().enumerate() {
                let sum: f64 = w.iter().map(|s| f64::from(s.2)).sum();
                self.means[q].push(if w.is_empty() {
                    f64::NAN
                } else {
                    sum / w.len() as f64
                });
            }
            while self.next_mean <= t {
                self.next_mean = self.next_mean + self.interval;
            }
        }
        if snap_due {
            self.snap_times.push(t.as_ms());
            for (q, w) in all.into_iter().enumerate() {
                if self.synapses[q].is_empty() {
                    self.synapses[q] = w.iter().map(|s| (s.0, s.1)).collect();
                }
                self.weights[q].extend(w.iter().map(|s| s.2));
            }
        }
    }

    /// Mean weights of projection `q`: `(time_ms, mean)` rows.
    pub fn means(&self, q: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.times
            .iter()
            .copied()
            .zip(self.means[q].iter().copied())
    }

    /// Writes `/weights` into `file` (at `path`, for errors); `ids` maps global indices to
    /// external ids.
    pub fn write(&self, file: &hdf5::File, path: &Path, ids: &[i64]) -> Result<()> {
        let e = |err: hdf5::Error| Error::Data {
            path: path.to_owned(),
            message: format!("writing /weights: {err}"),
        };
        let root = file.create_group("weights").map_err(e)?;
        for (q, name) in self.names.iter().enumerate() {
            let g = root.create_group(name).map_err(e)?;
            g.new_dataset_builder()
                .with_data(&self.times)
                .create("time_ms")
                .map_err(e)?;
            g.new_dataset_builder()
                .with_data(&self.means[q])
                .create("mean")
                .map_err(e)?;
            let src: Vec<i64> = self.synapses[q].iter().map(|s| ids[s.0 as usize]).collect();
            let tgt: Vec<i64> = self.synapses[q].iter().map(|s| ids[s.1 as usize]).collect();
            g.new_dataset_builder()
                .with_data(&src)
                .create("source")
                .map_err(e)?;
            g.new_dataset_builder()
                .with_data(&tgt)
                .create("target")
                .map_err(e)?;
            g.new_dataset_builder()
                .with_data(&self.snap_times)
                .create("snapshot_ms")
                .map_err(e)?;
            let m = src.len();
            let k = self.snap_times.len();
            let arr = ndarray::Array2::from_shape_vec((k, m), self.weights[q].clone()).map_err(
                |err| Error::Data {
                    path: path.to_owned(),
                    message: format!("writing /weights/{name}/weight: {err}"),
                },
            )?;
            g.new_dataset_builder()
                .with_data(&arr)
                .create("weight")
                .map_err(e)?;
        }
        Ok(())
    }
}

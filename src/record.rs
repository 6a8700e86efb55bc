//! Recording a run to HDF5 (DESIGN §7).
//!
//! Layout of an output file:
//! ```text
//! /                      attrs: format = "hebb-output", version, model (the model file's text),
//!                        model_path, seed, t_start_ms, t_stop_ms, complete (0 until the run ends),
//!                        wall_time_s, spikes, synaptic_events, ...
//! /spikes/time_ms        float64[n]  sorted by (trial, time, neuron)
//! /spikes/neuron         int64[n]    neuron ids (as in /neurons/id)
//! /spikes/trial          int32[n]    trial of each spike (runs with `trials` > 1)
//! /rates/neuron          int64[N]    (runs with `trials` > 1) neuron ids,
//! /rates/mean_hz         float64[N]  per-neuron rate in the recorded period, mean over trials,
//! /rates/std_hz          float64[N]  and standard deviation across trials (n − 1)
//! /neurons/id            int64[N]    external ids (a connectome's) or global indices
//! /neurons/population    int16[N]    attr `labels`: JSON list of population names
//! /state/<k>/time_ms     float64[T]  probe k's sample times
//! /state/<k>/neuron      int64[K]
//! /state/<k>/<variable>  float64[T, K]
//! ```
//! With several trials, probes record the first trial only. Spikes are written in chunks while the run goes (and the file flushed), so an interrupted
//! run keeps what it recorded. The engine reports spikes almost in order (none earlier than one
//! window before the last processed tick); the recorder sorts a buffer and writes only the part
//! that can no longer receive earlier spikes.

use crate::engine::Recorder;
use crate::error::{Error, Result};
use crate::h5::{create_log, write_str_attr};
use crate::ids::NeuronId;
use crate::model::build::PopInfo;
use crate::neuron::StateVar;
use crate::time::Time;
use std::path::{Path, PathBuf};

const SPIKE_CHUNK: usize = 1 << 16;
const SAMPLE_CHUNK: usize = 1024;
/// Bytes of spikes and samples written after which the output file is closed and opened
/// again ([`H5Recorder::renew`]).
const RENEW_BYTES: usize = 32 << 20;

/// Writes spikes and state samples of one run to an HDF5 file.
pub struct H5Recorder {
    path: PathBuf,
    /// The open file and its datasets; `None` only after reopening the file failed (the error
    /// was returned).
    open: Option<Open>,
    /// Bytes written since the file was opened.
    since_open: usize,
    /// [`RENEW_BYTES`], smaller in tests.
    renew_after: usize,
    trial: i32,
    /// Neuron id per global index.
    ids: Vec<i64>,
    written: usize,
    buf: Vec<(Time, u32)>,
    /// Per neuron: recorded or not.
    mask: Vec<bool>,
    t_start: Time,
    holdback: Time,
    probes: Vec<ProbeOut>,
    error: Option<Error>,
}

/// The output file's handles. Datasets come first, so that dropping closes them before the
/// file.
struct Open {
    spike_t: hdf5::Dataset,
    spike_n: hdf5::Dataset,
    spike_trial: Option<hdf5::Dataset>,
    /// Per probe: sample times and one dataset per variable.
    probes: Vec<(hdf5::Dataset, Vec<hdf5::Dataset>)>,
    file: hdf5::File,
}

/// The paths of [`Open`]'s datasets, to open them again once the file is closed.
struct Names {
    spike_t: String,
    spike_n: String,
    spike_trial: Option<String>,
    probes: Vec<(String, Vec<String>)>,
}

impl Names {
    fn of(o: &Open) -> Names {
        Names {
            spike_t: o.spike_t.name(),
            spike_n: o.spike_n.name(),
            spike_trial: o.spike_trial.as_ref().map(|d| d.name()),
            probes: o
                .probes
                .iter()
                .map(|(t, vs)| (t.name(), vs.iter().map(|d| d.name()).collect()))
                .collect(),
        }
    }

    /// Opens the output file `path` and these datasets.
    fn open(&self, path: &Path) -> hdf5::Result<Open> {
        let file = crate::h5::open_log(path)?;
        let ds = |name: &String| file.dataset(name);
        Ok(Open {
            spike_t: ds(&self.spike_t)?,
            spike_n: ds(&self.spike_n)?,
            spike_trial: self.spike_trial.as_ref().map(ds).transpose()?,
            probes: self
                .probes
                .iter()
                .map(|(t, vs)| Ok((ds(t)?, vs.iter().map(ds).collect::<hdf5::Result<_>>()?)))
                .collect::<hdf5::Result<_>>()?,
            file,
        })
    }
}

struct ProbeOut {
    k: usize,
    rows: usize,
    buf_t: Vec<f64>,
    buf_v: Vec<f64>,
}

/// Run metadata stored as root attributes.
pub struct RunInfo<'a> {
    /// Model file text.
    pub model_text: &'a str,
    /// Model file path.
    pub model_path: &'a Path,
    /// Seed.
    pub seed: u64,
    /// Recording start.
    pub t_start: Time,
    /// Run end.
    pub t_stop: Time,
    /// Trials.
    pub trials: u32,
}

fn h5err(path: &Path, what: &str, e: hdf5::Error) -> Error {
    Error::Hdf5 {
        path: path.to_owned(),
        message: format!("{what}: {e}"),
    }
}

impl H5Recorder {
    /// Creates the output file (overwriting it).
    ///
    /// `ids` is every neuron's id (global order); `probes` gives, per probe, its neurons and
    /// variables; `window` is the engine's window.
    pub fn create(
        path: &Path,
        pops: &[PopInfo],
        ids: &[i64],
        probes: &[(Vec<NeuronId>, Vec<StateVar>)],
        info: &RunInfo,
        window: Time,
    ) -> Result<H5Recorder> {
        let e = |what: &str| {
            let what = what.to_owned();
            move |err: hdf5::Error| h5err(path, &what, err)
        };
        let file = create_log(path).map_err(e("cannot create the output file"))?;
        let (mask, pop_code) = masks(pops);
        assert_eq!(ids.len(), mask.len(), "one id per neuron");
        let g = file.create_group("neurons").map_err(e("/neurons"))?;
        g.new_dataset_builder()
            .with_data(ids)
            .create("id")
            .map_err(e("/neurons/id"))?;
        let pd = g
            .new_dataset_builder()
            .with_data(&pop_code)
            .create("population")
            .map_err(e("/neurons/population"))?;
        let labels: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
        write_str_attr(
            &pd,
            "labels",
            &serde_json::to_string(&labels).expect("strings serialise"),
        )
        .map_err(e("labels"))?;

        write_str_attr(&file, "format", "hebb-output").map_err(e("attributes"))?;
        write_str_attr(&file, "version", env!("CARGO_PKG_VERSION")).map_err(e("attributes"))?;
        write_str_attr(&file, "model", info.model_text).map_err(e("attributes"))?;
        write_str_attr(&file, "model_path", &info.model_path.display().to_string())
            .map_err(e("attributes"))?;
        write_attr(&file, "seed", info.seed).map_err(e("attributes"))?;
        write_attr(&file, "t_start_ms", info.t_start.as_ms()).map_err(e("attributes"))?;
        write_attr(&file, "t_stop_ms", info.t_stop.as_ms()).map_err(e("attributes"))?;
        write_attr(&file, "complete", 0u8).map_err(e("attributes"))?;
        write_attr(&file, "trials", info.trials).map_err(e("attributes"))?;

        let sg = file.create_group("spikes").map_err(e("/spikes"))?;
        let spike_t = sg
            .new_dataset::<f64>()
            .chunk(SPIKE_CHUNK)
            .shape(hdf5::SimpleExtents::resizable([0usize]))
            .create("time_ms")
            .map_err(e("/spikes/time_ms"))?;
        let spike_n = sg
            .new_dataset::<i64>()
            .chunk(SPIKE_CHUNK)
            .shape(hdf5::SimpleExtents::resizable([0usize]))
            .create("neuron")
            .map_err(e("/spikes/neuron"))?;
        let spike_trial = if info.trials > 1 {
            Some(
                sg.new_dataset::<i32>()
                    .chunk(SPIKE_CHUNK)
                    .shape(hdf5::SimpleExtents::resizable([0usize]))
                    .create("trial")
                    .map_err(e("/spikes/trial"))?,
            )
        } else {
            None
        };

        let (mut outs, mut sets) = (Vec::new(), Vec::new());
        if !probes.is_empty() {
            let st = file.create_group("state").map_err(e("/state"))?;
            for (k, (neurons, vars)) in probes.iter().enumerate() {
                let g = st.create_group(&k.to_string()).map_err(e("/state"))?;
                let ids: Vec<i64> = neurons.iter().map(|n| ids[n.index()]).collect();
                g.new_dataset_builder()
                    .with_data(&ids)
                    .create("neuron")
                    .map_err(e("/state/neuron"))?;
                let times = g
                    .new_dataset::<f64>()
                    .chunk(SAMPLE_CHUNK)
                    .shape(hdf5::SimpleExtents::resizable([0usize]))
                    .create("time_ms")
                    .map_err(e("/state/time_ms"))?;
                let mut ds = Vec::new();
                for v in vars {
                    ds.push(
                        g.new_dataset::<f64>()
                            .chunk((SAMPLE_CHUNK.min(64), ids.len().max(1)))
                            .shape(hdf5::SimpleExtents::resizable([0usize, ids.len()]))
                            .create(v.name())
                            .map_err(e("/state variable"))?,
                    );
                }
                sets.push((times, ds));
                outs.push(ProbeOut {
                    k: ids.len(),
                    rows: 0,
                    buf_t: Vec::new(),
                    buf_v: Vec::new(),
                });
            }
        }
        // A file killed before its first chunk still opens, with its layout.
        file.flush().map_err(e("flushing"))?;
        Ok(H5Recorder {
            path: path.to_owned(),
            open: Some(Open {
                spike_t,
                spike_n,
                spike_trial,
                probes: sets,
                file,
            }),
            since_open: 0,
            renew_after: RENEW_BYTES,
            trial: 0,
            ids: ids.to_vec(),
            written: 0,
            buf: Vec::with_capacity(SPIKE_CHUNK * 2),
            mask,
            t_start: info.t_start,
            holdback: window,
            probes: outs,
            error: None,
        })
    }

    /// Opens the output of a run resumed from a checkpoint (arguments as for
    /// [`H5Recorder::create`]; `at` from the checkpoint). The file must be that run's (same
    /// model text); what the run wrote after the checkpoint is cut off, to be written again.
    pub fn reopen(
        path: &Path,
        pops: &[PopInfo],
        ids: &[i64],
        probes: &[(Vec<NeuronId>, Vec<StateVar>)],
        info: &RunInfo,
        window: Time,
        at: &crate::engine::RecordState,
    ) -> Result<H5Recorder> {
        let e = |what: &str| {
            let what = what.to_owned();
            move |err: hdf5::Error| h5err(path, &what, err)
        };
        let file = crate::h5::open_log(path)
            .map_err(e("cannot open the output file of the checkpointed run"))?;
        let attr = |name: &str| {
            file.attr(name)
                .ok()
                .and_then(|a| crate::connectome::file::read_str_attr(&a))
        };
        if attr("format").as_deref() != Some("hebb-output")
            || attr("model").as_deref() != Some(info.model_text)
        {
            return Err(Error::Hdf5 {
                path: path.to_owned(),
                message: "not the output of the checkpointed run (its model differs); \
                          move it back or resume with the file the run wrote"
                    .into(),
            });
        }
        let (mask, _) = masks(pops);
        let ds = |name: &str| file.dataset(name).map_err(e(name));
        let (spike_t, spike_n) = (ds("spikes/time_ms")?, ds("spikes/neuron")?);
        let written = at.spikes_written as usize;
        if spike_t.size() < written || spike_n.size() < written {
            return Err(Error::Hdf5 {
                path: path.to_owned(),
                message: format!(
                    "/spikes has {} rows, fewer than the {written} written at the checkpoint",
                    spike_t.size()
                ),
            });
        }
        spike_t.resize([written]).map_err(e("/spikes/time_ms"))?;
        spike_n.resize([written]).map_err(e("/spikes/neuron"))?;
        let (mut outs, mut sets) = (Vec::new(), Vec::new());
        for (k, (neurons, vars)) in probes.iter().enumerate() {
            let rows = at.probe_rows.get(k).copied().unwrap_or(0) as usize;
            let times = ds(&format!("state/{k}/time_ms"))?;
            times.resize([rows]).map_err(e("/state"))?;
            let mut vs = Vec::new();
            for v in vars {
                let d = ds(&format!("state/{k}/{}", v.name()))?;
                d.resize([rows, neurons.len()]).map_err(e("/state"))?;
                vs.push(d);
            }
            sets.push((times, vs));
            outs.push(ProbeOut {
                k: neurons.len(),
                rows,
                buf_t: Vec::new(),
                buf_v: Vec::new(),
            });
        }
        for g in ["weights", "rates"] {
            if file.link_exists(g) {
                file.unlink(g).map_err(e(g))?;
            }
        }
        write_attr(&file, "complete", 0u8).map_err(e("attributes"))?;
        file.flush().map_err(e("flushing"))?;
        Ok(H5Recorder {
            path: path.to_owned(),
            open: Some(Open {
                spike_t,
                spike_n,
                spike_trial: None,
                probes: sets,
                file,
            }),
            since_open: 0,
            renew_after: RENEW_BYTES,
            trial: 0,
            ids: ids.to_vec(),
            written,
            buf: Vec::with_capacity(SPIKE_CHUNK * 2),
            mask,
            t_start: info.t_start,
            holdback: window,
            probes: outs,
            error: None,
        })
    }

    /// Writes everything buffered and the final attributes of a run interrupted at `reached`
    /// (attribute `t_reached_ms`); the file stays marked incomplete.
    pub fn finish_incomplete(mut self, reached: Time, attrs: &[(&str, f64)]) -> Result<()> {
        self.write_out(attrs)?;
        let e = |err| h5err(&self.path, "writing attributes", err);
        let file = &self.open()?.file;
        write_attr(file, "t_reached_ms", reached.as_ms()).map_err(e)?;
        file.flush().map_err(e)
    }

    /// The open file and its datasets.
    fn open(&self) -> Result<&Open> {
        self.open.as_ref().ok_or_else(|| self.closed())
    }

    /// The error of a recorder whose file could not be opened again.
    fn closed(&self) -> Error {
        Error::Hdf5 {
            path: self.path.clone(),
            message: "the output file could not be opened again to go on writing".into(),
        }
    }

    /// Counts `bytes` written, and once [`RENEW_BYTES`] are, closes the file and opens it
    /// again.
    ///
    /// **Why.** The file's metadata cache does not evict (see [`crate::h5::create_log`]: a
    /// kill between flushes must not leave metadata half written), so it grows with the
    /// chunk indices of everything written: 2 h simulated of B4 grew from 47 to 104 MiB while
    /// writing 4.9 GB. Closing the file empties it; opening it again costs milliseconds. The
    /// file on disk is whole before and after (everything was flushed). Every 256 MiB, B4
    /// for 300 s peaked at 52.8 MiB; every 32 MiB, at 42.5 MiB (for 20 s without an output, 20.1).
    fn wrote(&mut self, bytes: usize) -> Result<()> {
        self.since_open += bytes;
        if self.since_open < self.renew_after {
            return Ok(());
        }
        self.renew()
    }

    /// Closes the output file and opens it again (see [`H5Recorder::wrote`]).
    fn renew(&mut self) -> Result<()> {
        let e = |err| h5err(&self.path, "closing and opening again", err);
        let was = self.open.take().ok_or_else(|| self.closed())?;
        was.file.flush().map_err(e)?;
        // Every handle is dropped (the file closed) before it is opened again: opened while
        // still open, it would share the same cache.
        let names = Names::of(&was);
        drop(was);
        self.open = Some(names.open(&self.path).map_err(e)?);
        self.since_open = 0;
        Ok(())
    }

    /// Writes everything buffered and the attributes `attrs`.
    fn write_out(&mut self, attrs: &[(&str, f64)]) -> Result<()> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.write_spikes(None)?;
        for k in 0..self.probes.len() {
            self.write_probe(k)?;
        }
        let e = |err| h5err(&self.path, "writing attributes", err);
        let file = &self.open()?.file;
        for (name, v) in attrs {
            write_attr(file, name, *v).map_err(e)?;
        }
        Ok(())
    }

    /// Spikes written so far.
    pub fn spikes_written(&self) -> usize {
        self.written
    }

    fn write_spikes(&mut self, upto: Option<Time>) -> Result<()> {
        self.buf.sort_unstable();
        let cut = match upto {
            Some(t) => self.buf.partition_point(|s| s.0 < t),
            None => self.buf.len(),
        };
        if cut == 0 {
            return Ok(());
        }
        let times: Vec<f64> = self.buf[..cut].iter().map(|s| s.0.as_ms()).collect();
        let ids: Vec<i64> = self.buf[..cut]
            .iter()
            .map(|s| self.ids[s.1 as usize])
            .collect();
        let (a, b) = (self.written, self.written + cut);
        let e = |err| h5err(&self.path, "writing /spikes", err);
        let o = self.open()?;
        o.spike_t.resize([b]).map_err(e)?;
        o.spike_n.resize([b]).map_err(e)?;
        o.spike_t.write_slice(&times, a..b).map_err(e)?;
        o.spike_n.write_slice(&ids, a..b).map_err(e)?;
        if let Some(tr) = &o.spike_trial {
            tr.resize([b]).map_err(e)?;
            tr.write_slice(&vec![self.trial; cut], a..b).map_err(e)?;
        }
        o.file.flush().map_err(e)?;
        self.written = b;
        self.buf.drain(..cut);
        self.wrote(cut * 16)
    }

    fn write_probe(&mut self, k: usize) -> Result<()> {
        let n = self.probes[k].buf_t.len();
        if n == 0 {
            return Ok(());
        }
        let e = |err| h5err(&self.path, "writing /state", err);
        let (times, vars) = &self.open.as_ref().ok_or_else(|| self.closed())?.probes[k];
        let p = &mut self.probes[k];
        let (a, b) = (p.rows, p.rows + n);
        times.resize([b]).map_err(e)?;
        times.write_slice(&p.buf_t, a..b).map_err(e)?;
        let nv = vars.len();
        for (v, ds) in vars.iter().enumerate() {
            let mut block = Vec::with_capacity(n * p.k);
            for r in 0..n {
                for c in 0..p.k {
                    block.push(p.buf_v[r * p.k * nv + c * nv + v]);
                }
            }
            let arr =
                ndarray::Array2::from_shape_vec((n, p.k), block).expect("block has n*k values");
            ds.resize([b, p.k]).map_err(e)?;
            ds.write_slice(&arr, (a..b, ..)).map_err(e)?;
        }
        p.rows = b;
        p.buf_t.clear();
        p.buf_v.clear();
        self.wrote(n * (1 + nv * self.probes[k].k) * 8)
    }

    /// Ends the current trial (writes its spikes) and starts trial `k`; probes record the first
    /// trial only.
    pub fn begin_trial(&mut self, k: u32) -> Result<()> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.write_spikes(None)?;
        for p in 0..self.probes.len() {
            self.write_probe(p)?;
        }
        self.trial = k as i32;
        Ok(())
    }

    /// Writes the per-neuron rates across trials (`/rates`).
    pub fn write_rates(&mut self, mean_hz: &[f64], std_hz: &[f64]) -> Result<()> {
        let e = |err| h5err(&self.path, "writing /rates", err);
        let g = self.open()?.file.create_group("rates").map_err(e)?;
        g.new_dataset_builder()
            .with_data(&self.ids)
            .create("neuron")
            .map_err(e)?;
        g.new_dataset_builder()
            .with_data(mean_hz)
            .create("mean_hz")
            .map_err(e)?;
        g.new_dataset_builder()
            .with_data(std_hz)
            .create("std_hz")
            .map_err(e)?;
        Ok(())
    }

    /// Writes the weights of plastic projections (`/weights`).
    pub fn write_weights(&self, log: &crate::weights::WeightLog) -> Result<()> {
        log.write(&self.open()?.file, &self.path, &self.ids)
    }

    /// Writes everything buffered and the final attributes, and marks the file complete.
    pub fn finish(mut self, attrs: &[(&str, f64)]) -> Result<()> {
        self.write_out(attrs)?;
        let e = |err| h5err(&self.path, "writing attributes", err);
        let file = &self.open()?.file;
        file.attr("complete")
            .and_then(|a| a.write_scalar(&1u8))
            .map_err(e)?;
        file.flush().map_err(e)?;
        Ok(())
    }
}

impl Recorder for H5Recorder {
    fn spike(&mut self, t: Time, n: NeuronId) {
        if t >= self.t_start && self.mask[n.index()] {
            self.buf.push((t, n.0));
        }
    }

    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        if self.trial > 0 {
            return;
        }
        let p = &mut self.probes[probe];
        p.buf_t.push(t.as_ms());
        p.buf_v.extend_from_slice(values);
        if p.buf_t.len() >= SAMPLE_CHUNK
            && self.error.is_none()
            && let Err(e) = self.write_probe(probe)
        {
            self.error = Some(e);
        }
    }

    fn save(&mut self, t: Time, st: &mut crate::engine::RecordState) -> Result<()> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.write_spikes(Some(t))?;
        for k in 0..self.probes.len() {
            self.write_probe(k)?;
        }
        self.open()?
            .file
            .flush()
            .map_err(|err| h5err(&self.path, "flushing", err))?;
        st.spikes_written = self.written as u64;
        st.probe_rows = self.probes.iter().map(|p| p.rows as u64).collect();
        Ok(())
    }

    fn progress(&mut self, t: Time) {
        if self.buf.len() >= SPIKE_CHUNK && self.error.is_none() {
            let safe = Time(t.0.saturating_sub(self.holdback.0));
            if let Err(e) = self.write_spikes(Some(safe)) {
                self.error = Some(e);
            }
        }
    }
}

/// Per neuron (global order): whether its spikes are recorded, and its population's index.
fn masks(pops: &[PopInfo]) -> (Vec<bool>, Vec<i16>) {
    let n: usize = pops.iter().map(|p| p.size as usize).sum();
    let mut mask = vec![false; n];
    let mut pop_code = vec![0i16; n];
    for (k, p) in pops.iter().enumerate() {
        for i in p.offset..p.offset + p.size {
            mask[i as usize] = p.record_spikes;
            pop_code[i as usize] = k as i16;
        }
    }
    (mask, pop_code)
}

fn write_attr<T: hdf5::H5Type>(loc: &hdf5::Location, name: &str, value: T) -> hdf5::Result<()> {
    if let Ok(a) = loc.attr(name) {
        return a.write_scalar(&value);
    }
    loc.new_attr::<T>()
        .shape(())
        .create(name)?
        .write_scalar(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorder that closes and opens its file every few hundred spikes writes the same
    /// file as one that never does: every spike and sample, in order, marked complete.
    #[test]
    fn a_file_opened_again_while_writing_holds_everything_written() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pops = [PopInfo {
            name: "E".into(),
            model: "lif_delta".into(),
            offset: 0,
            size: 10,
            full_size: 10,
            record_spikes: true,
            rows: None,
        }];
        let ids: Vec<i64> = (100..110).collect();
        let probes = [(vec![NeuronId(2), NeuronId(7)], vec![StateVar::Vm])];
        let write = |renew_after: usize, name: &str| {
            let path = dir.path().join(name);
            let info = RunInfo {
                model_text: "model",
                model_path: Path::new("m.toml"),
                seed: 1,
                t_start: Time::ZERO,
                t_stop: Time::from_ms(1e4).expect("in range"),
                trials: 1,
            };
            let window = Time::from_ms(0.1).expect("in range");
            let mut rec =
                H5Recorder::create(&path, &pops, &ids, &probes, &info, window).expect("created");
            rec.renew_after = renew_after;
            for k in 0..200_000u64 {
                let t = Time::from_ms(k as f64 * 0.05).expect("in range");
                rec.spike(t, NeuronId((k * 7 % 10) as u32));
                if k % 10 == 0 {
                    rec.sample(t, 0, &[k as f64, -(k as f64)]);
                }
                rec.progress(t);
            }
            let renewed = rec.since_open;
            rec.finish(&[]).expect("finished");
            (path, renewed)
        };
        let (plain, _) = write(RENEW_BYTES, "plain.h5");
        let (renewed, left) = write(4096, "renewed.h5");
        assert!(left < 4096, "the file was opened again");
        let read = |path: &Path| {
            let f = hdf5::File::open(path).expect("opens");
            let v = |name: &str| f.dataset(name).expect(name).read_raw::<f64>().expect(name);
            let complete: u8 = f
                .attr("complete")
                .and_then(|a| a.read_scalar())
                .expect("attr");
            let neurons = f.dataset("spikes/neuron").and_then(|d| d.read_raw::<i64>());
            (
                complete,
                v("spikes/time_ms"),
                neurons.expect("neurons"),
                v("state/0/time_ms"),
                v("state/0/V_m"),
            )
        };
        let (a, b) = (read(&plain), read(&renewed));
        assert_eq!(a.0, 1);
        assert_eq!(a.1.len(), 200_000);
        assert_eq!(a.3.len(), 20_000);
        assert_eq!(a, b);
    }
}

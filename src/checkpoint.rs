//! Checkpoint files: everything a run needs to go on, in HDF5.
//!
//! ```text
//! /                          attrs: format = "hebb-checkpoint", version, time_ms (the time
//!                            reached)
//! /run/json                  uint8: JSON of the run (model text and path, seed, duration,
//!                            scheduler, output file and its positions, hashes of the
//!                            input files, weights taken so far)
//! /engine/stats              attrs: the engine's counters
//! /engine/spikes/{time,neuron,class}   spikes in flight (time in ticks of 1 ps)
//! /engine/entries/{time,kind,a,b}      the engine's own queued entries
//! /populations/<k>/neurons/<column>    per-neuron state, rows = the population's neurons
//! /populations/<k>/shared/{keys,<column>}  state shared by the parts of a split population
//! /plasticity/<table>/{keys,<column>}  detectors, rules' traces, plastic weights
//! /run/counts, /run/per_neuron         spikes counted so far (per population, per neuron)
//! ```
//! A column of width 1 is a 1-D dataset, else `[rows, width]`. Times are integer ticks, so
//! a state round-trips bit for bit. The file is written beside its final name and renamed,
//! so a checkpoint on disk is always whole.
//!
//! A checkpoint holds state, not parameters: `hebb resume` builds the network again from the
//! stored model text (refusing if a file it read changed since: their hashes are stored) and
//! loads the state into it, with any number of threads.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::engine::checkpoint::EngineState;
use crate::engine::queue::Entry;
use crate::engine::state::{Column, PopState, Table, Values};
use crate::error::{Error, Result};
use crate::h5::{create_output, open_input, write_str_attr};
use crate::time::Time;

/// The run around an engine state: what `hebb resume` needs besides the state.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunState {
    /// The model's text as run (areas expanded, overrides applied).
    pub model_text: String,
    /// The model file's path (relative paths in the model are relative to its folder).
    pub model_path: PathBuf,
    /// The seed of the run.
    pub seed: u64,
    /// Warm-up (ticks).
    pub warmup: u64,
    /// Recorded duration (ticks).
    pub duration: u64,
    /// The scheduler (`calendar` or `heap`).
    pub scheduler: String,
    /// Shards of the run that saved (for information: a resumed run may use any number).
    pub threads: usize,
    /// Interval between checkpoints (ticks), if any.
    pub every: Option<u64>,
    /// The output file, if the run records.
    pub output: Option<PathBuf>,
    /// Spikes written to the output so far.
    pub spikes_written: u64,
    /// Rows written per state probe so far.
    pub probe_rows: Vec<u64>,
    /// Wall time simulated so far (s).
    pub simulate_s: f64,
    /// Every file the model read (connectomes, edge lists, spike lists, id lists), with its
    /// size and hash (FNV-1a, 64 bits).
    #[serde(alias = "connectomes")]
    pub inputs: Vec<(PathBuf, u64, u64)>,
    /// Weights taken so far (`[record.weights]`).
    pub weight_log: Option<crate::weights::WeightLog>,
    /// Spikes counted in the recorded period, per population.
    #[serde(skip)]
    pub counts: Vec<u64>,
    /// Spikes counted in the recorded period, per neuron.
    #[serde(skip)]
    pub per_neuron: Vec<u32>,
}

/// A checkpoint: an engine state and its run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checkpoint {
    /// The simulation's state.
    pub state: EngineState,
    /// The run's.
    pub run: RunState,
}

fn h5err(path: &Path, what: &str) -> impl Fn(hdf5::Error) -> Error + use<> {
    let (path, what) = (path.to_owned(), what.to_owned());
    move |e| Error::Hdf5 {
        path: path.clone(),
        message: format!("{what}: {e}"),
    }
}

fn bad(path: &Path, message: String) -> Error {
    Error::Hdf5 {
        path: path.to_owned(),
        message: format!("{message} (is it a checkpoint written by this version of hebb?)"),
    }
}

/// Size and 64-bit FNV-1a hash of a file's bytes (an input file's identity).
pub fn file_hash(path: &Path) -> Result<(u64, u64)> {
    let io = Error::io(path);
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut h, mut n) = (0xcbf2_9ce4_8422_2325u64, 0u64);
    loop {
        let k = f.read(&mut buf).map_err(io)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        for &b in &buf[..k] {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok((n, h))
}

/// Writes a checkpoint to `path` (through a temporary file beside it, then renamed).
pub fn write(path: &Path, ck: &Checkpoint) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let tmp = path.with_extension("h5.partial");
    write_file(&tmp, ck)?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))
}

fn write_file(path: &Path, ck: &Checkpoint) -> Result<()> {
    let e = |what: &str| h5err(path, what);
    let f = create_output(path).map_err(e("cannot create the checkpoint"))?;
    write_str_attr(&f, "format", "hebb-checkpoint").map_err(e("attributes"))?;
    write_str_attr(&f, "version", env!("CARGO_PKG_VERSION")).map_err(e("attributes"))?;
    f.new_attr::<f64>()
        .shape(())
        .create("time_ms")
        .and_then(|a| a.write_scalar(&ck.state.now.as_ms()))
        .map_err(e("attributes"))?;

    let st = &ck.state;
    let eng = f.create_group("engine").map_err(e("/engine"))?;
    let mut stats = Table::with_rows(1);
    let s = &st.stats;
    stats.put(
        "counters",
        5,
        vec![
            s.spikes,
            s.synaptic_events,
            s.queue_pushes,
            s.queue_pops,
            s.queue_peak,
        ],
    );
    stats.put("now", 1, vec![st.now.0]);
    write_table(&eng, "stats", &stats).map_err(e("/engine/stats"))?;
    write_table(
        &eng,
        "spikes",
        &crate::engine::checkpoint::spikes_table(&st.spikes),
    )
    .map_err(e("/engine/spikes"))?;
    let mut entries = Table::with_rows(st.entries.len());
    entries.put("time", 1, st.entries.iter().map(|x| x.time.0).collect());
    entries.put(
        "kind",
        1,
        st.entries.iter().map(|x| x.kind() as u32).collect(),
    );
    entries.put("a", 1, st.entries.iter().map(|x| x.a()).collect());
    entries.put("b", 1, st.entries.iter().map(|x| x.b()).collect());
    write_table(&eng, "entries", &entries).map_err(e("/engine/entries"))?;

    let pops = f.create_group("populations").map_err(e("/populations"))?;
    for (k, p) in st.pops.iter().enumerate() {
        let g = pops
            .create_group(&k.to_string())
            .map_err(e("/populations"))?;
        g.new_attr::<u32>()
            .shape(())
            .create("size")
            .and_then(|a| a.write_scalar(&st.sizes[k]))
            .map_err(e("/populations"))?;
        write_table(&g, "neurons", &p.neurons).map_err(e("/populations"))?;
        write_table(&g, "shared", &p.shared).map_err(e("/populations"))?;
    }
    let pl = f.create_group("plasticity").map_err(e("/plasticity"))?;
    for (name, t) in &st.plastic.tables {
        write_table(&pl, name, t).map_err(e("/plasticity"))?;
    }
    let r = f.create_group("run").map_err(e("/run"))?;
    let json = serde_json::to_vec(&ck.run).expect("run state serialises");
    r.new_dataset_builder()
        .with_data(&json)
        .create("json")
        .map_err(e("/run/json"))?;
    let mut counts = Table::with_rows(ck.run.counts.len());
    counts.put("counts", 1, ck.run.counts.clone());
    write_table(&r, "counts", &counts).map_err(e("/run"))?;
    let mut per = Table::with_rows(ck.run.per_neuron.len());
    per.put("per_neuron", 1, ck.run.per_neuron.clone());
    write_table(&r, "per_neuron", &per).map_err(e("/run"))?;
    f.flush().map_err(e("flushing"))?;
    Ok(())
}

/// Writes a table as a group: attribute `rows`, dataset `keys` if keyed, a dataset per column.
fn write_table(parent: &hdf5::Group, name: &str, t: &Table) -> hdf5::Result<()> {
    // A table that is not whole would be written as one its reader refuses (or not at all).
    t.check()
        .map_err(|e| hdf5::Error::from(format!("{name}: {e}")))?;
    let g = parent.create_group(name)?;
    g.new_attr::<u64>()
        .shape(())
        .create("rows")?
        .write_scalar(&(t.rows as u64))?;
    if !t.keys.is_empty() {
        g.new_dataset_builder().with_data(&t.keys).create("keys")?;
    }
    for (col, c) in &t.cols {
        macro_rules! put {
            ($v:expr) => {{
                if c.width == 1 {
                    g.new_dataset_builder()
                        .with_data($v.as_slice())
                        .create(col.as_str())?;
                } else {
                    let a = ndarray::ArrayView2::from_shape((t.rows, c.width), $v.as_slice())
                        .expect("a whole table (checked above)");
                    g.new_dataset_builder().with_data(a).create(col.as_str())?;
                }
            }};
        }
        match &c.values {
            Values::F64(v) => put!(v),
            Values::F32(v) => put!(v),
            Values::U64(v) => put!(v),
            Values::I64(v) => put!(v),
            Values::U32(v) => put!(v),
            Values::U8(v) => put!(v),
        }
    }
    Ok(())
}

/// Reads a table written by [`write_table`]; errors name the file and the dataset.
fn read_table(path: &Path, g: &hdf5::Group) -> Result<Table> {
    use hdf5::types::{FloatSize, IntSize, TypeDescriptor};
    let where_ = g.name();
    let e = |what: String| h5err(path, &what);
    let rows = g
        .attr("rows")
        .and_then(|a| a.read_scalar::<u64>())
        .map_err(e(format!("{where_}: attribute rows")))? as usize;
    let mut t = Table::with_rows(rows);
    for name in g.member_names().map_err(e(where_.clone()))? {
        let ds = g.dataset(&name).map_err(e(format!("{where_}/{name}")))?;
        let shape = ds.shape();
        let (n, width) = match shape.as_slice() {
            [n] => (*n, 1),
            [n, w] => (*n, *w),
            _ => {
                return Err(bad(
                    path,
                    format!("{where_}/{name}: expected 1 or 2 dimensions"),
                ));
            }
        };
        if n != rows {
            return Err(bad(
                path,
                format!("{where_}/{name}: {n} rows, attribute rows says {rows}"),
            ));
        }
        let read = e(format!("{where_}/{name}"));
        let desc = ds.dtype().and_then(|d| d.to_descriptor()).map_err(&read)?;
        if name == "keys" {
            t.keys = ds.read_raw::<u64>().map_err(&read)?;
            continue;
        }
        let values = match desc {
            TypeDescriptor::Float(FloatSize::U8) => Values::F64(ds.read_raw().map_err(&read)?),
            TypeDescriptor::Float(FloatSize::U4) => Values::F32(ds.read_raw().map_err(&read)?),
            TypeDescriptor::Unsigned(IntSize::U8) => Values::U64(ds.read_raw().map_err(&read)?),
            TypeDescriptor::Integer(IntSize::U8) => Values::I64(ds.read_raw().map_err(&read)?),
            TypeDescriptor::Unsigned(IntSize::U4) => Values::U32(ds.read_raw().map_err(&read)?),
            TypeDescriptor::Unsigned(IntSize::U1) => Values::U8(ds.read_raw().map_err(&read)?),
            other => {
                return Err(bad(
                    path,
                    format!("{where_}/{name}: unexpected type {other:?}"),
                ));
            }
        };
        t.cols.insert(name, Column { width, values });
    }
    Ok(t)
}

/// Reads a checkpoint; errors name the file and the dataset or attribute.
pub fn read(path: &Path) -> Result<Checkpoint> {
    let e = |what: &str| h5err(path, what);
    let f = open_input(path).map_err(e("cannot open the checkpoint"))?;
    let format = f
        .attr("format")
        .ok()
        .and_then(|a| crate::connectome::file::read_str_attr(&a));
    if format.as_deref() != Some("hebb-checkpoint") {
        return Err(bad(
            path,
            "attribute `format` is not \"hebb-checkpoint\"".into(),
        ));
    }
    let run_json: Vec<u8> = f
        .dataset("run/json")
        .and_then(|d| d.read_raw())
        .map_err(e("/run/json"))?;
    let mut run: RunState =
        serde_json::from_slice(&run_json).map_err(|err| bad(path, format!("/run/json: {err}")))?;

    let group = |name: &str| f.group(name).map_err(e(name));
    let table = |g: &hdf5::Group, name: &str| -> Result<Table> {
        read_table(
            path,
            &g.group(name).map_err(e(&format!("{}/{name}", g.name())))?,
        )
    };
    let col_err = |err: crate::engine::state::StateError| bad(path, err.to_string());
    let eng = group("engine")?;
    let stats_t = table(&eng, "stats")?;
    let c = stats_t.get::<u64>("counters", 5).map_err(col_err)?;
    let stats = crate::engine::Stats {
        spikes: c[0],
        synaptic_events: c[1],
        queue_pushes: c[2],
        queue_pops: c[3],
        queue_peak: c[4],
    };
    let now = Time(stats_t.get::<u64>("now", 1).map_err(col_err)?[0]);
    let spikes = crate::engine::checkpoint::spikes_of(&table(&eng, "spikes")?).map_err(col_err)?;
    let et = table(&eng, "entries")?;
    let (time, kind, a, b) = (
        et.get::<u64>("time", 1).map_err(col_err)?,
        et.get::<u32>("kind", 1).map_err(col_err)?,
        et.get::<u32>("a", 1).map_err(col_err)?,
        et.get::<u32>("b", 1).map_err(col_err)?,
    );
    let mut entries = Vec::with_capacity(et.rows);
    for k in 0..et.rows {
        let kind = crate::engine::queue::Kind::from_code(kind[k]).ok_or_else(|| {
            bad(
                path,
                format!("/engine/entries/kind row {k}: unknown kind {}", kind[k]),
            )
        })?;
        entries.push(Entry::new(Time(time[k]), kind, a[k], b[k]));
    }

    let pg = group("populations")?;
    let n_pops = pg.member_names().map_err(e("/populations"))?.len();
    let (mut sizes, mut pops) = (Vec::with_capacity(n_pops), Vec::with_capacity(n_pops));
    for k in 0..n_pops {
        let g = pg
            .group(&k.to_string())
            .map_err(e(&format!("/populations/{k}")))?;
        let size = g
            .attr("size")
            .and_then(|a| a.read_scalar::<u32>())
            .map_err(e(&format!("/populations/{k}: attribute size")))?;
        sizes.push(size);
        pops.push(PopState {
            neurons: table(&g, "neurons")?,
            shared: table(&g, "shared")?,
        });
    }
    let mut plastic = crate::engine::plastic::PlasticState::default();
    let pl = group("plasticity")?;
    for name in pl.member_names().map_err(e("/plasticity"))? {
        let t = table(&pl, &name)?;
        plastic.tables.insert(name, t);
    }
    let r = group("run")?;
    run.counts = table(&r, "counts")?
        .get::<u64>("counts", 1)
        .map_err(col_err)?
        .to_vec();
    run.per_neuron = table(&r, "per_neuron")?
        .get::<u32>("per_neuron", 1)
        .map_err(col_err)?
        .to_vec();
    Ok(Checkpoint {
        state: EngineState {
            now,
            sizes,
            pops,
            plastic,
            spikes,
            entries,
            stats,
        },
        run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::Kind;
    use proptest::prelude::*;

    fn table(keys: bool, rows: usize, seed: u64) -> Table {
        let mut t = if keys {
            Table::keyed((0..rows as u64).map(|k| k * 7 + seed).collect())
        } else {
            Table::with_rows(rows)
        };
        let f = |k: usize| (k as f64 + seed as f64) * 0.1 - 3.0;
        t.put("f64", 1, (0..rows).map(f).collect::<Vec<f64>>());
        t.put(
            "f32x3",
            3,
            (0..rows * 3).map(|k| f(k) as f32).collect::<Vec<f32>>(),
        );
        t.put(
            "u64x4",
            4,
            (0..rows * 4)
                .map(|k| u64::MAX - k as u64)
                .collect::<Vec<u64>>(),
        );
        t.put(
            "i64",
            1,
            (0..rows).map(|k| -(k as i64)).collect::<Vec<i64>>(),
        );
        t.put("u32", 1, (0..rows as u32).collect::<Vec<u32>>());
        t.put("u8", 1, (0..rows).map(|k| k as u8).collect::<Vec<u8>>());
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Writing a checkpoint and reading it back gives it back, bit for bit.
        #[test]
        fn write_then_read_is_identity(rows in 0usize..20, seed in 0u64..100, n_pops in 0usize..3) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.ckpt.h5");
            let mut plastic = crate::engine::plastic::PlasticState::default();
            plastic.tables.insert("w".into(), table(true, rows, seed));
            let ck = Checkpoint {
                state: EngineState {
                    now: Time(123_456 + seed),
                    sizes: (0..n_pops as u32).map(|p| p + rows as u32).collect(),
                    pops: (0..n_pops)
                        .map(|p| PopState {
                            neurons: table(false, rows + p, seed),
                            shared: table(true, p, seed),
                        })
                        .collect(),
                    plastic,
                    spikes: (0..rows as u32).map(|k| (Time(u64::from(k) * 3), k, k % 4)).collect(),
                    entries: vec![
                        Entry::new(Time(5), Kind::Stimulus, 1, 2),
                        Entry::new(Time(9), Kind::Sample, 0, 0),
                    ],
                    stats: crate::engine::Stats {
                        spikes: seed,
                        synaptic_events: 2,
                        queue_pushes: 3,
                        queue_pops: 4,
                        queue_peak: 5,
                    },
                },
                run: RunState {
                    model_text: format!("[simulation]\nseed = {seed}\n"),
                    model_path: "m.toml".into(),
                    seed,
                    duration: 99,
                    scheduler: "Calendar".into(),
                    threads: 3,
                    every: Some(7),
                    output: Some("o.h5".into()),
                    probe_rows: vec![1, 2],
                    inputs: vec![("c.h5".into(), 10, 0xdead_beef)],
                    counts: vec![1, 2, 3],
                    per_neuron: (0..rows as u32).collect(),
                    ..RunState::default()
                },
            };
            write(&path, &ck).unwrap();
            prop_assert_eq!(read(&path).unwrap(), ck);
        }
    }

    #[test]
    fn a_table_whose_values_do_not_fill_its_rows_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = table(false, 4, 1);
        t.cols.get_mut("f32x3").unwrap().width = 5;
        let mut ck = Checkpoint::default();
        ck.state.pops.push(PopState {
            neurons: t,
            shared: Table::default(),
        });
        ck.state.sizes.push(4);
        let err = write(&dir.path().join("c.h5"), &ck)
            .unwrap_err()
            .to_string();
        assert!(err.contains("f32x3") && err.contains("4 × 5"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_checkpoint_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.h5");
        crate::h5::create_output(&path).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("x.h5") && err.contains("hebb-checkpoint"),
            "{err}"
        );
        let err = read(&dir.path().join("missing.h5"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.h5"), "{err}");
    }
}

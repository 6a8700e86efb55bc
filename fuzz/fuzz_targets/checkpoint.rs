//! `hebb resume` on damaged checkpoints: real checkpoints of small networks (exact and grid
//! LIF neurons, spike sources, a step current, a probe, STDP and short-term plasticity; the
//! two-compartment BDSP network) with their tables, spikes in flight, queued entries, sizes
//! and run record changed by the input (values, lengths, widths, element types, keys,
//! dropped columns and tables), resumed for the rest of the run on 1–3 threads (some through
//! a checkpoint file, which tests the reader too). Resuming ends the run or gives an error,
//! never a panic.
//!
//! `cargo +nightly fuzz run checkpoint fuzz/corpus/checkpoint`

#![no_main]

use arbitrary::Arbitrary;
use hebb::checkpoint::Checkpoint;
use hebb::engine::queue::{Entry, Kind};
use hebb::engine::state::{Column, Table, Values};
use hebb::time::Time;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Exact `lif_delta` and `lif_exp` populations under Poisson and listed input, a grid
/// `lif_delta` population, spike sources, a step current, a probe, STDP and short-term
/// plasticity.
const LIF: &str = r#"
[simulation]
duration = 24.0
seed = 3
resolution = 0.1
[[population]]
name = "S"
size = 3
model = "spike_source"
spike_times = [[1.0, 9.5, 15.0], [12.0], [3.0, 12.05, 20.0]]
[[population]]
name = "D"
size = 12
model = "lif_delta"
update = "exact"
tau_m = 20.0
E_L = 0.0
V_th = 20.0
V_reset = 10.0
t_ref = 2.0
V_m = { uniform = [0.0, 20.0] }
[[population]]
name = "X"
size = 8
model = "lif_exp"
update = "exact"
tau_m = 10.0
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0
tau_syn_ex = 0.5
tau_syn_in = 3.0
V_m = { uniform = [-65.0, -50.0] }
[[population]]
name = "G"
size = 6
model = "lif_delta"
update = "grid"
tau_m = 20.0
E_L = 0.0
V_th = 20.0
V_reset = 10.0
t_ref = 2.0
[[stimulus]]
type = "poisson"
target = "D"
rate = 8000.0
weight = 0.5
[[stimulus]]
type = "poisson"
target = "G"
rate = 8000.0
weight = 0.5
[[stimulus]]
type = "poisson"
target = "X"
rate = 3000.0
weight = 120.0
[[stimulus]]
type = "step_current"
target = "X"
times = [5.0, 15.0]
amplitudes = [50.0, 0.0]
[[projection]]
source = "S"
target = "D"
rule = "all_to_all"
weight = 8.0
delay = 1.0
[[projection]]
source = "D"
target = "X"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 150.0
delay = 1.0
plasticity = { rule = "stdp", lambda = 20.0, alpha = 1.05, w_max = 400.0 }
[[projection]]
source = "D"
target = "D"
rule = { pairwise_bernoulli = { p = 0.2 } }
weight = 2.0
delay = 0.7
stp = { U = 0.5, tau_d = 100.0, tau_f = 50.0, f = 0.2 }
[[projection]]
source = "X"
target = "G"
rule = { pairwise_bernoulli = { p = 0.3 } }
weight = 1.0
delay = 0.4
[[record.state]]
population = "D"
count = 2
variables = ["V_m"]
interval = 1.0
"#;

/// Where the cases are written: a folder of this process.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("hebb-fuzz-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// A checkpoint of `model`, taken while it runs (the last one written before its end).
fn checkpoint_of(name: &str, model: &hebb::model::Model) -> Checkpoint {
    let path = scratch().join(format!("{name}.ckpt.h5"));
    let opts = hebb::run::RunOptions {
        threads: Some(1),
        checkpoint_every: Some(9.5),
        checkpoint: Some(path.clone()),
        ..Default::default()
    };
    hebb::run::run(model, &opts).expect("the base run succeeds");
    hebb::checkpoint::read(&path).expect("the base checkpoint reads")
}

/// The checkpoints every case starts from.
fn bases() -> &'static [Checkpoint] {
    static BASES: OnceLock<Vec<Checkpoint>> = OnceLock::new();
    BASES.get_or_init(|| {
        let lif_path = scratch().join("lif.toml");
        std::fs::write(&lif_path, LIF).expect("the model is written");
        let lif = hebb::model::Model::load(&lif_path).expect("the LIF model parses");
        let sizes: Vec<String> = ["in1", "in2", "hid1", "hid2", "out"]
            .iter()
            .map(|p| format!("population.{p}.size=10"))
            .chain(["simulation.duration=24.0".to_owned()])
            .collect();
        let xor =
            hebb::model::Model::load_with(std::path::Path::new("../models/xor_bdsp.toml"), &sizes)
                .expect("the XOR model parses");
        vec![checkpoint_of("lif", &lif), checkpoint_of("xor", &xor)]
    })
}

/// Which table a change goes to.
#[derive(Arbitrary, Debug)]
enum Where {
    Neurons(u8),
    Shared(u8),
    Plastic(u8),
}

/// A change of a checkpoint.
#[derive(Arbitrary, Debug)]
enum Change {
    Value {
        at: Where,
        col: u8,
        index: u16,
        bits: u64,
    },
    Truncate {
        at: Where,
        col: u8,
        len: u16,
    },
    Extend {
        at: Where,
        col: u8,
        by: u8,
    },
    Width {
        at: Where,
        col: u8,
        width: u8,
    },
    Retype {
        at: Where,
        col: u8,
        to: u8,
    },
    DropColumn {
        at: Where,
        col: u8,
    },
    Rows {
        at: Where,
        rows: u16,
    },
    Key {
        at: Where,
        index: u16,
        key: u64,
    },
    DropKeys {
        at: Where,
    },
    DropTable {
        at: Where,
    },
    Spike {
        index: u16,
        dt: i32,
        neuron: u32,
        class: u8,
    },
    DropSpikes,
    Entry {
        index: u16,
        dt: i32,
        kind: u8,
        a: u32,
        b: u32,
    },
    DropEntries,
    Now {
        dt: i32,
    },
    Size {
        pop: u8,
        size: u32,
    },
    DropPopulation {
        pop: u8,
    },
    Seed(u64),
    Counts {
        index: u8,
        value: u64,
    },
    PerNeuron {
        index: u16,
        value: u32,
    },
    ProbeRows {
        index: u8,
        value: u64,
    },
    SpikesWritten(u64),
    Scheduler(u8),
}

/// The table `at` of `ck`, if there is one.
fn table<'a>(ck: &'a mut Checkpoint, at: &Where) -> Option<&'a mut Table> {
    let pick = |n: usize, k: u8| (n > 0).then(|| k as usize % n);
    match *at {
        Where::Neurons(k) => {
            let i = pick(ck.state.pops.len(), k)?;
            Some(&mut ck.state.pops[i].neurons)
        }
        Where::Shared(k) => {
            let i = pick(ck.state.pops.len(), k)?;
            Some(&mut ck.state.pops[i].shared)
        }
        Where::Plastic(k) => {
            let i = pick(ck.state.plastic.tables.len(), k)?;
            ck.state.plastic.tables.values_mut().nth(i)
        }
    }
}

/// Column number `col` (modulo the number of columns) of `t`.
fn column(t: &mut Table, col: u8) -> Option<&mut Column> {
    let n = t.cols.len();
    (n > 0).then(|| t.cols.values_mut().nth(col as usize % n))?
}

/// A time `dt` tenths of a millisecond (a step) from `t`.
fn shifted(t: Time, dt: i32) -> Time {
    const STEP: i64 = 100_000_000;
    Time((t.0 as i64).saturating_add(i64::from(dt) * STEP).max(0) as u64)
}

fn set_value(v: &mut Values, index: usize, bits: u64) {
    macro_rules! set {
        ($x:expr, $val:expr) => {
            if !$x.is_empty() {
                let i = index % $x.len();
                $x[i] = $val;
            }
        };
    }
    match v {
        Values::F64(x) => set!(x, f64::from_bits(bits)),
        Values::F32(x) => set!(x, f32::from_bits(bits as u32)),
        Values::U64(x) => set!(x, bits),
        Values::I64(x) => set!(x, bits as i64),
        Values::U32(x) => set!(x, bits as u32),
        Values::U8(x) => set!(x, bits as u8),
    }
}

fn resize(v: &mut Values, len: usize) {
    match v {
        Values::F64(x) => x.resize(len, 0.0),
        Values::F32(x) => x.resize(len, 0.0),
        Values::U64(x) => x.resize(len, 0),
        Values::I64(x) => x.resize(len, 0),
        Values::U32(x) => x.resize(len, 0),
        Values::U8(x) => x.resize(len, 0),
    }
}

/// `v` as another element type (values converted with `as`).
fn retype(v: &Values, to: u8) -> Values {
    let f: Vec<f64> = match v {
        Values::F64(x) => x.clone(),
        Values::F32(x) => x.iter().map(|&a| f64::from(a)).collect(),
        Values::U64(x) => x.iter().map(|&a| a as f64).collect(),
        Values::I64(x) => x.iter().map(|&a| a as f64).collect(),
        Values::U32(x) => x.iter().map(|&a| f64::from(a)).collect(),
        Values::U8(x) => x.iter().map(|&a| f64::from(a)).collect(),
    };
    match to % 6 {
        0 => Values::F64(f),
        1 => Values::F32(f.iter().map(|&a| a as f32).collect()),
        2 => Values::U64(f.iter().map(|&a| a as u64).collect()),
        3 => Values::I64(f.iter().map(|&a| a as i64).collect()),
        4 => Values::U32(f.iter().map(|&a| a as u32).collect()),
        _ => Values::U8(f.iter().map(|&a| a as u8).collect()),
    }
}

fn apply(ck: &mut Checkpoint, change: &Change) {
    match change {
        Change::Value {
            at,
            col,
            index,
            bits,
        } => {
            if let Some(c) = table(ck, at).and_then(|t| column(t, *col)) {
                set_value(&mut c.values, *index as usize, *bits);
            }
        }
        Change::Truncate { at, col, len } => {
            if let Some(c) = table(ck, at).and_then(|t| column(t, *col)) {
                let n = (*len as usize).min(c.values.len());
                resize(&mut c.values, n);
            }
        }
        Change::Extend { at, col, by } => {
            if let Some(c) = table(ck, at).and_then(|t| column(t, *col)) {
                let n = c.values.len() + *by as usize;
                resize(&mut c.values, n);
            }
        }
        Change::Width { at, col, width } => {
            if let Some(c) = table(ck, at).and_then(|t| column(t, *col)) {
                c.width = *width as usize % 6;
            }
        }
        Change::Retype { at, col, to } => {
            if let Some(c) = table(ck, at).and_then(|t| column(t, *col)) {
                c.values = retype(&c.values, *to);
            }
        }
        Change::DropColumn { at, col } => {
            if let Some(t) = table(ck, at) {
                let n = t.cols.len();
                if let Some(name) = (n > 0)
                    .then(|| t.cols.keys().nth(*col as usize % n).cloned())
                    .flatten()
                {
                    t.cols.remove(&name);
                }
            }
        }
        Change::Rows { at, rows } => {
            if let Some(t) = table(ck, at) {
                t.rows = *rows as usize;
            }
        }
        Change::Key { at, index, key } => {
            if let Some(t) = table(ck, at)
                && !t.keys.is_empty()
            {
                let i = *index as usize % t.keys.len();
                t.keys[i] = *key;
            }
        }
        Change::DropKeys { at } => {
            if let Some(t) = table(ck, at) {
                t.keys.clear();
            }
        }
        Change::DropTable { at } => match *at {
            Where::Plastic(k) => {
                let n = ck.state.plastic.tables.len();
                if let Some(name) = (n > 0)
                    .then(|| ck.state.plastic.tables.keys().nth(k as usize % n).cloned())
                    .flatten()
                {
                    ck.state.plastic.tables.remove(&name);
                }
            }
            _ => {
                if let Some(t) = table(ck, at) {
                    *t = Table::default();
                }
            }
        },
        Change::Spike {
            index,
            dt,
            neuron,
            class,
        } => {
            let s = (
                shifted(ck.state.now, *dt),
                *neuron % 64,
                u32::from(*class % 5),
            );
            let n = ck.state.spikes.len();
            if (*index as usize).is_multiple_of(4) || n == 0 {
                ck.state.spikes.push(s);
            } else {
                ck.state.spikes[*index as usize % n] = s;
            }
        }
        Change::DropSpikes => ck.state.spikes.clear(),
        Change::Entry {
            index,
            dt,
            kind,
            a,
            b,
        } => {
            let Some(kind) = Kind::from_code(u32::from(*kind % 9)) else {
                return;
            };
            let e = Entry::new(shifted(ck.state.now, *dt), kind, *a % 128, *b % 64);
            let n = ck.state.entries.len();
            if (*index as usize).is_multiple_of(4) || n == 0 {
                ck.state.entries.push(e);
            } else {
                ck.state.entries[*index as usize % n] = e;
            }
        }
        Change::DropEntries => ck.state.entries.clear(),
        Change::Now { dt } => ck.state.now = shifted(ck.state.now, *dt),
        Change::Size { pop, size } => {
            let n = ck.state.sizes.len();
            if n > 0 {
                ck.state.sizes[*pop as usize % n] = *size % 256;
            }
        }
        Change::DropPopulation { pop } => {
            let n = ck.state.pops.len();
            if n > 0 {
                ck.state.pops.remove(*pop as usize % n);
            }
        }
        Change::Seed(s) => ck.run.seed = *s,
        Change::Counts { index, value } => {
            let n = ck.run.counts.len();
            if n > 0 {
                ck.run.counts[*index as usize % n] = *value;
            }
        }
        Change::PerNeuron { index, value } => {
            let n = ck.run.per_neuron.len();
            if n > 0 {
                ck.run.per_neuron[*index as usize % n] = *value;
            }
        }
        Change::ProbeRows { index, value } => {
            let n = ck.run.probe_rows.len();
            if n > 0 {
                ck.run.probe_rows[*index as usize % n] = *value;
            }
        }
        Change::SpikesWritten(v) => ck.run.spikes_written = *v,
        Change::Scheduler(k) => {
            ck.run.scheduler = ["Calendar", "Heap", "calendar", ""][*k as usize % 4].into();
        }
    }
}

/// A case: the base checkpoint, the changes, the resuming run's threads, and whether the
/// checkpoint goes through a file (HDF5 is slow under the sanitizer: most cases resume from
/// the checkpoint in memory, as `hebb resume` does after reading it).
#[derive(Arbitrary, Debug)]
struct Case {
    base: u8,
    changes: Vec<Change>,
    threads: u8,
    via_file: bool,
}

fuzz_target!(|case: Case| {
    let bases = bases();
    let mut ck = bases[case.base as usize % bases.len()].clone();
    // The resumed run writes no checkpoints of its own (they would only slow the fuzzer).
    ck.run.every = None;
    for change in case.changes.iter().take(16) {
        apply(&mut ck, change);
    }
    let threads = Some(1 + case.threads as usize % 3);
    let checkpoint = Some(scratch().join("resumed.ckpt.h5"));
    if case.via_file {
        let path = scratch().join("case.ckpt.h5");
        if hebb::checkpoint::write(&path, &ck).is_err() {
            return;
        }
        let opts = hebb::run::RunOptions {
            threads,
            checkpoint,
            ..Default::default()
        };
        let _ = hebb::run::resume(&path, &opts, Some(64 << 20));
    } else {
        let Ok(mut model) = hebb::model::Model::parse(&ck.run.model_text, &ck.run.model_path)
        else {
            return;
        };
        model.memory_limit = Some(64 << 20);
        let opts = hebb::run::RunOptions {
            threads,
            checkpoint,
            output: ck.run.output.clone(),
            trials: Some(1),
            resume: Some(Box::new(ck)),
            ..Default::default()
        };
        let _ = hebb::run::run(&model, &opts);
    }
});

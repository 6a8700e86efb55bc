//! Checkpoints: a run cut at any time, saved and loaded into a freshly built network with any
//! number of shards, goes on exactly as the run that was never cut.

mod common;
#[path = "checkpoint/exact.rs"]
mod exact;
#[path = "checkpoint/grid.rs"]
mod grid;
#[path = "checkpoint/plastic.rs"]
mod plastic;

/// Spike sources only: the next listed spikes and the spikes in flight over delays of 1–3 ms.
#[test]
fn sources_and_spikes_in_flight_resume() {
    let m = common::model(
        r#"
[simulation]
duration = 60.0
seed = 1
[[population]]
name = "S"
size = 3
model = "spike_source"
spike_times = [[5.0, 19.5, 20.0, 40.0], [19.9], [1.0, 19.95, 50.0]]
[[population]]
name = "T"
size = 6
model = "spike_source"
spike_times = [[30.0], [], [], [], [], [55.0]]
"#,
    );
    common::assert_resumes(&m, 20.0, &[(1, 1), (1, 2), (2, 1), (3, 2)]);
}

/// A small Brunel-type network (NEST `iaf_psc_delta` on the 0.1 ms grid) with a probe:
/// `duration` ms recorded after 20 ms of warm-up.
fn brunel(duration: f64, n_e: usize) -> String {
    use common::random_net::{Kind, population};
    let mut s = format!(
        "[simulation]\nduration = {duration}\nwarmup = 20.0\nseed = 11\nresolution = 0.1\n"
    );
    s += &population("E", &Kind::DeltaGrid, n_e, 11);
    s += &population("I", &Kind::DeltaGrid, n_e / 4, 11);
    for (source, k, w) in [("E", 40, 0.2), ("I", 10, -1.0)] {
        for target in ["E", "I"] {
            s += &format!(
                "[[projection]]\nsource = \"{source}\"\ntarget = \"{target}\"\n\
                 rule = {{ fixed_indegree = {{ indegree = {k} }} }}\nweight = {w:?}\ndelay = 1.5\n"
            );
        }
    }
    for target in ["E", "I"] {
        s += &format!(
            "[[stimulus]]\ntype = \"poisson\"\ntarget = \"{target}\"\nrate = 7000.0\nweight = 0.2\n"
        );
    }
    s + "[[record.state]]\npopulation = \"E\"\ncount = 3\nvariables = [\"V_m\"]\ninterval = 1.0\n"
}

/// An output file's spikes, samples and completion flag.
fn output(path: &std::path::Path) -> (Vec<u64>, Vec<i64>, Vec<u64>, u8) {
    let f = hdf5::File::open(path).unwrap();
    let t: Vec<f64> = f.dataset("spikes/time_ms").unwrap().read_raw().unwrap();
    let n: Vec<i64> = f.dataset("spikes/neuron").unwrap().read_raw().unwrap();
    let v: Vec<f64> = f.dataset("state/0/V_m").unwrap().read_raw().unwrap();
    let complete: u8 = f.attr("complete").unwrap().read_scalar().unwrap();
    (
        t.iter().map(|x| x.to_bits()).collect(),
        n,
        v.iter().map(|x| x.to_bits()).collect(),
        complete,
    )
}

/// Run options with `n` threads and nothing else set.
fn threads(n: usize) -> hebb::run::RunOptions {
    hebb::run::RunOptions {
        threads: Some(n),
        ..Default::default()
    }
}

/// Runs `m` through the library with `opts`, recording to `path`.
fn run_to(
    m: &hebb::model::Model,
    path: &std::path::Path,
    opts: hebb::run::RunOptions,
) -> hebb::run::Summary {
    let opts = hebb::run::RunOptions {
        output: Some(path.to_owned()),
        ..opts
    };
    hebb::run::run(m, &opts).expect("the run succeeds")
}

/// Interrupted at once (the flag is up before the run starts), a run stops after its first
/// slice with a checkpoint and an incomplete output; resumed on another number of threads it
/// ends with the straight run's output, summary counts included.
#[test]
fn an_interrupted_run_resumes_to_the_straight_output() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    let m = common::model(&brunel(200.0, 400));
    let dir = tempfile::tempdir().unwrap();
    let straight = dir.path().join("straight.h5");
    let s0 = run_to(&m, &straight, threads(1));
    let expected = output(&straight);
    assert_eq!(expected.3, 1);
    assert!(
        expected.0.len() > 1000,
        "the network is active: {}",
        expected.0.len()
    );

    for (before, after) in [(1, 3), (2, 1)] {
        let cut = dir.path().join(format!("cut{before}{after}.h5"));
        let ck = dir.path().join(format!("cut{before}{after}.ckpt.h5"));
        let s = run_to(
            &m,
            &cut,
            hebb::run::RunOptions {
                interrupt: Some(Arc::new(AtomicUsize::new(2))),
                ..threads(before)
            },
        );
        let i = s.interrupted.expect("interrupted");
        assert_eq!(i.checkpoint.as_deref(), Some(ck.as_path()));
        assert!(
            i.reached_ms > 0.0 && i.reached_ms < 220.0,
            "{}",
            i.reached_ms
        );
        let partial = output(&cut);
        assert_eq!(partial.3, 0, "marked incomplete");
        let f = hdf5::File::open(&cut).unwrap();
        let reached: f64 = f.attr("t_reached_ms").unwrap().read_scalar().unwrap();
        assert_eq!(reached, i.reached_ms);
        // What was written is the straight run's beginning.
        assert_eq!(partial.0[..], expected.0[..partial.0.len()]);
        assert_eq!(partial.1[..], expected.1[..partial.1.len()]);
        drop(f);

        let opts = threads(after);
        let r = hebb::run::resume(&ck, &opts, None).expect("resumes");
        assert!(r.interrupted.is_none());
        assert_eq!(output(&cut), expected, "{before} → {after} threads");
        assert_eq!(r.stats.spikes, s0.stats.spikes);
        assert_eq!(r.stats.synaptic_events, s0.stats.synaptic_events);
        let rates =
            |s: &hebb::run::Summary| s.populations.iter().map(|p| p.spikes).collect::<Vec<_>>();
        assert_eq!(rates(&r), rates(&s0));
    }
}

/// A checkpoint knows every file its model read: an edge list changed since refuses to resume,
/// naming the file; put back, it resumes.
#[test]
fn a_changed_input_file_refuses_to_resume() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.csv");
    let original = "source,target,weight\n0,0,20\n";
    std::fs::write(&edges, original).unwrap();
    let model = dir.path().join("m.toml");
    std::fs::write(
        &model,
        common::sources_onto_delta_neuron("[[1.0, 30.0]]", 1, 0.0, 15.0, 50.0, ""),
    )
    .unwrap();
    let m = hebb::model::Model::load(&model).unwrap();
    let out = dir.path().join("m.h5");
    let s = run_to(
        &m,
        &out,
        hebb::run::RunOptions {
            interrupt: Some(Arc::new(AtomicUsize::new(2))),
            ..threads(1)
        },
    );
    let ck = s
        .interrupted
        .and_then(|i| i.checkpoint)
        .expect("a checkpoint");
    std::fs::write(&edges, "source,target,weight\n0,0,25\n").unwrap();
    let Err(err) = hebb::run::resume(&ck, &threads(1), None) else {
        panic!("a changed edge list refuses to resume");
    };
    let err = err.to_string();
    assert!(
        err.contains("edges.csv") && err.contains("changed since the checkpoint"),
        "{err}"
    );
    std::fs::write(&edges, original).unwrap();
    hebb::run::resume(&ck, &threads(1), None).expect("the original file resumes");
}

/// A checkpoint damaged in ways a file can be (a column cut short or of another type, a
/// spike in flight or a queued entry naming what the network does not have, another network's
/// sizes, a table missing) resumes to an error that names what is wrong, never a panic.
/// (`fuzz/fuzz_targets/checkpoint.rs` tries such changes at random.)
#[test]
fn damaged_checkpoints_are_refused_with_what_is_wrong() {
    use hebb::checkpoint::Checkpoint;
    use hebb::engine::queue::{Entry, Kind};
    use hebb::engine::state::Values;
    let m = common::model(&brunel(60.0, 80));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.ckpt.h5");
    run_to(
        &m,
        &dir.path().join("b.h5"),
        hebb::run::RunOptions {
            checkpoint_every: Some(40.0),
            checkpoint: Some(path.clone()),
            ..threads(1)
        },
    );
    let base = hebb::checkpoint::read(&path).unwrap();
    let n = base.state.sizes.iter().sum::<u32>();
    type Damage = fn(&mut Checkpoint, u32);
    let damages: [(&str, Damage, &str); 7] = [
        (
            "a neuron column cut short",
            |ck, _| {
                let c = ck.state.pops[0].neurons.cols.values_mut().next().unwrap();
                match &mut c.values {
                    Values::F64(v) => v.truncate(3),
                    Values::U64(v) => v.truncate(3),
                    Values::U32(v) => v.truncate(3),
                    other => panic!("{other:?}"),
                }
            },
            "rows",
        ),
        (
            "a column that does not fill its rows",
            |ck, _| {
                let c = ck.state.pops[0].neurons.cols.values_mut().next().unwrap();
                c.width = 2;
            },
            "rows × width",
        ),
        (
            "a neuron column of another type",
            |ck, _| {
                for c in ck.state.pops[0].neurons.cols.values_mut() {
                    if let Values::F64(v) = &c.values {
                        c.values = Values::U8(vec![0; v.len()]);
                    }
                }
            },
            "state column",
        ),
        (
            "a spike in flight of an unknown neuron",
            |ck, n| ck.state.spikes.push((ck.state.now, n + 5, 0)),
            "neuron",
        ),
        (
            "a queued sample of an unknown probe",
            |ck, _| {
                ck.state
                    .entries
                    .push(Entry::new(ck.state.now, Kind::Sample, 7, 0))
            },
            "entr",
        ),
        (
            "another network's sizes",
            |ck, _| ck.state.sizes[0] += 1,
            "another network",
        ),
        (
            "no neuron table",
            |ck, _| ck.state.pops[1].neurons = Default::default(),
            "state column",
        ),
    ];
    // Resumed from the checkpoint in memory (as `hebb resume` does once it has read the file)
    // and, when it can be written, through a file.
    let resume = |ck: &Checkpoint, t: usize| {
        let model = hebb::model::Model::parse(&ck.run.model_text, &ck.run.model_path).unwrap();
        let mut ck = ck.clone();
        ck.run.output = None;
        hebb::run::run(
            &model,
            &hebb::run::RunOptions {
                checkpoint: Some(dir.path().join("resumed.ckpt.h5")),
                trials: Some(1),
                resume: Some(Box::new(ck)),
                ..threads(t)
            },
        )
    };
    for (what, damage, says) in damages {
        let mut ck = base.clone();
        damage(&mut ck, n);
        for t in [1, 2] {
            let Err(err) = resume(&ck, t) else {
                panic!("{what}: resumed on {t} threads");
            };
            let err = err.to_string();
            assert!(err.contains(says), "{what}, {t} threads: {err}");
        }
        let damaged = dir.path().join("damaged.ckpt.h5");
        match hebb::checkpoint::write(&damaged, &ck) {
            Ok(()) => {
                let Err(err) = hebb::run::resume(&damaged, &threads(1), None) else {
                    panic!("{what}: resumed through a file");
                };
                let err = err.to_string();
                assert!(err.contains(says), "{what}, through a file: {err}");
                assert!(
                    err.contains("damaged.ckpt.h5"),
                    "{what}, names the file: {err}"
                );
            }
            Err(err) => assert!(err.to_string().contains(says), "{what}: {err}"),
        }
    }
}

/// Checkpoints every 70 ms: the last one (at 210 ms) resumes and rewrites the output's end.
#[test]
fn periodic_checkpoints_resume_from_the_last() {
    let m = common::model(&brunel(200.0, 400));
    let dir = tempfile::tempdir().unwrap();
    let straight = dir.path().join("straight.h5");
    run_to(&m, &straight, threads(1));
    let out = dir.path().join("out.h5");
    let ck = dir.path().join("every.ckpt.h5");
    run_to(
        &m,
        &out,
        hebb::run::RunOptions {
            checkpoint_every: Some(70.0),
            checkpoint: Some(ck.clone()),
            ..threads(2)
        },
    );
    assert_eq!(output(&out), output(&straight));
    let c = hebb::checkpoint::read(&ck).unwrap();
    assert_eq!(c.state.now, hebb::time::Time::from_ms(210.0).unwrap());
    hebb::run::resume(&ck, &Default::default(), None).expect("resumes");
    assert_eq!(output(&out), output(&straight));
}

/// SIGINT to a running `hebb run`: exit status 130, a readable output marked incomplete
/// holding the straight run's beginning, and a checkpoint that `hebb resume` takes to the
/// straight run's end.
#[test]
fn sigint_stops_a_run_with_a_checkpoint_that_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("b.toml");
    std::fs::write(&model, brunel(3000.0, 2000)).unwrap();
    let straight = dir.path().join("straight.h5");
    let (code, _, err) = common::hebb(&[
        "run",
        model.to_str().unwrap(),
        "-o",
        straight.to_str().unwrap(),
        "-t",
        "1",
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("b.h5");
    // Interrupt once the run is under way (its output exists), well before its end.
    let child = start(&model, &out);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let res = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{err}");
    assert!(err.contains("hebb resume"), "{err}");
    assert!(
        err.contains("send the signal again to stop at once"),
        "{err}"
    );
    let expected = output(&straight);
    let partial = output(&out);
    assert_eq!(partial.3, 0);
    assert!(partial.0.len() < expected.0.len(), "stopped before the end");
    assert_eq!(partial.0[..], expected.0[..partial.0.len()]);
    let ck = dir.path().join("b.ckpt.h5");
    let (code, _, err) = common::hebb(&["resume", ck.to_str().unwrap(), "-t", "1", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(output(&out), expected);

    // SIGKILL: nothing is cleaned up, yet the file opens with what was flushed before. A run
    // that ends before the kill (a fast or idle machine) proves nothing: try again, sooner.
    let mut wait_ms = 800;
    loop {
        let killed = dir.path().join(format!("k{wait_ms}.h5"));
        let mut child = start(&model, &killed);
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let partial = output(&killed);
        if status.success() {
            assert_eq!(partial, expected, "a run that ended is complete");
            assert!(wait_ms > 10, "every run ended before it could be killed");
            wait_ms /= 2;
            continue;
        }
        assert_eq!(partial.3, 0);
        assert_eq!(partial.0[..], expected.0[..partial.0.len()]);
        assert_eq!(partial.1[..], expected.1[..partial.1.len()]);
        break;
    }
}

/// Starts `hebb run MODEL -o OUT -t 2` and returns once the output file exists.
fn start(model: &std::path::Path, out: &std::path::Path) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hebb"))
        .args([
            "run",
            model.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-t",
            "2",
            "-q",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !out.exists() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// The shipped XOR network (BDSP) with its weights taken every 50 ms: interrupted after its
/// first slice and resumed on two threads, its output's weights (means and snapshots) and
/// spikes are the straight run's.
#[test]
fn a_learning_run_resumes_with_its_weights() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/xor_bdsp.toml");
    let sets = [
        "simulation.duration=300.0".to_string(),
        "record.weights.interval=50.0".to_string(),
    ];
    let m = hebb::model::Model::load_with(&path, &sets).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.h5"), dir.path().join("b.h5"));
    run_to(&m, &a, threads(1));
    let s = run_to(
        &m,
        &b,
        hebb::run::RunOptions {
            interrupt: Some(Arc::new(AtomicUsize::new(15))),
            ..threads(1)
        },
    );
    let ck = s
        .interrupted
        .and_then(|i| i.checkpoint)
        .expect("a checkpoint");
    let opts = threads(2);
    hebb::run::resume(&ck, &opts, None).expect("resumes");
    let read = |p: &std::path::Path| {
        let f = hdf5::File::open(p).unwrap();
        let t: Vec<f64> = f.dataset("spikes/time_ms").unwrap().read_raw().unwrap();
        let mut w = Vec::new();
        for g in f.group("weights").unwrap().member_names().unwrap() {
            for d in ["time_ms", "mean", "snapshot_ms"] {
                let v: Vec<f64> = f
                    .dataset(&format!("weights/{g}/{d}"))
                    .unwrap()
                    .read_raw()
                    .unwrap();
                w.push(v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            }
            let v: Vec<f32> = f
                .dataset(&format!("weights/{g}/weight"))
                .unwrap()
                .read_raw()
                .unwrap();
            w.push(v.iter().map(|x| u64::from(x.to_bits())).collect());
        }
        (t.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), w)
    };
    let (x, y) = (read(&a), read(&b));
    assert!(
        x.1.len() >= 4 && x.1[0].len() >= 6,
        "weights taken every 50 ms"
    );
    assert!(!x.0.is_empty());
    assert_eq!(x, y);
}

//! Reading an output file, its statistics, and the raster/rate plot.

use hdf5::types::VarLenUnicode;
use hebb::analysis::{self, PopStats};
use hebb::plot::{self, PlotOptions};
use std::path::Path;
use std::str::FromStr;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Writes an output file in the engine's layout.
fn write_output(
    path: &Path,
    spikes: &[(f64, i64)],
    ids: &[i64],
    population: &[i16],
    labels: &[&str],
    t_start_ms: f64,
    t_stop_ms: f64,
) {
    let f = hdf5::File::create(path).expect("create file");
    let times: Vec<f64> = spikes.iter().map(|s| s.0).collect();
    let neurons: Vec<i64> = spikes.iter().map(|s| s.1).collect();
    let sg = f.create_group("spikes").expect("group");
    sg.new_dataset_builder()
        .with_data(&times)
        .create("time_ms")
        .expect("time_ms");
    sg.new_dataset_builder()
        .with_data(&neurons)
        .create("neuron")
        .expect("neuron");
    let ng = f.create_group("neurons").expect("group");
    ng.new_dataset_builder()
        .with_data(ids)
        .create("id")
        .expect("id");
    let pd = ng
        .new_dataset_builder()
        .with_data(population)
        .create("population")
        .expect("population");
    let json = serde_json::to_string(labels).expect("json");
    let v = VarLenUnicode::from_str(&json).expect("unicode");
    pd.new_attr::<VarLenUnicode>()
        .shape(())
        .create("labels")
        .expect("attr")
        .write_scalar(&v)
        .expect("write attr");
    for (name, value) in [("t_start_ms", t_start_ms), ("t_stop_ms", t_stop_ms)] {
        f.new_attr::<f64>()
            .shape(())
            .create(name)
            .expect("attr")
            .write_scalar(&value)
            .expect("write attr");
    }
}

/// Six neurons (E: ids 0-3, I: ids 4-5) recorded over 100..1100 ms:
/// neuron 0 fires regularly at 200, 300, 400, 500 (CV 0); neuron 1 at 150, 250;
/// neuron 4 at 110, 120, 140 (ISIs 10, 20: CV 5/15).
fn spikes() -> Vec<(f64, i64)> {
    let mut s: Vec<(f64, i64)> = vec![
        (200.0, 0),
        (300.0, 0),
        (400.0, 0),
        (500.0, 0),
        (150.0, 1),
        (250.0, 1),
        (110.0, 4),
        (120.0, 4),
        (140.0, 4),
    ];
    s.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    s
}

fn sample_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("run.h5");
    write_output(
        &path,
        &spikes(),
        &[0, 1, 2, 3, 4, 5],
        &[0, 0, 0, 0, 1, 1],
        &["E", "I"],
        100.0,
        1100.0,
    );
    path
}

fn png_ok(path: &Path) {
    let bytes = std::fs::read(path).expect("the plot exists");
    assert_eq!(bytes[..8], PNG_SIGNATURE, "not a PNG");
    assert!(bytes.len() > 1024, "PNG of only {} bytes", bytes.len());
}

#[test]
fn read_gives_the_file_contents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = sample_file(dir.path());
    let d = analysis::read(&path).expect("read");
    let sp = spikes();
    assert_eq!(d.times_ms, sp.iter().map(|s| s.0).collect::<Vec<_>>());
    assert_eq!(d.neurons, sp.iter().map(|s| s.1).collect::<Vec<_>>());
    assert_eq!(d.ids, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(d.population, vec![0, 0, 0, 0, 1, 1]);
    assert_eq!(d.labels, vec!["E".to_owned(), "I".to_owned()]);
    assert_eq!(d.t_start_ms, 100.0);
    assert_eq!(d.t_stop_ms, 1100.0);
    assert_eq!(d.source.as_deref(), Some(path.as_path()));
}

#[test]
fn stats_over_the_recording() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = analysis::read(&sample_file(dir.path())).expect("read");
    let s = analysis::stats(&d, d.t_start_ms, d.t_stop_ms);
    assert_eq!(
        s,
        vec![
            PopStats {
                name: "E".into(),
                n_neurons: 4,
                spikes: 6,
                rate_hz: 1.5,
                cv_isi: Some(0.0),
                fraction_active: 0.5,
            },
            PopStats {
                name: "I".into(),
                n_neurons: 2,
                spikes: 3,
                rate_hz: 1.5,
                cv_isi: Some(1.0 / 3.0),
                fraction_active: 0.5,
            },
        ]
    );
}

#[test]
fn stats_over_a_sub_window() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = analysis::read(&sample_file(dir.path())).expect("read");
    // [120, 320): neuron 0 at 200, 300; neuron 1 at 150, 250; neuron 4 at 120, 140.
    let s = analysis::stats(&d, 120.0, 320.0);
    assert_eq!(s[0].spikes, 4);
    assert_eq!(s[0].rate_hz, 4.0 / (4.0 * 0.2));
    assert_eq!(s[0].cv_isi, None);
    assert_eq!(s[0].fraction_active, 0.5);
    assert_eq!(s[1].spikes, 2);
    assert_eq!(s[1].rate_hz, 2.0 / (2.0 * 0.2));
    assert_eq!(s[1].cv_isi, None);
    assert_eq!(s[1].fraction_active, 0.5);
}

#[test]
fn ids_need_not_be_positions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ids.h5");
    // Population "A" = ids 30, 10; "B" = id 20.
    let sp = [(1.0, 10), (2.0, 20), (3.0, 10), (4.0, 30), (5.0, 10)];
    write_output(
        &path,
        &sp,
        &[30, 20, 10],
        &[0, 1, 0],
        &["A", "B"],
        0.0,
        10.0,
    );
    let d = analysis::read(&path).expect("read");
    let s = analysis::stats(&d, 0.0, 10.0);
    assert_eq!(s[0].n_neurons, 2);
    assert_eq!(s[0].spikes, 4);
    assert_eq!(s[0].rate_hz, 200.0);
    assert_eq!(s[0].cv_isi, Some(0.0));
    assert_eq!(s[0].fraction_active, 1.0);
    assert_eq!(s[1].n_neurons, 1);
    assert_eq!(s[1].spikes, 1);
    assert_eq!(s[1].rate_hz, 100.0);
}

#[test]
fn read_errors_name_the_file_and_dataset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.h5");
    write_output(&path, &[(1.0, 7)], &[0, 1], &[0, 0], &["E"], 0.0, 10.0);
    let e = format!("{:#}", analysis::read(&path).expect_err("unknown neuron"));
    assert!(e.contains("bad.h5") && e.contains("/spikes/neuron"), "{e}");

    let f = hdf5::File::create(&path).expect("create");
    f.create_group("spikes").expect("group");
    drop(f);
    let e = format!("{:#}", analysis::read(&path).expect_err("missing dataset"));
    assert!(e.contains("bad.h5") && e.contains("/spikes/time_ms"), "{e}");

    let missing = dir.path().join("missing.h5");
    let e = format!("{:#}", analysis::read(&missing).expect_err("no file"));
    assert!(e.contains("missing.h5"), "{e}");
}

#[test]
fn plot_writes_a_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = analysis::read(&sample_file(dir.path())).expect("read");
    let out = dir.path().join("run.png");
    plot::raster_and_rates(&d, &PlotOptions::default(), &out).expect("plot");
    png_ok(&out);

    let out = dir.path().join("only_i.png");
    let opts = PlotOptions {
        population: Some("I".into()),
        from_ms: Some(100.0),
        to_ms: Some(300.0),
        bin_ms: 10.0,
        width: 640,
        height: 480,
        ..PlotOptions::default()
    };
    plot::raster_and_rates(&d, &opts, &out).expect("plot");
    png_ok(&out);
}

#[test]
fn plot_of_a_larger_network() {
    // 400 E and 100 I neurons firing regularly with neuron-dependent phases and periods.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("net.h5");
    let n = 500i64;
    let mut sp = Vec::new();
    for i in 0..n {
        let period = if i < 400 { 50.0 } else { 20.0 } + (i % 7) as f64;
        let mut t = 100.0 + (i as f64 * 0.37) % period;
        while t < 600.0 {
            sp.push((t, i));
            t += period;
        }
    }
    sp.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let ids: Vec<i64> = (0..n).collect();
    let pop: Vec<i16> = (0..n).map(|i| if i < 400 { 0 } else { 1 }).collect();
    write_output(&path, &sp, &ids, &pop, &["E", "I"], 100.0, 600.0);
    let d = analysis::read(&path).expect("read");
    let out = dir.path().join("net.png");
    plot::raster_and_rates(&d, &PlotOptions::default(), &out).expect("plot");
    png_ok(&out);
    if let Ok(keep) = std::env::var("HEBB_KEEP_PLOT") {
        std::fs::copy(&out, keep).expect("copy the plot");
    }
}

#[test]
fn plot_without_spikes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("silent.h5");
    write_output(&path, &[], &[0, 1, 2], &[0, 0, 1], &["E", "I"], 0.0, 100.0);
    let d = analysis::read(&path).expect("read");
    assert!(d.times_ms.is_empty());
    let s = analysis::stats(&d, 0.0, 100.0);
    assert_eq!(s[0].spikes, 0);
    assert_eq!(s[0].rate_hz, 0.0);
    assert_eq!(s[0].cv_isi, None);
    let out = dir.path().join("silent.png");
    plot::raster_and_rates(&d, &PlotOptions::default(), &out).expect("plot");
    png_ok(&out);
}

#[test]
fn plot_rejects_bad_requests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = analysis::read(&sample_file(dir.path())).expect("read");
    let opts = PlotOptions::default();

    let e = plot::raster_and_rates(&d, &opts, &dir.path().join("a.svg"))
        .expect_err("svg")
        .to_string();
    assert!(e.contains("SVG") && e.contains("PNG"), "{e}");

    let bad_pop = PlotOptions {
        population: Some("X".into()),
        ..PlotOptions::default()
    };
    let e = plot::raster_and_rates(&d, &bad_pop, &dir.path().join("a.png"))
        .expect_err("unknown population")
        .to_string();
    assert!(e.contains("`X`") && e.contains("E, I"), "{e}");

    let empty = PlotOptions {
        from_ms: Some(500.0),
        to_ms: Some(400.0),
        ..PlotOptions::default()
    };
    assert!(plot::raster_and_rates(&d, &empty, &dir.path().join("a.png")).is_err());

    let bad_bin = PlotOptions {
        bin_ms: 0.0,
        ..PlotOptions::default()
    };
    assert!(plot::raster_and_rates(&d, &bad_bin, &dir.path().join("a.png")).is_err());
    assert!(!dir.path().join("a.png").exists());
}

//! `hebb generate`: synthetic connectomes survive a write/read round trip, are deterministic per
//! seed and hit their totals; the FlyWire-scale generator keeps a neuron table's ids and
//! transmitters; rewiring keeps every degree and moves connections; bad options and tables are
//! refused with the option or row named.

mod common;

use common::{hebb, shipped};

use flate2::Compression;
use flate2::write::GzEncoder;
use hebb::connectome::Connectome;
use hebb::connectome::file::{read, write};
use hebb::connectome::generate::{
    Flywire, Rewire, Shape, Synthetic, flywire, read_neuron_table, rewire, synthetic,
};
use proptest::prelude::*;
use std::io::Write as _;
use std::path::Path;

fn params(neurons: u32, connections: u64, seed: u64) -> Synthetic {
    Synthetic {
        neurons,
        connections,
        synapses: None,
        shape: Shape::default(),
        seed,
    }
}

fn same_connectome(a: &Connectome, b: &Connectome) {
    assert_eq!(a.ids, b.ids);
    assert_eq!(a.annotations, b.annotations);
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.provenance.source, b.provenance.source);
    assert_eq!(a.provenance.license, b.provenance.license);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Generate → write → read gives the same connectome, for any small size, density and seed.
    #[test]
    fn generated_connectomes_round_trip(
        n in 1u32..40,
        density in 0.0f64..1.0,
        extra in 0u64..200,
        autapses in any::<bool>(),
        sigma in 0.0f64..2.5,
        seed in any::<u64>(),
    ) {
        let pairs = u64::from(n) * u64::from(if autapses { n } else { n - 1 });
        let m = (pairs as f64 * density) as u64;
        let mut p = params(n, m, seed);
        p.synapses = Some(m + if m > 0 { extra } else { 0 });
        p.shape.autapses = autapses;
        p.shape.out_degree_sigma = sigma;
        let c = synthetic(&p).unwrap();
        prop_assert_eq!(c.edges.len() as u64, m);
        prop_assert_eq!(c.edges.n_synapses(), p.synapses.unwrap());
        prop_assert!(autapses || c.edges.pre.iter().zip(&c.edges.post).all(|(a, b)| a != b));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.h5");
        write(&path, &c).unwrap();
        same_connectome(&read(&path).unwrap(), &c);
    }

    /// Rewiring keeps every neuron's in- and out-degree and out-synapses, for any seed.
    #[test]
    fn rewiring_keeps_degrees(n in 4u32..60, seed in any::<u64>(), k in 0.0f64..3.0) {
        let m = u64::from(n) * u64::from(n - 1) / 4;
        let c = synthetic(&params(n, m, seed)).unwrap();
        let (r, s) = rewire(&c, &Rewire { swaps_per_edge: k, seed, autapses: false }).unwrap();
        prop_assert_eq!(r.degrees(), c.degrees());
        prop_assert_eq!(out_synapses(&r), out_synapses(&c));
        prop_assert!(s.swaps <= s.target && s.attempts >= s.swaps);
        prop_assert!(r.edges.pre.iter().zip(&r.edges.post).all(|(a, b)| a != b));
        let mut pairs: Vec<(u32, u32)> =
            r.edges.pre.iter().copied().zip(r.edges.post.iter().copied()).collect();
        pairs.dedup();
        prop_assert_eq!(pairs.len(), r.edges.len(), "distinct and sorted");
    }
}

fn out_synapses(c: &Connectome) -> Vec<u64> {
    let mut s = vec![0u64; c.n_neurons()];
    for k in 0..c.edges.len() {
        s[c.edges.pre[k] as usize] += u64::from(c.edges.count(k));
    }
    s
}

#[test]
fn generation_is_deterministic_per_seed() {
    let a = synthetic(&params(2000, 40_000, 11)).unwrap();
    let b = synthetic(&params(2000, 40_000, 11)).unwrap();
    same_connectome(&a, &b);
    let c = synthetic(&params(2000, 40_000, 12)).unwrap();
    assert_ne!(a.edges.post, c.edges.post);
    let r = Rewire {
        swaps_per_edge: 2.0,
        seed: 4,
        autapses: false,
    };
    assert_eq!(
        rewire(&a, &r).unwrap().0.edges,
        rewire(&a, &r).unwrap().0.edges
    );
}

#[test]
fn synthetic_degrees_and_counts_are_heavy_tailed() {
    let c = synthetic(&params(5000, 150_000, 3)).unwrap();
    let (din, dout) = c.degrees();
    let mean = 150_000.0 / 5000.0;
    // Lognormal propensities: the largest degree is many times the mean, the median below it.
    let mut d = dout.clone();
    d.sort_unstable();
    assert!(
        *d.last().unwrap() as f64 > 8.0 * mean,
        "max out {}",
        d[4999]
    );
    assert!((d[2500] as f64) < 0.9 * mean, "median out {}", d[2500]);
    assert!(*din.iter().max().unwrap() as f64 > 5.0 * mean);
    let counts = c.edges.count.as_ref().unwrap();
    let ones = counts.iter().filter(|&&x| x == 1).count() as f64 / counts.len() as f64;
    assert!((0.35..0.65).contains(&ones), "single-synapse share {ones}");
    assert!(*counts.iter().max().unwrap() > 40);
    assert_eq!(
        c.edges.n_synapses(),
        (150_000.0f64 * 50.0 / 15.0).round() as u64
    );
}

#[test]
fn rewiring_moves_most_connections_and_is_labelled_a_null_model() {
    let c = synthetic(&params(3000, 60_000, 8)).unwrap();
    let (r, s) = rewire(
        &c,
        &Rewire {
            swaps_per_edge: 1.0,
            seed: 2,
            autapses: false,
        },
    )
    .unwrap();
    assert_eq!(s.swaps, 60_000);
    assert!(
        s.changed as f64 > 0.7 * 60_000.0,
        "changed {} of 60000",
        s.changed
    );
    assert_eq!(r.degrees(), c.degrees());
    assert!(
        r.provenance.source.starts_with("null model"),
        "{}",
        r.provenance.source
    );
    assert!(r.provenance.license.contains("original"));
    // Zero swaps: the same connections.
    let (z, _) = rewire(
        &c,
        &Rewire {
            swaps_per_edge: 0.0,
            ..Rewire::default()
        },
    )
    .unwrap();
    assert_eq!(z.edges, c.edges);
}

#[test]
fn rewiring_refuses_repeated_pairs() {
    let mut c = synthetic(&params(50, 200, 1)).unwrap();
    c.edges.pre.push(c.edges.pre[7]);
    c.edges.post.push(c.edges.post[7]);
    c.edges.count.as_mut().unwrap().push(1);
    let e = rewire(&c, &Rewire::default()).unwrap_err().to_string();
    assert!(
        e.contains("row 200") && e.contains("distinct (pre, post)"),
        "{e}"
    );
}

/// A Codex-style neurons.csv.gz with `n` neurons; returns the ids and transmitter codes.
fn codex_table(path: &Path, n: usize) -> (Vec<i64>, Vec<u8>) {
    let nts = ["ACH", "GABA", "GLUT", "", "DA", "SER", "OCT", "ACH"];
    let codes = [1u8, 2, 3, 0, 4, 5, 6, 1];
    let mut gz = GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::fast());
    writeln!(gz, "root_id,group,nt_type,nt_type_score,da_avg").unwrap();
    let (mut ids, mut nt) = (Vec::new(), Vec::new());
    for i in 0..n {
        let id = 720575940600000000 + (i as i64 * 7919) % 1_000_003;
        writeln!(gz, "{id},ME,{},0.5,0.1", nts[i % nts.len()]).unwrap();
        ids.push(id);
        nt.push(codes[i % codes.len()]);
    }
    gz.finish().unwrap();
    (ids, nt)
}

#[test]
fn flywire_generator_keeps_the_tables_neurons_and_hits_its_totals() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("neurons.csv.gz");
    let (ids, nt) = codex_table(&table, 1500);
    let t = read_neuron_table(&table).unwrap();
    assert_eq!(
        (t.ids.clone(), t.transmitter.clone()),
        (ids.clone(), nt.clone())
    );
    let p = Flywire {
        connections: 60_000,
        synapses: 200_000,
        seed: 5,
        ..Flywire::default()
    };
    let c = flywire(&t, "neurons.csv.gz", &p).unwrap();
    assert_eq!(c.ids, ids);
    assert_eq!(c.edges.len(), 60_000);
    assert_eq!(c.edges.n_synapses(), 200_000);
    let tr = c.edges.transmitter.as_ref().unwrap();
    for k in 0..c.edges.len() {
        assert_eq!(tr[k], nt[c.edges.pre[k] as usize], "connection {k}");
    }
    let col = c.annotation("nt").unwrap();
    assert_eq!(col.label(1), "gaba");
    let src = &c.provenance.source;
    for want in [
        "synthetic: hebb generate flywire",
        "--seed 5",
        "FlyWire v783",
        "Nature 634:124",
    ] {
        assert!(src.contains(want), "{want:?} in {src}");
    }
    let lic = &c.provenance.license;
    assert!(
        lic.contains("generated data") && lic.contains("CC BY 4.0") && lic.contains("10676866")
    );
    // Written and read back: the same.
    let out = dir.path().join("fly.h5");
    write(&out, &c).unwrap();
    same_connectome(&read(&out).unwrap(), &c);
}

#[test]
fn a_connectome_file_serves_as_neuron_table() {
    let mb = shipped("flywire_v783_mushroom_body_R.h5");
    let t = read_neuron_table(&mb).unwrap();
    let c = read(&mb).unwrap();
    assert_eq!(t.ids, c.ids);
    // The file's /neurons/nt uses the default codes; its connections carry the presynaptic one.
    let tr = c.edges.transmitter.as_ref().unwrap();
    for (k, (&pre, &nt)) in c.edges.pre.iter().zip(tr).enumerate() {
        assert_eq!(t.transmitter[pre as usize], nt, "connection {k}");
    }
    assert!(t.provenance.source.contains("FlyWire") || t.provenance.source.contains("783"));
    let g = flywire(
        &t,
        "mb.h5",
        &Flywire {
            connections: 30_000,
            synapses: 90_000,
            ..Flywire::default()
        },
    )
    .unwrap();
    assert_eq!(g.edges.len(), 30_000);
    assert!(g.provenance.license.contains("generated data"));
}

#[test]
fn bad_tables_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("root_id,nt_type\n1,ACH\n2,XYZ\n", "line 3: nt_type \"XYZ\""),
        (
            "root_id,nt_type\n1,ACH\n1,GABA\n",
            "line 3: root_id 1 appears twice",
        ),
        (
            "root_id,nt_type\n1,ACH\nx,GABA\n",
            "line 3: root_id \"x\" is not an integer",
        ),
        ("id,nt\n1,ACH\n", "no column `root_id`"),
    ];
    for (text, want) in cases {
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        let e = read_neuron_table(&path).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("t.csv"), "{want}: {e}");
    }
}

#[test]
fn the_command_line_generates_rewires_and_refuses_impossible_requests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.h5");
    let o = out.to_string_lossy().into_owned();
    let (code, stdout, err) = hebb(&[
        "generate",
        "synthetic",
        "--neurons",
        "400",
        "--connections",
        "5000",
        "--synapses",
        "16000",
        "--seed",
        "3",
        "-o",
        &o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("400 neurons, 5000 connections, 16000 synapses"),
        "{stdout}"
    );
    let c = read(&out).unwrap();
    same_connectome(
        &c,
        &synthetic(&Synthetic {
            synapses: Some(16_000),
            ..params(400, 5000, 3)
        })
        .unwrap(),
    );

    let rew = dir.path().join("r.h5");
    let r = rew.to_string_lossy().into_owned();
    let (code, stdout, err) = hebb(&[
        "generate",
        "rewire",
        &o,
        "-o",
        &r,
        "--seed",
        "1",
        "--swaps-per-edge",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("10000 of 10000 swaps"), "{stdout}");
    let d = read(&rew).unwrap();
    assert_eq!(d.degrees(), c.degrees());
    let (code, stdout, _) = hebb(&["inspect", &r]);
    assert_eq!(code, 0);
    assert!(stdout.contains("null model"), "{stdout}");

    for (args, want) in [
        (
            vec!["synthetic", "--neurons", "10", "--connections", "91"],
            "--connections",
        ),
        (
            vec![
                "synthetic",
                "--neurons",
                "10",
                "--connections",
                "50",
                "--synapses",
                "10",
            ],
            "--synapses",
        ),
        (
            vec![
                "synthetic",
                "--neurons",
                "10",
                "--connections",
                "5",
                "--degree-correlation",
                "2",
            ],
            "--degree-correlation",
        ),
        (
            vec!["flywire", "--neuron-table", "/nonexistent/neurons.csv.gz"],
            "/nonexistent/neurons.csv.gz",
        ),
    ] {
        let mut a = vec!["generate"];
        a.extend(args);
        a.extend(["-o", &o]);
        let (code, _, err) = hebb(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(err.contains(want), "{a:?}: {err}");
    }
    let (code, help, _) = hebb(&["generate", "synthetic", "--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--neurons",
        "--connections",
        "--synapses",
        "--out-degree-sigma",
        "--in-degree-sigma",
        "--degree-correlation",
        "--count-sigma",
        "--autapses",
        "--seed",
        "--output",
    ] {
        assert!(help.contains(flag), "{flag} in\n{help}");
    }
}

//! Connectome files: the shipped real connectomes read with their published sizes, a write/read
//! round trip, bad files rejected with the dataset and row named, per-neuron parameters from a
//! column, and `hebb inspect` on a connectome.

mod common;

use common::{hebb, shipped};

use hebb::connectome::file::{read, read_column, write};
use hebb::connectome::{Annotation, Column, Connectome, Edges, Provenance, TRANSMITTERS};
use hebb::model::Model;

#[test]
fn shipped_connectomes_have_their_published_sizes() {
    // (file, neurons, connections, synapses) from connectomes/README.md.
    let cases = [
        ("flywire_v783_mushroom_body_R.h5", 2935, 25_080, 319_706),
        ("larva_winding2023_brain.h5", 3591, 119_010, 376_091),
        ("celegans_openworm_unified_cook2019.h5", 473, 4377, 28_436),
    ];
    for (file, n, m, syn) in cases {
        let c = read(&shipped(file)).unwrap();
        assert_eq!(c.n_neurons(), n, "{file}");
        assert_eq!(c.edges.len(), m, "{file}");
        assert_eq!(c.edges.n_synapses(), syn, "{file}");
        assert!(
            c.provenance.license.len() > 10,
            "{file} carries its licence"
        );
    }
    // The mushroom body: cell classes and transmitters as annotated.
    let c = read(&shipped("flywire_v783_mushroom_body_R.h5")).unwrap();
    let class = c.annotation("cell_class").unwrap();
    let kcs = (0..c.n_neurons())
        .filter(|&i| class.label(i) == "Kenyon_Cell")
        .count();
    assert_eq!(kcs, 2597);
    let gaba: u64 = (0..c.edges.len())
        .filter(|&k| c.edges.transmitter_label(k) == Some("gaba"))
        .map(|k| c.edges.count(k) as u64)
        .sum();
    assert_eq!(gaba, 50_599);
    // Every connection's synapse count meets the file's threshold (>= 5).
    assert!(c.edges.count.as_ref().unwrap().iter().all(|&x| x >= 5));
    // The petgraph view agrees with the columns.
    let g = c.graph();
    assert_eq!((g.node_count(), g.edge_count()), (2935, 25_080));
}

fn sample() -> Connectome {
    Connectome {
        provenance: Provenance {
            name: "tiny".into(),
            source: "made up".into(),
            license: "CC0".into(),
        },
        ids: vec![720575940000000001, 42, 7],
        annotations: vec![
            Annotation {
                name: "cell_type".into(),
                column: Column::Codes {
                    codes: vec![1, 0, 1],
                    labels: vec!["PN".into(), "KC".into()],
                },
            },
            Annotation {
                name: "I_e".into(),
                column: Column::Numbers(vec![0.0, 250.5, -10.25]),
            },
            Annotation {
                name: "name".into(),
                column: Column::Text(vec!["a".into(), "b".into(), "c".into()]),
            },
        ],
        edges: Edges {
            pre: vec![0, 1, 2, 2],
            post: vec![1, 2, 0, 2],
            count: Some(vec![5, 1, 12, 3]),
            weight: Some(vec![0.5, -1.0, 2.0, 0.25]),
            delay_ms: Some(vec![1.5, 0.1, 2.0, 1.0]),
            transmitter: Some(vec![1, 2, 3, 1]),
            transmitter_labels: TRANSMITTERS.iter().map(|s| s.to_string()).collect(),
        },
    }
}

#[test]
fn write_then_read_gives_the_same_connectome() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.h5");
    let c = sample();
    write(&path, &c).unwrap();
    let d = read(&path).unwrap();
    assert_eq!(d.ids, c.ids);
    assert_eq!(d.edges, c.edges);
    let mut want = c.annotations.clone();
    want.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(d.annotations, want);
    assert_eq!(d.provenance.source, "made up");
    assert_eq!(
        read_column(&path, "I_e").unwrap(),
        Column::Numbers(vec![0.0, 250.5, -10.25])
    );
}

/// Writes `c` after `edit`, reads it back and returns the error message.
fn broken(edit: impl FnOnce(&mut Connectome)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.h5");
    let mut c = sample();
    edit(&mut c);
    write(&path, &c).unwrap();
    let e = read(&path).expect_err("a bad file is rejected").to_string();
    assert!(e.contains("bad.h5"), "names the file: {e}");
    e
}

#[test]
fn bad_connectomes_name_the_dataset_and_row() {
    let e = broken(|c| c.ids[2] = 42);
    assert!(
        e.contains("/neurons/id") && e.contains("id 42 appears twice"),
        "{e}"
    );
    let e = broken(|c| c.edges.weight.as_mut().unwrap()[1] = f32::NAN);
    assert!(
        e.contains("/synapses/weight row 1") && e.contains("NaN"),
        "{e}"
    );
    let e = broken(|c| c.edges.delay_ms.as_mut().unwrap()[3] = -0.5);
    assert!(
        e.contains("/synapses/delay row 3") && e.contains("> 0"),
        "{e}"
    );
    let e = broken(|c| c.edges.count.as_mut().unwrap()[0] = 0);
    assert!(e.contains("/synapses/count row 0"), "{e}");
    let e = broken(|c| {
        if let Column::Numbers(x) = &mut c.annotations[1].column {
            x.pop();
        }
    });
    assert!(e.contains("/neurons/I_e has 2 rows but 3"), "{e}");

    // An unknown id in /synapses/post: write a valid file, then overwrite the dataset.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unknown.h5");
    write(&path, &sample()).unwrap();
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        f.dataset("synapses/post")
            .unwrap()
            .write_raw(&[42i64, 7, 999, 7])
            .unwrap();
    }
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains("/synapses/post row 2") && e.contains("id 999 is not in /neurons/id"),
        "{e}"
    );

    // A schema version this hebb does not read.
    let path = dir.path().join("v2.h5");
    write(&path, &sample()).unwrap();
    hdf5::File::open_rw(&path)
        .unwrap()
        .attr("version")
        .unwrap()
        .write_scalar(&2i64)
        .unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("schema version 2"), "{e}");

    // A wrong type: neuron ids as text.
    let path = dir.path().join("text_ids.h5");
    write(&path, &sample()).unwrap();
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        f.unlink("neurons/id").unwrap();
        let ids: Vec<hdf5::types::VarLenUnicode> =
            ["a", "b", "c"].iter().map(|x| x.parse().unwrap()).collect();
        f.group("neurons")
            .unwrap()
            .new_dataset_builder()
            .with_data(&ids)
            .create("id")
            .unwrap();
    }
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains("/neurons/id") && e.contains("integer neuron ids"),
        "{e}"
    );

    // Missing /neurons/id.
    let path = dir.path().join("empty.h5");
    hdf5::File::create(&path)
        .unwrap()
        .create_group("synapses")
        .unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("/neurons/id"), "{e}");
}

#[test]
fn inspect_reports_a_connectome_and_rejects_a_bad_one() {
    let f = shipped("flywire_v783_mushroom_body_R.h5");
    let (code, out, _) = hebb(&["inspect", &f.to_string_lossy()]);
    assert_eq!(code, 0);
    for want in [
        "neurons 2935  connections 25080  synapses 319706",
        "synapses per connection  min 5.0000",
        "gaba",
        "Kenyon_Cell 2597",
        "strongly connected components",
        "simulation memory (estimate, lif_exp",
        "neurons         2935 × 100 B = 0.3 MiB",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // Quantiles of the synapse counts, and the transmitter mix as a share of synapses.
    let c = read(&f).unwrap();
    let mut counts = c.edges.count.clone().unwrap();
    counts.sort_unstable();
    let q = |p: usize| counts[((counts.len() - 1) as f64 * p as f64 / 100.0).round() as usize];
    let line = out
        .lines()
        .find(|l| l.starts_with("synapses per connection"))
        .unwrap();
    let want = format!("p10 {}  p50 {}  p90 {}  p99 {}", q(10), q(50), q(90), q(99));
    assert!(line.ends_with(&want), "{line} vs {want}");
    let gaba = out
        .lines()
        .find(|l| l.trim_start().starts_with("gaba"))
        .unwrap();
    let share = format!("{:.1} %", 100.0 * 50_599.0 / 319_706.0);
    assert!(gaba.ends_with(&share), "{gaba} vs {share}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.h5");
    let mut c = sample();
    c.edges.delay_ms.as_mut().unwrap()[0] = f32::INFINITY;
    write(&path, &c).unwrap();
    let (code, _, err) = hebb(&["inspect", &path.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/synapses/delay row 0"), "{err}");
}

#[test]
fn per_neuron_parameters_come_from_a_connectome_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sample();
    c.annotations.push(Annotation {
        name: "V0".into(),
        column: Column::Numbers(vec![-52.0, -60.0, -68.5]),
    });
    write(&dir.path().join("c.h5"), &c).unwrap();
    let text = r#"
[simulation]
duration = 5.0
[[population]]
name = "N"
size = 3
model = "lif_delta"
tau_m = 10.0
C_m = 250.0
E_L = -70.0
V_th = -50.0
V_reset = -70.0
t_ref = 2.0
V_m = { file = "c.h5", column = "V0" }
I_e = { file = "c.h5", column = "I_e" }
[[record.state]]
population = "N"
count = 3
variables = ["V_m"]
interval = 1.0
"#;
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text).unwrap();
    let m = Model::load(&path).unwrap();
    let out = common::simulate(&m, None, None);
    assert!(out.spikes.is_empty());
    let (v0, ie) = ([-52.0, -60.0, -68.5], [0.0, 250.5, -10.25]);
    assert!(out.samples.len() >= 5);
    for (t, v) in &out.samples {
        for i in 0..3 {
            let v_inf = -70.0 + 10.0 / 250.0 * ie[i];
            let want = v_inf + (v0[i] - v_inf) * (-t.as_ms() / 10.0f64).exp();
            assert!(
                (v[i] - want).abs() <= 1e-9 * want.abs(),
                "neuron {i} at {} ms: {} vs {want}",
                t.as_ms(),
                v[i]
            );
        }
    }

    // A column of the wrong length, a text column and a missing column are errors.
    for (col, want) in [
        ("cell_type", ""),
        ("name", "holds text"),
        ("nope", "no annotation column /neurons/nope"),
    ] {
        let bad = text.replace("column = \"V0\"", &format!("column = \"{col}\""));
        let t2 = if col == "cell_type" {
            bad.replace("size = 3", "size = 4")
                .replace("count = 3", "count = 4")
        } else {
            bad
        };
        std::fs::write(&path, t2).unwrap();
        let (code, _, err) = hebb(&["run", "-q", "--no-output", &path.to_string_lossy()]);
        assert_eq!(code, 2, "{col}: {err}");
        let want = if col == "cell_type" {
            "has 3 rows for 4 neurons"
        } else {
            want
        };
        assert!(err.contains(want), "{col}: {err}");
    }
}

#[test]
fn simulation_memory_counts_groups_and_stored_weights() {
    use hebb::inspect::SimMemory;
    // With delays: one group per (source, delay), here four of one connection each, every
    // group with one weight.
    let c = sample();
    let m = SimMemory::of(&c);
    assert_eq!(
        m,
        SimMemory {
            neurons: 300,
            synapses: 16,
            weights_stored: 0,
            groups: 4,
            uniform_groups: 4,
            groups_bytes: 4 * 22 + 4 * 4,
        }
    );
    // Without delays: one group per source with outputs; source 2 has counts 12 and 3, so its
    // two weights are stored.
    let mut c = sample();
    c.edges.delay_ms = None;
    let m = SimMemory::of(&c);
    assert_eq!(
        (m.groups, m.uniform_groups, m.weights_stored, m.synapses),
        (3, 2, 2, 16 + 8)
    );
    assert_eq!(m.total(), 300 + 24 + 3 * 22 + 16);
}

//! `hebb import`: the FlyWire mushroom body imported from its Codex tables equals the shipped
//! file; import → write → read is the identity; neuPrint and SONATA inputs; every malformed
//! input rejected with file, line and column named; the whole-brain scale measured on a
//! synthetic table (`--ignored`).

mod common;

use common::hebb;

use flate2::Compression;
use flate2::write::GzEncoder;
use hebb::connectome::file::{read, write_with};
use hebb::connectome::import::{Filter, Imported, codex, neuprint, sonata};
use hebb::connectome::{Column, Connectome};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn flywire(name: &str) -> PathBuf {
    repo("connectomes/flywire_v783").join(name)
}

fn mb_options(filter: Filter) -> codex::Options {
    codex::Options {
        connections: flywire("mb_right_connections.csv.gz"),
        neurons: flywire("neurons.csv.gz"),
        classification: Some(flywire("classification.csv.gz")),
        cell_types: Some(flywire("consolidated_cell_types.csv.gz")),
        per_neuropil: false,
        filter,
        name: "mb".into(),
    }
}

/// (pre id, post id) → (count, transmitter label) of every connection.
fn connections(c: &Connectome) -> HashMap<(i64, i64), (u32, String)> {
    let e = &c.edges;
    (0..e.len())
        .map(|k| {
            let key = (c.ids[e.pre[k] as usize], c.ids[e.post[k] as usize]);
            let nt = e.transmitter_label(k).unwrap_or("none").to_owned();
            (key, (e.count(k), nt))
        })
        .collect()
}

/// The transmitter of the Codex connection rows wins over Codex's per-neuron call: the rows
/// of `mb_right_connections.csv.gz` carry the calls of the FlyWire annotation supplement, as the
/// shipped file does, so all 25,080 connections agree with it. Codex's `neurons.csv` differs
/// from the supplement for 29 of the 2,935 neurons (27 dopaminergic neurons it leaves blank,
/// one MBON it calls GABA where the supplement says glutamate, one MBON it leaves blank where
/// the supplement says GABA). The 27 DANs have no outgoing connection inside the subset, so
/// at the connection level the disagreement is 18 + 5 = 23 connections of the two MBONs; had
/// the per-neuron call won, exactly those 23 would differ from the shipped file.
#[test]
fn codex_import_of_the_mushroom_body_matches_the_shipped_file() {
    let imp = codex::import(&mb_options(Filter::default())).unwrap();
    let shipped = read(&repo("connectomes/flywire_v783_mushroom_body_R.h5")).unwrap();
    let (got, want) = (connections(&imp.connectome), connections(&shipped));
    assert_eq!(got.len(), 25_080);
    let mut differ = 0;
    for (key, (count, nt)) in &want {
        let (c, t) = got.get(key).expect("every shipped connection is imported");
        assert_eq!(c, count, "synapses of {key:?}");
        differ += usize::from(t != nt);
    }
    assert_eq!(
        differ, 0,
        "connections whose transmitter differs from the shipped file"
    );

    let r = &imp.report;
    assert_eq!(
        (r.rows, r.connections, r.synapses),
        (25_080, 25_080, 319_706)
    );
    assert_eq!(
        (r.nt_conflicts, r.nt_only_connection, r.nt_from_neuron),
        (18, 5, 0)
    );
    assert_eq!((r.neurons_read, r.neurons), (139_255, 139_255));
    assert_eq!(r.neurons_unconnected, 139_255 - 2_899);
    assert_eq!(r.annotation_rows_skipped, 0);

    // Per neuron: Codex's nt differs from the shipped (supplement) nt for 29 neurons.
    let c = &imp.connectome;
    let index: HashMap<i64, usize> = c.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let (nt, class) = (
        c.annotation("nt").unwrap(),
        c.annotation("cell_class").unwrap(),
    );
    let (snt, sclass) = (
        shipped.annotation("nt").unwrap(),
        shipped.annotation("cell_class").unwrap(),
    );
    let mut nt_differ = (0, 0);
    for (j, id) in shipped.ids.iter().enumerate() {
        let i = index[id];
        assert_eq!(class.label(i), sclass.label(j), "class of {id}");
        if nt.label(i) != snt.label(j) {
            nt_differ.0 += 1;
            nt_differ.1 += usize::from(sclass.label(j) == "DAN" && nt.label(i) == "unknown");
        }
    }
    assert_eq!(nt_differ, (29, 27));
    assert_eq!(
        c.annotation("cell_type")
            .unwrap()
            .label(index[&720575940617552340]),
        shipped.annotation("cell_type").unwrap().label(
            shipped
                .ids
                .iter()
                .position(|&x| x == 720575940617552340)
                .unwrap()
        )
    );
    assert!(c.provenance.license.contains("CC BY-NC 4.0"));
    assert!(
        c.provenance
            .source
            .contains("hebb import codex --min-synapses 1")
    );

    // FlyWire's threshold and only connected neurons: the shipped file's 2,899 connected.
    let f = Filter {
        min_synapses: 5,
        connected_only: true,
        drop_unknown: false,
    };
    let imp = codex::import(&mb_options(f)).unwrap();
    assert_eq!(imp.report.neurons, 2_899);
    assert_eq!(imp.report.below_threshold, 0);
}

fn assert_same(a: &Connectome, b: &Connectome) {
    assert_eq!(a.ids, b.ids);
    assert_eq!(a.edges, b.edges);
    let sorted = |c: &Connectome| {
        let mut v = c.annotations.clone();
        v.sort_by(|x, y| x.name.cmp(&y.name));
        v
    };
    let (x, y) = (sorted(a), sorted(b));
    assert_eq!(x.len(), y.len());
    for (p, q) in x.iter().zip(&y) {
        assert_eq!(p.name, q.name);
        match (&p.column, &q.column) {
            // NaN != NaN: compare bits.
            (Column::Numbers(u), Column::Numbers(v)) => assert!(
                u.iter().zip(v).all(|(s, t)| s.to_bits() == t.to_bits()) && u.len() == v.len(),
                "{}",
                p.name
            ),
            (u, v) => assert_eq!(u, v, "{}", p.name),
        }
    }
    assert_eq!(a.provenance.source, b.provenance.source);
    assert_eq!(a.provenance.license, b.provenance.license);
}

fn write_then_read(imp: &Imported) -> Connectome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imported.h5");
    hebb::connectome::import::write(&path, imp).unwrap();
    read(&path).unwrap()
}

#[test]
fn import_write_read_gives_the_same_connectome() {
    let f = Filter {
        connected_only: true,
        ..Filter::default()
    };
    let imp = codex::import(&mb_options(f)).unwrap();
    assert_eq!(imp.connectome.n_neurons(), 2_899);
    assert_same(&write_then_read(&imp), &imp.connectome);
}

/// Writes `text` to `dir/name`, gzip-compressed when the name ends in `.gz`.
fn put(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if name.ends_with(".gz") {
        let mut gz = GzEncoder::new(std::fs::File::create(&path).unwrap(), Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    path
}

const NEURONS: &str =
    "root_id,group,nt_type,nt_type_score,da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg
1,ME,ACH,0.9,0,0,0,0,0.9,0
2,LO,GABA,0.8,0,0,0.8,0,0.1,0
3,,,,,,,,,
4,ME,GLUT,0.7,0,0,0,0.7,0,0
";

const CONNECTIONS: &str = "pre_root_id,post_root_id,neuropil,syn_count,nt_type
1,2,ME_R,3,ACH
1,2,LO_R,4,ACH
2,1,ME_R,6,GLUT
2,3,ME_R,1,
3,1,LO_R,2,DA
";

fn tiny_codex(dir: &Path, neurons: &str, connections: &str) -> codex::Options {
    codex::Options {
        connections: put(dir, "connections.csv.gz", connections),
        neurons: put(dir, "neurons.csv", neurons),
        classification: None,
        cell_types: None,
        per_neuropil: false,
        filter: Filter::default(),
        name: "tiny".into(),
    }
}

#[test]
fn codex_sums_neuropils_or_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = tiny_codex(dir.path(), NEURONS, CONNECTIONS);
    let imp = codex::import(&o).unwrap();
    let got = connections(&imp.connectome);
    assert_eq!(got[&(1, 2)], (7, "acetylcholine".into()));
    assert_eq!(got[&(2, 1)], (6, "glutamate".into()));
    assert_eq!(got[&(2, 3)], (1, "gaba".into()));
    assert_eq!(got[&(3, 1)], (2, "dopamine".into()));
    let r = &imp.report;
    assert_eq!(
        (r.nt_conflicts, r.nt_only_connection, r.nt_from_neuron),
        (1, 1, 1)
    );
    assert_eq!(
        (r.neurons_unconnected, r.connections, r.synapses),
        (1, 4, 16)
    );
    assert!(imp.connection_columns.is_empty());

    o.per_neuropil = true;
    o.filter.min_synapses = 2;
    o.filter.connected_only = true;
    let imp = codex::import(&o).unwrap();
    assert_eq!(imp.connectome.ids, vec![1, 2, 3]);
    assert_eq!(imp.report.below_threshold, 1);
    let e = &imp.connectome.edges;
    assert_eq!(
        (e.pre.clone(), e.post.clone()),
        (vec![0, 0, 1, 2], vec![1, 1, 0, 0])
    );
    assert_eq!(e.count, Some(vec![4, 3, 6, 2]));
    let n = &imp.connection_columns[0];
    assert_eq!(n.name, "neuropil");
    let labels: Vec<String> = (0..4).map(|k| n.column.label(k)).collect();
    assert_eq!(labels, ["LO_R", "ME_R", "ME_R", "LO_R"]);
    let back = write_then_read(&imp);
    assert_same(&back, &imp.connectome);
    let group = imp.connectome.annotation("group").unwrap();
    assert_eq!(group.label(2), "");
    assert!(
        matches!(imp.connectome.annotation("nt_type_score"), Some(Column::Numbers(x)) if x[2].is_nan())
    );
}

/// One malformed input: (what, neuron table, connection table, expected message parts).
struct Bad {
    what: &'static str,
    neurons: &'static str,
    connections: &'static str,
    want: &'static [&'static str],
}

#[test]
fn malformed_codex_tables_are_rejected_with_line_and_column() {
    let cases = [
        Bad {
            what: "missing column",
            neurons: NEURONS,
            connections: "pre,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3,ACH\n",
            want: &[
                "connections.csv.gz",
                "no column `pre_root_id`",
                "the header is `pre,post_root_id,neuropil,syn_count,nt_type`",
            ],
        },
        Bad {
            what: "missing neuron id column",
            neurons: "id,group,nt_type\n1,ME,ACH\n",
            connections: CONNECTIONS,
            want: &[
                "neurons.csv",
                "no column `root_id`",
                "the header is `id,group,nt_type`",
            ],
        },
        Bad {
            what: "non-integer id",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3,ACH\n1x,2,ME_R,3,ACH\n",
            want: &[
                "line 3, column `pre_root_id`",
                "\"1x\" is not an integer id",
            ],
        },
        Bad {
            what: "zero synapses",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,0,ACH\n",
            want: &["line 2, column `syn_count`", "0 synapses", "at least 1"],
        },
        Bad {
            what: "negative synapses",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,-3,ACH\n",
            want: &["line 2, column `syn_count`", "-3 synapses"],
        },
        Bad {
            what: "unknown id",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3,ACH\n1,99,ME_R,3,ACH\n",
            want: &[
                "line 3, column `post_root_id`",
                "id 99 is not in the neuron table",
                "--drop-unknown",
            ],
        },
        Bad {
            what: "duplicate neuron",
            neurons: "root_id,group,nt_type,nt_type_score,da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg\n1,ME,ACH,,,,,,,\n2,ME,ACH,,,,,,,\n1,LO,GABA,,,,,,,\n",
            connections: CONNECTIONS,
            want: &[
                "neurons.csv",
                "line 4, column `root_id`",
                "id 1 appears twice (lines 2 and 4)",
            ],
        },
        Bad {
            what: "unknown transmitter",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3,ACETYL\n",
            want: &["line 2, column `nt_type`", "unknown transmitter \"ACETYL\""],
        },
        Bad {
            what: "short row",
            neurons: NEURONS,
            connections: "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3\n",
            want: &["line 2 has 4 fields but the header has 5"],
        },
        Bad {
            what: "bad score",
            neurons: "root_id,group,nt_type,nt_type_score,da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg\n1,ME,ACH,high,,,,,,\n",
            connections: CONNECTIONS,
            want: &["line 2, column `nt_type_score`", "\"high\" is not a number"],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let o = tiny_codex(dir.path(), case.neurons, case.connections);
        let e = codex::import(&o).expect_err(case.what);
        assert!(
            matches!(e, hebb::error::Error::Data { .. }),
            "{}: {e:?}",
            case.what
        );
        let e = e.to_string();
        for w in case.want {
            assert!(e.contains(w), "{}: {w:?} missing from {e}", case.what);
        }
    }
}

#[test]
fn unknown_ids_are_dropped_and_counted_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = tiny_codex(
        dir.path(),
        NEURONS,
        "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n1,2,ME_R,3,ACH\n7,2,ME_R,3,ACH\n1,99,ME_R,3,ACH\n",
    );
    o.filter.drop_unknown = true;
    let imp = codex::import(&o).unwrap();
    assert_eq!(
        (
            imp.report.rows,
            imp.report.rows_unknown,
            imp.report.connections
        ),
        (3, 2, 1)
    );
}

#[test]
fn corrupt_gzip_is_reported_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..20_000)
        .map(|k| format!("{},{},ME_R,{},ACH\n", 1 + k % 2, 2 - k % 2, 1 + k % 7))
        .collect();
    let o = tiny_codex(
        dir.path(),
        NEURONS,
        &format!("pre_root_id,post_root_id,neuropil,syn_count,nt_type\n{body}"),
    );
    // Truncate the compressed stream, then flip bytes in what is left.
    let mut bytes = std::fs::read(&o.connections).unwrap();
    bytes.truncate(bytes.len() * 2 / 3);
    std::fs::write(&o.connections, &bytes).unwrap();
    let e = codex::import(&o).unwrap_err().to_string();
    assert!(
        e.contains("connections.csv.gz") && e.contains("truncated or corrupt"),
        "{e}"
    );
    for b in bytes.iter_mut().skip(40).step_by(97) {
        *b ^= 0x5a;
    }
    std::fs::write(&o.connections, &bytes).unwrap();
    let e = codex::import(&o).unwrap_err().to_string();
    assert!(e.contains("connections.csv.gz"), "{e}");
}

#[test]
fn neuprint_total_and_per_roi() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = neuprint::Options {
        neurons: put(
            d,
            "traced-neurons.csv",
            "bodyId,type,instance\n101,DA1_lPN,DA1_lPN_R\n201,LHX,LHX_R\n301,,\n",
        ),
        connections: put(
            d,
            "traced-total-connections.csv",
            "bodyId_pre,bodyId_post,weight\n101,201,8\n201,101,2\n",
        ),
        per_roi: false,
        filter: Filter::default(),
        name: "hemi".into(),
        license: neuprint::LICENSE.into(),
    };
    let imp = neuprint::import(&o).unwrap();
    let c = &imp.connectome;
    assert_eq!(c.ids, vec![101, 201, 301]);
    assert_eq!(c.edges.count, Some(vec![8, 2]));
    assert_eq!(c.edges.transmitter, None);
    assert_eq!(c.annotation("cell_type").unwrap().label(0), "DA1_lPN");
    assert_eq!(c.annotation("instance").unwrap().label(2), "");
    assert_eq!(imp.report.neurons_unconnected, 1);

    let o = neuprint::Options {
        connections: put(
            d,
            "traced-roi-connections.csv",
            "bodyId_pre,bodyId_post,roi,weight\n101,201,LH(R),5\n101,201,CA(R),3\n201,101,LH(R),2\n",
        ),
        per_roi: true,
        ..o
    };
    let imp = neuprint::import(&o).unwrap();
    assert_eq!(imp.connectome.edges.count, Some(vec![3, 5, 2]));
    let roi = &imp.connection_columns[0];
    assert_eq!(
        (roi.name.as_str(), roi.column.label(0)),
        ("roi", "CA(R)".into())
    );
    assert_same(&write_then_read(&imp), &imp.connectome);

    // The total table given with --per-roi: the missing column is named.
    let o = neuprint::Options {
        connections: d.join("traced-total-connections.csv"),
        ..o
    };
    let e = neuprint::import(&o).unwrap_err().to_string();
    assert!(
        e.contains("no column `roi`") && e.contains("bodyId_pre,bodyId_post,weight"),
        "{e}"
    );
}

/// A small SONATA network: population `v1` (4 nodes, ids 10..13, two groups: group 0 with a
/// per-node `tuning_angle`, group 1 with none), population `lgn` (2 virtual nodes), and
/// the edge population `lgn_to_v1` plus `v1_to_v1`; `edit` may change the edges before they
/// are written.
struct Sonata {
    _dir: tempfile::TempDir,
    options: sonata::Options,
}

fn write_ints(g: &hdf5::Group, name: &str, v: &[i64]) -> hdf5::Dataset {
    g.new_dataset_builder().with_data(v).create(name).unwrap()
}

fn sonata_fixture(edit: impl FnOnce(&hdf5::Group)) -> Sonata {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let nodes = d.join("nodes.h5");
    {
        let f = hdf5::File::create(&nodes).unwrap();
        let v1 = f.create_group("nodes/v1").unwrap();
        write_ints(&v1, "node_id", &[10, 11, 12, 13]);
        write_ints(&v1, "node_type_id", &[100, 100, 101, 101]);
        write_ints(&v1, "node_group_id", &[0, 0, 1, 0]);
        write_ints(&v1, "node_group_index", &[0, 1, 0, 2]);
        let g0 = v1.create_group("0").unwrap();
        g0.new_dataset_builder()
            .with_data(&[0.0f64, 90.0, 180.0])
            .create("tuning_angle")
            .unwrap();
        v1.create_group("1").unwrap();
        let lgn = f.create_group("nodes/lgn").unwrap();
        write_ints(&lgn, "node_type_id", &[200, 200]);
        write_ints(&lgn, "node_group_id", &[0, 0]);
        write_ints(&lgn, "node_group_index", &[0, 1]);
        lgn.create_group("0").unwrap();
    }
    let node_types = put(
        d,
        "node_types.csv",
        "node_type_id model_type  pop_name model_template\n100 point_process e4 \"nest:iaf_psc_alpha\"\n101 point_process i4 nest:iaf_psc_alpha\n200 virtual lgn NULL\n",
    );
    let edges = d.join("edges.h5");
    {
        let f = hdf5::File::create(&edges).unwrap();
        let e = f.create_group("edges/v1_to_v1").unwrap();
        let src = write_ints(&e, "source_node_id", &[10, 11, 12, 13, 10]);
        let trg = write_ints(&e, "target_node_id", &[11, 12, 13, 10, 12]);
        for ds in [src, trg] {
            hebb::h5::write_str_attr(&ds, "node_population", "v1").unwrap();
        }
        write_ints(&e, "edge_type_id", &[1, 1, 2, 2, 1]);
        write_ints(&e, "edge_group_id", &[0, 0, 0, 0, 0]);
        write_ints(&e, "edge_group_index", &[0, 1, 2, 3, 4]);
        let g = e.create_group("0").unwrap();
        g.new_dataset_builder()
            .with_data(&[1.5f64, 2.5, -3.0, -4.0, 0.5])
            .create("syn_weight")
            .unwrap();
        write_ints(&g, "nsyns", &[1, 2, 3, 4, 5]);
        let l = f.create_group("edges/lgn_to_v1").unwrap();
        let src = write_ints(&l, "source_node_id", &[0, 1]);
        hebb::h5::write_str_attr(&src, "node_population", "lgn").unwrap();
        let trg = write_ints(&l, "target_node_id", &[10, 11]);
        hebb::h5::write_str_attr(&trg, "node_population", "v1").unwrap();
        write_ints(&l, "edge_type_id", &[3, 3]);
        write_ints(&l, "edge_group_id", &[0, 0]);
        write_ints(&l, "edge_group_index", &[0, 1]);
        l.create_group("0").unwrap();
        edit(&e);
    }
    let edge_types = put(
        d,
        "edge_types.csv",
        "edge_type_id delay syn_weight model_template\n1 1.5 9.0 static_synapse\n2 2.0 9.0 static_synapse\n3 1.0 7.0 static_synapse\n",
    );
    let options = sonata::Options {
        nodes,
        node_types,
        edges,
        edge_types,
        edge_population: Some("v1_to_v1".into()),
        name: "sonata".into(),
        license: "test".into(),
    };
    Sonata { _dir: dir, options }
}

#[test]
fn sonata_nodes_edges_and_types() {
    let s = sonata_fixture(|_| {});
    let imp = sonata::import(&s.options).unwrap();
    let c = &imp.connectome;
    // Populations in name order: lgn (ids 0, 1; offset 0), then v1 (ids + 2).
    assert_eq!(c.ids, vec![0, 1, 12, 13, 14, 15]);
    assert_eq!(c.annotation("population").unwrap().label(3), "v1");
    assert_eq!(c.annotation("model_type").unwrap().label(0), "virtual");
    assert_eq!(c.annotation("pop_name").unwrap().label(4), "i4");
    assert_eq!(
        c.annotation("model_template").unwrap().label(2),
        "nest:iaf_psc_alpha"
    );
    match c.annotation("tuning_angle").unwrap() {
        Column::Numbers(x) => {
            assert_eq!((x[2], x[3], x[5]), (0.0, 90.0, 180.0));
            assert!(
                x[0].is_nan() && x[1].is_nan() && x[4].is_nan(),
                "no value: NaN"
            );
        }
        other => panic!("tuning_angle: {other:?}"),
    }
    let e = &c.edges;
    assert_eq!(e.pre, vec![2, 3, 4, 5, 2]);
    assert_eq!(e.post, vec![3, 4, 5, 2, 4]);
    assert_eq!(e.weight, Some(vec![1.5, 2.5, -3.0, -4.0, 0.5]));
    assert_eq!(e.delay_ms, Some(vec![1.5, 1.5, 2.0, 2.0, 1.5]));
    assert_eq!(e.count, Some(vec![1, 2, 3, 4, 5]));
    assert_eq!(imp.connection_columns[0].column.label(2), "2");
    assert_same(&write_then_read(&imp), c);

    // The other population: weights from the edge types.
    let mut o = s.options.clone();
    o.edge_population = Some("lgn_to_v1".into());
    let imp = sonata::import(&o).unwrap();
    assert_eq!(
        (
            imp.connectome.edges.pre.clone(),
            imp.connectome.edges.post.clone()
        ),
        (vec![0, 1], vec![2, 3])
    );
    assert_eq!(imp.connectome.edges.weight, Some(vec![7.0, 7.0]));
    o.edge_population = None;
    let e = sonata::import(&o).unwrap_err().to_string();
    assert!(
        e.contains("lgn_to_v1, v1_to_v1") && e.contains("--edge-population"),
        "{e}"
    );
}

/// A change to the fixture's `v1_to_v1` edge population.
type Edit = Box<dyn FnOnce(&hdf5::Group)>;

#[test]
fn malformed_sonata_files_name_the_dataset() {
    let cases: [(&str, Edit, &[&str]); 4] = [
        (
            "missing dataset",
            Box::new(|e| e.unlink("edge_group_index").unwrap()),
            &[
                "edges.h5",
                "missing dataset /edges/v1_to_v1/edge_group_index",
            ],
        ),
        (
            "unequal lengths",
            Box::new(|e| {
                e.unlink("edge_type_id").unwrap();
                write_ints(e, "edge_type_id", &[1, 1, 2]);
            }),
            &["/edges/v1_to_v1/edge_type_id has 3 rows but /edges/v1_to_v1/source_node_id has 5"],
        ),
        (
            "unknown node",
            Box::new(|e| {
                e.unlink("target_node_id").unwrap();
                let t = write_ints(e, "target_node_id", &[11, 12, 13, 10, 99]);
                hebb::h5::write_str_attr(&t, "node_population", "v1").unwrap();
            }),
            &["/edges/v1_to_v1/target_node_id row 4: node id 99 is not in node population \"v1\""],
        ),
        (
            "group index out of range",
            Box::new(|e| {
                e.unlink("edge_group_index").unwrap();
                write_ints(e, "edge_group_index", &[0, 1, 2, 3, 5]);
            }),
            &["edge_group_index row 4: index 5 is outside /edges/v1_to_v1/0/"],
        ),
    ];
    for (what, edit, want) in cases {
        let s = sonata_fixture(edit);
        let e = sonata::import(&s.options).expect_err(what).to_string();
        for w in want {
            assert!(e.contains(w), "{what}: {w:?} missing from {e}");
        }
    }
    // A node types table without its id column.
    let s = sonata_fixture(|_| {});
    std::fs::write(
        &s.options.node_types,
        "type model_type\n100 point_process\n",
    )
    .unwrap();
    let e = sonata::import(&s.options).unwrap_err().to_string();
    assert!(
        e.contains("no column `node_type_id`; the header is `type model_type`"),
        "{e}"
    );
}

#[test]
fn hebb_import_codex_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mb.h5");
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    let args = [
        "import".to_owned(),
        "codex".into(),
        "--connections".into(),
        s(flywire("mb_right_connections.csv.gz")),
        "--neurons".into(),
        s(flywire("neurons.csv.gz")),
        "--min-synapses".into(),
        "10".into(),
        "--connected-only".into(),
        "-o".into(),
        s(out.clone()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, err) = hebb(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("rows/s") && stdout.contains("connections whose transmitter differs"),
        "{stdout}"
    );
    let c = read(&out).unwrap();
    assert!(c.edges.count.as_ref().unwrap().iter().all(|&x| x >= 10));
    assert_eq!(c.provenance.name, "mb");

    // Bad input: exit code 2 and the message.
    let bad = put(
        dir.path(),
        "bad.csv",
        "pre_root_id,post_root_id,syn_count\n1,2,x\n",
    );
    let (code, _, err) = hebb(&[
        "import",
        "codex",
        "--connections",
        &s(bad),
        "--neurons",
        &s(flywire("neurons.csv.gz")),
        "-o",
        &s(out),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.csv") && err.contains("column `syn_count`"),
        "{err}"
    );

    let (code, help, _) = hebb(&["import", "codex", "--help"]);
    assert_eq!(code, 0);
    for want in [
        "--per-neuropil",
        "--min-synapses <SYNAPSES>",
        "--connected-only",
        "--drop-unknown",
        "in synapses",
    ] {
        assert!(help.contains(want), "{want} missing from\n{help}");
    }
}

/// The FlyWire release's shape at full size: 139,255 neurons, ~16.8 M rows (one per pre,
/// post and neuropil; ~10 % of pairs split over two neuropils), 18-digit root ids, rows in
/// random order of presynaptic neuron. Writes `neurons.csv.gz` and `connections.csv.gz` into
/// `dir`; returns the number of connection rows.
fn synthetic_flywire(dir: &Path) -> u64 {
    const N: u64 = 139_255;
    const NT: [&str; 7] = ["ACH", "ACH", "ACH", "GABA", "GLUT", "DA", ""];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let id = |i: u64| 720_575_940_600_000_000 + i * 7_919;
    let gz = |name: &str| {
        std::io::BufWriter::with_capacity(
            1 << 20,
            GzEncoder::new(
                std::fs::File::create(dir.join(name)).unwrap(),
                Compression::fast(),
            ),
        )
    };
    let mut w = gz("neurons.csv.gz");
    writeln!(
        w,
        "root_id,group,nt_type,nt_type_score,da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg"
    )
    .unwrap();
    let nt_of = |i: u64| NT[(i % 7) as usize];
    for i in 0..N {
        writeln!(
            w,
            "{},ME.LO,{},0.8,0.01,0.0,0.05,0.04,0.8,0.1",
            id(i),
            nt_of(i)
        )
        .unwrap();
    }
    w.into_inner().unwrap().finish().unwrap();
    let mut w = gz("connections.csv.gz");
    writeln!(w, "pre_root_id,post_root_id,neuropil,syn_count,nt_type").unwrap();
    let mut rows = 0u64;
    for k in 0..N {
        let pre = (k * 48_271) % N; // a permutation of the neurons (N is not a multiple of 48,271's factors)
        let degree = 60 + next() % 100; // mean ~110 partners
        for _ in 0..degree {
            let post = next() % N;
            let splits = if next() % 10 == 0 { 2 } else { 1 };
            for s in 0..splits {
                let count = 1 + (next() % 5) + (next() % 3) * (next() % 2);
                writeln!(
                    w,
                    "{},{},NP{:02},{},{}",
                    id(pre),
                    id(post),
                    (post + s) % 78,
                    count,
                    nt_of(pre)
                )
                .unwrap();
                rows += 1;
            }
        }
    }
    w.into_inner().unwrap().finish().unwrap();
    rows
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Whole-brain scale: `cargo test --release --test import -- --ignored --nocapture`. Set
/// `HEBB_SYNTHETIC_DIR` to keep the generated tables (e.g. to time `hebb import codex` on them).
#[test]
#[ignore]
fn synthetic_whole_brain_codex_import() {
    let tmp = tempfile::tempdir().unwrap();
    let dir =
        std::env::var_os("HEBB_SYNTHETIC_DIR").map_or_else(|| tmp.path().to_owned(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let t = std::time::Instant::now();
    let rows = synthetic_flywire(&dir);
    println!(
        "generated {rows} rows in {:.1} s (peak RSS so far {:.0} MB)",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    let o = codex::Options {
        connections: dir.join("connections.csv.gz"),
        neurons: dir.join("neurons.csv.gz"),
        classification: None,
        cell_types: None,
        per_neuropil: false,
        filter: Filter::default(),
        name: "synthetic".into(),
    };
    let imp = codex::import(&o).unwrap();
    let r = &imp.report;
    println!(
        "imported {} rows in {:.2} s: {:.2} M rows/s, {} connections, {} synapses, peak RSS {:.0} MB",
        r.rows,
        r.seconds,
        r.rows as f64 / r.seconds / 1e6,
        r.connections,
        r.synapses,
        peak_rss_mb()
    );
    assert_eq!(r.rows, rows);
    assert_eq!(r.neurons, 139_255);
    let t = std::time::Instant::now();
    write_with(
        &dir.join("synthetic.h5"),
        &imp.connectome,
        &imp.connection_columns,
    )
    .unwrap();
    println!("wrote the file in {:.2} s", t.elapsed().as_secs_f64());
}

//! The experiments shipped in `models/experiments/`: they load, their variants differ as their
//! files say, and the connectome null model runs end to end (the microcircuit comparison takes
//! minutes: `experiment_canonical_vs_heterogeneous_runs`, ignored).

use hebb::experiment::compare::{CompareOptions, compare, load};
use hebb::model::Model;
use hebb::model::build::build;
use std::path::{Path, PathBuf};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models/experiments")
        .join(name)
}

/// The variant's model with its overrides (and `extra`), as the experiment reads it.
fn variant_model(exp: &str, variant: usize, extra: &[&str]) -> Model {
    let spec = load(&shipped(exp)).unwrap();
    let v = &spec.variants[variant];
    let mut set = v.set.clone();
    set.extend(extra.iter().map(|s| s.to_string()));
    Model::load_with(&shipped(&v.model), &set).unwrap()
}

#[test]
fn canonical_and_heterogeneous_differ_only_in_the_first_area_layer_4() {
    let spec = load(&shipped("canonical_vs_heterogeneous.toml")).unwrap();
    assert_eq!(spec.variants.len(), 2);
    assert!(
        spec.experiment.seeds >= 10,
        "the spec asks for ≥ 10 seeds per variant"
    );
    let small = ["scaling.N=0.02"];
    let (c, h) = (
        variant_model("canonical_vs_heterogeneous.toml", 0, &small),
        variant_model("canonical_vs_heterogeneous.toml", 1, &small),
    );
    let pairs = |m: &Model| -> Vec<(String, String)> {
        m.spec
            .projections
            .iter()
            .map(|p| (p.source.as_ref().clone(), p.target.as_ref().clone()))
            .collect()
    };
    let (pc, ph) = (pairs(&c), pairs(&h));
    let only = |a: &[(String, String)], b: &[(String, String)]| -> Vec<(String, String)> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    // v1_l4 (Martinotti): L2/3 drives L4S, L4S inhibits L2/3 and L4 pyramids; s1_l4: L4 drives
    // L4S, L4S inhibits PV (L4I) and L4E.
    assert_eq!(
        only(&pc, &ph),
        [s("A1.L23E", "A1.L4S"), s("A1.L4S", "A1.L23E")]
    );
    assert_eq!(
        only(&ph, &pc),
        [s("A1.L4E", "A1.L4S"), s("A1.L4S", "A1.L4I")]
    );
    assert_eq!(c.spec.areas.len(), 3);
    assert_eq!(h.spec.areas[0].template, "s1_l4");
    assert_eq!(c.spec.areas[0].template, "v1_l4");
    let net = build(&h, None, None).unwrap();
    assert!(net.populations.iter().any(|p| p.name == "A3.L4S"));
}

#[test]
fn the_connectome_null_model_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let r = compare(&CompareOptions {
        experiment: shipped("connectome_null_model.toml"),
        out: dir.path().to_owned(),
        seeds: Some(3),
        jobs: Some(2),
        set: Vec::new(),
        memory_check: true,
        progress: false,
    })
    .unwrap();
    assert_eq!(r.runs.len(), 6);
    for run in &r.runs {
        assert!(run.error.is_none(), "{:?}", run.error);
        let d = run.metrics["decoding"];
        assert!((0.0..=1.0).contains(&d), "decoding {d}");
        assert!(
            run.metrics["rate_hz/PN"] == 0.0,
            "no spontaneous activity in the model"
        );
        assert!(run.metrics["gain/PN"] > 0.0, "the stimulated PNs respond");
    }
    // The rewired runs' connectomes differ from the real one and from each other: their spikes do.
    let spikes: Vec<u64> = r.runs.iter().map(|x| x.spikes).collect();
    assert_ne!(spikes[3], spikes[4], "{spikes:?}");
    assert!(dir.path().join("report.md").is_file());
    assert!(
        std::fs::read_dir(dir.path().join("runs"))
            .unwrap()
            .next()
            .is_none(),
        "rewired connectomes and inputs removed after the runs"
    );
}

#[test]
#[ignore = "minutes: the shipped microcircuit comparison at its reduced scale, 2 seeds"]
fn experiment_canonical_vs_heterogeneous_runs() {
    let dir = tempfile::tempdir().unwrap();
    let r = compare(&CompareOptions {
        experiment: shipped("canonical_vs_heterogeneous.toml"),
        out: dir.path().to_owned(),
        seeds: Some(2),
        jobs: None,
        set: Vec::new(),
        memory_check: true,
        progress: false,
    })
    .unwrap();
    assert!(r.runs.iter().all(|x| x.error.is_none()));
    // A1 reads the thalamic pattern well in both variants.
    for run in &r.runs {
        assert!(
            run.metrics["decoding/A1"] > 0.8,
            "{} {}",
            run.variant,
            run.metrics["decoding/A1"]
        );
    }
}

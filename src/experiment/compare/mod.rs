//! `hebb experiment compare EXPERIMENT.toml`: variants of a model × seeds, the metrics of
//! each run, and the statistics of every metric between the variants.
//!
//! ```toml
//! [experiment]
//! name = "canonical versus heterogeneous layer 4"
//! seeds = 10            # runs per variant; run k has seed first_seed + k
//! first_seed = 1
//! jobs = 2              # runs side by side (default: the number of cores)
//! threads = 1           # shards per run
//!
//! [[variant]]
//! name = "canonical"
//! model = "three_areas.toml"      # relative to the experiment file
//! set = ["scaling.N=0.05"]        # overrides, as --set
//! rewire = false                   # true: every run's connectome files are replaced by a
//!                                  # degree-preserving rewiring drawn from the run's seed
//!
//! [protocol]    # K input patterns after the spontaneous period (see `protocol`)
//! [analysis]    # which populations, bins, readout (see `metrics`)
//! ```
//!
//! Every run is one model built with its seed: the model's `warmup`, then its `duration` of
//! spontaneous activity, then the presentations. A run that fails is reported with its error
//! and left out of the statistics. The report (Markdown and JSON) gives, per metric and
//! population, each variant's mean with its 95 % bootstrap interval, Hedges' g, the
//! permutation-test p-value and the Holm-adjusted p-value over all tests; the figures are a
//! raster with population rates of each variant's first run and the metrics per run.

pub mod decode;
pub mod metrics;
pub mod protocol;
mod report;

use crate::analysis::SpikeTrains;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::model::build::build;
use crate::run::Engine;
use crate::time::Time;
use metrics::{AnalysisSpec, POP_METRICS, Windows};
use protocol::ProtocolSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An experiment file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// Settings.
    pub experiment: Settings,
    /// The variants compared (two or more; statistics compare the first with each other).
    #[serde(rename = "variant")]
    pub variants: Vec<VariantSpec>,
    /// The stimulus protocol.
    pub protocol: ProtocolSpec,
    /// Analysis settings.
    #[serde(default)]
    pub analysis: AnalysisSpec,
}

/// `[experiment]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A title for the report.
    pub name: String,
    /// What the experiment asks (for the report).
    pub question: Option<String>,
    /// Runs per variant.
    pub seeds: usize,
    /// Seed of the first run (default 1).
    #[serde(default = "one")]
    pub first_seed: u64,
    /// Runs side by side (default: the number of cores).
    pub jobs: Option<usize>,
    /// Shards per run (default 1).
    pub threads: Option<usize>,
}

fn one() -> u64 {
    1
}

/// `[[variant]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Name in the report.
    pub name: String,
    /// The model file (relative to the experiment file).
    pub model: String,
    /// `key=value` overrides of the model.
    #[serde(default)]
    pub set: Vec<String>,
    /// Replace each run's connectome files by degree-preserving rewirings (seeded by the run).
    #[serde(default)]
    pub rewire: bool,
    /// What the variant is (for the report).
    pub description: Option<String>,
}

/// Options of `hebb experiment compare`.
pub struct CompareOptions {
    /// The experiment file.
    pub experiment: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Overrides of `experiment.seeds`.
    pub seeds: Option<usize>,
    /// Overrides of `experiment.jobs`.
    pub jobs: Option<usize>,
    /// Overrides applied to every variant's model after its own.
    pub set: Vec<String>,
    /// Refuse variants whose runs, `jobs` side by side, would not fit in memory.
    pub memory_check: bool,
    /// Show progress.
    pub progress: bool,
}

/// One run's result.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Variant name.
    pub variant: String,
    /// Seed.
    pub seed: u64,
    /// Metric values by name (`metric/population`, and `decoding`).
    pub metrics: BTreeMap<String, f64>,
    /// Spikes in the run.
    pub spikes: u64,
    /// Wall time (s) of build and simulation.
    pub seconds: f64,
    /// The error of a failed run.
    pub error: Option<String>,
}

/// What `compare` returns.
pub struct CompareSummary {
    /// Every run.
    pub runs: Vec<RunResult>,
    /// The Markdown report's path.
    pub report: PathBuf,
    /// The report's text.
    pub markdown: String,
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    Error::Model {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Reads and checks an experiment file.
pub fn load(path: &Path) -> Result<ExperimentSpec> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let spec: ExperimentSpec =
        toml::from_str(&text).map_err(|e| invalid(path, crate::model::format_toml_error(&e)))?;
    if spec.variants.len() < 2 {
        return Err(invalid(
            path,
            "an experiment compares at least two [[variant]]s",
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for v in &spec.variants {
        if !names.insert(&v.name) {
            return Err(invalid(
                path,
                format!("variant `{}` is named twice", v.name),
            ));
        }
    }
    if spec.experiment.seeds < 2 {
        return Err(invalid(
            path,
            "experiment.seeds must be at least 2 (statistics need them)",
        ));
    }
    spec.protocol
        .check()
        .map_err(|m| invalid(path, format!("[protocol]: {m}")))?;
    let a = &spec.analysis;
    if !(a.corr_bin > 0.0
        && a.sync_bin > 0.0
        && a.folds >= 2
        && a.ridge > 0.0
        && a.readout_neurons > 0)
    {
        return Err(invalid(
            path,
            "[analysis]: corr_bin and sync_bin must be > 0, folds ≥ 2, ridge > 0, readout_neurons ≥ 1",
        ));
    }
    Ok(spec)
}

/// Runs an experiment and writes its report into `opts.out`.
pub fn compare(opts: &CompareOptions) -> Result<CompareSummary> {
    let mut spec = load(&opts.experiment)?;
    if let Some(s) = opts.seeds {
        spec.experiment.seeds = s;
    }
    std::fs::create_dir_all(opts.out.join("runs")).map_err(Error::io(&opts.out))?;
    let jobs: Vec<(usize, u64)> = (0..spec.variants.len())
        .flat_map(|v| (0..spec.experiment.seeds as u64).map(move |k| (v, k)))
        .map(|(v, k)| (v, spec.experiment.first_seed + k))
        .collect();
    let n_jobs = opts
        .jobs
        .or(spec.experiment.jobs)
        .unwrap_or_else(crate::par::cores)
        .clamp(1, jobs.len());
    let base = opts.experiment.parent().unwrap_or(Path::new("."));
    let setup = Setup {
        // Runs side by side share the memory.
        memory_limit: opts
            .memory_check
            .then(crate::model::memory::available)
            .flatten()
            .map(|a| a / n_jobs as u64),
        spec: &spec,
        base,
        extra: &opts.set,
        out: &opts.out,
    };
    // Check every variant's model once before any run; the pattern neurons do not depend on
    // the seed.
    let mut fixed = Vec::new();
    for v in &spec.variants {
        let first = spec.experiment.first_seed;
        fixed.push(prepare(&setup, v, first, None)?.fixed);
    }
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(jobs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        b
    });
    let results = crate::par::map(n_jobs, jobs.len(), |i| {
        let (v, seed) = jobs[i];
        let variant = &spec.variants[v];
        if let Some(b) = &bar {
            b.set_message(format!("running {} seed {seed}", variant.name));
        }
        let keep = seed == spec.experiment.first_seed;
        let (r, raster) = run_one(&setup, variant, seed, &fixed[v], keep);
        if let Some(b) = &bar {
            // Also when the bar is hidden (output not a terminal): one line a run.
            let line = match &r.error {
                Some(e) => format!("{} seed {seed}: FAILED: {e}", variant.name),
                None => format!(
                    "{} seed {seed}: {:.1} s, {} spikes, decoding {:.2}",
                    variant.name,
                    r.seconds,
                    r.spikes,
                    r.metrics.get("decoding").copied().unwrap_or(f64::NAN)
                ),
            };
            b.suspend(|| eprintln!("{line}"));
            b.inc(1);
        }
        (r, raster)
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (runs, rasters): (Vec<RunResult>, Vec<Option<report::Raster>>) =
        results.into_iter().unzip();
    let rasters: Vec<report::Raster> = rasters.into_iter().flatten().collect();
    let (report, markdown) = report::write(&spec, &opts.out, &runs, &rasters)?;
    Ok(CompareSummary {
        runs,
        report,
        markdown,
    })
}

/// A run's model with its protocol, and the windows it needs.
struct Prepared {
    model: Model,
    sched: protocol::Schedule,
    spont: (f64, f64),
    csv: PathBuf,
    rewired: Vec<PathBuf>,
    /// The pattern neurons and the analysed units.
    fixed: Fixed,
}

/// What every run of an experiment shares.
struct Setup<'a> {
    spec: &'a ExperimentSpec,
    /// The experiment file's folder (variant models are relative to it).
    base: &'a Path,
    /// Overrides of every variant's model, after its own.
    extra: &'a [String],
    /// The output folder.
    out: &'a Path,
    /// Memory a run may use (the memory available over the runs side by side).
    memory_limit: Option<u64>,
}

/// Makes the model of variant `v` for `seed`: overrides, rewired connectomes, the protocol's
/// input trains (written into `out/runs`). Without `fixed` (the pattern neurons and analysed
/// units), the model is built to find them and to check it, and the files are removed again
/// (a check before the runs).
fn prepare(s: &Setup, v: &VariantSpec, seed: u64, fixed: Option<&Fixed>) -> Result<Prepared> {
    let (spec, base, extra, out) = (s.spec, s.base, s.extra, s.out);
    let check = fixed.is_none();
    let path = base.join(&v.model);
    let mut overrides = v.set.clone();
    overrides.extend(extra.iter().cloned());
    let mut table = Model::load_table(&path, &overrides)?;
    let tag = format!("{}_{seed}", sanitise(&v.name));
    let mut rewired = Vec::new();
    if v.rewire {
        rewired = rewire_connectomes(&mut table, &path, seed, &out.join("runs"), &tag)?;
    }
    // The plain model (without the protocol) gives the pattern neurons and the periods.
    let mut plain = Model::from_table(
        table.clone(),
        &path,
        "in the model as the experiment set it up",
    )?;
    plain.memory_limit = s.memory_limit;
    let p = &spec.protocol;
    let sim = &plain.spec.simulation;
    let (warmup, duration) = (sim.warmup.0, sim.duration.0);
    let spont = (warmup, warmup + duration);
    let sched = protocol::schedule(p, spont.1, seed);
    let fixed = match fixed {
        Some(f) => f.clone(),
        None => {
            let net = build(&plain, Some(seed), None)?;
            Fixed {
                ids: pattern_ids(spec, &plain, &net, &path)?,
                units: units_of(spec, &plain, &net, &path)?,
            }
        }
    };
    let ids = &fixed.ids;
    let csv = out.join("runs").join(format!("{tag}_input.csv"));
    protocol::write_trains(p, &sched, ids, seed, &csv).map_err(Error::io(&csv))?;
    let csv = std::path::absolute(&csv).unwrap_or(csv);
    protocol::attach(&mut table, p, &csv).map_err(|m| invalid(&path, m))?;
    // The recorded period now runs to the end of the presentations.
    let sim_t = table
        .get_mut("simulation")
        .and_then(toml::Value::as_table_mut)
        .ok_or_else(|| invalid(&path, "the model has no [simulation]"))?;
    sim_t.insert("duration".into(), toml::Value::Float(sched.end_ms - warmup));
    let mut model = Model::from_table(table, &path, "in the model as the experiment set it up")?;
    model.memory_limit = s.memory_limit;
    if check {
        // What the runs will build, built once before them.
        build(&model, Some(seed), None)?;
        let _ = std::fs::remove_file(&csv);
        for f in &rewired {
            let _ = std::fs::remove_file(f);
        }
    }
    Ok(Prepared {
        model,
        sched,
        spont,
        csv,
        rewired,
        fixed,
    })
}

fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The ids (as the input file names them) of each pattern's neurons.
fn pattern_ids(
    spec: &ExperimentSpec,
    model: &Model,
    net: &crate::model::build::Network,
    path: &Path,
) -> Result<Vec<Vec<i64>>> {
    let p = &spec.protocol;
    let info = net
        .populations
        .iter()
        .find(|i| i.name == p.target)
        .ok_or_else(|| {
            invalid(
                path,
                format!("protocol.target: no population `{}`", p.target),
            )
        })?;
    let ext = net.external_ids();
    let id_of = |local: u32| -> i64 {
        match (&info.rows, &ext) {
            (Some(_), Some(ids)) => ids[(info.offset + local) as usize],
            _ => local as i64,
        }
    };
    let pick = |sel| {
        net.select(model, &p.target, sel)
            .expect("the population exists")
            .map_err(|e| invalid(path, format!("[protocol] neurons: {e}")))
    };
    if p.pattern.is_empty() {
        let all = pick(p.neurons.as_ref())?;
        let k = p.k();
        if all.len() < k {
            return Err(invalid(
                path,
                format!("[protocol]: {} neurons cannot make {k} patterns", all.len()),
            ));
        }
        Ok((0..k)
            .map(|b| {
                let (lo, hi) = (b * all.len() / k, (b + 1) * all.len() / k);
                all[lo..hi].iter().map(|&l| id_of(l)).collect()
            })
            .collect())
    } else {
        p.pattern
            .iter()
            .map(|pat| {
                let n = pick(Some(&pat.neurons))?;
                if n.is_empty() {
                    return Err(invalid(path, "[protocol] a pattern selects no neuron"));
                }
                Ok(n.into_iter().map(id_of).collect())
            })
            .collect()
    }
}

/// Replaces every `connectome` file of the model's populations by a degree-preserving
/// rewiring drawn from `seed`, written into `dir`.
fn rewire_connectomes(
    table: &mut toml::Table,
    path: &Path,
    seed: u64,
    dir: &Path,
    tag: &str,
) -> Result<Vec<PathBuf>> {
    use crate::connectome::{file, generate};
    let mut done: BTreeMap<String, PathBuf> = BTreeMap::new();
    let Some(toml::Value::Array(pops)) = table.get_mut("population") else {
        return Ok(Vec::new());
    };
    for p in pops.iter_mut().filter_map(toml::Value::as_table_mut) {
        let Some(toml::Value::String(f)) = p.get("connectome") else {
            continue;
        };
        let f = f.clone();
        if !done.contains_key(&f) {
            let src = path.parent().unwrap_or(Path::new(".")).join(&f);
            let c = file::read(&src)?;
            let params = generate::Rewire {
                swaps_per_edge: generate::SWAPS_PER_EDGE,
                seed,
                autapses: false,
            };
            let (r, _) = generate::rewire(&c, &params)?;
            let stem = Path::new(&f)
                .file_stem()
                .map_or("c".into(), |s| s.to_string_lossy());
            let dst = dir.join(format!("{tag}_{stem}_rewired.h5"));
            file::write(&dst, &r)?;
            done.insert(f.clone(), std::path::absolute(&dst).unwrap_or(dst));
        }
        p.insert(
            "connectome".into(),
            toml::Value::String(done[&f].to_string_lossy().into_owned()),
        );
    }
    if done.is_empty() {
        return Err(invalid(
            path,
            "rewire = true, but no population is made from a connectome",
        ));
    }
    Ok(done.into_values().collect())
}

/// Collects a run's spikes: times (ms) and global neuron indices.
#[derive(Default)]
struct Spikes {
    times: Vec<f64>,
    neurons: Vec<u32>,
}

impl crate::engine::Recorder for Spikes {
    fn spike(&mut self, t: Time, n: crate::ids::NeuronId) {
        self.times.push(t.as_ms());
        self.neurons.push(n.0);
    }
    fn sample(&mut self, _: Time, _: usize, _: &[f64]) {}
}

/// One run: build, simulate, measure. Errors become the result's `error`.
fn run_one(
    s: &Setup,
    v: &VariantSpec,
    seed: u64,
    fixed: &Fixed,
    keep_raster: bool,
) -> (RunResult, Option<report::Raster>) {
    let spec = s.spec;
    let t0 = Instant::now();
    let mut r = RunResult {
        variant: v.name.clone(),
        seed,
        metrics: BTreeMap::new(),
        spikes: 0,
        seconds: 0.0,
        error: None,
    };
    let outcome = (|| -> Result<Option<report::Raster>> {
        let prep = prepare(s, v, seed, Some(fixed))?;
        let net = build(&prep.model, Some(seed), None)?;
        let stop = net.warmup + net.duration;
        let pops = net.populations.clone();
        let threads = spec.experiment.threads.unwrap_or(1);
        let guard = crate::model::memory::FlightGuard::new(prep.model.memory_limit, &net);
        let mut engine = Engine::new(
            net.blueprint,
            threads,
            crate::engine::partition::Placement::Balanced,
        )
        .guard(guard.as_ref());
        let mut rec = Spikes::default();
        engine.run_until(stop, &mut rec);
        engine.check(guard.as_ref())?;
        r.spikes = rec.times.len() as u64;
        let _ = std::fs::remove_file(&prep.csv);
        for f in &prep.rewired {
            let _ = std::fs::remove_file(f);
        }
        let n = pops.iter().map(|p| p.size as usize).sum();
        let trains = SpikeTrains::new(
            &rec.times,
            &rec.neurons,
            n,
            f64::NEG_INFINITY,
            f64::INFINITY,
        );
        measure(spec, &prep, &trains, seed, &mut r.metrics);
        Ok(keep_raster.then(|| {
            report::Raster::new(
                &v.name,
                &pops,
                &rec.times,
                &rec.neurons,
                prep.spont.0,
                stop.as_ms(),
            )
        }))
    })();
    r.seconds = t0.elapsed().as_secs_f64();
    match outcome {
        Ok(raster) => (r, raster),
        Err(e) => {
            r.error = Some(e.to_string());
            (r, None)
        }
    }
}

/// The metrics of a run into `m`.
fn measure(
    spec: &ExperimentSpec,
    prep: &Prepared,
    trains: &SpikeTrains,
    seed: u64,
    m: &mut BTreeMap<String, f64>,
) {
    let a = &spec.analysis;
    let p = &spec.protocol;
    let w = Windows {
        spontaneous: prep.spont,
        onsets: &prep.sched.onsets,
        response: p.response.0,
        baseline: p.baseline_ms(),
        input_rate: p.rate.0,
    };
    let units = &prep.fixed.units;
    for (k, u) in units.iter().enumerate() {
        let tr: Vec<&[f64]> = u
            .neurons
            .iter()
            .map(|&n| trains.train(n as usize))
            .collect();
        let vals = metrics::population_metrics(&tr, &w, a, seed.wrapping_mul(1000) + k as u64);
        for (name, v) in POP_METRICS.iter().zip(vals) {
            m.insert(format!("{name}/{}", u.name), v);
        }
    }
    let y: Vec<usize> = prep.sched.onsets.iter().map(|o| o.1).collect();
    let decode_from = |units: &[&Unit]| {
        let mut neurons: Vec<&[f64]> = Vec::new();
        for u in units {
            let take = a.readout_neurons.min(u.neurons.len());
            for j in 0..take {
                neurons.push(trains.train(u.neurons[j * u.neurons.len() / take] as usize));
            }
        }
        let x = metrics::response_counts(&neurons, &prep.sched.onsets, p.response.0);
        decode::cross_validated_accuracy(&x, &y, p.k(), a.folds, a.ridge).unwrap_or(f64::NAN)
    };
    let readout: Vec<&Unit> = units.iter().filter(|u| u.readout).collect();
    m.insert("decoding".into(), decode_from(&readout));
    // Per area, from its analysed units: how far the patterns travel up a hierarchy.
    for area in &prep.model.spec.areas {
        let of_area: Vec<&Unit> = units
            .iter()
            .filter(|u| u.area.as_deref() == Some(area.name.as_str()))
            .collect();
        if !of_area.is_empty() {
            m.insert(format!("decoding/{}", area.name), decode_from(&of_area));
        }
    }
}

/// What is analysed: a population, or a group of neurons `[[analysis.group]]` selects.
#[derive(Clone, Debug)]
struct Unit {
    name: String,
    /// Global neuron indices.
    neurons: Vec<u32>,
    /// The area of its population, in a model with areas.
    area: Option<String>,
    /// Whether the readout of `decoding` uses it.
    readout: bool,
}

/// What does not change from run to run of a variant: the pattern neurons' ids and the
/// analysed units.
#[derive(Clone, Debug)]
struct Fixed {
    ids: Vec<Vec<i64>>,
    units: Vec<Unit>,
}

/// The analysed units of a built model.
fn units_of(
    spec: &ExperimentSpec,
    model: &Model,
    net: &crate::model::build::Network,
    path: &Path,
) -> Result<Vec<Unit>> {
    let a = &spec.analysis;
    let pop = |name: &str| {
        net.populations
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| invalid(path, format!("[analysis]: no population `{name}`")))
    };
    let area_of = |pop: &str| {
        model
            .spec
            .areas
            .iter()
            .find(|a| a.populations.iter().any(|p| p == pop))
            .map(|a| a.name.clone())
    };
    let whole = |i: &crate::model::build::PopInfo| Unit {
        name: i.name.clone(),
        neurons: (i.offset..i.offset + i.size).collect(),
        area: area_of(&i.name),
        readout: true,
    };
    let mut units: Vec<Unit> = if !a.group.is_empty() {
        a.group
            .iter()
            .map(|g| {
                let info = pop(&g.population)?;
                let local = net
                    .select(model, &g.population, g.neurons.as_ref())
                    .expect("the population exists")
                    .map_err(|e| invalid(path, format!("[[analysis.group]] `{}`: {e}", g.name)))?;
                if local.is_empty() {
                    return Err(invalid(
                        path,
                        format!("[[analysis.group]] `{}` selects no neuron", g.name),
                    ));
                }
                Ok(Unit {
                    name: g.name.clone(),
                    neurons: local.into_iter().map(|l| info.offset + l).collect(),
                    area: area_of(&g.population),
                    readout: true,
                })
            })
            .collect::<Result<_>>()?
    } else if !a.populations.is_empty() {
        a.populations
            .iter()
            .map(|n| pop(n).map(whole))
            .collect::<Result<_>>()?
    } else {
        net.populations
            .iter()
            .filter(|i| i.model != "spike_source")
            .map(whole)
            .collect()
    };
    if !a.readout.is_empty() {
        for r in &a.readout {
            if !units.iter().any(|u| &u.name == r) {
                return Err(invalid(
                    path,
                    format!("[analysis] readout: `{r}` is not an analysed population or group"),
                ));
            }
        }
        for u in &mut units {
            u.readout = a.readout.contains(&u.name);
        }
    }
    Ok(units)
}

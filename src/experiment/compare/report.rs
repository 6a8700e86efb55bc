//! The comparison's report: `report.md`, `report.json` and the figures (`raster_VARIANT.png`,
//! `metrics.png`).

use super::{ExperimentSpec, RunResult};
use crate::analysis::SpikeData;
use crate::error::{Error, Result};
use crate::experiment::plots::fail;
use crate::plot::{FONT, ensure_font};
use crate::stats;
use plotters::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The spikes of one run, kept for its raster.
pub struct Raster {
    variant: String,
    data: SpikeData,
}

impl Raster {
    /// From a run's spikes (times in ms and global neuron indices, in any order), for
    /// `[from, to)`.
    pub fn new(
        variant: &str,
        pops: &[crate::model::build::PopInfo],
        times: &[f64],
        neurons: &[u32],
        from: f64,
        to: f64,
    ) -> Raster {
        let mut population = Vec::new();
        for (k, p) in pops.iter().enumerate() {
            population.extend(std::iter::repeat_n(k as i16, p.size as usize));
        }
        let n = population.len() as i64;
        let mut pairs: Vec<(f64, i64)> = times
            .iter()
            .zip(neurons)
            .filter(|&(&t, _)| t >= from && t < to)
            .map(|(&t, &i)| (t, i as i64))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Raster {
            variant: variant.to_owned(),
            data: SpikeData {
                times_ms: pairs.iter().map(|p| p.0).collect(),
                neurons: pairs.iter().map(|p| p.1).collect(),
                ids: (0..n).collect(),
                population,
                labels: pops.iter().map(|p| p.name.clone()).collect(),
                t_start_ms: from,
                t_stop_ms: to,
                source: None,
                trials: 1,
            },
        }
    }
}

/// One metric of one population: every variant against the first.
#[derive(Serialize)]
struct Row {
    metric: String,
    population: Option<String>,
    /// Per variant: finite values, mean, 95 % bootstrap interval.
    variants: Vec<VariantStats>,
    /// Per variant after the first: the comparison with the first.
    tests: Vec<Test>,
}

#[derive(Serialize)]
struct VariantStats {
    variant: String,
    n: usize,
    mean: f64,
    ci: (f64, f64),
}

#[derive(Serialize)]
struct Test {
    against: String,
    hedges_g: f64,
    p: f64,
    p_holm: f64,
}

#[derive(Serialize)]
struct Json<'a> {
    experiment: &'a str,
    question: Option<&'a str>,
    variants: Vec<&'a str>,
    seeds: Vec<u64>,
    runs: &'a [RunResult],
    comparisons: &'a [Row],
}

/// Writes the report; returns its Markdown path and text.
pub fn write(
    spec: &ExperimentSpec,
    out: &Path,
    runs: &[RunResult],
    rasters: &[Raster],
) -> Result<(PathBuf, String)> {
    let names: Vec<&str> = spec.variants.iter().map(|v| v.name.as_str()).collect();
    let mut keys: Vec<String> = runs
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Decoding first, then by metric in the order of the metrics module, then population.
    let order = |k: &String| {
        let m = k.split('/').next().unwrap_or("");
        super::POP_METRICS
            .iter()
            .position(|x| *x == m)
            .map_or(0, |p| p + 1)
    };
    keys.sort_by_key(|k| order(k));
    let values = |variant: &str, key: &str| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.variant == variant && r.error.is_none())
            .filter_map(|r| r.metrics.get(key).copied())
            .filter(|v| v.is_finite())
            .collect()
    };
    let mut rows: Vec<Row> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let (metric, population) = match key.split_once('/') {
            Some((m, p)) => (m.to_owned(), Some(p.to_owned())),
            None => (key.clone(), None),
        };
        let seed = 0x0C0FFEE ^ i as u64;
        let a = values(names[0], key);
        let variants = names
            .iter()
            .map(|&v| {
                let x = values(v, key);
                VariantStats {
                    variant: v.to_owned(),
                    n: x.len(),
                    mean: if x.is_empty() {
                        f64::NAN
                    } else {
                        stats::mean(&x)
                    },
                    ci: stats::bootstrap_ci(&x, 0.95, 10_000, seed).unwrap_or((f64::NAN, f64::NAN)),
                }
            })
            .collect();
        let tests = names[1..]
            .iter()
            .map(|&v| {
                let b = values(v, key);
                let ok = a.len() >= 2 && b.len() >= 2;
                Test {
                    against: v.to_owned(),
                    hedges_g: if ok {
                        stats::hedges_g(&b, &a)
                    } else {
                        f64::NAN
                    },
                    p: if ok {
                        stats::permutation_test(&a, &b, 100_000, seed ^ 2)
                    } else {
                        f64::NAN
                    },
                    p_holm: f64::NAN,
                }
            })
            .collect();
        rows.push(Row {
            metric,
            population,
            variants,
            tests,
        });
    }
    holm(&mut rows);

    let json = Json {
        experiment: &spec.experiment.name,
        question: spec.experiment.question.as_deref(),
        variants: names.clone(),
        seeds: (0..spec.experiment.seeds as u64)
            .map(|k| spec.experiment.first_seed + k)
            .collect(),
        runs,
        comparisons: &rows,
    };
    let json_path = out.join("report.json");
    let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Invalid {
        what: json_path.display().to_string(),
        message: e.to_string(),
    })?;
    std::fs::write(&json_path, text).map_err(Error::io(&json_path))?;

    let mut figures = Vec::new();
    for r in rasters {
        let f = format!("raster_{}.png", super::sanitise(&r.variant));
        let to = r.data.t_stop_ms.min(r.data.t_start_ms + 2000.0);
        let opts = crate::plot::PlotOptions {
            from_ms: Some(r.data.t_start_ms),
            to_ms: Some(to),
            max_neurons: 60,
            height: 1200,
            ..Default::default()
        };
        crate::plot::raster_and_rates(&r.data, &opts, &out.join(&f)).map_err(|e| {
            Error::Invalid {
                what: out.join(&f).display().to_string(),
                message: e.to_string(),
            }
        })?;
        figures.push((
            format!(
                "{}: the first run, spontaneous period and the first presentations",
                r.variant
            ),
            f,
        ));
    }
    metrics_figure(&out.join("metrics.png"), &names, runs)?;
    figures.push((
        "every metric per population, one dot per run".into(),
        "metrics.png".into(),
    ));

    let md = markdown(spec, runs, &rows, &figures);
    let md_path = out.join("report.md");
    std::fs::write(&md_path, &md).map_err(Error::io(&md_path))?;
    Ok((md_path, md))
}

/// Holm–Bonferroni over every test of the report.
fn holm(rows: &mut [Row]) {
    let mut ps: Vec<(f64, usize, usize)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.tests.iter().enumerate().map(move |(j, t)| (t.p, i, j)))
        .filter(|x| x.0.is_finite())
        .collect();
    ps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let m = ps.len();
    let mut running = 0.0f64;
    for (rank, &(p, i, j)) in ps.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p).min(1.0));
        rows[i].tests[j].p_holm = running;
    }
}

fn fmt(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.3}")
    } else if x.abs() >= 0.001 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn markdown(
    spec: &ExperimentSpec,
    runs: &[RunResult],
    rows: &[Row],
    figures: &[(String, String)],
) -> String {
    let e = &spec.experiment;
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", e.name);
    if let Some(q) = &e.question {
        let _ = writeln!(s, "{q}\n");
    }
    let _ = writeln!(s, "## Variants\n");
    for v in &spec.variants {
        let _ = write!(s, "- **{}**: `{}`", v.name, v.model);
        if !v.set.is_empty() {
            let _ = write!(s, " with `{}`", v.set.join("`, `"));
        }
        if v.rewire {
            let _ = write!(s, ", connectome rewired per run (degree-preserving)");
        }
        if let Some(d) = &v.description {
            let _ = write!(s, ". {d}");
        }
        let _ = writeln!(s);
    }
    let p = &spec.protocol;
    let _ = writeln!(
        s,
        "\n{} seeds per variant ({}–{}). Each run: the model's warm-up, its spontaneous period, then {} patterns × {} presentations onto `{}` ({} Hz for {} ms, every {} ms; response window {} ms, baseline {} ms).\n",
        e.seeds,
        e.first_seed,
        e.first_seed + e.seeds as u64 - 1,
        p.k(),
        p.trials,
        p.target,
        p.rate.0,
        p.on.0,
        p.every.0,
        p.response.0,
        p.baseline_ms()
    );
    let failed: Vec<&RunResult> = runs.iter().filter(|r| r.error.is_some()).collect();
    if failed.is_empty() {
        let _ = writeln!(s, "All {} runs completed.\n", runs.len());
    } else {
        let _ = writeln!(
            s,
            "**{} of {} runs failed** (left out of the statistics):\n",
            failed.len(),
            runs.len()
        );
        for r in failed {
            let _ = writeln!(
                s,
                "- {} seed {}: {}",
                r.variant,
                r.seed,
                r.error.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(s);
    }
    let secs: f64 = runs.iter().map(|r| r.seconds).sum();
    let _ = writeln!(
        s,
        "Run time: {:.0} s in total, {:.1} s per run on average.\n",
        secs,
        secs / runs.len().max(1) as f64
    );

    let _ = writeln!(s, "## Differences\n");
    let _ = writeln!(
        s,
        "Tests with Holm-adjusted p < 0.05 (two-sided permutation tests, Holm–Bonferroni over all {} tests; g: Hedges' g of each variant against `{}`):\n",
        rows.iter().map(|r| r.tests.len()).sum::<usize>(),
        spec.variants[0].name
    );
    let mut any = false;
    for r in rows {
        for (j, t) in r.tests.iter().enumerate() {
            if t.p_holm < 0.05 {
                any = true;
                let (a, b) = (&r.variants[0], &r.variants[j + 1]);
                let _ = writeln!(
                    s,
                    "- {}{}: {} {} vs {} {} (g = {:.2}, p = {}, Holm {})",
                    r.metric,
                    r.population
                        .as_ref()
                        .map(|p| format!(" of {p}"))
                        .unwrap_or_default(),
                    a.variant,
                    fmt(a.mean),
                    b.variant,
                    fmt(b.mean),
                    t.hedges_g,
                    fmt_p(t.p),
                    fmt_p(t.p_holm)
                );
            }
        }
    }
    if !any {
        let _ = writeln!(s, "- none");
    }
    let _ = writeln!(s);

    let mut last = String::new();
    for r in rows {
        if r.metric != last {
            last = r.metric.clone();
            let _ = writeln!(s, "\n## {}\n", r.metric);
            let _ = write!(s, "| population |");
            for v in &r.variants {
                let _ = write!(s, " {} mean [95 % CI] (n) |", v.variant);
            }
            for t in &r.tests {
                let _ = write!(s, " g ({}) | p | p Holm |", t.against);
            }
            let _ = writeln!(s);
            let cols = 1 + r.variants.len() + 3 * r.tests.len();
            let _ = writeln!(s, "|{}", "---|".repeat(cols));
        }
        let _ = write!(s, "| {} |", r.population.as_deref().unwrap_or("all"));
        for v in &r.variants {
            let _ = write!(
                s,
                " {} [{}, {}] ({}) |",
                fmt(v.mean),
                fmt(v.ci.0),
                fmt(v.ci.1),
                v.n
            );
        }
        for t in &r.tests {
            let _ = write!(
                s,
                " {:.2} | {} | {} |",
                t.hedges_g,
                fmt_p(t.p),
                fmt_p(t.p_holm)
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "\n## Figures\n");
    for (what, f) in figures {
        let _ = writeln!(s, "- {what}: ![{f}]({f})");
    }
    s
}

/// One panel per metric: per population (x), one dot per run, coloured by variant.
fn metrics_figure(out: &Path, names: &[&str], runs: &[RunResult]) -> Result<()> {
    ensure_font().map_err(|e| fail(out, e))?;
    let mut per: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in runs {
        for k in r.metrics.keys() {
            let (m, p) = k.split_once('/').unwrap_or((k.as_str(), "all"));
            let list = per.entry(m).or_default();
            if !list.contains(&p) {
                list.push(p);
            }
        }
    }
    let panels: Vec<&str> = std::iter::once("decoding")
        .chain(super::POP_METRICS.iter().copied())
        .filter(|m| per.contains_key(m))
        .collect();
    let root = BitMapBackend::new(out, (1400, 300 * panels.len().div_ceil(2) as u32 + 40))
        .into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(out, e))?;
    let legend = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n} ({})", ["blue", "red", "green", "orange"][i % 4]))
        .collect::<Vec<_>>()
        .join(", ");
    let (title, body) = root.split_vertically(40);
    title
        .draw_text(
            &format!("metrics per run: {legend}"),
            &(FONT, 18).into_text_style(&title),
            (10, 10),
        )
        .map_err(|e| fail(out, e))?;
    let areas = body.split_evenly((panels.len().div_ceil(2), 2));
    for (area, metric) in areas.iter().zip(&panels) {
        let pops = &per[metric];
        let pts: Vec<(f64, f64, usize)> = runs
            .iter()
            .filter(|r| r.error.is_none())
            .flat_map(|r| {
                let v = names.iter().position(|n| *n == r.variant).unwrap_or(0);
                pops.iter().enumerate().filter_map(move |(i, p)| {
                    let key = if *p == "all" {
                        metric.to_string()
                    } else {
                        format!("{metric}/{p}")
                    };
                    let y = *r.metrics.get(&key)?;
                    let x = i as f64 + 0.15 + 0.7 * v as f64 / names.len().max(1) as f64;
                    y.is_finite().then_some((x, y, v))
                })
            })
            .collect();
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.1), h.max(p.1))
            });
        let (lo, hi) = if lo.is_finite() {
            (lo.min(0.0), hi.max(lo + 1e-9))
        } else {
            (0.0, 1.0)
        };
        let pad = 0.05 * (hi - lo);
        let labels = pops.clone();
        let mut chart = ChartBuilder::on(area)
            .caption(*metric, (FONT, 16))
            .margin(8)
            .x_label_area_size(70)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..pops.len() as f64, (lo - pad)..(hi + pad))
            .map_err(|e| fail(out, e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(pops.len().min(30) + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                labels.get(i).map(|s| s.to_string()).unwrap_or_default()
            })
            .label_style((FONT, 11))
            .x_label_style((FONT, 9).into_font().transform(FontTransform::Rotate90))
            .draw()
            .map_err(|e| fail(out, e))?;
        chart
            .draw_series(
                pts.iter()
                    .map(|&(x, y, v)| Circle::new((x, y), 3, crate::plot::COLOURS[v % 4].filled())),
            )
            .map_err(|e| fail(out, e))?;
    }
    root.present().map_err(|e| fail(out, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(variant: &str, seed: u64, rate: f64, error: Option<&str>) -> RunResult {
        RunResult {
            variant: variant.into(),
            seed,
            metrics: if error.is_some() {
                BTreeMap::new()
            } else {
                [("rate_hz/E".to_owned(), rate)].into()
            },
            spikes: 0,
            seconds: 1.0,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn a_failed_run_is_reported_and_left_out_of_the_statistics() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.toml"), "").unwrap();
        let spec: ExperimentSpec = toml::from_str(
            "[experiment]\nname = \"t\"\nseeds = 3\n[[variant]]\nname = \"a\"\nmodel = \"m.toml\"\n[[variant]]\nname = \"b\"\nmodel = \"m.toml\"\n[protocol]\ntarget = \"X\"\npatterns = 2\ntrials = 2\nrate = 1.0\non = 1.0\nevery = 100.0\nresponse = 10.0\n",
        )
        .unwrap();
        let runs = [
            run("a", 1, 1.0, None),
            run("a", 2, 2.0, None),
            run("a", 3, 0.0, Some("out of memory")),
            run("b", 1, 5.0, None),
            run("b", 2, 6.0, None),
            run("b", 3, 7.0, None),
        ];
        let (_, md) = write(&spec, dir.path(), &runs, &[]).unwrap();
        assert!(md.contains("**1 of 6 runs failed**"), "{md}");
        assert!(md.contains("- a seed 3: out of memory"), "{md}");
        // a: the two runs that completed.
        assert!(
            md.contains("| E | 1.500 [1.000, 2.000] (2) | 6.000 [5.000, 7.000] (3) |"),
            "{md}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
                .unwrap();
        assert_eq!(json["runs"][2]["error"], "out of memory");
    }

    #[test]
    fn holm_adjusts_in_order_and_stays_monotone() {
        let row = |p: f64| Row {
            metric: "m".into(),
            population: None,
            variants: Vec::new(),
            tests: vec![Test {
                against: "b".into(),
                hedges_g: 0.0,
                p,
                p_holm: f64::NAN,
            }],
        };
        let mut rows = vec![row(0.04), row(0.01), row(0.03), row(f64::NAN)];
        holm(&mut rows);
        // Sorted 0.01, 0.03, 0.04 with m = 3: 0.03, max(0.03, 0.06), max(0.06, 0.04).
        let adj: Vec<f64> = rows.iter().map(|r| r.tests[0].p_holm).collect();
        assert_eq!(adj[1], 0.03);
        assert!(
            (adj[2] - 0.06).abs() < 1e-15 && (adj[0] - 0.06).abs() < 1e-15,
            "{adj:?}"
        );
        assert!(adj[3].is_nan());
    }
}

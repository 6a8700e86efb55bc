//! Building a network from a model: populations with their parameters, generated
//! connectivity, stimuli and probes, all checked against each other.
//!
//! Every random draw comes from a stream named by the model object it belongs to (a
//! projection's source or target neuron, a population's parameters, a neuron's Poisson drive),
//! so the network is a function of the model and the seed alone.

use super::Model;
use super::neurons::{ConnectomeRows, Connectomes, Domain, select};
use super::spec::{
    Dist, ModelKind, PopulationSpec, ProbeNeurons, Rule, Selection, StimulusKind, TargetVar,
    Update, Value,
};
use crate::engine::plastic::SynapseType;
use crate::engine::queue::SchedulerKind;
use crate::engine::{Blueprint, Csr, Probe, StepCurrent, SynapseColumns};
use crate::error::{Error, Result};
use crate::ids::{NeuronId, PopId};
use crate::neuron::burst2c::Burst2cParams;
use crate::neuron::drive::{Drive, Listed, Source, stream_rng, streams};
use crate::neuron::exact::ExactPopulation;
use crate::neuron::lif_delta::{LifDeltaExact, LifDeltaGrid, LifParams};
use crate::neuron::lif_exp::{LifExpExact, LifExpParams};
use crate::neuron::lif_exp_grid::LifExpGrid;
use crate::neuron::real::{Precision, Real};
use crate::neuron::source::SpikeSource;
use crate::neuron::{Population, RefractoryInput, StateVar};
use crate::time::{MAX_MS, Time};
use rand::RngExt;
use rand_distr::{Distribution, Normal as NormalDist};
use rand_xoshiro::Xoshiro256PlusPlus;
use toml::Spanned;

/// What a synapse's weight may be: synapses store weights as 32-bit floats.
const WEIGHT_RANGE: &str = "weights must be finite and within ±3.4e38 (a synapse stores its \
    weight as a 32-bit float)";

/// What the rest of the program needs to know about a population.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PopInfo {
    /// Name.
    pub name: String,
    /// Model name.
    pub model: String,
    /// Global index of the first neuron.
    pub offset: u32,
    /// Number of neurons.
    pub size: u32,
    /// Number of neurons before `[scaling]` (= `size` without it).
    pub full_size: u32,
    /// Whether its spikes are recorded.
    pub record_spikes: bool,
    /// The connectome rows its neurons come from, if it was made from a connectome file.
    #[serde(skip)]
    pub rows: Option<ConnectomeRows>,
}

/// A built network, ready to become a [`crate::engine::Simulation`].
pub struct Network {
    /// The memory estimate made before the synapses were (`hebb inspect` prints it).
    pub memory: super::memory::Estimate,
    /// The engine's input.
    pub blueprint: Blueprint,
    /// Populations.
    pub populations: Vec<PopInfo>,
    /// Seed.
    pub seed: u64,
    /// Warm-up (not recorded).
    pub warmup: Time,
    /// Recorded duration.
    pub duration: Time,
    /// The connectome files the populations were made from.
    pub connectomes: Connectomes,
}

impl Network {
    /// The neurons of population `pop` that `sel` picks (all when `None`), as indices within
    /// the population; `None` when there is no such population.
    pub fn select(
        &self,
        model: &Model,
        pop: &str,
        sel: Option<&Spanned<Selection>>,
    ) -> Option<Result<Vec<u32>>> {
        let info = self.populations.iter().find(|p| p.name == pop)?;
        Some(pick_neurons(model, sel, info, &self.connectomes))
    }

    /// Poisson arrivals per second of simulated time that the model's `poisson` stimuli bring
    /// (each target neuron's rate, scaled as `[scaling]` scales it). On exact neurons each
    /// arrival is an event, so this bounds the cost of a run from below.
    pub fn poisson_arrivals_per_s(&self, model: &Model) -> Result<f64> {
        let k = super::scaling::Scaling::of(model)?.k;
        let mut total = 0.0;
        for st in &model.spec.stimuli {
            if !matches!(st.kind.get_ref(), StimulusKind::Poisson) {
                continue;
            }
            let (Some(rate), Some(targets)) = (
                st.rate,
                self.select(model, st.target.get_ref(), st.neurons.as_ref()),
            ) else {
                continue;
            };
            total += rate.0 * k * targets?.len() as f64;
        }
        Ok(total)
    }

    /// Total number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.populations.iter().map(|p| p.size as usize).sum()
    }

    /// The external id of every neuron (global order): the connectome's ids for populations
    /// made from one, else the global index. `None` if two neurons would share an id (then
    /// global indices are the ids).
    pub fn external_ids(&self) -> Option<Vec<i64>> {
        let mut ids = Vec::with_capacity(self.n_neurons());
        for p in &self.populations {
            match &p.rows {
                Some(r) => {
                    let c = &self.connectomes.get(r.file).connectome;
                    ids.extend(r.rows.iter().map(|&row| c.ids[row as usize]));
                }
                None => ids.extend((p.offset..p.offset + p.size).map(i64::from)),
            }
        }
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.windows(2).all(|w| w[0] != w[1]).then_some(ids)
    }

    /// The label of global neuron `i` in annotation `column` of its connectome, if any.
    pub fn annotation(&self, i: u32, column: &str) -> Option<String> {
        let p = self
            .populations
            .iter()
            .find(|p| (p.offset..p.offset + p.size).contains(&i))?;
        let r = p.rows.as_ref()?;
        let c = &self.connectomes.get(r.file).connectome;
        Some(
            c.annotation(column)?
                .label(r.rows[(i - p.offset) as usize] as usize),
        )
    }
}

/// The populations (state, parameters, Poisson drives) and the step currents of a run.
pub type Dynamics = (Vec<Box<dyn Population>>, Vec<StepCurrent>);

/// The populations and step currents of a built [`Network`] (its `populations` and
/// `connectomes`) with the random streams of `seed`, for a trial: the same network
/// (connectivity is drawn once, from the model's seed), new Poisson drives and parameter draws.
pub fn trial_dynamics(
    model: &Model,
    infos: &[PopInfo],
    cons: &Connectomes,
    seed: u64,
) -> Result<Dynamics> {
    let h_ms = model.spec.simulation.resolution.get_ref().0;
    make_populations(model, infos, cons, seed, h_ms)
}

/// The seed of trial `k` of a run with seed `seed`: `seed` itself for trial 0, a mix of both
/// for the others (independent streams, reproducible from the pair).
pub fn trial_seed(seed: u64, k: u32) -> u64 {
    if k == 0 {
        return seed;
    }
    let mut z = seed ^ (k as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z ^ (z >> 29)
}

/// Maps an id of a `spike_times` file to a neuron of `info`: external ids for populations made
/// from a connectome, else indices.
fn local_of_ids<'a>(
    info: &'a PopInfo,
    cons: &'a Connectomes,
) -> impl Fn(i64) -> Option<usize> + 'a {
    let map: Option<std::collections::HashMap<i64, usize>> = info.rows.as_ref().map(|r| {
        let c = &cons.get(r.file).connectome;
        r.rows
            .iter()
            .enumerate()
            .map(|(l, &row)| (c.ids[row as usize], l))
            .collect()
    });
    let n = info.size as usize;
    move |id| match &map {
        Some(m) => m.get(&id).copied(),
        None => usize::try_from(id).ok().filter(|&i| i < n),
    }
}

/// The domain a selection of population `info` picks from.
fn domain<'a>(info: &'a PopInfo, cons: &'a Connectomes) -> Domain<'a> {
    Domain {
        name: &info.name,
        n: info.size as usize,
        source: info
            .rows
            .as_ref()
            .map(|r| (cons.get(r.file), Some(&r.rows[..]))),
    }
}

/// The local neurons `sel` picks of population `info` (all when `None`).
fn pick_neurons(
    model: &Model,
    sel: Option<&Spanned<Selection>>,
    info: &PopInfo,
    cons: &Connectomes,
) -> Result<Vec<u32>> {
    match sel {
        Some(sel) => select(model, sel, &domain(info, cons)),
        None => Ok((0..info.size).collect()),
    }
}

/// The error for a time (ms) of key `what` that the clock cannot reach.
fn beyond_the_clock(model: &Model, what: &str, ms: f64) -> Error {
    let ms = if ms < 1e15 {
        ms.to_string()
    } else {
        format!("{ms:e}")
    };
    model.error_at(
        0..0,
        format!(
            "{what} = {ms} ms reaches beyond the clock's range (64-bit count of 1e-9 ms \
             ticks: less than {MAX_MS:.6e} ms, about 213 days); shorten it"
        ),
    )
}

/// A non-negative time (ms) of key `what`, refused by name when the clock cannot reach it.
pub(crate) fn clock_time(model: &Model, what: &str, ms: f64) -> Result<Time> {
    Time::from_ms(ms).ok_or_else(|| beyond_the_clock(model, what, ms))
}

/// `simulation.warmup` and `simulation.duration`, refused when the clock cannot reach their
/// end.
fn run_length(model: &Model) -> Result<(Time, Time)> {
    let sim = &model.spec.simulation;
    let (w, d) = (sim.warmup.0, sim.duration.0);
    let warmup = clock_time(model, "simulation.warmup", w)?;
    let duration = clock_time(model, "simulation.duration", d)?;
    if warmup.checked_end(duration).is_none() {
        let what = "simulation.warmup + simulation.duration";
        return Err(beyond_the_clock(model, what, w + d));
    }
    Ok((warmup, duration))
}

/// Builds the network of a model. `seed` overrides the model's seed.
pub fn build(
    model: &Model,
    seed: Option<u64>,
    scheduler: Option<SchedulerKind>,
) -> Result<Network> {
    let spec = &model.spec;
    let sim = &spec.simulation;
    let seed = seed.unwrap_or(sim.seed);
    let h_ms = sim.resolution.get_ref().0;
    let h = Time::from_ms(h_ms).filter(|t| t.0 > 0).ok_or_else(|| {
        model.error_at(
            sim.resolution.span(),
            format!("simulation.resolution {h_ms} ms is below the 1e-9 ms tick"),
        )
    })?;
    if spec.populations.is_empty() {
        return Err(model.error_at(0..0, "the model has no [[population]]; add at least one"));
    }

    // Populations: names, offsets.
    let scaling = super::scaling::Scaling::of(model)?;
    let mut infos = Vec::new();
    let mut cons = Connectomes::default();
    let mut offset = 0u32;
    for p in &spec.populations {
        let name = p.name.get_ref();
        if infos.iter().any(|i: &PopInfo| &i.name == name) {
            return Err(model.error_at(
                p.name.span(),
                format!("population name `{name}` is used twice"),
            ));
        }
        let rows = population_rows(model, p, &mut cons)?;
        let size = match (&p.size, &rows) {
            (Some(s), Some(r)) if *s.get_ref() as usize != r.rows.len() => {
                return Err(model.error_at(
                    s.span(),
                    format!(
                        "population `{name}`: size = {} but its connectome selection has {} \
                         neurons; drop `size`",
                        s.get_ref(),
                        r.rows.len()
                    ),
                ));
            }
            (_, Some(r)) => r.rows.len() as u32,
            (Some(s), None) => *s.get_ref(),
            (None, None) => {
                return Err(model.error_at(
                    p.name.span(),
                    format!("population `{name}` needs `size` or `connectome`"),
                ));
            }
        };
        if size == 0 {
            return Err(model.error_at(
                p.size.as_ref().map_or(p.name.span(), |s| s.span()),
                format!("population `{name}` is empty (size = 0); give it at least one neuron"),
            ));
        }
        let full_size = size;
        let size = scaling.size(model, p, full_size)?;
        infos.push(PopInfo {
            name: name.clone(),
            model: match p.model {
                ModelKind::LifDelta => "lif_delta",
                ModelKind::LifExp => "lif_exp",
                ModelKind::SpikeSource => "spike_source",
                ModelKind::Burst2c => "burst2c",
                ModelKind::Adex => "adex",
            }
            .to_owned(),
            offset,
            size,
            full_size,
            record_spikes: true,
            rows,
        });
        offset = offset
            .checked_add(size)
            .ok_or_else(|| model.error_at(p.name.span(), "more than 4 billion neurons"))?;
    }
    let n_total = offset as usize;
    let find = |name: &Spanned<String>| find_population(model, &infos, name);

    // Connectivity: the synapse kinds in order (they number types and plastic projections),
    // then one part per projection, generated on all cores (each projection draws from its
    // own streams, so the parts do not depend on the number of threads); connectome rules
    // read the shared files on this thread.
    let mut types = vec![SynapseType::default()];
    let mut plastic = Vec::new();
    let mut stp = Vec::new();
    let mut jobs = Vec::with_capacity(spec.projections.len());
    for proj in &spec.projections {
        let s = find(&proj.source)?;
        let t = find(&proj.target)?;
        if spec.populations[t].model == ModelKind::SpikeSource {
            return Err(model.error_at(
                proj.target.span(),
                "a spike_source cannot be the target of a projection",
            ));
        }
        let grid = spec.populations[t].update == Update::Grid
            || matches!(
                spec.populations[t].model,
                ModelKind::Burst2c | ModelKind::Adex
            );
        let (port, stype) = super::learn::synapse_kind(
            model,
            proj,
            &infos[s],
            &infos[t],
            t,
            spec.populations[t].model,
            &mut types,
            &mut plastic,
            &mut stp,
        )?;
        // Keys a rule needs are checked before any projection makes its synapses.
        if !matches!(proj.rule.get_ref(), Rule::Connectome) {
            weight_and_delay(model, proj, &infos[s], &infos[t])?;
        }
        jobs.push((s, t, grid, port, stype));
    }
    // Memory: estimated before any synapse is made, refused when it does not fit.
    let memory = estimate_memory(model, &infos, &cons, &scaling, &jobs);
    if let Some(limit) = model.memory_limit
        && memory.peak_bytes > limit
    {
        return Err(model.error_at(
            0..0,
            format!(
                "this model needs about {} ({}), more than the {} available; \
                 make it smaller (e.g. scaling.N, scaling.K, fewer populations or \
                 connections{}) or run with --no-memory-check to try anyway",
                super::memory::human(memory.peak_bytes),
                memory.counts(),
                super::memory::human(limit),
                if memory.listed_spikes > 0 {
                    ", shorter Poisson trains of spike_source populations (rate, start, stop)"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut generated = crate::par::map(crate::par::cores(), spec.projections.len(), |k| {
        let proj = &spec.projections[k];
        if let Rule::Connectome = proj.rule.get_ref() {
            return None;
        }
        let (s, t, grid, _, _) = jobs[k];
        let mut part = SynapseColumns::default();
        part.reserve_exact(expected_of(model, proj, &infos[s], &infos[t], &scaling));
        Some(
            connect(
                model,
                k,
                proj,
                &infos[s],
                &infos[t],
                s == t,
                grid,
                h,
                seed,
                &scaling,
                &mut part,
            )
            .map(|()| part),
        )
    });
    let mut parts = Vec::with_capacity(jobs.len());
    for (k, proj) in spec.projections.iter().enumerate() {
        let (s, t, grid, port, stype) = jobs[k];
        let mut part = match generated[k].take() {
            Some(r) => r?,
            None => {
                let mut part = SynapseColumns::default();
                super::wire::connect_connectome(
                    model, proj, &infos[s], &infos[t], grid, h, &cons, &mut part,
                )?;
                part
            }
        };
        super::learn::check_added(model, proj, &infos[t], spec.populations[t].model, &part, 0)?;
        part.set_kind_from(0, port, stype);
        parts.push(part);
    }
    drop(generated);

    cons.drop_edges();
    let (pops, currents) = make_populations(model, &infos, &cons, seed, h_ms)?;

    // Silenced neurons lose their outgoing synapses.
    if !spec.silence.is_empty() {
        let mut silent = vec![false; n_total];
        for si in &spec.silence {
            let p = find(&si.population)?;
            for l in pick_neurons(model, si.neurons.as_ref(), &infos[p], &cons)? {
                silent[(infos[p].offset + l) as usize] = true;
            }
        }
        for part in &mut parts {
            part.retain(|pre| !silent[pre as usize]);
        }
    }

    // Recording.
    let recorded: Option<Vec<usize>> = match &spec.record.spikes {
        Some(list) => Some(list.iter().map(&find).collect::<Result<_>>()?),
        None => None,
    };
    let (warmup, duration) = run_length(model)?;
    let mut probes = Vec::new();
    for pr in &spec.record.state {
        let p = find(&pr.population)?;
        let info = &infos[p];
        let locals: Vec<u32> = match &pr.neurons {
            Some(list) => match list.get_ref() {
                ProbeNeurons::Indices(ix) => {
                    if let Some(bad) = ix.iter().find(|&&i| i >= info.size) {
                        return Err(model.error_at(
                            list.span(),
                            format!(
                                "neuron index {bad} is outside population `{}` (size {})",
                                info.name, info.size
                            ),
                        ));
                    }
                    ix.clone()
                }
                ProbeNeurons::Select(sel) => select(
                    model,
                    &Spanned::new(list.span(), sel.clone()),
                    &domain(info, &cons),
                )?,
            },
            None => (0..pr.count.unwrap_or(1).min(info.size)).collect(),
        };
        let kind = spec.populations[p].model;
        for v in &pr.variables {
            let ok = match kind {
                ModelKind::LifDelta => *v == StateVar::Vm,
                ModelKind::LifExp => {
                    matches!(v, StateVar::Vm | StateVar::ISynEx | StateVar::ISynIn)
                }
                ModelKind::SpikeSource => false,
                ModelKind::Burst2c => !matches!(v, StateVar::ISynEx | StateVar::ISynIn),
                ModelKind::Adex => *v == StateVar::Vm,
            };
            if !ok {
                return Err(model.error_at(
                    pr.population.span(),
                    format!(
                        "population `{}` ({:?}) has no variable {}",
                        info.name,
                        kind,
                        v.name()
                    ),
                ));
            }
        }
        let interval = pr.interval.map(|x| x.0).unwrap_or(h_ms);
        let interval = at_least_a_step(
            model,
            pr.population.span(),
            "record.state interval",
            interval,
        )?;
        probes.push(Probe {
            neurons: locals.iter().map(|&l| NeuronId(info.offset + l)).collect(),
            vars: pr.variables.clone(),
            start: warmup,
            interval,
        });
    }

    if let Some(list) = recorded {
        for (k, i) in infos.iter_mut().enumerate() {
            i.record_spikes = list.contains(&k);
        }
    }

    // Compile.
    let mut pop_of = Vec::with_capacity(n_total);
    let mut local_of = Vec::with_capacity(n_total);
    for (k, i) in infos.iter().enumerate() {
        for l in 0..i.size {
            pop_of.push(PopId(k as u16));
            local_of.push(l);
        }
    }
    let mut csr = Csr::compile_typed(n_total, &pop_of, &local_of, parts, types);
    csr.stp = stp;
    let burst_detector = super::learn::detector(model)?;
    Ok(Network {
        memory,
        blueprint: Blueprint {
            populations: pops,
            csr: csr.into(),
            currents,
            probes,
            scheduler: scheduler.unwrap_or(sim.scheduler),
            plastic,
            burst_detector,
        },
        populations: infos,
        seed,
        warmup,
        duration,
        connectomes: cons,
    })
}

/// The peak memory of building the model (see [`super::memory`]): its neurons, the synapses
/// its projections are expected to make, the connectome files already read.
fn estimate_memory(
    model: &Model,
    infos: &[PopInfo],
    cons: &Connectomes,
    scaling: &super::scaling::Scaling,
    jobs: &[(usize, usize, bool, u8, u16)],
) -> super::memory::Estimate {
    let spec = &model.spec;
    let mut synapses = 0u64;
    for (k, proj) in spec.projections.iter().enumerate() {
        let (s, t, ..) = jobs[k];
        synapses += match proj.rule.get_ref() {
            Rule::Connectome => infos[s]
                .rows
                .as_ref()
                .map_or(0, |r| cons.get(r.file).connectome.edges.len() as u64),
            Rule::File { path } => std::fs::read(model.resolve(path))
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64),
            _ => expected_of(model, proj, &infos[s], &infos[t], scaling) as u64,
        };
    }
    let typed = jobs.iter().any(|j| j.3 != 0 || j.4 != 0);
    let neurons: u64 = infos.iter().map(|i| i.size as u64).sum();
    let data = cons.files().map(super::memory::connectome_bytes).sum();
    let e = super::memory::Estimate::of(neurons, synapses, typed, data)
        .with_listed_spikes(poisson_train_spikes(model, infos));
    if model.writes_output {
        e.with_output()
    } else {
        e
    }
}

/// An interval of recording or of a stimulus's updates (key `what`, ms; errors point at
/// `span`): at least one step of `simulation.resolution` (as NEST's multimeter asks), within
/// the clock's range.
pub(crate) fn at_least_a_step(
    model: &Model,
    span: std::ops::Range<usize>,
    what: &str,
    ms: f64,
) -> Result<Time> {
    let h_ms = model.spec.simulation.resolution.get_ref().0;
    if ms < h_ms {
        return Err(model.error_at(
            span,
            format!(
                "{what} = {ms} ms is shorter than simulation.resolution ({h_ms} ms); make it at \
                 least one step"
            ),
        ));
    }
    clock_time(model, what, ms)
}

/// The expected number of spikes of the Poisson trains drawn while building (`spike_source`
/// populations with `rate`), as [`poisson_trains`] draws them.
fn poisson_train_spikes(model: &Model, infos: &[PopInfo]) -> u64 {
    let mut spikes = 0.0;
    for (p, info) in model.spec.populations.iter().zip(infos) {
        let Some(rate) = p.rate.filter(|_| p.model == ModelKind::SpikeSource) else {
            continue;
        };
        let (start, stop) = train_bounds(model, p);
        // No draw goes beyond the clock's range.
        let span = stop.min(crate::time::MAX_MS) - start;
        spikes += rate.0 * 1e-3 * span.max(0.0) * f64::from(info.size);
    }
    spikes.min(u64::MAX as f64) as u64
}

/// The number of synapses a generated projection will make (exact for every rule but
/// `pairwise_bernoulli`, whose mean plus 5 standard deviations it takes; 0 for rules read from
/// files).
fn expected_of(
    model: &Model,
    proj: &super::spec::ProjectionSpec,
    src: &PopInfo,
    tgt: &PopInfo,
    scaling: &super::scaling::Scaling,
) -> usize {
    let (ns, nt) = (src.size as f64, tgt.size as f64);
    let (fs, ft) = (src.full_size, tgt.full_size);
    let n = match proj.rule.get_ref() {
        // The mean and 5 standard deviations: going beyond would double the vectors.
        Rule::PairwiseBernoulli { p } => p.0 * ns * nt + 5.0 * (p.0 * ns * nt).sqrt(),
        Rule::FixedIndegree { indegree } => scaling.degree(*indegree) as f64 * nt,
        Rule::FixedOutdegree { outdegree } => scaling.degree(*outdegree) as f64 * ns,
        Rule::FixedTotalNumber { n, p } => {
            super::scaling::full_total(model, proj, *n, p.map(|x| x.0), fs, ft)
                .map_or(0.0, |f| scaling.total(f, &tgt.name) as f64)
        }
        Rule::OneToOne => ns,
        Rule::AllToAll => ns * nt,
        Rule::Connectome | Rule::File { .. } => 0.0,
    };
    n.min(u32::MAX as f64) as usize
}

/// The index of the population called `name`.
fn find_population(model: &Model, infos: &[PopInfo], name: &Spanned<String>) -> Result<usize> {
    infos
        .iter()
        .position(|i| &i.name == name.get_ref())
        .ok_or_else(|| {
            let known: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
            model.error_at(
                name.span(),
                format!(
                    "unknown population `{}`; known: {}",
                    name.get_ref(),
                    known.join(", ")
                ),
            )
        })
}

/// The populations with their parameters, Poisson drives and `[[set]]` changes, and the step
/// currents: everything a run's random streams (seed `seed`) touch apart from connectivity.
fn make_populations(
    model: &Model,
    infos: &[PopInfo],
    cons: &Connectomes,
    seed: u64,
    h_ms: f64,
) -> Result<Dynamics> {
    let spec = &model.spec;
    // `[scaling]`: Poisson rates and weights, and the current that restores the mean input.
    let scaling = super::scaling::Scaling::of(model)?;
    let full: Vec<u32> = infos.iter().map(|i| i.full_size).collect();
    let dc = super::scaling::compensation(model, &full, &scaling)?;
    let find = |name: &Spanned<String>| find_population(model, infos, name);
    // Stimuli.
    let mut drives: Vec<Vec<Vec<Source>>> = infos
        .iter()
        .map(|i| vec![Vec::new(); i.size as usize])
        .collect();
    let mut lists: Vec<Vec<Listed>> = infos.iter().map(|_| Vec::new()).collect();
    let mut currents = Vec::new();
    // Per population: the currents its stimuli give, checked where its parameters are known.
    let mut bounds: Vec<Vec<CurrentBound>> = infos.iter().map(|_| Vec::new()).collect();
    for st in &spec.stimuli {
        let target = &st.target;
        let p = find(target)?;
        if spec.populations[p].model == ModelKind::SpikeSource {
            return Err(model.error_at(target.span(), "a spike_source takes no stimulus"));
        }
        let missing = |key: &str| {
            model.error_at(
                st.kind.span(),
                format!("this {:?} stimulus needs `{key}`", st.kind.get_ref()),
            )
        };
        let chosen = pick_neurons(model, st.neurons.as_ref(), &infos[p], cons)?;
        match st.kind.get_ref() {
            StimulusKind::Poisson => {
                let rate = st.rate.ok_or_else(|| missing("rate"))?;
                let weight = st.weight.ok_or_else(|| missing("weight"))?;
                let kind = spec.populations[p].model;
                let port = super::learn::stimulus_port(model, st, &infos[p], kind)?;
                if matches!(kind, ModelKind::Burst2c | ModelKind::Adex)
                    && (weight.0 < 0.0 || st.target_var == TargetVar::Vm)
                {
                    return Err(model.error_at(
                        st.kind.span(),
                        "a Poisson stimulus onto burst2c is a conductance input: weight ≥ 0                          (use receptor = \"inhibitory\" for inhibition) and target_var                          \"I_syn\"",
                    ));
                }
                // A rate of 0 adds nothing (a stimulus switched off with --set).
                if rate.0 == 0.0 {
                    continue;
                }
                for &l in &chosen {
                    if lists[p].get(l as usize).is_some_and(|x| x.source.is_some()) {
                        return Err(model.error_at(
                            st.kind.span(),
                            format!(
                                "neuron {l} of `{}` has listed input (spike_times) and a Poisson \
                                 stimulus; give it one",
                                infos[p].name
                            ),
                        ));
                    }
                    drives[p][l as usize].push(Source {
                        rate_hz: rate.0 * scaling.k,
                        weight: weight.0 * scaling.weight(),
                        to_v: st.target_var == TargetVar::Vm,
                        port,
                    });
                }
            }
            StimulusKind::SpikeTimes => {
                let file = st.file.as_ref().ok_or_else(|| missing("file"))?;
                let weight = st.weight.ok_or_else(|| missing("weight"))?;
                if st.neurons.is_some() {
                    return Err(model.error_at(
                        file.span(),
                        "a spike_times stimulus takes its neurons from its file; drop `neurons`",
                    ));
                }
                let info = &infos[p];
                let path = model.resolve(file.get_ref());
                let rows = csv_spikes(&path)?;
                let local = local_of_ids(info, cons);
                let l = &mut lists[p];
                if l.is_empty() {
                    l.resize(info.size as usize, Listed::default());
                }
                let mut times: Vec<Vec<Time>> = vec![Vec::new(); info.size as usize];
                for (row, (id, ms)) in rows.into_iter().enumerate() {
                    let bad = |m: String| Error::Data {
                        path: path.clone(),
                        message: format!("row {}: {m}", row + 1),
                    };
                    let i = local(id).ok_or_else(|| {
                        bad(format!(
                            "neuron {id} is not a neuron of population `{}` ({})",
                            info.name,
                            if info.rows.is_some() {
                                "external ids of its connectome"
                            } else {
                                "indices 0..size"
                            }
                        ))
                    })?;
                    let t = Time::from_ms(ms)
                        .ok_or_else(|| bad(format!("time {ms} ms is negative or not finite")))?;
                    times[i].push(t);
                }
                for (i, ts) in times.into_iter().enumerate() {
                    if ts.is_empty() {
                        continue;
                    }
                    if !drives[p][i].is_empty() || l[i].source.is_some() {
                        return Err(model.error_at(
                            file.span(),
                            format!(
                                "neuron {i} of `{}` has listed input and another Poisson or \
                                 spike_times stimulus; give it one",
                                info.name
                            ),
                        ));
                    }
                    l[i] = Listed::new(ts, weight.0, st.target_var == TargetVar::Vm);
                }
            }
            StimulusKind::SinusoidalCurrent => {
                let amplitude = st.amplitude.ok_or_else(|| missing("amplitude"))?;
                let mean = st.mean.map_or(0.0, |x| x.0);
                for value in [mean + amplitude.0, mean - amplitude.0] {
                    bounds[p].push(CurrentBound {
                        what: format!("sinusoidal_current into `{target}`: mean ± amplitude"),
                        value,
                        span: st.kind.span(),
                    });
                }
                let period = st.period.ok_or_else(|| missing("period"))?;
                let interval = st.interval.map_or(h_ms, |x| x.0);
                let what = "sinusoidal_current interval";
                let interval = at_least_a_step(model, st.kind.span(), what, interval)?;
                let info = &infos[p];
                currents.push(StepCurrent {
                    sine: Some(crate::engine::Sine {
                        mean,
                        amplitude: amplitude.0,
                        period_ms: period.0,
                        phase: st.phase.map_or(0.0, |x| x.0).to_radians(),
                        interval,
                    }),
                    targets: chosen.iter().map(|&l| NeuronId(info.offset + l)).collect(),
                    port: super::learn::current_port(model, st, info, spec.populations[p].model)?,
                    times: vec![clock_time(
                        model,
                        "stimulus.start",
                        st.start.map_or(0.0, |x| x.0),
                    )?],
                    amplitudes: Vec::new(),
                });
            }
            StimulusKind::StepCurrent => {
                let times = st.times.as_ref().ok_or_else(|| missing("times"))?;
                let amplitudes = st
                    .amplitudes
                    .as_ref()
                    .ok_or_else(|| missing("amplitudes"))?;
                if times.get_ref().len() != amplitudes.get_ref().len() || times.get_ref().is_empty()
                {
                    return Err(model.error_at(
                        amplitudes.span(),
                        "step_current needs as many amplitudes as times (at least one)",
                    ));
                }
                let ts: Vec<Time> = times
                    .get_ref()
                    .iter()
                    .map(|x| clock_time(model, "stimulus.times", x.0))
                    .collect::<Result<_>>()?;
                if ts.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(model.error_at(
                        times.span(),
                        "step_current times must be strictly increasing",
                    ));
                }
                bounds[p].extend(amplitudes.get_ref().iter().map(|a| CurrentBound {
                    what: format!("step_current into `{target}`: amplitude"),
                    value: a.0,
                    span: amplitudes.span(),
                }));
                let info = &infos[p];
                let port = super::learn::current_port(model, st, info, spec.populations[p].model)?;
                currents.push(StepCurrent {
                    sine: None,
                    targets: chosen.iter().map(|&l| NeuronId(info.offset + l)).collect(),
                    port,
                    times: ts,
                    amplitudes: amplitudes.get_ref().iter().map(|a| a.0).collect(),
                });
            }
        }
    }

    // Per-neuron settings of [[set]].
    let mut sets: Vec<Vec<(u32, &super::spec::SetSpec)>> = vec![Vec::new(); infos.len()];
    for st in &spec.sets {
        let p = find(&st.population)?;
        for l in pick_neurons(model, st.neurons.as_ref(), &infos[p], cons)? {
            sets[p].push((l, st));
        }
    }

    // Populations with parameters.
    let mut pops: Vec<Box<dyn Population>> = Vec::new();
    for (k, (p, info)) in spec.populations.iter().zip(infos).enumerate() {
        let driven = drives[k].iter().any(|l| !l.is_empty()) || !lists[k].is_empty();
        let drive = driven.then(|| {
            let d = Drive::new(seed, info.offset, &drives[k]);
            if lists[k].is_empty() {
                d
            } else {
                d.with_lists(std::mem::take(&mut lists[k]))
            }
        });
        pops.push(make_population(
            model, p, info, k, seed, h_ms, drive, &sets[k], dc[k], &bounds[k],
        )?);
    }
    Ok((pops, currents))
}

/// The connectome rows of a population made from a connectome file.
fn population_rows(
    model: &Model,
    p: &PopulationSpec,
    cons: &mut Connectomes,
) -> Result<Option<ConnectomeRows>> {
    let Some(file) = &p.connectome else {
        if let Some(sel) = &p.select {
            return Err(model.error_at(
                sel.span(),
                "`select` picks neurons of a `connectome`; this population has none",
            ));
        }
        return Ok(None);
    };
    let k = cons.load(model, file.get_ref())?;
    let n = cons.get(k).connectome.n_neurons();
    let rows = match &p.select {
        Some(sel) => select(
            model,
            sel,
            &Domain {
                name: p.name.get_ref(),
                n,
                source: Some((cons.get(k), None)),
            },
        )?,
        None => (0..n as u32).collect(),
    };
    Ok(Some(ConnectomeRows { file: k, rows }))
}

#[allow(clippy::too_many_arguments)]
fn make_population(
    model: &Model,
    p: &PopulationSpec,
    info: &PopInfo,
    k: usize,
    seed: u64,
    h_ms: f64,
    drive: Option<Drive>,
    sets: &[(u32, &super::spec::SetSpec)],
    dc: f64,
    currents: &[CurrentBound],
) -> Result<Box<dyn Population>> {
    let n = info.size as usize;
    let name = &info.name;
    let at = |msg: String| model.error_at(p.name.span(), format!("population `{name}`: {msg}"));
    if p.model == ModelKind::SpikeSource {
        let mut times = spike_times(model, p, n)?;
        if let Some(rate) = p.rate {
            poisson_trains(model, p, info, seed, rate.0, &mut times)?;
        }
        return Ok(Box::new(SpikeSource::new(times)));
    }
    if p.spike_times.is_some() || p.spike_times_file.is_some() {
        return Err(at(
            "spike_times belong to model = \"spike_source\" populations".into(),
        ));
    }
    if p.rate.is_some() || p.start.is_some() || p.stop.is_some() {
        return Err(at(
            "`rate`, `start` and `stop` belong to model = \"spike_source\" populations (Poisson \
             trains); a stimulus of `type = \"poisson\"` drives neurons"
                .into(),
        ));
    }
    let cell = CellCtx {
        model,
        p,
        info,
        k,
        seed,
        h_ms,
        sets,
    };
    if p.model == ModelKind::Burst2c {
        return burst2c_population(&cell, drive);
    }
    if p.model == ModelKind::Adex {
        return adex_population(&cell, drive);
    }
    if let Some(span) = p
        .cell
        .map(|_| p.name.span())
        .or(p.refractory_clamp.map(|_| p.name.span()))
    {
        return Err(model.error_at(
            span,
            format!(
                "population `{name}`: `cell` and `refractory_clamp` belong to adex populations"
            ),
        ));
    }
    if let Some((key, _)) = burst2c_keys(p).into_iter().find(|k| k.1) {
        let span = match (key, &p.i_dend) {
            ("I_dend", Some(v)) => v.span(),
            _ => p.name.span(),
        };
        return Err(model.error_at(
            span,
            format!("population `{name}`: `{key}` belongs to burst2c populations"),
        ));
    }
    let need = |v: Option<f64>, key: &str| v.ok_or_else(|| at(format!("missing key `{key}`")));
    let lif = LifParams {
        tau_m: need(p.tau_m.map(|x| x.0), "tau_m")?,
        c_m: p.c_m.map(|x| x.0).unwrap_or(250.0),
        e_l: need(p.e_l.map(|x| x.0), "E_L")?,
        v_th: need(p.v_th.map(|x| x.0), "V_th")?,
        v_reset: need(p.v_reset.map(|x| x.0), "V_reset")?,
        t_ref: p.t_ref.map(|x| x.0).unwrap_or(0.0),
        refractory_input: p.refractory_input.unwrap_or(match p.model {
            ModelKind::LifExp => RefractoryInput::Accumulate,
            _ => RefractoryInput::Discard,
        }),
    };
    // Times are integer ticks of 1e-9 ms: a time constant beyond a day would overflow the
    // exact models' epochs (16 τ) and means "no leak" anyway. The exact models move every
    // neuron to a new epoch each 16 τ: a time constant of a few ticks would have them do
    // little else (B4 with τ_m = 1e-6 ms had not simulated 0.1 s after 150 s).
    for (key, tau, shortest) in [
        ("tau_m", Some(lif.tau_m), MIN_TAU_MS),
        ("tau_syn_ex", p.tau_syn_ex.map(|x| x.0), MIN_TAU_MS),
        ("tau_syn_in", p.tau_syn_in.map(|x| x.0), MIN_TAU_MS),
        ("t_ref", Some(lif.t_ref), 0.0),
    ] {
        if let Some(message) = tau.and_then(|tau| tau_out_of_range(key, tau, shortest)) {
            return Err(at(message));
        }
    }
    let r = lif.tau_m / lif.c_m;
    if r.is_nan() || r > MAX_RESISTANCE {
        return Err(at(format!(
            "tau_m / C_m = {r:e} GΩ is beyond {MAX_RESISTANCE:e} GΩ; use a larger C_m"
        )));
    }
    if lif.v_reset >= lif.v_th {
        return Err(at(format!(
            "V_reset ({}) must be below V_th ({})",
            lif.v_reset, lif.v_th
        )));
    }
    let mut rng = stream_rng(seed, streams::PARAMS | ((k as u64) << 8));
    let i_e = match &p.i_e {
        Some(v) => realize(model, v, n, &mut rng, "I_e")?,
        None => vec![0.0; n],
    };
    let mut i_e = i_e;
    let mut v0 = match &p.v_m {
        Some(v) => realize(model, v, n, &mut rng, "V_m")?,
        None => vec![lif.e_l; n],
    };
    let mut t_ref = None;
    for &(l, st) in sets {
        let l = l as usize;
        if let Some(x) = st.i_e {
            i_e[l] = x.0;
        }
        if let Some(x) = st.v_m {
            v0[l] = x.0;
        }
        if let Some(x) = st.t_ref {
            if p.model != ModelKind::LifExp {
                return Err(model.error_at(
                    st.population.span(),
                    format!(
                        "[[set]] t_ref: a per-neuron refractory period needs a lif_exp \
                         population; `{name}` is {:?}",
                        p.model
                    ),
                ));
            }
            if let Some(message) = tau_out_of_range("[[set]] t_ref", x.0, 0.0) {
                return Err(model.error_at(st.population.span(), message));
            }
            t_ref.get_or_insert_with(|| vec![lif.t_ref; n])[l] = x.0;
        }
    }
    if dc != 0.0 {
        i_e.iter_mut().for_each(|x| *x += dc);
    }
    for (key, v) in [
        ("E_L", lif.e_l),
        ("V_th", lif.v_th),
        ("V_reset", lif.v_reset),
    ] {
        if v.abs() > MAX_POTENTIAL_MV {
            return Err(at(format!(
                "{key} = {v:e} mV is beyond ±{MAX_POTENTIAL_MV:e} mV; use a potential within that"
            )));
        }
    }
    if let Some((j, v)) = v0
        .iter()
        .enumerate()
        .find(|(_, v)| v.abs() > MAX_POTENTIAL_MV)
    {
        return Err(at(format!(
            "V_m of neuron {j} = {v:e} mV is beyond ±{MAX_POTENTIAL_MV:e} mV; use a potential \
             within that"
        )));
    }
    for (j, &x) in i_e.iter().enumerate() {
        if let Some(message) = drive_beyond(&lif, x, &format_args!("I_e of neuron {j}")) {
            return Err(at(message));
        }
    }
    for c in currents {
        if let Some(message) = drive_beyond(&lif, c.value, &c.what) {
            return Err(model.error_at(c.span.clone(), message));
        }
    }
    if p.reset_currents && p.model != ModelKind::LifExp {
        return Err(at("reset_currents applies to lif_exp populations".into()));
    }
    match (p.model, p.update) {
        (ModelKind::LifDelta, Update::Exact) => Ok(Box::new(ExactPopulation::new(
            LifDeltaExact::new(lif, v0, i_e),
            drive,
        ))),
        (ModelKind::LifDelta, Update::Grid) => {
            let t_ref_steps = lif.t_ref / h_ms;
            if (t_ref_steps - t_ref_steps.round()).abs() > 1e-9 {
                return Err(at(format!(
                    "t_ref {} ms is not a multiple of the resolution {h_ms} ms (grid update)",
                    lif.t_ref
                )));
            }
            Ok(Box::new(LifDeltaGrid::new(lif, h_ms, v0, i_e, drive)))
        }
        (ModelKind::LifExp, Update::Exact) => {
            let tau_syn_ex = need(p.tau_syn_ex.map(|x| x.0), "tau_syn_ex")?;
            let tau_syn_in = need(p.tau_syn_in.map(|x| x.0), "tau_syn_in")?;
            for (key, ts) in [("tau_syn_ex", tau_syn_ex), ("tau_syn_in", tau_syn_in)] {
                if (ts - lif.tau_m).abs() <= 1e-12 * lif.tau_m {
                    return Err(at(format!(
                        "{key} ({ts} ms) must differ from tau_m: the exact propagator is singular there; use e.g. {}",
                        ts * 1.0001
                    )));
                }
            }
            let params = LifExpParams {
                lif,
                tau_syn_ex,
                tau_syn_in,
                reset_currents: p.reset_currents,
            };
            let mut dynamics = LifExpExact::new(params, v0, i_e);
            if let Some(t) = &t_ref {
                dynamics = dynamics.with_t_ref(t);
            }
            Ok(Box::new(ExactPopulation::new(dynamics, drive)))
        }
        (ModelKind::LifExp, Update::Grid) => {
            let tau_syn_ex = need(p.tau_syn_ex.map(|x| x.0), "tau_syn_ex")?;
            let tau_syn_in = need(p.tau_syn_in.map(|x| x.0), "tau_syn_in")?;
            for (key, ts) in [("tau_syn_ex", tau_syn_ex), ("tau_syn_in", tau_syn_in)] {
                if (ts - lif.tau_m).abs() <= 1e-12 * lif.tau_m {
                    return Err(at(format!(
                        "{key} ({ts} ms) must differ from tau_m: the propagator is singular there"
                    )));
                }
            }
            let steps = |t: f64| t / h_ms;
            let refr = t_ref.clone().unwrap_or_else(|| vec![lif.t_ref; n]);
            if let Some(bad) = refr
                .iter()
                .find(|&&t| (steps(t) - steps(t).round()).abs() > 1e-9)
            {
                return Err(at(format!(
                    "t_ref {bad} ms is not a multiple of the resolution {h_ms} ms (grid update)"
                )));
            }
            let params = LifExpParams {
                lif,
                tau_syn_ex,
                tau_syn_in,
                reset_currents: p.reset_currents,
            };
            let mut pop = LifExpGrid::new(params, h_ms, v0, i_e, drive);
            if let Some(t) = &t_ref {
                pop = pop.with_t_ref(t);
            }
            Ok(Box::new(pop))
        }
        (ModelKind::SpikeSource | ModelKind::Burst2c | ModelKind::Adex, _) => {
            unreachable!("handled above")
        }
    }
}

/// What building one population needs: the model, its spec and place, its index `k`, the
/// seed, the grid step and its `[[set]]` changes.
#[derive(Copy, Clone)]
struct CellCtx<'a> {
    model: &'a Model,
    p: &'a PopulationSpec,
    info: &'a PopInfo,
    k: usize,
    seed: u64,
    h_ms: f64,
    sets: &'a [(u32, &'a super::spec::SetSpec)],
}

impl CellCtx<'_> {
    /// An error about the population.
    fn error(&self, msg: String) -> Error {
        self.model.error_at(
            self.p.name.span(),
            format!("population `{}`: {msg}", self.p.name.get_ref()),
        )
    }

    /// The base of its neurons' own streams (`streams::NEURON` plus the global index).
    fn stream(&self) -> u64 {
        streams::NEURON | self.info.offset as u64
    }
}

/// Per-neuron values of a conductance-based population (`burst2c`, `adex`), from the model
/// file and `[[set]]`: somatic current, dendritic current (`burst2c`), initial somatic
/// potential; `None` where the model's default stays.
struct CellValues {
    i_soma: Option<Vec<f64>>,
    i_dend: Option<Vec<f64>>,
    v0: Option<Vec<f64>>,
}

/// Calls `f(neuron, value)` for every value given (not NaN) in `v`.
fn each_set(v: &Option<Vec<f64>>, mut f: impl FnMut(u32, f64)) {
    for (i, &x) in v.iter().flatten().enumerate() {
        if !x.is_nan() {
            f(i as u32, x);
        }
    }
}

/// Reads [`CellValues`] of population `p` (index `k`), refusing the keys of other models:
/// `takes` names what `kind` takes, for the message.
fn cell_values(c: &CellCtx, kind: &str, takes: &str) -> Result<CellValues> {
    let CellCtx {
        model,
        p,
        info,
        k,
        seed,
        sets,
        ..
    } = *c;
    let name = p.name.get_ref();
    let n = info.size as usize;
    let foreign = [
        ("tau_m", p.tau_m.is_some()),
        ("C_m", p.c_m.is_some()),
        ("E_L", p.e_l.is_some()),
        ("V_th", p.v_th.is_some()),
        ("V_reset", p.v_reset.is_some()),
        ("t_ref", p.t_ref.is_some()),
        ("tau_syn_ex", p.tau_syn_ex.is_some()),
        ("tau_syn_in", p.tau_syn_in.is_some()),
        ("refractory_input", p.refractory_input.is_some()),
        ("reset_currents", p.reset_currents),
        ("cell", p.cell.is_some() && kind != "adex"),
        (
            "refractory_clamp",
            p.refractory_clamp.is_some() && kind != "adex",
        ),
    ];
    let burst2c_only = burst2c_keys(p).map(|(key, given)| (key, given && kind != "burst2c"));
    if let Some((key, _)) = foreign.iter().chain(&burst2c_only).find(|f| f.1) {
        return Err(model.error_at(
            p.name.span(),
            format!(
                "population `{name}`: `{key}` is not a {kind} parameter; {kind} takes the BDSP \
                 spec's parameters ({takes})"
            ),
        ));
    }
    let mut rng = stream_rng(seed, streams::PARAMS | ((k as u64) << 8));
    let mut draw = |v: &Option<Spanned<Value>>, key: &str| -> Result<Option<Vec<f64>>> {
        v.as_ref()
            .map(|v| realize(model, v, n, &mut rng, key))
            .transpose()
    };
    let mut out = CellValues {
        i_soma: draw(&p.i_e, "I_e")?,
        i_dend: draw(&p.i_dend, "I_dend")?,
        v0: draw(&p.v_m, "V_m")?,
    };
    for &(l, st) in sets {
        if st.t_ref.is_some() {
            return Err(model.error_at(
                st.population.span(),
                format!("[[set]] t_ref: `{name}` is {kind}, whose refractory period is the spec's"),
            ));
        }
        for (x, column) in [(st.i_e, &mut out.i_soma), (st.v_m, &mut out.v0)] {
            if let Some(x) = x {
                column.get_or_insert_with(|| vec![f64::NAN; n])[l as usize] = x.0;
            }
        }
    }
    Ok(out)
}

/// The longest time constant or refractory period a LIF population takes (ms).
const MAX_TAU_MS: f64 = 1e8;
/// The shortest membrane or synaptic time constant a LIF population takes (ms).
const MIN_TAU_MS: f64 = 1e-3;

/// The largest magnitude (mV) of a LIF neuron's potentials — `E_L`, `V_th`, `V_reset`, `V_m`,
/// and `V_∞ = E_L + I·τ_m/C_m` under any current it is given: a million volts. The models
/// compute with differences of them, so that far beyond it a 64-bit float no longer resolves
/// a neuron's distance to threshold (driven to V_∞ = −2e91 mV, a B4 neuron fired at the end
/// of every refractory period), and near the float's end inf − inf = NaN stops a neuron from
/// firing, or has it plan a crossing at every tick.
const MAX_POTENTIAL_MV: f64 = 1e9;

/// The largest `τ_m / C_m` (GΩ) a LIF population takes: ten orders of magnitude beyond a
/// neuron's input resistance, and small enough that the largest weight (3.4e38 pA) times it
/// stays far within a 64-bit float.
const MAX_RESISTANCE: f64 = 1e100;

/// A current (pA) a stimulus gives its targets, named (`what`) and placed (`span`) for a
/// message.
struct CurrentBound {
    what: String,
    value: f64,
    span: std::ops::Range<usize>,
}

/// A message if the time constant or period `tau` (ms; `key` names it) lies outside
/// [`shortest`, [`MAX_TAU_MS`]].
fn tau_out_of_range(key: &str, tau: f64, shortest: f64) -> Option<String> {
    if tau > MAX_TAU_MS {
        Some(format!(
            "{key} = {tau} ms is beyond {MAX_TAU_MS:e} ms (about a day); use at most that for a \
             membrane without leak"
        ))
    } else if tau < shortest {
        Some(format!(
            "{key} = {tau} ms is below {shortest:e} ms (1 µs), shorter than any membrane or \
             synapse; use at least that (for synapses without time course, `lif_delta`)"
        ))
    } else {
        None
    }
}

/// A message if the current `i` (pA; `what` names it) puts `V_∞ = E_L + I·τ_m/C_m` of a LIF
/// neuron with parameters `lif` beyond ±[`MAX_POTENTIAL_MV`].
fn drive_beyond(lif: &LifParams, i: f64, what: &dyn std::fmt::Display) -> Option<String> {
    // As the models compute it (`LifDeltaExact::set_current`).
    let v_inf = lif.e_l + lif.tau_m / lif.c_m * i;
    (v_inf.is_nan() || v_inf.abs() > MAX_POTENTIAL_MV).then(|| {
        format!(
            "{what} = {i:e} pA puts V_∞ = E_L + I·tau_m/C_m at {v_inf:e} mV, beyond \
             ±{MAX_POTENTIAL_MV:e} mV; use a smaller current (or a larger C_m)"
        )
    })
}

/// The keys that only `burst2c` populations take, each with whether `p` gives it.
fn burst2c_keys(p: &PopulationSpec) -> [(&'static str, bool); 5] {
    [
        ("I_dend", p.i_dend.is_some()),
        ("variant", p.variant.is_some()),
        ("dendritic_drive", p.dendritic_drive.is_some()),
        ("current_order", p.current_order.is_some()),
        ("precision", p.precision.is_some()),
    ]
}

/// A `burst2c` population: the spec's model A or B, with the model file's currents and
/// initial somatic potentials (default: the spec's Gaussian, −70 ± 5 mV).
fn burst2c_population(c: &CellCtx, drive: Option<Drive>) -> Result<Box<dyn Population>> {
    let (p, h_ms) = (c.p, c.h_ms);
    let values = cell_values(
        c,
        "burst2c",
        "variant, dendritic_drive, current_order, precision, I_e, I_dend, V_m",
    )?;
    let mut params = match p.variant.unwrap_or_default() {
        super::spec::Burst2cVariant::A => Burst2cParams::model_a(),
        super::spec::Burst2cVariant::B => Burst2cParams::model_b(),
    };
    params.dt_ms = h_ms;
    params.dendritic_drive = p.dendritic_drive.unwrap_or_default();
    params.current_order = p.current_order.unwrap_or_default();
    match p.precision.unwrap_or_default() {
        Precision::Double => burst2c_cells::<f64>(c, params, &values, drive),
        Precision::Single => burst2c_cells::<f32>(c, params, &values, drive),
    }
}

/// The neurons of a `burst2c` population in precision `R`, with their currents and initial
/// potentials.
fn burst2c_cells<R: Real>(
    c: &CellCtx,
    params: Burst2cParams,
    values: &CellValues,
    drive: Option<Drive>,
) -> Result<Box<dyn Population>> {
    use crate::neuron::burst2c::{Burst2c, Compartment};
    let mut cells = Burst2c::<R>::with_precision(params, c.info.size, c.seed, c.stream())
        .map_err(|e| c.error(format!("{e} (simulation.resolution is the step dt)")))?;
    each_set(&values.i_soma, |i, x| {
        cells.set_current(i, Compartment::Soma, x)
    });
    each_set(&values.i_dend, |i, x| {
        cells.set_current(i, Compartment::Dendrite, x)
    });
    each_set(&values.v0, |i, x| cells.set_v_s(i, x));
    Ok(Box::new(crate::neuron::burst2c_grid::Burst2cGrid::new(
        cells, c.h_ms, drive,
    )))
}

/// An `adex` population: the spec's PV or SOM interneuron (§4.3), with the model file's
/// currents and initial potentials (default E_L).
fn adex_population(c: &CellCtx, drive: Option<Drive>) -> Result<Box<dyn Population>> {
    let (p, info, h_ms) = (c.p, c.info, c.h_ms);
    use super::spec::{AdexCell, AdexClamp};
    use crate::neuron::adex::{Adex, AdexParams, RefractoryClamp};
    let values = cell_values(c, "adex", "cell, refractory_clamp, I_e, V_m")?;
    let mut params = match p.cell {
        Some(AdexCell::Pv) => AdexParams::pv(),
        Some(AdexCell::Som) => AdexParams::som(),
        None => return Err(c.error("needs `cell = \"pv\"` or `\"som\"`".into())),
    };
    params.dt_ms = h_ms;
    if let Some(c) = p.refractory_clamp {
        params.refractory_clamp = match c {
            AdexClamp::Reset => RefractoryClamp::Reset,
            AdexClamp::Rest => RefractoryClamp::Rest,
        };
    }
    let mut cells = Adex::new(params, info.size, c.seed, c.stream())
        .map_err(|e| c.error(format!("{e} (simulation.resolution is the step dt)")))?;
    each_set(&values.i_soma, |i, x| cells.set_current(i, x));
    each_set(&values.v0, |i, x| cells.set_v(i, x));
    Ok(Box::new(crate::neuron::adex_grid::AdexGrid::new(
        cells, h_ms, drive,
    )))
}

/// Where the Poisson trains of `spike_source` population `p` start and stop (ms): `start`
/// (default 0) and `stop` (default the end of the run).
fn train_bounds(model: &Model, p: &PopulationSpec) -> (f64, f64) {
    let sim = &model.spec.simulation;
    let start = p.start.map_or(0.0, |x| x.0);
    let stop = p.stop.map_or(sim.warmup.0 + sim.duration.0, |x| x.0);
    (start, stop)
}

/// Adds Poisson spike trains at `rate` Hz from `start` to `stop` to a `spike_source`'s lists,
/// each neuron from its own stream (`streams::NEURON` and its global id).
fn poisson_trains(
    model: &Model,
    p: &PopulationSpec,
    info: &PopInfo,
    seed: u64,
    rate: f64,
    times: &mut [Vec<Time>],
) -> Result<()> {
    let (start, stop) = train_bounds(model, p);
    if stop < start {
        return Err(model.error_at(
            p.name.span(),
            format!(
                "spike_source `{}`: stop {stop} ms is before start {start} ms",
                info.name
            ),
        ));
    }
    if rate <= 0.0 {
        return Ok(());
    }
    let per_ms = rate * 1e-3;
    for (i, list) in times.iter_mut().enumerate() {
        let mut rng = stream_rng(seed, streams::NEURON | (info.offset as u64 + i as u64));
        let mut t = start;
        loop {
            // Exponential intervals; 1 − u is in (0, 1].
            t += -(1.0 - rng.random::<f64>()).ln() / per_ms;
            if t >= stop {
                break;
            }
            // Beyond the clock's range, no run reaches.
            let Some(tick) = Time::from_ms(t) else {
                break;
            };
            if list.last() != Some(&tick) {
                list.push(tick);
            }
        }
        list.sort_unstable();
        list.dedup();
    }
    Ok(())
}

fn spike_times(model: &Model, p: &PopulationSpec, n: usize) -> Result<Vec<Vec<Time>>> {
    let mut out: Vec<Vec<Time>> = vec![Vec::new(); n];
    let name = p.name.get_ref();
    if let Some(lists) = &p.spike_times {
        if lists.get_ref().len() != n {
            return Err(model.error_at(
                lists.span(),
                format!(
                    "spike_times has {} lists but population `{name}` has {n} neurons",
                    lists.get_ref().len()
                ),
            ));
        }
        for (i, l) in lists.get_ref().iter().enumerate() {
            for x in l {
                let t = Time::from_ms(x.0).ok_or_else(|| {
                    model.error_at(lists.span(), format!("spike time {} ms is negative", x.0))
                })?;
                out[i].push(t);
            }
        }
    }
    if let Some(file) = &p.spike_times_file {
        let path = model.resolve(file.get_ref());
        let is_h5 = path.extension().is_some_and(|e| e == "h5" || e == "hdf5");
        let rows: Vec<(i64, f64)> = if is_h5 {
            h5_spikes(&path)?
        } else {
            csv_spikes(&path)?
        };
        let bad = |row: usize, m: String| Error::Data {
            path: path.clone(),
            message: format!(
                "spike {row}: {m}; neurons must be indices 0..{n} of population `{name}` and times >= 0 ms"
            ),
        };
        for (row, (i, ms)) in rows.into_iter().enumerate() {
            let i = usize::try_from(i)
                .ok()
                .filter(|&i| i < n)
                .ok_or_else(|| bad(row + 1, format!("neuron {i} is outside the population")))?;
            let t = Time::from_ms(ms)
                .ok_or_else(|| bad(row + 1, format!("time {ms} is negative or not finite")))?;
            out[i].push(t);
        }
    }
    for (i, l) in out.iter_mut().enumerate() {
        l.sort_unstable();
        if let Some(w) = l.windows(2).find(|w| w[0] == w[1]) {
            return Err(model.error_at(p.name.span(), format!("spike_source `{name}` neuron {i} has two spikes at {} ms; a source emits at most one spike per tick", w[0].as_ms())));
        }
    }
    Ok(out)
}

/// `(neuron, time_ms)` rows of a CSV file with a `neuron,time_ms` header (full f64 precision).
fn csv_spikes(path: &std::path::Path) -> Result<Vec<(i64, f64)>> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let bad = |row: usize, m: String| Error::Data {
        path: path.to_owned(),
        message: format!("row {row}: {m}; expected `neuron,time_ms`"),
    };
    let mut out = Vec::new();
    for (row, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (row == 0 && line.starts_with(|c: char| c.is_alphabetic())) {
            continue;
        }
        let (a, b) = line
            .split_once(',')
            .ok_or_else(|| bad(row + 1, "no comma".into()))?;
        let i: i64 = a
            .trim()
            .parse()
            .map_err(|_| bad(row + 1, format!("`{a}` is not a neuron index")))?;
        let ms: f64 = b
            .trim()
            .parse()
            .map_err(|_| bad(row + 1, format!("`{b}` is not a number")))?;
        out.push((i, ms));
    }
    Ok(out)
}

/// `(neuron, time_ms)` from `/spikes/neuron` and `/spikes/time_ms` of an HDF5 file.
fn h5_spikes(path: &std::path::Path) -> Result<Vec<(i64, f64)>> {
    let err = |what: &str, e: hdf5::Error| Error::Hdf5 {
        path: path.to_owned(),
        message: format!("{what}: {e}"),
    };
    let f = crate::h5::open_input(path).map_err(|e| err("cannot open", e))?;
    let n: Vec<i64> = f
        .dataset("spikes/neuron")
        .and_then(|d| d.read_raw())
        .map_err(|e| err("dataset /spikes/neuron (int64)", e))?;
    let t: Vec<f64> = f
        .dataset("spikes/time_ms")
        .and_then(|d| d.read_raw())
        .map_err(|e| err("dataset /spikes/time_ms (float64)", e))?;
    if n.len() != t.len() {
        return Err(Error::Hdf5 {
            path: path.to_owned(),
            message: format!(
                "/spikes/neuron has {} rows but /spikes/time_ms {}; they must be equal",
                n.len(),
                t.len()
            ),
        });
    }
    Ok(n.into_iter().zip(t).collect())
}

/// A parameter realised for `n` elements.
fn realize(
    model: &Model,
    v: &Spanned<Value>,
    n: usize,
    rng: &mut Xoshiro256PlusPlus,
    key: &str,
) -> Result<Vec<f64>> {
    let mut s = Sampler::new(model, v, key)?;
    if let Sampler::List(l) = &s
        && l.len() != n
    {
        return Err(model.error_at(
            v.span(),
            match v.get_ref() {
                Value::Column(c) => format!(
                    "`{key}`: column /neurons/{} of {} has {} rows for {n} neurons; the \
                     population and the connectome must have the same size",
                    c.column,
                    c.file,
                    l.len()
                ),
                _ => format!("`{key}` lists {} values for {n} neurons", l.len()),
            },
        ));
    }
    Ok((0..n).map(|i| s.draw(rng, i)).collect())
}

/// Draws values of a [`Value`].
enum Sampler {
    Const(f64),
    List(Vec<f64>),
    Uniform(f64, f64),
    /// Normal, redrawn outside `[lo, hi]`.
    Normal(NormalDist<f64>, f64, f64),
}

impl Sampler {
    fn new(model: &Model, v: &Spanned<Value>, key: &str) -> Result<Sampler> {
        Ok(match v.get_ref() {
            Value::Scalar(x) => Sampler::Const(x.0),
            Value::List(l) => Sampler::List(l.iter().map(|x| x.0).collect()),
            Value::Dist(Dist::Uniform([a, b])) => {
                if a.0 > b.0 {
                    return Err(model.error_at(
                        v.span(),
                        format!("`{key}`: uniform bounds [{}, {}] are reversed", a.0, b.0),
                    ));
                }
                Sampler::Uniform(a.0, b.0)
            }
            Value::Dist(Dist::Normal(nd)) => {
                let lo = nd.min.map_or(f64::NEG_INFINITY, |x| x.0);
                let hi = nd.max.map_or(f64::INFINITY, |x| x.0);
                // Redrawing is hopeless (or endless) when the bounds keep almost nothing.
                let (m, s) = (nd.mean.0, nd.std.0);
                if lo > hi || lo > m + 4.0 * s || hi < m - 4.0 * s {
                    return Err(model.error_at(
                        v.span(),
                        format!(
                            "`{key}`: normal(mean {m}, std {s}) with bounds [{lo}, {hi}] keeps \
                             (almost) no draws; the bounds must overlap mean ± 4 std"
                        ),
                    ));
                }
                Sampler::Normal(
                    NormalDist::new(m, s)
                        .map_err(|e| model.error_at(v.span(), format!("`{key}`: {e}")))?,
                    lo,
                    hi,
                )
            }
            Value::Column(c) => {
                let path = model.resolve(&c.file);
                let col = crate::connectome::file::read_column(&path, &c.column)?;
                let x = col.numbers().ok_or_else(|| {
                    model.error_at(
                        v.span(),
                        format!(
                            "`{key}`: /neurons/{} of {} holds text; a parameter needs numbers",
                            c.column,
                            path.display()
                        ),
                    )
                })?;
                if let Some(row) = x.iter().position(|y| !y.is_finite()) {
                    return Err(model.error_at(
                        v.span(),
                        format!(
                            "`{key}`: /neurons/{} of {} row {row} is {}; values must be finite",
                            c.column,
                            path.display(),
                            x[row]
                        ),
                    ));
                }
                Sampler::List(x)
            }
        })
    }
    #[inline]
    fn draw(&mut self, rng: &mut Xoshiro256PlusPlus, i: usize) -> f64 {
        match self {
            Sampler::Const(x) => *x,
            Sampler::List(l) => l[i],
            Sampler::Uniform(a, b) => *a + (*b - *a) * rng.random::<f64>(),
            Sampler::Normal(d, lo, hi) => loop {
                let x = d.sample(rng);
                if x >= *lo && x <= *hi {
                    break x;
                }
            },
        }
    }
    fn is_const(&self) -> Option<f64> {
        match self {
            Sampler::Const(x) => Some(*x),
            _ => None,
        }
    }
}

/// The `weight` and `delay` of a projection made by a rule (not by a connectome) and their
/// samplers, or the error that names what is missing or wrong.
fn weight_and_delay<'a>(
    model: &Model,
    proj: &'a super::spec::ProjectionSpec,
    src: &PopInfo,
    tgt: &PopInfo,
) -> Result<(&'a Spanned<Value>, &'a Spanned<Value>, Sampler, Sampler)> {
    let missing = |what: &str| {
        model.error_at(
            proj.rule.span(),
            format!("projection {} → {} needs a {what}", src.name, tgt.name),
        )
    };
    let weight_v = proj.weight.as_ref().ok_or_else(|| missing("`weight`"))?;
    let delay_v = proj.delay.as_ref().ok_or_else(|| missing("`delay` (ms)"))?;
    let wsamp = Sampler::new(model, weight_v, "weight")?;
    let dsamp = Sampler::new(model, delay_v, "delay")?;
    for (v, sampler, what) in [(weight_v, &wsamp, "weight"), (delay_v, &dsamp, "delay")] {
        if let Sampler::List(_) = sampler {
            return Err(model.error_at(
                v.span(),
                format!(
                    "{what} lists are not supported; use a number, a distribution or rule.file"
                ),
            ));
        }
    }
    Ok((weight_v, delay_v, wsamp, dsamp))
}

#[allow(clippy::too_many_arguments)]
fn connect(
    model: &Model,
    k: usize,
    proj: &super::spec::ProjectionSpec,
    src: &PopInfo,
    tgt: &PopInfo,
    same: bool,
    grid_target: bool,
    h: Time,
    seed: u64,
    scaling: &super::scaling::Scaling,
    syn: &mut SynapseColumns,
) -> Result<()> {
    let (ns, nt) = (src.size as usize, tgt.size as usize);
    let w_factor = scaling.weight();
    let rule_span = proj.rule.span();
    let (weight_v, delay_v, mut wsamp, mut dsamp) = weight_and_delay(model, proj, src, tgt)?;
    let min_delay = if grid_target { h } else { Time::TICK };
    let delay_err = |d: f64| {
        model.error_at(
            delay_v.span(),
            if grid_target {
                format!(
                    "delay {d} ms: a grid target needs a delay >= the resolution {} ms",
                    h.as_ms()
                )
            } else {
                format!("delay {d} ms is below the 1e-9 ms tick; delays must be > 0")
            },
        )
    };
    let to_ticks = |d: f64| -> Result<Time> {
        let t = Time::from_ms(d).ok_or_else(|| delay_err(d))?;
        let t = if grid_target {
            Time((t.0 + h.0 / 2) / h.0 * h.0)
        } else {
            t
        };
        if t < min_delay {
            Err(delay_err(d))
        } else {
            Ok(t)
        }
    };
    let const_delay = match dsamp.is_const() {
        Some(d) => {
            if grid_target {
                let steps = d / h.as_ms();
                if (steps - steps.round()).abs() > 1e-9 {
                    return Err(model.error_at(delay_v.span(), format!("delay {d} ms is not a multiple of the resolution {} ms (grid target `{}`)", h.as_ms(), tgt.name)));
                }
            }
            Some(to_ticks(d)?)
        }
        None => None,
    };
    let w_span = weight_v.span();
    let mut add = |rng: &mut Xoshiro256PlusPlus,
                   s: usize,
                   t: usize,
                   syn: &mut SynapseColumns|
     -> Result<()> {
        let w = wsamp.draw(rng, 0) * w_factor;
        // Stored as f32: beyond ±3.4e38 a weight would be infinite, and a neuron it reached
        // would hold an infinite (then NaN) potential.
        if !(w as f32).is_finite() {
            return Err(model.error_at(w_span.clone(), format!("weight is {w:e}; {WEIGHT_RANGE}")));
        }
        let d = match const_delay {
            Some(d) => d,
            None => to_ticks(dsamp.draw(rng, 0))?,
        };
        syn.push(src.offset + s as u32, tgt.offset + t as u32, w as f32, d);
        Ok(())
    };
    let stream = |unit: u64| stream_rng(seed, streams::CONNECT | ((k as u64) << 32) | unit);
    let autapse_ok = |s: usize, t: usize| !same || proj.allow_autapses || s != t;
    match proj.rule.get_ref() {
        Rule::PairwiseBernoulli { p } => {
            let p = p.0;
            if p > 0.0 {
                // ln(1 − p) by `ln_1p`: for p below about 1e-16, 1 − p rounds to 1 and its
                // `ln` to 0, which made every skip −∞ and the targets wrap around.
                let log_q = (-p).ln_1p();
                for s in 0..ns {
                    let mut rng = stream(s as u64);
                    let mut t: i64 = -1;
                    loop {
                        // Geometric skip: the gap to the next connected target.
                        let skip = if p >= 1.0 {
                            0.0
                        } else {
                            (rng.random::<f64>().max(f64::MIN_POSITIVE).ln() / log_q).floor()
                        };
                        t += 1 + skip.min(nt as f64) as i64;
                        if t >= nt as i64 {
                            break;
                        }
                        if autapse_ok(s, t as usize) {
                            add(&mut rng, s, t as usize, syn)?;
                        }
                    }
                }
            }
        }
        Rule::FixedIndegree { indegree } => {
            let kd = scaling.degree(*indegree) as usize;
            let pool = if same && !proj.allow_autapses {
                ns - 1
            } else {
                ns
            };
            if !proj.allow_multapses && kd > pool {
                return Err(model.error_at(
                    rule_span,
                    format!("indegree {kd} exceeds the {pool} possible sources without multapses"),
                ));
            }
            if kd > 0 && pool == 0 {
                return Err(model.error_at(rule_span, "no possible source for fixed_indegree"));
            }
            let mut chosen = Vec::with_capacity(kd);
            for t in 0..nt {
                let mut rng = stream(t as u64);
                chosen.clear();
                while chosen.len() < kd {
                    let s = rng.random_range(0..ns);
                    if !autapse_ok(s, t) || (!proj.allow_multapses && chosen.contains(&s)) {
                        continue;
                    }
                    chosen.push(s);
                    add(&mut rng, s, t, syn)?;
                }
            }
        }
        Rule::FixedOutdegree { outdegree } => {
            let kd = scaling.degree(*outdegree) as usize;
            let pool = if same && !proj.allow_autapses {
                nt - 1
            } else {
                nt
            };
            if (!proj.allow_multapses && kd > pool) || (kd > 0 && pool == 0) {
                return Err(model.error_at(
                    rule_span,
                    format!("outdegree {kd} exceeds the {pool} possible targets"),
                ));
            }
            let mut chosen = Vec::with_capacity(kd);
            for s in 0..ns {
                let mut rng = stream(s as u64);
                chosen.clear();
                while chosen.len() < kd {
                    let t = rng.random_range(0..nt);
                    if !autapse_ok(s, t) || (!proj.allow_multapses && chosen.contains(&t)) {
                        continue;
                    }
                    chosen.push(t);
                    add(&mut rng, s, t, syn)?;
                }
            }
        }
        Rule::FixedTotalNumber { n, p } => {
            let full = super::scaling::full_total(
                model,
                proj,
                *n,
                p.map(|x| x.0),
                src.full_size,
                tgt.full_size,
            )?;
            let n = &scaling.total(full, &tgt.name);
            if *n > 0 && same && !proj.allow_autapses && ns == 1 {
                return Err(model.error_at(rule_span, "no possible pair for fixed_total_number"));
            }
            if !proj.allow_multapses {
                return Err(model.error_at(rule_span, "fixed_total_number without multapses is not supported; set allow_multapses = true"));
            }
            let mut rng = stream(u32::MAX as u64);
            let mut made = 0u64;
            while made < *n {
                let (s, t) = (rng.random_range(0..ns), rng.random_range(0..nt));
                if autapse_ok(s, t) {
                    add(&mut rng, s, t, syn)?;
                    made += 1;
                }
            }
        }
        Rule::OneToOne => {
            if ns != nt {
                return Err(model.error_at(
                    rule_span,
                    format!(
                        "one_to_one needs equal sizes ({} has {ns}, {} has {nt})",
                        src.name, tgt.name
                    ),
                ));
            }
            let mut rng = stream(0);
            for i in 0..ns {
                add(&mut rng, i, i, syn)?;
            }
        }
        Rule::AllToAll => {
            for s in 0..ns {
                let mut rng = stream(s as u64);
                for t in 0..nt {
                    if autapse_ok(s, t) {
                        add(&mut rng, s, t, syn)?;
                    }
                }
            }
        }
        Rule::Connectome => unreachable!("wired by wire::connect_connectome"),
        Rule::File { path } => {
            let path = model.resolve(path);
            let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
            let bad = |row: usize, m: String| Error::Data {
                path: path.clone(),
                message: format!(
                    "row {row}: {m}; expected `source,target[,weight][,delay]` with source in 0..{ns}, target in 0..{nt}"
                ),
            };
            let mut rng = stream(0);
            let mut cols: Option<Vec<String>> = None;
            for (row, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                if cols.is_none() {
                    let c: Vec<String> = line.split(',').map(|x| x.trim().to_lowercase()).collect();
                    if c.first().map(String::as_str) != Some("source")
                        || c.get(1).map(String::as_str) != Some("target")
                    {
                        return Err(bad(
                            row + 1,
                            "the header must start with `source,target`".into(),
                        ));
                    }
                    cols = Some(c);
                    continue;
                }
                let c = cols.as_ref().expect("header read");
                let f: Vec<&str> = line.split(',').map(str::trim).collect();
                if f.len() != c.len() {
                    return Err(bad(
                        row + 1,
                        format!("{} fields, header has {}", f.len(), c.len()),
                    ));
                }
                let s: usize = f[0]
                    .parse()
                    .map_err(|_| bad(row + 1, format!("source `{}` is not an index", f[0])))?;
                let t: usize = f[1]
                    .parse()
                    .map_err(|_| bad(row + 1, format!("target `{}` is not an index", f[1])))?;
                if s >= ns || t >= nt {
                    return Err(bad(row + 1, format!("pair ({s}, {t}) is out of range")));
                }
                let mut w = wsamp.draw(&mut rng, 0);
                let mut d = match const_delay {
                    Some(d) => d,
                    None => to_ticks(dsamp.draw(&mut rng, 0))?,
                };
                for (name, val) in c.iter().zip(&f).skip(2) {
                    let x: f64 = val
                        .parse()
                        .map_err(|_| bad(row + 1, format!("{name} `{val}` is not a number")))?;
                    match name.as_str() {
                        "weight" if (x as f32).is_finite() => w = x,
                        "weight" => return Err(bad(row + 1, format!("weight {x:e}: {WEIGHT_RANGE}"))),
                        "delay" => d = to_ticks(x).map_err(|_| bad(row + 1, format!("delay {x} ms is not a valid delay (> 0, >= the resolution for grid targets)")))?,
                        other => return Err(bad(row + 1, format!("unknown column `{other}`"))),
                    }
                }
                if !(w as f32).is_finite() {
                    return Err(bad(row + 1, format!("weight {w:e}: {WEIGHT_RANGE}")));
                }
                syn.push(src.offset + s as u32, tgt.offset + t as u32, w as f32, d);
            }
        }
    }
    Ok(())
}

//! The model file (TOML): plain data parsed with every key checked.
//!
//! Unknown keys, wrong types and impossible values (negative time constants, NaN weights, …)
//! are rejected while parsing, so the TOML parser reports the line and column. Checks that
//! involve several keys (a delay below the resolution, an unknown population name) are made in
//! [`super::build`] with the spans kept here.

use serde::Deserialize;
use toml::Spanned;

/// A whole model file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Run settings.
    pub simulation: Simulation,
    /// Neuron populations, in order.
    #[serde(default, rename = "population")]
    pub populations: Vec<PopulationSpec>,
    /// Connections between populations.
    #[serde(default, rename = "projection")]
    pub projections: Vec<ProjectionSpec>,
    /// Inputs.
    #[serde(default, rename = "stimulus")]
    pub stimuli: Vec<StimulusSpec>,
    /// Per-neuron parameter changes for selected neurons.
    #[serde(default, rename = "set")]
    pub sets: Vec<SetSpec>,
    /// Neurons whose outgoing synapses are removed.
    #[serde(default, rename = "silence")]
    pub silence: Vec<SilenceSpec>,
    /// What to record.
    #[serde(default)]
    pub record: RecordSpec,
    /// Down-scaling of population sizes and in-degrees (Potjans & Diesmann's `N_scaling`,
    /// `K_scaling`).
    pub scaling: Option<Spanned<ScalingSpec>>,
    /// The areas a model was expanded from ([`super::areas`]); empty for a plain model.
    #[serde(default, rename = "area")]
    pub areas: Vec<AreaInfo>,
}

/// What is left of an `[[area]]` once its populations are made: for outputs and reports.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaInfo {
    /// The area's name (its populations are `NAME.POPULATION`).
    pub name: String,
    /// The template it was made from.
    pub template: String,
    /// Its place in the hierarchy, if given.
    pub level: Option<i64>,
    /// Its populations' full names, in order.
    pub populations: Vec<String>,
}

/// `[scaling]`: a network built at a fraction of its size, as the Potjans–Diesmann
/// microcircuit is scaled in NEST's example (van Albada et al. 2015, PLoS Comput Biol
/// 11:e1004490).
///
/// Counts are rounded half to even, as `numpy.round` in NEST's example. With `N`, every
/// population with a `size` has `round(N·size)` neurons (except those listed in `unscaled`).
/// With `K`, in-degrees shrink: `fixed_indegree` and `fixed_outdegree` by `K`,
/// `fixed_total_number` by `N·K` (by `K` onto an unscaled population), Poisson stimulus rates
/// by `K`; weights of projections and Poisson stimuli grow by `1/√K`, and each neuron receives
/// the constant current `(1 − √K)·Σ w·τ_syn·K_in·ν` (pA; `C_m·w` in place of `w·τ_syn` for
/// `lif_delta`) that keeps its mean input at the full-scale value, summed over its projections
/// (full-scale weight `w`, in-degree `K_in` and source rate ν from `reference_rates`) and
/// Poisson stimuli.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingSpec {
    /// Factor of population sizes (default 1).
    #[serde(rename = "N", default = "unit")]
    pub n: Positive,
    /// Factor of in-degrees (default 1).
    #[serde(rename = "K", default = "unit")]
    pub k: Positive,
    /// Full-scale mean rate (Hz) of every population that projects onto a population whose
    /// in-degrees are scaled (needed when `K` ≠ 1).
    #[serde(default)]
    pub reference_rates: std::collections::BTreeMap<String, NonNegative>,
    /// Populations whose size is kept (e.g. a thalamic input of fixed size).
    #[serde(default)]
    pub unscaled: Vec<String>,
}

fn unit() -> Positive {
    Positive(1.0)
}

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Recorded duration (ms), after the warm-up.
    pub duration: Positive,
    /// Simulated before recording starts (ms).
    #[serde(default)]
    pub warmup: NonNegative,
    /// Seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Step of grid populations and default sampling interval (ms).
    #[serde(default = "default_resolution")]
    pub resolution: Spanned<Positive>,
    /// Scheduler implementation: "calendar" (default) or "heap".
    #[serde(default)]
    pub scheduler: crate::engine::queue::SchedulerKind,
    /// Shards, one thread each (alias `shards`; default: the number of cores). Results do not
    /// depend on it; `--threads` overrides it.
    #[serde(default, alias = "shards")]
    pub threads: Option<Spanned<usize>>,
    /// Independent trials (default 1): the same network, trial `k` with the random streams of
    /// seed `trial_seed(seed, k)`; per-neuron mean and standard deviation of the rates across
    /// trials are written to the output.
    #[serde(default = "one")]
    pub trials: Spanned<u32>,
    /// How spikes are classified into events and bursts (for event- or burst-transmitting
    /// synapses and burst-dependent plasticity). Default: trace mode, θ_b = 16 ms.
    pub burst_detection: Option<BurstDetection>,
}

/// `simulation.burst_detection = { mode = "trace", theta_b = 16.0 }`.
#[derive(Copy, Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstDetection {
    /// "trace" (Auryn's detector, default) or "isi" (the interval to the previous spike).
    #[serde(default)]
    pub mode: DetectorMode,
    /// θ_b in ms (default 16).
    #[serde(default = "theta_b")]
    pub theta_b: Positive,
}

fn theta_b() -> Positive {
    Positive(crate::plasticity::THETA_B_MS)
}

/// Burst detector modes.
#[derive(Copy, Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DetectorMode {
    /// A trace with τ = θ_b against e⁻¹ (Auryn).
    #[default]
    Trace,
    /// The interval to the previous spike against θ_b.
    Isi,
}

fn one() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

fn default_seed() -> u64 {
    12345
}
fn default_resolution() -> Spanned<Positive> {
    Spanned::new(0..0, Positive(0.1))
}

/// Neuron models.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// LIF with voltage jumps.
    LifDelta,
    /// LIF with exponential currents.
    LifExp,
    /// Spike-list source.
    SpikeSource,
    /// The two-compartment bursting pyramidal neuron of BDSP (Payeur et al. 2021), on the
    /// grid: `variant = "a"` (stochastic bursts, the XOR network) or `"b"` (active dendrite).
    Burst2c,
    /// The adaptive-exponential interneurons of the BDSP networks, on the grid: `cell = "pv"`
    /// or `"som"` (conductance synapses, `receptor` on projections).
    Adex,
}

/// The interneurons of `adex`.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdexCell {
    /// Fast-spiking, no adaptation (spec §4.3).
    Pv,
    /// Adapting (a = 0.5 nS, b = 10 pA, τ_w = 500 ms).
    Som,
}

/// Where an `adex` neuron's V is held while refractory.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdexClamp {
    /// At V_reset.
    Reset,
    /// At E_L.
    Rest,
}

/// The two models of `burst2c`.
#[derive(Copy, Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Burst2cVariant {
    /// Model A: a somatic spike becomes a two-spike burst with probability σ(V_d).
    #[default]
    #[serde(rename = "a", alias = "A")]
    A,
    /// Model B: bursts from an active dendrite coupled to the soma.
    #[serde(rename = "b", alias = "B")]
    B,
}

/// How a population is advanced.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Update {
    /// Event-driven, exact (default).
    #[default]
    Exact,
    /// Fixed step `simulation.resolution`, NEST/Brian2 style.
    Grid,
}

/// `[[population]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: Spanned<String>,
    /// Number of neurons (> 0). Not needed with `connectome`.
    pub size: Option<Spanned<u32>>,
    /// The neurons of a connectome file (path relative to the model file): one neuron per row
    /// of `/neurons/id`, or per row that `select` picks.
    pub connectome: Option<Spanned<String>>,
    /// With `connectome`: the neurons to take (default all).
    pub select: Option<Spanned<Selection>>,
    /// The neuron model.
    pub model: ModelKind,
    /// Exact or grid.
    #[serde(default)]
    pub update: Update,
    /// Input during refractoriness: "discard" or "accumulate" (default per model).
    pub refractory_input: Option<crate::neuron::RefractoryInput>,
    /// `lif_exp`: set the synaptic currents to zero at a spike (Brian2 models that reset
    /// `g`, e.g. Shiu et al. 2024). Default false (NEST).
    #[serde(default)]
    pub reset_currents: bool,
    /// Membrane time constant (ms).
    pub tau_m: Option<Positive>,
    /// Capacitance (pF).
    #[serde(rename = "C_m")]
    pub c_m: Option<Positive>,
    /// Resting potential (mV).
    #[serde(rename = "E_L")]
    pub e_l: Option<Finite>,
    /// Threshold (mV).
    #[serde(rename = "V_th")]
    pub v_th: Option<Finite>,
    /// Reset (mV).
    #[serde(rename = "V_reset")]
    pub v_reset: Option<Finite>,
    /// Refractory period (ms).
    pub t_ref: Option<NonNegative>,
    /// Excitatory synaptic time constant (ms), `lif_exp`.
    pub tau_syn_ex: Option<Positive>,
    /// Inhibitory synaptic time constant (ms), `lif_exp`.
    pub tau_syn_in: Option<Positive>,
    /// Constant current (pA): a number, a list (one per neuron) or a distribution.
    #[serde(rename = "I_e")]
    pub i_e: Option<Spanned<Value>>,
    /// Initial membrane potential (mV): number, list or distribution. Default E_L.
    #[serde(rename = "V_m")]
    pub v_m: Option<Spanned<Value>>,
    /// Spike times (ms) of a `spike_source`: one list per neuron.
    pub spike_times: Option<Spanned<Vec<Vec<Finite>>>>,
    /// `burst2c`: model A (default) or B.
    pub variant: Option<Burst2cVariant>,
    /// `adex`: the cell type, "pv" or "som".
    pub cell: Option<AdexCell>,
    /// `adex`: where V is held while refractory, "reset" (V_reset, default) or "rest" (E_L,
    /// the reference simulator).
    pub refractory_clamp: Option<AdexClamp>,
    /// `burst2c`: the potential in the driving force of dendritic synapses, "soma" (the
    /// reference code, default) or "dendrite".
    pub dendritic_drive: Option<crate::neuron::burst2c::DendriticDrive>,
    /// `burst2c`: where injected currents enter a step, "after_threshold" (the reference
    /// code, default) or "in_update" (plain Euler).
    pub current_order: Option<crate::neuron::burst2c::CurrentOrder>,
    /// `burst2c`: the precision of the neurons' state and step, "double" (default) or
    /// "single" (the reference code's; about twice as fast, `neuron::real`).
    pub precision: Option<crate::neuron::real::Precision>,
    /// `burst2c`: constant dendritic current (pA): number, list or distribution.
    #[serde(rename = "I_dend")]
    pub i_dend: Option<Spanned<Value>>,
    /// `spike_source`: Poisson spike trains at this rate (Hz) per neuron, from `start` to
    /// `stop` (ms; NEST `poisson_generator` into `parrot_neuron`s), drawn when the network is
    /// built.
    pub rate: Option<NonNegative>,
    /// `spike_source` with `rate`: first time (ms, default 0).
    pub start: Option<NonNegative>,
    /// `spike_source` with `rate`: end (ms, default the end of the run).
    pub stop: Option<NonNegative>,
    /// Spike times of a `spike_source` from a file (relative to the model file): CSV rows
    /// `neuron,time_ms`, or an HDF5 file with `/spikes/neuron` and `/spikes/time_ms` (a hebb
    /// output file replays a recorded run; neuron ids must be indices into the population).
    pub spike_times_file: Option<Spanned<String>>,
}

/// A parameter value: a number, one number per neuron, or a distribution.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a finite number (NaN and inf are not allowed), a list of finite numbers (one per neuron), a distribution such as { uniform = [-60.0, -50.0] } or { normal = { mean = 0.0, std = 1.0 } }, or a connectome column { file = \"x.h5\", column = \"name\" }"
)]
pub enum Value {
    /// The same value everywhere.
    Scalar(Finite),
    /// One value per element.
    List(Vec<Finite>),
    /// Drawn independently per element.
    Dist(Dist),
    /// One value per neuron from an annotation column of a connectome file.
    Column(ColumnRef),
}

/// `{ file = "connectomes/x.h5", column = "I_e" }`: the numeric column `/neurons/<column>` of a
/// connectome file (path relative to the model file), one value per neuron of the population.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRef {
    /// The connectome file (HDF5).
    pub file: String,
    /// The column name under `/neurons/`.
    pub column: String,
}

/// A set of neurons of one population. Keys combine by intersection:
///
/// ```toml
/// neurons = { ids = [720575940624963786, 720575940630233916] }   # external ids
/// neurons = { file = "sugar_grn.txt" }                              # one external id per line
/// neurons = { indices = [0, 5, 9] }                                 # positions in the population
/// neurons = { where = { cell_type = "KC" } }                        # annotation equals
/// neurons = { where = { super_class = ["sensory", "ascending"] } }  # any of
/// ```
/// External ids and annotations belong to populations made from a connectome; a population
/// without one has ids `0..size` and no annotations.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// External neuron ids.
    pub ids: Option<Vec<i64>>,
    /// A text file (relative to the model file) of external ids, one per line; `#` starts a
    /// comment; a header line that is not a number is skipped.
    pub file: Option<String>,
    /// Indices within the population.
    pub indices: Option<Vec<u32>>,
    /// Annotation column → accepted label(s).
    #[serde(rename = "where")]
    pub where_: Option<std::collections::BTreeMap<String, OneOrMany>>,
}

/// One label or a list of labels.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "a label (string or number) or a list of labels")]
pub enum OneOrMany {
    /// One label.
    One(Label),
    /// Any of these labels.
    Many(Vec<Label>),
}

/// An annotation label written as a string or a number.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Label {
    /// Text.
    Text(String),
    /// An integer code or number.
    Int(i64),
    /// A number.
    Float(f64),
}

impl Label {
    /// The label as text, as [`crate::connectome::Column::label`] prints it.
    pub fn text(&self) -> String {
        match self {
            Label::Text(s) => s.clone(),
            Label::Int(i) => i.to_string(),
            Label::Float(x) => x.to_string(),
        }
    }
}

impl OneOrMany {
    /// The accepted labels.
    pub fn labels(&self) -> Vec<String> {
        match self {
            OneOrMany::One(l) => vec![l.text()],
            OneOrMany::Many(l) => l.iter().map(Label::text).collect(),
        }
    }
}

/// Distributions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Dist {
    /// Uniform on `[lo, hi)`.
    Uniform([Finite; 2]),
    /// Normal with mean and standard deviation.
    Normal(Normal),
}

/// Parameters of a normal distribution, optionally bounded: a draw outside `[min, max]` is
/// redrawn (NEST `nest.math.redraw`), e.g. `min = 0.0` keeps excitatory weights positive.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normal {
    /// Mean.
    pub mean: Finite,
    /// Standard deviation (≥ 0).
    pub std: NonNegative,
    /// Smallest value kept.
    pub min: Option<Finite>,
    /// Largest value kept.
    pub max: Option<Finite>,
}

/// `[[projection]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// Source population.
    pub source: Spanned<String>,
    /// Target population.
    pub target: Spanned<String>,
    /// Connection rule.
    pub rule: Spanned<Rule>,
    /// Allow a neuron to connect to itself (same population only). Default false.
    #[serde(default)]
    pub allow_autapses: bool,
    /// Allow several synapses per pair (fixed in/out-degree, fixed total). Default true.
    #[serde(default = "yes")]
    pub allow_multapses: bool,
    /// Synaptic weight: mV (`lif_delta`) or pA (`lif_exp`); number or distribution.
    pub weight: Option<Spanned<Value>>,
    /// Delay (ms): number or distribution; rounded to the tick (grid targets: to the step).
    /// With `rule = "connectome"`: absent = the file's `/synapses/delay`.
    pub delay: Option<Spanned<Value>>,
    /// `rule = "connectome"`: sign of a connection's weight per transmitter label (e.g.
    /// `{ gaba = -1.0, glutamate = -1.0, histamine = -1.0 }`); transmitters not listed have
    /// sign +1. Default: the fly table, GABA, glutamate and histamine inhibitory.
    pub signs: Option<Spanned<std::collections::BTreeMap<String, Finite>>>,
    /// `rule = "connectome"`: whose transmitter gives the sign, "connection" (the file's
    /// `/synapses/nt`) or "presynaptic" (the presynaptic neuron's `/neurons/nt`). Default:
    /// "connection" when the file has one per connection, else "presynaptic".
    pub transmitter: Option<TransmitterOf>,
    /// `burst2c` targets: the compartment, "soma" (default) or "dendrite".
    pub compartment: Option<Spanned<crate::neuron::burst2c::Compartment>>,
    /// `burst2c` targets: the receptor, "excitatory"/"AMPA" (default) or
    /// "inhibitory"/"GABA"; weights are conductances ≥ 0.
    pub receptor: Option<Spanned<crate::neuron::burst2c::Receptor>>,
    /// Which presynaptic spikes are transmitted: "all" (default), "events" or "bursts".
    pub transmit: Option<crate::engine::plastic::Transmit>,
    /// A learning rule for the projection's weights.
    pub plasticity: Option<Spanned<PlasticitySpec>>,
    /// Short-term plasticity (extended Tsodyks–Markram): each transmitted spike delivers
    /// `weight × u·x` of its source's resources x and utilisation u.
    pub stp: Option<Spanned<StpSpec>>,
    /// A name for output and run-time control (default `source->target`).
    pub name: Option<Spanned<String>>,
}

/// `stp = { U = 0.9, tau_d = 20.0, tau_f = 1000.0, f = 0.1 }` (the depressing synapse of the
/// BDSP networks; the facilitating one is U 0.02, τ_D = τ_F = 100 ms, f 0.1).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StpSpec {
    /// Baseline utilisation U, in (0, 1].
    #[serde(rename = "U")]
    pub u: Finite,
    /// Recovery time constant of the resources (ms).
    pub tau_d: Positive,
    /// Relaxation time constant of the utilisation (ms).
    pub tau_f: Positive,
    /// Facilitation increment f in [0, 1]: u ← u + f·(1 − u) per spike.
    pub f: Finite,
}

/// `plasticity = { rule = "bdsp", eta = 8e-3, ... }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PlasticitySpec {
    /// Burst-dependent synaptic plasticity (`specs/bdsp.md` §3).
    Bdsp(BdspSpec),
    /// Pair-based STDP with all-to-all traces.
    Stdp(StdpSpec),
}

/// Parameters of `rule = "stdp"`: Δw+ = λ·x_pre at a postsynaptic spike, Δw− = −λ·α·y_post
/// at a presynaptic one (additive), or scaled by the distance to the bound (multiplicative).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpSpec {
    /// Learning rate λ.
    pub lambda: NonNegative,
    /// Depression to potentiation ratio α (default 1).
    #[serde(default = "one_f")]
    pub alpha: NonNegative,
    /// τ+ (ms) of the presynaptic trace (default 20).
    #[serde(default = "twenty")]
    pub tau_plus: Positive,
    /// τ− (ms) of the postsynaptic trace (default 20).
    #[serde(default = "twenty")]
    pub tau_minus: Positive,
    /// Lower weight bound (default 0).
    #[serde(default)]
    pub w_min: Finite,
    /// Upper weight bound (default 1).
    #[serde(default = "w_max")]
    pub w_max: Finite,
    /// "additive" (default) or "multiplicative".
    #[serde(default)]
    pub mode: StdpModeSpec,
    /// Weights change from the start (default true).
    #[serde(default = "yes")]
    pub on: bool,
}

fn one_f() -> NonNegative {
    NonNegative(1.0)
}
fn twenty() -> Positive {
    Positive(20.0)
}

/// STDP weight dependence.
#[derive(Copy, Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StdpModeSpec {
    /// Changes independent of the weight.
    #[default]
    Additive,
    /// Potentiation ∝ (w_max − w), depression ∝ (w − w_min).
    Multiplicative,
}

/// Parameters of `rule = "bdsp"`; the defaults are the XOR network's (spec §3.4), without the
/// homeostatic terms unless `e_max` / `e_min` are given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BdspSpec {
    /// Learning rate η.
    pub eta: NonNegative,
    /// τ_pre (ms) of the presynaptic eligibility trace (default 100).
    #[serde(default = "tau_pre")]
    pub tau_pre: Positive,
    /// τ_avg (ms) of the event and burst averages Ē, B̄ (default 2000).
    #[serde(default = "tau_avg")]
    pub tau_avg: Positive,
    /// Lower weight bound (default 0).
    #[serde(default)]
    pub w_min: Finite,
    /// Upper weight bound (default 1).
    #[serde(default = "w_max")]
    pub w_max: Finite,
    /// The max-rate term's e_max (Hz); absent = off.
    pub e_max: Option<Positive>,
    /// The min-rate term's e_min (Hz); absent = off.
    pub e_min: Option<NonNegative>,
    /// The rate the min-rate term compares with e_min: "all_spikes_30s" (default, the
    /// reference code) or "event_average" (Ē).
    #[serde(default)]
    pub min_rate_of: MinRateOf,
    /// A fixed P̄ instead of the adaptive one.
    pub fixed_p_bar: Option<Finite>,
    /// Weights change from the start (default true; traces run either way).
    #[serde(default = "yes")]
    pub on: bool,
}

fn tau_pre() -> Positive {
    Positive(100.0)
}
fn tau_avg() -> Positive {
    Positive(2000.0)
}
fn w_max() -> Finite {
    Finite(1.0)
}

/// The rate of BDSP's min-rate term.
#[derive(Copy, Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MinRateOf {
    /// The 30 s average of all postsynaptic spikes.
    #[default]
    AllSpikes30s,
    /// Ē, the τ_avg event average.
    EventAverage,
}

/// Where a connection's transmitter comes from.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TransmitterOf {
    /// `/synapses/nt` of the connection.
    Connection,
    /// `/neurons/nt` of the presynaptic neuron.
    Presynaptic,
}

fn yes() -> bool {
    true
}

/// Connection rules (NEST names).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Rule {
    /// Every pair independently with probability `p` (NEST `pairwise_bernoulli`; also accepted
    /// as `fixed_probability`).
    #[serde(alias = "fixed_probability")]
    PairwiseBernoulli {
        /// Probability in [0, 1].
        p: Probability,
    },
    /// Each target gets exactly `indegree` sources drawn at random.
    FixedIndegree {
        /// Sources per target.
        indegree: u32,
    },
    /// Each source gets exactly `outdegree` targets drawn at random.
    FixedOutdegree {
        /// Targets per source.
        outdegree: u32,
    },
    /// `n` synapses between random pairs; or, with `p` in place of `n`, as many as make the
    /// probability that a pair is connected at least once equal to `p` (Potjans & Diesmann
    /// 2014): `n = ln(1 − p) / ln(1 − 1/(N_pre·N_post))` for the populations' full sizes.
    FixedTotalNumber {
        /// Number of synapses.
        n: Option<u64>,
        /// Connection probability, in place of `n`.
        p: Option<Probability>,
    },
    /// Source i to target i (equal sizes).
    OneToOne,
    /// The connections of a connectome file between the two populations (both made from the
    /// same file with `connectome`): weight = sign(transmitter) × synapse count × `weight`
    /// (or the file's `/synapses/weight` when `weight` is absent).
    Connectome,
    /// Every source to every target.
    AllToAll,
    /// An explicit edge list: CSV with header `source,target[,weight][,delay]` (indices within
    /// the populations; weight and delay override the projection's).
    File {
        /// Path, relative to the model file.
        path: String,
    },
}

/// The variable a Poisson stimulus acts on.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq, Default)]
pub enum TargetVar {
    /// The synaptic input, like a spike through a synapse (default).
    #[default]
    #[serde(rename = "I_syn")]
    Syn,
    /// The membrane potential, a jump of `weight` mV (Brian2 `PoissonInput(target_var="v")`).
    #[serde(rename = "V_m")]
    Vm,
}

/// Kinds of stimulus.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StimulusKind {
    /// Independent Poisson input to every target neuron: keys `rate` (Hz per neuron) and
    /// `weight` (mV or pA).
    Poisson,
    /// A piecewise-constant current `I_e` (pA): keys `times` (ms, increasing) and `amplitudes`.
    StepCurrent,
    /// A sinusoidal current (pA), `mean + amplitude·sin(2π t/period + phase)` set every
    /// `interval` (default the resolution) from `start` on (NEST `ac_generator`): keys
    /// `amplitude`, `period` (ms), optional `mean`, `phase` (degrees), `start`, `interval`.
    SinusoidalCurrent,
    /// Input at listed times, per neuron, from a CSV file (`file`, rows `neuron,time_ms`;
    /// `neuron` is the external id for populations made from a connectome, else the index),
    /// with `weight` and `target_var` as for `poisson`: replays the same input in hebb and
    /// other simulators. A neuron with listed input takes no Poisson stimulus.
    SpikeTimes,
}

/// `[[stimulus]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimulusSpec {
    /// The kind.
    #[serde(rename = "type")]
    pub kind: Spanned<StimulusKind>,
    /// Target population.
    pub target: Spanned<String>,
    /// The target's neurons that receive it (default all).
    pub neurons: Option<Spanned<Selection>>,
    /// Poisson: the variable each arrival changes, "I_syn" (default) or "V_m".
    #[serde(default)]
    pub target_var: TargetVar,
    /// Poisson rate per target neuron (Hz).
    pub rate: Option<NonNegative>,
    /// Poisson weight per input.
    pub weight: Option<Finite>,
    /// Step-current change times (ms).
    pub times: Option<Spanned<Vec<NonNegative>>>,
    /// Step-current amplitudes (pA).
    pub amplitudes: Option<Spanned<Vec<Finite>>>,
    /// `spike_times`: the CSV file of `neuron,time_ms` rows (relative to the model file).
    pub file: Option<Spanned<String>>,
    /// `sinusoidal_current`: amplitude (pA).
    pub amplitude: Option<Finite>,
    /// `sinusoidal_current`: mean (pA, default 0).
    pub mean: Option<Finite>,
    /// `sinusoidal_current`: period (ms).
    pub period: Option<Positive>,
    /// `sinusoidal_current`: phase (degrees, default 0).
    pub phase: Option<Finite>,
    /// `sinusoidal_current`: first time it is set (ms, default 0).
    pub start: Option<NonNegative>,
    /// `sinusoidal_current`: how often the value is set (ms, at least and by default the resolution).
    pub interval: Option<Positive>,
    /// `burst2c` targets: the compartment of a Poisson input or a current, "soma"
    /// (default) or "dendrite".
    pub compartment: Option<Spanned<crate::neuron::burst2c::Compartment>>,
    /// `burst2c` targets: the receptor of a Poisson input (default "excitatory").
    pub receptor: Option<Spanned<crate::neuron::burst2c::Receptor>>,
}

/// The neurons of a probe.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a list of indices within the population or a selection such as { ids = [...] }"
)]
pub enum ProbeNeurons {
    /// Indices within the population.
    Indices(Vec<u32>),
    /// A selection.
    Select(Selection),
}

/// `[[set]]`: parameters of selected neurons of a population, after the population's own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSpec {
    /// Population.
    pub population: Spanned<String>,
    /// Its neurons (default all).
    pub neurons: Option<Spanned<Selection>>,
    /// Refractory period (ms), `lif_exp`.
    pub t_ref: Option<NonNegative>,
    /// Constant current (pA).
    #[serde(rename = "I_e")]
    pub i_e: Option<Finite>,
    /// Initial membrane potential (mV).
    #[serde(rename = "V_m")]
    pub v_m: Option<Finite>,
}

/// `[[silence]]`: the selected neurons' outgoing synapses are removed (their spikes reach no
/// one; they are still simulated and recorded).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceSpec {
    /// Population.
    pub population: Spanned<String>,
    /// Its neurons (default all).
    pub neurons: Option<Spanned<Selection>>,
}

/// `[record]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// Populations whose spikes are recorded (default: all).
    pub spikes: Option<Vec<Spanned<String>>>,
    /// State probes.
    #[serde(default)]
    pub state: Vec<ProbeSpec>,
    /// Weights of the plastic projections: the mean every `interval` ms and every synapse's
    /// weight at the listed `snapshots` times (ms).
    pub weights: Option<WeightRecord>,
}

/// `[record.weights]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightRecord {
    /// Interval (ms, at least the resolution) of the mean weight per projection.
    pub interval: Positive,
    /// Times (ms) of full snapshots (the end of the run is always one).
    #[serde(default)]
    pub snapshots: Vec<NonNegative>,
}

/// `[[record.state]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Population.
    pub population: Spanned<String>,
    /// Indices within the population, or a selection such as `{ ids = [...] }` or
    /// `{ where = { cell_type = "MBON01" } }` (default: the first `count`).
    pub neurons: Option<Spanned<ProbeNeurons>>,
    /// How many neurons from the start when `neurons` is absent (default 1).
    pub count: Option<u32>,
    /// Variables, e.g. ["V_m"].
    pub variables: Vec<crate::neuron::StateVar>,
    /// Sampling interval (ms, at least the resolution); default the resolution.
    pub interval: Option<Positive>,
}

macro_rules! checked_f64 {
    ($name:ident, $doc:literal, $ok:expr, $expect:literal) => {
        #[doc = $doc]
        #[derive(Copy, Clone, Debug, PartialEq, PartialOrd, Default)]
        pub struct $name(pub f64);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = f64::deserialize(d)?;
                let ok: fn(f64) -> bool = $ok;
                if ok(v) {
                    Ok($name(v))
                } else {
                    Err(serde::de::Error::custom(format!(
                        "got {v}, expected {}",
                        $expect
                    )))
                }
            }
        }
    };
}

checked_f64!(
    Finite,
    "A finite number.",
    |v| v.is_finite(),
    "a finite number"
);
checked_f64!(
    Positive,
    "A finite number > 0.",
    |v| v.is_finite() && v > 0.0,
    "a finite number > 0"
);
checked_f64!(
    NonNegative,
    "A finite number ≥ 0.",
    |v| v.is_finite() && v >= 0.0,
    "a finite number >= 0"
);
checked_f64!(
    Probability,
    "A probability in [0, 1].",
    |v| (0.0..=1.0).contains(&v),
    "a probability in [0, 1]"
);

/// Line (1-based) of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use crate::model::Model;
    use crate::model::build::build;

    #[test]
    fn rules_without_parameters_take_either_form() {
        let text = |rule: &str| {
            format!(
                "[simulation]\nduration = 1.0\n[[population]]\nname = \"A\"\nsize = 3\n\
                 model = \"lif_delta\"\ntau_m = 10.0\nE_L = 0.0\nV_th = 10.0\nV_reset = 0.0\n\
                 [[projection]]\nsource = \"A\"\ntarget = \"A\"\nrule = {rule}\nweight = 1.0\n\
                 delay = 1.0\n"
            )
        };
        let synapses = |rule: &str| {
            let m = Model::parse(&text(rule), std::path::Path::new("t.toml")).unwrap();
            build(&m, None, None).unwrap().blueprint.csr.n_synapses()
        };
        assert_eq!(synapses("\"all_to_all\""), 6);
        assert_eq!(synapses("{ all_to_all = {} }"), 6);
        assert_eq!(synapses("\"one_to_one\""), 3);
        assert_eq!(synapses("{ one_to_one = {} }"), 3);
    }
}

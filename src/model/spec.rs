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
    /// What to record.
    #[serde(default)]
    pub record: RecordSpec,
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
    /// Number of neurons (> 0).
    pub size: Spanned<u32>,
    /// The neuron model.
    pub model: ModelKind,
    /// Exact or grid.
    #[serde(default)]
    pub update: Update,
    /// Input during refractoriness: "discard" or "accumulate" (default per model).
    pub refractory_input: Option<crate::neuron::RefractoryInput>,
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

/// Distributions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Dist {
    /// Uniform on `[lo, hi)`.
    Uniform([Finite; 2]),
    /// Normal with mean and standard deviation.
    Normal(Normal),
}

/// Parameters of a normal distribution.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normal {
    /// Mean.
    pub mean: Finite,
    /// Standard deviation (≥ 0).
    pub std: NonNegative,
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
    pub delay: Option<Spanned<Value>>,
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
    /// `n` synapses between random pairs.
    FixedTotalNumber {
        /// Number of synapses.
        n: u64,
    },
    /// Source i to target i (equal sizes).
    OneToOne,
    /// Every source to every target.
    AllToAll,
    /// An explicit edge list: CSV with header `source,target[,weight][,delay]` (indices within
    /// the populations; weight and delay override the projection's).
    File {
        /// Path, relative to the model file.
        path: String,
    },
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
    /// Poisson rate per target neuron (Hz).
    pub rate: Option<NonNegative>,
    /// Poisson weight per input.
    pub weight: Option<Finite>,
    /// Step-current change times (ms).
    pub times: Option<Spanned<Vec<NonNegative>>>,
    /// Step-current amplitudes (pA).
    pub amplitudes: Option<Spanned<Vec<Finite>>>,
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
}

/// `[[record.state]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Population.
    pub population: Spanned<String>,
    /// Indices within the population (default: the first `count`).
    pub neurons: Option<Spanned<Vec<u32>>>,
    /// How many neurons from the start when `neurons` is absent (default 1).
    pub count: Option<u32>,
    /// Variables, e.g. ["V_m"].
    pub variables: Vec<crate::neuron::StateVar>,
    /// Sampling interval (ms); default the resolution.
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

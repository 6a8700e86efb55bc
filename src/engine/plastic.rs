//! Synapse types and plasticity inside the engine: spikes classified into events and bursts,
//! event- or burst-only transmission, and plastic projections whose weights a learning rule
//! changes (`specs/bdsp.md`; the rules themselves are in [`crate::plasticity`]).
//!
//! # Where things live
//!
//! A plastic synapse's weight is its entry in the shard's [`Csr`] (a plastic group stores one
//! weight per synapse). Plasticity is shard-local: the shard that owns a projection's targets
//! owns their synapses, the rule's postsynaptic state, and a copy of the presynaptic state of
//! every source, which it updates from the spikes it receives anyway (a spike crosses to a
//! shard that holds any of its synapses).
//!
//! # Classification
//!
//! Every spike of a neuron that needs it (a source of event- or burst-transmitting or plastic
//! synapses, a target of a plastic projection) is classified once where it enters a shard —
//! when it is emitted there, or received from another shard — by the network's
//! [`BurstDetector`]. The class travels in the delivery entry. A neuron's spikes enter every
//! shard in the same order, so every copy of its detector agrees.
//!
//! # Order and determinism
//!
//! Deliveries at a tick come before the spikes of that tick (queue order), so presynaptic
//! spikes are processed before postsynaptic ones, as the rules require. A presynaptic spike
//! acts on a plastic synapse when it arrives, after the delay: the eligibility trace is the
//! synapse's. Each weight changes only through its own pre- and postsynaptic events, in
//! time order, so weights are bit-identical for any number of shards.

use super::csr::Csr;
use super::state::{StateError, Table};
use crate::ids::PopId;
use crate::plasticity::{
    Bdsp, BdspParams, BurstDetector, DetectorState, Spike, Stdp, StdpParams, Tm, TmState,
};
use crate::time::Time;

/// Which spikes of the presynaptic neuron a synapse transmits (`specs/bdsp.md` §4.2).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transmit {
    /// Every spike.
    #[default]
    All,
    /// Events only: the first spike after a silence of θ_b (the limit of strong short-term
    /// depression).
    Events,
    /// Bursts only: the second spike of a burst, once per burst (the limit of strong
    /// facilitation).
    Bursts,
}

impl Transmit {
    /// Whether a spike of class `code` (see [`class_code`]) is transmitted.
    #[inline]
    pub(crate) fn passes(self, code: u32) -> bool {
        match self {
            Transmit::All => true,
            Transmit::Events => code == EVENT,
            Transmit::Bursts => code == BURST,
        }
    }
}

/// A kind of synapse: what it transmits, the plastic projection it belongs to and its
/// short-term plasticity, if any.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SynapseType {
    /// Which presynaptic spikes it transmits.
    pub transmit: Transmit,
    /// Index of its plastic projection in [`super::Blueprint::plastic`].
    pub plastic: Option<u16>,
    /// Index of its Tsodyks–Markram parameters in [`Csr::stp`]: each transmitted spike
    /// delivers `weight × u·x` of its source's state (one state per source and type).
    pub stp: Option<u16>,
}

/// A learning rule with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// Burst-dependent synaptic plasticity ([`crate::plasticity::bdsp`]).
    Bdsp(BdspParams),
    /// Pair-based STDP ([`crate::plasticity::stdp`]): every transmitted presynaptic spike and
    /// every postsynaptic spike count.
    Stdp(StdpParams),
}

/// A rule's state in a shard.
enum Learner {
    Bdsp(Box<Bdsp>),
    Stdp(Stdp),
}

/// A projection whose weights change: one source population, one target population, one
/// delay, one rule.
#[derive(Clone, Debug)]
pub struct PlasticProjection {
    /// Name (for output and run-time control).
    pub name: String,
    /// The rule.
    pub rule: Rule,
    /// Global index of the source population's first neuron.
    pub source_offset: u32,
    /// Number of source neurons.
    pub source_size: u32,
    /// The target population.
    pub target: PopId,
    /// Whether weights change from the start (traces always run).
    pub plastic: bool,
}

/// No class: the neuron's spikes are not classified.
pub(crate) const UNCLASSIFIED: u32 = 0;
/// An event.
pub(crate) const EVENT: u32 = 1;
/// A burst (second spike).
pub(crate) const BURST: u32 = 2;
/// A further spike of a burst.
pub(crate) const IGNORED: u32 = 3;

/// The entry code of a class.
pub(crate) fn class_code(s: Spike) -> u32 {
    match s {
        Spike::Event => EVENT,
        Spike::Burst => BURST,
        Spike::Ignored => IGNORED,
    }
}

fn spike_of(code: u32) -> Spike {
    match code {
        EVENT => Spike::Event,
        BURST => Spike::Burst,
        _ => Spike::Ignored,
    }
}

const NONE: u32 = u32::MAX;

/// One plastic projection's state in a shard.
struct RuleState {
    spec: PlasticProjection,
    rule: Learner,
    /// Per local target `i`: its incoming synapses are `in_start[i]..in_start[i + 1]` of
    /// `in_w` (positions in the store's weights) and `in_src` (source index in its population).
    in_start: Vec<u32>,
    in_w: Vec<u32>,
    in_src: Vec<u32>,
}

/// Classification and plasticity of one simulation (shard); empty when the network has
/// neither typed synapses nor plastic projections.
pub(crate) struct Plasticity {
    detector: BurstDetector,
    /// Per global neuron: its detector's slot in `states`, or `NONE`.
    slot: Vec<u32>,
    states: Vec<DetectorState>,
    rules: Vec<RuleState>,
    /// Per local population: the plastic projections onto it.
    onto: Vec<Vec<u16>>,
    wbuf: Vec<f32>,
    /// Per short-term plasticity model: the model and every global neuron's state.
    stp: Vec<(Tm, Vec<TmState>)>,
}

impl Plasticity {
    /// The state for a simulation with store `csr`, local population offsets `offsets` and
    /// global ids `global` of its neurons. Rule parameters were validated when the model was
    /// built.
    pub(crate) fn new(
        detector: BurstDetector,
        projections: &[PlasticProjection],
        csr: &Csr,
        offsets: &[u32],
        global: &[u32],
    ) -> Plasticity {
        let n_global = csr.row_groups.len().saturating_sub(1);
        let typed = csr.types.iter().any(|t| *t != SynapseType::default());
        let mut p = Plasticity {
            detector,
            slot: Vec::new(),
            states: Vec::new(),
            rules: Vec::new(),
            onto: vec![Vec::new(); offsets.len().saturating_sub(1)],
            wbuf: Vec::new(),
            stp: csr
                .stp
                .iter()
                .map(|params| {
                    let tm = Tm::new(params).expect("validated model");
                    (tm, vec![tm.initial_state(); n_global])
                })
                .collect(),
        };
        if !typed && projections.is_empty() {
            return p;
        }
        p.slot = vec![NONE; n_global];
        let need = |p: &mut Plasticity, n: usize| {
            if p.slot[n] == NONE {
                p.slot[n] = p.states.len() as u32;
                p.states.push(DetectorState::default());
            }
        };
        for n in 0..n_global {
            let (g0, g1) = (csr.row_groups[n] as usize, csr.row_groups[n + 1] as usize);
            if (g0..g1).any(|g| csr.types[csr.group_type[g] as usize] != SynapseType::default()) {
                need(&mut p, n);
            }
        }
        for (q, spec) in projections.iter().enumerate() {
            let tp = spec.target.index();
            let n_post = offsets[tp + 1] - offsets[tp];
            let rule = match &spec.rule {
                Rule::Bdsp(params) => {
                    let mut params = *params;
                    params.post.mode = detector.mode();
                    params.post.theta_b_ms = detector.theta_b().as_ms();
                    let mut b =
                        Bdsp::new(spec.source_size, n_post, &params).expect("validated rule");
                    b.set_plastic(spec.plastic);
                    Learner::Bdsp(Box::new(b))
                }
                Rule::Stdp(params) => {
                    let mut r =
                        Stdp::new(spec.source_size, n_post, params).expect("validated rule");
                    r.set_plastic(spec.plastic);
                    Learner::Stdp(r)
                }
            };
            for i in offsets[tp]..offsets[tp + 1] {
                need(&mut p, global[i as usize] as usize);
            }
            // The incoming index: count, then fill in store order.
            let mut in_start = vec![0u32; n_post as usize + 1];
            let mine = |g: usize| csr.types[csr.group_type[g] as usize].plastic == Some(q as u16);
            for g in 0..csr.group_type.len() {
                if mine(g) {
                    for &i in csr.group(g).0 {
                        in_start[i as usize + 1] += 1;
                    }
                }
            }
            for i in 0..n_post as usize {
                in_start[i + 1] += in_start[i];
            }
            let m = in_start[n_post as usize] as usize;
            let (mut in_w, mut in_src) = (vec![0u32; m], vec![0u32; m]);
            let mut fill = in_start.clone();
            for n in 0..n_global {
                for g in csr.row_groups[n] as usize..csr.row_groups[n + 1] as usize {
                    if !mine(g) {
                        continue;
                    }
                    let w0 = csr.group_wstart[g];
                    for (k, &i) in csr.group(g).0.iter().enumerate() {
                        let at = &mut fill[i as usize];
                        in_w[*at as usize] = w0 + k as u32;
                        in_src[*at as usize] = n as u32 - spec.source_offset;
                        *at += 1;
                    }
                }
            }
            p.onto[tp].push(q as u16);
            p.rules.push(RuleState {
                spec: spec.clone(),
                rule,
                in_start,
                in_w,
                in_src,
            });
        }
        p
    }

    /// True if no spike needs classifying here.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.slot.is_empty()
    }

    /// Classifies a spike of global neuron `n` at `t` (the code [`UNCLASSIFIED`] if `n`'s
    /// spikes need no class here).
    #[inline]
    pub(crate) fn classify(&mut self, n: u32, t: Time) -> u32 {
        match self.slot.get(n as usize) {
            Some(&s) if s != NONE => {
                class_code(self.detector.classify(&mut self.states[s as usize], t))
            }
            _ => UNCLASSIFIED,
        }
    }

    /// A spike of class `code` from global neuron `n` arrives at `t` at plastic group `g` of
    /// projection `q`, after its transmission if it `passed` the group's filter. BDSP counts
    /// presynaptic events only; STDP every transmitted spike.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_deliver(
        &mut self,
        csr: &mut Csr,
        q: u16,
        g: usize,
        n: u32,
        t: Time,
        code: u32,
        passed: bool,
    ) {
        let r = &mut self.rules[q as usize];
        let j = n - r.spec.source_offset;
        match &mut r.rule {
            Learner::Bdsp(b) if code == EVENT => {
                let (targets, weights) = csr.group_mut(g);
                b.pre_event(j, t, weights, targets);
            }
            Learner::Stdp(s) if passed => {
                let (targets, weights) = csr.group_mut(g);
                s.on_pre(j, t, weights, targets);
            }
            _ => {}
        }
    }

    /// The efficacy u·x of a transmitted spike of global neuron `n` arriving at `t` at synapses
    /// of short-term plasticity model `k`; updates the source's state.
    #[inline]
    pub(crate) fn stp_spike(&mut self, k: u16, n: u32, t: Time) -> f64 {
        let (tm, states) = &mut self.stp[k as usize];
        tm.on_spike(&mut states[n as usize], t)
    }

    /// Whether local population `p` is the target of a plastic projection.
    #[inline]
    pub(crate) fn is_target(&self, p: usize) -> bool {
        self.onto.get(p).is_some_and(|v| !v.is_empty())
    }

    /// A spike of class `code` of local neuron `i` of local population `p` at `t`: the rules
    /// of the projections onto it update its incoming weights.
    pub(crate) fn on_post(&mut self, csr: &mut Csr, p: usize, i: u32, t: Time, code: u32) {
        let spike = spike_of(code);
        for &q in &self.onto[p] {
            let r = &mut self.rules[q as usize];
            let plastic = match &r.rule {
                Learner::Bdsp(rule) => rule.is_plastic(),
                Learner::Stdp(rule) => rule.is_plastic(),
            };
            // Weights frozen: the rule only updates its traces, which need no synapse.
            let (a, b) = if plastic {
                (
                    r.in_start[i as usize] as usize,
                    r.in_start[i as usize + 1] as usize,
                )
            } else {
                (0, 0)
            };
            self.wbuf.clear();
            self.wbuf
                .extend(r.in_w[a..b].iter().map(|&k| csr.weights[k as usize]));
            let sources = &r.in_src[a..b];
            match &mut r.rule {
                Learner::Bdsp(rule) => rule.on_post_spike(i, t, spike, &mut self.wbuf, sources),
                Learner::Stdp(rule) => rule.on_post(i, t, &mut self.wbuf, sources),
            }
            for (&k, &w) in r.in_w[a..b].iter().zip(&self.wbuf) {
                csr.weights[k as usize] = w;
            }
        }
    }

    /// Switches weight changes of projection `q` on or off.
    pub(crate) fn set_plastic(&mut self, q: usize, on: bool) {
        match &mut self.rules[q].rule {
            Learner::Bdsp(r) => r.set_plastic(on),
            Learner::Stdp(r) => r.set_plastic(on),
        }
    }

    /// Number of plastic projections.
    pub(crate) fn n_rules(&self) -> usize {
        self.rules.len()
    }

    /// The synapses of projection `q` here: `(source global id, target local index in its
    /// population, weight)`, by target, then in store order.
    pub(crate) fn weights(&self, csr: &Csr, q: usize) -> Vec<(u32, u32, f32)> {
        let r = &self.rules[q];
        let mut out = Vec::with_capacity(r.in_w.len());
        for i in 0..r.in_start.len() - 1 {
            for k in r.in_start[i] as usize..r.in_start[i + 1] as usize {
                out.push((
                    r.in_src[k] + r.spec.source_offset,
                    i as u32,
                    csr.weights[r.in_w[k] as usize],
                ));
            }
        }
        out
    }

    /// The target population of projection `q`.
    pub(crate) fn target(&self, q: usize) -> usize {
        self.rules[q].spec.target.index()
    }

    /// Ē (Hz) at `t` of local target `i` of projection `q`, the rule's τ_avg event average
    /// (BDSP; NaN for other rules).
    pub(crate) fn event_rate_hz(&self, q: usize, i: u32, t: Time) -> f64 {
        match &self.rules[q].rule {
            Learner::Bdsp(r) => r.event_rate_hz(i, t),
            Learner::Stdp(_) => f64::NAN,
        }
    }

    /// B̄ (Hz) at `t` of local target `i` of projection `q` (BDSP; NaN for other rules).
    pub(crate) fn burst_rate_hz(&self, q: usize, i: u32, t: Time) -> f64 {
        match &self.rules[q].rule {
            Learner::Bdsp(r) => r.burst_rate_hz(i, t),
            Learner::Stdp(_) => f64::NAN,
        }
    }
}

/// Classification and plasticity state in global terms (see [`super::state`]): keyed tables
/// whose keys mean the same in every shard (global neuron ids, synapse keys), merged across
/// shards by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlasticState {
    /// The tables by name.
    pub tables: std::collections::BTreeMap<String, Table>,
}

impl PlasticState {
    /// Adds the rows of `other` whose keys are new.
    pub(crate) fn union(&mut self, other: &PlasticState) -> Result<(), StateError> {
        for (name, t) in &other.tables {
            self.tables
                .entry(name.clone())
                .or_default()
                .union(t)
                .map_err(|e| StateError {
                    column: format!("{name}/{}", e.column),
                    message: e.message,
                })?;
        }
        Ok(())
    }
}

impl Plasticity {
    /// The state here: detectors, rules' traces, plastic weights, short-term plasticity.
    pub(crate) fn save(
        &self,
        _csr: &Csr,
        _offsets: &[u32],
        _global: &[u32],
    ) -> Result<PlasticState, StateError> {
        if self.slot.is_empty() && self.rules.is_empty() && self.stp.is_empty() {
            return Ok(PlasticState::default());
        }
        Err(StateError {
            column: "plasticity".into(),
            message: "plasticity cannot be checkpointed yet".into(),
        })
    }

    /// Loads a state saved by [`Plasticity::save`] (from any number of shards).
    pub(crate) fn load(
        &mut self,
        _csr: &mut Csr,
        _offsets: &[u32],
        _global: &[u32],
        st: &PlasticState,
    ) -> Result<(), StateError> {
        if st.tables.is_empty() && self.slot.is_empty() && self.rules.is_empty() && self.stp.is_empty() {
            return Ok(());
        }
        Err(StateError {
            column: "plasticity".into(),
            message: "plasticity cannot be checkpointed yet".into(),
        })
    }
}

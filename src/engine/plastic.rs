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
//!
//! # Checkpoints
//!
//! [`Plasticity::save`] writes keyed tables ([`PlasticState`]) whose keys mean the same in
//! every split: detectors and short-term states by global neuron, rule switches by
//! projection, postsynaptic traces by global target, presynaptic traces by global source,
//! weights by synapse (target's global id and the synapse's rank among the target's incoming
//! synapses of the projection, by source and then row order, which a split keeps). A shard
//! writes only the copies it keeps up to date, so that the gathered state (first copy of a key
//! kept) never holds a stale one:
//!
//! - a detector it has a slot for: the neuron's spikes are emitted here or reach this shard
//!   (it holds synapses of them), and each copy classifies the same spikes in the same order;
//! - the short-term state of a source with synapses of that model here: it changes once per
//!   delivered group, and a model belongs to one projection with one delay, so a row holds at
//!   most one group of it in any shard and every such shard updates it identically;
//! - the presynaptic trace of a source with synapses of that projection here (one group per
//!   row likewise);
//! - the postsynaptic traces and incoming weights of its own targets.
//!
//! The rule switches ([`Plasticity::set_plastic`]) are the same in every shard.

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

/// Names of the tables of a [`PlasticState`].
mod names {
    /// Detectors, keyed by global neuron.
    pub const DETECTORS: &str = "detectors";
    /// Whether each rule changes weights, keyed by projection.
    pub const RULES: &str = "rules";
    /// Short-term plasticity model `k`'s states, keyed by global source neuron.
    pub fn stp(k: usize) -> String {
        format!("stp{k}")
    }
    /// Projection `q`'s postsynaptic traces, keyed by global target neuron.
    pub fn post(q: usize) -> String {
        format!("rule{q}_post")
    }
    /// Projection `q`'s presynaptic traces, keyed by global source neuron.
    pub fn pre(q: usize) -> String {
        format!("rule{q}_pre")
    }
    /// Projection `q`'s weights, keyed by synapse ([`super::synapse_key`]).
    pub fn weights(q: usize) -> String {
        format!("rule{q}_weights")
    }
}

/// The key of the `k`-th incoming synapse of a projection onto global neuron `target`:
/// synapses of one target are ranked by source, then by their order in the source's row,
/// which is the same in every shard (a split keeps each row's order).
fn synapse_key(target: u32, k: u32) -> u64 {
    (u64::from(target) << 32) | u64::from(k)
}

/// A rule's kind, saved to check that a checkpoint is of the same model.
fn rule_kind(r: &Learner) -> u8 {
    match r {
        Learner::Bdsp(_) => 0,
        Learner::Stdp(_) => 1,
    }
}

/// The rows (global source neurons) of `csr` with a group of a type that `mine` picks.
fn rows_with(csr: &Csr, mine: impl Fn(SynapseType) -> bool) -> Vec<u32> {
    let n_global = csr.row_groups.len().saturating_sub(1);
    (0..n_global as u32)
        .filter(|&n| {
            (csr.row_groups[n as usize]..csr.row_groups[n as usize + 1])
                .any(|g| mine(csr.types[csr.group_type[g as usize] as usize]))
        })
        .collect()
}

/// An error about column `col` of table `table`.
fn state_err(table: &str, col: &str, message: String) -> StateError {
    StateError {
        column: if col.is_empty() {
            table.to_string()
        } else {
            format!("{table}/{col}")
        },
        message,
    }
}

/// A saved table being read: its rows by key.
struct Reader<'a> {
    name: &'a str,
    table: &'a Table,
}

impl<'a> Reader<'a> {
    /// Table `name` of `st`, whose keys must be unique and sorted (as a gathered state's are).
    fn of(st: &'a PlasticState, name: &'a str) -> Result<Reader<'a>, StateError> {
        let table = st.tables.get(name).ok_or_else(|| {
            state_err(name, "", "missing (a checkpoint of another model?)".into())
        })?;
        if table.keys.len() != table.rows || table.keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err(state_err(
                name,
                "keys",
                format!(
                    "{} keys for {} rows, or not unique and sorted",
                    table.keys.len(),
                    table.rows
                ),
            ));
        }
        Ok(Reader { name, table })
    }

    /// Column `col` of type `T`, one value per row.
    fn col<T: super::state::Element>(&self, col: &str) -> Result<&'a [T], StateError> {
        self.table
            .get::<T>(col, 1)
            .map_err(|e| state_err(self.name, &e.column, e.message))
    }

    /// Column `col` as times.
    fn times(&self, col: &str) -> Result<&'a [u64], StateError> {
        self.col::<u64>(col)
    }

    /// The row of key `key`, which must be there.
    fn row(&self, key: u64, what: &str) -> Result<usize, StateError> {
        self.table.row_of(key).ok_or_else(|| {
            state_err(
                self.name,
                "keys",
                format!("no row for {what} (a checkpoint of another model?)"),
            )
        })
    }
}

/// Adds a trace's columns to `t`: `name` (values as stored) and `name_last` (last update).
fn put_traces(t: &mut Table, name: &str, v: &[(f64, Time)]) {
    t.put(name, 1, v.iter().map(|x| x.0).collect::<Vec<f64>>());
    t.put(
        &format!("{name}_last"),
        1,
        v.iter().map(|x| x.1.0).collect::<Vec<u64>>(),
    );
}

impl Plasticity {
    /// The state here: detectors, rules' traces, plastic weights, short-term plasticity.
    ///
    /// A shard writes a row only for state it keeps up to date (every shard's copy of it is
    /// then the same, and the gathered state may take any): a detector it classifies with
    /// (of a neuron whose spikes it emits or receives), the short-term state of a source with
    /// synapses of that model here, the presynaptic trace of a source with synapses of that
    /// projection here, the postsynaptic traces and the incoming weights of its own targets.
    /// Traces are written as stored (value at the last update, and that time), not decayed.
    pub(crate) fn save(
        &self,
        csr: &Csr,
        offsets: &[u32],
        global: &[u32],
    ) -> Result<PlasticState, StateError> {
        let mut st = PlasticState::default();
        if self.slot.is_empty() && self.rules.is_empty() && self.stp.is_empty() {
            return Ok(st);
        }
        // Detectors: every slot is a neuron classified here.
        let (mut keys, mut det) = (Vec::new(), Vec::new());
        for (n, &s) in self.slot.iter().enumerate() {
            if s != NONE {
                keys.push(n as u64);
                det.push(self.states[s as usize].parts());
            }
        }
        let mut t = Table::keyed(keys);
        t.put("last", 1, det.iter().map(|d| d.0.0).collect::<Vec<u64>>());
        t.put("x", 1, det.iter().map(|d| d.1).collect::<Vec<f64>>());
        t.put(
            "spiked",
            1,
            det.iter().map(|d| u8::from(d.2)).collect::<Vec<u8>>(),
        );
        t.put(
            "tagged",
            1,
            det.iter().map(|d| u8::from(d.3)).collect::<Vec<u8>>(),
        );
        st.tables.insert(names::DETECTORS.into(), t);
        // Short-term plasticity: the sources with synapses of model k here.
        for (k, (_, states)) in self.stp.iter().enumerate() {
            let rows = rows_with(csr, |ty| ty.stp == Some(k as u16));
            let parts: Vec<_> = rows.iter().map(|&n| states[n as usize].parts()).collect();
            let mut t = Table::keyed(rows.iter().map(|&n| u64::from(n)).collect());
            t.put("x", 1, parts.iter().map(|p| p.0).collect::<Vec<f64>>());
            t.put("u", 1, parts.iter().map(|p| p.1).collect::<Vec<f64>>());
            t.put("last", 1, parts.iter().map(|p| p.2.0).collect::<Vec<u64>>());
            st.tables.insert(names::stp(k), t);
        }
        // The rules: kind and switch (every shard has every rule, switched together).
        let mut t = Table::keyed((0..self.rules.len() as u64).collect());
        t.put(
            "rule",
            1,
            self.rules
                .iter()
                .map(|r| rule_kind(&r.rule))
                .collect::<Vec<u8>>(),
        );
        let on = |r: &RuleState| match &r.rule {
            Learner::Bdsp(b) => b.is_plastic(),
            Learner::Stdp(s) => s.is_plastic(),
        };
        t.put(
            "plastic",
            1,
            self.rules
                .iter()
                .map(|r| u8::from(on(r)))
                .collect::<Vec<u8>>(),
        );
        st.tables.insert(names::RULES.into(), t);
        for (q, r) in self.rules.iter().enumerate() {
            let tp = r.spec.target.index();
            let base = offsets[tp] as usize;
            let n_post = offsets[tp + 1] as usize - base;
            let targets = &global[base..base + n_post];
            // Postsynaptic traces of the targets here.
            let mut t = Table::keyed(targets.iter().map(|&g| u64::from(g)).collect());
            match &r.rule {
                Learner::Bdsp(b) => {
                    let post: Vec<_> = (0..n_post as u32).map(|i| b.post_stored(i)).collect();
                    for (c, name) in ["events", "bursts", "rate30"].iter().enumerate() {
                        let v: Vec<_> = post.iter().map(|p| p[c]).collect();
                        put_traces(&mut t, name, &v);
                    }
                }
                Learner::Stdp(s) => {
                    let v: Vec<_> = (0..n_post as u32).map(|i| s.post_stored(i)).collect();
                    put_traces(&mut t, "y", &v);
                }
            }
            st.tables.insert(names::post(q), t);
            // Presynaptic traces of the sources with synapses of the projection here.
            let rows = rows_with(csr, |ty| ty.plastic == Some(q as u16));
            let mut t = Table::keyed(rows.iter().map(|&n| u64::from(n)).collect());
            let js = rows.iter().map(|&n| n - r.spec.source_offset);
            let (name, v): (_, Vec<_>) = match &r.rule {
                Learner::Bdsp(b) => ("eligibility", js.map(|j| b.eligibility_stored(j)).collect()),
                Learner::Stdp(s) => ("x", js.map(|j| s.pre_stored(j)).collect()),
            };
            put_traces(&mut t, name, &v);
            st.tables.insert(names::pre(q), t);
            // Weights of the synapses onto the targets here.
            let mut keys = Vec::with_capacity(r.in_w.len());
            for (i, &g) in targets.iter().enumerate() {
                let a = r.in_start[i];
                keys.extend((a..r.in_start[i + 1]).map(|k| synapse_key(g, k - a)));
            }
            let mut t = Table::keyed(keys);
            t.put(
                "w",
                1,
                r.in_w
                    .iter()
                    .map(|&k| csr.weights[k as usize])
                    .collect::<Vec<f32>>(),
            );
            t.put(
                "source",
                1,
                r.in_src
                    .iter()
                    .map(|&j| j + r.spec.source_offset)
                    .collect::<Vec<u32>>(),
            );
            st.tables.insert(names::weights(q), t);
        }
        Ok(st)
    }

    /// Loads a state saved by [`Plasticity::save`] (from any number of shards) into this
    /// freshly built shard: every piece of state it keeps must have its row.
    pub(crate) fn load(
        &mut self,
        csr: &mut Csr,
        offsets: &[u32],
        global: &[u32],
        st: &PlasticState,
    ) -> Result<(), StateError> {
        if self.slot.iter().any(|&s| s != NONE) {
            let r = Reader::of(st, names::DETECTORS)?;
            let (last, x) = (r.times("last")?, r.col::<f64>("x")?);
            let (spiked, tagged) = (r.col::<u8>("spiked")?, r.col::<u8>("tagged")?);
            for (n, &s) in self.slot.iter().enumerate() {
                if s == NONE {
                    continue;
                }
                let k = r.row(n as u64, &format!("neuron {n}"))?;
                let flag = |v: &[u8], col: &str| match v[k] {
                    0 => Ok(false),
                    1 => Ok(true),
                    b => Err(state_err(r.name, col, format!("{b} is not 0 or 1"))),
                };
                self.states[s as usize] = DetectorState::from_parts(
                    Time(last[k]),
                    x[k],
                    flag(spiked, "spiked")?,
                    flag(tagged, "tagged")?,
                );
            }
        }
        for k in 0..self.stp.len() {
            let rows = rows_with(csr, |ty| ty.stp == Some(k as u16));
            if rows.is_empty() {
                continue;
            }
            let name = names::stp(k);
            let r = Reader::of(st, &name)?;
            let (x, u, last) = (r.col::<f64>("x")?, r.col::<f64>("u")?, r.times("last")?);
            let states = &mut self.stp[k].1;
            for n in rows {
                let row = r.row(u64::from(n), &format!("source {n}"))?;
                states[n as usize] = TmState::from_parts(x[row], u[row], Time(last[row]));
            }
        }
        if self.rules.is_empty() {
            return Ok(());
        }
        let r = Reader::of(st, names::RULES)?;
        let (kind, on) = (r.col::<u8>("rule")?, r.col::<u8>("plastic")?);
        for q in 0..self.rules.len() {
            let row = r.row(q as u64, &format!("projection {q}"))?;
            if kind[row] != rule_kind(&self.rules[q].rule) {
                return Err(state_err(
                    r.name,
                    "rule",
                    format!("projection {q} has another rule in the checkpoint"),
                ));
            }
            let on = match on[row] {
                0 => false,
                1 => true,
                b => return Err(state_err(r.name, "plastic", format!("{b} is not 0 or 1"))),
            };
            self.set_plastic(q, on);
        }
        for q in 0..self.rules.len() {
            let rule = &mut self.rules[q];
            let tp = rule.spec.target.index();
            let base = offsets[tp] as usize;
            let n_post = offsets[tp + 1] as usize - base;
            let targets = &global[base..base + n_post];
            // Postsynaptic traces.
            let name = names::post(q);
            let r = Reader::of(st, &name)?;
            let trace = |col: &str| -> Result<(&[f64], &[u64]), StateError> {
                Ok((r.col::<f64>(col)?, r.times(&format!("{col}_last"))?))
            };
            match &mut rule.rule {
                Learner::Bdsp(b) => {
                    let cols = [trace("events")?, trace("bursts")?, trace("rate30")?];
                    for (i, &g) in targets.iter().enumerate() {
                        let row = r.row(u64::from(g), &format!("target {g}"))?;
                        let at = |c: usize| (cols[c].0[row], Time(cols[c].1[row]));
                        b.restore_post(i as u32, [at(0), at(1), at(2)]);
                    }
                }
                Learner::Stdp(s) => {
                    let (v, last) = trace("y")?;
                    for (i, &g) in targets.iter().enumerate() {
                        let row = r.row(u64::from(g), &format!("target {g}"))?;
                        s.restore_post(i as u32, v[row], Time(last[row]));
                    }
                }
            }
            // Presynaptic traces.
            let rows = rows_with(csr, |ty| ty.plastic == Some(q as u16));
            if !rows.is_empty() {
                let name = names::pre(q);
                let r = Reader::of(st, &name)?;
                let col = match &rule.rule {
                    Learner::Bdsp(_) => "eligibility",
                    Learner::Stdp(_) => "x",
                };
                let (v, last) = (r.col::<f64>(col)?, r.times(&format!("{col}_last"))?);
                for n in rows {
                    let row = r.row(u64::from(n), &format!("source {n}"))?;
                    let j = n - rule.spec.source_offset;
                    match &mut rule.rule {
                        Learner::Bdsp(b) => b.restore_eligibility(j, v[row], Time(last[row])),
                        Learner::Stdp(s) => s.restore_pre(j, v[row], Time(last[row])),
                    }
                }
            }
            // Weights.
            if rule.in_w.is_empty() {
                continue;
            }
            let name = names::weights(q);
            let r = Reader::of(st, &name)?;
            let (w, src) = (r.col::<f32>("w")?, r.col::<u32>("source")?);
            for (i, &g) in targets.iter().enumerate() {
                let (a, b) = (rule.in_start[i], rule.in_start[i + 1]);
                for k in a..b {
                    let row = r.row(
                        synapse_key(g, k - a),
                        &format!("synapse {} onto {g}", k - a),
                    )?;
                    let want = rule.in_src[k as usize] + rule.spec.source_offset;
                    if src[row] != want {
                        return Err(state_err(
                            r.name,
                            "source",
                            format!(
                                "synapse {} onto {g} comes from {}, the model's from {want}",
                                k - a,
                                src[row]
                            ),
                        ));
                    }
                    csr.weights[rule.in_w[k as usize] as usize] = w[row];
                }
                if r.table.row_of(synapse_key(g, b - a)).is_some() {
                    return Err(state_err(
                        r.name,
                        "keys",
                        format!("more synapses onto {g} than the model's {}", b - a),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! A small network's classification and plasticity driven spike by spike as the engine
    //! drives them (deliveries after their delays, before the spikes of their tick), whole or
    //! split into shards, cut and resumed.

    use super::*;
    use crate::engine::partition::Partition;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::collections::BTreeSet;

    /// Sources `src` (0–3) onto `a` (4–6) and `b` (7–9): BDSP with multapses, STDP with
    /// short-term plasticity, static short-term plasticity, burst-only feedback and a second
    /// STDP projection that starts switched off.
    const MODEL: &str = r#"
[simulation]
duration = 100.0
[[population]]
name = "src"
model = "spike_source"
size = 4
spike_times = [[], [], [], []]
[[population]]
name = "a"
model = "lif_delta"
size = 3
tau_m = 10.0
E_L = 0.0
V_th = 15.0
V_reset = 0.0
t_ref = 2.0
[[population]]
name = "b"
model = "lif_delta"
size = 3
tau_m = 10.0
E_L = 0.0
V_th = 15.0
V_reset = 0.0
t_ref = 2.0
[[projection]]
source = "src"
target = "a"
rule = { fixed_indegree = { indegree = 6 } }
weight = 0.5
delay = 1.0
transmit = "events"
plasticity = { rule = "bdsp", eta = 0.05, e_max = 10.0, e_min = 2.0 }
[[projection]]
source = "a"
target = "b"
rule = "all_to_all"
weight = 0.4
delay = 0.5
stp = { U = 0.5, tau_d = 50.0, tau_f = 100.0, f = 0.2 }
plasticity = { rule = "stdp", lambda = 0.01, alpha = 1.1 }
[[projection]]
source = "src"
target = "b"
rule = { pairwise_bernoulli = { p = 0.6 } }
weight = 1.0
delay = 2.0
stp = { U = 0.9, tau_d = 20.0, tau_f = 1000.0, f = 0.1 }
[[projection]]
source = "b"
target = "a"
rule = "all_to_all"
weight = 0.1
delay = 1.5
transmit = "bursts"
[[projection]]
source = "src"
target = "a"
rule = "all_to_all"
weight = 0.3
delay = 0.3
name = "src-stdp-a"
plasticity = { rule = "stdp", lambda = 0.02, mode = "multiplicative", on = false }
"#;

    const N: u32 = 10;
    const END_MS: f64 = 400.0;
    /// Projection 0 is switched off then, projection 2 on from the start.
    const SWITCH_MS: f64 = 150.0;

    fn ms(x: f64) -> Time {
        Time::from_ms(x).unwrap()
    }

    /// One simulation's (shard's) classification and plasticity with its own queue:
    /// `(time, 0 = delivery / 1 = spike, neuron, class, group)`.
    struct Part {
        p: Plasticity,
        csr: Csr,
        offsets: Vec<u32>,
        global: Vec<u32>,
        queue: BTreeSet<(Time, u8, u32, u32, u32)>,
        /// Efficacies of short-term plasticity: `(time, source, model, bits)`.
        eff: Vec<(Time, u32, u16, u64)>,
        /// Classes: `(time, neuron, class)`.
        codes: Vec<(Time, u32, u32)>,
    }

    /// The network split over `owner.len()`-shard placement `owner` (one shard: whole).
    fn parts(owner: &[u16]) -> Vec<Part> {
        let model = crate::model::Model::parse(MODEL, std::path::Path::new("t.toml")).unwrap();
        let net = crate::model::build::build(&model, None, None).unwrap();
        let bp = net.blueprint;
        let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
        let offsets = bp.offsets();
        let shards = *owner.iter().max().unwrap() as usize + 1;
        let part = Partition::from_owner(&sizes, owner.to_vec(), shards);
        let csrs = bp.csr.split(&offsets, &part.owner, &part.local, shards);
        let pieces = part.parts(&sizes);
        csrs.into_iter()
            .enumerate()
            .map(|(s, csr)| {
                let (mut offs, mut global) = (vec![0u32], Vec::new());
                for (p, piece) in pieces.iter().enumerate() {
                    global.extend(piece[s].iter().map(|&k| offsets[p] + k));
                    offs.push(global.len() as u32);
                }
                let p = Plasticity::new(bp.burst_detector, &bp.plastic, &csr, &offs, &global);
                Part {
                    p,
                    csr,
                    offsets: offs,
                    global,
                    queue: BTreeSet::new(),
                    eff: Vec::new(),
                    codes: Vec::new(),
                }
            })
            .collect()
    }

    impl Part {
        fn row(&self, n: u32) -> std::ops::Range<usize> {
            self.csr.row_groups[n as usize] as usize..self.csr.row_groups[n as usize + 1] as usize
        }

        /// Queues the spikes this part emits or receives.
        fn feed(&mut self, spikes: &[(Time, u32)]) {
            for &(t, n) in spikes {
                if self.global.binary_search(&n).is_ok() || !self.row(n).is_empty() {
                    self.queue.insert((t, 1, n, 0, 0));
                }
            }
        }

        /// Processes every queued entry before `stop`.
        fn run_until(&mut self, stop: Time) {
            while let Some(&e) = self.queue.first() {
                if e.0 >= stop {
                    break;
                }
                self.queue.pop_first();
                let (t, kind, n, code, g) = e;
                if kind == 1 {
                    let code = if self.p.is_idle() {
                        UNCLASSIFIED
                    } else {
                        self.p.classify(n, t)
                    };
                    self.codes.push((t, n, code));
                    if let Ok(l) = self.global.binary_search(&n) {
                        let pop = self.offsets.partition_point(|&o| o <= l as u32) - 1;
                        if self.p.is_target(pop) {
                            let local = l as u32 - self.offsets[pop];
                            self.p.on_post(&mut self.csr, pop, local, t, code);
                        }
                    }
                    for g in self.row(n) {
                        let d = self.csr.group_delay[g];
                        self.queue.insert((t + d, 0, n, code, g as u32));
                    }
                } else {
                    let g = g as usize;
                    let ty = self.csr.types[self.csr.group_type[g] as usize];
                    let passed = ty.transmit.passes(code);
                    if passed && let Some(k) = ty.stp {
                        let eff = self.p.stp_spike(k, n, t);
                        self.eff.push((t, n, k, eff.to_bits()));
                    }
                    if let Some(q) = ty.plastic {
                        self.p.on_deliver(&mut self.csr, q, g, n, t, code, passed);
                    }
                }
            }
        }

        /// Spikes in flight: `(emission time, neuron, class)`.
        fn in_flight(&self) -> Vec<(Time, u32, u32)> {
            self.queue
                .iter()
                .filter(|e| e.1 == 0)
                .map(|e| (e.0 - self.csr.group_delay[e.4 as usize], e.2, e.3))
                .collect()
        }

        /// Queues the deliveries at or after `from` of spikes in flight.
        fn resume(&mut self, flight: &[(Time, u32, u32)], from: Time) {
            for &(t, n, code) in flight {
                for g in self.row(n) {
                    let d = self.csr.group_delay[g];
                    if t + d >= from {
                        self.queue.insert((t + d, 0, n, code, g as u32));
                    }
                }
            }
        }

        fn save(&self) -> PlasticState {
            self.p.save(&self.csr, &self.offsets, &self.global).unwrap()
        }

        fn load(&mut self, st: &PlasticState) -> Result<(), StateError> {
            self.p.load(&mut self.csr, &self.offsets, &self.global, st)
        }
    }

    /// Bursty trains of every neuron, sorted by time, then neuron.
    fn spikes() -> Vec<(Time, u32)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut out = BTreeSet::new();
        for n in 0..N {
            let mut t = 0.0;
            loop {
                t += -(1.0 - rng.random::<f64>()).ln() * 25.0;
                if t >= END_MS {
                    break;
                }
                out.insert((ms((t * 10.0).round() / 10.0), n));
                let mut b = t;
                while rng.random::<f64>() < 0.45 {
                    b += 2.0 + 6.0 * rng.random::<f64>();
                    out.insert((ms((b * 10.0).round() / 10.0), n));
                }
                t = b;
            }
        }
        out.into_iter().collect()
    }

    /// Runs `parts` from `from` to `to` through the switches.
    fn drive(parts: &mut [Part], from: Time, to: Time) {
        let mut at = from;
        for (when, q, on) in [(Time::ZERO, 2, true), (ms(SWITCH_MS), 0, false)] {
            if when >= at && when < to {
                for p in parts.iter_mut() {
                    p.run_until(when);
                    p.p.set_plastic(q, on);
                }
                at = when;
            }
        }
        for p in parts.iter_mut() {
            p.run_until(to);
        }
    }

    /// What a run ends with: per projection its weights as `(target, source, bits)` (by
    /// target, then store order), Ē and B̄ as bits by target; efficacies and classes, each
    /// once.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        weights: Vec<Vec<(u32, u32, u32)>>,
        rates: Vec<Vec<(u32, u64, u64)>>,
        eff: Vec<(Time, u32, u16, u64)>,
        codes: Vec<(Time, u32, u32)>,
    }

    fn outcome(parts: &[Part]) -> Outcome {
        let end = ms(END_MS);
        let n_rules = parts[0].p.n_rules();
        let mut weights = vec![Vec::new(); n_rules];
        let mut rates = vec![Vec::new(); n_rules];
        let (mut eff, mut codes) = (Vec::new(), Vec::new());
        for part in parts {
            for q in 0..n_rules {
                let base = part.offsets[part.p.target(q)];
                for (src, i, w) in part.p.weights(&part.csr, q) {
                    weights[q].push((part.global[(base + i) as usize], src, w.to_bits()));
                }
                let n_post = part.offsets[part.p.target(q) + 1] - base;
                for i in 0..n_post {
                    rates[q].push((
                        part.global[(base + i) as usize],
                        part.p.event_rate_hz(q, i, end).to_bits(),
                        part.p.burst_rate_hz(q, i, end).to_bits(),
                    ));
                }
            }
            eff.extend_from_slice(&part.eff);
            codes.extend(part.codes.iter().filter(|c| c.2 != UNCLASSIFIED));
        }
        for w in &mut weights {
            w.sort_by_key(|s| s.0);
        }
        for r in &mut rates {
            r.sort_unstable();
        }
        eff.sort_unstable();
        eff.dedup();
        codes.sort_unstable();
        codes.dedup();
        Outcome {
            weights,
            rates,
            eff,
            codes,
        }
    }

    /// A run on placement `before` cut at `cut` ms, saved, loaded into a fresh network on
    /// placement `after` and run to the end.
    fn resumed(before: &[u16], cut: f64, after: &[u16]) -> Outcome {
        let (all, cut) = (spikes(), ms(cut));
        let mut a = parts(before);
        for p in &mut a {
            p.feed(&all);
        }
        drive(&mut a, Time::ZERO, cut);
        let mut st = PlasticState::default();
        let mut flight = Vec::new();
        for p in &a {
            st.union(&p.save()).unwrap();
            flight.extend(p.in_flight());
        }
        flight.sort_unstable();
        flight.dedup();
        let rest: Vec<_> = all.iter().copied().filter(|s| s.0 >= cut).collect();
        let mut b = parts(after);
        for p in &mut b {
            p.load(&st).unwrap();
            p.resume(&flight, cut);
            p.feed(&rest);
        }
        drive(&mut b, cut, ms(END_MS));
        // Every shard's copy of the codes before the cut came from the first run.
        let mut out = outcome(&b);
        let before = outcome(&a);
        out.eff.extend(before.eff);
        out.eff.sort_unstable();
        out.eff.dedup();
        out.codes.extend(before.codes);
        out.codes.sort_unstable();
        out.codes.dedup();
        out
    }

    fn straight(owner: &[u16]) -> Outcome {
        let mut a = parts(owner);
        for p in &mut a {
            p.feed(&spikes());
        }
        drive(&mut a, Time::ZERO, ms(END_MS));
        outcome(&a)
    }

    const WHOLE: [u16; N as usize] = [0; N as usize];
    const TWO: [u16; N as usize] = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0];
    const THREE: [u16; N as usize] = [2, 0, 1, 1, 2, 0, 0, 1, 2, 2];

    #[test]
    fn the_test_network_learns_and_splits_exactly() {
        let one = straight(&WHOLE);
        // Weights moved, rates and both kinds of efficacy and class are there.
        let model = parts(&WHOLE);
        for (q, w) in one.weights.iter().enumerate() {
            let start = model[0].p.weights(&model[0].csr, q);
            assert_eq!(w.len(), start.len());
            assert!(
                w.iter().zip(&start).any(|(a, b)| a.2 != b.2.to_bits()),
                "projection {q} learns"
            );
        }
        assert!(one.weights[0].len() == 18, "multapses: 6 per target");
        assert!(one.rates[0].iter().all(|r| f64::from_bits(r.1) > 0.0));
        assert!(one.eff.iter().any(|e| e.2 == 0) && one.eff.iter().any(|e| e.2 == 1));
        for c in [EVENT, BURST, IGNORED] {
            assert!(one.codes.iter().any(|x| x.2 == c), "class {c}");
        }
        assert!(straight(&TWO) == one, "two shards");
        assert!(straight(&THREE) == one, "three shards");
    }

    #[test]
    fn a_cut_run_resumes_bit_for_bit_on_any_split() {
        let one = straight(&WHOLE);
        for cut in [0.0, 123.4, 201.7, 377.0] {
            for (before, after) in [
                (&WHOLE, &WHOLE),
                (&TWO, &WHOLE),
                (&WHOLE, &TWO),
                (&TWO, &THREE),
                (&THREE, &TWO),
            ] {
                let got = resumed(before, cut, after);
                let at = format!("cut at {cut} ms, {before:?} → {after:?}");
                assert!(got.weights == one.weights, "weights, {at}");
                assert!(got.rates == one.rates, "rates, {at}");
                assert!(got.eff == one.eff, "short-term efficacies, {at}");
                assert!(got.codes == one.codes, "classes, {at}");
            }
        }
    }

    #[test]
    fn a_shard_writes_only_what_it_keeps_up_to_date() {
        let mut a = parts(&TWO);
        for p in &mut a {
            p.feed(&spikes());
        }
        drive(&mut a, Time::ZERO, ms(200.0));
        let (s0, s1) = (a[0].save(), a[1].save());
        // Shard 1 owns a's neurons 4 and 6 and b's 7; shard 0 owns 5, 8 and 9.
        let keys = |st: &PlasticState, t: &str| st.tables[t].keys.clone();
        assert_eq!(keys(&s1, &names::post(0)), vec![4, 6]);
        assert_eq!(keys(&s0, &names::post(1)), vec![8, 9]);
        // b's neurons project onto a (burst-only) in both shards, so both classify them;
        // a projects with short-term plasticity only onto b.
        assert_eq!(keys(&s1, &names::stp(0)), vec![4, 5, 6]);
        assert_eq!(keys(&s0, &names::stp(0)), vec![4, 5, 6]);
        for (k, st) in [&s0, &s1].iter().enumerate() {
            for (name, t) in &st.tables {
                for (r, &key) in t.keys.iter().enumerate() {
                    let other = [&s1, &s0][k];
                    // Where both have a row, the copies agree.
                    if let Some(o) = other.tables[name].row_of(key) {
                        let one = t.pick(&[r as u32]);
                        let mut two = other.tables[name].pick(&[o as u32]);
                        two.keys = one.keys.clone();
                        assert_eq!(one, two, "{name} key {key}");
                    }
                }
            }
        }
    }

    #[test]
    fn switches_are_saved() {
        let mut a = parts(&WHOLE);
        drive(&mut a, Time::ZERO, ms(SWITCH_MS + 1.0));
        let st = a[0].save();
        let mut b = parts(&WHOLE);
        assert!(b[0].p.rules[0].rule_is_plastic() && !b[0].p.rules[2].rule_is_plastic());
        b[0].load(&st).unwrap();
        assert!(!b[0].p.rules[0].rule_is_plastic() && b[0].p.rules[2].rule_is_plastic());
    }

    impl RuleState {
        fn rule_is_plastic(&self) -> bool {
            match &self.rule {
                Learner::Bdsp(b) => b.is_plastic(),
                Learner::Stdp(s) => s.is_plastic(),
            }
        }
    }

    #[test]
    fn a_bad_checkpoint_is_an_error_naming_the_table() {
        let mut a = parts(&WHOLE);
        for p in &mut a {
            p.feed(&spikes());
        }
        drive(&mut a, Time::ZERO, ms(100.0));
        let good = a[0].save();
        let fails = |f: &dyn Fn(&mut PlasticState), want: &str| {
            let mut st = good.clone();
            f(&mut st);
            let err = parts(&WHOLE)[0].load(&st).expect_err(want);
            assert!(err.column.starts_with(want), "{want}: {err}");
        };
        fails(&|st| drop(st.tables.remove("detectors")), "detectors");
        fails(
            &|st| drop(st.tables.remove(&names::weights(1))),
            "rule1_weights",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(&names::stp(1)).unwrap();
                t.put("x", 1, vec![0u32; t.rows]);
            },
            "stp1/x",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(&names::pre(0)).unwrap();
                t.keys.reverse();
            },
            "rule0_pre/keys",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(&names::post(1)).unwrap();
                *t = t.pick(&[0]);
            },
            "rule1_post/keys",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(&names::weights(0)).unwrap();
                let mut src = t.get::<u32>("source", 1).unwrap().to_vec();
                src[0] += 1;
                t.put("source", 1, src);
            },
            "rule0_weights/source",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(names::RULES).unwrap();
                t.put("rule", 1, vec![1u8; t.rows]);
            },
            "rules/rule",
        );
        fails(
            &|st| {
                let t = st.tables.get_mut(names::DETECTORS).unwrap();
                t.put("tagged", 1, vec![7u8; t.rows]);
            },
            "detectors/tagged",
        );
        // An untouched copy loads.
        parts(&WHOLE)[0].load(&good).unwrap();
    }
}

//! A simulation's whole dynamic state at the time reached, in terms that do not depend on
//! its split into shards: saved from one [`Simulation`] or every shard of a
//! [`super::shard::ShardedSimulation`], loaded into a simulation built from the same model
//! with any number of shards.
//!
//! What is saved:
//! - every population's state ([`crate::neuron::Population::save`]): per-neuron rows mapped to
//!   the whole population's order, shared rows merged;
//! - classification and plasticity ([`super::plastic::PlasticState`]);
//! - spikes in flight: every spike with a delivery still queued, as `(time, neuron, class)`.
//!   Loading schedules each again over the loading shard's row, for the deliveries at or after
//!   the time reached, so a spike reaches exactly the synapses it had not reached yet;
//! - the engine's own entries (step-current changes, probe samples);
//! - the counters.
//!
//! What populations schedule themselves (grid steps, sweeps, Poisson arrivals, listed
//! spikes) is not saved as queue entries: a population schedules it again from its state
//! when it loads.

use super::plastic::PlasticState;
use super::queue::{Entry, Kind, make_scheduler};
use super::state::{PopState, StateError, Table};
use super::{Simulation, Stats};
use crate::neuron::Population;
use crate::time::Time;

/// The state of a whole simulation; see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineState {
    /// The time reached: everything before it was processed, nothing at or after it.
    pub now: Time,
    /// Per population (global order), its size.
    pub sizes: Vec<u32>,
    /// Per population, its state over all its neurons.
    pub pops: Vec<PopState>,
    /// Classification and plasticity.
    pub plastic: PlasticState,
    /// Spikes in flight: `(emission time, global neuron, class code)`, sorted, unique.
    pub spikes: Vec<(Time, u32, u32)>,
    /// The engine's own queued entries (stimulus changes, samples), sorted, unique.
    pub entries: Vec<Entry>,
    /// Counters of the whole run so far.
    pub stats: Stats,
}

/// One shard's part of an [`EngineState`], before gathering.
pub(crate) struct ShardState {
    global: Vec<u32>,
    offsets: Vec<u32>,
    pops: Vec<PopState>,
    plastic: PlasticState,
    spikes: Vec<(Time, u32, u32)>,
    entries: Vec<Entry>,
    stats: Stats,
    now: Time,
}

impl Simulation {
    /// This simulation's (shard's) part of the state at the time reached.
    pub(crate) fn save_part(&mut self) -> Result<ShardState, StateError> {
        debug_assert!(self.spikes.is_empty() && self.dirty.is_empty());
        if !self.started {
            let mut rec = super::NullRecorder;
            self.start(&mut rec);
        }
        let now = self.now;
        let mut pops = Vec::with_capacity(self.pops.len());
        for (p, pop) in self.pops.iter().enumerate() {
            let mut st = PopState::new(pop.len());
            pop.save(now, &mut st).map_err(|e| StateError {
                column: format!("populations/{p}/{}", e.column),
                message: e.message,
            })?;
            pops.push(st);
        }
        // The queue: read out, rebuilt (a scheduler takes no entry earlier than its last pop).
        let entries = self.queue.drain();
        self.queue = make_scheduler(self.scheduler, self.window, self.max_delay);
        let mut spikes = Vec::new();
        let mut own = Vec::new();
        for &e in &entries {
            self.queue.push(e);
            match e.kind() {
                Kind::Deliver => {
                    let row = e.a() as usize;
                    let g = (self.csr.row_groups[row] + (e.b() >> 2)) as usize;
                    spikes.push((e.time - self.csr.group_delay[g], e.a(), e.b() & 3));
                }
                Kind::Stimulus | Kind::Sample => own.push(e),
                _ => {}
            }
        }
        spikes.sort_unstable();
        spikes.dedup();
        let plastic = self
            .plasticity
            .save(&self.csr, &self.offsets, &self.global)?;
        Ok(ShardState {
            global: self.global.clone(),
            offsets: self.offsets.clone(),
            pops,
            plastic,
            spikes,
            entries: own,
            stats: self.stats.clone(),
            now,
        })
    }

    /// The state of this (unsharded) simulation at the time reached.
    pub fn save(&mut self) -> Result<EngineState, StateError> {
        let part = self.save_part()?;
        EngineState::gather(vec![part])
    }

    /// Loads `st` into this simulation (or shard), freshly built from the model `st` was
    /// saved from, instead of starting it. `stats` says whether the counters go here (one
    /// shard of a sharded simulation takes them).
    pub(crate) fn load_part(&mut self, st: &EngineState, stats: bool) -> Result<(), StateError> {
        let mismatch = |message: String| StateError {
            column: "populations".into(),
            message,
        };
        if st.sizes.len() != self.pops.len() || st.pops.len() != self.pops.len() {
            return Err(mismatch(format!(
                "{} population sizes and {} population states saved, the model has {} \
                 populations",
                st.sizes.len(),
                st.pops.len(),
                self.pops.len()
            )));
        }
        // Every table whole before any is read.
        let whole = |table: String, t: &Table| {
            t.check().map_err(|e| StateError {
                column: format!("{table}/{}", e.column),
                message: e.message,
            })
        };
        for (p, pop) in st.pops.iter().enumerate() {
            whole(format!("populations/{p}/neurons"), &pop.neurons)?;
            whole(format!("populations/{p}/shared"), &pop.shared)?;
        }
        for (name, t) in &st.plastic.tables {
            whole(format!("plasticity/{name}"), t)?;
        }
        self.check_in_flight(st)?;
        let t = st.now;
        self.started = true;
        self.now = t;
        // Global offset of every population.
        let mut goff = vec![0u32; st.sizes.len() + 1];
        for (p, &n) in st.sizes.iter().enumerate() {
            goff[p + 1] = goff[p] + n;
        }
        // `p` indexes the populations, their offsets and the saved state alike.
        #[allow(clippy::needless_range_loop)]
        for p in 0..self.pops.len() {
            let (a, b) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
            let idx: Vec<u32> = self.global[a..b]
                .iter()
                .map(|&g| g.checked_sub(goff[p]).unwrap_or(u32::MAX))
                .collect();
            if idx.iter().any(|&i| i >= st.sizes[p]) {
                return Err(mismatch(format!(
                    "population {p} has {} neurons saved, fewer than the model's",
                    st.sizes[p]
                )));
            }
            let saved = &st.pops[p];
            let part = PopState {
                neurons: saved.neurons.pick(&idx),
                shared: saved.shared.clone(),
            };
            let mut rec = super::NullRecorder;
            self.with_pop(p, &mut rec, |pop: &mut dyn Population, ctx, _| {
                pop.load(t, &part, ctx)
            })
            .map_err(|e| StateError {
                column: format!("populations/{p}/{}", e.column),
                message: e.message,
            })?;
        }
        {
            let csr = std::sync::Arc::make_mut(&mut self.csr);
            self.plasticity
                .load(csr, &self.offsets, &self.global, &st.plastic)?;
        }
        for &(s, n, code) in &st.spikes {
            self.schedule_row_from(s, n, code, t);
        }
        for &e in &st.entries {
            self.queue.push(e);
        }
        if stats {
            self.stats = st.stats.clone();
        }
        Ok(())
    }

    /// Checks that `st`'s spikes in flight and queued entries fit this network: spikes of
    /// known neurons, emitted before the time reached, of a known class; entries of step
    /// currents and probes the network has, not before the time reached.
    fn check_in_flight(&self, st: &EngineState) -> Result<(), StateError> {
        let neurons = self.csr.row_groups.len().saturating_sub(1);
        for &(t, n, code) in &st.spikes {
            let bad = if n as usize >= neurons {
                Some(format!("neuron {n}, the network has {neurons}"))
            } else if t > st.now {
                Some(format!(
                    "emitted at {} ms, after the time reached ({} ms)",
                    t.as_ms(),
                    st.now.as_ms()
                ))
            } else if code > 3 {
                Some(format!("spike class {code} (0 to 3)"))
            } else {
                None
            };
            if let Some(m) = bad {
                return Err(StateError {
                    column: "engine/spikes".into(),
                    message: format!("a spike in flight of {m}"),
                });
            }
        }
        for e in &st.entries {
            let (k, b) = (e.a() as usize, e.b() as usize);
            let bad = match e.kind() {
                _ if e.time < st.now => Some(format!(
                    "at {} ms, before the time reached ({} ms)",
                    e.time.as_ms(),
                    st.now.as_ms()
                )),
                Kind::Stimulus => match self.currents.get(k) {
                    None => Some(format!(
                        "of step current {k}, the network has {}",
                        self.currents.len()
                    )),
                    Some(c) if c.sine.is_none() && b >= c.amplitudes.len() => Some(format!(
                        "of segment {b} of step current {k}, which has {}",
                        c.amplitudes.len()
                    )),
                    Some(_) => None,
                },
                Kind::Sample if k >= self.probes.len() => Some(format!(
                    "of probe {k}, the network has {}",
                    self.probes.len()
                )),
                Kind::Sample => None,
                other => Some(format!(
                    "of kind {other:?} (only step currents and samples)"
                )),
            };
            if let Some(m) = bad {
                return Err(StateError {
                    column: "engine/entries".into(),
                    message: format!("a queued entry {m}"),
                });
            }
        }
        Ok(())
    }

    /// Builds a simulation from `bp` (the model `st` was saved from) and loads `st`.
    pub fn load(bp: super::Blueprint, st: &EngineState) -> Result<Simulation, StateError> {
        let mut sim = Simulation::new(bp);
        sim.load_part(st, true)?;
        Ok(sim)
    }

    /// Schedules the deliveries of a spike of `n` at `t` of class `code` that fall at or
    /// after `from` (a spike in flight at a checkpoint).
    fn schedule_row_from(&mut self, t: Time, n: u32, code: u32, from: Time) {
        let (g0, g1) = (
            self.csr.row_groups[n as usize],
            self.csr.row_groups[n as usize + 1],
        );
        let mut last = Time::NEVER;
        for g in g0..g1 {
            let d = self.csr.group_delay[g as usize];
            if d != last {
                if t + d >= from {
                    self.queue
                        .push(Entry::new(t + d, Kind::Deliver, n, ((g - g0) << 2) | code));
                }
                last = d;
            }
        }
    }
}

impl EngineState {
    /// Gathers the parts saved by every shard of one simulation.
    pub(crate) fn gather(parts: Vec<ShardState>) -> Result<EngineState, StateError> {
        let first = parts.first().ok_or_else(|| StateError {
            column: String::new(),
            message: "no shard".into(),
        })?;
        let n_pops = first.pops.len();
        let now = first.now;
        // Population sizes and global offsets: every neuron is in one shard.
        let mut sizes = vec![0u32; n_pops];
        for part in &parts {
            for (p, size) in sizes.iter_mut().enumerate() {
                *size += part.offsets[p + 1] - part.offsets[p];
            }
        }
        let mut goff = vec![0u32; n_pops + 1];
        for p in 0..n_pops {
            goff[p + 1] = goff[p] + sizes[p];
        }
        let mut pops: Vec<PopState> = sizes.iter().map(|&n| PopState::new(n as usize)).collect();
        let mut plastic = PlasticState::default();
        let mut spikes = Vec::new();
        let mut entries = Vec::new();
        let mut stats = Stats::default();
        for part in &parts {
            for (p, st) in part.pops.iter().enumerate() {
                let (a, b) = (part.offsets[p] as usize, part.offsets[p + 1] as usize);
                let at: Vec<u32> = part.global[a..b].iter().map(|&g| g - goff[p]).collect();
                pops[p].neurons.scatter(&st.neurons, &at)?;
                pops[p].shared.union(&st.shared)?;
            }
            plastic.union(&part.plastic)?;
            spikes.extend_from_slice(&part.spikes);
            entries.extend_from_slice(&part.entries);
            stats.add(&part.stats);
        }
        // A spike is in flight in every shard with synapses of its neuron, classified where
        // the shard keeps a detector for it and unclassified (code 0) elsewhere: one spike,
        // with its class (every detector of a neuron agrees). Loading resends it once.
        spikes.sort_unstable();
        let mut merged: Vec<(Time, u32, u32)> = Vec::with_capacity(spikes.len());
        for s in spikes {
            match merged.last_mut() {
                Some(m) if (m.0, m.1) == (s.0, s.1) => m.2 = m.2.max(s.2),
                _ => merged.push(s),
            }
        }
        let spikes = merged;
        entries.sort_unstable();
        entries.dedup();
        Ok(EngineState {
            now,
            sizes,
            pops,
            plastic,
            spikes,
            entries,
            stats,
        })
    }
}

/// A table of the spikes in flight (columns `time`, `neuron`, `class`), for files.
pub(crate) fn spikes_table(spikes: &[(Time, u32, u32)]) -> Table {
    let mut t = Table::with_rows(spikes.len());
    t.put(
        "time",
        1,
        spikes.iter().map(|s| s.0.0).collect::<Vec<u64>>(),
    );
    t.put(
        "neuron",
        1,
        spikes.iter().map(|s| s.1).collect::<Vec<u32>>(),
    );
    t.put("class", 1, spikes.iter().map(|s| s.2).collect::<Vec<u32>>());
    t
}

/// The spikes of a table made by [`spikes_table`].
pub(crate) fn spikes_of(t: &Table) -> Result<Vec<(Time, u32, u32)>, StateError> {
    let (time, neuron, class) = (
        t.get::<u64>("time", 1)?,
        t.get::<u32>("neuron", 1)?,
        t.get::<u32>("class", 1)?,
    );
    Ok((0..t.rows)
        .map(|k| (Time(time[k]), neuron[k], class[k]))
        .collect())
}

//! Cells stepped together on the grid of `simulation.resolution` (0.1 ms in the BDSP models)
//! as one engine population: [`GridPopulation`] wraps any [`GridCells`], the two-compartment
//! bursting neuron ([`super::burst2c_grid`]) and the AdEx interneurons
//! ([`super::adex_grid`]). Each of those modules documents its ports and currents.
//!
//! # Order within the step at `t`
//!
//! Spikes delivered at `t` enter the conductances before the step at `t` (queue order: grid
//! steps come after deliveries at a tick), so a spike emitted at `t − h` with the smallest
//! delay `h` acts from the step at `t` on — exactly as Auryn's connections without delay,
//! which add to the conductances after the step that emitted the spike. Then the cells take
//! their step ([`GridCells::step`]) and emit their spikes at `t` (in the order the cells
//! report them), and this step's Poisson arrivals (those in `(t − h, t]`) are added to the
//! conductances (Auryn's Poisson groups are propagated after the neuron update too).
//!
//! # Poisson input
//!
//! Poisson sources are drawn per block of neurons and step ([`super::background`]): one
//! count per block, one uniformly drawn neuron per arrival. Listed arrivals (`spike_times`
//! stimuli) come on port 0, per neuron, from the population's [`Drive`].
//!
//! # Checkpoints
//!
//! A population saved at `t` has taken every step before `t`; its state is the cells' columns
//! ([`GridCells::save`], with the step counter), the listed arrivals consumed (the drive's
//! columns) and the background blocks' streams (shared rows). Loading restores them and
//! schedules the step the running population had pending: the first step at or after `t` on
//! the grid `k·h`, `k ≥ 1` (the engine starts every population at time 0).

use super::background::Background;
use super::drive::Drive;
use super::{Ctx, Population, StateVar};
use crate::engine::Weights;
use crate::engine::queue::{Entry, Kind};
use crate::engine::state::{Element, PopState, StateError, Table, Values};
use crate::time::Time;

/// A block of cells advanced together by a fixed step, with conductance inputs on ports.
pub trait GridCells: Send + Sized + 'static {
    /// A spike as [`GridCells::step`] reports it.
    type Spike: Copy + Send + 'static;
    /// An input port decoded once per delivery (see [`GridCells::input`]).
    type Input: Copy;
    /// Number of cells.
    fn len(&self) -> usize;
    /// True if there are no cells.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The cells' integration step (ms), which must be the grid step.
    fn dt_ms(&self) -> f64;
    /// Advances every cell by one step, appending this step's spikes to `spikes`.
    fn step(&mut self, spikes: &mut Vec<Self::Spike>);
    /// The local index of the neuron that emitted `spike`.
    fn neuron(spike: Self::Spike) -> u32;
    /// The input of synapses and Poisson sources on port `port`.
    fn input(port: u8) -> Self::Input;
    /// Adds conductance `w` to cell `i` through `input`.
    fn add_input(&mut self, i: u32, input: Self::Input, w: f64);
    /// Adds conductance `w` through `input` to each of `cells` in turn (a cell listed twice
    /// gets it twice): what [`GridCells::add_input`] does cell by cell, which cells may do
    /// with the input's column found once.
    fn add_inputs(&mut self, cells: &[u32], input: Self::Input, w: f64) {
        for &i in cells {
            self.add_input(i, input, w);
        }
    }
    /// Sets the constant current (pA) into compartment `port` of cell `i`.
    fn set_current_port(&mut self, i: u32, port: u8, pa: f64);
    /// State variable `var` of cell `i`, `None` if the cells have no such variable.
    fn sample(&self, i: u32, var: StateVar) -> Option<f64>;
    /// The cells `idx` (local indices, ascending) with their parameters, state and streams.
    fn subset(&self, idx: &[u32]) -> Self;
    /// Steps taken so far.
    fn steps(&self) -> u64;
    /// Writes the cells' dynamic state, one row per cell: every variable that changes while
    /// running (currents included), the random streams and the step counter (column
    /// `steps`, the same in every row).
    fn save(&self, neurons: &mut Table);
    /// Loads what [`GridCells::save`] wrote (a row per cell of this part) into cells built
    /// from the same model. Changes nothing on error.
    fn load(&mut self, neurons: &Table) -> Result<(), StateError>;
}

/// Column `name` of `neurons`, one value per row, as a vector of `n` values (the cells'
/// number).
pub(super) fn column<T: Element>(
    neurons: &Table,
    name: &str,
    n: usize,
) -> Result<Vec<T>, StateError> {
    let v = neurons.get::<T>(name, 1)?;
    if v.len() != n {
        return Err(StateError {
            column: name.into(),
            message: format!("{} rows for {n} neurons", v.len()),
        });
    }
    Ok(v.to_vec())
}

/// The step counter of cells from column `steps` (equal in every row; `None` without rows).
pub(super) fn steps_column(neurons: &Table, n: usize) -> Result<Option<u64>, StateError> {
    let v: Vec<u64> = column(neurons, STEPS, n)?;
    match v.split_first() {
        Some((&s, rest)) if rest.iter().any(|&x| x != s) => Err(StateError {
            column: STEPS.into(),
            message: "neurons of one population at different steps".into(),
        }),
        first => Ok(first.map(|(&s, _)| s)),
    }
}

/// The column of the step counter.
pub(super) const STEPS: &str = "steps";

/// A population of cells `C` on a grid.
pub struct GridPopulation<C: GridCells> {
    cells: C,
    h: Time,
    /// Listed arrivals (neurons with a list have no Poisson sources).
    drive: Option<Drive>,
    /// The neurons with listed input (local indices, ascending).
    driven: Vec<u32>,
    /// Poisson input.
    background: Background,
    /// This step's spikes, reused across steps.
    spikes: Vec<C::Spike>,
    /// The time of the last step if its inputs (Poisson background, listed arrivals) are
    /// still to be added: [`GridPopulation::settle_inputs`].
    pending: Option<Time>,
}

impl<C: GridCells> GridPopulation<C> {
    /// The neurons `cells`, stepped every `h_ms` (the cells' `dt_ms`), with Poisson drive
    /// `drive` (sources on ports, see the cells' module docs).
    pub fn new(cells: C, h_ms: f64, drive: Option<Drive>) -> GridPopulation<C> {
        debug_assert!(
            (cells.dt_ms() - h_ms).abs() <= 1e-12 * h_ms,
            "the grid step is the cells' integration step"
        );
        let background = drive
            .as_ref()
            .map(|d| Background::new(d, h_ms))
            .unwrap_or_default();
        // The background draws the Poisson sources; the drive is left with listed arrivals.
        let drive = drive
            .filter(|d| (0..d.len()).any(|i| d.has_list(i)))
            .map(|mut d| {
                d.start_exact(Time::ZERO);
                d
            });
        GridPopulation::with_drive(
            cells,
            Time::from_ms(h_ms).expect("resolution validated"),
            drive,
            background,
        )
    }

    /// The population of `cells` stepped every `h` with `drive` (already started) and
    /// `background`.
    fn with_drive(
        cells: C,
        h: Time,
        drive: Option<Drive>,
        background: Background,
    ) -> GridPopulation<C> {
        let driven: Vec<u32> = drive
            .as_ref()
            .map(|d| {
                (0..d.len() as u32)
                    .filter(|&i| d.has_list(i as usize))
                    .collect()
            })
            .unwrap_or_default();
        let drive = drive.filter(|_| !driven.is_empty());
        GridPopulation {
            cells,
            h,
            driven,
            drive,
            background,
            spikes: Vec::new(),
            pending: None,
        }
    }

    /// The cells (state read by tests and probes).
    pub fn cells(&self) -> &C {
        &self.cells
    }

    /// One step at `t`: the cells' step and their spikes. The step's inputs (arriving during
    /// it, effective from the next step) are left for [`GridPopulation::settle_inputs`].
    fn step(&mut self, t: Time, ctx: &mut Ctx) {
        self.settle_inputs();
        self.spikes.clear();
        self.cells.step(&mut self.spikes);
        for &s in &self.spikes {
            ctx.spikes.push((t, C::neuron(s)));
        }
        self.pending = Some(t);
    }

    /// Adds the inputs of the last step, if still pending: its Poisson arrivals, then its
    /// listed arrivals. Every other access to the cells' inputs (deliveries, the next step,
    /// samples, currents) calls it first, so the inputs are added in the same order as if
    /// they were added at the end of the step.
    ///
    /// **Why later:** drawing the background is a quarter of a step's work on
    /// `models/xor_bdsp.toml`, and no spike of the step depends on it. A shard sends its
    /// spikes first and draws while the others' spikes are on their way
    /// ([`Population::settle`]).
    fn settle_inputs(&mut self) {
        let Some(t) = self.pending.take() else {
            return;
        };
        let cells = &mut self.cells;
        self.background
            .step_blocks(|idx, s| cells.add_inputs(idx, C::input(s.port), s.weight));
        if let Some(d) = &mut self.drive {
            for &i in &self.driven {
                while d.next(i as usize) <= t {
                    let s = d.take_source(i as usize);
                    cells.add_input(i, C::input(s.port), s.weight);
                }
            }
        }
    }
}

impl<C: GridCells> GridPopulation<C> {
    /// The first step at or after `t` on the grid `k·h`, `k ≥ 1`, and the number of steps
    /// before it.
    fn next_step(&self, t: Time) -> (Time, u64) {
        let h = self.h.0.max(1);
        let k = t.0.div_ceil(h).max(1);
        (Time(k.saturating_mul(h)), k - 1)
    }

    /// Writes the drive's columns. Neurons without a list never take from the drive (their
    /// Poisson input is the background's), so their rows are zero, as the rows a part
    /// without a drive leaves: the state does not depend on the split.
    fn save_drive(&self, neurons: &mut Table) {
        let Some(d) = &self.drive else { return };
        let mut own = Table::with_rows(neurons.rows);
        d.save(&mut own);
        let mut listed = vec![false; neurons.rows];
        for &i in &self.driven {
            listed[i as usize] = true;
        }
        for (name, mut c) in own.cols {
            if let Values::U64(v) = &mut c.values {
                for (row, &keep) in v.chunks_mut(c.width.max(1)).zip(&listed) {
                    if !keep {
                        row.fill(0);
                    }
                }
            }
            neurons.cols.insert(name, c);
        }
    }
}

impl<C: GridCells> Population for GridPopulation<C> {
    fn len(&self) -> usize {
        self.cells.len()
    }
    fn start(&mut self, t: Time, ctx: &mut Ctx) {
        if !self.cells.is_empty() {
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn deliver(&mut self, t: Time, targets: &[u32], weights: Weights, ctx: &mut Ctx) {
        self.deliver_port(t, targets, weights, 0, ctx);
    }
    fn deliver_port(
        &mut self,
        _t: Time,
        targets: &[u32],
        weights: Weights,
        port: u8,
        _ctx: &mut Ctx,
    ) {
        self.settle_inputs();
        let input = C::input(port);
        let cells = &mut self.cells;
        weights.apply(targets, |i, w| {
            cells.add_input(i, input, f64::from(w));
            true
        });
    }
    fn end_tick(&mut self, _t: Time, _ctx: &mut Ctx) {}
    fn wake(&mut self, t: Time, kind: Kind, _local: u32, _b: u32, ctx: &mut Ctx) {
        if kind == Kind::GridStep {
            self.step(t, ctx);
            ctx.queue
                .push(Entry::new(t + self.h, Kind::GridStep, ctx.offset, 0));
        }
    }
    fn set_current(&mut self, t: Time, local: u32, i_e: f64, ctx: &mut Ctx) {
        self.set_current_port(t, local, 0, i_e, ctx);
    }
    fn set_current_port(&mut self, _t: Time, local: u32, port: u8, i_e: f64, _ctx: &mut Ctx) {
        self.settle_inputs();
        self.cells.set_current_port(local, port, i_e);
    }
    fn sample(&mut self, _t: Time, local: u32, var: StateVar, _ctx: &mut Ctx) -> Option<f64> {
        self.settle_inputs();
        self.cells.sample(local, var)
    }
    fn settle(&mut self) {
        self.settle_inputs();
    }
    fn needs_end_tick(&self) -> bool {
        false
    }
    fn contiguous(&self) -> bool {
        // Poisson input is drawn per block of neighbouring neurons.
        !self.background.is_empty()
    }
    fn split(self: Box<Self>, parts: &[Vec<u32>]) -> Vec<Box<dyn Population>> {
        parts
            .iter()
            .map(|idx| {
                let drive = self.drive.as_ref().map(|d| d.subset(idx));
                Box::new(GridPopulation::with_drive(
                    self.cells.subset(idx),
                    self.h,
                    drive,
                    self.background.subset(idx),
                )) as Box<dyn Population>
            })
            .collect()
    }
    fn save(&self, _t: Time, st: &mut PopState) -> Result<(), StateError> {
        debug_assert!(self.pending.is_none(), "saved between runs, inputs added");
        self.cells.save(&mut st.neurons);
        self.save_drive(&mut st.neurons);
        self.background.save(&mut st.shared);
        Ok(())
    }
    fn load(&mut self, t: Time, st: &PopState, ctx: &mut Ctx) -> Result<(), StateError> {
        if self.cells.is_empty() {
            // No neurons, no blocks, no drive, no steps.
            return Ok(());
        }
        let (next, before) = self.next_step(t);
        // Checked first, so that a checkpoint of another grid changes nothing.
        if let Some(s) = steps_column(&st.neurons, self.cells.len())?
            && s != before
        {
            return Err(StateError {
                column: STEPS.into(),
                message: format!(
                    "{s} steps taken by {t}, the grid of {} has {before} steps before it",
                    self.h
                ),
            });
        }
        self.cells.load(&st.neurons)?;
        self.pending = None;
        if let Some(d) = &mut self.drive {
            d.load(&st.neurons)?;
        }
        self.background.load(&st.shared)?;
        ctx.queue
            .push(Entry::new(next, Kind::GridStep, ctx.offset, 0));
        Ok(())
    }
}

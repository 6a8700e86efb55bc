//! The memory a model needs, estimated before its synapses are made, and the guard that
//! refuses a model that does not fit.
//!
//! A run's peak is the build's: every projection's synapse columns (pre, post, weight, delay:
//! 20 bytes a synapse, 23 with ports and synapse types) and their reordered copy exist
//! together while the synapse store is compiled (`engine::csr`); the store itself (4–16 bytes
//! a synapse), neuron state and queues stay below that. Measured on this machine's runs
//! (`hebb bench`, peak RSS): B4 (0.3 M synapses) 20.9 MB, Brunel (15.6 M) 620 MB, the
//! microcircuit at N = K = 0.1 (3.0 M) 142 MB and at full scale (302 M) 12.3 GB, a run with
//! one neuron 7.7 MB; the constants below reproduce them within 8 %. A run that writes an
//! output file adds HDF5's caches and the recorder's buffers as it goes ([`OUTPUT_BYTES`]).

use crate::connectome::{Column, Connectome};

/// The process before any model (binary, HDF5 library, allocator).
pub const BASE_BYTES: u64 = 7_700_000;
/// Reading HDF5 connectome files (the library's buffers and caches).
pub const HDF5_READ_BYTES: u64 = 4_000_000;
/// Per neuron: state, drive, queue and index arrays.
pub const NEURON_BYTES: u64 = 300;
/// Per synapse while building: the columns and their reordered copy.
pub const SYNAPSE_BUILD_BYTES: u64 = 2 * 20;
/// Per synapse, more with ports and synapse types.
pub const TYPED_EXTRA_BYTES: u64 = 2 * 3;
/// Per spike of a Poisson train drawn while building (`spike_source` with `rate`): its time,
/// and as much again for the list's growth.
pub const LISTED_SPIKE_BYTES: u64 = 2 * 8;
/// Writing an output file: HDF5's caches and the recorder's buffers, which fill as the file
/// grows (at most 32 MiB of it per opening: `record::H5Recorder`). Measured (peak RSS, one
/// thread, 2026-11-30): B4 for 300 s with its output 42.5 MiB, for 20 s without 20.1 MiB;
/// Brunel and the microcircuit for 20 s, 606 and 138 MiB with and without (their build's peak
/// is higher).
pub const OUTPUT_BYTES: u64 = 24 << 20;

/// An estimate of a model's peak memory.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Estimate {
    /// Neurons.
    pub neurons: u64,
    /// Synapses expected (for `pairwise_bernoulli` the mean plus 5 s.d., as reserved; for
    /// connectome rules every connection of the file).
    pub synapses: u64,
    /// Bytes of the connectome files held while building.
    pub connectome_bytes: u64,
    /// Spikes of Poisson trains drawn while building (expected number).
    pub listed_spikes: u64,
    /// Whether the run writes an output file ([`OUTPUT_BYTES`]).
    pub output: bool,
    /// Bytes at the peak.
    pub peak_bytes: u64,
}

impl Estimate {
    /// The estimate from counts; `typed` when some projection has ports or synapse types.
    pub fn of(neurons: u64, synapses: u64, typed: bool, connectome_bytes: u64) -> Estimate {
        let per_syn = SYNAPSE_BUILD_BYTES + if typed { TYPED_EXTRA_BYTES } else { 0 };
        Estimate {
            neurons,
            synapses,
            connectome_bytes,
            listed_spikes: 0,
            output: false,
            peak_bytes: BASE_BYTES
                + neurons * NEURON_BYTES
                + synapses * per_syn
                + if connectome_bytes > 0 {
                    connectome_bytes + HDF5_READ_BYTES
                } else {
                    0
                },
        }
    }

    /// The estimate with `spikes` spikes of Poisson trains drawn while building.
    pub fn with_listed_spikes(mut self, spikes: u64) -> Estimate {
        self.listed_spikes = spikes;
        self.peak_bytes = self
            .peak_bytes
            .saturating_add(spikes.saturating_mul(LISTED_SPIKE_BYTES));
        self
    }

    /// The estimate of a run that writes an output file.
    pub fn with_output(mut self) -> Estimate {
        if !self.output {
            self.output = true;
            self.peak_bytes = self.peak_bytes.saturating_add(OUTPUT_BYTES);
        }
        self
    }

    /// What the estimate counts: neurons, synapses, connectome data, Poisson trains and an
    /// output file.
    pub fn counts(&self) -> String {
        let mut s = format!("{} neurons, {} synapses", self.neurons, self.synapses);
        if self.connectome_bytes > 0 {
            s += &format!(", connectome data {}", human(self.connectome_bytes));
        }
        if self.listed_spikes > 0 {
            s += &format!(", {} spikes of Poisson trains", self.listed_spikes);
        }
        if self.output {
            s += &format!(", an output file {}", human(OUTPUT_BYTES));
        }
        s
    }

    /// One line for reports.
    pub fn render(&self) -> String {
        format!(
            "memory estimate (peak) {}: {}",
            human(self.peak_bytes),
            self.counts()
        )
    }
}

/// The guard's run-time half: the entries in flight (deliveries queued, spikes not yet
/// exchanged) a run may hold in the memory its network leaves, the spikes it may emit in the
/// time it is given (`--max-rate`), and the error that names the population whose spikes
/// outgrew them ([`crate::engine::Runaway`]). The estimate cannot foresee them: an exact
/// neuron with `t_ref = 0` under a drive far above threshold fires at almost every tick of
/// the clock, and its spikes fill any memory and any time.
#[derive(Clone, Debug)]
pub struct FlightGuard {
    /// Entries in flight the run may hold, on all threads together.
    pub entries: usize,
    /// Spikes a trial may emit, on all threads together (`u64::MAX`: no budget).
    pub spikes: u64,
    /// The memory limit and the network's estimate (bytes), if memory is guarded.
    memory: Option<(u64, u64)>,
    /// The mean rate (Hz) the spike budget allows, if there is one.
    max_rate_hz: Option<f64>,
    names: Vec<String>,
}

impl FlightGuard {
    /// The guard of a run of `net` under `limit` (none without one). The entries may take
    /// what the network's estimate leaves of the limit, and at least a quarter of the limit
    /// (a run holds less than the estimate, which is the build's peak),
    /// [`crate::engine::PENDING_ENTRY_BYTES`] each.
    pub fn new(limit: Option<u64>, net: &crate::model::build::Network) -> Option<FlightGuard> {
        let limit = limit?;
        let estimate = net.memory.peak_bytes;
        let room = limit.saturating_sub(estimate).max(limit / 4);
        Some(FlightGuard {
            entries: usize::try_from(room / crate::engine::PENDING_ENTRY_BYTES)
                .unwrap_or(usize::MAX),
            spikes: u64::MAX,
            memory: Some((limit, estimate)),
            max_rate_hz: None,
            names: net.populations.iter().map(|p| p.name.clone()).collect(),
        })
    }

    /// `guard` (made if `None`) with a spike budget: at most `max_rate_hz` per neuron of
    /// `net`, on average over a trial of `stop` (warm-up included); unchanged without a rate.
    /// Checked as the spikes go, the budget stops a runaway long before the trial's end.
    pub fn with_max_rate(
        guard: Option<FlightGuard>,
        max_rate_hz: Option<f64>,
        net: &crate::model::build::Network,
        stop: crate::time::Time,
    ) -> Option<FlightGuard> {
        let Some(rate) = max_rate_hz else {
            return guard;
        };
        let mut g = guard.unwrap_or_else(|| FlightGuard {
            entries: usize::MAX,
            spikes: u64::MAX,
            memory: None,
            max_rate_hz: None,
            names: net.populations.iter().map(|p| p.name.clone()).collect(),
        });
        let budget = rate * net.blueprint.n_neurons() as f64 * stop.as_ms() / 1000.0;
        // At least one spike; `as` saturates a budget beyond u64.
        g.spikes = (budget.ceil() as u64).max(1);
        g.max_rate_hz = Some(rate);
        Some(g)
    }

    /// The error of a run stopped by `runaway`.
    pub fn error(&self, runaway: &crate::engine::Runaway) -> crate::error::Error {
        let name = self
            .names
            .get(runaway.population.index())
            .map_or("?", String::as_str);
        const CAUSE: &str = "typically t_ref = 0 with a drive far above threshold (a current, \
            a rate of Poisson input, scaling's reference rates), or excitation that loops \
            without refractoriness. Give t_ref > 0 or weaken the drive";
        let message = match (runaway.cause, self.memory, self.max_rate_hz) {
            (crate::engine::RunawayCause::InFlight, Some((limit, estimate)), _) => format!(
                "at {:.9} ms its spikes took the deliveries in flight past {} entries, the most \
                the memory left beside the network allows ({} available, the network estimated \
                at {}); the run was stopped. Its neurons fire at almost every tick of the clock: \
                {CAUSE} (--no-memory-check lifts the limit)",
                runaway.at.as_ms(),
                self.entries,
                human(limit),
                human(estimate),
            ),
            (_, _, Some(rate)) => format!(
                "at {:.9} ms the spikes reached the run's budget, {} spikes: a mean rate of \
                {rate} Hz per neuron over the whole run (--max-rate; each thread has its share); \
                the run was stopped. Its neurons fire far faster than that: {CAUSE} (or raise \
                --max-rate)",
                runaway.at.as_ms(),
                self.spikes,
            ),
            _ => format!(
                "at {:.9} ms its spikes outgrew the run's limits ({} entries in flight, {} \
                spikes); the run was stopped: {CAUSE}",
                runaway.at.as_ms(),
                runaway.pending,
                runaway.spikes,
            ),
        };
        crate::error::Error::Invalid {
            what: format!("population {name}"),
            message,
        }
    }
}

/// Bytes in MiB or GiB.
pub fn human(b: u64) -> String {
    let mib = b as f64 / (1u64 << 20) as f64;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

/// Bytes a connectome occupies in memory.
pub fn connectome_bytes(c: &Connectome) -> u64 {
    let n = c.ids.len() as u64;
    let mut b = 8 * n;
    for a in &c.annotations {
        b += match &a.column {
            Column::Codes { codes, labels } => {
                8 * codes.len() as u64 + labels.iter().map(|l| 24 + l.len() as u64).sum::<u64>()
            }
            Column::Numbers(x) => 8 * x.len() as u64,
            Column::Text(x) => x.iter().map(|s| 24 + s.len() as u64).sum(),
        };
    }
    let e = &c.edges;
    let m = e.len() as u64;
    b += 8 * m;
    b += [e.count.is_some(), e.weight.is_some(), e.delay_ms.is_some()]
        .iter()
        .filter(|&&x| x)
        .count() as u64
        * 4
        * m;
    b += e.transmitter.as_ref().map_or(0, |t| t.len() as u64);
    b
}

/// Memory available to this process (`MemAvailable` of `/proc/meminfo`), if known.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_reproduce_measured_peaks() {
        // (neurons, synapses, typed, measured peak RSS in bytes): hebb bench, this machine.
        let runs = [
            (1, 0, false, 7_736_000.0),
            (4_000, 320_416, false, 20_868_000.0),
            (12_500, 15_625_000, false, 620_736_000.0),
            (8_619, 3_019_769, false, 141_672_000.0),
            (2_500, 799_082, true, 44_612_000.0),
        ];
        for (n, s, typed, peak) in runs {
            let e = Estimate::of(n, s, typed, 0).peak_bytes as f64;
            assert!(
                (e / peak - 1.0).abs() < 0.1,
                "{n} neurons, {s} synapses: {e} vs {peak}"
            );
        }
    }

    #[test]
    fn readable_sizes() {
        assert_eq!(human(3 << 20), "3 MiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
    }
}

//! Progress of a run: a bar on a terminal, or, where no bar can be drawn (a batch job's log,
//! a pipe), a line every so often with the simulated time reached, the speed since the last
//! line and the memory in use, so that a long run's log shows both that it moves and that it
//! stays flat.

use crate::engine::{RecordState, Recorder, Stats};
use crate::error::Result;
use crate::ids::NeuronId;
use crate::time::Time;
use std::time::{Duration, Instant};

/// Passes everything on and moves the progress bar.
pub(super) struct Bar<'a> {
    pub(super) inner: &'a mut dyn Recorder,
    pub(super) bar: Option<indicatif::ProgressBar>,
    pub(super) t1: Instant,
    pub(super) last: Instant,
}

impl Recorder for Bar<'_> {
    fn spike(&mut self, t: Time, n: NeuronId) {
        self.inner.spike(t, n);
    }
    fn save(&mut self, t: Time, st: &mut RecordState) -> Result<()> {
        self.inner.save(t, st)
    }
    fn sample(&mut self, t: Time, probe: usize, values: &[f64]) {
        self.inner.sample(t, probe, values);
    }
    fn progress(&mut self, t: Time) {
        self.inner.progress(t);
        let Some(b) = &self.bar else { return };
        let now = Instant::now();
        if now.duration_since(self.last).as_secs_f64() < 0.1 {
            return;
        }
        self.last = now;
        let wall = now.duration_since(self.t1).as_secs_f64();
        if wall > 1.0 && b.is_hidden() {
            // Only runs longer than a second show progress.
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        b.set_position(t.as_ms() as u64);
        b.set_message(format!("{:.2}× real time", wall / (t.as_ms() / 1000.0)));
    }
}

/// The bar of one trial of `trials` that ends at `stop`; `None` unless `show`.
pub(super) fn bar(
    show: bool,
    stop: Time,
    trial: u32,
    trials: u32,
) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let b = indicatif::ProgressBar::with_draw_target(
        Some(stop.as_ms() as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    let trial = if trials > 1 {
        format!("trial {}/{trials} ", trial + 1)
    } else {
        String::new()
    };
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {trial}[{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} ms simulated, {{msg}}"
        ))
        .expect("valid template"),
    );
    Some(b)
}

/// The bar of trials run side by side.
pub(super) fn trials_bar(trials: u32) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(trials as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} trials",
        )
        .expect("valid template"),
    );
    b
}

/// Progress lines on stderr, one every `every` of wall time at most (checked between slices
/// of the run, which take well under a second).
pub(super) struct Lines {
    every: Duration,
    /// Simulated time at which the trial ends.
    stop: Time,
    /// `"trial k/n: "` with several trials, else empty.
    label: String,
    start: Instant,
    last: Instant,
    last_t: Time,
    last_stats: Stats,
}

impl Lines {
    /// Lines for a trial that starts at `now` (simulated) with the engine's counters `stats`.
    pub(super) fn new(
        every: Duration,
        stop: Time,
        trial: u32,
        trials: u32,
        now: Time,
        stats: Stats,
    ) -> Lines {
        let start = Instant::now();
        Lines {
            every,
            stop,
            label: if trials > 1 {
                format!("trial {}/{trials}: ", trial + 1)
            } else {
                String::new()
            },
            start,
            last: start,
            last_t: now,
            last_stats: stats,
        }
    }

    /// After a slice that reached `now` with the counters `stats`: a line if one is due.
    pub(super) fn after_slice(&mut self, now: Time, stats: impl FnOnce() -> Stats) {
        let wall = Instant::now();
        if wall.duration_since(self.last) < self.every || now >= self.stop {
            return;
        }
        let stats = stats();
        eprintln!("{}", self.line(wall, now, &stats));
        self.last = wall;
        self.last_t = now;
        self.last_stats = stats;
    }

    /// The line at wall time `wall`, simulated time `now`, counters `stats`.
    fn line(&self, wall: Instant, now: Time, stats: &Stats) -> String {
        let dt = wall.duration_since(self.last).as_secs_f64().max(1e-9);
        let sim_s = (now.0 - self.last_t.0) as f64 * Time::TICK.as_ms() / 1000.0;
        let events = stats
            .synaptic_events
            .saturating_sub(self.last_stats.synaptic_events) as f64;
        let spikes = stats.spikes.saturating_sub(self.last_stats.spikes) as f64;
        let memory = rss_mib().map_or_else(String::new, |m| format!(", memory {m:.1} MiB"));
        format!(
            "hebb: {}{:.1} of {:.1} ms simulated ({:.1} %) after {:.1} s; last {:.1} s: \
             {:.3} s per simulated s, {:.3e} synaptic events/s, {:.3e} spikes/s{memory}",
            self.label,
            now.as_ms(),
            self.stop.as_ms(),
            100.0 * now.as_ms() / self.stop.as_ms(),
            wall.duration_since(self.start).as_secs_f64(),
            dt,
            if sim_s > 0.0 { dt / sim_s } else { 0.0 },
            events / dt,
            spikes / dt,
        )
    }
}

/// Resident set size of this process now (MiB), from /proc (Linux).
pub fn rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

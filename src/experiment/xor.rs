//! `hebb experiment xor`: the XOR task learned by burst-dependent plasticity (Payeur et al.
//! 2021, Fig. 4; `specs/bdsp.md` §5).
//!
//! The network is a model file (`models/xor_bdsp.toml`): populations `in1`, `in2`, `hid1`,
//! `hid2`, `out` of `burst2c` neurons, plastic projections onto `hid1`, `hid2` and `out`. The
//! protocol drives it at run time:
//!
//! 1. burn-in (default 3τ_avg = 6 s) on pattern (0, 0), plasticity off;
//! 2. pre-test: the four patterns (0,0), (1,0), (0,1), (1,1), one example each, plasticity off;
//! 3. training: `epochs` × the four patterns in that order. Each example of length T has a
//!    prediction phase (0.9 T, plasticity off) whose end gives the cost and, per output neuron
//!    from its event average Ē_i, the teacher current into its dendrite; then a learning phase
//!    (0.1 T) with the teacher on and plasticity on for every plastic projection;
//! 4. post-test as the pre-test.
//!
//! An input bit is a somatic current into every neuron of its input population: +150 pA for
//! 1, −350 pA for 0. The teacher (spec §5.6) and the cost (§5.8) are [`teacher_current`] and
//! [`example_cost`]. The readout of a test example is the output population's event rate over
//! the second half of the example (the first half lets the rates settle after the switch).
//!
//! Ē_i is the plastic rule's own τ_avg event average of output neuron i (the hidden → output
//! projection's postsynaptic state), as in the reference code.

use crate::engine::Recorder;
use crate::engine::partition::Placement;
use crate::engine::shard::ShardStats;
use crate::error::{Error, Result};
use crate::ids::NeuronId;
use crate::model::Model;
use crate::model::build::build;
use crate::plasticity::{BurstDetector, DetectorState, Spike};
use crate::run::Engine;
use crate::time::Time;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The four input patterns, in the order of an epoch.
pub const PATTERNS: [(bool, bool); 4] =
    [(false, false), (true, false), (false, true), (true, true)];

/// Somatic input current (pA) for a bit.
pub fn input_current(bit: bool) -> f64 {
    if bit { 150.0 } else { -350.0 }
}

/// The teaching current (pA) into an output neuron's dendrite (spec §5.6), from its event
/// average `e_hz` at the end of the prediction phase, for target `target`, base amplitude
/// `i0` (1000 pA) and tolerance 1 Hz: a dead zone where the neuron is already right.
pub fn teacher_current(target: bool, e_hz: f64, i0: f64) -> f64 {
    if target {
        if e_hz <= 3.0 {
            i0
        } else if e_hz >= 9.0 {
            0.0
        } else {
            i0 * 1.0 / (e_hz - 2.0)
        }
    } else if e_hz >= 9.0 {
        -i0
    } else if e_hz <= 3.0 {
        0.0
    } else {
        -i0 * 1.0 / (10.0 - e_hz)
    }
}

/// The cost of one example (spec §5.8): q = (mean Ē − 2)/(10 − 2) clipped to [0.01, 0.99],
/// C = −y ln q − (1 − y) ln(1 − q).
pub fn example_cost(target: bool, mean_e_hz: f64) -> f64 {
    let q = ((mean_e_hz - 2.0) / 8.0).clamp(0.01, 0.99);
    if target { -q.ln() } else { -(1.0 - q).ln() }
}

/// Options of the experiment.
#[derive(Clone, Debug)]
pub struct XorOptions {
    /// The network's model file.
    pub model: PathBuf,
    /// Neurons per population (default: the model's); connection probabilities are scaled
    /// to keep the model's mean in-degree (p ≤ 1).
    pub size: Option<u32>,
    /// Training epochs (4 examples each; 500 in the paper).
    pub epochs: u32,
    /// Example length T (ms; 8000 in the paper).
    pub example_ms: f64,
    /// Burn-in (ms); default 3 τ_avg = 6000.
    pub burn_in_ms: f64,
    /// Seed override.
    pub seed: Option<u64>,
    /// Threads (shards).
    pub threads: usize,
    /// Output directory.
    pub out: PathBuf,
    /// Show progress.
    pub progress: bool,
}

/// What a run of the experiment gives.
#[derive(Clone, Debug, serde::Serialize)]
pub struct XorResult {
    /// Seed.
    pub seed: u64,
    /// Neurons per population.
    pub size: u32,
    /// Epochs.
    pub epochs: u32,
    /// Example length (ms).
    pub example_ms: f64,
    /// Per epoch: the sum of its four examples' costs.
    pub epoch_cost: Vec<f64>,
    /// Per epoch: its wall time (s).
    pub epoch_wall_s: Vec<f64>,
    /// Output event rate (Hz) per pattern before training.
    pub before_hz: [f64; 4],
    /// Output event rate (Hz) per pattern after training.
    pub after_hz: [f64; 4],
    /// Patterns on the correct side of 6 Hz after training.
    pub correct_after: u32,
    /// Per pattern after training: the hidden populations' event rates (Hz).
    pub hidden_after_hz: [[f64; 2]; 4],
    /// Per pattern before training: the hidden populations' event rates (Hz).
    pub hidden_before_hz: [[f64; 2]; 4],
    /// Per training example: burst probability of out, hid1, hid2 during the learning
    /// window, and the mean teacher current (pA).
    pub learning_bp: Vec<[f64; 4]>,
    /// Mean of the first and of the last (up to) 50 epoch costs.
    pub cost_first_last: (f64, f64),
    /// Simulated time (s).
    pub simulated_s: f64,
    /// Wall time (s).
    pub wall_s: f64,
}

/// Population indices of the five roles.
const ROLES: [&str; 5] = ["in1", "in2", "hid1", "hid2", "out"];

/// Counts events and bursts per role population since a start time.
struct Monitor {
    detector: BurstDetector,
    states: Vec<DetectorState>,
    /// Per neuron: role index, or 255.
    role: Vec<u8>,
    from: Time,
    events: [u64; 5],
    bursts: [u64; 5],
}

impl Recorder for Monitor {
    fn spike(&mut self, t: Time, n: NeuronId) {
        let s = self.detector.classify(&mut self.states[n.index()], t);
        let r = self.role[n.index()];
        if r != 255 && t >= self.from {
            match s {
                Spike::Event => self.events[r as usize] += 1,
                Spike::Burst => self.bursts[r as usize] += 1,
                Spike::Ignored => {}
            }
        }
    }
    fn sample(&mut self, _t: Time, _probe: usize, _values: &[f64]) {}
}

impl Monitor {
    fn reset(&mut self, from: Time) {
        self.from = from;
        self.events = [0; 5];
        self.bursts = [0; 5];
    }
}

/// The experiment's state: engine, population layout, clock.
struct Xor {
    engine: Engine,
    monitor: Monitor,
    /// Per role: first global id and size.
    pops: [(u32, u32); 5],
    /// Plastic projections, and the one onto `out` whose Ē is the teacher's.
    n_plastic: usize,
    out_rule: usize,
    out_dend_base: f64,
    now: Time,
}

impl Xor {
    fn run_for(&mut self, ms: f64) {
        let stop = self.now + Time::from_ms(ms).expect("validated durations");
        self.engine.run_until(stop, &mut self.monitor);
        self.now = stop;
    }

    fn set_pattern(&mut self, (a, b): (bool, bool)) {
        for (role, bit) in [(0, a), (1, b)] {
            let (first, n) = self.pops[role];
            for i in first..first + n {
                self.engine.set_current(NeuronId(i), 0, input_current(bit));
            }
        }
    }

    fn set_plastic(&mut self, on: bool) {
        for q in 0..self.n_plastic {
            self.engine.set_plastic(q, on);
        }
    }

    /// Event rates (Hz) per role since the monitor's reset, over `ms`.
    fn rates(&self, ms: f64) -> [f64; 5] {
        let mut r = [0.0; 5];
        for (k, x) in r.iter_mut().enumerate() {
            *x = self.monitor.events[k] as f64 / (self.pops[k].1 as f64 * ms / 1000.0);
        }
        r
    }

    fn burst_probability(&self, role: usize) -> f64 {
        let e = self.monitor.events[role];
        if e == 0 {
            f64::NAN
        } else {
            self.monitor.bursts[role] as f64 / e as f64
        }
    }

    /// One test example: output and hidden event rates over its second half.
    fn test(&mut self, pattern: (bool, bool), example_ms: f64) -> [f64; 5] {
        self.set_pattern(pattern);
        self.run_for(example_ms / 2.0);
        self.monitor.reset(self.now);
        self.run_for(example_ms / 2.0);
        self.rates(example_ms / 2.0)
    }
}

/// An epoch's wall time, and (logged at debug level) its spikes and every shard's compute
/// and waiting time.
struct EpochClock {
    wall: Instant,
    spikes: u64,
    shards: Vec<ShardStats>,
}

impl EpochClock {
    fn start(engine: &Engine) -> EpochClock {
        EpochClock {
            wall: Instant::now(),
            spikes: engine.stats().spikes,
            shards: engine.shard_stats(),
        }
    }

    /// The wall time (s) since the start; logs epoch `epoch`.
    fn finish(&self, engine: &Engine, epoch: u32) -> f64 {
        let wall_s = self.wall.elapsed().as_secs_f64();
        if tracing::enabled!(tracing::Level::DEBUG) {
            let shards: Vec<String> = engine
                .shard_stats()
                .iter()
                .zip(&self.shards)
                .map(|(s, s0)| {
                    format!(
                        "{:.2}/{:.2}",
                        s.compute_s - s0.compute_s,
                        s.wait_s - s0.wait_s
                    )
                })
                .collect();
            tracing::debug!(
                epoch,
                wall_s,
                spikes = engine.stats().spikes - self.spikes,
                shards_compute_wait_s = shards.join(" "),
                "epoch done"
            );
        }
        wall_s
    }
}

/// The model with `size` neurons per role population and connection probabilities scaled to
/// keep the mean in-degree.
fn load(opts: &XorOptions) -> Result<Model> {
    let base = Model::load(&opts.model)?;
    let Some(n) = opts.size else {
        return Ok(base);
    };
    let mut overrides = Vec::new();
    let mut size0 = None;
    for p in &base.spec.populations {
        if ROLES.contains(&p.name.get_ref().as_str()) {
            size0 = size0.or(p.size.as_ref().map(|s| *s.get_ref()));
            overrides.push(format!("population.{}.size={n}", p.name.get_ref()));
        }
    }
    let n0 = size0.unwrap_or(n) as f64;
    for (k, pr) in base.spec.projections.iter().enumerate() {
        if let crate::model::spec::Rule::PairwiseBernoulli { p } = pr.rule.get_ref() {
            let p = (p.0 * n0 / n as f64).min(1.0);
            overrides.push(format!("projection.{k}.rule.pairwise_bernoulli.p={p}"));
        }
    }
    Model::load_with(&opts.model, &overrides)
}

/// Runs the experiment; writes `xor.json` and the figures `xor_cost.png`, `xor_rates.png`
/// and `xor_bp.png` into `opts.out` (and `xor_progress.json` after every epoch).
pub fn run(opts: &XorOptions) -> Result<XorResult> {
    let t0 = Instant::now();
    for (key, ms) in [
        ("--example-ms", opts.example_ms),
        ("--burn-in-ms", opts.burn_in_ms),
    ] {
        if !(ms.is_finite() && ms >= 1.0) {
            return Err(Error::Invalid {
                what: key.into(),
                message: format!("{ms}: expected at least 1 ms"),
            });
        }
    }
    let t_ex = opts.example_ms;
    let total_ms = opts.burn_in_ms + 8.0 * t_ex + opts.epochs as f64 * 4.0 * t_ex;
    if Time::from_ms(total_ms).is_none() {
        return Err(Error::Invalid {
            what: "--burn-in-ms, --example-ms, --epochs".into(),
            message: format!(
                "the protocol lasts {total_ms} ms, beyond the clock's range (less than \
                 {:.6e} ms); shorten it",
                crate::time::MAX_MS
            ),
        });
    }
    let model = load(opts)?;
    let net = build(&model, opts.seed, None)?;
    let find = |name: &str| {
        net.populations
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.offset, p.size))
            .ok_or_else(|| Error::Model {
                path: model.path.clone(),
                message: format!(
                    "the XOR experiment needs populations {}; `{name}` is missing",
                    ROLES.join(", ")
                ),
            })
    };
    let mut pops = [(0, 0); 5];
    for (k, r) in ROLES.iter().enumerate() {
        pops[k] = find(r)?;
    }
    let out_pop = net
        .populations
        .iter()
        .position(|p| p.name == "out")
        .expect("found");
    let plastic = &net.blueprint.plastic;
    let out_rule = plastic
        .iter()
        .position(|p| p.target.index() == out_pop && matches!(p.rule, crate::engine::plastic::Rule::Bdsp(_)))
        .ok_or_else(|| Error::Model {
            path: model.path.clone(),
            message: "the XOR experiment needs a BDSP projection onto `out` (its Ē is the teacher's input)".into(),
        })?;
    let out_dend_base = model
        .spec
        .populations
        .iter()
        .find(|p| p.name.get_ref() == "out")
        .and_then(|p| p.i_dend.as_ref())
        .map(|v| match v.get_ref() {
            crate::model::spec::Value::Scalar(x) => Ok(x.0),
            _ => Err(model.error_at(v.span(), "the XOR experiment needs one I_dend for `out` (a number): the teacher is added to it")),
        })
        .transpose()?
        .unwrap_or(0.0);
    let n_total = net.n_neurons();
    let mut role = vec![255u8; n_total];
    for (k, &(first, n)) in pops.iter().enumerate() {
        for i in first..first + n {
            role[i as usize] = k as u8;
        }
    }
    let seed = net.seed;
    let size = pops[4].1;
    let n_plastic = plastic.len();
    let detector = net.blueprint.burst_detector;
    let mut x = Xor {
        engine: Engine::new(net.blueprint, opts.threads, Placement::Balanced),
        monitor: Monitor {
            detector,
            states: vec![DetectorState::default(); n_total],
            role,
            from: Time::ZERO,
            events: [0; 5],
            bursts: [0; 5],
        },
        pops,
        n_plastic,
        out_rule,
        out_dend_base,
        now: Time::ZERO,
    };
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(total_ms as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:32} [{bar:30}] {pos}/{len} ms simulated, {elapsed} elapsed, eta {eta}",
            )
            .expect("valid template"),
        );
        b
    });
    let tick = |x: &Xor, msg: &str| {
        if let Some(b) = &bar {
            b.set_position(x.now.as_ms() as u64);
            b.set_message(msg.to_owned());
        }
    };

    // 1. Burn-in, 2. pre-test.
    x.set_plastic(false);
    x.set_pattern(PATTERNS[0]);
    x.run_for(opts.burn_in_ms);
    tick(&x, "pre-test");
    let mut before_hz = [0.0; 4];
    let mut hidden_before_hz = [[0.0; 2]; 4];
    for (k, &p) in PATTERNS.iter().enumerate() {
        let r = x.test(p, t_ex);
        before_hz[k] = r[4];
        hidden_before_hz[k] = [r[2], r[3]];
    }

    // 3. Training.
    let (pred_ms, learn_ms) = (0.9 * t_ex, 0.1 * t_ex);
    let out = x.pops[4];
    let mut epoch_cost = Vec::with_capacity(opts.epochs as usize);
    let mut epoch_wall_s = Vec::with_capacity(opts.epochs as usize);
    let mut learning_bp = Vec::with_capacity(4 * opts.epochs as usize);
    for e in 0..opts.epochs {
        let last = epoch_cost
            .last()
            .map_or(String::new(), |c| format!(", last cost {c:.2}"));
        tick(&x, &format!("epoch {}/{}{last}", e + 1, opts.epochs));
        let clock = EpochClock::start(&x.engine);
        let mut c = 0.0;
        for &p in &PATTERNS {
            let target = p.0 != p.1;
            x.set_pattern(p);
            x.run_for(pred_ms);
            let rates = x.engine.plastic_rates(x.out_rule);
            let mean_e = rates.iter().map(|r| r.1).sum::<f64>() / rates.len().max(1) as f64;
            c += example_cost(target, mean_e);
            let mut teach_sum = 0.0;
            for &(n, e_hz, _) in &rates {
                let i = teacher_current(target, e_hz, 1000.0);
                teach_sum += i;
                x.engine.set_current(NeuronId(n), 1, x.out_dend_base + i);
            }
            x.set_plastic(true);
            x.monitor.reset(x.now);
            x.run_for(learn_ms);
            x.set_plastic(false);
            learning_bp.push([
                x.burst_probability(4),
                x.burst_probability(2),
                x.burst_probability(3),
                teach_sum / rates.len().max(1) as f64,
            ]);
            for i in out.0..out.0 + out.1 {
                x.engine.set_current(NeuronId(i), 1, x.out_dend_base);
            }
        }
        epoch_cost.push(c);
        epoch_wall_s.push(clock.finish(&x.engine, e + 1));
        // A long run keeps what it has learned so far: the costs and the pre-test, rewritten
        // after every epoch (an interrupted run loses at most one epoch).
        write_progress(&opts.out, &before_hz, &epoch_cost, &epoch_wall_s)?;
    }

    // 4. Post-test.
    tick(&x, "post-test");
    let mut after_hz = [0.0; 4];
    let mut hidden_after_hz = [[0.0; 2]; 4];
    for (k, &p) in PATTERNS.iter().enumerate() {
        let r = x.test(p, t_ex);
        after_hz[k] = r[4];
        hidden_after_hz[k] = [r[2], r[3]];
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let correct_after = PATTERNS
        .iter()
        .zip(&after_hz)
        .filter(|(p, hz)| (p.0 != p.1) == (**hz > 6.0))
        .count() as u32;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let k = epoch_cost.len().min(50);
    let result = XorResult {
        seed,
        size,
        epochs: opts.epochs,
        example_ms: t_ex,
        cost_first_last: (
            mean(&epoch_cost[..k]),
            mean(&epoch_cost[epoch_cost.len() - k..]),
        ),
        epoch_cost,
        epoch_wall_s,
        before_hz,
        after_hz,
        correct_after,
        hidden_after_hz,
        hidden_before_hz,
        learning_bp,
        simulated_s: x.now.as_ms() / 1000.0,
        wall_s: t0.elapsed().as_secs_f64(),
    };
    write(&opts.out, &result)?;
    Ok(result)
}

/// Writes `xor_progress.json`: the pre-test rates, the epoch costs and wall times so far.
fn write_progress(
    dir: &Path,
    before_hz: &[f64; 4],
    epoch_cost: &[f64],
    epoch_wall_s: &[f64],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let path = dir.join("xor_progress.json");
    let text = serde_json::json!({
        "before_hz": before_hz,
        "epoch_cost": epoch_cost,
        "epoch_wall_s": epoch_wall_s,
    })
    .to_string();
    std::fs::write(&path, text).map_err(Error::io(&path))
}

/// Writes `xor.json` and the figures into `dir`.
fn write(dir: &Path, r: &XorResult) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let json = dir.join("xor.json");
    let text = serde_json::to_string_pretty(r).expect("plain data serialises");
    std::fs::write(&json, text).map_err(Error::io(&json))?;
    super::plots::cost(&dir.join("xor_cost.png"), &r.epoch_cost)?;
    super::plots::rates(&dir.join("xor_rates.png"), &r.before_hz, &r.after_hz)?;
    super::plots::learning_bp(&dir.join("xor_bp.png"), &r.learning_bp)?;
    Ok(())
}

impl XorResult {
    /// A text summary: the before/after table and the cost.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "XOR by BDSP: N = {} per population, {} epochs of 4 × {} ms, seed {}",
            self.size, self.epochs, self.example_ms, self.seed
        );
        let _ = writeln!(
            s,
            "{:<8} {:>7} {:>12} {:>12}",
            "pattern", "target", "before (Hz)", "after (Hz)"
        );
        for (k, p) in PATTERNS.iter().enumerate() {
            let _ = writeln!(
                s,
                "({}, {})   {:>7} {:>12.2} {:>12.2}",
                p.0 as u8,
                p.1 as u8,
                if p.0 != p.1 { "> 6" } else { "< 6" },
                self.before_hz[k],
                self.after_hz[k]
            );
        }
        let _ = writeln!(
            s,
            "correct after training: {}/4; epoch cost first {:.3} → last {:.3} (mean of up to 50 epochs)",
            self.correct_after, self.cost_first_last.0, self.cost_first_last.1
        );
        let _ = writeln!(
            s,
            "simulated {:.1} s in {:.1} s wall ({:.3} s per simulated s)",
            self.simulated_s,
            self.wall_s,
            self.wall_s / self.simulated_s.max(1e-9)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §7 E1.
    #[test]
    fn e1_teacher_current() {
        let close = |a: f64, b: f64| (a - b).abs() < 0.05;
        assert_eq!(teacher_current(true, 2.5, 1000.0), 1000.0);
        assert!(close(teacher_current(true, 5.0, 1000.0), 333.3));
        assert_eq!(teacher_current(true, 9.5, 1000.0), 0.0);
        assert_eq!(teacher_current(false, 9.5, 1000.0), -1000.0);
        assert!(close(teacher_current(false, 5.0, 1000.0), -200.0));
        assert_eq!(teacher_current(false, 2.5, 1000.0), 0.0);
    }

    /// Spec §7 E2.
    #[test]
    fn e2_cost() {
        // The spec's 0.6931 is ln 2.
        assert!((example_cost(true, 6.0) - std::f64::consts::LN_2).abs() < 1e-12);
        assert!((example_cost(false, 6.0) - std::f64::consts::LN_2).abs() < 1e-12);
        let max = example_cost(true, 0.0);
        assert!((max - 4.605).abs() < 1e-3, "{max}");
        assert!((4.0 * max - 18.42).abs() < 1e-2);
        assert!((example_cost(false, 20.0) - max).abs() < 1e-12);
    }
}
